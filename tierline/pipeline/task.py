"""The Dask tasks of a run's passes, one per partition (tierline.pipeline.passes), and `Shared`, what
the tasks of one pass share. The scoring task reads a partition's row groups, scores them, and
writes its files into staging."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Mapping

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from tierline.pipeline.aggregate import (
    Entities, RowFates, RowScores, entity_outputs, mark_keyless_rows, row_scores, rows_compiled,
)
from tierline.compiler import Compiled
from tierline.kernels.errorbits import rows_with_error
from tierline.pipeline.encode import Evaluation, evaluate, tier_values
from tierline.pipeline.inputs import read_partition
from tierline.pipeline.outputs import build_outputs
from tierline.pipeline.partitions import Partition
from tierline.pipeline.cancel import check as check_not_cancelled, writing
from tierline.pipeline.publish import part_file_name, validate_tier_code
from tierline.pipeline.ranks import GroupRanks, RankKeys, rank_keys, rank_tables
from tierline.pipeline.validate import (
    CheckCounts, HashSpill, ValidationMode, ValidationPlan, apply_checks, apply_gx, candidate_counts,
    drop_no_rule_of_invalid_rows, gx_unique_columns_task_values, unique_columns, unique_hashes,
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


@dataclass(frozen=True, eq=False)
class Uniqueness:
    """What the whole register says of its `unique` checks, for each partition's verdicts (empty:
    nothing learned yet, or every value is unique)."""

    duplicates: Mapping[int, pa.Array] = field(default_factory=dict)  # fast: check position → values repeated
    masks: Mapping[int, np.ndarray] = field(default_factory=dict)  # gx: check position → GX's mask over all rows
    offsets: tuple[int, ...] = ()  # gx: each partition's first row in the whole register


@dataclass(frozen=True, eq=False)
class QuantileRanks:
    """What a quantile tiering ranks against: the register's valid values (SPEC §2.5)."""

    population: np.ndarray  # the valid values the tiering ranks, sorted ascending
    limits: np.ndarray  # the largest rank of each tier


@dataclass(frozen=True, eq=False)
class Grouping:
    """An aggregating scorecard's entities, formed over every partition (tierline.pipeline.aggregate)."""

    entities: Entities  # every entity's outcome
    fates: tuple[RowFates, ...]  # per partition: the entity of each of its valid rows


@dataclass(frozen=True, eq=False)
class Shared:
    """What every task of one pass shares: sent once per worker, not once per task. Each pass builds
    its own from what the passes before it learned of the whole register."""

    compiled: Compiled
    validation: ValidationPlan
    run_id: str = ""  # the run the tasks belong to (tierline.pipeline.cancel stops them before its cleanup)
    uniqueness: Uniqueness = field(default_factory=Uniqueness)
    ranks: QuantileRanks | None = None  # quantile tiers, once the register's values are ranked
    grouping: Grouping | None = None  # aggregate, once the entities are formed
    group_ranks: GroupRanks | None = None  # ranks within groups, once the register's values are gathered


def unique_hashes_task(shared: Shared, partition: Partition, spill: HashSpill) -> None:
    """Pre-pass 1 of global uniqueness (fast): hashes of the unique columns' values in one partition,
    written to the run's staging area by bucket (`tierline.pipeline.validate.HashSpill`)."""
    with writing(shared.run_id):
        table = read_partition(partition, unique_columns(shared.validation))
        hashes = unique_hashes(shared.validation, shared.compiled.scorecard, table)
        check_not_cancelled(shared.run_id)
        spill.write(partition.index, hashes)


def candidate_counts_task(shared: Shared, partition: Partition,
                          candidate_hashes: Mapping[int, np.ndarray]) -> dict[int, pa.Table]:
    """Pre-pass 2 (only when some hash repeats): exact counts of the candidate values in one partition."""
    table = read_partition(partition, unique_columns(shared.validation))
    return candidate_counts(shared.validation, shared.compiled.scorecard, table, candidate_hashes)


