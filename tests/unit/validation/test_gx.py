"""`tierline.validation.gx`: GX's own verdicts, per expectation, as rows and column failures."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from tierline.errors import InputError
from tierline.validation.checks import compile_checks, pandas_frame
from tierline.validation.gx import GxVerdict, register_unique_masks, validate_frame


def expect(kind: str, column: str, code: str | None = None, **kwargs) -> dict:
    return {"type": f"expect_column_{kind}", "kwargs": {"column": column, **kwargs},
            "meta": {"tierline_code": code} if code else {}}


def test_rows_gx_lists_fail_and_a_dtype_verdict_fails_the_column() -> None:
    configurations = [expect("values_to_be_between", "x", min_value=0, max_value=5),
                      expect("values_to_be_in_type_list", "x", type_list=["str"]),
                      expect("values_to_not_be_null", "x")]
    frame = pandas_frame(pa.table({"x": pa.array([1, 7, None, -2], pa.int64())}))
    verdicts = validate_frame(compile_checks(configurations), configurations, [0, 1, 2], frame)
    assert set(verdicts) == {0, 1, 2} and all(isinstance(v, GxVerdict) for v in verdicts.values())
    assert verdicts[0].failures.tolist() == [False, True, False, True] and not verdicts[0].failed_as_whole
    assert verdicts[1].failed_as_whole  # float64 is not str: GX lists no row
    assert verdicts[2].failures.tolist() == [False, False, True, False]


def test_only_the_positions_asked_for_are_validated() -> None:
    configurations = [expect("values_to_not_be_null", "x"), expect("values_to_be_unique", "x")]
    frame = pandas_frame(pa.table({"x": ["a", "a", None]}))
    verdicts = validate_frame(compile_checks(configurations), configurations, [1], frame)
    assert list(verdicts) == [1] and verdicts[1].failures.tolist() == [True, True, False]


def test_an_expectation_gx_cannot_evaluate_is_an_input_error_naming_its_code() -> None:
    configurations = [expect("values_to_be_between", "x", code="x:between", min_value=0)]
    frame = pandas_frame(pa.table({"x": ["a", "b"]}))  # text against a number: GX raises
    with pytest.raises(InputError, match="could not evaluate x:between"):
        validate_frame(compile_checks(configurations), configurations, [0], frame)


def test_unique_over_the_register_is_one_mask_over_all_rows() -> None:
    configurations = [expect("values_to_not_be_null", "k"), expect("values_to_be_unique", "k")]
    pieces = [pa.table({"k": ["a", "b"]}), pa.table({"k": ["c", "a", None]})]
    masks = register_unique_masks(compile_checks(configurations), configurations, [1], pieces)
    assert list(masks) == [1]
    assert np.flatnonzero(masks[1]).tolist() == [0, 3]
