"""Staging, atomic publish and recovery of one period (tierline.pipeline.publish), and the run lock (tierline.pipeline.lock)."""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from tierline.pipeline.lock import PeriodLock
from tierline.pipeline.publish import PeriodPaths, Staging, part_file_name, validate_period, write_manifest
from tierline.pipeline.recovery import recover
from tierline.errors import InternalError, UsageError


def files_under(directory: Path) -> list[str]:
    """Files below `directory` as a reader sees them (through the published links)."""
    found = []
    for root, _, names in os.walk(directory, followlinks=True):
        found += [str((Path(root) / name).relative_to(directory)) for name in names]
    return sorted(found)


def visible(output: Path) -> list[str]:
    """What SPEC §4 readers see: the period, quarantine and manifest paths, not `_versions`."""
    return [path for path in files_under(output) if not path.startswith("_versions/")]


def stage_run(
    output: Path, period: str, run_id: str, tiers: dict[str, int], quarantined: int = 0
) -> Staging:
    """A staged run with `tiers[code]` rows per tier, `quarantined` invalid rows and a manifest."""
    staging = Staging.create(output, period, run_id)
    for code, rows in tiers.items():
        table = pa.table({"id": pa.array(range(rows), pa.int64()), "run_id": [run_id] * rows})
        (staging.data_dir / f"tier={code}").mkdir()
        pq.write_table(table, staging.data_dir / f"tier={code}" / part_file_name(0, run_id))
    if quarantined:
        table = pa.table({"id": pa.array(range(quarantined), pa.int64())})
        pq.write_table(table, staging.quarantine_dir / part_file_name(0, run_id))
    write_manifest(staging.manifest_path, {"run_id": run_id, "period": period})
    return staging


def read_manifest(output: Path, period: str) -> dict:
    return json.loads((output / "_manifests" / f"period={period}.json").read_text())


def test_create_layout(tmp_path: Path) -> None:
    staging = Staging.create(tmp_path / "out", "2026-05", "r1")

    assert staging.root == tmp_path / "out" / "_versions" / "period=2026-05" / "r1"
    assert staging.data_dir == staging.root / "data"
    assert staging.quarantine_dir == staging.root / "quarantine"
    assert staging.manifest_path == staging.root / "manifest.json"
    assert staging.data_dir.is_dir() and staging.quarantine_dir.is_dir()
    assert not (tmp_path / "out" / "period=2026-05").exists(), "nothing visible before publish"


def test_first_publish_links_the_spec_paths_to_the_version(tmp_path: Path) -> None:
    out = tmp_path / "out"
    stage_run(out, "p1", "r1", {"A": 2, "B": 3}, quarantined=1).publish()

    assert visible(out) == [
        "_manifests/period=p1.json",
        "_quarantine/period=p1/part-00000-r1.parquet",
        "period=p1/tier=A/part-00000-r1.parquet",
        "period=p1/tier=B/part-00000-r1.parquet",
    ]
    assert os.readlink(out / "period=p1") == "_versions/period=p1/current/data"
    assert os.readlink(out / "_quarantine" / "period=p1") == "../_versions/period=p1/current/quarantine"
    assert os.readlink(out / "_manifests" / "period=p1.json") == "../_versions/period=p1/current/manifest.json"
    assert os.readlink(out / "_versions" / "period=p1" / "current") == "r1"
    assert not (out / "_staging").exists()


def test_republish_replaces_whole_period_keeps_previous_and_leaves_others(tmp_path: Path) -> None:
    out = tmp_path / "out"
    stage_run(out, "p1", "r1", {"A": 2, "B": 3, "C": 1}, quarantined=2).publish()
    stage_run(out, "p0", "r0", {"A": 5}, quarantined=1).publish()
    other_before = files_under(out / "period=p0")

    stage_run(out, "p1", "r2", {"A": 4}, quarantined=1).publish()

    assert files_under(out / "period=p1") == ["tier=A/part-00000-r2.parquet"]
    assert pq.read_table(out / "period=p1" / "tier=A").column("run_id").to_pylist() == ["r2"] * 4
    assert pq.read_table(out / "_quarantine" / "period=p1").num_rows == 1
    assert read_manifest(out, "p1")["run_id"] == "r2"
    assert files_under(out / "period=p0") == other_before
    assert read_manifest(out, "p0")["run_id"] == "r0"
    # the version before stays for readers that resolved it, until the next publish
    versions = out / "_versions" / "period=p1"
    assert os.readlink(versions / "previous") == "r1" and (versions / "r1" / "data").is_dir()

    stage_run(out, "p1", "r3", {"B": 1}).publish()

    assert sorted(os.listdir(versions)) == ["current", "previous", "r2", "r3"]
    assert os.readlink(versions / "previous") == "r2"


