"""Staging a run's output and publishing it atomically into a local output directory (SPEC §4).

The published layout is what SPEC §4 names, each entry a symbolic link into one version::

    DIR/period=<P>                  -> _versions/period=<P>/current/data
    DIR/_quarantine/period=<P>      -> ../_versions/period=<P>/current/quarantine
    DIR/_manifests/period=<P>.json  -> ../_versions/period=<P>/current/manifest.json

    DIR/_versions/period=<P>/
        .lock                       the run lock of the period (tierline.pipeline.lock)
        current -> <run_id>         THE commit point: which version readers see
        previous -> <run_id>        the version before, kept until the next publish
        <run_id>/data/tier=<code>/part-<NNNNN>-<run_id>.parquet
        <run_id>/quarantine/part-<NNNNN>-<run_id>.parquet
        <run_id>/manifest.json

A run writes its version directory (that is its staging), writes the manifest into it last, and
publishes by one `rename(2)` of a new `current` link over the old one. That rename switches the
data, the quarantine and the manifest together, and the period is never missing: before it,
every path resolves to the old version; after it, to the new one. The three public links never
change once made (a run makes any that is missing before the commit point). Part files carry the
run id in their name, so a reader that listed the old files and opens one after the swap gets
"file not found", never the new version's file of the same name: a mix is impossible, and a
retry reads the new version whole. The previous version stays on disk until the next publish,
for readers holding its files open or its resolved path.

A killed run leaves at most an unfinished version directory (or a `.current-<run_id>` link not
yet renamed); `recover()` (`tierline/pipeline/recovery.py`), which every run calls under the
period's lock before it starts, removes them, finishes an interrupted migration from the old layout (real directories in place
of the links, and the `_staging/` of tierline ≤ 0.1, whose killed runs could leave a period
missing), and says what it did. Everything tierline keeps beside the data starts with `_`, which
Hive-style readers (pyarrow.dataset, Spark, DuckDB's `period=*/tier=*/*.parquet` glob) skip.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import sys
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tierline.pipeline.signals import critical_section
from tierline.errors import InternalError, UsageError

__all__ = ["PeriodPaths", "Staging", "part_file_name", "periods_with_versions", "validate_period", "validate_tier_code", "write_manifest"]

VERSIONS_DIR = "_versions"
QUARANTINE_DIR = "_quarantine"
MANIFESTS_DIR = "_manifests"
LEGACY_STAGING_DIR = "_staging"  # tierline ≤ 0.1 staged here and published by several renames
CURRENT = "current"
PREVIOUS = "previous"
LOCK_FILE = ".lock"
MANIFEST_FILE = "manifest.json"
DATA = "data"
QUARANTINE = "quarantine"
LEGACY_PREFIX = "legacy-"

_PERIOD = re.compile(r"[A-Za-z0-9_.-]{1,64}")
# Tier codes become directory names (SPEC §2.5); the pattern admits no `.`, so never `..`.
_TIER_CODE = re.compile(r"[A-Za-z0-9_-]{1,32}")


def part_file_name(index: int, run_id: str) -> str:
    """A part file's name: the partition's number, then the run id (see the module docstring)."""
    return f"part-{index:05d}-{run_id}.parquet"


def validate_period(period: str) -> str:
    """Return `period` if it is safe as a `period=<P>` directory name, else raise UsageError."""
    # fullmatch, not `$`: `$` would accept a trailing newline.
    if not is_period(period):
        raise UsageError(
            f"--period {period!r}: must be 1-64 letters, digits, '_', '.' or '-' "
            "(and not '.' or '..'), e.g. 2026-05"
        )
    return period


def is_period(text: str) -> bool:
    """Whether `text` is a valid period name (a directory found on disk may not be)."""
    return isinstance(text, str) and bool(_PERIOD.fullmatch(text)) and text not in (".", "..")


def validate_tier_code(tier_code: str) -> str:
    """Return `tier_code` if it matches ^[A-Za-z0-9_-]{1,32}$, else raise ValueError.

    Codes can come from data-derived names, so this is the guard that keeps `..` and `/` out of
    the output tree.
    """
    if not isinstance(tier_code, str) or not _TIER_CODE.fullmatch(tier_code):
        raise ValueError(f"tier code {tier_code!r} must match ^[A-Za-z0-9_-]{{1,32}}$")
    return tier_code


def _validate_run_id(run_id: str) -> str:
    if (not isinstance(run_id, str) or not _PERIOD.fullmatch(run_id) or run_id in (".", "..")
            or run_id in (CURRENT, PREVIOUS) or run_id.startswith((".", LEGACY_PREFIX))):
        raise ValueError(f"run id {run_id!r} must match ^[A-Za-z0-9_.-]{{1,64}}$ (not current, previous, "
                         f"legacy-*, or starting with '.')")
    return run_id


def failpoint(name: str) -> None:
    """Test hooks at the steps of the protocol (tests/functional/faults/test_kill.py and friends):
    `TIERLINE_KILL_AT=<name>` SIGKILLs the process here; `TIERLINE_PAUSE_AT=<name>:<seconds>` sleeps."""
    if os.environ.get("TIERLINE_KILL_AT") == name:
        import signal

        os.kill(os.getpid(), signal.SIGKILL)
    pause = os.environ.get("TIERLINE_PAUSE_AT", "")
    if pause.rpartition(":")[0] == name:
        time.sleep(float(pause.rpartition(":")[2]))


@dataclass(frozen=True)
class PeriodPaths:
    """Every path of one period in an output directory."""

    output_dir: Path
    period: str

    @property
    def _name(self) -> str:
        return f"period={self.period}"

    @property
    def versions(self) -> Path:
        return self.output_dir / VERSIONS_DIR / self._name

    @property
    def lock(self) -> Path:
        return self.versions / LOCK_FILE

    @property
    def current(self) -> Path:
        return self.versions / CURRENT

    @property
    def previous(self) -> Path:
        return self.versions / PREVIOUS

    @property
    def data_link(self) -> Path:
        return self.output_dir / self._name

    @property
    def quarantine_link(self) -> Path:
        return self.output_dir / QUARANTINE_DIR / self._name

    @property
    def manifest_link(self) -> Path:
        return self.output_dir / MANIFESTS_DIR / f"{self._name}.json"

    def links(self) -> list[tuple[Path, str]]:
        """(public link, its relative target) for the data, quarantine and manifest."""
        inside = f"{VERSIONS_DIR}/{self._name}/{CURRENT}"
        return [(self.data_link, f"{inside}/{DATA}"),
                (self.quarantine_link, f"../{inside}/{QUARANTINE}"),
                (self.manifest_link, f"../{inside}/{MANIFEST_FILE}")]

    def current_version(self) -> str | None:
        return read_link(self.current)

    def previous_version(self) -> str | None:
        return read_link(self.previous)


@dataclass
class Staging:
    """One run's version directory, `DIR/_versions/period=<P>/<run_id>/`, written while the run holds
    the period's lock. Nothing readers see changes until `publish()`; `discard()` removes it, and
    `reject()` keeps it (a validation-policy failure, for inspection) until the next run of the period.
    """

    paths: PeriodPaths
    run_id: str
    _finished: bool = field(default=False, init=False, repr=False)

    @classmethod
    def create(cls, output_dir: Path, period: str, run_id: str) -> Staging:
        """Make the version directory for `run_id`; it must not exist already."""
        validate_period(period)
        _validate_run_id(run_id)
        staging = cls(PeriodPaths(Path(output_dir).absolute(), period), run_id)
        try:
            staging.paths.versions.mkdir(parents=True, exist_ok=True)
            staging.root.mkdir()
            staging.data_dir.mkdir()
            staging.quarantine_dir.mkdir()
        except FileExistsError as exc:
            raise InternalError(f"{staging.root}: staging directory already exists") from exc
        except OSError as exc:
            raise UsageError(
                f"{output_dir}: cannot create the output directory ({exc.strerror or exc})"
            ) from exc
        return staging

    @property
    def output_dir(self) -> Path:
        return self.paths.output_dir

    @property
    def period(self) -> str:
        return self.paths.period

    @property
    def root(self) -> Path:
        return self.paths.versions / self.run_id

    @property
    def data_dir(self) -> Path:
        return self.root / DATA

    @property
    def quarantine_dir(self) -> Path:
        return self.root / QUARANTINE

    @property
    def manifest_path(self) -> Path:
        """Write the manifest here before `publish()`."""
        return self.root / MANIFEST_FILE

    @property
    def finished(self) -> bool:
        """Published, discarded or rejected: nothing more to do with this version."""
        return self._finished

    def publish(self) -> None:
        """Make this version the period's, in one rename, then drop the versions before the previous."""
        self._check_open()
        if not self.manifest_path.is_file():
            raise InternalError(f"{self.manifest_path}: manifest must be written before publish")
        _fsync_tree(self.root)
        with critical_section():  # a signal now waits: the run ends published whole, or not at all
            failpoint("publish:before-commit")
            old = commit_version(self.paths, self.run_id)
            self._finished = True
            failpoint("publish:after-commit")
            ensure_links(self.paths)  # made once, by the first publish of the period
            failpoint("publish:after-links")
            if old is not None and old != self.run_id:
                point_link(self.paths.previous, old)
            failpoint("publish:after-previous")
        try:  # published: what is left is tidying, which the next run also does
            remove_versions(self.paths, keep={self.run_id, old})
        except OSError as error:
            print(f"tierline: published; an older version of period {self.period} stays until the next "
                  f"run ({error.strerror or error})", file=sys.stderr)

    def discard(self) -> None:
        """Remove this run's version directory; the published output is left as it was."""
        self._check_open()
        self._finished = True
        remove_tree(self.root)

    def reject(self) -> None:
        """Leave the version unpublished on disk for inspection; the next run of the period removes it."""
        self._check_open()
        self._finished = True

    def _check_open(self) -> None:
        if self._finished:
            raise InternalError(f"{self.root}: staging already published or discarded")


