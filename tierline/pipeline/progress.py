"""Progress of a run: a live bar with rows/s on a terminal, plain log lines otherwise (SPEC §3)."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class Progress:
    """Counts finished partitions and rows; `update` is called once per finished partition."""

    def __init__(self, total_rows: int, total_partitions: int, stream: TextIO | None = None,
                 log_every: float = 10.0, enabled: bool = True, what: str = "scored"):
        self.what = what  # the pass, in the past tense: "scored", "ranked", "grouped", …
        self.total_rows = total_rows
        self.total_partitions = total_partitions
        self.stream = stream or sys.stderr
        self.enabled = enabled
        self.interactive = enabled and self.stream.isatty()
        self.log_every = log_every
        self.rows = 0
        self.partitions = 0
        self.started = time.monotonic()
        self._last_log = self.started
        self._bar = None
        self._task = None

    def __enter__(self) -> "Progress":
        if self.interactive:
            from rich.progress import BarColumn, Progress as Bar, TextColumn, TimeElapsedColumn

            self._bar = Bar(TextColumn(self.what), BarColumn(), TextColumn("{task.completed:,.0f}/{task.total:,.0f} rows"),
                            TextColumn("{task.fields[rate]}"), TimeElapsedColumn(), transient=True)
            self._bar.__enter__()
            self._task = self._bar.add_task(self.what, total=self.total_rows, rate="")
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.__exit__(*exc)

    @property
    def rate(self) -> float:
        elapsed = max(time.monotonic() - self.started, 1e-9)
        return self.rows / elapsed

    def update(self, rows: int) -> None:
        self.rows += rows
        self.partitions += 1
        if not self.enabled:
            return
        if self._bar is not None:
            self._bar.update(self._task, completed=self.rows, rate=f"{self.rate:,.0f} rows/s")
            return
        now = time.monotonic()
        if now - self._last_log >= self.log_every or self.partitions == self.total_partitions:
            self._last_log = now
            print(f"tierline: {self.what} {self.partitions}/{self.total_partitions} partitions, "
                  f"{self.rows:,}/{self.total_rows:,} rows, {self.rate:,.0f} rows/s", file=self.stream, flush=True)