def test_clean_run_empties_the_quarantine(tmp_path: Path) -> None:
    out = tmp_path / "out"
    stage_run(out, "p1", "r1", {"A": 1}, quarantined=3).publish()

    stage_run(out, "p1", "r2", {"A": 1}, quarantined=0).publish()

    assert list((out / "_quarantine" / "period=p1").iterdir()) == []


def test_staging_of_another_period_survives_publish(tmp_path: Path) -> None:
    out = tmp_path / "out"
    kept = Staging.create(out, "p2", "kept")

    stage_run(out, "p1", "r1", {"A": 1}).publish()

    assert kept.root.is_dir()


def test_publish_needs_a_manifest_and_happens_once(tmp_path: Path) -> None:
    out = tmp_path / "out"
    staging = Staging.create(out, "p1", "r1")
    with pytest.raises(InternalError, match="manifest"):
        staging.publish()
    assert not (out / "period=p1").exists()

    write_manifest(staging.manifest_path, {"run_id": "r1"})
    staging.publish()
    with pytest.raises(InternalError, match="already"):
        staging.publish()


def test_discard_leaves_published_output(tmp_path: Path) -> None:
    out = tmp_path / "out"
    stage_run(out, "p1", "r1", {"A": 2}).publish()
    published = files_under(out)

    failed = stage_run(out, "p1", "r2", {"B": 1}, quarantined=1)
    assert failed.root.is_dir()
    failed.discard()

    assert files_under(out) == published


def test_rejected_version_stays_until_the_next_run_recovers_the_period(tmp_path: Path) -> None:
    out = tmp_path / "out"
    stage_run(out, "p1", "r1", {"A": 2}).publish()
    rejected = stage_run(out, "p1", "r2", {"B": 1}, quarantined=1)
    rejected.reject()
    assert visible(out) == ["_manifests/period=p1.json", "period=p1/tier=A/part-00000-r1.parquet"]
    assert rejected.quarantine_dir.is_dir()

    notes = recover(PeriodPaths(out, "p1"))

    assert not rejected.root.exists()
    assert len(notes) == 1 and "r2" in notes[0]
    assert visible(out) == ["_manifests/period=p1.json", "period=p1/tier=A/part-00000-r1.parquet"]


def test_recovery_removes_unfinished_versions_and_stray_links(tmp_path: Path) -> None:
    out = tmp_path / "out"
    stage_run(out, "p1", "r1", {"A": 2}).publish()
    before = visible(out)
    versions = out / "_versions" / "period=p1"
    stage_run(out, "p1", "killed", {"B": 9})  # never published
    os.symlink("killed", versions / ".current-1234-abcd")  # a commit killed before its rename

    recover(PeriodPaths(out, "p1"))

    assert sorted(os.listdir(versions)) == ["current", "r1"]
    assert visible(out) == before


def test_recovery_relinks_a_missing_public_link(tmp_path: Path) -> None:
    """A first publish killed between its commit and the links it makes."""
    out = tmp_path / "out"
    stage_run(out, "p1", "r1", {"A": 2}, quarantined=1).publish()
    before = visible(out)
    (out / "period=p1").unlink()
    (out / "_manifests" / "period=p1.json").unlink()

    notes = recover(PeriodPaths(out, "p1"))

    assert visible(out) == before
    assert "period=p1" in notes[0] and "_manifests/period=p1.json" in notes[0]


def _old_layout(out: Path, period: str, run_id: str, rows: int) -> None:
    """A period as tierline 0.1 published it: real directories at the SPEC §4 paths."""
    (out / f"period={period}" / "tier=A").mkdir(parents=True)
    pq.write_table(pa.table({"id": list(range(rows))}), out / f"period={period}" / "tier=A" / "part-00000.parquet")
    (out / "_quarantine" / f"period={period}").mkdir(parents=True)
    pq.write_table(pa.table({"id": [0]}), out / "_quarantine" / f"period={period}" / "part-00000.parquet")
    (out / "_manifests").mkdir(exist_ok=True)
    write_manifest(out / "_manifests" / f"period={period}.json", {"run_id": run_id, "period": period})


def test_an_old_layout_period_is_migrated_then_replaced(tmp_path: Path) -> None:
    out = tmp_path / "out"
    _old_layout(out, "p1", "old", rows=3)
    before = visible(out)

    notes = recover(PeriodPaths(out, "p1"))

    assert "old layout" in notes[0]
    assert visible(out) == before
    assert (out / "period=p1").is_symlink()
    assert read_manifest(out, "p1")["run_id"] == "old"

    stage_run(out, "p1", "r2", {"B": 1}).publish()
    assert visible(out) == ["_manifests/period=p1.json", "period=p1/tier=B/part-00000-r2.parquet"]


