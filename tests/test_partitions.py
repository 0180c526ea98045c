"""Planning partitions from footers (pipeline.partitions)."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipeline.inputs import InputFile, resolve_inputs
from pipeline.partitions import Partition, plan_partitions

SCHEMA = pa.schema([("id", pa.int64())])


def footer(path: str, *row_group_rows: int) -> InputFile:
    """An InputFile as resolve_inputs would describe it, without touching the disk."""
    return InputFile(path, 0, sum(row_group_rows), tuple(row_group_rows), SCHEMA)


def test_runs_stay_within_target_and_number_across_files() -> None:
    files = [footer("/a", 4, 4, 4), footer("/b", 3, 3)]

    assert plan_partitions(files, target_rows=8) == [
        Partition(0, "/a", (0, 1), 8, 0),
        Partition(1, "/a", (2,), 4, 8),
        Partition(2, "/b", (0, 1), 6, 0),
    ]


def test_big_row_group_is_its_own_partition() -> None:
    files = [footer("/a", 2, 20, 2, 2)]

    assert plan_partitions(files, target_rows=5) == [
        Partition(0, "/a", (0,), 2, 0),
        Partition(1, "/a", (1,), 20, 2),
        Partition(2, "/a", (2, 3), 4, 22),
    ]


def test_empty_row_groups_and_empty_files_are_skipped() -> None:
    files = [footer("/empty"), footer("/zeros", 0, 0), footer("/a", 0, 3, 0, 3)]

    assert plan_partitions(files, target_rows=10) == [Partition(0, "/a", (1, 3), 6, 0)]


def test_first_row_counts_every_earlier_row_group() -> None:
    partitions = plan_partitions([footer("/a", 5, 5, 5, 5)], target_rows=5)

    assert [p.first_row for p in partitions] == [0, 5, 10, 15]
    assert sum(p.num_rows for p in partitions) == 20


def test_nothing_to_plan() -> None:
    assert plan_partitions([]) == []


def test_target_must_be_positive() -> None:
    with pytest.raises(ValueError, match="target_rows"):
        plan_partitions([footer("/a", 1)], target_rows=0)


def test_plan_from_real_files_is_deterministic(tmp_path: Path) -> None:
    for name, rows in (("a", 10), ("b", 0), ("c", 7)):
        table = pa.table({"id": pa.array(range(rows), pa.int64())})
        pq.write_table(table, tmp_path / f"{name}.parquet", row_group_size=3)
    files = resolve_inputs([str(tmp_path)])

    first = plan_partitions(files, target_rows=6)

    assert first == plan_partitions(resolve_inputs([str(tmp_path)]), target_rows=6)
    assert [(Path(p.path).name, p.row_groups, p.num_rows, p.first_row) for p in first] == [
        ("a.parquet", (0, 1), 6, 0),
        ("a.parquet", (2, 3), 4, 6),
        ("c.parquet", (0, 1), 6, 0),
        ("c.parquet", (2,), 1, 6),
    ]
    assert [p.index for p in first] == [0, 1, 2, 3]
