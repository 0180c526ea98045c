"""The oracle over the whole register: what SPEC §2 reads across rows — ranks within groups
(§2.4a), quantile populations (§2.5) and aggregation into entities (§2.3) — built on the row
readings of `oracle`, with the same exact arithmetic.

`evaluate_register(scorecard, rows)` and `evaluate_aggregate(scorecard, rows)` are its entries.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping

from oracle import (
    RowResult, as_value, evaluate_row, input_values, is_null, override_of, quantile_value, score_values,
)
from tierline.scorecard.model import QuantileTiering, Rank, Scorecard


# ------------------------------------------------------------------ ranks within groups (SPEC §2.4a)


def group_of(rank: Rank, values: Mapping[str, Any]) -> tuple:
    """A row's group: its `within` values (after default); null equals null, 1 equals 1.0."""
    return tuple(("null",) if values[c] is None else (type(as_value(values[c])) is bool, as_value(values[c]))
                 for c in rank.within)


def rank_value(rank: Rank, values: Mapping[str, Any], scores: Mapping[str, float | None]) -> float | None:
    return scores[rank.by] if rank.by_score else as_value(values[rank.by])


def register_ranks(scorecard: Scorecard, rows: list[Mapping[str, Any]]) -> list[dict[str, int | None]]:
    """Each row's ranks by the definition: 1 + the counted rows of its group with a strictly better
    value, over the whole register. A row counts when every component gave points (validation is
    not the oracle's) and its value is not null. A row with a null value has a null rank, and so
    has a row whose group holds no counted row; another row that does not count itself (it is
    invalid, so quarantined) still reads its rank among the counted ones."""
    items = []
    for row in rows:
        values = input_values(scorecard, row)
        _, scores, errors = score_values(scorecard, values)
        items.append((values, scores, not errors))
    return ranks_among(scorecard, items)


def ranks_among(scorecard: Scorecard, items: list[tuple[Mapping[str, Any], Mapping[str, float | None], bool]]
                ) -> list[dict[str, int | None]]:
    """The ranks of (input values, scores, counted) items, rows or entities, among the counted ones."""
    ranked: dict[str, dict[tuple, list[float]]] = {rank.name: {} for rank in scorecard.ranks}
    for values, scores, counts in items:
        for rank in scorecard.ranks:
            x = rank_value(rank, values, scores)
            if counts and x is not None:
                ranked[rank.name].setdefault(group_of(rank, values), []).append(x)
    counted: dict[tuple, int] = {}  # (rank, group, value) → its rank, as registers repeat rows
    result = []
    for values, scores, _ in items:
        own: dict[str, int | None] = {}
        for rank in scorecard.ranks:
            x, key = rank_value(rank, values, scores), group_of(rank, values)
            group = ranked[rank.name].get(key)
            if x is None or group is None:
                own[rank.name] = None
                continue
            if (rank.name, key, x) not in counted:
                counted[rank.name, key, x] = 1 + sum(1 for v in group if (v > x if rank.order == "desc" else v < x))
            own[rank.name] = counted[rank.name, key, x]
        result.append(own)
    return result


# ------------------------------------------------------------------ the register, row by row


def evaluate_register(scorecard: Scorecard, rows: list[Mapping[str, Any]]) -> list[RowResult]:
    """Score every row; quantile tiers and ranks rank each row among the valid rows of the whole register."""
    ranks = register_ranks(scorecard, rows) if scorecard.ranks else [{} for _ in rows]
    results = [evaluate_row(scorecard, row, ranks=own) for row, own in zip(rows, ranks)]
    tiering = scorecard.tiering
    if not isinstance(tiering, QuantileTiering):
        return results
    population = []
    for row, result in zip(rows, results):
        values = input_values(scorecard, row)
        x, _ = quantile_value(scorecard, tiering, values, score_values(scorecard, values)[1])
        if not result.errors and x is not None:
            population.append(x)
    return [evaluate_row(scorecard, row, population, ranks=own) for row, own in zip(rows, ranks)]


# ------------------------------------------------------------------ aggregation (SPEC §2.3)


def combine_group(scores: list[float | None], method: str, weights: list[float]) -> float | None:
    """A group's score: null when a row's is (whatever the method) or when the sums overflow to
    inf - inf, else by `method` in input order."""
    if any(x is None for x in scores):
        return None
    combined = _combine_group(scores, method, weights)  # type: ignore[arg-type]
    return None if math.isnan(combined) else combined


