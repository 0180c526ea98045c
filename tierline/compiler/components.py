"""Components and scores → the plan's `comp_*`, `table_*` and `score_*` arrays.

Every component's points table is one run of the shared `table_*` arrays (`comp_table_start` holds
C+1 offsets): a band is a range `[lo, hi]` with its own inclusivity; a map key is the range
`[key, key]`, sorted by key so that the kernel can search it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from tierline.compiler.arrays import PlanFields, b1, f64, i64
from tierline.compiler.errortable import NO_CODE, ErrorTable
from tierline.compiler.slots import SlotTable
from tierline.kernels import opcodes as op
from tierline.scorecard.model import Component, Scorecard

_METHODS = {"map": op.MAP, "bands": op.BANDS, "linear": op.LINEAR, "value": op.VALUE}
_COMBINES = {"sum": op.SUM, "mean": op.MEAN, "product": op.PRODUCT, "min": op.MIN, "max": op.MAX}


@dataclass
class _PointsTables:
    lo: list[float] = field(default_factory=list)
    lo_incl: list[bool] = field(default_factory=list)
    hi: list[float] = field(default_factory=list)
    hi_incl: list[bool] = field(default_factory=list)
    points: list[float] = field(default_factory=list)
    start: list[int] = field(default_factory=lambda: [0])

    def add(self, lo: float, lo_incl: bool, hi: float, hi_incl: bool, points: float) -> None:
        self.lo.append(lo)
        self.lo_incl.append(lo_incl)
        self.hi.append(hi)
        self.hi_incl.append(hi_incl)
        self.points.append(points)

    def end_component(self) -> None:
        self.start.append(len(self.lo))


def _add_table(tables: _PointsTables, component: Component, slots: SlotTable) -> None:
    if component.method == "map":
        for key, points in sorted((slots.encode_key(component.input, k), p) for k, p in component.map_points):
            tables.add(key, True, key, True, points)
    elif component.method == "bands":
        for rng, points in component.bands:
            tables.add(rng.lower, rng.lower_inclusive, rng.upper, rng.upper_inclusive, points)
    tables.end_component()


def _value_error(component: Component, errors: ErrorTable) -> int:
    """The code of a value the component has no points for; linear and value components, and a
    map with `other`, take any."""
    if component.method == "map" and component.other is None:
        return errors.code(f"{component.input}:unmapped")
    if component.method == "bands":
        return errors.code(f"{component.input}:out_of_bands")
    return NO_CODE


def compile_components(scorecard: Scorecard, slots: SlotTable, errors: ErrorTable) -> PlanFields:
    """Claims, per component in order, `<input>:not_null` then `unmapped` / `out_of_bands`."""
    components = scorecard.components
    score_index = {score.name: i for i, score in enumerate(scorecard.scores)}
    tables = _PointsTables()
    comp_linear = np.zeros((len(components), 4))
    error_null, error_value = [], []
    for index, component in enumerate(components):
        error_null.append(errors.code(f"{component.input}:not_null"))
        error_value.append(_value_error(component, errors))
        if component.method not in ("map", "bands") and component.linear is not None:
            comp_linear[index] = component.linear
        _add_table(tables, component, slots)
    return {
        "comp_slot": i64([slots.slots[c.input] for c in components]),
        "comp_method": i64([_METHODS[c.method] for c in components]),
        "comp_weight": f64([c.weight for c in components]),
        "comp_missing": f64([math.nan if c.missing is None else c.missing for c in components]),
        "comp_other": f64([math.nan if c.other is None else c.other for c in components]),
        "comp_max": f64([math.nan if c.max_points is None else c.max_points for c in components]),
        "comp_score": i64([score_index[c.score] for c in components]),
        "comp_table_start": i64(tables.start),
        "comp_error_null": i64(error_null),
        "comp_error_value": i64(error_value),
        "table_lo": f64(tables.lo), "table_lo_incl": b1(tables.lo_incl),
        "table_hi": f64(tables.hi), "table_hi_incl": b1(tables.hi_incl),
        "table_points": f64(tables.points),
        "comp_linear": comp_linear,
    }


def compile_scores(scorecard: Scorecard, slots: SlotTable) -> PlanFields:
    """`base` is 0 where none is given: only a sum adds it, and x + 0.0 is x for every sum."""
    scores = scorecard.scores
    return {
        "score_slot": i64([slots.slots[s.name] for s in scores]),
        "score_combine": i64([_COMBINES[s.combine] for s in scores]),
        "score_round": i64([-1 if s.round is None else s.round for s in scores]),
        "score_base": f64([0.0 if s.base is None else s.base for s in scores]),
    }