def test_a_migration_killed_half_way_resumes(tmp_path: Path) -> None:
    out = tmp_path / "out"
    _old_layout(out, "p1", "old", rows=3)
    before = visible(out)
    # killed after moving the data into the legacy version, before moving the rest and committing
    legacy = out / "_versions" / "period=p1" / "legacy-20260101T000000.000000Z"
    legacy.mkdir(parents=True)
    os.replace(out / "period=p1", legacy / "data")

    recover(PeriodPaths(out, "p1"))

    assert visible(out) == before
    assert os.readlink(out / "_versions" / "period=p1" / "current") == legacy.name


@pytest.mark.parametrize("killed_after", ["staged", "data aside", "data swapped", "quarantine swapped"])
def test_a_legacy_publish_killed_between_renames_is_put_right(tmp_path: Path, killed_after: str) -> None:
    """tierline 0.1 published by renames: period aside into `_staging/<run>/.old-data`, staged period
    in, quarantine likewise, manifest last. Whatever rename it was killed after, the next run sees
    the old period or the new one, whole, and no `_staging`."""
    out = tmp_path / "out"
    _old_layout(out, "p1", "old", rows=3)
    old = visible(out)
    staged = out / "_staging" / "run2"
    (staged / "period=p1" / "tier=B").mkdir(parents=True)
    pq.write_table(pa.table({"id": [7, 8]}), staged / "period=p1" / "tier=B" / "part-00000.parquet")
    (staged / "_quarantine" / "period=p1").mkdir(parents=True)
    (staged / "_manifests").mkdir()
    write_manifest(staged / "_manifests" / "period=p1.json", {"run_id": "run2", "period": "p1"})
    steps = ["staged", "data aside", "data swapped", "quarantine swapped"]
    if steps.index(killed_after) >= 1:
        os.rename(out / "period=p1", staged / ".old-data")
    if steps.index(killed_after) >= 2:
        os.rename(staged / "period=p1", out / "period=p1")
    if steps.index(killed_after) >= 3:
        os.rename(out / "_quarantine" / "period=p1", staged / ".old-quarantine")
        os.rename(staged / "_quarantine" / "period=p1", out / "_quarantine" / "period=p1")

    recover(PeriodPaths(out, "p1"))

    new = ["_manifests/period=p1.json", "period=p1/tier=B/part-00000.parquet"]
    assert visible(out) == (old if steps.index(killed_after) < 2 else new)
    assert read_manifest(out, "p1")["run_id"] == ("old" if steps.index(killed_after) < 2 else "run2")
    assert not (out / "_staging").exists()


def test_a_dereferenced_copy_of_the_output_heals(tmp_path: Path) -> None:
    """`shutil.copytree` (or `cp -rL`) copies links as directories; the copy still publishes."""
    out = tmp_path / "out"
    stage_run(out, "p1", "r1", {"A": 2}, quarantined=1).publish()
    stage_run(out, "p1", "r2", {"A": 3}).publish()
    copy = tmp_path / "copy"
    shutil.copytree(out, copy)
    before = visible(copy)

    recover(PeriodPaths(copy, "p1"))
    assert visible(copy) == before
    stage_run(copy, "p1", "r3", {"C": 1}).publish()

    assert visible(copy) == ["_manifests/period=p1.json", "period=p1/tier=C/part-00000-r3.parquet"]


def test_hive_readers_see_only_published_tiers(tmp_path: Path) -> None:
    out = tmp_path / "out"
    stage_run(out, "p1", "r1", {"A": 2, "B": 3}, quarantined=4).publish()
    stage_run(out, "p1", "r2", {"C": 4})  # a run of the same period still staging
    Staging.create(out, "p2", "in-flight")  # and of another

    dataset = ds.dataset(out, format="parquet", partitioning="hive")
    table = dataset.to_table()

    assert table.num_rows == 5
    assert sorted(set(table.column("tier").to_pylist())) == ["A", "B"]


@pytest.mark.parametrize("period", ["2026-05", "2026.Q1", "p_1", "a" * 64, "..x", ".x"])
def test_good_periods(period: str) -> None:
    assert validate_period(period) == period


@pytest.mark.parametrize(
    "period", ["", ".", "..", "a/b", "a b", "a" * 65, "2026-05\n", "周期", "p=1", "../x"]
)
def test_bad_periods(period: str) -> None:
    with pytest.raises(UsageError, match="--period"):
        validate_period(period)


