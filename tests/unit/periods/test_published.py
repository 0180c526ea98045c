"""tierline.periods.published: reading one published period, pinned to the version its `current` names."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from registers import OTHER_PERIOD, PERIOD, Published, manifest, published  # noqa: F401 - fixture
from tierline.errors import InputError, UsageError
from tierline.periods.published import list_periods, open_period, period_sort_key, previous_period


def test_a_period_reads_the_version_current_names(published: Published) -> None:
    period = open_period(published.output, PERIOD)
    current = published.output / "_versions" / f"period={PERIOD}" / os.readlink(
        published.output / "_versions" / f"period={PERIOD}" / "current")
    assert period.data_dir == current / "data"
    assert period.manifest == manifest(published.output, PERIOD)
    assert period.key == "equipment_id"
    assert [(t.code, t.rank) for t in period.tiers] == [("A", 1), ("B", 2), ("C", 3)]
    assert all(Path(f).is_relative_to(current) for f in period.scored_files + period.quarantine_files)
    scored = sum(pq.ParquetFile(f).metadata.num_rows for f in period.scored_files)
    quarantined = sum(pq.ParquetFile(f).metadata.num_rows for f in period.quarantine_files)
    assert (scored, quarantined) == (period.manifest["counts"]["scored"], period.manifest["counts"]["quarantined"])
    assert period.describe().startswith(f"equipment_abc v{period.scorecard_version} (sha256 ")


def test_the_manifest_records_the_grading_a_reader_needs(published: Published) -> None:
    grading = open_period(published.output, PERIOD).grading
    assert grading["tiers"][0] == {"code": "A", "label": grading["tiers"][0]["label"], "rank": 1}
    assert grading["scores"] == [{"name": "score", "column": "score"}]
    assert grading["tiering"]["kind"] == "levels" and grading["tiering"]["column"] == "score"
    bounds = [(level["lower"], level["upper"]) for level in grading["tiering"]["levels"]]
    assert bounds[0][1] is None and bounds[-1][0] is None  # infinite ends are null in JSON


def test_periods_list_in_order_and_the_previous_is_found(published: Published) -> None:
    assert list_periods(published.output) == [OTHER_PERIOD, PERIOD]
    assert previous_period(published.output, PERIOD) == OTHER_PERIOD
    assert previous_period(published.output, OTHER_PERIOD) is None


def test_digits_in_periods_compare_as_numbers() -> None:
    periods = ["2026-10", "2026-9", "2025-12", "2026Q4", "2026Q3", "202611", "202612", "2026-11-02", "2026-11-10"]
    assert sorted(periods, key=period_sort_key) == [
        "2025-12", "2026-9", "2026-10", "2026-11-02", "2026-11-10", "2026Q3", "2026Q4", "202611", "202612"]


def test_missing_directory_and_period_are_input_errors_naming_them(published: Published, tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"no such output directory") as missing_dir:
        open_period(tmp_path / "nowhere", PERIOD)
    assert str(tmp_path / "nowhere") in str(missing_dir.value)
    with pytest.raises(InputError, match=rf"period '2030-01' is not published \(periods here: {OTHER_PERIOD}, {PERIOD}\)"):
        open_period(published.output, "2030-01")
    with pytest.raises(InputError, match="no period has been published here"):
        open_period(tmp_path, PERIOD)
    with pytest.raises(UsageError):
        open_period(published.output, "../2026-05")


def test_the_layout_of_tierline_0_1_is_read_in_place(published: Published, tmp_path: Path) -> None:
    old = tmp_path / "old"
    shutil.copytree(published.output / f"period={PERIOD}", old / f"period={PERIOD}")  # links followed: real dirs
    shutil.copytree(published.output / "_quarantine" / f"period={PERIOD}", old / "_quarantine" / f"period={PERIOD}")
    (old / "_manifests").mkdir()
    shutil.copy(published.output / "_manifests" / f"period={PERIOD}.json", old / "_manifests")
    period = open_period(old, PERIOD)
    assert period.data_dir == old / f"period={PERIOD}"
    assert len(period.scored_files) == len(open_period(published.output, PERIOD).scored_files)
    assert period.quarantine_files


def test_a_manifest_without_grading_is_read_with_its_unchanged_scorecard(published: Published, tmp_path: Path) -> None:
    out = published.copy_output(tmp_path / "out")
    path = Path(os.path.realpath(out / "_manifests" / f"period={PERIOD}.json"))
    written = json.loads(path.read_text())
    expected = written.pop("grading")
    path.write_text(json.dumps(written))
    assert open_period(out, PERIOD).grading == expected

    written["scorecard"]["path"] = str(tmp_path / "moved.yaml")
    path.write_text(json.dumps(written))
    with pytest.raises(InputError, match="predates its grading section .* rerun the period"):
        open_period(out, PERIOD)
