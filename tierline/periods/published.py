"""Reading what `tierline run` published: one period of an output directory, pinned to one version.

`tierline diff` and `tierline report` read periods through `open_period`. It resolves the period's
`current` link once (`tierline/pipeline/publish.py`) and from then on reads that version's own
manifest, part files and quarantine, so a publish that lands meanwhile cannot mix two versions into
one report: the previous version stays on disk until the next publish. Directories in the layout of
tierline ≤ 0.1 (real `period=<P>` directories, no `_versions/`) are read in place.

What a reader needs of the scorecard comes from the manifest's `grading` section
(`tierline.pipeline.manifest.grading_facts`), not from the scorecard file, which may have moved or
changed since. A manifest written before that section existed is read together with the scorecard
file it names, if that file still has the manifest's sha256.

Every problem is one line: a missing directory or period is an input error (exit 3), a malformed
period name a usage error (exit 2).
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tierline.errors import InputError
from tierline.pipeline.publish import (DATA, MANIFEST_FILE, MANIFESTS_DIR, QUARANTINE, QUARANTINE_DIR,
                                       PeriodPaths, is_period, validate_period)

__all__ = ["PublishedPeriod", "TierFact", "open_period", "list_periods", "previous_period", "period_sort_key"]


@dataclass(frozen=True)
class TierFact:
    code: str
    label: str
    rank: int  # 1 = first in the scorecard's tier table


@dataclass(frozen=True)
class PublishedPeriod:
    """One period as published: its manifest, and the files of the version it names.

    `scored_files` are the part files under `tier=<code>/` directories (read them with Hive
    partitioning and `tier` as a string: a code such as `1` is still text); `quarantine_files`
    the quarantined rows with their `errors`. Both may be empty lists (a period whose every row
    was quarantined, or none).
    """

    output_dir: Path
    period: str
    manifest: dict[str, Any]
    grading: dict[str, Any]
    data_dir: Path
    scored_files: tuple[str, ...]
    quarantine_files: tuple[str, ...]

    @property
    def scorecard_name(self) -> str:
        return self.manifest["scorecard"]["name"]

    @property
    def scorecard_version(self) -> int:
        return self.manifest["scorecard"]["version"]

    @property
    def scorecard_sha256(self) -> str:
        return self.manifest["scorecard"]["sha256"]

    @property
    def key(self) -> str:
        return self.grading["key"]

    @property
    def tiers(self) -> tuple[TierFact, ...]:
        """The tier table in rank order."""
        return tuple(TierFact(t["code"], t["label"], int(t["rank"]))
                     for t in sorted(self.grading["tiers"], key=lambda t: t["rank"]))

    def describe(self) -> str:
        """`loan_five_class v2 (sha256 1a2b3c4d…)`: how messages name the scorecard of a period."""
        return f"{self.scorecard_name} v{self.scorecard_version} (sha256 {self.scorecard_sha256[:12]})"


def open_period(output_dir: str | os.PathLike[str], period: str) -> PublishedPeriod:
    """The published `period` of `output_dir`, or InputError (exit 3) naming what is missing."""
    validate_period(period)
    root = Path(output_dir)
    if not root.is_dir():
        raise InputError(f"{root}: no such output directory" if not root.exists()
                         else f"{root}: not a directory")
    paths = PeriodPaths(root, period)
    if os.path.lexists(paths.current):
        try:
            version = paths.versions / os.readlink(paths.current)
        except OSError as error:
            raise InputError(f"{paths.current}: cannot read the period's current version: {error.strerror}") from None
        manifest_path, data_dir, quarantine_dir = version / MANIFEST_FILE, version / DATA, version / QUARANTINE
    else:  # the layout of tierline ≤ 0.1, or a period never published here
        manifest_path = root / MANIFESTS_DIR / f"period={period}.json"
        data_dir, quarantine_dir = root / f"period={period}", root / QUARANTINE_DIR / f"period={period}"
    if not manifest_path.is_file():
        known = list_periods(root)
        hint = f" (periods here: {', '.join(known)})" if known else " (no period has been published here)"
        raise InputError(f"{root}: period {period!r} is not published{hint}")
    manifest = _read_manifest(manifest_path)
    return PublishedPeriod(root, period, manifest, _grading(manifest, manifest_path), data_dir,
                           _parts(data_dir, tiered=True), _parts(quarantine_dir, tiered=False))


def list_periods(output_dir: str | os.PathLike[str]) -> list[str]:
    """The periods published in `output_dir` (those with a manifest), in `period_sort_key` order."""
    manifests = Path(output_dir) / MANIFESTS_DIR
    try:
        names = os.listdir(manifests)
    except OSError:
        return []
    periods = [name[len("period="):-len(".json")] for name in names
               if name.startswith("period=") and name.endswith(".json")]
    return sorted((p for p in periods if is_period(p) and (manifests / f"period={p}.json").exists()),
                  key=period_sort_key)


def previous_period(output_dir: str | os.PathLike[str], period: str) -> str | None:
    """The published period just before `period` in `period_sort_key` order, or None."""
    earlier = [p for p in list_periods(output_dir) if period_sort_key(p) < period_sort_key(period)]
    return earlier[-1] if earlier else None


_DIGITS = re.compile(r"(\d+)")


def period_sort_key(period: str) -> tuple[tuple[int, int | str], ...]:
    """Periods order by their text with runs of digits compared as numbers.

    `2026-09` < `2026-10`, `2026Q3` < `2026Q4`, `202611` < `202612`, and also `2026-9` < `2026-10`,
    which a plain string sort would put the other way round.
    """
    return tuple((0, int(part)) if part.isdigit() else (1, part) for part in _DIGITS.split(period) if part)


def _read_manifest(path: Path) -> dict[str, Any]:
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise InputError(f"{path}: cannot read the manifest: {error.strerror}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InputError(f"{path}: the manifest is not valid JSON ({error})") from None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("scorecard"), dict):
        raise InputError(f"{path}: not a tierline manifest (no scorecard section)")
    return manifest


def _grading(manifest: dict[str, Any], manifest_path: Path) -> dict[str, Any]:
    grading = manifest.get("grading")
    if isinstance(grading, dict):
        return grading
    # A manifest from before the grading section: the scorecard file, if it is still the one run.
    from tierline.errors import ScorecardError
    from tierline.pipeline.manifest import grading_facts
    from tierline.scorecard.load import load_scorecard

    card = manifest["scorecard"]
    try:
        scorecard = load_scorecard(card.get("path", ""))
    except (ScorecardError, OSError):
        scorecard = None
    if scorecard is None or scorecard.sha256 != card.get("sha256"):
        raise InputError(f"{manifest_path}: the manifest predates its grading section and the scorecard "
                         f"{card.get('path')!r} is gone or changed since the run: rerun the period")
    return grading_facts(scorecard)


def _parts(directory: Path, *, tiered: bool) -> tuple[str, ...]:
    """The part files under `directory` (in `tier=<code>/` subdirectories when `tiered`), sorted."""
    if not directory.is_dir():
        return ()
    found: list[str] = []
    try:
        subdirs = sorted(e for e in os.listdir(directory) if e.startswith("tier=")) if tiered else [""]
        for sub in subdirs:
            folder = directory / sub
            found.extend(str(folder / name) for name in sorted(os.listdir(folder))
                         if name.endswith(".parquet") and not name.startswith((".", "_")))
    except OSError as error:
        raise InputError(f"{directory}: cannot list the period's files: {error.strerror}") from None
    return tuple(found)
