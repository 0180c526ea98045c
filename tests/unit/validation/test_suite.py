"""`tierline.validation.suite`: the GX 1.x suite a scorecard's inputs describe (SPEC §2.1, §3, §5).

Suites are checked as data (names, order, kwargs, codes), round-tripped through GX's JSON, and run by
Great Expectations itself on small registers written to Parquet in `tmp_path`, so every verdict
below is GX's. One ephemeral Data Context serves the module: GX is slow to import, quick after.
"""

from __future__ import annotations

import datetime
import decimal
import json
from pathlib import Path
from typing import Any

import great_expectations as gx
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from great_expectations.core import ExpectationSuite
from great_expectations.data_context.types.base import ProgressBarsConfig

from tierline.validation.suite import (
    FINITE_MAX,
    frame_for_suite,
    load_extra_suite,
    suite_for,
    suite_json,
    tierline_code,
    type_list,
    write_suite,
)
from tierline.cli import main
from registers import EQUIPMENT_ABC, write_scorecard
from tierline.errors import ScorecardError
from tierline.scorecard.load import load_scorecard

TIERS = """\
score:
  combine: sum
  components:
    - {name: points, input: count, value: true}
tiers:
  levels:
    - {tier: A, from: 3}
    - {tier: B, to: 3}
"""

# Every input option of SPEC §2.1, one check per line of the table in `tierline.validation.suite`.
EVERY_OPTION = """\
scorecard: every_option
version: 3
key: id
inputs:
  id: {type: string, required: true, regex: "^E[0-9]{3}$"}
  kind: {type: category, values: [pump, valve], required: true}
  value: {type: float, min: 0}
  pct: {type: float, min: 0, max: 100}
  free: {type: float}
  weight: {type: float, required: true}
  count: {type: int, min: 1, max: 5}
  serial: {type: int, unique: true}
  backup: {type: bool, default: true}
  grade: {type: category, values: [a, b], default: a, required: true}
  tag: {type: string, unique: true, default: none}
  level: {type: int, default: 9, max: 5}
  day: {type: date}
  seen: {type: timestamp}
  size: {type: category, values: [1, 2, 3]}
  mingcheng: {type: string, regex: "^[一-龥]+$"}
""" + TIERS

EXPECTED_CODES = [
    "id:missing", "id:type", "id:not_null", "id:unique", "id:regex",
    "kind:missing", "kind:type", "kind:not_null", "kind:in_set",
    "value:missing", "value:type", "value:between",
    "pct:missing", "pct:type", "pct:between",
    "free:missing", "free:type", "free:between",
    "weight:missing", "weight:type", "weight:not_null", "weight:between",
    "count:missing", "count:type", "count:between",
    "serial:missing", "serial:type", "serial:unique",
    "backup:missing", "backup:type",
    "grade:missing", "grade:type", "grade:in_set",  # required, but a default fills every null
    "tag:missing", "tag:type", "tag:unique",
    "level:missing", "level:type", "level:between",
    "day:missing", "day:type",
    "seen:missing", "seen:type",
    "size:missing", "size:type", "size:in_set",
    "mingcheng:missing", "mingcheng:type", "mingcheng:regex",
]

CHECK_TYPES = {
    "missing": "expect_column_to_exist",
    "type": ("expect_column_values_to_be_in_type_list", "expect_column_values_to_be_of_type"),
    "not_null": "expect_column_values_to_not_be_null",
    "between": "expect_column_values_to_be_between",
    "in_set": "expect_column_values_to_be_in_set",
    "unique": "expect_column_values_to_be_unique",
    "regex": "expect_column_values_to_match_regex",
}


# --- running GX -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def batch_definition():
    """The GX 1.x way to validate an in-memory pandas frame: ephemeral context → pandas data
    source → dataframe asset → whole-dataframe batch definition; the frame comes per batch."""
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    asset = context.data_sources.add_pandas("tierline").add_dataframe_asset(name="register")
    return asset.add_batch_definition_whole_dataframe("whole register")