def test_create_checks_period(tmp_path: Path) -> None:
    with pytest.raises(UsageError):
        Staging.create(tmp_path, "..", "r1")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("run_id", ["../r", "current", "previous", "legacy-1", ".hidden", ""])
def test_bad_run_id(tmp_path: Path, run_id: str) -> None:
    with pytest.raises(ValueError, match="run id"):
        Staging.create(tmp_path, "p1", run_id)


def test_duplicate_run_id_is_refused(tmp_path: Path) -> None:
    Staging.create(tmp_path, "p1", "r1")
    with pytest.raises(InternalError, match="already exists"):
        Staging.create(tmp_path, "p1", "r1")


def test_output_that_is_a_file_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    with pytest.raises(UsageError, match="file: cannot create"):
        Staging.create(tmp_path / "file", "p1", "r1")


def test_write_manifest_utf8_in_order_and_replaces(tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    path.write_text("old")

    manifest = {"zeta": 1, "tier_label": "A类设备", "count": np.int64(7), "path": tmp_path}
    write_manifest(path, manifest)

    text = path.read_text(encoding="utf-8")
    assert "A类设备" in text
    assert list(json.loads(text)) == ["zeta", "tier_label", "count", "path"]
    assert json.loads(text)["count"] == 7
    assert text.startswith('{\n  "zeta": 1,')
    assert [p.name for p in tmp_path.iterdir()] == ["m.json"]


def test_write_manifest_failure_leaves_old_file(tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    path.write_text('{"old": true}')

    with pytest.raises(TypeError):
        write_manifest(path, {"bad": object()})

    assert path.read_text() == '{"old": true}'
    assert [p.name for p in tmp_path.iterdir()] == ["m.json"]


# --- the lock ----------------------------------------------------------------------------------


def _hold(path: str, ready, release) -> None:  # a process that holds the lock until told
    lock = PeriodLock.acquire(Path(path), "holder-run", 0)
    ready.set()
    release.wait(30)
    lock.release()


def test_a_held_lock_names_its_holder_and_a_dead_holder_frees_it(tmp_path: Path) -> None:
    path = tmp_path / "out" / "_versions" / "period=p1" / ".lock"
    context = multiprocessing.get_context("fork")
    ready, release = context.Event(), context.Event()
    holder = context.Process(target=_hold, args=(str(path), ready, release))
    holder.start()
    assert ready.wait(30)

    with pytest.raises(UsageError) as refused:
        PeriodLock.acquire(path, "second", 0)
    assert "holder-run" in str(refused.value) and f"pid {holder.pid}" in str(refused.value)
    assert "period p1" in str(refused.value)

    holder.kill()  # SIGKILL: no cleanup at all, yet the kernel drops its flock
    holder.join()
    PeriodLock.acquire(path, "third", 0).release()


def test_a_waiting_run_gets_the_lock_when_the_holder_ends(tmp_path: Path) -> None:
    path = tmp_path / "_versions" / "period=p1" / ".lock"
    context = multiprocessing.get_context("fork")
    ready, release = context.Event(), context.Event()
    holder = context.Process(target=_hold, args=(str(path), ready, release))
    holder.start()
    assert ready.wait(30)
    release.set()  # the holder lets go within the wait below

    lock = PeriodLock.acquire(path, "waiter", wait_seconds=30)
    holder.join()
    lock.release()


def test_an_unlinked_lock_file_is_not_a_lock(tmp_path: Path) -> None:
    """A holder that leaves the period empty unlinks the lock; a run that opened the old file must
    then lock the new one, or two runs could hold 'the' lock."""
    path = tmp_path / "_versions" / "period=p1" / ".lock"
    first = PeriodLock.acquire(path, "first", 0)
    stale = os.open(path, os.O_RDWR)
    first.release(unlink=True)

    second = PeriodLock.acquire(path, "second", 0)
    try:
        with pytest.raises(UsageError):
            PeriodLock.acquire(path, "third", 0)
    finally:
        second.release()
        os.close(stale)


def test_tidying_another_period_keeps_its_rejected_version(tmp_path: Path) -> None:
    out = tmp_path / "out"
    stage_run(out, "p1", "r1", {"A": 2}).publish()
    rejected = stage_run(out, "p1", "r2", {"B": 1}, quarantined=1)
    rejected.reject()
    killed = Staging.create(out, "p1", "r3")  # no manifest: a run killed while scoring

    recover(PeriodPaths(out, "p1"), keep_rejected=True)

    assert rejected.root.is_dir() and not killed.root.exists()
