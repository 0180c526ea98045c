"""The compiler's results: the kernels' `Plan`, and the `Compiled` scorecard the pipeline carries.

The value space: each row of the value matrix is a slot. Slots are, in order, the inputs the
scorecard reads, the scores, the ranks, the action columns, then the derived columns. Nulls are NaN; text
is its code in the slot's vocabulary (-1 for a value outside it); bools are 0/1; dates and
timestamps are seconds since the epoch.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any, NamedTuple

import numpy as np

from tierline.kernels.errorbits import n_error_words
from tierline.scorecard.model import Scorecard


class Plan(NamedTuple):
    """Everything the scoring kernel reads; a NamedTuple of arrays so Numba takes it as one argument."""

    n_slots: np.int64
    # components
    comp_slot: np.ndarray
    comp_method: np.ndarray
    comp_weight: np.ndarray
    comp_missing: np.ndarray  # NaN: a null input is invalid
    comp_other: np.ndarray  # map: the points of a value it does not list; NaN: such a value is invalid
    comp_max: np.ndarray  # NaN: gives no reason
    comp_score: np.ndarray
    comp_table_start: np.ndarray  # C+1 offsets into the table arrays
    comp_error_null: np.ndarray
    comp_error_value: np.ndarray  # out_of_bands / unmapped
    table_lo: np.ndarray  # bands: lower bound; map: key
    table_lo_incl: np.ndarray
    table_hi: np.ndarray
    table_hi_incl: np.ndarray
    table_points: np.ndarray
    comp_linear: np.ndarray  # C x 4: x0, x1, y0, y1
    # scores
    score_slot: np.ndarray
    score_combine: np.ndarray
    score_round: np.ndarray  # -1: no rounding
    score_base: np.ndarray  # added to a sum before rounding (0: none)
    # overrides
    override_program: np.ndarray
    override_tier: np.ndarray
    # tiering
    tiering: np.int64  # AXES, RULES, QUANTILES (NO_TIERING: the rows of an aggregating scorecard)
    given_scores: np.bool_  # aggregated entities: score slots and overrides are filled in, not computed
    n_axes: np.int64  # levels: 1, matrix: 2
    axis_slot: np.ndarray
    axis_error: np.ndarray  # `<by>:not_null`
    axis_by_score: np.ndarray
    axis_level_start: np.ndarray  # n_axes+1 offsets into the axis_level arrays
    axis_lo: np.ndarray
    axis_lo_incl: np.ndarray
    axis_hi: np.ndarray
    axis_hi_incl: np.ndarray
    axis_level_value: np.ndarray  # levels: the tier index; matrix: the level's index on its axis
    matrix_cells: np.ndarray  # rows × cols tier indexes, flattened row-major
    matrix_n_cols: np.int64
    scale_slot: np.int64  # -1: no scale
    scale_keys: np.ndarray  # sorted
    scale_factors: np.ndarray
    rule_program: np.ndarray  # -1: catch-all
    rule_tier: np.ndarray
    rule_unique: np.bool_
    error_no_rule: np.int64
    error_ambiguous: np.int64
    error_no_scale: np.int64
    reason_mask: np.ndarray  # per score: its components give reasons for an axis tier
    reason_count: np.int64  # reasons per row (the rows of the `reasons` array); 0: none are computed
    quantile_tier: np.ndarray  # quantiles: tier index of each quantile, in order
    quantile_desc: np.bool_  # a larger value ranks better
    # ranks (SPEC §2.4a; the register's sorted values come with each run: `kernels.scoring.RankTables`)
    rank_slot: np.ndarray  # where each rank is written
    rank_by_slot: np.ndarray  # the score or input it ranks
    rank_desc: np.ndarray  # a larger value ranks better
    # actions and derived
    action_slot: np.ndarray
    action_values: np.ndarray  # A x T
    derived_program: np.ndarray
    derived_slot: np.ndarray
    # aggregate (weighted_mean): each row's weight must be a positive finite number
    weight_slot: np.int64  # -1: no weight
    weight_error_null: np.int64
    weight_error_between: np.int64
    # programs
    program_start: np.ndarray  # P+1 offsets
    code: np.ndarray
    code_arg: np.ndarray  # k x 2
    code_const: np.ndarray
    set_values: np.ndarray
    stack_depth: np.int64


@dataclass(frozen=True)
class InputSlot:
    """How one input column is encoded into its slot."""

    slot: int
    name: str
    type: str
    vocabulary: tuple[Any, ...] | None  # text inputs: the values that get codes 0..n-1
    default: float  # encoded default, NaN if none
    type_error: int = -1  # `<name>:type`: a value the slot cannot hold exactly (encode.py); -1: none can occur


@dataclass(frozen=True)
class Compiled:
    """A scorecard with its plan, its input encodings and its tables of names: what a run scores with."""

    scorecard: Scorecard
    plan: Plan
    input_slots: tuple[InputSlot, ...]
    slot_names: tuple[str, ...]
    error_codes: tuple[str, ...]
    action_vocabularies: tuple[tuple[Any, ...] | None, ...]

    @property
    def n_error_words(self) -> int:
        return n_error_words(len(self.error_codes))

    @cached_property
    def slot_of(self) -> Mapping[str, int]:
        """Each slot's row in the value matrix, by the name of what it holds (input, score, action,
        derived). A dict, not a proxy, so that a `Compiled` still pickles to the workers."""
        return {name: slot for slot, name in enumerate(self.slot_names)}
