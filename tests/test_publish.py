"""Staging and atomic publish of one period (pipeline.publish)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from pipeline.publish import Staging, validate_period, write_manifest
from schemas.errors import InternalError, UsageError


def files_under(directory: Path) -> list[str]:
    return sorted(str(p.relative_to(directory)) for p in directory.rglob("*") if p.is_file())


def stage_run(
    output: Path, period: str, run_id: str, tiers: dict[str, int], quarantined: int = 0
) -> Staging:
    """A staged run with `tiers[code]` rows per tier, `quarantined` invalid rows and a manifest."""
    staging = Staging.create(output, period, run_id)
    for code, rows in tiers.items():
        table = pa.table({"id": pa.array(range(rows), pa.int64()), "run_id": [run_id] * rows})
        pq.write_table(table, staging.tier_dir(code) / "part-0.parquet")
    if quarantined:
        table = pa.table({"id": pa.array(range(quarantined), pa.int64())})
        pq.write_table(table, staging.quarantine_dir / "part-0.parquet")
    write_manifest(staging.manifest_path, {"run_id": run_id, "period": period})
    return staging


def test_create_layout(tmp_path: Path) -> None:
    staging = Staging.create(tmp_path / "out", "2026-05", "r1")

    assert staging.root == tmp_path / "out" / "_staging" / "r1"
    assert staging.data_dir == staging.root / "period=2026-05"
    assert staging.quarantine_dir == staging.root / "_quarantine" / "period=2026-05"
    assert staging.manifest_path == staging.root / "_manifests" / "period=2026-05.json"
    assert staging.data_dir.is_dir() and staging.quarantine_dir.is_dir()
    assert staging.manifest_path.parent.is_dir()
    assert staging.tier_dir("A") == staging.data_dir / "tier=A"
    assert (staging.data_dir / "tier=A").is_dir()


def test_first_publish(tmp_path: Path) -> None:
    out = tmp_path / "out"
    stage_run(out, "p1", "r1", {"A": 2, "B": 3}, quarantined=1).publish()

    assert files_under(out) == [
        "_manifests/period=p1.json",
        "_quarantine/period=p1/part-0.parquet",
        "period=p1/tier=A/part-0.parquet",
        "period=p1/tier=B/part-0.parquet",
    ]
    assert not (out / "_staging").exists()


def test_republish_replaces_whole_period_and_leaves_others(tmp_path: Path) -> None:
    out = tmp_path / "out"
    stage_run(out, "p1", "r1", {"A": 2, "B": 3, "C": 1}, quarantined=2).publish()
    stage_run(out, "p0", "r0", {"A": 5}, quarantined=1).publish()
    other_before = files_under(out / "period=p0")

    stage_run(out, "p1", "r2", {"A": 4}, quarantined=1).publish()

    assert files_under(out / "period=p1") == ["tier=A/part-0.parquet"]
    assert pq.read_table(out / "period=p1" / "tier=A").column("run_id").to_pylist() == ["r2"] * 4
    assert pq.read_table(out / "_quarantine" / "period=p1").num_rows == 1
    assert json.loads((out / "_manifests" / "period=p1.json").read_text())["run_id"] == "r2"
    assert files_under(out / "period=p0") == other_before
    assert (out / "_quarantine" / "period=p0" / "part-0.parquet").is_file()
    assert json.loads((out / "_manifests" / "period=p0.json").read_text())["run_id"] == "r0"
    assert not (out / "_staging").exists()


def test_clean_run_removes_stale_quarantine(tmp_path: Path) -> None:
    out = tmp_path / "out"
    stage_run(out, "p1", "r1", {"A": 1}, quarantined=3).publish()

    stage_run(out, "p1", "r2", {"A": 1}, quarantined=0).publish()

    assert not (out / "_quarantine" / "period=p1").exists()


def test_staging_of_another_run_survives_publish(tmp_path: Path) -> None:
    out = tmp_path / "out"
    kept = Staging.create(out, "p2", "kept")

    stage_run(out, "p1", "r1", {"A": 1}).publish()

    assert kept.root.is_dir()
    assert not (out / "_staging" / "r1").exists()


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
    assert not (out / "_staging").exists()


def test_duplicate_run_id_is_refused(tmp_path: Path) -> None:
    Staging.create(tmp_path, "p1", "r1")
    with pytest.raises(InternalError, match="already exists"):
        Staging.create(tmp_path, "p1", "r1")


def test_output_that_is_a_file_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    with pytest.raises(UsageError, match="file: cannot create"):
        Staging.create(tmp_path / "file", "p1", "r1")


def test_hive_readers_see_only_published_tiers(tmp_path: Path) -> None:
    out = tmp_path / "out"
    stage_run(out, "p1", "r1", {"A": 2, "B": 3}, quarantined=4).publish()
    Staging.create(out, "p2", "in-flight").tier_dir("A")  # a run still staging

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


@pytest.mark.parametrize("code", ["..", "a/b", "", "x" * 33, ".", "a.b", "A B", "../A", "A\n"])
def test_bad_tier_codes(tmp_path: Path, code: str) -> None:
    staging = Staging.create(tmp_path, "p1", "r1")
    with pytest.raises(ValueError, match="tier code"):
        staging.tier_dir(code)
    assert list(staging.data_dir.iterdir()) == []


@pytest.mark.parametrize("code", ["A", "tier_1", "high-risk", "x" * 32])
def test_good_tier_codes(tmp_path: Path, code: str) -> None:
    assert Staging.create(tmp_path, "p1", "r1").tier_dir(code).name == f"tier={code}"


def test_bad_run_id(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="run id"):
        Staging.create(tmp_path, "p1", "../r")


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
