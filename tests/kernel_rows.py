"""The kernels' arrays decoded into the oracle's `RowResult`, so that the two readings compare field by field.

Shared by the random comparison (tests/unit/kernels/test_kernels_oracle.py) and the hand-worked
examples (tests/unit/kernels/test_oracle_examples.py).
"""

from __future__ import annotations

import math
from typing import Any, Sequence

import pyarrow as pa

from oracle import RowResult
from tierline.compiler import Compiled, compile_scorecard
from tierline.pipeline.aggregate import rows_compiled
from tierline.pipeline.encode import Evaluation, evaluate
from tierline.pipeline.ranks import group_ranks, rank_keys, rank_tables
from tierline.scorecard.model import Scorecard


def _number(value: float) -> float | None:
    return None if math.isnan(value) else float(value)


def _flag(value: float) -> bool | float | None:
    """1.0/0.0/NaN as True/False/None; anything else stays a float, so that it shows as a difference."""
    return None if math.isnan(value) else {1.0: True, 0.0: False}.get(value, value)


def error_codes(compiled: Compiled, evaluation: Evaluation, row: int) -> set[str]:
    """The codes whose bits are set: bit k lives in word k // 64 (an unknown bit shows as '#k')."""
    codes = set()
    for word in range(evaluation.errors.shape[0]):
        bits = int(evaluation.errors[word, row])
        for bit in range(64):
            if bits >> bit & 1:
                k = word * 64 + bit
                codes.add(compiled.error_codes[k] if k < len(compiled.error_codes) else f"#{k}")
    return codes


def kernel_row(compiled: Compiled, evaluation: Evaluation, row: int) -> RowResult:
    """One row of the kernels' arrays, decoded into the oracle's shape and Python types."""
    sc = compiled.scorecard

    def slot(name: str) -> float:
        return float(evaluation.values[compiled.slot_names.index(name), row])

    tier_index = int(evaluation.tier[row])
    override_index = int(evaluation.override[row])
    reasons = [int(k) for k in evaluation.reasons[:, row]]
    actions: dict[str, Any] = {}
    for a, action in enumerate(sc.actions):
        value = slot(action.name)
        vocabulary = compiled.action_vocabularies[a]
        if math.isnan(value):
            actions[action.name] = None
        elif action.type == "string" and vocabulary is not None and value in range(len(vocabulary)):
            actions[action.name] = vocabulary[int(value)]
        elif action.type == "bool":
            actions[action.name] = _flag(value)
        elif action.type == "int" and value.is_integer():
            actions[action.name] = int(value)
        else:
            actions[action.name] = value
    derived: dict[str, Any] = {}
    for column in sc.derived:
        value = slot(column.name)
        if column.is_text:  # the kernels' item number, read as the item's text
            derived[column.name] = column.text_of(value)
        elif column.expression.type == "bool":
            derived[column.name] = _flag(value)
        else:
            derived[column.name] = _number(value)
    return RowResult(
        points={c.name: _number(evaluation.points[k, row]) for k, c in enumerate(sc.components)},
        scores={s.name: _number(slot(s.name)) for s in sc.scores},
        tier=sc.tiers[tier_index].code if tier_index >= 0 else None,
        override=sc.overrides[override_index].name if override_index >= 0 else None,
        reasons=[sc.components[k].name for k in reasons if k >= 0],
        actions=actions,
        derived=derived,
        errors=error_codes(compiled, evaluation, row),
        ranks={r.name: None if math.isnan(slot(r.name)) else int(slot(r.name)) for r in sc.ranks},
    )


def ranked_evaluation(compiled: Compiled, table: pa.Table, bounds: Sequence[int] | None = None) -> Evaluation:
    """The kernels' evaluation with ranks within groups learned from the table itself, as a run's
    passes learn them (tierline.pipeline.ranks), its rows cut into partitions at `bounds`."""
    bounds = [0, table.num_rows] if bounds is None else bounds
    keys = []
    for a, b in zip(bounds, bounds[1:]):
        piece = table.slice(a, b - a)
        keys.append(rank_keys(compiled, piece, evaluate(rows_compiled(compiled), piece)))
    return evaluate(compiled, table, ranks=rank_tables(compiled, table, group_ranks(compiled, keys)))


def kernel_results(scorecard: Scorecard, table: pa.Table) -> list[RowResult]:
    """Every row as the kernels score it, decoded (for hand-written examples)."""
    compiled = compile_scorecard(scorecard)
    evaluation = evaluate(compiled, table)
    return [kernel_row(compiled, evaluation, row) for row in range(table.num_rows)]
