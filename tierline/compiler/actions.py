"""Rank, action and derived columns → their slots, per-tier values and programs.

An action column's value is looked up by tier (`action_values`, actions × tiers, encoded like a
slot value); a derived column is a program evaluated after the tier is known.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tierline.compiler.arrays import PlanFields, b1, i64
from tierline.compiler.expressions import ProgramBuilder
from tierline.compiler.slots import SlotTable
from tierline.scorecard.model import Scorecard


def compile_ranks(scorecard: Scorecard, slots: SlotTable) -> PlanFields:
    return {"rank_slot": i64([slots.slots[r.name] for r in scorecard.ranks]),
            "rank_by_slot": i64([slots.slots[r.by] for r in scorecard.ranks]),
            "rank_desc": b1([r.order == "desc" for r in scorecard.ranks])}


def compile_actions(scorecard: Scorecard, slots: SlotTable) -> PlanFields:
    action_values = np.full((len(scorecard.actions), len(scorecard.tiers)), np.nan)
    for a, action in enumerate(scorecard.actions):
        for t, value in enumerate(action.values):
            action_values[a, t] = slots.encode_key(action.name, value)
    return {"action_slot": i64([slots.slots[a.name] for a in scorecard.actions]), "action_values": action_values}


def action_vocabularies(scorecard: Scorecard, slots: SlotTable) -> tuple[tuple[Any, ...] | None, ...]:
    """Per action column, the values its text codes stand for (None: not a text column)."""
    return tuple(slots.vocabulary(a.name) for a in scorecard.actions)


def compile_derived(scorecard: Scorecard, slots: SlotTable, programs: ProgramBuilder) -> PlanFields:
    return {"derived_program": i64([programs.program(d.expression) for d in scorecard.derived]),
            "derived_slot": i64([slots.slots[d.name] for d in scorecard.derived])}
