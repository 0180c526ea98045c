"""One Dask task: read a partition's row groups, score them, write its files into staging."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from tierline.pipeline.aggregate import RowScores, entity_outputs, row_scores, rows_compiled
from tierline.compiler import Compiled
from tierline.kernels.errorbits import rows_with_error
from tierline.pipeline.encode import evaluate, tier_values
from tierline.pipeline.inputs import read_partition
from tierline.pipeline.outputs import build_outputs
from tierline.pipeline.partitions import Partition
from tierline.pipeline.cancel import check as check_not_cancelled, writing
from tierline.pipeline.publish import part_file_name, validate_tier_code
from tierline.pipeline.validate import (
    CheckCounts, HashSpill, ValidationPlan, apply_checks, apply_gx, candidate_counts, drop_no_rule_of_invalid_rows,
    gx_unique_columns_task_values, unique_columns, unique_hashes,
)

COMPRESSION = "zstd"


@dataclass
class PartitionResult:
    index: int
    input_rows: int
    scored_rows: int
    quarantined_rows: int
    tier_rows: dict[str, int] = field(default_factory=dict)
    error_rows: dict[str, int] = field(default_factory=dict)
    check_counts: list[CheckCounts] = field(default_factory=list)
    behind_rows: int = 0  # aggregating scorecards: valid rows behind an entity written elsewhere


@dataclass(frozen=True)
class Destination:
    """Where a task writes: the staging directories (plain paths, so tasks pickle small)."""

    data_dir: str
    quarantine_dir: str
    run_id: str
    passthrough: tuple[str, ...]


def _error_counts(compiled: Compiled, errors: np.ndarray) -> dict[str, int]:
    counts: dict[str, int] = {}
    for code, name in enumerate(compiled.error_codes):
        hits = int(np.count_nonzero(rows_with_error(errors, code)))
        if hits:
            counts[name] = hits
    return counts


@dataclass(frozen=True)
class Shared:
    """What every task of a run shares: sent once per worker, not once per task."""

    compiled: Compiled
    validation: ValidationPlan
    duplicates: dict = field(default_factory=dict)  # unique check position → values repeated in the register
    unique_masks: dict = field(default_factory=dict)  # gx: unique check position → GX's mask over all rows
    offsets: tuple = ()  # gx: each partition's first row in the whole register
    population: Any = None  # quantile tiers: the register's valid values, sorted ascending
    limits: Any = None  # quantile tiers: the largest rank of each tier
    entities: Any = None  # aggregate: tierline.pipeline.aggregate.Entities, every entity's outcome
    fates: tuple = ()  # aggregate: per partition, tierline.pipeline.aggregate.RowFates of its valid rows
    spill: Any = None  # fast `unique` judged after scoring: where the tasks leave their hashes
    run_id: str = ""  # the run the tasks belong to (tierline.pipeline.cancel stops them before its cleanup)


def unique_hashes_task(shared: Shared, partition: Partition, spill: HashSpill) -> None:
    """Pre-pass 1 of global uniqueness (fast): hashes of the unique columns' values in one partition,
    written to the run's staging area by bucket (`tierline.pipeline.validate.HashSpill`)."""
    with writing(shared.run_id):
        table = read_partition(partition, unique_columns(shared.validation))
        hashes = unique_hashes(shared.validation, shared.compiled.scorecard, table)
        check_not_cancelled(shared.run_id)
        spill.write(partition.index, hashes)


def candidate_counts_task(shared: Shared, partition: Partition, candidate_hashes: dict) -> dict:
    """Pre-pass 2 (only when some hash repeats): exact counts of the candidate values in one partition."""
    table = read_partition(partition, unique_columns(shared.validation))
    return candidate_counts(shared.validation, shared.compiled.scorecard, table, candidate_hashes)


def unique_columns_task(shared: Shared, partition: Partition) -> pa.Table:
    """Pre-pass of `gx` uniqueness: the unique columns of one partition, for GX over the whole column."""
    table = read_partition(partition, unique_columns(shared.validation))
    return gx_unique_columns_task_values(shared.validation, shared.compiled.scorecard, table)


