"""tierline/kernels/aggregate.py (`group_rows`) against a plain-Python reading of SPEC §2.3.

Per group: its size, its first row, the earliest override (in the scorecard's order) that held
for any of its rows, and each score combined over its rows by mean (added in input order), weighted
mean (s₁ + Σ wᵢ(sᵢ − s₁) / Σ wᵢ, both sums added in input order, divided once), min, max or median (the mean of the two
middle values for an even count); a null score makes its group's score null.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from strategies import slot_values
from tierline.kernels.aggregate import group_rows
from tierline.kernels.opcodes import MAX, MEAN, MEDIAN, MIN, WEIGHTED_MEAN

METHODS = {"mean": MEAN, "weighted_mean": WEIGHTED_MEAN, "min": MIN, "max": MAX, "median": MEDIAN}
WEIGHTS = (1.0, 2.0, 0.5, 0.1, 0.3, 3.0, 0.7, 1e-300, 1e300)  # positive finite: invalid weights never reach grouping


def combine(values: list[float], method: int, weights: list[float]) -> float:
    """One group's score the way SPEC §2.3 reads: a mean adds in input order, then divides once."""
    if any(math.isnan(value) for value in values):
        return math.nan
    if method == WEIGHTED_MEAN:
        total, weight = 0.0, weights[0]
        for w, value in zip(weights[1:], values[1:]):
            total += w * (value - values[0])
            weight += w
        return values[0] + total / weight
    if method == MEDIAN:
        ordered = sorted(values)
        middle = len(ordered) // 2
        return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2.0
    if method == MEAN:
        total = values[0]
        for value in values[1:]:
            total += value
        return total / len(values)
    return min(values) if method == MIN else max(values)


def python_groups(group: list[int], scores: list[list[float]], weights: list[float], override: list[int], method: int):
    """(combined[s][g], rows[g], first[g], group_override[g]) with lists and loops only."""
    n_groups = max(group) + 1
    members = [[r for r, g in enumerate(group) if g == k] for k in range(n_groups)]
    overrides = [[override[r] for r in rows if override[r] >= 0] for rows in members]
    combined = [[combine([row_scores[r] for r in rows], method, [weights[r] for r in rows]) for rows in members]
                for row_scores in scores]
    return (combined, [len(rows) for rows in members], [rows[0] for rows in members],
            [min(held) if held else -1 for held in overrides])


def kernel_groups(group: list[int], scores: list[list[float]], override: list[int], method: int,
                  weights: list[float] | None = None):
    score_matrix = np.asarray(scores, dtype=np.float64).reshape(len(scores), -1)
    weight_array = np.asarray(weights if weights is not None else [], dtype=np.float64)
    combined, rows, first, group_override = group_rows(
        np.asarray(group, dtype=np.int64), max(group) + 1, score_matrix, weight_array,
        np.asarray(override, dtype=np.int64), method)
    return combined.tolist(), rows.tolist(), first.tolist(), group_override.tolist()


@st.composite
def grouped_rows(draw, nulls: bool):
    """Rows with dense group numbers in order of each group's first row (what the pipeline passes)."""
    raw = draw(st.lists(st.integers(0, 5), min_size=1, max_size=30))
    dense: dict[int, int] = {}
    group = [dense.setdefault(g, len(dense)) for g in raw]
    n_scores = draw(st.integers(1, 3))
    scores = [draw(st.lists(slot_values(nulls), min_size=len(group), max_size=len(group))) for _ in range(n_scores)]
    override = draw(st.lists(st.integers(-1, 3), min_size=len(group), max_size=len(group)))
    weights = draw(st.lists(st.sampled_from(WEIGHTS), min_size=len(group), max_size=len(group)))
    return group, scores, override, weights


def same(a: list[float], b: list[float]) -> bool:
    """Exact equality, NaN equal to NaN (a null score stays null)."""
    return len(a) == len(b) and all(x == y or (math.isnan(x) and math.isnan(y)) for x, y in zip(a, b))


@settings(max_examples=200, deadline=None)
@given(grouped_rows(nulls=False), st.sampled_from(sorted(METHODS.values())))
def test_group_rows_matches_the_plain_reading(rows, method: int) -> None:
    group, scores, override, weights = rows
    expected = python_groups(group, scores, weights, override, method)
    actual = kernel_groups(group, scores, override, method, weights)
    assert actual[1:] == expected[1:]
    for s, (want, got) in enumerate(zip(expected[0], actual[0])):
        assert same(got, want), f"score {s}: kernel {got} plain {want}"


