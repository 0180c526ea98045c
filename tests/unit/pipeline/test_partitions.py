"""Planning partitions from footers (tierline.pipeline.partitions)."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tierline.pipeline.inputs import InputFile, resolve_inputs
from tierline.pipeline.partitions import Partition, plan_partitions

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


def test_a_row_group_larger_than_the_target_is_cut_into_equal_slices() -> None:
    files = [footer("/a", 2, 20, 2, 2)]

    assert plan_partitions(files, target_rows=6) == [
        Partition(0, "/a", (0,), 2, 0),
        # 20 rows, at most 6 a slice: 4 slices of 5, each skipping the rows of the ones before it
        Partition(1, "/a", (1,), 5, 2, 0, sliced=True),
        Partition(2, "/a", (1,), 5, 7, 5, sliced=True),
        Partition(3, "/a", (1,), 5, 12, 10, sliced=True),
        Partition(4, "/a", (1,), 5, 17, 15, sliced=True),
        Partition(5, "/a", (2, 3), 4, 22),
    ]


def test_slice_sizes_differ_by_at_most_one_row_and_cover_the_row_group() -> None:
    partitions = plan_partitions([footer("/a", 250_000, 7)], target_rows=60_000)

    slices = [p for p in partitions if p.row_groups == (0,)]
    assert [p.num_rows for p in slices] == [50_000] * 5
    assert [p.skip_rows for p in slices] == [0, 50_000, 100_000, 150_000, 200_000]
    assert all(p.sliced for p in slices) and not partitions[-1].sliced
    assert partitions[-1] == Partition(5, "/a", (1,), 7, 250_000)
    odd = plan_partitions([footer("/b", 11)], target_rows=3)
    assert [p.num_rows for p in odd] == [3, 3, 3, 2]
    assert [p.first_row for p in odd] == [p.skip_rows for p in odd] == [0, 3, 6, 9]


def test_a_run_before_a_large_row_group_is_closed_first() -> None:
    files = [footer("/a", 3, 3, 10, 3)]

    assert [(p.row_groups, p.num_rows, p.first_row, p.skip_rows) for p in plan_partitions(files, target_rows=8)] == [
        ((0, 1), 6, 0, 0), ((2,), 5, 6, 0), ((2,), 5, 11, 5), ((3,), 3, 16, 0)]


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


def test_slices_read_back_every_row_once_in_order(tmp_path: Path) -> None:
    """`read_partition` of every planned slice gives the file's rows, each once, in file order."""
    from tierline.pipeline.inputs import read_partition

    pq.write_table(pa.table({"id": pa.array(range(50_023), pa.int64())}), tmp_path / "a.parquet",
                   row_group_size=20_000)
    partitions = plan_partitions(resolve_inputs([str(tmp_path)]), target_rows=6_000)

    # two row groups of 20,000 in 4 slices of 5,000 each (crossing the slice reader's batch
    # boundaries), then 10,023 rows in 2
    assert [p.num_rows for p in partitions] == [5_000] * 8 + [5_012, 5_011]
    read = [read_partition(p, ["id"]).column("id").to_pylist() for p in partitions]
    assert [len(rows) for rows in read] == [p.num_rows for p in partitions]
    assert sum(read, []) == list(range(50_023))
