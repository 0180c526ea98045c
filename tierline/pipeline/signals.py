"""SIGTERM and SIGINT end a run cleanly (SPEC §3): nothing published, staging removed, exit 143/130.

`handle_signals()` (the CLI's `run` installs it) turns the first SIGTERM or SIGINT into an
`Interrupted` exception in the main thread, which unwinds the run through its ordinary cleanup;
later signals are ignored while that cleanup runs, so a second Ctrl-C cannot leave half a
cleanup behind. Inside `critical_section()` (the one rename that publishes a run, and what must
follow it) a signal is held back and raised when the section ends: a run is either not published,
or published whole.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from tierline.errors import Interrupted

__all__ = ["critical_section", "handle_signals"]

_HANDLED = (signal.SIGTERM, signal.SIGINT)
_critical = 0  # depth of critical sections (signals run in the main thread, as does publishing)
_deferred: list[int] = []
_raised = False


def _handler(signum: int, frame: object) -> None:
    global _raised
    if _raised:
        return  # the run is already unwinding
    if _critical:
        _deferred.append(signum)
        return
    _raised = True
    raise Interrupted(signum)


@contextmanager
def handle_signals() -> Iterator[None]:
    """Install the handlers for the duration of a command (main thread only), then restore them."""
    global _raised
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {signum: signal.signal(signum, _handler) for signum in _HANDLED}
    _raised = False
    _deferred.clear()
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


@contextmanager
def critical_section() -> Iterator[None]:
    """Hold signals back until the block ends (then the first one held is raised)."""
    global _critical, _raised
    _critical += 1
    try:
        yield
    finally:
        _critical -= 1
    if not _critical and _deferred and not _raised:
        _raised = True
        raise Interrupted(_deferred[0])
