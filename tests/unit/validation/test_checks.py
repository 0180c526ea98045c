"""Compiled checks against Great Expectations itself (SPEC §5: `--validation fast` gives GX's verdicts).

Every case runs GX 1.x on `table.to_pandas()` (tests/gx_helpers.py) and asserts that the failure mask
of `row_failures` is exactly GX's `unexpected_index_list` and that `expectation_success` is GX's
`success`; where GX raises, the compiled check must raise too. Hand-written cases pin one rule each;
the Hypothesis test mixes them on data full of nulls, NaN, ±inf, boundaries and odd text.
"""

from __future__ import annotations

import datetime as dt
import math
import pickle
import re

import numpy as np
import pyarrow as pa
import pytest
from pathlib import Path
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tierline.kernels.hashing import repeated_values
from tierline.pipeline.validate import value_hashes
from tierline.validation.checks import (
    CompiledChecks,
    candidate_value_counts,
    compile_checks,
    duplicated_values,
    evaluate,
    expectation_success,
    hashable_values,
    merge_value_counts,
    row_failures,
    value_counts,
)
from gx_helpers import run_gx
from tierline.errors import InputError, ScorecardError

pytestmark = [
    # GX's own noise on the patterns and configurations these tests feed it on purpose.
    pytest.mark.filterwarnings("ignore:This pattern is interpreted as a regular expression:UserWarning"),
    pytest.mark.filterwarnings("ignore:Possible nested set:FutureWarning"),
    pytest.mark.filterwarnings("ignore:.*row_condition.*:DeprecationWarning"),
    pytest.mark.filterwarnings("ignore:The condition_parser parameter is deprecated:DeprecationWarning"),
]

INF = math.inf
NAN = math.nan
BIG = 2**53


def expect(kind: str, column: str, **kwargs) -> dict:
    return {"type": f"expect_column_{kind}", "kwargs": {"column": column, **kwargs}, "meta": {}}


def assert_same_as_gx(table: pa.Table, expectations: list[dict]) -> None:
    """The compiled checks and GX agree on every expectation: rows, success, or both raising."""
    reference = run_gx(expectations, table)
    compiled = compile_checks(expectations)
    for check, gx in zip(compiled, reference):
        where = f"{check.expectation_type} {expectations[check.position]['kwargs']} on {table.to_pydict()}"
        try:
            outcome = evaluate(CompiledChecks((check,)), table)[0]
        except (InputError, ScorecardError) as error:
            assert gx.raised_exception, f"{where}: compiled check raised {error}, GX did not"
            continue
        assert not gx.raised_exception, f"{where}: GX raised {gx.exception_message}, compiled check did not"
        failing = np.flatnonzero(outcome.failures).tolist()
        if gx.unexpected_index_list is not None:
            assert failing == gx.unexpected_index_list, where
        else:  # a verdict on the column's dtype: all rows or none
            assert failing in ([], list(range(table.num_rows))), where
        success = expectation_success(
            check,
            outcome.unexpected_count,
            outcome.nonnull_count,
            outcome.total_count,
            failed_as_whole=outcome.failed_as_whole,
        )
        assert success == gx.success, where


# ------------------------------------------------------------------ one rule per case

FLOATS = pa.array([0.0, 5.0, INF, -INF, NAN, None, -0.0, 2.5, 5.000000000000001, 4.999999999999999])
INTS = pa.array([0, 5, 10, -1, 3, 3, 2, 1, 5, 6], pa.int64())
INTS_WITH_NULL = pa.array([0, 5, 10, -1, None, 3, BIG + 1, BIG, 5, None], pa.int64())
BOOLS = pa.array([True, False, True, None, True, False, None, True, True, False])
TEXTS = pa.array(["a", "b", "é", None, "a\n", "1", "", "A", "a", "ab 12"])


def table(**columns) -> pa.Table:
    return pa.table(columns)


