"""The edges of `tierline run` that users hit (issue 9), each through the real command.

Every case is a defect first seen from the command line: it is reproduced here the way the user
ran it, and the test states what SPEC §3 promises instead (the exit code, one line naming what is
at fault, nothing published).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from registers import (
    EQUIPMENT_ABC,
    assert_one_line_failure,
    equipment_register,
    manifest,
    tierline,
    write_register,
)


@pytest.fixture(scope="module")
def register(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("edges") / "register"
    write_register(equipment_register(rows=600, invalid_share=0.0, cases=()), directory, files=2, row_group_size=200)
    return directory


# --- --output: a URL is refused before anything is read -------------------------------------------


@pytest.mark.parametrize("output", ["s3://bucket/out", "file:///tmp/tierline-out", "simplecache::s3://bucket/out",
                                    "gs://b/warehouse/loans"])
def test_url_output_is_refused_before_any_input_is_read(output: str, tmp_path: Path) -> None:
    # The input does not exist: exit 2 (not 3) shows the output was judged before the input was touched.
    result = tierline("run", EQUIPMENT_ABC, "--input", tmp_path / "no-such-register", "--output", output,
                      "--period", "2026-05", cwd=tmp_path)

    line = assert_one_line_failure(result, 2)
    assert output in line and "URL" in line
    assert list(tmp_path.iterdir()) == []  # no folder named `s3:` or `file:` in the working directory


# --- --period: only an absent one defaults to today ----------------------------------------------


@pytest.mark.parametrize("period", ["", "a/b", "..", "x" * 65, "2026 05"])
def test_bad_period_is_refused_and_nothing_is_written(period: str, register: Path, tmp_path: Path) -> None:
    output = tmp_path / "out"

    result = tierline("run", EQUIPMENT_ABC, "--input", register, "--output", output, "--period", period)

    line = assert_one_line_failure(result, 2)
    assert "--period" in line
    assert not output.exists()


def test_absent_period_is_todays_utc_date(register: Path, tmp_path: Path) -> None:
    output = tmp_path / "out"
    before = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d")

    result = tierline("run", EQUIPMENT_ABC, "--input", register, "--output", output, "--quiet")

    after = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d")
    assert result.returncode == 0, result.stderr
    (published,) = [p.name for p in output.iterdir() if p.name.startswith("period=")]
    assert published in (f"period={before}", f"period={after}")
    assert manifest(output, published.removeprefix("period="))["counts"]["input"] == 600


# --- --partition-rows: honoured below the row-group size ----------------------------------------


def _published_rows(output: Path, period: str) -> dict[str, pa.Table]:
    """Each part file's rows (run_id dropped), by its path under the period, and the quarantine's."""
    found = {}
    for path in sorted((output / f"period={period}").rglob("*.parquet")) + sorted(
            (output / "_quarantine" / f"period={period}").glob("*.parquet")):
        table = pq.read_table(path, partitioning=None)
        found[str(path.relative_to(output))] = table.drop_columns([c for c in ("run_id",) if c in table.column_names])
    return found


def test_partition_rows_below_the_row_group_size_is_honoured_and_deterministic(tmp_path: Path) -> None:
    table = equipment_register(rows=900, cases=())
    register = tmp_path / "register.parquet"
    pq.write_table(table, register, row_group_size=300)  # 3 row groups of 300 rows

    def run(output: Path, *extra: object) -> dict:
        result = tierline("run", EQUIPMENT_ABC, "--input", register, "--output", output, "--period", "2026-05",
                          "--quiet", *extra)
        assert result.returncode == 0, result.stderr
        return manifest(output, "2026-05")

    whole = run(tmp_path / "whole", "--partition-rows", 300)
    sliced = run(tmp_path / "sliced", "--partition-rows", 100)
    again = run(tmp_path / "again", "--partition-rows", 100)  # (with row groups of 300 it was 3 tasks either way)

    assert whole["partitions"] == 3  # one row group a partition
    assert sliced["partitions"] == 9  # each row group in 3 slices of 100 rows
    assert sliced["counts"] == whole["counts"]
    # the same rows whichever the partitions, and the same files on a rerun
    by_key = {name: pa.concat_tables(pq.read_table(p, partitioning=None).drop_columns(["run_id"])
                                     for p in sorted((tmp_path / name / "period=2026-05").rglob("*.parquet")))
              .sort_by("equipment_id") for name in ("whole", "sliced")}
    assert by_key["sliced"].equals(by_key["whole"])
    first, second = _published_rows(tmp_path / "sliced", "2026-05"), _published_rows(tmp_path / "again", "2026-05")
    assert list(first) == list(second) and all(first[name].equals(second[name]) for name in first)
