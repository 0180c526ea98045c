"""tierline/kernels/expressions.py (`run_program`) against a plain-Python reading of SPEC §2.4.

Programs are written here as trees, emitted as the postfix code the compiler produces, and run by
the kernel over a few rows; the same trees are read row by row in Python with None for null and
SQL's three-valued logic. Nulls are NaN to the kernel; a NaN out of arithmetic (inf - inf) is
null too, and division by zero gives null. Functions read with Python's `math`: null in, null
out (coalesce aside), null outside the domain or when the result is not finite.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oracle import round_half_away
from strategies import slot_values
from tierline.kernels.expressions import run_program
from tierline.kernels.opcodes import (
    ABS, ADD, AND, CEIL, COALESCE2, DIV, EQ, EXP, FINITE, FLOOR, GE, GT, IN_SET, IS_NOT_NULL, IS_NULL, LE, LN,
    LOG10, LT, MAX2, MIN2, MUL, NE, NEG, NOT, NOT_IN_SET, OR, PUSH_CONST, PUSH_SLOT, ROUND, SQRT, SUB,
)

T, F, N = 1.0, 0.0, math.nan
NUMBER_SLOTS = (0, 1)  # slots 0 and 1 hold numbers, 2 and 3 truth values (1.0, 0.0 or NaN)
TRUTH_SLOTS = (2, 3)
ARITHMETIC = (ADD, SUB, MUL, DIV)
COMPARISONS = (EQ, NE, LT, LE, GT, GE)
FUNCTIONS = (ABS, SQRT, EXP, LN, LOG10, FLOOR, CEIL, FINITE)  # one argument; ROUND takes decimals too
STEPS = (MIN2, MAX2, COALESCE2)

Node = tuple[Any, ...]  # (op code, operands...): (PUSH_SLOT, slot), (ADD, a, b), (IN_SET, a, items, has_null),
# (ROUND, a, decimals)


# ------------------------------------------------------------------ the kernel's side


def emit(node: Node, code: list[tuple[int, int, int, float]], set_values: list[float]) -> None:
    """Postfix code for `node`: operands first, then the op (code, arg0, arg1, const)."""
    op = node[0]
    if op == PUSH_SLOT:
        code.append((op, node[1], 0, 0.0))
    elif op == PUSH_CONST:
        code.append((op, 0, 0, node[1]))
    elif op in (IN_SET, NOT_IN_SET):
        emit(node[1], code, set_values)
        code.append((op, len(set_values), len(node[2]), 1.0 if node[3] else 0.0))
        set_values.extend(node[2])
    elif op == ROUND:
        emit(node[1], code, set_values)
        code.append((op, node[2], 0, 0.0))
    else:
        for operand in node[1:]:
            emit(operand, code, set_values)
        code.append((op, 0, 0, 0.0))


def kernel_values(node: Node, values: np.ndarray, start: int = 0, end: int | None = None) -> list[float]:
    """Run `node` over rows start..end-1 of `values` (slots × rows), as program 1 of two: program 0
    is a constant, so that the kernel must find its program through `program_start`."""
    end = values.shape[1] if end is None else end
    code: list[tuple[int, int, int, float]] = [(PUSH_CONST, 0, 0, 99.0)]
    set_values: list[float] = []
    emit(node, code, set_values)
    out = np.full(end - start, -7.0)
    run_program(np.asarray([0, 1, len(code)], dtype=np.int64), np.asarray([c[0] for c in code], dtype=np.int64),
                np.asarray([c[1:3] for c in code], dtype=np.int64).reshape(-1, 2),
                np.asarray([c[3] for c in code], dtype=np.float64), np.asarray(set_values, dtype=np.float64),
                1, values, start, end, np.empty((len(code), end - start)), out)
    return out.tolist()


# ------------------------------------------------------------------ the plain-Python reading


def _null(value: float | None) -> float | None:
    return None if value is None or math.isnan(value) else value


def _arithmetic(op: int, a: float, b: float) -> float | None:
    if op == DIV:
        return None if b == 0.0 else _null(a / b)
    return _null({ADD: a + b, SUB: a - b, MUL: a * b}[op])


def _compare(op: int, a: float, b: float) -> float:
    holds = {EQ: a == b, NE: a != b, LT: a < b, LE: a <= b, GT: a > b, GE: a >= b}[op]
    return 1.0 if holds else 0.0


def _logic(op: int, a: float | None, b: float | None) -> float | None:
    decisive = 0.0 if op == AND else 1.0  # false decides an AND, true an OR, whatever the other side
    if decisive in (a, b):
        return decisive
    return None if None in (a, b) else 1.0 - decisive


def _membership(op: int, a: float | None, items: list[float], has_null: bool) -> float | None:
    if a is None:
        return None
    if a in items:
        return 1.0 if op == IN_SET else 0.0
    return None if has_null else (0.0 if op == IN_SET else 1.0)


def _function(op: int, a: float, decimals: int) -> float | None:
    if (op == SQRT and a < 0) or (op in (LN, LOG10) and a <= 0):
        return None  # outside the domain
    try:
        result = {ABS: abs, SQRT: math.sqrt, EXP: math.exp, LN: math.log, LOG10: math.log10, FLOOR: math.floor,
                  CEIL: math.ceil, FINITE: float, ROUND: lambda x: round_half_away(x, decimals)}[op](a)
    except OverflowError:  # exp past 1.8e308; floor or ceil of an infinity
        return None
    return float(result) if math.isfinite(result) else None


def _step(op: int, a: float | None, b: float | None) -> float | None:
    if op == COALESCE2:
        return b if a is None else a
    if a is None or b is None:
        return None
    return min(a, b) if op == MIN2 else max(a, b)


def python_value(node: Node, row: dict[int, float]) -> float | None:
    """The value of `node` for one row (slot → value), None for null."""
    op = node[0]
    if op == PUSH_SLOT:
        return _null(row[node[1]])
    if op == PUSH_CONST:
        return _null(node[1])
    a = python_value(node[1], row)
    if op in (IN_SET, NOT_IN_SET):
        return _membership(op, a, node[2], node[3])
    if op in (IS_NULL, IS_NOT_NULL):
        return 1.0 if (a is None) == (op == IS_NULL) else 0.0
    if op in (NEG, NOT):
        return None if a is None else (-a if op == NEG else 1.0 - a)
    if op in FUNCTIONS or op == ROUND:
        return None if a is None else _function(op, a, node[2] if op == ROUND else 0)
    b = python_value(node[2], row)
    if op in STEPS:
        return _step(op, a, b)
    if op in (AND, OR):
        return _logic(op, a, b)
    if a is None or b is None:
        return None
    return _arithmetic(op, a, b) if op in ARITHMETIC else _compare(op, a, b)


# ------------------------------------------------------------------ random typed programs


def numbers(depth: int) -> st.SearchStrategy[Node]:
    leaf = st.one_of(st.sampled_from(NUMBER_SLOTS).map(lambda k: (PUSH_SLOT, k)),
                     slot_values().map(lambda c: (PUSH_CONST, c)))
    if depth == 0:
        return leaf
    operand = numbers(depth - 1)
    return st.one_of(leaf, operand.map(lambda a: (NEG, a)), st.tuples(st.sampled_from(ARITHMETIC), operand, operand),
                     st.tuples(st.sampled_from(FUNCTIONS), operand), st.tuples(st.just(ROUND), operand, st.integers(0, 12)),
                     st.tuples(st.sampled_from(STEPS), operand, operand))


def truths(depth: int) -> st.SearchStrategy[Node]:
    leaf = st.one_of(st.sampled_from(TRUTH_SLOTS).map(lambda k: (PUSH_SLOT, k)),
                     st.sampled_from((T, F, N)).map(lambda c: (PUSH_CONST, c)))
    if depth == 0:
        return leaf
    operand, number = truths(depth - 1), numbers(depth - 1)
    items = st.lists(slot_values(nulls=False), min_size=1, max_size=4)
    return st.one_of(
        leaf, operand.map(lambda a: (NOT, a)),
        st.tuples(st.sampled_from((IS_NULL, IS_NOT_NULL)), number),
        st.tuples(st.sampled_from(COMPARISONS), number, number),
        st.tuples(st.sampled_from((AND, OR)), operand, operand),
        st.tuples(st.sampled_from((IN_SET, NOT_IN_SET)), number, items, st.booleans()),
    )


@st.composite
def slot_rows(draw, max_rows: int = 12) -> np.ndarray:
    n = draw(st.integers(1, max_rows))
    number_rows = [draw(st.lists(slot_values(), min_size=n, max_size=n)) for _ in NUMBER_SLOTS]
    truth_rows = [draw(st.lists(st.sampled_from((T, F, N)), min_size=n, max_size=n)) for _ in TRUTH_SLOTS]
    return np.asarray(number_rows + truth_rows, dtype=np.float64)


def same(kernel: float, expected: float | None) -> bool:
    return math.isnan(kernel) if expected is None else kernel == expected


def assert_agrees(node: Node, values: np.ndarray, start: int) -> None:
    got = kernel_values(node, values, start)
    for i, value in enumerate(got):
        row = {slot: float(values[slot, start + i]) for slot in range(values.shape[0])}
        expected = python_value(node, row)
        assert same(value, expected), f"row {start + i} {row}: kernel {value} plain {expected} for {node}"


@settings(max_examples=300, deadline=None)
@given(st.one_of(numbers(3), truths(3)), slot_rows(), st.integers(0, 2))
def test_programs_match_the_plain_reading(node: Node, values: np.ndarray, skip: int) -> None:
    """From row `skip` on, so that the kernel reads `values` at start + i."""
    assert_agrees(node, values, min(skip, values.shape[1] - 1))


# ------------------------------------------------------------------ worked cases


def truth_table(op: int) -> list[float]:
    """`op` over every pair of (true, false, null) × (true, false, null), in that order."""
    pairs = [(a, b) for a in (T, F, N) for b in (T, F, N)]
    values = np.asarray([[a for a, _ in pairs], [b for _, b in pairs]])
    return kernel_values((op, (PUSH_SLOT, 0), (PUSH_SLOT, 1)), values)


def shown(results: list[float]) -> list[str]:
    return ["N" if math.isnan(x) else {1.0: "T", 0.0: "F"}.get(x, str(x)) for x in results]


def test_and_is_false_when_either_side_is_false_even_beside_null() -> None:
    assert shown(truth_table(AND)) == ["T", "F", "N", "F", "F", "F", "N", "F", "N"]


def test_or_is_true_when_either_side_is_true_even_beside_null() -> None:
    assert shown(truth_table(OR)) == ["T", "T", "T", "T", "F", "N", "T", "N", "N"]


def test_not_keeps_null() -> None:
    assert shown(kernel_values((NOT, (PUSH_SLOT, 0)), np.asarray([[T, F, N]]))) == ["F", "T", "N"]


@pytest.mark.parametrize("op", COMPARISONS)
def test_a_comparison_with_null_is_null(op: int) -> None:
    values = np.asarray([[1.0, N, N], [N, 1.0, N]])
    assert shown(kernel_values((op, (PUSH_SLOT, 0), (PUSH_SLOT, 1)), values)) == ["N", "N", "N"]


def test_division_by_zero_is_null_and_arithmetic_keeps_null() -> None:
    values = np.asarray([[6.0, 6.0, N, 6.0], [3.0, 0.0, 2.0, -0.0]])
    assert shown(kernel_values((DIV, (PUSH_SLOT, 0), (PUSH_SLOT, 1)), values)) == ["2.0", "N", "N", "N"]
    assert shown(kernel_values((ADD, (PUSH_SLOT, 0), (NEG, (PUSH_SLOT, 1))), values)) == ["3.0", "6.0", "N", "6.0"]


@pytest.mark.parametrize(("op", "has_null", "expected"), [
    (IN_SET, False, ["T", "F", "N"]),
    (IN_SET, True, ["T", "N", "N"]),  # 3 in (1, 2, null) is unknown: the null might be 3
    (NOT_IN_SET, False, ["F", "T", "N"]),
    (NOT_IN_SET, True, ["F", "N", "N"]),
])
def test_membership_with_and_without_null_in_the_list(op: int, has_null: bool, expected: list[str]) -> None:
    values = np.asarray([[1.0, 3.0, N]])
    assert shown(kernel_values((op, (PUSH_SLOT, 0), [1.0, 2.0], has_null), values)) == expected


def test_is_null_and_is_not_null() -> None:
    values = np.asarray([[0.0, N]])
    assert shown(kernel_values((IS_NULL, (PUSH_SLOT, 0)), values)) == ["F", "T"]
    assert shown(kernel_values((IS_NOT_NULL, (PUSH_SLOT, 0)), values)) == ["T", "F"]


def test_only_rows_start_to_end_are_written() -> None:
    values = np.asarray([[1.0, 2.0, 3.0, 4.0, 5.0]])
    assert kernel_values((MUL, (PUSH_SLOT, 0), (PUSH_CONST, 10.0)), values, start=1, end=4) == [20.0, 30.0, 40.0]


# ------------------------------------------------------------------ functions


def as_text(results: list[float]) -> list[str]:
    return ["N" if math.isnan(x) else str(x) for x in results]


def function_of(op: int, xs: list[float], decimals: int = 0) -> list[str]:
    node = (op, (PUSH_SLOT, 0), decimals) if op == ROUND else (op, (PUSH_SLOT, 0))
    return as_text(kernel_values(node, np.asarray([xs])))


def test_functions_outside_their_domain_or_past_float64_are_null() -> None:
    assert function_of(SQRT, [4.0, 0.0, -1.0, N, math.inf]) == ["2.0", "0.0", "N", "N", "N"]
    assert function_of(LN, [math.e, 1.0, 0.0, -1.0, N]) == ["1.0", "0.0", "N", "N", "N"]
    assert function_of(LOG10, [1000.0, 1.0, 0.0, -5.0]) == ["3.0", "0.0", "N", "N"]
    assert function_of(EXP, [0.0, 709.0, 710.0, -1e6, N, -math.inf]) == ["1.0", str(math.exp(709.0)), "N", "0.0", "N", "0.0"]
    assert function_of(ABS, [-2.5, 2.5, N, -math.inf]) == ["2.5", "2.5", "N", "N"]


def test_floor_and_ceil_stay_floats_past_int64() -> None:
    assert function_of(FLOOR, [2.5, -2.5, 1e300, N]) == ["2.0", "-3.0", "1e+300", "N"]
    assert function_of(CEIL, [2.5, -2.5, -1e300]) == ["3.0", "-2.0", "-1e+300"]


def test_round_is_half_away_from_zero_like_a_score() -> None:
    assert function_of(ROUND, [2.5, -2.5, 0.5, 1.4999, N], 0) == ["3.0", "-3.0", "1.0", "1.0", "N"]
    assert function_of(ROUND, [2.675, -1.005, 0.125], 2) == ["2.68", "-1.01", "0.13"]


def test_min_max_are_null_with_any_null_and_coalesce_takes_the_first_non_null() -> None:
    values = np.asarray([[1.0, 3.0, N, N], [2.0, N, 5.0, N]])
    a, b = (PUSH_SLOT, 0), (PUSH_SLOT, 1)
    assert as_text(kernel_values((MIN2, a, b), values)) == ["1.0", "N", "N", "N"]
    assert as_text(kernel_values((MAX2, a, b), values)) == ["2.0", "N", "N", "N"]
    assert as_text(kernel_values((COALESCE2, a, b), values)) == ["1.0", "3.0", "5.0", "N"]


def test_a_probability_of_default_from_a_points_score() -> None:
    """1 / (1 + exp((score - 487.1) / 72.13)), as the compiler emits it."""
    score = (PUSH_SLOT, 0)
    node = (DIV, (PUSH_CONST, 1.0), (ADD, (PUSH_CONST, 1.0),
                                     (EXP, (DIV, (SUB, score, (PUSH_CONST, 487.1)), (PUSH_CONST, 72.13)))))
    got = kernel_values(node, np.asarray([[487.1, 600.0, -1e6, N, 1e6]]))
    assert got[:3] == [0.5, 1 / (1 + math.exp((600.0 - 487.1) / 72.13)), 1.0]
    assert math.isnan(got[3]) and math.isnan(got[4])  # exp overflows: null, not 1 / inf = 0


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(-800.0, 800.0) | st.floats(1e-300, 1e300) | st.floats(0.0, 4.0), min_size=1, max_size=50))
def test_exp_ln_log10_sqrt_agree_with_pythons_math_to_the_bit(xs: list[float]) -> None:
    """The kernel calls the same C library functions as `math`: the oracle's numbers are the kernel's."""
    for op in (EXP, LN, LOG10, SQRT):
        got = kernel_values((op, (PUSH_SLOT, 0)), np.asarray([xs]))
        for x, value in zip(xs, got):
            assert same(value, _function(op, x, 0)), (op, x, value)
