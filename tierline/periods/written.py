"""One file that `diff -o` or `report -o` writes: in place whole, or not at all."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Iterator

from tierline.errors import OutputError, UsageError

__all__ = ["check_target", "written_whole"]


def check_target(target: Path) -> Path:
    """`target`, or UsageError (exit 2, before any work) when its directory does not exist."""
    if not target.parent.is_dir():
        raise UsageError(f"-o {target}: the directory {target.parent} does not exist")
    return target


@contextlib.contextmanager
def written_whole(target: Path) -> Iterator[Path]:
    """Yields a temporary path beside `target` to write; renames it to `target` when the block ends
    without an error, removes it otherwise. A failure to write is OutputError (exit 3) naming `target`."""
    temporary = target.with_name(f".{target.name}.tierline-{os.getpid()}.tmp")
    try:
        yield temporary
        os.replace(temporary, target)
    except OSError as error:
        raise OutputError(f"cannot write {target}: {error.strerror or error}") from None
    finally:
        temporary.unlink(missing_ok=True)