RULES = {
    "nulls and NaN never fail between; ±inf fail finite bounds": (
        table(x=FLOATS), [expect("values_to_be_between", "x", min_value=0, max_value=5)]),
    "a missing bound is unbounded; inf is between -inf and inf": (
        table(x=FLOATS), [expect("values_to_be_between", "x", min_value=0),
                          expect("values_to_be_between", "x", max_value=INF),
                          expect("values_to_be_between", "x", min_value=-INF, max_value=INF),
                          expect("values_to_be_between", "x", min_value=INF)]),
    "strict bounds exclude the boundary, -0.0 equals 0": (
        table(x=FLOATS), [expect("values_to_be_between", "x", min_value=0, max_value=5, strict_min=True),
                          expect("values_to_be_between", "x", min_value=0, max_value=5, strict_max=True),
                          expect("values_to_be_between", "x", min_value=0, max_value=5,
                                 strict_min=True, strict_max=True)]),
    "int64 compares in float64, other widths exactly": (
        table(n=pa.array([BIG + 1, BIG, 5, -BIG - 1], pa.int64()),
              u=pa.array([BIG + 1, BIG, 5, 0], pa.uint64()),
              h=pa.array([1, 2, 3, 4], pa.int16())),
        [expect("values_to_be_between", "n", max_value=BIG),
         expect("values_to_be_between", "n", min_value=-BIG, strict_min=True),
         expect("values_to_be_between", "u", max_value=BIG),
         expect("values_to_be_between", "h", min_value=1.5, max_value=3.5),
         expect("values_to_be_between", "h", min_value=1, max_value=4, strict_min=True, strict_max=True),
         expect("values_to_be_between", "h", min_value=1e10),
         expect("values_to_be_between", "h", max_value=-1e10)]),
    "float32 compares exactly against float64 bounds": (
        table(f=pa.array([0.1, 0.2, 1e30, None], pa.float32())),
        [expect("values_to_be_between", "f", max_value=0.1),
         expect("values_to_be_between", "f", min_value=0.2),
         expect("values_to_be_in_set", "f", value_set=[0.1, 0.2, 0.5])]),
    "an int column with a null is a float column to GX": (
        table(n=INTS_WITH_NULL),
        [expect("values_to_be_between", "n", min_value=0, max_value=BIG),
         expect("values_to_be_in_set", "n", value_set=[0, 5, BIG]),
         expect("values_to_be_unique", "n"),
         expect("values_to_match_regex", "n", regex=r"^\d+$"),
         expect("values_to_match_regex", "n", regex=r"\.0$")]),
    "bools compare as 0 and 1": (
        table(b=BOOLS, c=pa.array([True, False] * 5)),
        [expect("values_to_be_between", "b", min_value=0, max_value=0.5),
         expect("values_to_be_between", "c", min_value=0.5),
         expect("values_to_be_in_set", "b", value_set=[1]),
         expect("values_to_be_in_set", "c", value_set=[0.0]),
         expect("values_to_be_in_set", "c", value_set=["True", 2])]),
    "between on text raises in GX and here": (
        table(s=TEXTS), [expect("values_to_be_between", "s", min_value=0, max_value=1)]),
    "a bound of the wrong kind raises where GX compares it, and only there": (
        table(x=pa.array([None, NAN], pa.float64()), s=pa.array([None, None], pa.string()),
              ns=pa.array([None, None], pa.timestamp("ns")), us=pa.array([None, None], pa.timestamp("us")),
              z=pa.array([None, None], pa.timestamp("us", tz="UTC")), f=pa.array([1.0, None])),
        [expect("values_to_be_between", "x", min_value="2020-01-01"),
         expect("values_to_be_between", "s", min_value=1),
         expect("values_to_be_between", "ns", min_value="2020-01-01"),
         expect("values_to_be_between", "us", min_value="2020-01-01"),
         expect("values_to_be_between", "z", min_value="2020-01-01T00:00:00"),
         expect("values_to_be_between", "f", max_value="2020-01-01T00:00:00")]),
    "in_set is exact equality across int, float and bool, strings only equal strings": (
        table(x=FLOATS, n=INTS, s=TEXTS),
        [expect("values_to_be_in_set", "x", value_set=[0, 5, INF]),
         expect("values_to_be_in_set", "n", value_set=[0.0, 5, "10", True, 2.5]),
         expect("values_to_be_in_set", "n", value_set=[]),
         expect("values_to_be_in_set", "s", value_set=["a", 1, "1.0", None]),
         expect("values_to_be_in_set", "s", value_set=[])]),
    "in_set on big integers stays exact": (
        table(n=pa.array([BIG + 1, BIG, 5, -BIG - 1], pa.int64())),
        [expect("values_to_be_in_set", "n", value_set=[float(BIG)]),
         expect("values_to_be_in_set", "n", value_set=[BIG + 1])]),
    "unique fails every row of a repeated value, never a null": (
        table(x=FLOATS, n=INTS, s=TEXTS, b=BOOLS, z=pa.array([None, None, 1.0, NAN, NAN, 2.0, None, 3, 4, 5])),
        [expect("values_to_be_unique", "x"), expect("values_to_be_unique", "n"),
         expect("values_to_be_unique", "s"), expect("values_to_be_unique", "b"),
         expect("values_to_be_unique", "z")]),
    "not_null counts NaN as null and divides by all rows": (
        table(x=FLOATS, s=TEXTS),
        [expect("values_to_not_be_null", "x"),
         expect("values_to_not_be_null", "x", mostly=0.8),
         expect("values_to_not_be_null", "x", mostly=0.81),
         expect("values_to_not_be_null", "s", mostly=0.9)]),
    "mostly divides by non-null rows": (
        table(x=FLOATS),  # 8 non-null, 2 outside [0, 5]: 6/8 = 0.75
        [expect("values_to_be_between", "x", min_value=0, max_value=5, mostly=0.75),
         expect("values_to_be_between", "x", min_value=0, max_value=5, mostly=0.76),
         expect("values_to_be_between", "x", min_value=0, max_value=5, mostly=0)]),
    "mostly at a repeating fraction": (
        table(n=pa.array([1, 2, 9], pa.int64())),  # 2/3 pass
        [expect("values_to_be_between", "n", max_value=2, mostly=2 / 3),
         expect("values_to_be_between", "n", max_value=2, mostly=0.6666666666666667)]),
    "regex searches anywhere, with Python's semantics for $, \\w, \\s": (
        table(s=TEXTS),
        [expect("values_to_match_regex", "s", regex="^[a-z]$"),
         expect("values_to_match_regex", "s", regex="a"),
         expect("values_to_match_regex", "s", regex=r"^\w+$"),
         expect("values_to_match_regex", "s", regex=r"a$"),
         expect("values_to_match_regex", "s", regex=r"a\Z"),
         expect("values_to_match_regex", "s", regex=r"\s"),
         expect("values_to_match_regex", "s", regex=r"^\S+$"),
         expect("values_to_match_regex", "s", regex=r"(?i)^a"),
         expect("values_to_match_regex", "s", regex=r"(?<=a)b"),
         expect("values_to_match_regex", "s", regex=r"^$"),
         expect("values_to_match_regex", "s", regex=r"\d", mostly=0.1)]),
    "regex on ASCII data without newlines runs in RE2 with the same answers": (
        table(s=pa.array(["ab", "a b", "AB1", None, "b_2", "", "zz"])),
        [expect("values_to_match_regex", "s", regex=r"^\w+$"),
         expect("values_to_match_regex", "s", regex=r"\bb"),
         expect("values_to_match_regex", "s", regex=r"b$"),
         expect("values_to_match_regex", "s", regex=r"^[a-z]{1,2}$"),
         expect("values_to_match_regex", "s", regex=r"\d")]),
    "a final $ runs in RE2 on text with newlines, with Python's answers": (
        table(s=pa.array(["a", "a\n", "a\n\n", "\n", "", "b\na", "a\nb", "ba\n", None, "ab"])),
        [expect("values_to_match_regex", "s", regex="a$"),
         expect("values_to_match_regex", "s", regex="^a$"),
         expect("values_to_match_regex", "s", regex="^$"),
         expect("values_to_match_regex", "s", regex="^(a|b)+$"),
         expect("values_to_match_regex", "s", regex="(?s)a.*$"),
         expect("values_to_match_regex", "s", regex="a$|b"),
         expect("values_to_match_regex", "s", regex="(?m)a$"),
         expect("values_to_match_regex", "s", regex=r"a\$")]),
    "regex on numbers and bools reads their str()": (
        table(x=FLOATS, n=INTS, b=BOOLS),
        [expect("values_to_match_regex", "x", regex=r"\.0$"),
         expect("values_to_match_regex", "x", regex=r"^-"),
         expect("values_to_match_regex", "n", regex=r"^[0-5]$"),
         expect("values_to_match_regex", "b", regex=r"^True$")]),
    "text columns as large_string, string_view and dictionary": (
        table(l=pa.array(["a", None, "b", "a"], pa.large_string()),
              v=pa.array(["a", None, "b", "a"], pa.string_view()),
              d=pa.array(["a", None, "b", "a"]).dictionary_encode()),
        [expect("values_to_be_in_set", "l", value_set=["a"]), expect("values_to_be_unique", "v"),
         expect("values_to_match_regex", "d", regex="^a$"), expect("values_to_be_in_set", "d", value_set=["b"]),
         expect("values_to_be_unique", "d"), expect("values_to_not_be_null", "d")]),
    "dates and timestamps between date and datetime bounds": (
        table(d=pa.array([dt.date(2020, 1, 1), dt.date(2020, 6, 1), None, dt.date(2019, 12, 31)]),
              t=pa.array([dt.datetime(2020, 1, 1), dt.datetime(2020, 6, 1), None, dt.datetime(2019, 12, 31)],
                         pa.timestamp("us")),
              ns=pa.array([dt.datetime(2020, 1, 1), None, dt.datetime(2020, 6, 1, 0, 0, 0, 1), dt.datetime(2019, 1, 1)],
                          pa.timestamp("ns")),
              z=pa.array([dt.datetime(2020, 1, 1), dt.datetime(2020, 6, 1), None, dt.datetime(2019, 12, 31)],
                         pa.timestamp("us", tz="UTC"))),
        [expect("values_to_be_between", "d", min_value="2020-01-01", max_value="2020-03-01"),
         expect("values_to_be_between", "d", min_value="2020-01-01", strict_min=True),
         expect("values_to_be_between", "d", min_value="2020-01-01T00:00:00"),
         expect("values_to_be_between", "d", min_value=0),
         expect("values_to_be_between", "t", min_value="2020-01-01T00:00:00", max_value="2020-06-01T00:00:00",
                strict_max=True),
         expect("values_to_be_between", "t", min_value="2020-01-01"),
         expect("values_to_be_between", "ns", max_value="2020-06-01T00:00:00"),
         expect("values_to_be_between", "ns", min_value="2020-01-01"),
         expect("values_to_be_between", "z", min_value="2020-01-01T00:00:00+00:00"),
         expect("values_to_be_between", "z", min_value="2020-01-01T08:00:00+08:00", strict_min=True),
         expect("values_to_be_between", "z", min_value="2020-01-01T00:00:00"),
         expect("values_to_be_in_set", "d", value_set=["2020-01-01", dt.date(2020, 6, 1)]),
         expect("values_to_be_unique", "t")]),
    "type checks judge the pandas dtype, or each value of an object column": (
        table(n=INTS, m=INTS_WITH_NULL, i=pa.array([1, 2] * 5, pa.int32()), x=FLOATS, s=TEXTS, b=BOOLS,
              c=pa.array([True] * 10), d=pa.array([dt.date(2020, 1, 1)] * 9 + [None])),
        [expect("values_to_be_in_type_list", "n", type_list=["int64"]),
         expect("values_to_be_in_type_list", "n", type_list=["int"]),
         expect("values_to_be_in_type_list", "m", type_list=["int64"]),
         expect("values_to_be_in_type_list", "m", type_list=["float64", "int64"]),
         expect("values_to_be_in_type_list", "i", type_list=["int"]),
         expect("values_to_be_in_type_list", "x", type_list=["float"]),
         expect("values_to_be_in_type_list", "s", type_list=["str"]),
         expect("values_to_be_in_type_list", "s", type_list=["string", "object"]),
         expect("values_to_be_in_type_list", "b", type_list=["bool"]),
         expect("values_to_be_in_type_list", "b", type_list=["int"]),
         expect("values_to_be_in_type_list", "b", type_list=["float"]),
         expect("values_to_be_in_type_list", "c", type_list=["bool"]),
         expect("values_to_be_in_type_list", "d", type_list=["date", "datetime64"]),
         expect("values_to_be_of_type", "n", type_="int64"),
         expect("values_to_be_of_type", "i", type_="int64"),
         expect("values_to_be_of_type", "x", type_="float"),
         expect("values_to_be_of_type", "s", type_="str"),
         expect("values_to_be_of_type", "b", type_="bool"),
         expect("values_to_be_of_type", "b", type_="object"),
         expect("values_to_be_of_type", "d", type_="date"),
         expect("values_to_be_of_type", "d", type_="str")]),
    "column to exist": (
        table(a=INTS, b=INTS),
        [expect("to_exist", "a"), expect("to_exist", "nope"),
         expect("to_exist", "b", column_index=1), expect("to_exist", "b", column_index=0),
         expect("to_exist", "b", column_index=-1), expect("to_exist", "a", column_index=5)]),
    "an empty table is vacuously valid": (
        pa.table({"x": pa.array([], pa.float64()), "s": pa.array([], pa.string())}),
        [expect("values_to_not_be_null", "x"), expect("values_to_be_between", "x", min_value=0),
         expect("values_to_be_unique", "s"), expect("values_to_match_regex", "s", regex="a")]),
    "an all-null column is vacuously valid except for not_null": (
        table(x=pa.array([None, NAN, None]), s=pa.array([None, None, None], pa.string())),
        [expect("values_to_not_be_null", "x", mostly=0), expect("values_to_not_be_null", "s"),
         expect("values_to_be_between", "x", min_value=0), expect("values_to_be_in_set", "s", value_set=["a"]),
         expect("values_to_be_unique", "s"), expect("values_to_match_regex", "s", regex="a")]),
}


