"""Aggregating scorecards (SPEC §2.3): several rows per entity, grouped across every partition.

Rows are scored one by one, grouped by the key, their scores combined, then tiered:
1. rows (`row_scores`, one task per partition): validation, points and scores of every row, no
   tiers. The valid rows' keys, scores, overrides (and for `weighted_mean` weights) come back, with
   the encoded inputs of each key's first row in the partition (the only row an entity can take its
   other columns from). A row whose weight is null or not a positive finite number is invalid
   (`<weight>:not_null`, `<weight>:between`, set by the scoring kernel in every validation mode).
2. entities (`group_entities`, in the client): the valid rows grouped by key in input order (the
   partitions in input order, each partition's rows in order), each group's scores combined
   (`tierline.kernels.aggregate`, which adds a mean's terms in that order: the same rows give
   the same bits however the register is split into files, partitions and workers), the entities
   ranked within groups (SPEC §2.4a: by their group's scores, within their first row's values), and
   every entity tiered by the same fused kernel with its group's scores and override filled in. An entity is invalid when its group breaks
   `odd_count` (`<key>:even_count`) or its tiering fails; all its rows are then quarantined with
   the entity's errors.
3. output (`entity_outputs`, one task per partition): the first row of each valid entity is written
   with the entity's outcome and a `rows` column; invalid rows and the rows of invalid entities go
   to the quarantine; the other rows of valid entities are behind their entity and not written.

Decisions where the SPEC is silent (README, "Aggregation"): an invalid row leaves its group (it is
quarantined, and the group is formed of the valid rows, whose count `odd_count` judges and `rows`
reports); an override applies to an entity when it held for any of its valid rows (the earliest
override in the scorecard's order wins); points, reasons, actions, derived and passthrough columns
are those of the entity's first row, with the group's scores.

Memory: the client holds the key, the scores, the override (and the weight) of every valid row and
one encoded input vector per entity; the rows' other columns stream as in a plain run.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tierline.kernels import opcodes as op
from tierline.kernels.errorbits import code_mask, set_error_rows, word_of
from tierline.compiler import Compiled, quantile_limits
from tierline.pipeline.encode import Evaluation, run_kernel, tier_values
from tierline.pipeline.ranks import counted_keys, group_ranks, rank_tables, within_columns, within_values
from tierline.scorecard.model import TieringKind

_METHODS = {"mean": op.MEAN, "weighted_mean": op.WEIGHTED_MEAN, "min": op.MIN, "max": op.MAX, "median": op.MEDIAN}


def rows_compiled(compiled: Compiled) -> Compiled:
    """The plan that scores an aggregating scorecard's rows: everything but the tiers."""
    return replace(compiled, plan=compiled.plan._replace(tiering=np.int64(op.NO_TIERING)))


def entities_compiled(compiled: Compiled) -> Compiled:
    """The plan that tiers entities: scores and overrides come from the group."""
    return replace(compiled, plan=compiled.plan._replace(given_scores=np.bool_(True)))


def mark_keyless_rows(compiled: Compiled, table: pa.Table, errors: np.ndarray) -> None:
    """`<key>:not_null` on every row without a key, whatever the validation mode: such a row belongs
    to no entity (with `--validation off` nothing else would keep it out of the grouping)."""
    aggregate = compiled.scorecard.aggregate
    keyless = pc.is_null(table.column(compiled.scorecard.key), nan_is_null=True)
    if pc.any(keyless).as_py():
        set_error_rows(errors, compiled.error_codes.index(aggregate.key_null_code), keyless.to_numpy())


def _score_slots(compiled: Compiled) -> np.ndarray:
    return np.asarray(compiled.plan.score_slot, dtype=np.int64)


@dataclass
class RowScores:
    """Pass 1 of one partition: what grouping needs of its valid rows."""

    valid: np.ndarray  # the partition's valid rows (positions), in order
    keys: pa.Array  # their keys
    scores: np.ndarray  # scores × valid rows
    override: np.ndarray  # per valid row: the override that held, -1 if none
    weights: np.ndarray  # per valid row: its weight (weighted_mean), else empty
    first: np.ndarray  # positions (into `valid`) of each key's first row in this partition
    first_values: np.ndarray  # slots × len(first): those rows' encoded values
    first_within: pa.Table  # those rows' `within` columns of the ranks (SPEC §2.4a), as read


