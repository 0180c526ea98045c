"""Planning Dask tasks from Parquet footers: one partition = consecutive row groups of one file.

A partition never spans files and never splits a row group, because the row group is the unit
Parquet can read on its own. Planning only looks at footer metadata, so it is cheap, and it is
deterministic: the same inputs give the same partitions, hence the same output part names.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from pipeline.inputs import InputFile

__all__ = ["DEFAULT_TARGET_ROWS", "Partition", "plan_partitions"]

DEFAULT_TARGET_ROWS = 250_000


@dataclass(frozen=True)
class Partition:
    """One task's slice of the register.

    `first_row` is the offset of the partition's first row within its file; with `path` it gives
    every row a stable position (for "first row in input order" and for reproducible output).
    """

    index: int
    path: str
    row_groups: tuple[int, ...]
    num_rows: int
    first_row: int


def plan_partitions(
    files: Sequence[InputFile], target_rows: int = DEFAULT_TARGET_ROWS
) -> list[Partition]:
    """Group each file's row groups into runs of at most `target_rows` rows, numbered in file order.

    A row group larger than `target_rows` becomes a partition on its own (it cannot be split).
    Empty row groups are left out, and a file with no rows yields no partition, so no task ever
    produces an empty part file.
    """
    if target_rows < 1:
        raise ValueError(f"target_rows must be at least 1, got {target_rows}")
    partitions: list[Partition] = []
    for input_file in files:
        for row_groups, num_rows, first_row in _runs(input_file.row_group_rows, target_rows):
            partitions.append(
                Partition(
                    index=len(partitions),
                    path=input_file.path,
                    row_groups=row_groups,
                    num_rows=num_rows,
                    first_row=first_row,
                )
            )
    return partitions


def _runs(
    row_group_rows: Sequence[int], target_rows: int
) -> Iterator[tuple[tuple[int, ...], int, int]]:
    """Greedy runs of (row group indexes, rows, first row offset) within one file."""
    run: list[int] = []
    run_rows = 0
    run_first_row = 0
    offset = 0
    for index, rows in enumerate(row_group_rows):
        if rows > 0:
            # `>` not `>=`: a run may reach target_rows exactly.
            if run and run_rows + rows > target_rows:
                yield tuple(run), run_rows, run_first_row
                run, run_rows = [], 0
            if not run:
                run_first_row = offset
            run.append(index)
            run_rows += rows
        offset += rows
    if run:
        yield tuple(run), run_rows, run_first_row
