"""Read a file the user names (scorecard, extra suite) without trusting what it is or how big.

`parse_json` reads the extra suite's JSON under the same rule: any problem is one line, exit 2.

`os.stat` first: only a regular file under the size limit is opened, so a FIFO never blocks, a
device (`/dev/zero`) is never read and a 50 MB file costs one system call. The file is opened
non-blocking (in case it was swapped for a FIFO after the stat), checked again through its
descriptor, and read to at most limit + 1 bytes, so a file that grows meanwhile is refused too.
"""

from __future__ import annotations

import json
import math
import os
import stat
from pathlib import Path
from typing import Any

from tierline.errors import ScorecardError
from tierline.scorecard.limits import INT64_MAX, INT64_MIN, MAX_INTEGER_CHARS, quote


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _check(mode: int, size: int, path: str, what: str, limit: int, named_by: str) -> None:
    if not stat.S_ISREG(mode):
        raise ScorecardError(f"the {what} must be a regular file; this is {_kind(mode)}{named_by}", source=path)
    if size > limit:
        raise ScorecardError(f"the {what} is {size:,} bytes; the limit is {limit:,} bytes ({limit >> 20} MiB){named_by}",
                             source=path)


def read_regular_file(path: str | Path, what: str, limit: int, named_by: str = "") -> bytes:
    """The bytes of the regular file at `path`, or a one-line `ScorecardError` naming it.

    `what` names the file in messages ("scorecard file", "expectations file"); `named_by` is appended
    to them (" (named by 'expectations:' in card.yaml)")."""
    source = str(path)
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise ScorecardError(f"no such {what}{named_by}", source=source) from None
    except (OSError, ValueError) as error:  # ValueError: a NUL byte in the path
        reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
        raise ScorecardError(f"cannot read the {what}: {reason}{named_by}", source=source) from None
    _check(info.st_mode, info.st_size, source, what, limit, named_by)
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    except OSError as error:
        raise ScorecardError(f"cannot read the {what}: {error.strerror}{named_by}", source=source) from None
    try:
        info = os.fstat(descriptor)
        _check(info.st_mode, info.st_size, source, what, limit, named_by)  # swapped since the stat?
        chunks: list[bytes] = []
        remaining = limit + 1
        while remaining > 0:
            chunk = os.read(descriptor, min(remaining, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            remaining -= len(chunk)
    except OSError as error:
        raise ScorecardError(f"cannot read the {what}: {error.strerror}{named_by}", source=source) from None
    finally:
        os.close(descriptor)
    data = b"".join(chunks)
    if len(data) > limit:
        raise ScorecardError(f"the {what} grew past the limit of {limit:,} bytes while it was read{named_by}",
                             source=source)
    return data


class _Unrepresentable(ValueError):
    """A JSON number no float64 / int64 holds, raised from inside `json.loads`."""


def _json_int(text: str) -> int:
    if len(text) > MAX_INTEGER_CHARS or not INT64_MIN <= int(text) <= INT64_MAX:
        raise _Unrepresentable(f"the integer {quote(text)} does not fit in 64 bits")
    return int(text)


def _json_float(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise _Unrepresentable(f"the number {quote(text)} is too large for a float64")
    return value


def _json_constant(text: str) -> float:
    raise _Unrepresentable(f"{text} is not a JSON value")


def parse_json(data: bytes, source: str, what: str, named_by: str = "") -> Any:
    """JSON text → Python values, every problem a one-line `ScorecardError` naming `source`.

    Numbers must fit int64 / float64 (later stages hand them to Arrow and NumPy), NaN and
    Infinity (a Python extension of JSON) are refused, and nesting past the interpreter's
    recursion limit is a message rather than a crash."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ScorecardError(f"cannot read the {what}: not UTF-8 text{named_by}", source=source) from None
    try:
        return json.loads(text, parse_int=_json_int, parse_float=_json_float, parse_constant=_json_constant)
    except json.JSONDecodeError as error:
        raise ScorecardError(f"invalid JSON: {error.msg} (column {error.colno})", source=source,
                             line=error.lineno) from None
    except _Unrepresentable as error:
        raise ScorecardError(f"{error}{named_by}", source=source) from None
    except RecursionError:
        raise ScorecardError(f"the JSON nests too deeply{named_by}", source=source) from None
