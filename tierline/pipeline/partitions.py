"""Planning Dask tasks from Parquet footers: one partition = consecutive row groups of one file,
or a slice of one row group larger than the target.

A partition never spans files. Consecutive row groups are grouped up to `target_rows`; a row group
larger than `target_rows` is cut into equal slices (sizes differ by at most one row), each its own
partition, so `--partition-rows` is honoured whatever row-group size the writer chose. Planning
only looks at footer metadata, so it is cheap, and it is deterministic: the same inputs and target
give the same partitions, hence the same output part names.

The cost of a slice: Parquet cannot seek to a row inside a row group, so a slice decodes its row
group from the start up to its own last row (`tierline.pipeline.inputs.read_partition`); a row group cut
into k slices is read (k + 1) / 2 times over. README ("Partitions") has the measured figures.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from tierline.pipeline.inputs import InputFile

__all__ = ["DEFAULT_TARGET_ROWS", "Partition", "plan_partitions"]

DEFAULT_TARGET_ROWS = 250_000


@dataclass(frozen=True)
class Partition:
    """One task's slice of the register.

    `first_row` is the offset of the partition's first row within its file; with `path` it gives
    every row a stable position (for "first row in input order" and for reproducible output).
    A slice (`sliced`) has one row group, and `skip_rows` of its rows come before the slice.
    """

    index: int
    path: str
    row_groups: tuple[int, ...]
    num_rows: int
    first_row: int
    skip_rows: int = 0
    sliced: bool = False


def plan_partitions(
    files: Sequence[InputFile], target_rows: int = DEFAULT_TARGET_ROWS
) -> list[Partition]:
    """Each file's row groups in runs of at most `target_rows` rows, numbered in file order.

    A row group larger than `target_rows` is cut into `ceil(rows / target_rows)` slices of equal
    size. Empty row groups are left out, and a file with no rows yields no partition, so no task
    ever produces an empty part file.
    """
    if target_rows < 1:
        raise ValueError(f"target_rows must be at least 1, got {target_rows}")
    partitions: list[Partition] = []
    for input_file in files:
        for row_groups, num_rows, first_row, skip_rows, sliced in _runs(input_file.row_group_rows, target_rows):
            partitions.append(
                Partition(
                    index=len(partitions),
                    path=input_file.path,
                    row_groups=row_groups,
                    num_rows=num_rows,
                    first_row=first_row,
                    skip_rows=skip_rows,
                    sliced=sliced,
                )
            )
    return partitions


def _runs(
    row_group_rows: Sequence[int], target_rows: int
) -> Iterator[tuple[tuple[int, ...], int, int, int, bool]]:
    """Greedy runs of (row group indexes, rows, first row offset, rows skipped, sliced) within one file."""
    run: list[int] = []
    run_rows = 0
    run_first_row = 0
    offset = 0
    for index, rows in enumerate(row_group_rows):
        if rows > target_rows:
            if run:
                yield tuple(run), run_rows, run_first_row, 0, False
                run, run_rows = [], 0
            yield from _slices(index, rows, offset, target_rows)
        elif rows > 0:
            # `>` not `>=`: a run may reach target_rows exactly.
            if run and run_rows + rows > target_rows:
                yield tuple(run), run_rows, run_first_row, 0, False
                run, run_rows = [], 0
            if not run:
                run_first_row = offset
            run.append(index)
            run_rows += rows
        offset += rows
    if run:
        yield tuple(run), run_rows, run_first_row, 0, False


def _slices(
    index: int, rows: int, offset: int, target_rows: int
) -> Iterator[tuple[tuple[int, ...], int, int, int, bool]]:
    """One row group larger than the target, cut into equal slices of at most `target_rows`."""
    count = -(-rows // target_rows)
    start = 0
    for slice_number in range(count):
        # The first `rows % count` slices take one row more, so sizes differ by at most one.
        size = rows // count + (1 if slice_number < rows % count else 0)
        yield (index,), size, offset + start, start, True
        start += size
