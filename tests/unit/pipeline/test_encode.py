"""tierline/pipeline/encode.py: Arrow columns into the kernels' float64 slots, and `evaluate` around
the fused kernel (SPEC §2.1: null and NaN are null; a value a slot cannot hold exactly is
`<column>:type`, never rounded)."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pyarrow as pa
import pytest

from kernel_rows import error_codes
from spec_example import SPEC_SCORECARD
from tierline.compiler import InputSlot, compile_scorecard
from tierline.pipeline.encode import (
    MAX_EXACT_INTEGER, drop_no_rule_of_invalid_rows, encode, encode_column, encode_inputs, evaluate, tier_values,
)
from tierline.scorecard.load import load_scorecard_text

N = math.nan
DAY = 86400.0


def number_slot(default: float = N, vocabulary: tuple | None = None) -> InputSlot:
    return InputSlot(slot=0, name="x", type="float", vocabulary=vocabulary, default=default)


def encoded(column: pa.Array, slot: InputSlot | None = None) -> tuple[list[float], list[bool] | None]:
    values, inexact = encode_column(slot or number_slot(), pa.chunked_array([column]))
    return values.tolist(), None if inexact is None else inexact.tolist()


def same(values: list[float], expected: list[float]) -> bool:
    return len(values) == len(expected) and all(
        (math.isnan(a) and math.isnan(b)) or a == b for a, b in zip(values, expected))


@pytest.mark.parametrize("arrow_type", [pa.int8(), pa.int32(), pa.int64(), pa.uint16(), pa.float32(), pa.float64()])
def test_numbers_become_float64_with_nan_for_null(arrow_type: pa.DataType) -> None:
    values, inexact = encoded(pa.array([3, None, 0, 7], type=arrow_type))
    assert same(values, [3.0, N, 0.0, 7.0])
    assert inexact is None


def test_nan_in_the_data_is_null_and_a_default_replaces_both() -> None:
    column = pa.array([1.5, None, float("nan")], type=pa.float64())
    assert same(encoded(column)[0], [1.5, N, N])
    assert encoded(column, number_slot(default=0.0))[0] == [1.5, 0.0, 0.0]


def test_decimals_read_as_their_nearest_double() -> None:
    import decimal

    column = pa.array([decimal.Decimal("12.50"), None], type=pa.decimal128(6, 2))
    assert same(encoded(column)[0], [12.5, N])


def test_text_becomes_its_code_in_the_vocabulary_and_minus_one_outside() -> None:
    slot = number_slot(vocabulary=("shutdown", "ordinary", "auxiliary"))
    expected = [1.0, -1.0, N, 0.0, 2.0]
    rows = ["ordinary", "unknown", None, "shutdown", "auxiliary"]
    for column in (pa.array(rows), pa.array(rows, type=pa.large_string()), pa.array(rows).dictionary_encode()):
        assert same(encoded(column, slot)[0], expected), column.type


def test_numbers_in_a_vocabulary_are_codes_too() -> None:
    slot = number_slot(vocabulary=(10, 20))
    assert same(encoded(pa.array([20, 30, None, 10]), slot)[0], [1.0, -1.0, N, 0.0])


def test_bools_are_one_and_zero() -> None:
    assert same(encoded(pa.array([True, False, None]))[0], [1.0, 0.0, N])


def test_dates_are_their_midnight_utc_in_seconds() -> None:
    column = pa.array([dt.date(1970, 1, 2), None, dt.date(1969, 12, 31)], type=pa.date32())
    assert same(encoded(column)[0], [DAY, N, -DAY])
    assert same(encoded(column.cast(pa.date64()))[0], [DAY, N, -DAY])


@pytest.mark.parametrize("unit", ["s", "ms", "us", "ns"])
def test_timestamps_are_seconds_since_the_epoch_in_every_unit(unit: str) -> None:
    moment = dt.datetime(2024, 2, 29, 12, 30, 15)
    column = pa.array([moment, None], type=pa.timestamp(unit))
    values, inexact = encoded(column)
    assert same(values, [moment.replace(tzinfo=dt.timezone.utc).timestamp(), N])
    assert inexact is None


def test_a_tz_aware_timestamp_is_its_utc_instant() -> None:
    local = dt.datetime(2024, 1, 1, 8, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    column = pa.array([local], type=pa.timestamp("us", tz="Asia/Shanghai"))
    assert encoded(column)[0] == [dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc).timestamp()]


def test_a_part_below_the_microsecond_is_inexact() -> None:
    column = pa.array([1_000_000_000, 1_000_000_001, None], type=pa.timestamp("ns"))
    values, inexact = encoded(column)
    assert values[0] == 1.0 and values[1] == 1.0  # the row keeps its nearest value, and is flagged
    assert inexact == [False, True, False]


def test_milliseconds_beyond_int64_microseconds_are_inexact() -> None:
    limit = np.iinfo(np.int64).max // 1000
    values, inexact = encoded(pa.array([limit, limit + 1, -limit - 1], type=pa.timestamp("ms")))
    assert inexact == [False, True, True]
    assert values[1] == 0.0 and values[2] == 0.0


def test_integers_beyond_two_to_the_53_are_inexact_and_up_to_it_are_not() -> None:
    column = pa.array([MAX_EXACT_INTEGER, MAX_EXACT_INTEGER + 1, -MAX_EXACT_INTEGER - 1, None], type=pa.int64())
    assert encoded(column)[1] == [False, True, True, False]
    assert encoded(pa.array([MAX_EXACT_INTEGER], type=pa.int64()))[1] is None
    assert encoded(pa.array([2**64 - 1], type=pa.uint64()))[1] == [True]


# ------------------------------------------------------------------ a whole scorecard


def spec_table(values_10k: pa.Array) -> pa.Table:
    n = len(values_10k)
    return pa.table({
        "equipment_id": [f"E{i}" for i in range(n)],
        "production_impact": ["shutdown"] * n,
        "original_value_10k": values_10k,
        "utilisation_pct": [50.0] * n,
        "special_equipment": [False] * (n - 1) + [True],
    })


def test_encode_fills_every_input_slot_and_leaves_the_others_null() -> None:
    compiled = compile_scorecard(load_scorecard_text(SPEC_SCORECARD))
    table = spec_table(pa.array([120.0, None]))
    matrix = encode_inputs(compiled, table)
    assert matrix.shape == (int(compiled.plan.n_slots), 2)
    inputs = {slot.slot for slot in compiled.input_slots}
    assert all(compiled.slot_names[slot.slot] == slot.name for slot in compiled.input_slots)
    assert {slot.name for slot in compiled.input_slots} == set(table.column_names) - {"equipment_id"}  # unscored
    assert np.isnan(np.delete(matrix, sorted(inputs), axis=0)).all()
    value = compiled.slot_names.index("original_value_10k")
    assert same(matrix[value].tolist(), [120.0, N])
    assert encode(compiled, table).inexact == ()


def test_evaluate_scores_and_flags_values_it_cannot_hold() -> None:
    compiled = compile_scorecard(load_scorecard_text(SPEC_SCORECARD))
    evaluation = evaluate(compiled, spec_table(pa.array([120, MAX_EXACT_INTEGER + 1, 120], type=pa.int64())))
    codes = [error_codes(compiled, evaluation, row) for row in range(3)]
    assert codes == [set(), {"original_value_10k:type"}, set()]
    tiers = [compiled.scorecard.tiers[t].code for t in evaluation.tier[[0, 2]]]
    assert tiers == ["B", "A"]  # 25 + 15 + 5 = 45; the last row's special_equipment overrides to A
    assert evaluation.invalid.tolist() == [False, True, False]


def test_no_rule_is_kept_only_for_rows_without_another_error() -> None:
    codes = ["x:not_null", "tier:no_rule"]
    errors = np.asarray([[0b10, 0b11, 0b01, 0]], dtype=np.uint64)
    drop_no_rule_of_invalid_rows(codes, errors)
    assert errors.tolist() == [[0b10, 0b01, 0b01, 0]]
    untouched = errors.copy()
    drop_no_rule_of_invalid_rows(["x:not_null"], untouched)
    assert untouched.tolist() == errors.tolist()


QUANTILE_SCORECARD = """\
scorecard: spend_tiers
version: 1
key: id
inputs:
  id: {type: string, required: true}
  spend: {type: float, min: 0}
tiers:
  by: spend
  order: desc
  quantiles:
    - {tier: A, top: 0.5}
    - {tier: B}
"""


def test_tier_values_are_the_valid_rows_with_a_value() -> None:
    compiled = compile_scorecard(load_scorecard_text(QUANTILE_SCORECARD))
    table = pa.table({"id": ["a", "b", "c", "d"], "spend": [5.0, None, -1.0, 7.0]})
    evaluation = evaluate(compiled, table)
    assert [error_codes(compiled, evaluation, row) for row in range(4)] == [set(), {"spend:not_null"}, set(), set()]
    assert tier_values(compiled, evaluation).tolist() == [5.0, -1.0, 7.0]
    evaluation.errors[0, 2] = 1  # `min: 0` is the suite's check: a row it rejects no longer counts
    assert tier_values(compiled, evaluation).tolist() == [5.0, 7.0]
