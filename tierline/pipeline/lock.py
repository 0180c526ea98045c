"""One run at a time per output directory and period: an advisory lock file (SPEC §3, exit 2).

The lock is `flock(2)` on `DIR/_versions/period=<P>/.lock`. The kernel releases it when its holder
dies, however it dies (SIGKILL included), so a lock left by a dead process is never stale: the
next run simply takes it. While held, the file says who holds it (run id, pid, host, start), so
a second run can name the holder in its one-line error.

A lock file is unlinked only by a holder (when the run leaves nothing else in that period), and
a run that wins the lock checks that its descriptor is still the file at the lock path; if a
holder unlinked it meanwhile, the run locks the new file instead. So two runs can never both
believe they hold the lock of one period.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import socket
import time
from dataclasses import dataclass
from pathlib import Path

from tierline.errors import UsageError

__all__ = ["PeriodLock"]

_POLL_SECONDS = 0.2


@dataclass
class PeriodLock:
    """A held lock; `release()` (or leaving the `with` block) gives it up."""

    path: Path
    descriptor: int

    @classmethod
    def acquire(cls, path: Path, run_id: str, wait_seconds: float = 0.0) -> PeriodLock:
        """Take the lock at `path` (its directory is created), waiting up to `wait_seconds`.

        Raises `UsageError` naming the holder when another run keeps it longer than that.
        """
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise UsageError(f"{path.parent}: cannot create the output directory "
                             f"({error.strerror or error})") from None
        deadline = time.monotonic() + max(wait_seconds, 0.0)
        while True:
            descriptor = _open(path)
            if _try_lock(descriptor):
                if _still_linked(descriptor, path):
                    lock = cls(path, descriptor)
                    lock._describe(run_id)
                    return lock
                os.close(descriptor)  # a holder unlinked this file after we opened it: lock the new one
                continue
            holder = _holder(descriptor)
            os.close(descriptor)
            if time.monotonic() >= deadline:
                waited = f" after waiting {wait_seconds:g} s" if wait_seconds > 0 else ""
                raise UsageError(
                    f"{path.parent.parent.parent}: period {path.parent.name.removeprefix('period=')} is being "
                    f"written by another run ({holder}){waited}; wait for it to finish, or pass --wait SECONDS")
            time.sleep(_POLL_SECONDS)

    def release(self, unlink: bool = False) -> None:
        """Give the lock up; with `unlink`, also remove the lock file (the period holds nothing else)."""
        try:
            os.ftruncate(self.descriptor, 0)
            if unlink:
                self.path.unlink(missing_ok=True)
        except OSError:
            pass  # the lock itself goes with the descriptor; a leftover file is harmless
        finally:
            os.close(self.descriptor)  # closing releases the flock

    def __enter__(self) -> PeriodLock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

    def _describe(self, run_id: str) -> None:
        holder = {"run_id": run_id, "pid": os.getpid(), "host": socket.gethostname(),
                  "since": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")}
        os.ftruncate(self.descriptor, 0)
        os.pwrite(self.descriptor, (json.dumps(holder) + "\n").encode(), 0)


def _open(path: Path) -> int:
    try:
        try:
            return os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except FileNotFoundError:  # a holder that left the period empty removed its directory
            path.parent.mkdir(parents=True, exist_ok=True)
            return os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    except OSError as error:
        raise UsageError(f"{path}: cannot create the run lock ({error.strerror or error})") from None


def _try_lock(descriptor: int) -> bool:
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _still_linked(descriptor: int, path: Path) -> bool:
    """Whether `descriptor` is still the file at `path` (a holder may have unlinked it since we opened it)."""
    try:
        on_disk = os.stat(path)
    except FileNotFoundError:
        return False
    mine = os.fstat(descriptor)
    return (mine.st_dev, mine.st_ino) == (on_disk.st_dev, on_disk.st_ino)


def _holder(descriptor: int) -> str:
    """The holder as its lock file describes it, for the error line."""
    try:
        holder = json.loads(os.pread(descriptor, 4096, 0).decode() or "{}")
        return (f"run {holder['run_id']}, pid {holder['pid']} on {holder['host']}, "
                f"since {holder['since']}")
    except (OSError, ValueError, KeyError, TypeError):
        return "holder unknown"
