"""The one exception family of tierline, and the exit code each maps to (SPEC §3).

Every message is one line that names the file, line or column at fault and, where it helps, what
to do about it. `tierline.cli` is the single place that turns these into exit codes.
"""

from __future__ import annotations


class TierlineError(Exception):
    """Base of every error tierline reports to a user."""

    exit_code = 4


class UsageError(TierlineError):
    """Bad command-line usage: exit 2, nothing read or written."""

    exit_code = 2


class ScorecardError(TierlineError):
    """The scorecard is malformed or inconsistent: exit 2, nothing read or written."""

    exit_code = 2

    def __init__(self, message: str, *, source: str | None = None, line: int | None = None):
        message = " ".join(message.splitlines())  # one line, whatever text a message quotes
        self.source = source
        self.line = line
        self.detail = message
        where = source or "<scorecard>"
        if line is not None:
            where = f"{where}:{line}"
        super().__init__(f"{where}: {message}")


class InputError(TierlineError):
    """An input file cannot be read or does not match the scorecard: exit 3, nothing published."""

    exit_code = 3


class ValidationPolicyError(TierlineError):
    """Too many invalid rows, or an expectation below its `mostly`: exit 1, nothing published."""

    exit_code = 1


class InternalError(TierlineError):
    """A bug in tierline: exit 4."""

    exit_code = 4


class OutputError(TierlineError):
    """The output cannot be written (a full disk, a read-only or vanished directory): exit 3,
    nothing published, the previous output as it was."""

    exit_code = 3


class Interrupted(BaseException):
    """SIGTERM or SIGINT during a command: exit 128 + the signal number, nothing published.

    A BaseException, like KeyboardInterrupt, so that no `except Exception` swallows it."""

    def __init__(self, signum: int):
        super().__init__(signum)  # args = (signum,), so it pickles and compares plainly
        self.signum = signum
        self.exit_code = 128 + signum
        self.published: str | None = None  # set when the signal was held back until a publish ended

    def __str__(self) -> str:
        import signal

        return signal.Signals(self.signum).name