def run_suite(batch_definition, suite: ExpectationSuite, frame, *, may_raise: bool = False) -> dict[str, Any]:
    """code → the frame's index of every unexpected row; for a column-level check (exists, a
    non-object dtype's type) its success; "raised" where GX could not run the expectation."""
    batch = batch_definition.get_batch(batch_parameters={"dataframe": frame})
    results = batch.validate(suite, result_format="COMPLETE")
    verdicts: dict[str, Any] = {}
    for result in results.results:
        config = result.expectation_config
        code = tierline_code(config)
        if raised(result.exception_info):
            assert may_raise, (config.type, result.exception_info)
            verdicts[code] = "raised"
        elif "unexpected_index_list" in result.result:
            rows = sorted(result.result["unexpected_index_list"])
            assert result.success == (not rows)
            verdicts[code] = sorted(set(verdicts.get(code, [])) | set(rows))  # one code, several checks
        else:
            verdicts[code] = verdicts.get(code, True) and result.success
    return verdicts


def raised(exception_info: dict) -> bool:
    """Whether GX could not run an expectation. A passing or failing one has
    {"raised_exception": False, ...}; one whose metrics raised has one ExceptionInfo per metric."""
    if "raised_exception" in exception_info:
        return bool(exception_info["raised_exception"])
    return any(getattr(info, "raised_exception", False) for info in exception_info.values())


def failures(verdicts: dict[str, Any]) -> dict[str, Any]:
    return {code: rows for code, rows in verdicts.items() if rows not in ([], True)}


def through_parquet(tmp_path: Path, table: pa.Table) -> pa.Table:
    path = tmp_path / "register.parquet"
    pq.write_table(table, path)
    return pq.read_table(path)


def scorecard_file(tmp_path: Path, text: str, name: str = "card.yaml"):
    return load_scorecard(write_scorecard(tmp_path / name, text))


# --- the suite as data ----------------------------------------------------------------------


def codes(suite: ExpectationSuite) -> list[str]:
    return [expectation.meta["tierline_code"] for expectation in suite.expectations]


def test_equipment_abc_suite_lists_every_check_in_input_order():
    suite = suite_for(load_scorecard(EQUIPMENT_ABC))
    assert suite.name == "tierline.equipment_abc.v2"
    assert codes(suite) == [
        "equipment_id:missing", "equipment_id:type", "equipment_id:not_null", "equipment_id:unique",
        "production_impact:missing", "production_impact:type", "production_impact:not_null",
        "production_impact:in_set",
        "original_value_10k:missing", "original_value_10k:type", "original_value_10k:between",
        "utilisation_pct:missing", "utilisation_pct:type", "utilisation_pct:between",
        "has_backup:missing", "has_backup:type",
        "direct_designation:missing", "direct_designation:type",
        "other_items_points:missing", "other_items_points:type", "other_items_points:between",
    ]
    kwargs = {e.meta["tierline_code"]: e.configuration.kwargs for e in suite.expectations}
    assert kwargs["production_impact:in_set"]["value_set"] == ["shutdown", "ordinary", "auxiliary"]
    assert (kwargs["original_value_10k:between"]["min_value"], kwargs["original_value_10k:between"]["max_value"]) == (0, FINITE_MAX)
    assert (kwargs["utilisation_pct:between"]["min_value"], kwargs["utilisation_pct:between"]["max_value"]) == (0, 100)
    assert kwargs["equipment_id:type"] == {"column": "equipment_id", "type_": "str"}
    for expectation in suite.expectations:
        assert getattr(expectation, "mostly", 1.0) == 1.0  # the scorecard never loosens a check
        assert "mostly" not in expectation.configuration.kwargs
        assert not expectation.configuration.kwargs.get("strict_min") and not expectation.configuration.kwargs.get("strict_max")


