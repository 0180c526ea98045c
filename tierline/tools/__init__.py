"""Tools around a run: `explain`, `demo` and its synthetic registers, the human summary."""
