"""The shell that applies validation to a partition (tierline.pipeline.validate): the plan's codes
in the run's error table, failing rows' bits, counts, the manifest summary and whole-column failures."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from registers import LEVELS_SCORECARD
from tierline.compiler import compile_scorecard
from tierline.errors import InputError
from tierline.kernels.errorbits import rows_with_error
from tierline.pipeline.validate import CheckCounts, ValidationMode, apply_checks, plan_validation, summary
from tierline.scorecard.load import load_scorecard_text

SCORECARD = LEVELS_SCORECARD
SCHEMA = pa.schema([("id", pa.string()), ("amount", pa.float64())])


def _planned(mode: ValidationMode):
    compiled = compile_scorecard(load_scorecard_text(SCORECARD))
    plan, with_checks = plan_validation(compiled, mode, SCHEMA)
    return compiled, plan, with_checks


def _position(plan, column: str, expectation: str) -> int:
    [position] = [i for i, check in enumerate(plan.checks.checks)
                  if check.column == column and check.expectation_type == expectation]
    return position


def test_off_plans_no_check_and_keeps_the_error_table() -> None:
    compiled, plan, with_checks = _planned(ValidationMode.OFF)
    assert not plan.enabled and plan.codes == () and with_checks.error_codes == compiled.error_codes


def test_fast_appends_each_check_code_to_the_error_table_at_its_bit() -> None:
    compiled, plan, with_checks = _planned(ValidationMode.FAST)
    assert plan.enabled and plan.mode is ValidationMode.FAST
    assert with_checks.error_codes[:len(compiled.error_codes)] == compiled.error_codes
    assert [with_checks.error_codes[bit] for bit in plan.bits] == list(plan.codes)
    assert plan.configurations == ()  # only `gx` keeps the suite's entries for GX itself


def test_a_mode_given_as_text_is_the_same_plan() -> None:
    assert _planned(ValidationMode.FAST)[1] == plan_validation(
        compile_scorecard(load_scorecard_text(SCORECARD)), "fast", SCHEMA)[0]


def test_apply_checks_sets_the_failing_rows_bits_and_counts_them() -> None:
    _, plan, with_checks = _planned(ValidationMode.FAST)
    table = pa.table({"id": ["a", "b", None, "d"], "amount": [1.0, -1.0, 5.0, None]}, schema=SCHEMA)
    errors = np.zeros((with_checks.n_error_words, table.num_rows), dtype=np.uint64)
    counts = apply_checks(plan, with_checks.scorecard, table, errors, {}, "r.parquet")
    below = _position(plan, "amount", "expect_column_values_to_be_between")
    null_id = _position(plan, "id", "expect_column_values_to_not_be_null")
    assert rows_with_error(errors, plan.bits[below]).tolist() == [False, True, False, False]
    assert rows_with_error(errors, plan.bits[null_id]).tolist() == [False, False, True, False]
    assert (counts[below].unexpected, counts[below].nonnull, counts[below].total) == (1, 3, 4)
    assert counts[null_id].unexpected == 1


def test_summary_lists_every_check_and_names_a_failed_mostly() -> None:
    _, plan, _ = _planned(ValidationMode.FAST)
    counts = [CheckCounts(0, 4, 4) for _ in plan.codes]
    rows, failed = summary(plan, counts)
    assert [row["code"] for row in rows] == list(plan.codes) and all(row["success"] for row in rows)
    assert failed == []  # generated checks have mostly 1: a failing row quarantines, it fails no run
    counts[0] = CheckCounts(1, 4, 4)
    rows, _ = summary(plan, counts)
    assert rows[0]["success"] is False and rows[0]["unexpected"] == 1


def test_a_missing_column_fails_the_whole_column_naming_the_file() -> None:
    _, plan, with_checks = _planned(ValidationMode.FAST)
    table = pa.table({"id": ["a"]})
    errors = np.zeros((with_checks.n_error_words, 1), dtype=np.uint64)
    with pytest.raises(InputError, match=r"^r\.parquet: .*amount"):
        apply_checks(plan, with_checks.scorecard, table, errors, {}, "r.parquet")