def test_every_input_option_gives_its_check(tmp_path):
    suite = suite_for(scorecard_file(tmp_path, EVERY_OPTION))
    assert suite.name == "tierline.every_option.v3"
    assert codes(suite) == EXPECTED_CODES
    for expectation in suite.expectations:
        column, check = expectation.meta["tierline_code"].split(":")
        expected = CHECK_TYPES[check]
        assert expectation.expectation_type in (expected if isinstance(expected, tuple) else (expected,))
        assert expectation.configuration.kwargs["column"] == column
    kwargs = {e.meta["tierline_code"]: e.configuration.kwargs for e in suite.expectations}
    bounds = {code: (k.get("min_value"), k.get("max_value")) for code, k in kwargs.items() if code.endswith(":between")}
    assert bounds == {
        "value:between": (0, FINITE_MAX),  # float: the open side is the largest finite double
        "pct:between": (0, 100),
        "free:between": (-FINITE_MAX, FINITE_MAX),  # float without bounds: only ±inf fails
        "weight:between": (-FINITE_MAX, FINITE_MAX),
        "count:between": (1, 5),
        "level:between": (None, 5),  # int: no inf to catch, the open side stays open
    }
    assert kwargs["size:in_set"]["value_set"] == [1, 2, 3]
    assert kwargs["id:regex"]["regex"] == "^E[0-9]{3}$"
    assert kwargs["count:type"]["type_list"] == type_list(load_scorecard(tmp_path / "card.yaml").input("count"))
    assert "float64" in kwargs["count:type"]["type_list"]  # pandas widens an int column with nulls
    assert kwargs["day:type"]["type_list"] == kwargs["seen:type"]["type_list"] == [
        "datetime64[s]", "datetime64[ms]", "datetime64[us]", "datetime64[ns]", "date"]
    assert kwargs["backup:type"]["type_list"] == ["bool"]


@pytest.mark.parametrize("which", ["equipment_abc", "every_option"])
def test_suite_round_trips_through_gx_json(tmp_path, which):
    scorecard = load_scorecard(EQUIPMENT_ABC) if which == "equipment_abc" else scorecard_file(tmp_path, EVERY_OPTION)
    suite = suite_for(scorecard)
    text = suite_json(scorecard)
    assert json.loads(text) == suite.to_json_dict()
    again = ExpectationSuite(**json.loads(text))
    assert again == suite
    assert len(again.expectations) == len(suite.expectations)  # GX drops bad ones silently: none here
    assert again.to_json_dict() == suite.to_json_dict()
    if which == "every_option":
        assert "[一-龥]" in text and "\\u" not in text  # ensure_ascii=False: the Chinese regex as written


def test_key_marked_unique_gets_one_unique_check(tmp_path):
    card = scorecard_file(tmp_path, """\
scorecard: keyed
version: 1
key: count
inputs:
  count: {type: int, unique: true, required: true}
""" + TIERS)
    assert codes(suite_for(card)) == ["count:missing", "count:type", "count:not_null", "count:unique"]


# --- GX's verdicts --------------------------------------------------------------------------

NAN, INF = float("nan"), float("inf")

