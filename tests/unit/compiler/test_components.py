"""Components and scores compile to the points tables, weights and codes the kernel reads."""

from __future__ import annotations

import math

import numpy as np

from spec_example import SPEC_SCORECARD
from tierline.compiler import compile_scorecard
from tierline.kernels import opcodes as op
from tierline.scorecard.load import load_scorecard_text

INF = math.inf


def _plan():
    return compile_scorecard(load_scorecard_text(SPEC_SCORECARD)).plan


def test_each_component_reads_its_input_slot_by_its_method() -> None:
    plan = _plan()
    assert plan.comp_slot.tolist() == [0, 1, 2]  # production_impact, original_value_10k, utilisation_pct
    assert plan.comp_method.tolist() == [op.MAP, op.BANDS, op.LINEAR]
    assert plan.comp_weight.tolist() == [1.0, 1.0, 1.0]
    assert plan.comp_score.tolist() == [0, 0, 0]


def test_map_and_bands_share_one_table_with_offsets() -> None:
    plan = _plan()
    assert plan.comp_table_start.tolist() == [0, 3, 6, 6]  # the linear component has no table
    # map: keys are the category's codes (shutdown 0, ordinary 1, auxiliary 2), each [key, key]
    assert plan.table_lo[:3].tolist() == [0.0, 1.0, 2.0] and plan.table_hi[:3].tolist() == [0.0, 1.0, 2.0]
    assert plan.table_lo_incl[:3].all() and plan.table_hi_incl[:3].all()
    # bands as written: [100, inf), [50, 100), (-inf, 50)
    assert plan.table_lo[3:].tolist() == [100.0, 50.0, -INF]
    assert plan.table_hi[3:].tolist() == [INF, 100.0, 50.0]
    assert plan.table_lo_incl[3:].tolist() == [True, True, False]
    assert plan.table_hi_incl[3:].tolist() == [False, False, False]
    assert plan.table_points.tolist() == [25.0, 15.0, 10.0, 15.0, 10.0, 5.0]


def test_map_keys_are_sorted_by_code_for_the_kernels_binary_search() -> None:
    text = SPEC_SCORECARD.replace("map: {shutdown: 25, ordinary: 15, auxiliary: 10}",
                                  "map: {auxiliary: 10, shutdown: 25, ordinary: 15}")
    plan = compile_scorecard(load_scorecard_text(text)).plan
    assert plan.table_lo[:3].tolist() == [0.0, 1.0, 2.0]  # the codes follow `values:`, not the map
    assert plan.table_points[:3].tolist() == [25.0, 15.0, 10.0]


def test_linear_missing_and_max_points() -> None:
    plan = _plan()
    np.testing.assert_array_equal(plan.comp_linear, [[0, 0, 0, 0], [0, 0, 0, 0], [0, 100, 0, 10]])
    np.testing.assert_array_equal(plan.comp_missing, [np.nan, np.nan, 0.0])  # NaN: a null is invalid
    assert plan.comp_max.tolist() == [25.0, 15.0, 10.0]


def test_component_error_codes_point_into_the_error_table() -> None:
    compiled = compile_scorecard(load_scorecard_text(SPEC_SCORECARD))
    codes = compiled.error_codes
    assert [codes[c] for c in compiled.plan.comp_error_null] == [
        "production_impact:not_null", "original_value_10k:not_null", "utilisation_pct:not_null"]
    value_errors = compiled.plan.comp_error_value.tolist()
    assert [codes[c] for c in value_errors[:2]] == ["production_impact:unmapped", "original_value_10k:out_of_bands"]
    assert value_errors[2] == -1  # linear takes any value


def test_scores_combine_and_round() -> None:
    text = SPEC_SCORECARD.replace("  combine: sum\n", "  combine: mean\n  round: 1\n")
    plan = compile_scorecard(load_scorecard_text(text)).plan
    assert plan.score_slot.tolist() == [4]  # after the four inputs the scorecard reads
    assert plan.score_combine.tolist() == [op.MEAN]
    assert plan.score_round.tolist() == [1]
    assert _plan().score_round.tolist() == [-1]  # no rounding