@pytest.mark.parametrize("rule", list(RULES))
def test_rule_matches_gx(rule: str) -> None:
    data, expectations = RULES[rule]
    assert_same_as_gx(data, expectations)


def test_unique_marks_every_copy_and_no_null() -> None:
    data = table(s=pa.array(["a", None, "b", "a", None, "c", "a"]))
    [mask] = row_failures(compile_checks([expect("values_to_be_unique", "s")]), data)
    assert mask.tolist() == [True, False, False, True, False, False, True]


def test_masks_are_numpy_bools_one_per_expectation() -> None:
    data = table(x=FLOATS, s=TEXTS)
    compiled = compile_checks([expect("values_to_not_be_null", "x"), expect("values_to_match_regex", "s", regex="a")])
    masks = row_failures(compiled, data)
    assert len(masks) == 2
    assert all(mask.dtype == np.bool_ and mask.shape == (data.num_rows,) for mask in masks)


def test_chunked_columns_give_the_same_masks() -> None:
    whole = table(x=FLOATS, s=TEXTS)
    chunked = pa.concat_tables([whole.slice(0, 3), whole.slice(3, 4), whole.slice(7)])
    assert chunked.column("x").num_chunks == 3
    compiled = compile_checks([
        expect("values_to_be_between", "x", min_value=0, max_value=5), expect("values_to_be_unique", "s"),
        expect("values_to_match_regex", "s", regex=r"^\w$"), expect("values_to_be_in_set", "s", value_set=["a"]),
    ])
    for left, right in zip(row_failures(compiled, whole), row_failures(compiled, chunked)):
        assert left.tolist() == right.tolist()