def row_scores(compiled: Compiled, table: pa.Table, evaluation: Evaluation) -> RowScores:
    valid = np.flatnonzero(~evaluation.invalid)
    keys = table.column(compiled.scorecard.key).take(pa.array(valid)).combine_chunks()
    codes = pc.dictionary_encode(keys).indices.to_numpy(zero_copy_only=False)
    _, first = np.unique(codes, return_index=True)
    first.sort()
    weight_slot = int(compiled.plan.weight_slot)
    weights = evaluation.values[weight_slot, valid] if weight_slot >= 0 else np.zeros(0)
    return RowScores(valid=valid, keys=keys, scores=evaluation.values[_score_slots(compiled)][:, valid],
                     override=evaluation.override[valid].astype(np.int64), weights=weights, first=first,
                     first_values=evaluation.values[:, valid[first]],
                     first_within=_within(compiled, table, valid[first]))


def _within(compiled: Compiled, table: pa.Table, rows: np.ndarray) -> pa.Table:
    """The ranks' `within` columns of `rows`, one Arrow type per column whatever the file held."""
    take = pa.array(rows)
    return pa.table({name: within_values(compiled.scorecard.input(name), table.column(name).take(take))
                     for name in within_columns(compiled)})


@dataclass(frozen=True)
class Entities:
    """Pass 2: every entity's outcome, indexed by entity (numbered in order of their first row)."""

    evaluation: Evaluation  # values, points, tier, override, reasons, errors per entity
    rows: np.ndarray  # the group size

    @property
    def invalid(self) -> np.ndarray:
        return self.evaluation.invalid


@dataclass(frozen=True)
class RowFates:
    """Pass 2's verdict on one partition's valid rows."""

    entity: np.ndarray  # per valid row: its entity
    first: np.ndarray  # per valid row: whether it is its entity's first row


def group_entities(compiled: Compiled, partitions: Sequence[RowScores]) -> tuple[Entities, list[RowFates]]:
    from tierline.kernels.aggregate import group_rows

    scorecard = compiled.scorecard
    assert scorecard.aggregate is not None
    n_valid = [len(p.valid) for p in partitions]
    offsets = np.concatenate([[0], np.cumsum(n_valid)]).astype(np.int64)
    key_type = partitions[0].keys.type if partitions else pa.null()
    keys = pa.chunked_array([p.keys for p in partitions], type=key_type).combine_chunks()
    # Dictionary indices number the keys in order of first appearance: entity order is input order.
    encoded = pc.dictionary_encode(keys)
    group = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    n_groups = len(encoded.dictionary)
    n_scores = len(scorecard.scores)
    scores = (np.concatenate([p.scores for p in partitions], axis=1) if partitions
              else np.zeros((n_scores, 0)))
    override = np.concatenate([p.override for p in partitions]) if partitions else np.zeros(0, np.int64)
    weights = np.concatenate([p.weights for p in partitions]) if partitions else np.zeros(0)
    combined, rows, first, group_override = group_rows(group, n_groups, scores, weights, override,
                                                       _METHODS[scorecard.aggregate.method])

    # Each entity's first row is the first of its key in its partition, so pass 1 kept its values.
    first_rows = np.concatenate([offsets[i] + p.first for i, p in enumerate(partitions)]).astype(np.int64)
    column_of = np.full(int(offsets[-1]), -1, dtype=np.int64)
    column_of[first_rows] = np.arange(len(first_rows))
    first_values = np.concatenate([p.first_values for p in partitions], axis=1)
    values = np.ascontiguousarray(first_values[:, column_of[first]])
    values[_score_slots(compiled)] = combined
    within = None
    if scorecard.ranks and partitions:  # the entities' `within` columns: their first rows', as their other columns
        within = pa.concat_tables([p.first_within for p in partitions]).take(pa.array(column_of[first]))

    entities = _tier(compiled, values, group_override, rows, within)
    fates = []
    for i in range(len(partitions)):
        entity = group[offsets[i]:offsets[i + 1]]
        fates.append(RowFates(entity=entity, first=first[entity] == np.arange(offsets[i], offsets[i + 1])))
    return entities, fates


