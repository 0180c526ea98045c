"""The test oracle: SPEC §2 read one row at a time, in plain Python.

It walks the checked `Scorecard` model and the expression AST itself — no compiled plan, no
kernels, no NumPy — so a disagreement with `tierline.pipeline.encode.evaluate` points at one of the two
readings. Numbers are Python floats (IEEE doubles) and every formula does the same operations in
the same order as the kernels, so results compare exactly. NaN is null everywhere: in inputs, in
arithmetic results and in scores.

`evaluate_row(scorecard, row)` is the whole oracle of one row; the smaller functions are its steps, in
order. What reads across rows (ranks, quantile populations, aggregation) is in `oracle_register`.
"""

from __future__ import annotations

from fractions import Fraction

import math
from dataclasses import dataclass, field
from typing import Any, Mapping, Union

from tierline.scorecard.expressions import Binary, Call, InList, IsNull, Literal_, Name, Node, Unary
from tierline.scorecard.model import (
    Component, LevelTiering, MatrixTiering, QuantileTiering, Scorecard, Score,
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


# ------------------------------------------------------------------ the row


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
