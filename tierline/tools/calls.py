"""The function calls of a scorecard's expressions, and their values for one row, for `explain`.

Each call is compiled on its own, as the compiler compiles every expression, and run by the
kernels' own `run_program` on the row's slot values: what explain shows is what run computed
inside the condition or derived column, not a second reading of the functions.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import numpy as np

from tierline.compiler import Compiled
from tierline.compiler.expressions import ProgramBuilder
from tierline.compiler.slots import lay_out_slots
from tierline.kernels.expressions import run_program
from tierline.scorecard.expressions import Call, ValueType, calls_in, check_types
from tierline.scorecard.model import Expression, RuleTiering, Scorecard


@dataclass(frozen=True)
class CallValue:
    text: str  # the call as the scorecard writes it
    value: Any  # a float, True/False, an ISO timestamp, or None for null


def expressions_with_calls(scorecard: Scorecard) -> list[tuple[str, Expression]]:
    """(where, expression) for each condition and derived column that calls a function."""
    found = [(f"override {o.name}", o.when) for o in scorecard.overrides]
    if isinstance(scorecard.tiering, RuleTiering):
        found += [(f"rule {n + 1} ({rule.tier})", rule.when) for n, rule in enumerate(scorecard.tiering.rules)
                  if rule.when is not None]
    for d in scorecard.derived:
        if d.is_text:  # its conditions as written (its expression is the item number, made up)
            found += [(f"derived {d.name} item {n + 1}", c.when) for n, c in enumerate(d.choices) if c.when is not None]
        else:
            found.append((f"derived {d.name}", d.expression))
    return [(where, expression) for where, expression in found if calls_in(expression.ast)]


def call_values(compiled: Compiled, expression: Expression, values: np.ndarray, i: int) -> list[CallValue]:
    """Each call in `expression` (inner calls first) with its value for column `i` of `values` (slots × rows)."""
    calls = calls_in(expression.ast)
    builder = ProgramBuilder(lay_out_slots(compiled.scorecard))
    programs = [builder.program(Expression(text="", ast=call, type="number")) for call in calls]
    fields = builder.plan_fields()
    stack = np.empty((int(fields["stack_depth"]), 1))
    out = np.empty(1)
    shown = []
    for call, program in zip(calls, programs):
        run_program(fields["program_start"], fields["code"], fields["code_arg"], fields["code_const"],
                    fields["set_values"], program, values, i, i + 1, stack, out)
        shown.append(CallValue(expression.text[call.column - 1:call.end - 1],
                               _readable(float(out[0]), _type_of_call(compiled.scorecard, call))))
    return shown


def _type_of_call(scorecard: Scorecard, call: Call) -> ValueType:
    """A call's type: a number, except coalesce's, which is its arguments' (bool or time)."""
    if call.function != "coalesce":
        return "number"
    types: dict[str, ValueType] = {spec.name: spec.value_type for spec in scorecard.inputs}
    types.update({a.name: a.value_type for a in scorecard.actions})
    types.update({d.name: d.expression.type for d in scorecard.derived})
    return check_types(call, lambda name: types.get(name.name, "number"))  # scores (and ranks) are numbers


def _readable(value: float, kind: ValueType) -> Any:
    if math.isnan(value):
        return None
    if kind == "bool":
        return value == 1.0
    if kind == "time":  # slots hold seconds since the epoch
        return datetime.fromtimestamp(value, tz=timezone.utc).isoformat()
    return value