def _tier(compiled: Compiled, values: np.ndarray, group_override: np.ndarray, rows: np.ndarray,
          within: pa.Table | None) -> Entities:
    """Every entity tiered; its ranks are among the entities whose group keeps `odd_count`."""
    scorecard = compiled.scorecard
    tiering = entities_compiled(compiled)
    even = np.zeros(len(rows), dtype=bool)
    if scorecard.aggregate.odd_count:
        even = rows % 2 == 0
    bit = compiled.error_codes.index(scorecard.aggregate.even_count_code) if scorecard.aggregate.odd_count else -1
    ranks = None
    if within is not None:
        learned = group_ranks(compiled, [counted_keys(compiled, within, values, ~even)])
        ranks = rank_tables(compiled, within, learned)

    def kernel(population: np.ndarray | None = None, limits: np.ndarray | None = None) -> Evaluation:
        evaluation = run_kernel(tiering, values, override=group_override, population=population, limits=limits,
                                ranks=ranks)
        if bit >= 0:
            evaluation.errors[word_of(bit), even] |= code_mask(bit)
        return evaluation

    evaluation = kernel()
    if scorecard.tiering.kind == TieringKind.QUANTILES:  # entities are ranked among the valid entities
        population = np.sort(tier_values(compiled, evaluation))
        evaluation = kernel(population, quantile_limits(scorecard, len(population)))
    return Entities(evaluation=evaluation, rows=rows)


@dataclass
class EntityRows:
    """Pass 3 of one partition: the rows it writes, and how many it leaves behind their entity."""

    kept: np.ndarray  # positions in the partition, in order
    evaluation: Evaluation  # for the kept rows: the entity's outcome, or the row's own errors
    group_rows: np.ndarray  # per kept row: its entity's `rows` (0 for a row quarantined alone)
    behind: int  # valid rows of valid entities that are not their entity's first


def entity_outputs(evaluation: Evaluation, entities: Entities, fates: RowFates) -> EntityRows:
    """Merge one partition's row evaluation (the rows plan) with the entities' outcomes."""
    valid = np.flatnonzero(~evaluation.invalid)
    if len(valid) != len(fates.entity):
        raise AssertionError(f"a partition's valid rows changed between passes: {len(valid)} != {len(fates.entity)}")
    entity_invalid = entities.invalid[fates.entity]
    scored = fates.first & ~entity_invalid
    kept = np.sort(np.concatenate([np.flatnonzero(evaluation.invalid), valid[scored | entity_invalid]]))
    merged = Evaluation(values=evaluation.values[:, kept], points=evaluation.points[:, kept],
                        tier=evaluation.tier[kept], override=evaluation.override[kept],
                        reasons=evaluation.reasons[:, kept], errors=evaluation.errors[:, kept])
    group_rows = np.zeros(len(kept), dtype=np.int64)
    where = np.searchsorted(kept, valid)  # each valid row's place among the kept rows (if kept)
    for mask, take_all in ((scored, True), (entity_invalid, False)):
        at, entity = where[mask], fates.entity[mask]
        outcome = entities.evaluation
        merged.errors[:, at] = outcome.errors[:, entity]
        group_rows[at] = entities.rows[entity]
        if take_all:
            merged.values[:, at] = outcome.values[:, entity]
            merged.points[:, at] = outcome.points[:, entity]
            merged.tier[at] = outcome.tier[entity]
            merged.override[at] = outcome.override[entity]
            merged.reasons[:, at] = outcome.reasons[:, entity]
    behind = int(np.count_nonzero(~fates.first & ~entity_invalid))
    return EntityRows(kept=kept, evaluation=merged, group_rows=group_rows, behind=behind)
