"""A run's passes over the register, in order, each a function of what the passes before it learned:

1. uniqueness (`unique_pass`): what the `unique` checks need of the whole register, by the
   `UniqueStrategy` the scorecard and validation mode call for;
2. ranks (`ranks_pass`, quantile tiers) or grouping (`grouping_pass`, aggregating scorecards): the
   valid values a quantile tiering ranks, or the entities rows form across partitions; and the
   values ranks within groups rank (`group_ranks_pass`, SPEC §2.4a);
3. scoring (`scoring_pass`): every partition validated, scored and written into staging;
4. with `UniqueStrategy.HASHES_WHILE_SCORING`, the duplicates judged from the hashes the scoring
   tasks left (`duplicates_pass`) and the partitions that hold one scored again (`rescoring_pass`).

`score_register` runs them (`learn_register` the passes before scoring, which `tierline explain`
runs too). Every pass maps one task per partition (tierline.pipeline.task) through a
`PartitionMap`, which decides where the tasks run and shows the pass's progress.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any, Callable, Protocol, Sequence

import numpy as np
import pyarrow as pa

from tierline.compiler import quantile_limits
from tierline.pipeline.aggregate import group_entities
from tierline.pipeline.partitions import Partition
from tierline.pipeline.ranks import GroupRanks, group_ranks
from tierline.pipeline.task import (
    Destination, Grouping, PartitionResult, QuantileRanks, Shared, Uniqueness, candidate_counts_task,
    population_task, rank_keys_task, row_scores_task, score_partition_task, unique_columns_task, unique_hashes_task,
)
from tierline.pipeline.validate import (
    HashSpill, ValidationMode, ValidationPlan, candidates, duplicated_values, gx_unique_masks,
)
from tierline.scorecard.model import Scorecard, TieringKind


class PartitionMap(Protocol):
    def __call__(self, function: Callable[..., Any], shared: Shared, partitions: Sequence[Partition],
                 extra: tuple = (), what: str | None = None) -> list[Any]:
        """`function(shared, partition, *extra)` for every partition, results in partition order;
        `what` names the pass in its progress (None: no progress)."""


class UniqueStrategy(Enum):
    """How the run learns which values of its `unique` checks repeat anywhere in the register."""

    NONE = "none"  # no `unique` check, or validation off
    GX_WHOLE_COLUMN = "gx whole column"  # gx: the unique columns gathered, GX judges each whole column
    HASHES_FIRST = "hashes first"  # fast: hashes, then exact counts of the repeated ones, before any pass
    # fast, plain scorecard: the scoring tasks leave the hashes and duplicates are judged after, since
    # registers rarely repeat a key, and then nothing is read twice
    HASHES_WHILE_SCORING = "hashes while scoring"


def unique_strategy(validation: ValidationPlan, scorecard: Scorecard) -> UniqueStrategy:
    """The strategy for `validation`'s unique checks; quantile, rank and aggregating scorecards need
    the duplicates before their first pass (an invalid row is neither ranked nor grouped)."""
    if not validation.unique_positions:
        return UniqueStrategy.NONE
    if validation.mode is ValidationMode.GX:
        return UniqueStrategy.GX_WHOLE_COLUMN
    if scorecard.aggregate is None and scorecard.tiering.kind != TieringKind.QUANTILES and not scorecard.ranks:
        return UniqueStrategy.HASHES_WHILE_SCORING
    return UniqueStrategy.HASHES_FIRST


@dataclass(frozen=True, eq=False)
class UniquePass:
    """What the uniqueness pass learned, and where the scoring tasks leave their hashes (only with
    `UniqueStrategy.HASHES_WHILE_SCORING`)."""

    uniqueness: Uniqueness
    spill: HashSpill | None = None


@dataclass(frozen=True, eq=False)
class Duplicates:
    """The values repeated in the whole register per unique check, and the partitions holding them."""

    values: dict[int, pa.Array]
    touched: tuple[int, ...]


@dataclass(frozen=True, eq=False)
class ScoredRegister:
    """Every partition's result (in partition order), and the entities of an aggregating scorecard."""

    results: tuple[PartitionResult, ...]
    grouping: Grouping | None


def partition_offsets(partitions: Sequence[Partition]) -> tuple[int, ...]:
    """Each partition's first row in the whole register."""
    return tuple(int(x) for x in np.cumsum([0] + [p.num_rows for p in partitions])[:-1])


def no_duplicates(validation: ValidationPlan) -> dict[int, pa.Array]:
    """Every unique check with an empty set of duplicates (an absent check is judged per partition)."""
    return {p: pa.array([], pa.null()) for p in validation.unique_positions}


def unique_pass(map_: PartitionMap, shared: Shared, partitions: Sequence[Partition], strategy: UniqueStrategy,
                spill_dir: Path) -> UniquePass:
    """Pass 1: what `strategy` learns of the register's unique checks before scoring; the hashes
    are spilled under `spill_dir` (made here, removed once read)."""
    validation = shared.validation
    offsets = partition_offsets(partitions) if validation.mode is ValidationMode.GX else ()
    if strategy is UniqueStrategy.NONE:
        return UniquePass(Uniqueness(offsets=offsets))
    if strategy is UniqueStrategy.GX_WHOLE_COLUMN:
        pieces = map_(unique_columns_task, shared, partitions)
        return UniquePass(Uniqueness(masks=gx_unique_masks(validation, pieces), offsets=offsets))
    spill = HashSpill.plan(str(spill_dir), sum(p.num_rows for p in partitions))
    os.makedirs(spill.directory)
    if strategy is UniqueStrategy.HASHES_WHILE_SCORING:
        return UniquePass(Uniqueness(duplicates=no_duplicates(validation)), spill)
    map_(unique_hashes_task, shared, partitions, (spill,), "hashed keys of")
    return UniquePass(Uniqueness(duplicates=duplicates_pass(map_, shared, partitions, spill).values))