def test_meta_code_is_kept() -> None:
    entry = expect("values_to_not_be_null", "x")
    entry["meta"] = {"tierline_code": "x:not_null"}
    [check] = compile_checks([entry])
    assert check.code == "x:not_null" and check.name == "x:not_null"


def test_accepts_tuples_and_gx_suite_json() -> None:
    import great_expectations as gx

    suite = gx.ExpectationSuite(name="s")
    suite.add_expectation(gx.expectations.ExpectColumnValuesToBeBetween(
        column="x", min_value=0, max_value=5, mostly=0.5, meta={"tierline_code": "x:between"}))
    [from_json] = compile_checks(suite.to_json_dict()["expectations"])
    [from_tuple] = compile_checks([("expect_column_values_to_be_between", {"column": "x", "min_value": 0,
                                                                         "max_value": 5, "mostly": 0.5}, {})])
    assert (from_json.min_value, from_json.max_value, from_json.mostly, from_json.code) == (0.0, 5.0, 0.5, "x:between")
    assert (from_tuple.min_value, from_tuple.max_value, from_tuple.mostly) == (0.0, 5.0, 0.5)


# ------------------------------------------------------------------ what is refused, and why


@pytest.mark.parametrize("entry, words", [
    (expect("values_to_be_null", "x"), "expect_column_values_to_be_null"),
    (expect("values_to_be_between", "x"), "cannot both be None"),
    (expect("values_to_be_between", "x", min_value=5, max_value=1), "greater than max_value"),
    (expect("values_to_be_in_set", "x", value_set="abc"), "refuses"),
    (expect("values_to_match_regex", "s", regex="(a"), "not a portable"),
    (expect("values_to_match_regex", "s", regex=r"\pL"), "not a portable"),            # RE2 only
    (expect("values_to_match_regex", "s", regex="^[[:alpha:]]$"), "not a portable"),   # POSIX class to RE2 only
    (expect("values_to_match_regex", "s", regex="^a{,3}$"), "{0,n}"),                  # literal text to RE2
    (expect("values_to_match_regex", "s", regex="(?x) a"), "RE2 lacks"),
    (expect("values_to_match_regex", "s", regex="(?>a)b"), "RE2 lacks"),
    (expect("values_to_match_regex", "s", regex="a++"), "RE2 lacks"),
    (expect("values_to_match_regex", "s", regex=r"(a)?(?(1)b|c)"), "RE2 lacks"),
    (expect("values_to_be_between", "x", min_value=0, row_condition='x>0', condition_parser="pandas"),
     "row_condition"),
])
def test_refused_with_a_clear_message(entry: dict, words: str) -> None:
    with pytest.raises(ScorecardError, match=words.replace("{", r"\{").replace("}", r"\}")):
        compile_checks([entry])