def periods_with_versions(output_dir: Path) -> list[str]:
    """The periods that have a `_versions/period=<P>` directory in `output_dir`."""
    try:
        names = os.listdir(Path(output_dir) / VERSIONS_DIR)
    except OSError:
        return []
    return sorted(name.removeprefix("period=") for name in names
                  if name.startswith("period=") and _PERIOD.fullmatch(name.removeprefix("period=")))


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


# --- the commit and its links ------------------------------------------------------------------


def commit_version(paths: PeriodPaths, run_id: str) -> str | None:
    """Point `current` at `run_id` by one rename; return the version it pointed at before."""
    old = paths.current_version()
    point_link(paths.current, run_id)
    return old


def point_link(link: Path, target: str) -> None:
    """Make `link` a symlink to `target` atomically: a new link beside it, renamed over it."""
    temporary = link.with_name(f".{link.name}-{os.getpid()}-{secrets.token_hex(4)}")
    os.symlink(target, temporary)
    os.replace(temporary, link)
    fsync_dir(link.parent)


def ensure_links(paths: PeriodPaths) -> None:
    """Make any missing public link. They are made after the period's first commit (so a link never
    dangles) and never change after that; one pointing elsewhere (a hand edit) is put right."""
    for link, target in paths.links():
        if read_link(link) != target:
            link.parent.mkdir(exist_ok=True)
            point_link(link, target)