def _combine_group(scores: list[float], method: str, weights: list[float]) -> float:
    if method == "weighted_mean":  # Σ wᵢsᵢ / Σ wᵢ as s₁ + Σ wᵢ(sᵢ − s₁) / Σ wᵢ, both sums in input order
        total, weight = 0.0, weights[0]
        for w, x in zip(weights[1:], scores[1:]):
            total += w * (x - scores[0])
            weight += w
        return scores[0] + total / weight
    if method == "mean":
        total = scores[0]
        for x in scores[1:]:  # in input order, as the kernel adds them
            total += x
        return total / len(scores)
    if method == "min":
        return min(scores)
    if method == "max":
        return max(scores)
    ordered = sorted(scores)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2.0


@dataclass
class Entity:
    key: Any
    rows: int  # valid rows in the group
    result: RowResult  # the first row's columns with the group's scores and override


def evaluate_aggregate(scorecard: Scorecard, rows: list[Mapping[str, Any]]) -> tuple[dict[Any, Entity], list[set[str]]]:
    """Entities by key, and each input row's quarantine codes: its own errors; else its entity's
    when the entity is invalid (`<key>:even_count`, tier errors); else none (it is behind a scored
    entity). An invalid row (a weighted mean's row without a positive weight among them) leaves its
    group; an override held by any valid row of a group applies to the entity (the earliest in the
    scorecard's order)."""
    aggregate = scorecard.aggregate
    assert aggregate is not None
    own: list[set[str]] = []
    groups: dict[Any, list[int]] = {}
    row_scores: list[dict[str, float | None]] = []
    row_overrides: list[int | None] = []
    row_weights: list[float] = []
    for index, row in enumerate(rows):
        values = input_values(scorecard, row)
        row_weights.append(float(values[aggregate.weight]) if aggregate.weight and values[aggregate.weight] is not None else 1.0)
        _, scores, errors = score_values(scorecard, values)
        env: dict[str, Value] = {name: as_value(value) for name, value in values.items()}
        env.update(scores)
        if is_null(row.get(scorecard.key)):  # a row without a key belongs to no entity
            errors.add(aggregate.key_null_code)
        own.append(errors)
        row_scores.append(scores)
        row_overrides.append(override_of(scorecard, env))
        if not errors:
            groups.setdefault(row[scorecard.key], []).append(index)

    combined_scores = {key: {s.name: combine_group([row_scores[i][s.name] for i in members], aggregate.method,
                                                   [row_weights[i] for i in members])
                             for s in scorecard.scores} for key, members in groups.items()}
    # ranks among the entities (SPEC §2.4a): their group's scores, their first row's inputs; an
    # entity breaking odd_count is invalid and does not count
    entity_ranks = dict(zip(groups, ranks_among(scorecard, [
        (input_values(scorecard, rows[members[0]]), combined_scores[key],
         not (aggregate.odd_count and len(members) % 2 == 0)) for key, members in groups.items()])))

    def entities(population: list[float] | None) -> dict[Any, Entity]:
        found = {}
        for key, members in groups.items():
            combined = combined_scores[key]
            held = [row_overrides[i] for i in members if row_overrides[i] is not None]
            result = evaluate_row(scorecard, rows[members[0]], population, group=(combined, min(held) if held else None),
                                  ranks=entity_ranks[key])
            if aggregate.odd_count and len(members) % 2 == 0:
                result.errors.add(aggregate.even_count_code)
            found[key] = Entity(key=key, rows=len(members), result=result)
        return found

    found = entities(None)
    tiering = scorecard.tiering
    if isinstance(tiering, QuantileTiering):
        population = []
        for key, entity in found.items():
            values = input_values(scorecard, rows[groups[key][0]])
            x, _ = quantile_value(scorecard, tiering, values, {s.name: entity.result.scores[s.name] for s in scorecard.scores})
            if not entity.result.errors and x is not None:
                population.append(x)
        found = entities(population)

    quarantine = []
    for row, errors in zip(rows, own):
        if errors:
            quarantine.append(errors)
        else:
            quarantine.append(set(found[row[scorecard.key]].result.errors))
    return found, quarantine