def test_refused_regexes_are_the_ones_gx_reads_two_ways() -> None:
    # `[[:alpha:]]` is a POSIX class to RE2 and a set of ":[ahlp" to Python; pandas picks the engine
    # by the data, so GX's verdict on "a" flips with a newline elsewhere in the batch.
    pattern = "^[[:alpha:]]$"
    [plain] = run_gx([expect("values_to_match_regex", "s", regex=pattern)], table(s=pa.array(["a", "b"])))
    [newline] = run_gx([expect("values_to_match_regex", "s", regex=pattern)], table(s=pa.array(["a", "b\n"])))
    assert plain.unexpected_index_list == [] and newline.unexpected_index_list == [0, 1]


@pytest.mark.parametrize(("pattern", "re2", "needs_no_newline"), [
    ("^[a-z]+$", True, False),  # the only `$`, last: RE2 says "then nothing, or one newline"
    (r"^\w+$", True, False),
    ("a$|b", True, True),  # `$` inside a branch
    ("^a$b?$", True, True),  # two of them
    ("(?m)^a$", True, True),  # MULTILINE: every line's end
    (r"a$\n", True, True),  # not the last token
    (r"a\$", True, False),  # a literal dollar
    (r"^(?=a)\w+$", False, False),  # a lookahead: Python's re only
])
def test_regex_plan(pattern: str, re2: bool, needs_no_newline: bool) -> None:
    [check] = compile_checks([expect("values_to_match_regex", "s", regex=pattern)])
    assert (check.regex_plan.re2_pattern is not None) == re2
    assert check.regex_plan.needs_no_newline == needs_no_newline


@settings(max_examples=200, deadline=None)
@given(texts=st.lists(st.text(alphabet="ab\n", max_size=5), min_size=1, max_size=8),
       pattern=st.sampled_from(("a$", "^a+$", "^(a|b)$", "b*$", "^$", "(?s)^.*a$", "(a|b\n)$", "(?i)^A$")))
