"""Recovery of a period after a killed run, and migration from tierline 0.1's layout.

`recover` runs at the start of every run with the period's lock held (`tierline/pipeline/run.py`); it
leaves the period as the protocol of `tierline/pipeline/publish.py` describes it: one published version,
its links, and nothing unfinished.
"""

from __future__ import annotations

import datetime as dt
import os

from tierline.pipeline.signals import critical_section


from tierline.pipeline.publish import (
    MANIFESTS_DIR, QUARANTINE_DIR, VERSIONS_DIR, commit_version, write_manifest, DATA, LEGACY_PREFIX, LEGACY_STAGING_DIR, MANIFEST_FILE, QUARANTINE, PeriodPaths,
    ensure_links, fsync_dir, listdir, point_link, read_link, remove_tree, remove_versions,
)


def recover(paths: PeriodPaths, *, keep_rejected: bool = False) -> list[str]:
    """Put the period right after a killed run (call with the period's lock held); what was done.

    - a period still in the old layout (real directories) is moved into a version and linked;
    - a `_staging/<run>` of tierline ≤ 0.1 killed mid-publish is rolled back or forward;
    - a missing public link is made again (a run killed before its first commit made them all);
    - unfinished versions, and `.current-*` links not yet renamed, are removed; so are rejected
      versions (a manifest but never published), unless `keep_rejected` (a run tidying another
      period keeps them for inspection until that period's own next run).
    """
    notes = _recover_legacy_staging(paths)
    notes += _adopt_copied_links(paths)
    notes += _migrate_old_layout(paths)
    if paths.versions.is_dir():
        if paths.current_version() is not None:
            missing = [str(link.relative_to(paths.output_dir)) for link, target in paths.links()
                       if read_link(link) != target]
            ensure_links(paths)
            if missing:
                notes.append(f"recovered: linked {', '.join(missing)} to the published version again")
        keep = {paths.current_version(), paths.previous_version()}
        if keep_rejected:
            keep |= {name for name in listdir(paths.versions) if (paths.versions / name / MANIFEST_FILE).is_file()}
        removed = remove_versions(paths, keep=keep)
        if removed:
            notes.append(f"recovered: removed {len(removed)} unpublished run(s) of period {paths.period} "
                         f"({', '.join(sorted(removed))}: killed, failed or rejected)")
    return notes


def _migrate_old_layout(paths: PeriodPaths) -> list[str]:
    """Move a period published as real directories (tierline ≤ 0.1) into a version and link it.

    Resumable: a migration killed half-way left a `legacy-*` version that is not yet current,
    and the next run moves what remains into it and commits it.
    """
    real = [(link, part) for (link, _), part in zip(paths.links(), (DATA, QUARANTINE, MANIFEST_FILE))
            if os.path.lexists(link) and not os.path.islink(link)]
    # A migration killed before its commit: the period has a legacy version and no current one.
    pending = ([name for name in listdir(paths.versions) if name.startswith(LEGACY_PREFIX)]
               if paths.current_version() is None else [])
    if not real and not pending:
        return []
    paths.versions.mkdir(parents=True, exist_ok=True)
    name = pending[0] if pending else LEGACY_PREFIX + dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%S.%fZ")
    version = paths.versions / name
    version.mkdir(exist_ok=True)
    for link, part in real:
        os.replace(link, version / part)
    for part in (DATA, QUARANTINE):
        (version / part).mkdir(exist_ok=True)
    if not (version / MANIFEST_FILE).exists():
        write_manifest(version / MANIFEST_FILE, {"period": paths.period, "run_id": None,
                                                 "note": "published by tierline <= 0.1 without a manifest"})
    fsync_dir(version)
    with critical_section():
        old = commit_version(paths, name)
        if old is not None and old != name:
            point_link(paths.previous, old)
        ensure_links(paths)
    return [f"recovered: period {paths.period} moved from the old layout into {VERSIONS_DIR}/period={paths.period}/{name}"]


def _adopt_copied_links(paths: PeriodPaths) -> list[str]:
    """A copy of an output made without keeping symlinks (`shutil.copytree`, `cp -L`) has real
    `current` and `previous` directories: `current`'s content becomes a version again (it is what
    the links showed), `previous` goes."""
    notes = []
    if paths.previous.is_dir() and not paths.previous.is_symlink():
        remove_tree(paths.previous)
    if paths.current.is_dir() and not paths.current.is_symlink():
        name = LEGACY_PREFIX + dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%S.%fZ")
        os.replace(paths.current, paths.versions / name)
        with critical_section():
            commit_version(paths, name)
        notes.append(f"recovered: period {paths.period} had a copied `current` directory; it is version {name} now")
    return notes


def _recover_legacy_staging(paths: PeriodPaths) -> list[str]:
    """Finish or undo a publish of tierline ≤ 0.1 killed between its renames, for this period.

    Its publish moved `period=P` aside into `_staging/<run>/.old-data`, then the staged
    `_staging/<run>/period=P` into place, then the quarantine, then the manifest. Killed before
    the second rename, the old data is put back; after it, the staged quarantine and manifest
    follow (the run had passed its policy, so rolling forward is what it was doing).
    """
    notes = []
    root = paths.output_dir / LEGACY_STAGING_DIR
    name = f"period={paths.period}"
    for run in listdir(root):
        staged = root / run
        parts = {"data": staged / name, "quarantine": staged / QUARANTINE_DIR / name,
                 "manifest": staged / MANIFESTS_DIR / f"{name}.json"}
        if not any(os.path.lexists(path) for path in parts.values()):
            continue  # another period's, or a publish that completed all its renames
        old_data = staged / ".old-data"
        if os.path.lexists(parts["data"]) and old_data.is_dir() and not os.path.lexists(paths.data_link):
            os.replace(old_data, paths.data_link)
            notes.append(f"recovered: period {paths.period} restored from a killed run's {LEGACY_STAGING_DIR}/{run}")
        elif not os.path.lexists(parts["data"]) and parts["manifest"].exists():
            if os.path.lexists(parts["quarantine"]):
                remove_tree(paths.quarantine_link)
                paths.quarantine_link.parent.mkdir(exist_ok=True)
                os.replace(parts["quarantine"], paths.quarantine_link)
            paths.manifest_link.parent.mkdir(exist_ok=True)
            os.replace(parts["manifest"], paths.manifest_link)
            notes.append(f"recovered: finished the publish of period {paths.period} that a killed run "
                         f"began ({LEGACY_STAGING_DIR}/{run})")
        else:
            notes.append(f"recovered: removed the unfinished run {LEGACY_STAGING_DIR}/{run}")
        remove_tree(staged)
    try:
        root.rmdir()
    except OSError:
        pass
    return notes
