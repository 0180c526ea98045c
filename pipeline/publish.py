"""Staging a run's output and publishing it atomically into a local output directory (SPEC §4).

Layout of one run while it writes::

    DIR/_staging/<run_id>/period=<P>/tier=<code>/part-*.parquet
    DIR/_staging/<run_id>/_quarantine/period=<P>/part-*.parquet
    DIR/_staging/<run_id>/_manifests/period=<P>.json

`publish()` then swaps each piece into `DIR/` by rename, data first and the manifest last: the
manifest is the commit marker, so a reader that trusts the manifest never sees a half-published
period. Everything tierline keeps beside the data starts with `_`, which Hive-style readers
(pyarrow.dataset, Spark, DuckDB's `period=*/tier=*/*.parquet` glob) ignore.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from schemas.errors import InternalError, UsageError

__all__ = ["Staging", "validate_period", "validate_tier_code", "write_manifest"]

STAGING_DIR = "_staging"
QUARANTINE_DIR = "_quarantine"
MANIFESTS_DIR = "_manifests"

_PERIOD = re.compile(r"[A-Za-z0-9_.-]{1,64}")
# Tier codes become directory names (SPEC §2.5); the pattern admits no `.`, so never `..`.
_TIER_CODE = re.compile(r"[A-Za-z0-9_-]{1,32}")


def validate_period(period: str) -> str:
    """Return `period` if it is safe as a `period=<P>` directory name, else raise UsageError."""
    # fullmatch, not `$`: `$` would accept a trailing newline.
    if not isinstance(period, str) or not _PERIOD.fullmatch(period) or period in (".", ".."):
        raise UsageError(
            f"--period {period!r}: must be 1-64 letters, digits, '_', '.' or '-' "
            "(and not '.' or '..'), e.g. 2026-05"
        )
    return period


def validate_tier_code(tier_code: str) -> str:
    """Return `tier_code` if it matches ^[A-Za-z0-9_-]{1,32}$, else raise ValueError.

    Codes can come from data-derived names, so this is the guard that keeps `..` and `/` out of
    the output tree.
    """
    if not isinstance(tier_code, str) or not _TIER_CODE.fullmatch(tier_code):
        raise ValueError(f"tier code {tier_code!r} must match ^[A-Za-z0-9_-]{{1,32}}$")
    return tier_code


def _validate_run_id(run_id: str) -> str:
    if not isinstance(run_id, str) or not _PERIOD.fullmatch(run_id) or run_id in (".", ".."):
        raise ValueError(f"run id {run_id!r} must match ^[A-Za-z0-9_.-]{{1,64}}$")
    return run_id


@dataclass
class Staging:
    """One run's private staging area under `DIR/_staging/<run_id>/`.

    Nothing outside the staging root changes until `publish()`; a failed run either calls
    `discard()` or leaves the staging root for inspection (validation-policy failures), and in
    both cases the published output is untouched.
    """

    output_dir: Path
    period: str
    run_id: str
    _finished: bool = field(default=False, init=False, repr=False)

    @classmethod
    def create(cls, output_dir: Path, period: str, run_id: str) -> Staging:
        """Make the staging tree for `run_id`; it must not exist already."""
        validate_period(period)
        _validate_run_id(run_id)
        staging = cls(Path(output_dir).absolute(), period, run_id)
        try:
            staging.root.mkdir(parents=True, exist_ok=False)
            staging.data_dir.mkdir()
            staging.quarantine_dir.mkdir(parents=True)
            staging.manifest_path.parent.mkdir()
        except FileExistsError as exc:
            raise InternalError(f"{staging.root}: staging directory already exists") from exc
        except OSError as exc:
            raise UsageError(
                f"{output_dir}: cannot create the output directory ({exc.strerror or exc})"
            ) from exc
        return staging

    @property
    def root(self) -> Path:
        return self.output_dir / STAGING_DIR / self.run_id

    @property
    def data_dir(self) -> Path:
        return self.root / self._period_name

    @property
    def quarantine_dir(self) -> Path:
        return self.root / QUARANTINE_DIR / self._period_name

    @property
    def manifest_path(self) -> Path:
        """The staging copy of the manifest; write it here before `publish()`."""
        return self.root / MANIFESTS_DIR / f"{self._period_name}.json"

    @property
    def _period_name(self) -> str:
        return f"period={self.period}"

    def tier_dir(self, tier_code: str) -> Path:
        """`data_dir/tier=<code>`, created if missing, after checking the code is a safe name."""
        path = self.data_dir / f"tier={validate_tier_code(tier_code)}"
        path.mkdir(exist_ok=True)
        return path

    def publish(self) -> None:
        """Swap the staged period, its quarantine, then its manifest into `output_dir`.

        Each directory moves in by two renames on one filesystem (old target aside into the
        staging root, new one into place); the old copies go when the staging root is removed.
        The quarantine of a run with no invalid rows is not published, but the period's old
        quarantine is still removed, so stale invalid rows never outlive the run that made them.
        """
        self._check_open()
        if not self.manifest_path.is_file():
            raise InternalError(f"{self.manifest_path}: manifest must be written before publish")
        _replace_dir(self.data_dir, self.output_dir / self._period_name, self.root / ".old-data")
        quarantine_target = self.output_dir / QUARANTINE_DIR / self._period_name
        if _has_files(self.quarantine_dir):
            _replace_dir(self.quarantine_dir, quarantine_target, self.root / ".old-quarantine")
        else:
            _move_aside(quarantine_target, self.root / ".old-quarantine")
        manifest_target = self.output_dir / MANIFESTS_DIR / self.manifest_path.name
        manifest_target.parent.mkdir(exist_ok=True)
        os.replace(self.manifest_path, manifest_target)
        _fsync_dir(manifest_target.parent)
        self._remove_root()

    def discard(self) -> None:
        """Remove this run's staging root; the published output is left as it was."""
        self._check_open()
        self._remove_root()

    def _remove_root(self) -> None:
        self._finished = True
        shutil.rmtree(self.root, ignore_errors=True)
        # Leave no empty `_staging` behind; another run's staging root keeps it non-empty.
        try:
            self.root.parent.rmdir()
        except OSError:
            pass

    def _check_open(self) -> None:
        if self._finished:
            raise InternalError(f"{self.root}: staging already published or discarded")


