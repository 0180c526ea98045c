"""Slots: the inputs the scorecard reads, then scores, actions, derived; text as vocabulary codes."""

from __future__ import annotations

import math

from spec_example import SPEC_SCORECARD
from tierline.compiler import compile_scorecard
from tierline.scorecard.load import load_scorecard_text

WITH_DERIVED = SPEC_SCORECARD + """\
derived:
  is_shutdown: "production_impact == 'shutdown' or production_impact == 'idle'"
"""


def test_slot_order_and_the_unread_key() -> None:
    compiled = compile_scorecard(load_scorecard_text(WITH_DERIVED))
    assert compiled.slot_names == ("production_impact", "original_value_10k", "utilisation_pct", "special_equipment",
                                   "score", "review_cycle", "owner", "is_shutdown")  # equipment_id is never read
    assert compiled.plan.n_slots == len(compiled.slot_names)
    assert compiled.slot_of == {name: slot for slot, name in enumerate(compiled.slot_names)}
    assert compiled.plan.derived_slot.tolist() == [7] and compiled.plan.action_slot.tolist() == [5, 6]


def test_a_text_vocabulary_is_its_values_then_the_literals_compared_with_it() -> None:
    compiled = compile_scorecard(load_scorecard_text(WITH_DERIVED))
    impact = compiled.input_slots[0]
    assert impact.name == "production_impact" and impact.vocabulary == ("shutdown", "ordinary", "auxiliary", "idle")
    assert all(s.vocabulary is None for s in compiled.input_slots[1:])


def test_defaults_are_encoded_like_values() -> None:
    compiled = compile_scorecard(load_scorecard_text(SPEC_SCORECARD))
    special = compiled.input_slots[3]
    assert special.name == "special_equipment" and special.default == 0.0  # default: false
    assert math.isnan(compiled.input_slots[1].default)  # none


def test_action_values_are_codes_per_tier() -> None:
    compiled = compile_scorecard(load_scorecard_text(SPEC_SCORECARD))
    assert compiled.action_vocabularies == (("monthly", "quarterly", "yearly"), ("plant", "workshop", "team"))
    assert compiled.plan.action_values.tolist() == [[0.0, 1.0, 2.0], [0.0, 1.0, 2.0]]