@settings(max_examples=100, deadline=None)
@given(grouped_rows(nulls=True), st.sampled_from(sorted(METHODS.values())))
def test_a_null_score_makes_the_group_null(rows, method: int) -> None:
    group, scores, override, weights = rows
    expected = python_groups(group, scores, weights, override, method)
    actual = kernel_groups(group, scores, override, method, weights)
    for want, got in zip(expected[0], actual[0]):
        assert same(got, want)


@pytest.mark.parametrize(("method", "expected"), [
    ("mean", [2.0, 15.0, 7.0]), ("min", [1.0, 10.0, 7.0]), ("max", [3.0, 20.0, 7.0]), ("median", [2.0, 15.0, 7.0]),
])
def test_worked_groups(method: str, expected: list[float]) -> None:
    """Three entities, rows interleaved: A at rows 0, 2, 4; B at 1, 3; C at 5."""
    combined, rows, first, group_override = kernel_groups(
        [0, 1, 0, 1, 0, 2], [[1.0, 10.0, 2.0, 20.0, 3.0, 7.0]], [-1, 2, 1, 0, -1, -1], METHODS[method])
    assert combined == [expected]
    assert rows == [3, 2, 1]
    assert first == [0, 1, 5]
    assert group_override == [1, 0, -1]  # the earliest override in the scorecard's order, not in the rows'


def test_median_of_an_even_group_is_the_mean_of_the_middle_two() -> None:
    combined, *_ = kernel_groups([0, 0, 0, 0], [[9.0, 1.0, 4.0, 2.0]], [-1] * 4, MEDIAN)
    assert combined == [[3.0]]


def test_mean_adds_in_input_order() -> None:
    """1e16 + 1 rounds back to 1e16: the same three values give 0 or 1/3 by the order of their rows."""
    first_big, *_ = kernel_groups([0, 0, 0], [[1e16, 1.0, -1e16]], [-1] * 3, MEAN)
    big_ones_cancel, *_ = kernel_groups([0, 0, 0], [[1e16, -1e16, 1.0]], [-1] * 3, MEAN)
    assert first_big == [[0.0]]
    assert big_ones_cancel == [[1.0 / 3.0]]


def test_worked_weighted_mean() -> None:
    """Reviewers weighted 2, 1 and 1 give 90, 70 and 60: (180 + 70 + 60) / 4 = 77.5; B's lone row is its score."""
    combined, rows, *_ = kernel_groups([0, 1, 0, 0], [[90.0, 40.0, 70.0, 60.0]], [-1] * 4, WEIGHTED_MEAN,
                                       [2.0, 0.5, 1.0, 1.0])
    assert combined == [[77.5, 40.0]] and rows == [3, 1]


def test_weighted_mean_adds_in_input_order() -> None:
    """The same rows in another order give another last bit: the kernel keeps the rows' order."""
    weights, values = [0.1, 0.7, 0.2], [3.0, 1.0, 2.0]
    forward, *_ = kernel_groups([0, 0, 0], [values], [-1] * 3, WEIGHTED_MEAN, weights)
    backward, *_ = kernel_groups([0, 0, 0], [values[::-1]], [-1] * 3, WEIGHTED_MEAN, weights[::-1])
    assert forward == [[combine(values, WEIGHTED_MEAN, weights)]]
    assert backward == [[combine(values[::-1], WEIGHTED_MEAN, weights[::-1])]]
    assert forward != backward  # 1.4000000000000001 and 1.4


@pytest.mark.parametrize("score", [90.0, 85.0, 80.0, 3.0, 0.1])
def test_a_panel_that_agrees_gets_its_score_exactly(score: float) -> None:
    """Σ wᵢsᵢ / Σ wᵢ of five 90s weighted 0.35, 0.3, 0.15, 1.1, 0.7 is 90.00000000000001; a
    unanimous panel at a cut-off must not change tier by it."""
    weights = [0.35, 0.3, 0.15, 1.1, 0.7]
    combined, *_ = kernel_groups([0] * 5, [[score] * 5], [-1] * 5, WEIGHTED_MEAN, weights)
    assert combined == [[score]]