def test_a_final_dollar_in_re2_gives_pythons_answers(texts: list[str], pattern: str) -> None:
    [check] = compile_checks([expect("values_to_match_regex", "s", regex=pattern)])
    assert not check.regex_plan.needs_no_newline
    [mask] = row_failures(CompiledChecks((check,)), table(s=pa.array(texts)))
    assert mask.tolist() == [re.search(pattern, text) is None for text in texts]


def test_python_regex_stops_at_its_time_bound() -> None:
    """A lookahead keeps `(a+)+` in Python's re, which backtracks for ages on the last value."""
    from tierline.validation.checks import RegexTooSlow

    [check] = compile_checks([{"type": "expect_column_values_to_match_regex",
                               "kwargs": {"column": "s", "regex": "^(?=a)(a+)+$"}, "meta": {"tierline_code": "s:regex"}}])
    data = table(s=pa.array(["aa", "b", "a" * 40 + "!"]))
    with pytest.raises(RegexTooSlow, match=r"check s:regex on column 's'.* ran over 1 s on one value") as raised:
        row_failures(CompiledChecks((check,)), data)
    assert isinstance(raised.value, ScorecardError) and raised.value.exit_code == 2
    sent = RegexTooSlow(check, 1.0, source="card.yaml", re2_could=True)
    again = pickle.loads(pickle.dumps(sent))  # as from a Dask worker
    assert str(again) == str(sent) and str(again).startswith("card.yaml: ") and again.re2_could
    assert row_failures(CompiledChecks((check,)), data.slice(0, 2))[0].tolist() == [False, True]


def test_missing_column_is_an_input_error() -> None:
    with pytest.raises(InputError, match="'nope' is missing"):
        row_failures(compile_checks([expect("values_to_not_be_null", "nope")]), table(x=FLOATS))


def test_expectation_success_rules() -> None:
    [between] = compile_checks([expect("values_to_be_between", "x", min_value=0, mostly=0.75)])
    [not_null] = compile_checks([expect("values_to_not_be_null", "x", mostly=0.75)])
    assert expectation_success(between, 0, 0, 0)          # no rows
    assert expectation_success(between, 0, 0, 10)         # no non-null rows
    assert expectation_success(between, 2, 8, 100)        # 6/8 non-null pass
    assert not expectation_success(between, 3, 8, 100)
    assert expectation_success(not_null, 25, 75, 100)     # 75/100 rows
    assert not expectation_success(not_null, 26, 74, 100)
    assert not expectation_success(between, 0, 8, 8, failed_as_whole=True)


# ------------------------------------------------------------------ uniqueness over many partitions


def unique_failures(key_arrays) -> list[np.ndarray]:
    """Register-wide `unique` as a run judges it (tierline.pipeline.validate), without the spill: each
    partition's value hashes, the hashes seen twice, exact counts of only those candidates, the
    duplicated values, and the check on each partition with them."""
    hashes = [value_hashes(hashable_values(keys)) for keys in key_arrays]
    repeated = repeated_values(np.concatenate(hashes)) if hashes else np.zeros(0, dtype=np.uint64)
    counts = [candidate_value_counts(keys, np.isin(h, repeated)) for keys, h in zip(key_arrays, hashes)]
    duplicated = duplicated_values(counts)
    compiled = compile_checks([expect("values_to_be_unique", "key")])
    return [row_failures(compiled, table(key=keys), duplicates={0: duplicated})[0] for keys in key_arrays]



def test_unique_over_partitions_matches_gx_on_the_whole_register() -> None:
    partitions = [
        pa.array(["a", "b", None, "c"]),
        pa.array(["d", "a", None]),
        pa.array([], pa.string()),
        pa.array(["e", "e", "f", "c"]),
    ]
    masks = unique_failures(partitions)
    whole = table(key=pa.concat_arrays(partitions))
    [gx] = run_gx([expect("values_to_be_unique", "key")], whole)
    assert np.flatnonzero(np.concatenate(masks)).tolist() == gx.unexpected_index_list
    assert [mask.tolist() for mask in masks] == [
        [True, False, False, True], [False, True, False], [], [True, True, False, True]]


def test_unique_over_partitions_of_floats_ints_and_nulls() -> None:
    partitions = [pa.array([1.0, NAN, -0.0]), pa.array([0, 2, 3], pa.int64()), pa.array([2, None], pa.int64())]
    masks = unique_failures(partitions)
    assert [mask.tolist() for mask in masks] == [[False, False, True], [True, True, False], [True, False]]


def test_value_counts_merge_in_any_grouping() -> None:
    counts = [value_counts(pa.array(part)) for part in (["a", "b"], ["b", "c"], ["c", "d", "a"], [None, "e"])]
    left = merge_value_counts([merge_value_counts(counts[:2]), merge_value_counts(counts[2:])])
    flat = merge_value_counts(counts)
    assert sorted(left.to_pylist(), key=str) == sorted(flat.to_pylist(), key=str)
    assert sorted(duplicated_values([left]).to_pylist()) == ["a", "b", "c"]