# One row per case; `None` is an Arrow null. Expected failures are listed by code below.
ROWS: dict[str, list[Any]] = {
    #          0       1       2       3       4       5        6       7       8       9       10      11
    "id":     ["E001", None,   "E001", "X12",  "E004", "E005",  "E006", "E007", "E008", "E009", "E010", "E0111"],
    "kind":   ["pump", "pump", "valve", "pump", "hose", None,   "pump", "pump", "pump", "pump", "pump", "Pump"],
    "value":  [1.0,    -1.0,   INF,    -INF,   NAN,    None,    0.0,    2.0,    3.0,    4.0,    5.0,    6.0],
    "pct":    [0.0,    100.0,  100.5,  -0.5,   50.0,   NAN,     None,   1.0,    1.0,    1.0,    1.0,    1.0],
    "free":   [1e308,  -1e308, INF,    NAN,    None,   0.0,     0.0,    -INF,   0.0,    0.0,    0.0,    0.0],
    "weight": [1.0,    1.0,    1.0,    1.0,    1.0,    1.0,     NAN,    None,   1.0,    1.0,    1.0,    1.0],
    "count":  [1,      5,      0,      6,      None,   3,       3,      3,      3,      3,      3,      3],
    "serial": [10,     11,     12,     13,     14,     15,      16,     17,     10,     None,   None,   19],
    "backup": [True,   None,   False,  True,   True,   True,    True,   True,   True,   True,   True,   True],
    "grade":  ["a",    None,   "b",    "c",    "a",    "a",     "a",    "a",    "a",    "a",    "a",    "a"],
    "tag":    ["t0",   None,   None,   "t3",   "t4",   "t5",    "t6",   "t7",   "t8",   "none", "t10",  "t11"],
    "level":  [1,      None,   5,      6,      1,      1,       1,      1,      1,      1,      1,      1],
    "day":    [datetime.date(2024, 1, d) for d in range(1, 12)] + [None],
    "seen":   [datetime.datetime(2024, 1, 1, h) for h in range(12)],
    "size":   [1,      2,      3,      4,      None,   1,       1,      1,      1,      1,      1,      1],
    "mingcheng":   ["泵",   "阀门", "pump", None,   "泵",   "泵",    "泵",   "泵",   "泵",   "泵",   "泵",   "泵a"],
    "plant":  ["p"] * 12,  # undeclared: passed through, never checked
}

EXPECTED_FAILURES = {
    "id:not_null": [1],
    "id:unique": [0, 2],  # GX flags every copy of a duplicate, not the second only
    "id:regex": [3, 11],  # "E0111": the scorecard anchors its regex with ^...$
    "kind:not_null": [5],
    "kind:in_set": [4, 11],  # in_set is case-sensitive
    "value:between": [1, 2, 3],  # -1, inf, -inf; NaN (4) and null (5) are nulls, not out of range
    "pct:between": [2, 3],  # 0 and 100 are in: bounds are inclusive
    "free:between": [2, 7],  # ±1e308 are finite; ±inf are not
    "weight:not_null": [6, 7],  # NaN is null, like a null
    "count:between": [2, 3],
    "serial:unique": [0, 8],  # nulls (9, 10) are never duplicates
    "grade:in_set": [3],  # the null (1) became the default "a"
    "tag:unique": [1, 2, 9],  # after defaults: two nulls became "none", as row 9 already is
    "level:between": [1, 3],  # the null (1) became the default 9 > max 5
    "size:in_set": [3],
    "mingcheng:regex": [2, 11],
}


def every_option_table() -> pa.Table:
    types = {"count": pa.int32(), "serial": pa.int64(), "level": pa.int8(), "size": pa.int64(),
             "seen": pa.timestamp("us", tz="Asia/Shanghai")}
    arrays = {}
    for name, values in ROWS.items():
        if name in ("value", "pct", "free", "weight"):  # keep NaN a NaN and None a null
            arrays[name] = pa.array(values, type=pa.float64(), from_pandas=False)
        else:
            arrays[name] = pa.array(values, type=types.get(name))
    return pa.table(arrays)


def test_gx_flags_exactly_the_rows_each_check_names(tmp_path, batch_definition):
    card = scorecard_file(tmp_path, EVERY_OPTION)
    table = through_parquet(tmp_path, every_option_table())
    assert pc.is_nan(table.column("weight")).to_pylist()[6] is True  # a real NaN went in
    # the register's schema: `seen` is tz-aware, and its type check is the one GX can pass on it
    verdicts = run_suite(batch_definition, suite_for(card, table.schema), frame_for_suite(table, card))
    assert set(verdicts) == set(EXPECTED_CODES)
    assert failures(verdicts) == EXPECTED_FAILURES  # every missing / type check passes too