def validated(shared: Shared, partition: Partition, table: pa.Table):
    """The kernels' evaluation of one partition, with the suite's failures added to its errors
    (an aggregating scorecard's rows are scored without tiers: tiers belong to their entities)."""
    compiled = shared.compiled
    if compiled.scorecard.aggregate is not None:
        compiled = rows_compiled(compiled)
    evaluation = evaluate(compiled, table, shared.population, shared.limits)
    check_counts = []
    if shared.validation.enabled and shared.validation.mode == "gx":
        check_counts = apply_gx(shared.validation, compiled.scorecard, table, evaluation.errors,
                                shared.unique_masks, shared.offsets[partition.index], partition.path)
    elif shared.validation.enabled:
        check_counts = apply_checks(shared.validation, compiled.scorecard, table, evaluation.errors,
                                    shared.duplicates, partition.path)
    if check_counts:
        drop_no_rule_of_invalid_rows(compiled.error_codes, evaluation.errors)
    return evaluation, check_counts


def population_task(shared: Shared, partition: Partition) -> np.ndarray:
    """Quantile tiers, first pass: the values the tiering ranks, of this partition's valid rows."""
    table = read_partition(partition, None)
    evaluation, _ = validated(shared, partition, table)
    return tier_values(shared.compiled, evaluation)


def row_scores_task(shared: Shared, partition: Partition) -> RowScores:
    """Aggregate, first pass: the scores, overrides and keys of one partition's valid rows."""
    table = read_partition(partition, None)
    evaluation, _ = validated(shared, partition, table)
    return row_scores(shared.compiled, table, evaluation)


def _remove_earlier_files(compiled: Compiled, destination: Destination, name: str) -> None:
    """A partition scored again (its rows hold a duplicate found after the first pass) replaces
    every file it wrote, including those of tiers it no longer has rows in."""
    for tier in compiled.scorecard.tiers:
        (Path(destination.data_dir) / f"tier={tier.code}" / name).unlink(missing_ok=True)
    (Path(destination.quarantine_dir) / name).unlink(missing_ok=True)


def score_partition_task(shared: Shared, partition: Partition, destination: Destination) -> PartitionResult:
    with writing(shared.run_id):
        return _score_partition(shared, partition, destination)


def _score_partition(shared: Shared, partition: Partition, destination: Destination) -> PartitionResult:
    """Read, validate and score one partition; write its tier parts and quarantine into staging.

    Directories are made one level at a time, never with parents: once the run's cleanup removed
    the staging root, a late write fails instead of making the tree again."""
    compiled = shared.compiled
    table = read_partition(partition, None)
    input_rows = table.num_rows
    if shared.spill is not None:  # the unique columns' hashes, from the read this task makes anyway
        hashes = unique_hashes(shared.validation, compiled.scorecard, table)
        check_not_cancelled(shared.run_id)
        shared.spill.write(partition.index, hashes)
    evaluation, check_counts = validated(shared, partition, table)
    group_rows, behind = None, 0
    if shared.entities is not None:  # aggregate: write entities, not rows
        merged = entity_outputs(evaluation, shared.entities, shared.fates[partition.index])
        table = table.take(pa.array(merged.kept))
        evaluation, group_rows, behind = merged.evaluation, merged.group_rows, merged.behind
    output = build_outputs(compiled, table, evaluation, destination.run_id, list(destination.passthrough),
                           group_rows)
    name = part_file_name(partition.index, destination.run_id)
    check_not_cancelled(shared.run_id)
    _remove_earlier_files(compiled, destination, name)
    tier_rows: Counter[str] = Counter()
    for tier_index, start, end in output.tier_bounds:
        code = compiled.scorecard.tiers[tier_index].code
        directory = Path(destination.data_dir) / f"tier={validate_tier_code(code)}"
        directory.mkdir(exist_ok=True)
        check_not_cancelled(shared.run_id)
        pq.write_table(output.scored.slice(start, end - start), directory / name, compression=COMPRESSION)
        tier_rows[code] += end - start
    quarantined = output.quarantine.num_rows
    if quarantined:
        check_not_cancelled(shared.run_id)
        pq.write_table(output.quarantine, Path(destination.quarantine_dir) / name, compression=COMPRESSION)
    return PartitionResult(
        index=partition.index, input_rows=input_rows, scored_rows=output.scored.num_rows,
        quarantined_rows=quarantined, tier_rows=dict(tier_rows),
        error_rows=_error_counts(compiled, evaluation.errors), check_counts=check_counts, behind_rows=behind,
    )