def test_global_duplicates_feed_row_failures() -> None:
    compiled = compile_checks([expect("values_to_be_unique", "k"), expect("values_to_not_be_null", "k")])
    first, second = table(k=pa.array(["a", "b"])), table(k=pa.array(["b", "c", None]))
    duplicated = duplicated_values([value_counts(first.column("k")), value_counts(second.column("k"))])
    assert row_failures(compiled, first, duplicates={0: duplicated})[0].tolist() == [False, True]
    assert row_failures(compiled, second, duplicates={0: duplicated})[0].tolist() == [True, False, False]
    assert unique_failures([first.column("k"), second.column("k")])[1].tolist() == [True, False, False]


def test_global_duplicates_of_another_numeric_type() -> None:
    # one partition's ints hold a null (float64 to pandas), the other's do not (int64)
    with_null, without = pa.array([1, None, 3], pa.int64()), pa.array([3, 4, 2], pa.int64())
    duplicated = duplicated_values([value_counts(with_null), value_counts(without)])
    assert duplicated.type == pa.float64() and duplicated.to_pylist() == [3.0]
    compiled = compile_checks([expect("values_to_be_unique", "k")])
    assert row_failures(compiled, table(k=without), duplicates={0: duplicated})[0].tolist() == [True, False, False]
    floats = table(k=pa.array([2.5, 3.0]))
    assert row_failures(compiled, floats, duplicates={0: pa.array([2, 3], pa.int64())})[0].tolist() == [False, True]


# ------------------------------------------------------------------ Hypothesis: everything mixed

FLOAT_VALUES = (0.0, -0.0, 5.0, 2.5, 4.999999999999999, 5.000000000000001, 1e300, -1e300, INF, -INF, NAN, None,
                0.1, 0.30000000000000004, 3.0, -7.25)
INT_VALUES = (0, 5, -1, 3, 10, 2, 7)
BIG_INTS = (BIG, BIG + 1, -BIG - 1)
TEXT_VALUES = ("a", "b", "c", "zz", "", "A", "é", "a\n", "1", "1.0", " a", "甲", "ab12", "AB-12", "a b", "b_2",
               "a\x0bb", "٣", "a\nb")
BOUNDS = (0, 5, 2.5, -1, 3, 10, 0.1, 1e300, INF, -INF, -0.0)
DATES = (dt.date(2020, 1, 1), dt.date(2020, 6, 1), dt.date(2019, 12, 31), dt.date(2024, 2, 29))
DATE_BOUNDS = ("2020-01-01", "2020-06-01", "2019-12-31", "2020-01-01T00:00:00", 3)
SET_MEMBERS = (0, 5, 5.0, 2.5, -0.0, True, False, "a", "5", "b", 1, 3, BIG, INF, "", "甲", 10, DATES[0], "2020-06-01")
PATTERNS = ("^[a-z]$", r"^\w+$", r"\d", "a$", r"^a\Z", "(?i)^a", r"\s", r"(?<!z)a", "^$", "^.{2}$", "[0-9]+",
            r"\bab", "甲", r"^\S+$", "^(a|b)+$", r"\.", "^-?[0-9]+(\\.[0-9]+)?$", "[^a-z]", "(?m)^b$", "A|B",
            r"^\w$", r"\W", r"\D", r"\Bb", "(?s)a.b", "a.b", r"^\d+$", "-", r"(a)\1", "a$|b", "(?s)a.*$",
            r"a\$", "^b*$")
TYPE_NAMES = ("int64", "int", "float64", "float", "str", "string", "bool", "object", "date", "int32", "datetime64")
MOSTLY = (None, None, 0, 0.5, 0.75, 0.8, 1)


@st.composite
def registers(draw) -> pa.Table:
    rows = draw(st.integers(0, 12))
    column = lambda values: draw(st.lists(st.sampled_from(values), min_size=rows, max_size=rows))  # noqa: E731
    ints = column(INT_VALUES + (BIG_INTS if draw(st.booleans()) else ()) + ((None,) if draw(st.booleans()) else ()))
    int_type = draw(st.sampled_from((pa.int64(), pa.int32(), pa.int16(), pa.uint16())))
    if int_type != pa.int64():
        lowest = 0 if int_type == pa.uint16() else -(2**15)
        ints = [v if v is None or lowest <= v < 2**15 else 7 for v in ints]
    text_type = draw(st.sampled_from(("string", "large_string", "string_view", "dictionary")))
    text_arrow_type = {"large_string": pa.large_string(), "string_view": pa.string_view()}.get(text_type, pa.string())
    texts = pa.array(column(TEXT_VALUES + (None,)), text_arrow_type)
    return pa.table({
        "x": pa.array(column(FLOAT_VALUES), draw(st.sampled_from((pa.float64(), pa.float64(), pa.float32())))),
        "d": pa.array(column(DATES + (None,)), pa.date32()),
        "n": pa.array(ints, int_type),
        "s": texts.dictionary_encode() if text_type == "dictionary" else texts,
        "b": pa.array(column((True, False, None) if draw(st.booleans()) else (True, False)), pa.bool_()),
    })