def test_the_suite_describes_the_data_after_defaults(tmp_path, batch_definition):
    card = scorecard_file(tmp_path, EVERY_OPTION)
    table = through_parquet(tmp_path, every_option_table())
    frame = frame_for_suite(table, card)
    assert frame.loc[1, "grade"] == "a" and bool(frame.loc[1, "backup"]) is True
    assert frame.loc[1, "level"] == 9 and str(frame["level"].dtype) == "int8"  # filled in Arrow: stays int
    assert list(frame.index) == list(range(table.num_rows))  # GX's indexes are row numbers
    # On the raw frame the defaulted nulls pass every check (nulls skip map checks), so the
    # failures that only the default value makes disappear.
    raw = table.to_pandas(date_as_object=False, ignore_metadata=True)
    for name in ("id", "kind", "grade", "tag", "mingcheng"):
        raw[name] = raw[name].astype(object)
    raw_failures = failures(run_suite(batch_definition, suite_for(card, table.schema), raw))
    only_after_defaults = {"grade:in_set": [1], "tag:unique": [1, 2, 9], "level:between": [1]}
    assert raw_failures == {
        "grade:in_set": [3], "level:between": [3],
        **{code: rows for code, rows in EXPECTED_FAILURES.items() if code not in only_after_defaults},
    }


@pytest.mark.parametrize(("declared", "column"), [
    ("int", pa.array([1, 2], pa.int8())),
    ("int", pa.array([1, 2], pa.uint32())),
    ("int", pa.array([1, None], pa.int64())),  # pandas: float64
    ("int", pa.array([None, None], pa.null())),
    ("float", pa.array([1.5, None], pa.float32())),
    ("float", pa.array([1, 2], pa.int16())),
    ("float", pa.array([decimal.Decimal("1.50"), None], pa.decimal128(6, 2))),
    ("bool", pa.array([True, None])),  # pandas: object of Python bools
    ("bool", pa.array([True, False])),
    ("string", pa.array(["a", None])),
    ("string", pa.array(["a", None], pa.large_string())),
    ("string", pa.array(["a", None]).dictionary_encode()),
    ("category", pa.array(["x", "y"]).dictionary_encode()),
    ("date", pa.array([datetime.date(2024, 1, 1), None], pa.date32())),
    ("date", pa.array([datetime.datetime(2024, 1, 1), None], pa.timestamp("ms"))),
    ("timestamp", pa.array([datetime.datetime(2024, 1, 1), None], pa.timestamp("ns", tz="UTC"))),
])
def test_type_passes_for_every_column_tierline_accepts(tmp_path, batch_definition, declared, column):
    values = ", values: [x, y]" if declared == "category" else ""
    card = scorecard_file(tmp_path, f"""\
scorecard: typed
version: 1
key: count
inputs:
  count: {{type: int}}
  c: {{type: {declared}{values}}}
""" + TIERS)
    table = through_parquet(tmp_path, pa.table({"count": pa.array([1, 2]), "c": column}))
    verdicts = run_suite(batch_definition, suite_for(card, table.schema), frame_for_suite(table, card))
    assert verdicts["c:type"] in (True, []), verdicts


def test_type_fails_on_the_dtype_or_on_every_value_of_object_text(tmp_path, batch_definition):
    """A typed column fails its type check as a whole; text is object dtype to GX (as in its own
    test definitions), which GX judges value by value, so every text value fails an int type list.
    (A run never gets this far: `tierline.pipeline.register.castable` refuses both columns, exit 3.)"""
    card = scorecard_file(tmp_path, """\
scorecard: typed
version: 1
key: count
inputs:
  count: {type: int}
  name: {type: string}
""" + TIERS)
    table = pa.table({"count": pa.array(["1", "2"]), "name": pa.array([1, 2])})
    verdicts = run_suite(batch_definition, suite_for(card), frame_for_suite(table, card))
    assert verdicts["count:type"] == [0, 1] and verdicts["name:type"] is False
    assert verdicts["count:missing"] is True


