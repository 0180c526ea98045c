"""Overrides and the tiering → the plan's tier arrays.

The kernel knows three ways to pick a tier (`opcodes`): AXES, banded axes whose levels (one axis)
or matrix cells (two) name the tier; RULES, a decision table of programs; QUANTILES, global ranks.
A quantile tiering's `by` column travels as an axis without levels (its slot, null error and score
flag), so that reasons and nulls work alike for all three.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from tierline.compiler.arrays import PlanFields, b1, f64, i64
from tierline.compiler.errortable import NO_CODE, ErrorTable
from tierline.compiler.expressions import ProgramBuilder
from tierline.compiler.slots import SlotTable
from tierline.kernels import opcodes as op
from tierline.scorecard.model import (
    Axis, LevelTiering, MatrixTiering, QuantileTiering, RuleTiering, Scorecard, TieringKind,
)

KERNEL_TIERING = {TieringKind.LEVELS: op.AXES, TieringKind.MATRIX: op.AXES,
                  TieringKind.RULES: op.RULES, TieringKind.QUANTILES: op.QUANTILES}


@dataclass
class _TieringParts:
    """What one tiering kind fills in; the rest keeps these defaults (the kernel never reads it)."""

    axes: list[Axis] = field(default_factory=list)
    axis_values: list[list[int]] = field(default_factory=list)  # per axis, per level: see Plan
    matrix_cells: list[int] = field(default_factory=list)
    matrix_n_cols: int = 0
    scale_slot: int = -1
    scale_keys: list[float] = field(default_factory=list)
    scale_factors: list[float] = field(default_factory=list)
    rule_program: list[int] = field(default_factory=list)
    rule_tier: list[int] = field(default_factory=list)
    rule_unique: bool = False
    error_no_rule: int = NO_CODE
    error_ambiguous: int = NO_CODE
    error_no_scale: int = NO_CODE
    quantile_tier: list[int] = field(default_factory=list)
    quantile_desc: bool = False


def _tier_index(scorecard: Scorecard) -> dict[str, int]:
    return {tier.code: i for i, tier in enumerate(scorecard.tiers)}


def compile_overrides(scorecard: Scorecard, programs: ProgramBuilder) -> PlanFields:
    tier_index = _tier_index(scorecard)
    return {"override_program": i64([programs.program(o.when) for o in scorecard.overrides]),
            "override_tier": i64([tier_index[o.tier] for o in scorecard.overrides])}


def _levels(tiering: LevelTiering, tier_index: dict[str, int], slots: SlotTable, errors: ErrorTable) -> _TieringParts:
    parts = _TieringParts(axes=[Axis(by=tiering.by, by_score=tiering.by_score, levels=tiering.levels)],
                          axis_values=[[tier_index[level.tier] for level in tiering.levels]])
    if tiering.scale is not None:
        column = tiering.scale.column
        pairs = sorted((slots.encode_key(column, k), f) for k, f in tiering.scale.factors)
        parts.scale_slot = slots.slots[column]
        parts.scale_keys = [k for k, _ in pairs]
        parts.scale_factors = [f for _, f in pairs]
        parts.error_no_scale = errors.code("tier:no_scale")
    return parts


def _quantiles(tiering: QuantileTiering, tier_index: dict[str, int]) -> _TieringParts:
    return _TieringParts(axes=[Axis(by=tiering.by, by_score=tiering.by_score, levels=())], axis_values=[[]],
                         quantile_tier=[tier_index[q.tier] for q in tiering.quantiles],
                         quantile_desc=tiering.order == "desc")


def _matrix(tiering: MatrixTiering, tier_index: dict[str, int]) -> _TieringParts:
    axes = [tiering.rows, tiering.cols]
    return _TieringParts(axes=axes, axis_values=[list(range(len(axis.levels))) for axis in axes],
                         matrix_cells=[tier_index[code] for row in tiering.cells for code in row],
                         matrix_n_cols=len(tiering.cols.levels))


def _rules(tiering: RuleTiering, tier_index: dict[str, int], programs: ProgramBuilder,
           errors: ErrorTable) -> _TieringParts:
    parts = _TieringParts(rule_unique=tiering.hit == "unique")
    for rule in tiering.rules:
        parts.rule_program.append(-1 if rule.when is None else programs.program(rule.when))
        parts.rule_tier.append(tier_index[rule.tier])
    parts.error_no_rule = errors.code("tier:no_rule")
    if parts.rule_unique:
        parts.error_ambiguous = errors.code("tier:ambiguous")
    return parts


def _parts(scorecard: Scorecard, slots: SlotTable, errors: ErrorTable, programs: ProgramBuilder) -> _TieringParts:
    tiering, tier_index = scorecard.tiering, _tier_index(scorecard)
    if tiering.kind == TieringKind.LEVELS:
        return _levels(tiering, tier_index, slots, errors)
    if tiering.kind == TieringKind.QUANTILES:
        return _quantiles(tiering, tier_index)
    if tiering.kind == TieringKind.MATRIX:
        return _matrix(tiering, tier_index)
    return _rules(tiering, tier_index, programs, errors)


def by_column(scorecard: Scorecard, axis: Axis) -> str:
    """The output column an axis reads: the score's column or the input's name."""
    return scorecard.score(axis.by).output_column if axis.by_score else axis.by


def _axis_fields(scorecard: Scorecard, axes: list[Axis], slots: SlotTable, errors: ErrorTable) -> PlanFields:
    """The axes' arrays; claims each axis's `<by>:not_null` (after the tiering's own codes)."""
    levels = [level for axis in axes for level in axis.levels]
    level_start = [0]
    for axis in axes:
        level_start.append(level_start[-1] + len(axis.levels))
    return {
        "n_axes": np.int64(len(axes)),
        "axis_slot": i64([slots.slots[axis.by] for axis in axes]),
        "axis_error": i64([errors.code(f"{by_column(scorecard, axis)}:not_null") for axis in axes]),
        "axis_by_score": b1([axis.by_score for axis in axes]),
        "axis_level_start": i64(level_start),
        "axis_lo": f64([level.range.lower for level in levels]),
        "axis_lo_incl": b1([level.range.lower_inclusive for level in levels]),
        "axis_hi": f64([level.range.upper for level in levels]),
        "axis_hi_incl": b1([level.range.upper_inclusive for level in levels]),
        "reason_mask": b1([any(axis.by_score and axis.by == score.name for axis in axes)
                           for score in scorecard.scores]),
    }


def compile_tiering(scorecard: Scorecard, slots: SlotTable, errors: ErrorTable, programs: ProgramBuilder) -> PlanFields:
    parts = _parts(scorecard, slots, errors, programs)
    return {
        "tiering": np.int64(KERNEL_TIERING[scorecard.tiering.kind]),
        "given_scores": np.bool_(False),
        **_axis_fields(scorecard, parts.axes, slots, errors),
        "axis_level_value": i64([value for values in parts.axis_values for value in values]),
        "matrix_cells": i64(parts.matrix_cells),
        "matrix_n_cols": np.int64(parts.matrix_n_cols),
        "scale_slot": np.int64(parts.scale_slot),
        "scale_keys": f64(parts.scale_keys),
        "scale_factors": f64(parts.scale_factors),
        "rule_program": i64(parts.rule_program),
        "rule_tier": i64(parts.rule_tier),
        "rule_unique": np.bool_(parts.rule_unique),
        "error_no_rule": np.int64(parts.error_no_rule),
        "error_ambiguous": np.int64(parts.error_ambiguous),
        "error_no_scale": np.int64(parts.error_no_scale),
        "quantile_tier": i64(parts.quantile_tier),
        "quantile_desc": np.bool_(parts.quantile_desc),
    }


def quantile_limits(scorecard: Scorecard, population: int) -> np.ndarray:
    """Per quantile tier, the largest rank it takes: floor(top × N), computed exactly on the decimal
    the author wrote (0.07 × 100 is 7, not 7.000000000000001 or 6.999…); the last tier takes all."""
    tiering = scorecard.tiering
    assert tiering.kind == TieringKind.QUANTILES
    return np.asarray([population if q.top is None else int(Fraction(repr(q.top)) * population)
                       for q in tiering.quantiles], dtype=np.int64)