def write_manifest(path: Path, manifest: dict[str, Any]) -> None:
    """Write `manifest` as UTF-8 JSON (keys in insertion order) via a temp file and os.replace.

    The replace means a reader sees the previous manifest or the complete new one, never a
    truncated file. NumPy scalars, datetimes and paths are converted; anything else that JSON
    cannot hold is a TypeError (a bug in the caller, not an input problem).
    """
    path = Path(path)
    text = json.dumps(manifest, ensure_ascii=False, indent=2, default=_json_default) + "\n"
    handle, temp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as temp_file:
            temp_file.write(text)
            temp_file.flush()
            os.fsync(temp_file.fileno())
        os.replace(temp_name, path)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise


def _json_default(value: Any) -> Any:
    if hasattr(value, "dtype") and hasattr(value, "item"):  # NumPy scalar
        return value.item()
    if hasattr(value, "isoformat"):  # datetime, date, time
        return value.isoformat()
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    raise TypeError(f"manifest value of type {type(value).__name__} is not JSON serialisable")


def _replace_dir(new: Path, target: Path, aside: Path) -> None:
    """Put `new` at `target`, moving an existing `target` to `aside` first.

    If the second rename fails, the old directory is put back, so a failed publish leaves the
    previous output in place.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    moved = _move_aside(target, aside)
    try:
        os.rename(new, target)
    except BaseException:
        if moved:
            os.rename(aside, target)
        raise
    _fsync_dir(target.parent)


def _move_aside(target: Path, aside: Path) -> bool:
    """Rename `target` to `aside` if it exists; True if something was moved."""
    try:
        os.rename(target, aside)
    except FileNotFoundError:
        return False
    return True


def _has_files(directory: Path) -> bool:
    return any(path.is_file() for path in directory.rglob("*"))


def _fsync_dir(directory: Path) -> None:
    """Make renames in `directory` durable where the platform allows it (POSIX)."""
    try:
        descriptor = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)