def test_text_type_check_passes_on_pandas_3_text_dtype(tmp_path, batch_definition):
    """GX 1.x fails every type *list* on pandas' own `str` dtype, so text inputs are checked with
    `of_type: str`, which passes on it as on object columns of str (frame_for_suite's)."""
    card = load_scorecard(EQUIPMENT_ABC)
    raw = pa.table({"equipment_id": pa.array(["E1", "E2"])}).to_pandas()
    suite = ExpectationSuite(name="t", expectations=[
        e for e in suite_for(card).expectations if e.meta["tierline_code"] == "equipment_id:type"])
    if str(raw["equipment_id"].dtype) == "object":
        pytest.skip("this pandas reads strings as object dtype")
    assert run_suite(batch_definition, suite, raw) == {"equipment_id:type": True}


def test_regex_is_searched_not_fully_matched(tmp_path, batch_definition):
    """GX matches with `str.contains` (`re.search`): a scorecard anchors with ^...$ itself."""
    card = scorecard_file(tmp_path, """\
scorecard: searched
version: 1
key: count
inputs:
  count: {type: int}
  code: {type: string, regex: "[0-9]{3}"}
""" + TIERS)
    table = pa.table({"count": [1, 2, 3], "code": ["x1234y", "12", "abc"]})
    assert failures(run_suite(batch_definition, suite_for(card), frame_for_suite(table, card))) == {
        "code:regex": [1, 2]}


def test_missing_declared_column_fails_column_exists(tmp_path, batch_definition):
    card = load_scorecard(EQUIPMENT_ABC)
    suite = ExpectationSuite(name="t", expectations=[
        e for e in suite_for(card).expectations if e.meta["tierline_code"] == "has_backup:missing"])
    frame = frame_for_suite(pa.table({"equipment_id": ["E1"]}), card)
    assert run_suite(batch_definition, suite, frame) == {"has_backup:missing": False}


# --- extra suites ---------------------------------------------------------------------------

WITH_EXTRA = """\
scorecard: extra
version: 1
key: count
expectations: checks/more.json
inputs:
  count: {type: int, min: 1}
""" + TIERS


def write_extra(tmp_path: Path, content: Any) -> Path:
    path = tmp_path / "checks" / "more.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content if isinstance(content, str) else json.dumps(content), encoding="utf-8")
    return path


EXTRA_SUITE = {
    "name": "anything",
    "expectations": [
        {"type": "expect_column_values_to_match_regex", "kwargs": {"column": "plant", "regex": "^P"},
         "id": "0b6a1f3e-0000-4000-8000-000000000001"},
        {"type": "expect_column_values_to_be_between", "kwargs": {"column": "count", "max_value": 3},
         "meta": {"tierline_code": "count:between"}},
    ],
    "meta": {},
}


def test_extra_suite_is_appended_after_the_generated_checks(tmp_path, batch_definition):
    write_extra(tmp_path, EXTRA_SUITE)
    card = scorecard_file(tmp_path / "cards", WITH_EXTRA.replace("checks/", "../checks/"))
    extra = load_extra_suite(card)
    assert [c.type for c in extra] == ["expect_column_values_to_match_regex", "expect_column_values_to_be_between"]
    assert extra[0].id is None  # a stored id belongs to the other suite
    suite = suite_for(card)
    assert [tierline_code(e.configuration) for e in suite.expectations] == [
        "count:missing", "count:type", "count:between", "count:unique",
        "plant:missing",  # undeclared column an extra expectation reads: it must exist
        "plant:column_values_to_match_regex", "count:between",
    ]
    assert ExpectationSuite(**json.loads(suite_json(card))) == suite
    table = pa.table({"count": pa.array([1, 2, 4, 0]), "plant": ["P1", "Q2", "P3", None]})
    verdicts = run_suite(batch_definition, suite, frame_for_suite(table, card))
    assert failures(verdicts) == {"count:between": [2, 3], "plant:column_values_to_match_regex": [1]}
    without_plant = run_suite(batch_definition, suite, frame_for_suite(table.drop_columns(["plant"]), card),
                              may_raise=True)
    assert without_plant["plant:missing"] is False
    assert without_plant["plant:column_values_to_match_regex"] == "raised"  # GX cannot run it at all


