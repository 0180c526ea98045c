"""Compile a checked `Scorecard` into the flat arrays the kernels read (STYLE: a compiler).

Every decision is made here once per run: which input columns the kernels need (slots), the
dictionary of every text column (so text compares as integer codes), band and level edges, the
postfix programs of every expression, and the error-code table. Per partition nothing looks a
name up in a dict. One module per part of the plan:

    slots.py        the value space: slots, text vocabularies, input encodings
    components.py   components and scores: points tables, weights, combines
    tiering.py      overrides and the tiering: axes, matrix, scale, rules, quantiles
    actions.py      action and derived columns
    aggregate.py    aggregation: the weight of a weighted mean, its codes and odd_count's
    expressions.py  postfix programs, constants, text codes
    errortable.py   the error-code table, in the order codes are claimed
    compiled.py     the results: `Plan`, `InputSlot`, `Compiled`
"""

from __future__ import annotations

import numpy as np

from tierline.compiler.actions import action_vocabularies, compile_actions, compile_derived, compile_ranks
from tierline.compiler.aggregate import compile_aggregate
from tierline.compiler.compiled import Compiled, InputSlot, Plan
from tierline.compiler.components import compile_components, compile_scores
from tierline.compiler.errortable import ErrorTable
from tierline.compiler.expressions import ProgramBuilder
from tierline.compiler.slots import input_slots, lay_out_slots
from tierline.compiler.tiering import compile_overrides, compile_tiering, quantile_limits
from tierline.scorecard.model import Scorecard

__all__ = ["Compiled", "InputSlot", "Plan", "compile_scorecard", "quantile_limits"]


def compile_scorecard(scorecard: Scorecard) -> Compiled:
    """The steps run in this order because it is the order of the error table and the programs."""
    slots = lay_out_slots(scorecard)
    errors = ErrorTable()
    programs = ProgramBuilder(slots)
    components = compile_components(scorecard, slots, errors)
    overrides = compile_overrides(scorecard, programs)
    tiering = compile_tiering(scorecard, slots, errors, programs)
    derived = compile_derived(scorecard, slots, programs)
    aggregate = compile_aggregate(scorecard, slots, errors)
    plan = Plan(n_slots=np.int64(len(slots.slots)), **components, **compile_scores(scorecard, slots), **overrides,
                **tiering, **compile_ranks(scorecard, slots), **compile_actions(scorecard, slots), **derived, **aggregate, **programs.plan_fields(),
                reason_count=np.int64(scorecard.output.computed_reasons))
    inputs = input_slots(scorecard, slots, errors)
    return Compiled(scorecard=scorecard, plan=plan, input_slots=inputs, slot_names=tuple(slots.slots),
                    error_codes=errors.names, action_vocabularies=action_vocabularies(scorecard, slots))
