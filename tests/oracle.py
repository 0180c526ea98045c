"""The test oracle: SPEC §2 read one row at a time, in plain Python.

It walks the checked `Scorecard` model and the expression AST itself — no compiled plan, no
kernels, no NumPy — so a disagreement with `tierline.pipeline.encode.evaluate` points at one of the two
readings. Numbers are Python floats (IEEE doubles) and every formula does the same operations in
the same order as the kernels, so results compare exactly. NaN is null everywhere: in inputs, in
arithmetic results and in scores.

`evaluate_row(scorecard, row)` is the whole oracle; the smaller functions are its steps, in order.
"""

from __future__ import annotations

from fractions import Fraction

import math
from dataclasses import dataclass, field
from typing import Any, Mapping, Union

from tierline.scorecard.expressions import Binary, Call, InList, IsNull, Literal_, Name, Node, Unary
from tierline.scorecard.model import (
    Axis, Component, LevelTiering, MatrixTiering, QuantileTiering, Rank, Scorecard, Score,
)
from tierline.scorecard.ranges import Range

Value = Union[bool, float, str, None]  # what an expression sees: numbers are floats


@dataclass
class RowResult:
    points: dict[str, float | None]  # component name → points before weight (None: it failed)
    scores: dict[str, float | None]  # score name → value
    tier: str | None  # tier code
    override: str | None  # override name
    reasons: list[str]  # component names
    actions: dict[str, Any]  # action column → its constant for the row's tier (None: no tier)
    derived: dict[str, float | bool | None]
    errors: set[str] = field(default_factory=set)  # "<column>:<check>" / "tier:<...>"
    ranks: dict[str, int | None] = field(default_factory=dict)  # rank name → its value (SPEC §2.4a)

    @property
    def invalid(self) -> bool:
        return bool(self.errors)


# ------------------------------------------------------------------ values