def _mostly(draw) -> dict:
    mostly = draw(st.sampled_from(MOSTLY))
    return {} if mostly is None else {"mostly": mostly}


@st.composite
def expectations(draw) -> dict:
    kind = draw(st.sampled_from(("between", "between", "in_set", "unique", "regex", "regex", "not_null", "type")))
    if kind == "between" and draw(st.integers(0, 3)) == 0:
        low, high = sorted(draw(st.lists(st.sampled_from(DATE_BOUNDS[:3]), min_size=2, max_size=2)))
        bounds = draw(st.sampled_from(({"min_value": low}, {"max_value": high}, {"min_value": low, "max_value": high},
                                       {"min_value": draw(st.sampled_from(DATE_BOUNDS))})))
        return expect("values_to_be_between", "d", **bounds, strict_min=draw(st.booleans()),
                      strict_max=draw(st.booleans()), **_mostly(draw))
    if kind == "between":
        column = draw(st.sampled_from(("x", "n", "b")))
        low, high = draw(st.sampled_from(BOUNDS + (None,))), draw(st.sampled_from(BOUNDS + (None,)))
        if low is None and high is None:
            high = 5
        if low is not None and high is not None and low > high:
            low, high = high, low
        bounds = {k: v for k, v in (("min_value", low), ("max_value", high)) if v is not None}
        return expect("values_to_be_between", column, **bounds, strict_min=draw(st.booleans()),
                      strict_max=draw(st.booleans()), **_mostly(draw))
    if kind == "in_set":
        members = draw(st.lists(st.sampled_from(SET_MEMBERS), max_size=6))
        return expect("values_to_be_in_set", draw(st.sampled_from(("x", "n", "s", "b", "d"))), value_set=members,
                      **_mostly(draw))
    if kind == "unique":
        return expect("values_to_be_unique", draw(st.sampled_from(("x", "n", "s", "b", "d"))), **_mostly(draw))
    if kind == "regex":
        column = draw(st.sampled_from(("s", "s", "s", "x", "n", "b", "d")))
        return expect("values_to_match_regex", column, regex=draw(st.sampled_from(PATTERNS)), **_mostly(draw))
    if kind == "not_null":
        return expect("values_to_not_be_null", draw(st.sampled_from(("x", "n", "s", "b", "d"))), **_mostly(draw))
    column = draw(st.sampled_from(("x", "n", "s", "b", "d")))
    if draw(st.booleans()):
        return expect("values_to_be_of_type", column, type_=draw(st.sampled_from(TYPE_NAMES)))
    return expect("values_to_be_in_type_list", column,
                  type_list=draw(st.lists(st.sampled_from(TYPE_NAMES), min_size=1, max_size=3)))


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=registers(), suite=st.lists(expectations(), min_size=1, max_size=8))
def test_compiled_checks_match_gx(data: pa.Table, suite: list[dict]) -> None:
    assert_same_as_gx(data, suite)


@pytest.mark.parametrize("scorecard_text", ["equipment_abc", "every_option"])
def test_generated_suite_compiles_the_same_without_gx(scorecard_text: str, tmp_path) -> None:
    """The fast path compiles tierline's own suite without GX's model; it must read it as GX does."""
    from tierline.validation.checks import compile_generated_checks
    from tierline.validation.suite import input_expectations
    from tierline.scorecard.load import load_scorecard, load_scorecard_text

    if scorecard_text == "equipment_abc":
        scorecard = load_scorecard(Path(__file__).resolve().parents[3] / "scorecards" / "equipment_abc.yaml")
    else:
        scorecard = load_scorecard_text("""\
scorecard: every_option
version: 1
key: id
inputs:
  id: {type: string, required: true, regex: "^E[0-9]{3}$"}
  count: {type: int, min: 1, max: 5, default: 3, unique: true}
  amount: {type: float, min: -2.5}
  size: {type: category, values: [s, m, l]}
  level: {type: category, values: [1, 2, 3]}
  backup: {type: bool, required: true}
  day: {type: date}
  seen: {type: timestamp}
tiers:
  levels: [{tier: a, from: 2}, {tier: b, to: 2}]
  by: count
""")
    configurations = [c for spec in scorecard.inputs for c in input_expectations(spec, scorecard.key)]
    assert compile_generated_checks(configurations) == compile_checks(configurations)


def test_native_type_map_is_gxs() -> None:
    from great_expectations.expectations.type_comparison import native_type_type_map as gx_map

    from tierline.validation.checks import native_type_type_map

    for name in ("none", "None", "bool", "int", "long", "float", "bytes", "complex", "str", "string_types", "STR",
                 "list", "dict", "unicode", "date", "datetime64[us]", "object", ""):
        assert native_type_type_map(name) == gx_map(name), name
