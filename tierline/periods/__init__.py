"""Reading published periods: `tierline diff` (`diff.py`) and `tierline report` (`report/`)."""
