"""Stopping a run's writing tasks before its staging is removed.

A run that fails (a task error, a full disk, SIGTERM) unwinds in the main thread while Dask's
worker threads may still be scoring other partitions. If the staging directory were removed then,
those tasks would write their files after the cleanup. So every writing task runs inside
`writing(run_id)`, which refuses to start once the run is cancelled, and `cancel(run_id)` waits
for the tasks already inside to leave (each checks `check(run_id)` again before it writes a file).

This covers the threads of this process. Tasks on other processes (LocalCluster, a scheduler)
are cancelled through Dask; one already writing there fails on the vanished staging directory,
because tasks never create a staging directory's parents.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["RunCancelled", "cancel", "check", "writing"]

_condition = threading.Condition()
_cancelled: set[str] = set()
_inside: Counter[str] = Counter()


class RunCancelled(Exception):
    """Raised inside a task of a run that is being cancelled; the run already has its own error."""


@contextmanager
def writing(run_id: str) -> Iterator[None]:
    with _condition:
        if run_id in _cancelled:
            raise RunCancelled(run_id)
        _inside[run_id] += 1
    try:
        yield
    finally:
        with _condition:
            _inside[run_id] -= 1
            if not _inside[run_id]:
                del _inside[run_id]
            _condition.notify_all()


def check(run_id: str) -> None:
    """Raise `RunCancelled` if the run is being cancelled (call before each file a task writes)."""
    if run_id in _cancelled:
        raise RunCancelled(run_id)


def cancel(run_id: str, timeout: float = 60.0) -> bool:
    """Cancel the run's tasks in this process and wait for those inside `writing` to leave.

    Returns False if some task is still inside after `timeout` seconds (a partition takes about a
    second; the caller then removes what it can and says so)."""
    with _condition:
        _cancelled.add(run_id)
        return _condition.wait_for(lambda: not _inside[run_id], timeout)