def read_link(link: Path) -> str | None:
    try:
        return os.readlink(link)
    except (FileNotFoundError, OSError):
        return None


def remove_versions(paths: PeriodPaths, keep: Iterable[str | None]) -> list[str]:
    """Remove every version directory and stray temporary link of the period not in `keep`."""
    kept = {name for name in keep if name}
    removed = []
    try:
        names = os.listdir(paths.versions)
    except FileNotFoundError:
        return removed
    for name in names:
        path = paths.versions / name
        if name in (CURRENT, PREVIOUS, LOCK_FILE) or name in kept:
            continue
        if name.startswith("."):  # `.current-<run>` / `.previous-<run>` of a killed commit
            path.unlink(missing_ok=True)
            continue
        remove_tree(path)
        removed.append(name)
    return removed


def remove_tree(path: Path) -> None:
    """rmtree that tolerates a task finishing a write meanwhile (it retries once the task is gone)."""
    for attempt in range(5):
        try:
            shutil.rmtree(path)
            return
        except FileNotFoundError:
            return
        except OSError:
            if attempt == 4:
                raise
            time.sleep(0.2)


# --- the layouts of tierline ≤ 0.1 ---------------------------------------------------------------


def listdir(directory: Path) -> list[str]:
    try:
        return sorted(os.listdir(directory))
    except (FileNotFoundError, NotADirectoryError):
        return []


# --- durability ----------------------------------------------------------------------------------


def _fsync_tree(root: Path) -> None:
    """fsync every file and directory under `root`, so the commit never points at data a power
    cut could still lose (a killed process loses nothing: the page cache survives it)."""
    for directory, _, files in os.walk(root):
        for name in files:
            descriptor = os.open(os.path.join(directory, name), os.O_RDONLY)
            try:
                os.fsync(descriptor)
            finally:
                os.close(descriptor)
        fsync_dir(Path(directory))


def fsync_dir(directory: Path) -> None:
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