def unique_columns_task(shared: Shared, partition: Partition) -> pa.Table:
    """Pre-pass of `gx` uniqueness: the unique columns of one partition, for GX over the whole column."""
    table = read_partition(partition, unique_columns(shared.validation))
    return gx_unique_columns_task_values(shared.validation, shared.compiled.scorecard, table)


def validated(shared: Shared, partition: Partition, table: pa.Table) -> tuple[Evaluation, list[CheckCounts]]:
    """The kernels' evaluation of one partition, with the suite's failures added to its errors
    (an aggregating scorecard's rows are scored without tiers: tiers belong to their entities)."""
    compiled = shared.compiled
    if compiled.scorecard.aggregate is not None:
        compiled = rows_compiled(compiled)
    ranks, uniqueness = shared.ranks, shared.uniqueness
    tables = rank_tables(compiled, table, shared.group_ranks) if compiled.scorecard.ranks else None
    evaluation = (evaluate(compiled, table, ranks.population, ranks.limits, tables) if ranks is not None
                  else evaluate(compiled, table, ranks=tables))
    if compiled.scorecard.aggregate is not None:
        mark_keyless_rows(compiled, table, evaluation.errors)
    check_counts = []
    if shared.validation.enabled and shared.validation.mode is ValidationMode.GX:
        check_counts = apply_gx(shared.validation, compiled.scorecard, table, evaluation.errors,
                                uniqueness.masks, uniqueness.offsets[partition.index], partition.path)
    elif shared.validation.enabled:
        check_counts = apply_checks(shared.validation, compiled.scorecard, table, evaluation.errors,
                                    uniqueness.duplicates, partition.path)
    if check_counts:
        drop_no_rule_of_invalid_rows(compiled.error_codes, evaluation.errors)
    return evaluation, check_counts


def population_task(shared: Shared, partition: Partition) -> np.ndarray:
    """Quantile tiers, first pass: the values the tiering ranks, of this partition's valid rows."""
    table = read_partition(partition, None)
    evaluation, _ = validated(shared, partition, table)
    return tier_values(shared.compiled, evaluation)


def rank_keys_task(shared: Shared, partition: Partition) -> tuple[RankKeys, ...]:
    """Ranks within groups, first pass: every rank's values and groups of this partition's counted
    rows (tierline.pipeline.ranks), judged by the rows plan: a tier error does not uncount a row."""
    table = read_partition(partition, None)
    evaluation, _ = validated(replace(shared, compiled=rows_compiled(shared.compiled)), partition, table)
    return rank_keys(shared.compiled, table, evaluation)


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


def score_partition_task(shared: Shared, partition: Partition, destination: Destination,
                         spill: HashSpill | None = None) -> PartitionResult:
    with writing(shared.run_id):
        return _score_partition(shared, partition, destination, spill)


def _score_partition(shared: Shared, partition: Partition, destination: Destination,
                     spill: HashSpill | None) -> PartitionResult:
    """Read, validate and score one partition; write its tier parts and quarantine into staging;
    with a `spill`, also leave the hashes of its unique columns there (the read is made anyway).

    Directories are made one level at a time, never with parents: once the run's cleanup removed
    the staging root, a late write fails instead of making the tree again."""
    compiled = shared.compiled
    table = read_partition(partition, None)
    input_rows = table.num_rows
    if spill is not None:  # fast `unique` judged after scoring (tierline.pipeline.passes)
        hashes = unique_hashes(shared.validation, compiled.scorecard, table)
        check_not_cancelled(shared.run_id)
        spill.write(partition.index, hashes)
    evaluation, check_counts = validated(shared, partition, table)
    group_rows, behind = None, 0
    if shared.grouping is not None:  # aggregate: write entities, not rows
        merged = entity_outputs(evaluation, shared.grouping.entities, shared.grouping.fates[partition.index])
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