@pytest.mark.parametrize(("content", "message"), [
    (None, "no such expectations file"),
    ('{"expectations": [\n  {"type": }\n]}', ":2: invalid JSON"),
    ([], "a JSON object with an 'expectations' list"),
    ({"name": "x"}, "a JSON object with an 'expectations' list"),
    ({"expectations": ["expect_column_to_exist"]}, "expectations[0]: an expectation is a JSON object"),
    ({"expectations": [{"type": "expect_column_to_exist", "kwargs": {"column": "count"}},
                       {"type": "expect_column_to_be_lovely", "kwargs": {"column": "count"}}]},
     "expectations[1]: unknown expectation type 'expect_column_to_be_lovely'"),
    ({"expectations": [{"expectation_type": "expect_column_to_exist", "kwargs": {"column": "count"}}]},
     "expectations[0]: 'expectation_type' is the GX 0.x spelling"),
    ({"expectations": [{"type": "expect_column_values_to_be_in_set", "kwargs": {"column": "count"}}]},
     "expectations[0]: expect_column_values_to_be_in_set: value_set: field required"),
    ({"expectations": [{"type": "expect_column_values_to_be_between", "kwargs": {"column": "count", "min_value": "low"}}]},
     "expectations[0]: expect_column_values_to_be_between: min_value: value is not a valid float"),
    ({"expectations": [{"type": "expect_column_to_exist", "kwargs": {"column": "count"}, "colour": "red"}]},
     "expectations[0]: got an unexpected keyword argument 'colour'"),
    ({"expectations": [{"type": "expect_column_to_exist", "kwargs": {"column": "count"}, "meta": {"tierline_code": 3}}]},
     "expectations[0]: meta.tierline_code must be a string"),
])
def test_bad_extra_suite_is_a_scorecard_error_naming_the_file(tmp_path, content, message):
    if content is not None:
        write_extra(tmp_path, content)
    card = scorecard_file(tmp_path, WITH_EXTRA)
    with pytest.raises(ScorecardError) as caught:
        suite_for(card)
    text = str(caught.value)
    assert caught.value.exit_code == 2
    assert text.startswith(str(tmp_path / "checks" / "more.json")), text
    assert message in text, text
    assert "\n" not in text


# --- the command ----------------------------------------------------------------------------


def test_cli_prints_the_suite_to_stdout(capsys):
    assert main(["expectations", str(EQUIPMENT_ABC)]) == 0
    out, err = capsys.readouterr()
    assert out == suite_json(load_scorecard(EQUIPMENT_ABC))
    assert json.loads(out)["name"] == "tierline.equipment_abc.v2"


def test_cli_writes_the_suite_to_a_file(tmp_path, capsys):
    target = tmp_path / "suite.json"
    assert main(["expectations", str(EQUIPMENT_ABC), "-o", str(target)]) == 0
    out, _ = capsys.readouterr()
    assert out == ""
    assert ExpectationSuite(**json.loads(target.read_text(encoding="utf-8"))) == suite_for(load_scorecard(EQUIPMENT_ABC))
    write_suite(load_scorecard(EQUIPMENT_ABC), target)  # the function the command calls
    assert target.read_text(encoding="utf-8") == suite_json(load_scorecard(EQUIPMENT_ABC))


@pytest.mark.parametrize("case", ["bad scorecard", "bad extra suite", "unwritable output"])
def test_cli_failures_are_one_line_exit_2(tmp_path, capsys, case):
    args = ["expectations", str(EQUIPMENT_ABC)]
    if case == "bad scorecard":
        args[1] = str(write_scorecard(tmp_path / "bad.yaml", "scorecard: Bad\n"))
    elif case == "bad extra suite":
        write_extra(tmp_path, {"expectations": [{"type": "expect_nothing", "kwargs": {}}]})
        args[1] = str(write_scorecard(tmp_path / "card.yaml", WITH_EXTRA))
    else:
        args += ["-o", str(tmp_path / "no such dir" / "suite.json")]
    assert main(args) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert len(err.strip().splitlines()) == 1 and err.startswith("tierline: "), err
    assert "Traceback" not in err