def duplicates_pass(map_: PartitionMap, shared: Shared, partitions: Sequence[Partition],
                    spill: HashSpill) -> Duplicates:
    """The duplicates, from the hashes in `spill` (removed here): hashes seen twice are candidates;
    only then are the unique columns read again, to count the candidates' exact values (a hash
    collision costs time, never a wrong verdict)."""
    validation = shared.validation
    repeated = candidates(validation, spill, len(partitions))
    shutil.rmtree(spill.directory)
    duplicates = no_duplicates(validation)
    if not repeated:
        return Duplicates(duplicates, ())
    counts = map_(candidate_counts_task, shared, partitions, (repeated,), "counted repeated keys in")
    duplicates.update(duplicated_values(validation, counts))
    touched = tuple(i for i, found in enumerate(counts) if any(table.num_rows for table in found.values()))
    return Duplicates(duplicates, touched)


def ranks_pass(map_: PartitionMap, shared: Shared, partitions: Sequence[Partition]) -> QuantileRanks:
    """Quantile tiers: ranks are global, so first gather the valid values of every partition."""
    values = map_(population_task, shared, partitions, (), "ranked")
    population = np.sort(np.concatenate(values)) if values else np.zeros(0)
    return QuantileRanks(population, quantile_limits(shared.compiled.scorecard, len(population)))


def group_ranks_pass(map_: PartitionMap, shared: Shared, partitions: Sequence[Partition]) -> GroupRanks:
    """Ranks within groups are global too: gather every partition's counted values and groups."""
    keys = map_(rank_keys_task, shared, partitions, (), "ranked within groups")
    return group_ranks(shared.compiled, keys)


def grouping_pass(map_: PartitionMap, shared: Shared, partitions: Sequence[Partition]) -> Grouping:
    """Aggregate: rows first, then their entities (tierline.pipeline.aggregate)."""
    rows = map_(row_scores_task, shared, partitions, (), "grouped")
    entities, fates = group_entities(shared.compiled, rows)
    return Grouping(entities, tuple(fates))


def scoring_pass(map_: PartitionMap, shared: Shared, partitions: Sequence[Partition], destination: Destination,
                 spill: HashSpill | None = None) -> list[PartitionResult]:
    """Every partition scored and written into staging; with `spill`, its unique columns' hashes too."""
    return map_(score_partition_task, shared, partitions, (destination, spill), "scored")


def rescoring_pass(map_: PartitionMap, shared: Shared, partitions: Sequence[Partition], destination: Destination,
                   results: Sequence[PartitionResult], touched: Sequence[int]) -> list[PartitionResult]:
    """`results` with the partitions `touched` by a duplicate found after scoring scored again."""
    again = map_(score_partition_task, shared, [partitions[i] for i in touched], (destination,),
                 "scored again (duplicates)")
    rescored = list(results)
    for index, result in zip(touched, again):
        rescored[index] = result
    return rescored


@dataclass(frozen=True, eq=False)
class Learned:
    """What the passes before scoring learned of the whole register: the scoring tasks' `Shared`,
    and where they leave their hashes (only with `UniqueStrategy.HASHES_WHILE_SCORING`)."""

    scoring: Shared
    spill: HashSpill | None


def learn_register(map_: PartitionMap, plan: Shared, partitions: Sequence[Partition], strategy: UniqueStrategy,
                   spill_dir: Path) -> Learned:
    """The passes before scoring: uniqueness, then the ranks or the grouping if the scorecard has
    them; `plan` holds the compiled scorecard, the validation and the run's id."""
    compiled, validation, run_id = plan.compiled, plan.validation, plan.run_id
    scorecard = compiled.scorecard
    unique = unique_pass(map_, plan, partitions, strategy, spill_dir)
    judged = Shared(compiled, validation, run_id, unique.uniqueness)
    grouping = ranks = within = None
    if scorecard.aggregate is not None:
        grouping = grouping_pass(map_, judged, partitions)
    elif scorecard.tiering.kind == TieringKind.QUANTILES:
        ranks = ranks_pass(map_, judged, partitions)
    if scorecard.ranks and scorecard.aggregate is None:  # rank-free passes: neither reads a rank
        within = group_ranks_pass(map_, judged, partitions)
    return Learned(Shared(compiled, validation, run_id, unique.uniqueness, ranks, grouping, within), unique.spill)


def score_register(map_: PartitionMap, plan: Shared, partitions: Sequence[Partition], destination: Destination,
                   spill_dir: Path) -> ScoredRegister:
    """Every pass over the register, in order (see the module's docstring)."""
    strategy = unique_strategy(plan.validation, plan.compiled.scorecard)
    learned = learn_register(map_, plan, partitions, strategy, spill_dir)
    results = scoring_pass(map_, learned.scoring, partitions, destination, learned.spill)
    if learned.spill is not None:
        duplicates = duplicates_pass(map_, plan, partitions, learned.spill)
        if duplicates.touched:  # score again the partitions that hold a duplicate, now that it is known
            rescoring = Shared(plan.compiled, plan.validation, plan.run_id, Uniqueness(duplicates=duplicates.values))
            results = rescoring_pass(map_, rescoring, partitions, destination, results, duplicates.touched)
    return ScoredRegister(tuple(results), learned.scoring.grouping)