def is_null(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def same_value(a: Any, b: Any) -> bool:
    """Equality of two non-null values that keeps True apart from 1 and text apart from numbers."""
    if isinstance(a, (bool, str)) or isinstance(b, (bool, str)):
        return type(a) is type(b) and a == b
    return a == b  # int and float compare by value: 3 == 3.0


def as_value(value: Any) -> Value:
    """A Python scalar as an expression sees it: numbers become floats, NaN becomes null."""
    if is_null(value):
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return value


def input_values(scorecard: Scorecard, row: Mapping[str, Any]) -> dict[str, Any]:
    """Each declared input's value: `default` replaces null (None or NaN) before anything else."""
    values = {}
    for spec in scorecard.inputs:
        value = row.get(spec.name)
        if is_null(value):
            value = spec.default
        values[spec.name] = None if is_null(value) else value
    return values


def in_range(rng: Range, x: float, factor: float = 1.0) -> bool:
    """from ≥, above >, to <, upto ≤; a written bound is first multiplied by `factor`; an absent one is no bound."""
    if rng.bounded_below:
        lower = rng.lower * factor
        if not (x >= lower if rng.lower_inclusive else x > lower):
            return False
    if rng.bounded_above:
        upper = rng.upper * factor
        if not (x <= upper if rng.upper_inclusive else x < upper):
            return False
    return True


# ------------------------------------------------------------------ components and scores


def component_points(component: Component, x: Any) -> tuple[float | None, str | None]:
    """(points, error code) of one component for its input's value x (after default)."""
    if x is None:
        if component.missing is not None:
            return component.missing, None
        return None, f"{component.input}:not_null"
    if component.method == "map":
        for key, points in component.map_points:
            if same_value(key, x):
                return points, None
        if component.other is not None:  # every value the map does not list
            return component.other, None
        return None, f"{component.input}:unmapped"
    if component.method == "bands":
        for rng, points in component.bands:  # the first listed band holding x
            if in_range(rng, float(x)):
                return points, None
        return None, f"{component.input}:out_of_bands"
    if component.method == "linear":
        assert component.linear is not None
        x0, x1, y0, y1 = component.linear
        clipped = min(max(float(x), x0), x1)
        return y0 + (clipped - x0) * (y1 - y0) / (x1 - x0), None
    return float(x), None  # value: true


def largest_points(scorecard: Scorecard, component: Component) -> float | None:
    """A component's largest possible points (for reasons); None when it has none."""
    possible = [] if component.missing is None else [component.missing]
    if component.method == "map":
        possible += [points for _, points in component.map_points]
        possible += [] if component.other is None else [component.other]
    elif component.method == "bands":
        possible += [points for _, points in component.bands]
    elif component.method == "linear":
        assert component.linear is not None
        possible += [component.linear[2], component.linear[3]]
    else:
        top = scorecard.input(component.input).max
        if top is None:
            return None  # value: true without the input's max gives no reason
        possible.append(top)
    return max(possible)


def round_half_away(x: float, decimals: int) -> float:
    """Half away from zero; within 4 ulps of a half counts as the half (2.675 → 2.68)."""
    if math.isnan(x) or math.isinf(x):
        return x
    scale = 10.0**decimals
    y = abs(x) * scale
    if y >= 2.0**52:  # already an integer at this scale
        return x
    whole = float(math.floor(y))
    fraction = y - whole
    if fraction >= 0.5 - 4.0 * 2.220446049250313e-16 * max(y, 1.0):
        whole += 1.0
    return math.copysign(whole / scale, x)


def combine(score: Score, points: Mapping[str, float | None]) -> float | None:
    """The score: null unless every component has points; weights apply except to product."""
    terms = [(c.weight, points[c.name]) for c in score.components]
    if any(p is None for _, p in terms):
        return None
    if score.combine == "sum":
        acc = 0.0
        for w, p in terms:
            acc += w * p
    elif score.combine == "mean":
        acc, weights = 0.0, 0.0
        for w, p in terms:
            acc += w * p
            weights += w
        acc = acc / weights
    elif score.combine == "product":
        acc = 1.0
        for _, p in terms:
            acc *= p
    elif score.combine == "min":
        acc = math.inf
        for w, p in terms:
            acc = min(acc, w * p)
    else:
        acc = -math.inf
        for w, p in terms:
            acc = max(acc, w * p)
    if score.base is not None:  # only a sum has one: after combining, before rounding
        acc += score.base
    if score.round is not None:
        acc = round_half_away(acc, score.round)
    return None if math.isnan(acc) else acc


def weight_error(scorecard: Scorecard, values: Mapping[str, Any]) -> str | None:
    """SPEC §2.3: a weighted mean's weight is a positive number; a row without one cannot be averaged."""
    aggregate = scorecard.aggregate
    if aggregate is None or aggregate.weight is None:
        return None
    w = values[aggregate.weight]
    null_code, between_code = aggregate.weight_codes
    if w is None:
        return null_code
    return None if 0 < w < math.inf else between_code


def score_values(scorecard: Scorecard, values: Mapping[str, Any]) -> tuple[dict, dict, set[str]]:
    """(points by component, scores by name, the error codes of components and weight) for one row."""
    points: dict[str, float | None] = {}
    errors: set[str] = set()
    for component in scorecard.components:
        points[component.name], error = component_points(component, values[component.input])
        if error is not None:
            errors.add(error)
    if weight_error(scorecard, values) is not None:
        errors.add(weight_error(scorecard, values))
    scores = {score.name: combine(score, points) for score in scorecard.scores}
    return points, scores, errors


# ------------------------------------------------------------------ expressions


def evaluate_expression(node: Node, env: Mapping[str, Value]) -> Value:
    """SQL three-valued logic: None is null/unknown; x / 0 is null; `is null` is never null."""
    if isinstance(node, Literal_):
        return as_value(node.value)
    if isinstance(node, Name):
        return env[node.name]
    if isinstance(node, IsNull):
        operand = evaluate_expression(node.operand, env)
        return operand is not None if node.negated else operand is None
    if isinstance(node, Unary):
        operand = evaluate_expression(node.operand, env)
        if operand is None:
            return None
        return (not operand) if node.op == "not" else -operand
    if isinstance(node, Call):
        return call_value(node, [evaluate_expression(arg, env) for arg in node.args])
    if isinstance(node, InList):
        operand = evaluate_expression(node.operand, env)
        if operand is None:
            return None
        items = [as_value(item.value) for item in node.items]
        if any(item is not None and same_value(operand, item) for item in items):
            found = True
        elif any(item is None for item in items):
            return None
        else:
            found = False
        return (not found) if node.negated else found
    assert isinstance(node, Binary)
    left = evaluate_expression(node.left, env)
    right = evaluate_expression(node.right, env)
    if node.op == "and":
        if left is False or right is False:
            return False
        return None if left is None or right is None else True
    if node.op == "or":
        if left is True or right is True:
            return True
        return None if left is None or right is None else False
    if left is None or right is None:
        return None
    if node.op in ("+", "-", "*", "/"):
        if node.op == "/" and right == 0:
            return None
        result = {"+": lambda: left + right, "-": lambda: left - right,
                  "*": lambda: left * right, "/": lambda: left / right}[node.op]()
        return None if math.isnan(result) else result
    if node.op == "==":
        return same_value(left, right)
    if node.op == "!=":
        return not same_value(left, right)
    return {"<": left < right, "<=": left <= right, ">": left > right, ">=": left >= right}[node.op]


_DOMAIN = {"sqrt": lambda x: x >= 0, "ln": lambda x: x > 0, "log10": lambda x: x > 0}
_ONE_ARGUMENT = {"abs": abs, "sqrt": math.sqrt, "exp": math.exp, "ln": math.log, "log10": math.log10,
                 "floor": math.floor, "ceil": math.ceil}


def call_value(node: Call, args: list[Value]) -> Value:
    """SPEC §2.4's functions: null in, null out (coalesce: its first non-null argument); null
    outside the domain (sqrt of a negative, ln and log10 of x <= 0) and for a result that is not
    a finite number. min and max read left to right and keep the first of equals, as Python's do."""
    if node.function == "coalesce":
        return next((arg for arg in args if arg is not None), None)
    if any(arg is None for arg in args):
        return None
    x = args[0]
    try:
        if node.function in _ONE_ARGUMENT:
            if not _DOMAIN.get(node.function, lambda _: True)(x):
                return None
            result = float(_ONE_ARGUMENT[node.function](x))
        elif node.function == "round":
            result = round_half_away(x, node.args[1].value)  # type: ignore[union-attr, arg-type]
        elif node.function == "clip":
            result = min(max(x, args[1]), args[2])
        else:
            result = (min if node.function == "min" else max)(args)
    except OverflowError:  # exp past float64; floor or ceil of an infinity
        return None
    return result if math.isfinite(result) else None


def holds(node: Node, env: Mapping[str, Value]) -> bool:
    """A condition: unknown counts as false."""
    return evaluate_expression(node, env) is True


# ------------------------------------------------------------------ tiers


def level_tier(scorecard: Scorecard, tiering: LevelTiering, values: Mapping[str, Any],
               scores: Mapping[str, float | None], errors: set[str]) -> str | None:
    factor = 1.0
    if tiering.scale is not None:
        key = values[tiering.scale.column]
        factors = [f for k, f in tiering.scale.factors if key is not None and same_value(k, key)]
        if not factors:
            errors.add("tier:no_scale")
            return None
        factor = factors[0]
    if tiering.by_score:
        x, column = scores[tiering.by], scorecard.score(tiering.by).output_column
    else:
        x, column = as_value(values[tiering.by]), tiering.by
    if x is None:
        # a null score only echoes its failed components: name it when it is the sole problem
        if not tiering.by_score or not errors:
            errors.add(f"{column}:not_null")
        return None
    for level in tiering.levels:  # the first listed level holding x
        if in_range(level.range, x, factor):
            return level.tier
    raise AssertionError(f"levels leave {x!r} without a tier; the loader should have refused them")


def matrix_tier(scorecard: Scorecard, tiering: MatrixTiering, values: Mapping[str, Any],
                scores: Mapping[str, float | None], errors: set[str]) -> str | None:
    """The cell at the rows level and the cols level that hold the row's two axis values."""
    positions = []
    for axis in (tiering.rows, tiering.cols):
        if axis.by_score:
            x, column = scores[axis.by], scorecard.score(axis.by).output_column
        else:
            x, column = as_value(values[axis.by]), axis.by
        if x is None:  # the first null axis is named, by the same rule as levels
            if not axis.by_score or not errors:
                errors.add(f"{column}:not_null")
            return None
        holding = [index for index, level in enumerate(axis.levels) if in_range(level.range, x)]
        positions.append(holding[0])
    return tiering.cells[positions[0]][positions[1]]


def quantile_value(scorecard: Scorecard, tiering: QuantileTiering, values: Mapping[str, Any],
                   scores: Mapping[str, float | None]) -> tuple[float | None, str]:
    if tiering.by_score:
        return scores[tiering.by], scorecard.score(tiering.by).output_column
    return as_value(values[tiering.by]), tiering.by


def quantile_tier(scorecard: Scorecard, tiering: QuantileTiering, values: Mapping[str, Any],
                  scores: Mapping[str, float | None], errors: set[str], population: list[float] | None) -> str | None:
    """SPEC §2.5: rank = 1 + the valid entities with a strictly better value; the first tier with rank ≤ top × N."""
    x, column = quantile_value(scorecard, tiering, values, scores)
    if x is None:
        if not tiering.by_score or not errors:
            errors.add(f"{column}:not_null")
        return None
    if population is None:
        return None
    better = sum(1 for v in population if (v > x if tiering.order == "desc" else v < x))
    rank = 1 + better
    for quantile in tiering.quantiles:
        if quantile.top is None or rank <= Fraction(repr(quantile.top)) * len(population):
            return quantile.tier
    return None


def rule_tier(scorecard: Scorecard, env: Mapping[str, Value], errors: set[str]) -> str | None:
    tiering = scorecard.tiering
    matched = [rule.tier for rule in tiering.rules if rule.when is not None and holds(rule.when.ast, env)]
    catch_all = [rule.tier for rule in tiering.rules if rule.when is None]
    if tiering.hit == "unique" and len(matched) > 1:
        errors.add("tier:ambiguous")
        return None
    if matched:
        return matched[0]
    if catch_all:
        return catch_all[0]
    if not errors:  # a row already invalid matches no rule for that reason
        errors.add("tier:no_rule")
    return None


def reasons_for(scorecard: Scorecard, scores: set[str], points: Mapping[str, float | None]) -> list[str]:
    """Up to `reasons: {count}` components of `scores` with a positive weighted shortfall, largest
    first, ties in component order; none when `output: {reasons: false}`."""
    if not scorecard.output.reasons:
        return []
    shortfalls = []
    for component in (c for c in scorecard.components if c.score in scores):
        top = largest_points(scorecard, component)
        if top is None:
            continue
        shortfall = component.weight * (top - points[component.name])
        if shortfall > 0:
            shortfalls.append((shortfall, component.name))
    shortfalls.sort(key=lambda pair: -pair[0])  # stable: ties keep component order
    return [name for _, name in shortfalls[:scorecard.output.reason_count]]


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


# ------------------------------------------------------------------ the row


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


def override_of(scorecard: Scorecard, env: Mapping[str, Value]) -> int | None:
    """The index of the first override whose `when` holds."""
    for index, candidate in enumerate(scorecard.overrides):
        if holds(candidate.when.ast, env):
            return index
    return None


def evaluate_row(scorecard: Scorecard, row: Mapping[str, Any], population: list[float] | None = None,
                 group: tuple[dict[str, float | None], int | None] | None = None,
                 ranks: Mapping[str, int | None] | None = None) -> RowResult:
    """Score one row {column: value or None} the way SPEC §2 says (quantiles need the register's
    valid values, `population`; without it such a row gets no tier). `group`: an aggregated
    entity's (scores, override index), which replace the row's own (SPEC §2.3). `ranks`: the row's
    ranks within groups (`register_ranks`; without them every rank is null)."""
    values = input_values(scorecard, row)
    points, scores, errors = score_values(scorecard, values)
    if group is not None:
        scores = dict(group[0])
    env: dict[str, Value] = {name: as_value(value) for name, value in values.items()}
    env.update(scores)
    own_ranks = {rank.name: (ranks or {}).get(rank.name) for rank in scorecard.ranks}
    env.update({name: None if value is None else float(value) for name, value in own_ranks.items()})

    tier = override = None
    index = override_of(scorecard, env) if group is None else group[1]  # for every row, even one with errors
    if index is not None:
        tier, override = scorecard.overrides[index].tier, scorecard.overrides[index].name

    reasons: list[str] = []
    if override is None:
        tiering = scorecard.tiering
        if isinstance(tiering, LevelTiering):
            tier = level_tier(scorecard, tiering, values, scores, errors)
            if tier is not None and tiering.by_score:
                reasons = reasons_for(scorecard, {tiering.by}, points)
        elif isinstance(tiering, QuantileTiering):
            tier = quantile_tier(scorecard, tiering, values, scores, errors, population)
            if tier is not None and tiering.by_score:
                reasons = reasons_for(scorecard, {tiering.by}, points)
        elif isinstance(tiering, MatrixTiering):
            tier = matrix_tier(scorecard, tiering, values, scores, errors)
            if tier is not None:
                reasons = reasons_for(scorecard, {a.by for a in (tiering.rows, tiering.cols) if a.by_score}, points)
        else:
            tier = rule_tier(scorecard, env, errors)

    codes = [t.code for t in scorecard.tiers]
    actions = {a.name: (None if tier is None else a.values[codes.index(tier)]) for a in scorecard.actions}
    env.update({name: as_value(value) for name, value in actions.items()})
    derived: dict[str, float | bool | str | None] = {}
    for column in scorecard.derived:  # in order: a derived column may read earlier ones
        if column.is_text:  # `choose:` the first item whose condition holds; none: null
            derived[column.name] = next((c.value for c in column.choices if c.when is None or holds(c.when.ast, env)), None)
            continue  # no expression reads a text derived column
        derived[column.name] = env[column.name] = evaluate_expression(column.expression.ast, env)  # type: ignore[assignment]

    return RowResult(points=points, scores=scores, tier=tier, override=override, reasons=reasons,
                     actions=actions, derived=derived, errors=errors, ranks=own_ranks)


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
