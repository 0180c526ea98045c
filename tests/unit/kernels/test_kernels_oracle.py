"""The kernels against the oracle: random scorecards and registers, compared row by row, exactly.

`evaluate(compile_scorecard(sc), table)` must give every row the oracle's error codes and, for a
valid row, its tier, override, component points, scores, ranks, reasons, action and derived values.
A case with ranks is read as a whole register (`oracle.evaluate_register`), the kernels' ranks
learned from its rows as a run's passes learn them, the table's chunks as partitions.
Floats compare with == (the kernels' NaN reads as None): both sides do the same IEEE operations in
the same order, so a one-ulp difference is a finding, not noise.

One run compares some 20,000 distinct rows (plus 50,000 in the block test) in about 25 s. A
failure names the row, its values and Arrow types, and the scorecard YAML: paste them into a
test. Hypothesis does not shrink these cases unless TIERLINE_SHRINK=1 (it takes minutes).
"""

from __future__ import annotations

import os
import random
from typing import Any

import pyarrow as pa
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from tierline.kernels.scoring import BLOCK
from kernel_rows import kernel_row, ranked_evaluation
from oracle import RowResult, evaluate_row
from oracle_register import evaluate_register
from tierline.compiler import compile_scorecard
from tierline.pipeline.encode import evaluate
from strategies import Case, rounding_cases, scorecard_cases, wide_cases

# Shrinking these cases takes Hypothesis minutes; a failure already names its one row and the
# scorecard, so shrink only on demand: TIERLINE_SHRINK=1 pytest tests/unit/kernels/test_kernels_oracle.py
PHASES = tuple(Phase) if os.environ.get("TIERLINE_SHRINK") else (Phase.explicit, Phase.reuse, Phase.generate)

ORACLE_SETTINGS = settings(
    max_examples=200,
    deadline=None,
    phases=PHASES,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
)


def _same(a: Any, b: Any) -> bool:
    """Exact equality that tells True from 1.0 and recurses into dicts and lists."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    return a == b


def differences(expected: RowResult, actual: RowResult) -> list[str]:
    """The fields where the kernels (actual) differ from the oracle (expected); only errors for an invalid row."""
    fields = ["errors"]
    if not expected.errors:
        fields += ["tier", "override", "points", "scores", "reasons", "actions", "derived", "ranks"]
    return [f"{name}: oracle {getattr(expected, name)!r} kernel {getattr(actual, name)!r}"
            for name in fields if not _same(getattr(expected, name), getattr(actual, name))]


def assert_matches_oracle(case: Case, order: list[int] | None = None, cuts: tuple[int, ...] = ()) -> int:
    """Compare every row (of the case, or of its rows taken in `order`, the table cut into chunks
    at `cuts`); returns how many rows were compared."""
    order = list(range(len(case.rows))) if order is None else order
    table = case.table if order == list(range(len(case.rows))) else case.table.take(order)
    bounds = [0, *cuts, table.num_rows]
    if cuts:
        table = pa.concat_tables([table.slice(a, b - a) for a, b in zip(bounds, bounds[1:])])
    compiled = compile_scorecard(case.scorecard)
    if case.scorecard.ranks:  # ranks are the register's: the rows as taken, the chunks as partitions
        expected = evaluate_register(case.scorecard, [case.rows[source] for source in order])
        evaluation = ranked_evaluation(compiled, table, bounds)
        order_of = list(range(len(order)))
    else:
        expected = [evaluate_row(case.scorecard, values) for values in case.rows]
        evaluation = evaluate(compiled, table)
        order_of = order
    for row, source in enumerate(order):
        # the kernel pads reasons with -1 after the last one, never before
        padded = [int(k) for k in evaluation.reasons[:, row]]
        assert padded == sorted(padded, key=lambda k: k < 0), f"reasons {padded} have a gap, row {source} of {case!r}"
        problems = differences(expected[order_of[row]], kernel_row(compiled, evaluation, row))
        assert not problems, (f"row {source} (at {row}) of\n{case.yaml_text}--- row ---\n{case.row_text(source)}\n  "
                              + "\n  ".join(problems))
    return len(order)


@settings(ORACLE_SETTINGS, max_examples=600)
@given(scorecard_cases())
def test_kernels_match_oracle(case: Case) -> None:
    assert_matches_oracle(case)


@settings(ORACLE_SETTINGS, max_examples=400)
@given(scorecard_cases(max_derived=8, max_depth=4, expressions_only=True))
def test_expressions_match_oracle(case: Case) -> None:
    assert_matches_oracle(case)


@ORACLE_SETTINGS
@given(rounding_cases())
def test_rounding_matches_oracle(case: Case) -> None:
    assert_matches_oracle(case)


@settings(ORACLE_SETTINGS, max_examples=50)
@given(wide_cases())
def test_error_words_match_oracle(case: Case) -> None:
    assert compile_scorecard(case.scorecard).n_error_words == 2
    assert_matches_oracle(case)


@settings(ORACLE_SETTINGS, max_examples=10)
@given(scorecard_cases(max_rows=12), st.integers(0, 2**32))
def test_blocks_match_oracle(case: Case, seed: int) -> None:
    """Thousands of rows, so that the kernels' blocks of 2048 rows start and end inside the table."""
    shuffle = random.Random(seed)
    order = [shuffle.randrange(len(case.rows)) for _ in range(BLOCK * 2 + shuffle.randrange(BLOCK))]
    cuts = tuple(sorted(shuffle.sample(range(1, len(order)), 3)))  # and several Arrow chunks per column
    assert_matches_oracle(case, order, cuts)
