"""`tierline.validation.checks.model` and the type verdicts (`checks.dtypes`): small types said once."""

from __future__ import annotations

import pyarrow as pa

from tierline.validation.checks import ExpectationType, TypeVerdict, compile_checks, evaluate
from tierline.validation.checks.column import gx_view
from tierline.validation.checks.dtypes import type_verdict


def test_error_code_is_the_meta_code_else_column_and_type() -> None:
    coded, plain = compile_checks([
        {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "x"}, "meta": {"tierline_code": "x:nn"}},
        {"type": "expect_column_values_to_be_unique", "kwargs": {"column": "y"}},
    ])
    assert coded.error_code == "x:nn" and coded.name == "x:nn"
    assert plain.error_code == "y:column_values_to_be_unique"


def test_which_types_judge_the_column() -> None:
    judged = {kind for kind in ExpectationType if kind.judges_column}
    assert judged == {ExpectationType.EXIST, ExpectationType.IN_TYPE_LIST, ExpectationType.OF_TYPE}
    assert ExpectationType.EXIST == "expect_column_to_exist"  # GX's own type name


def test_type_verdicts_and_the_outcomes_they_give() -> None:
    def checks(type_list):
        return compile_checks([{"type": "expect_column_values_to_be_in_type_list",
                                "kwargs": {"column": "x", "type_list": type_list}}])

    ints, texts = pa.table({"x": pa.array([1, 2], pa.int64())}), pa.table({"x": ["a", None, "b"]})
    assert type_verdict(checks(["int64"])[0], gx_view(ints.column("x"))) is TypeVerdict.PASS
    assert type_verdict(checks(["str"])[0], gx_view(ints.column("x"))) is TypeVerdict.COLUMN_FAILS
    assert type_verdict(checks(["int"])[0], gx_view(texts.column("x"))) is TypeVerdict.VALUES_FAIL
    [whole] = evaluate(checks(["str"]), ints)
    assert whole.failed_as_whole and whole.unexpected_count == 2
    [values] = evaluate(checks(["int"]), texts)
    assert values.failures.tolist() == [True, False, True] and values.unexpected_count == 2
    assert not values.failed_as_whole
