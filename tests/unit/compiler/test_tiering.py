"""Each tiering kind compiles to the kernel's way of picking a tier, with its edges and codes."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from spec_example import SPEC_SCORECARD
from tierline.compiler import compile_scorecard, quantile_limits
from tierline.compiler.tiering import KERNEL_TIERING
from tierline.kernels import opcodes as op
from tierline.scorecard.load import load_scorecard, load_scorecard_text
from tierline.scorecard.model import TieringKind

SCORECARDS = Path(__file__).resolve().parents[3] / "tierline" / "scorecards"
SPEC_LEVELS = """\
tiers:
  levels:
    - {tier: A, label: A类设备, from: 75}
    - {tier: B, label: B类设备, from: 40, to: 75}
    - {tier: C, label: C类设备, to: 40}
"""
RULES = """\
tiers:
  rules:
    hit: unique
    levels:
      - {tier: A, label: A类设备, when: "score >= 75"}
      - {tier: B, label: B类设备, when: "score >= 40 and production_impact == 'ordinary'"}
      - {tier: C, label: C类设备}
"""
QUANTILES = """\
tiers:
  order: desc
  quantiles:
    - {tier: A, label: A类设备, top: 0.07}
    - {tier: B, label: B类设备, top: 0.5}
    - {tier: C, label: C类设备}
"""


def _compiled(tiers: str):
    assert SPEC_LEVELS in SPEC_SCORECARD
    return compile_scorecard(load_scorecard_text(SPEC_SCORECARD.replace(SPEC_LEVELS, tiers)))


def test_every_tiering_kind_has_a_kernel_tiering() -> None:
    assert set(KERNEL_TIERING) == set(TieringKind)


def test_levels_are_one_axis_on_the_score() -> None:
    compiled = _compiled(SPEC_LEVELS)
    plan = compiled.plan
    assert compiled.scorecard.tiering.kind is TieringKind.LEVELS
    assert plan.tiering == op.AXES and plan.n_axes == 1
    assert plan.axis_slot.tolist() == [compiled.slot_of["score"]] and plan.axis_by_score.tolist() == [True]
    assert plan.axis_level_start.tolist() == [0, 3]
    assert plan.axis_lo.tolist() == [75.0, 40.0, -math.inf] and plan.axis_hi.tolist() == [math.inf, 75.0, 40.0]
    assert plan.axis_lo_incl.tolist() == [True, True, False] and plan.axis_hi_incl.tolist() == [False, False, False]
    assert plan.axis_level_value.tolist() == [0, 1, 2]  # tier indexes
    assert compiled.error_codes[plan.axis_error[0]] == "score:not_null"
    assert plan.reason_mask.tolist() == [True]
    assert plan.rule_program.size == 0 and plan.matrix_cells.size == 0 and plan.scale_slot == -1
    assert plan.error_no_rule == plan.error_ambiguous == plan.error_no_scale == -1


def test_levels_with_a_scale_sort_its_keys() -> None:
    compiled = compile_scorecard(load_scorecard(SCORECARDS / "postal_key_accounts.yaml"))
    plan = compiled.plan
    assert plan.tiering == op.AXES
    assert plan.scale_slot == compiled.slot_of["bureau_group"]
    assert plan.scale_keys.tolist() == [1.0, 2.0, 3.0] and plan.scale_factors.tolist() == [1.0, 0.9, 0.8]
    assert compiled.error_codes[plan.error_no_scale] == "tier:no_scale"
    assert plan.axis_by_score.tolist() == [False]  # by an input: no reasons


def test_matrix_is_two_axes_and_a_cell_table() -> None:
    compiled = compile_scorecard(load_scorecard(SCORECARDS / "equipment_matrix.yaml"))
    plan = compiled.plan
    assert plan.tiering == op.AXES and plan.n_axes == 2
    assert plan.axis_slot.tolist() == [compiled.slot_of["own"], compiled.slot_of["impact"]]
    assert plan.axis_level_start.tolist() == [0, 3, 6]
    assert plan.axis_level_value.tolist() == [0, 1, 2, 0, 1, 2]  # a level's index on its axis
    # critical 0, important 1, general 2; row-major
    assert plan.matrix_cells.tolist() == [0, 0, 1, 0, 1, 2, 1, 2, 2] and plan.matrix_n_cols == 3
    assert [compiled.error_codes[c] for c in plan.axis_error] == ["score_own:not_null", "score_impact:not_null"]


def test_rules_are_programs_and_a_catch_all() -> None:
    compiled = _compiled(RULES)
    plan = compiled.plan
    assert plan.tiering == op.RULES and plan.n_axes == 0
    override_program = plan.override_program.tolist()
    assert plan.rule_program.tolist() == [override_program[-1] + 1, override_program[-1] + 2, -1]
    assert plan.rule_tier.tolist() == [0, 1, 2]
    assert bool(plan.rule_unique)
    assert compiled.error_codes[plan.error_no_rule] == "tier:no_rule"
    assert compiled.error_codes[plan.error_ambiguous] == "tier:ambiguous"


def test_first_hit_rules_cannot_be_ambiguous() -> None:
    plan = _compiled(RULES.replace("hit: unique", "hit: first")).plan
    assert not plan.rule_unique and plan.error_ambiguous == -1 and plan.error_no_rule >= 0


def test_quantiles_carry_their_by_column_as_an_axis_without_levels() -> None:
    compiled = _compiled(QUANTILES)
    plan = compiled.plan
    assert plan.tiering == op.QUANTILES and plan.n_axes == 1
    assert plan.axis_slot.tolist() == [compiled.slot_of["score"]]
    assert plan.axis_level_start.tolist() == [0, 0]
    assert plan.quantile_tier.tolist() == [0, 1, 2] and bool(plan.quantile_desc)
    assert not _compiled(QUANTILES.replace("order: desc", "order: asc")).plan.quantile_desc


@pytest.mark.parametrize("population, limits", [(100, [7, 50, 100]), (0, [0, 0, 0]), (13, [0, 6, 13])])
def test_quantile_limits_are_exact_on_the_written_decimal(population: int, limits: list[int]) -> None:
    assert quantile_limits(_compiled(QUANTILES).scorecard, population).tolist() == limits


def test_overrides_are_programs_with_their_tier() -> None:
    plan = _compiled(SPEC_LEVELS).plan
    assert plan.override_program.tolist() == [0] and plan.override_tier.tolist() == [0]
