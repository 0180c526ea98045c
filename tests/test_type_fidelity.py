"""Type checks on the dtypes GX sees, and timestamps compared across time zones.

The suite's type checks see the dtype GX sees in the register's pandas frame: a tz-aware timestamp
keeps its zone, text is object dtype. Dates and timestamps compare as instants on one UTC time
line. Every case runs the real `tierline run` (`pipeline.cli.main`).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipeline.cli import main

MODES = ("fast", "gx", "off")
UTC = dt.timezone.utc


def run(tmp_path: Path, scorecard: str, table: pa.Table, mode: str, suite: dict | None = None,
        name: str = "out") -> int:
    card = tmp_path / "card.yaml"
    if suite is not None:
        (tmp_path / "suite.json").write_text(json.dumps(suite), encoding="utf-8")
        scorecard += "expectations: suite.json\n"
    card.write_text(scorecard, encoding="utf-8")
    pq.write_table(table, tmp_path / "register.parquet")
    return main(["run", str(card), "--input", str(tmp_path / "register.parquet"), "--output", str(tmp_path / name),
                 "--period", "p", "--validation", mode, "--max-invalid-fraction", "1", "--quiet"])


def quarantined(tmp_path: Path, name: str = "out") -> dict[str, list[str]]:
    directory = tmp_path / name / "_quarantine" / "period=p"
    if not directory.exists():
        return {}
    return {row["id"]: row["errors"] for row in pq.read_table(directory, columns=["id", "errors"]).to_pylist()}


def scored(tmp_path: Path, name: str = "out") -> dict[str, dict]:
    table = pq.read_table(tmp_path / name / "period=p")
    return {row["id"]: row for row in table.to_pylist()}


def extra_suite(*expectations: dict) -> dict:
    return {"name": "extra", "expectations": list(expectations)}


SEEN_AFTER_OPENED = """\
scorecard: times
version: 1
key: id
inputs:
  id: {type: string, required: true}
  opened: {type: timestamp}
  seen: {type: timestamp}
tiers:
  rules: {hit: first, levels: [{tier: later, when: "seen > opened"}, {tier: not_later}]}
"""


OPENED = dt.datetime(2024, 3, 1, 12, 0, 0, 5)  # five microseconds past noon


# --- time zones -----------------------------------------------------------------------------

def tz_table() -> pa.Table:
    shanghai = dt.timezone(dt.timedelta(hours=8))
    return pa.table({
        "id": ["a", "b", "c"],
        # 20:00 in Shanghai is 12:00 UTC
        "seen": pa.array([dt.datetime(2024, 3, 1, 20, 0, 0, 6, tzinfo=shanghai),
                          dt.datetime(2024, 3, 1, 20, 0, 0, 5, tzinfo=shanghai), None],
                         pa.timestamp("us", tz="Asia/Shanghai")),
        "opened": pa.array([OPENED] * 3, pa.timestamp("us")),  # naive: read as UTC
    })


@pytest.mark.parametrize("mode", MODES)
def test_tz_aware_timestamps_compare_as_utc_instants(tmp_path, mode) -> None:
    assert run(tmp_path, SEEN_AFTER_OPENED, tz_table(), mode) == 0
    assert quarantined(tmp_path) == {}
    assert {key: row["tier_rank"] for key, row in scored(tmp_path).items()} == {"a": 1, "b": 2, "c": 2}


def test_a_date_literal_in_an_expression_is_a_scorecard_error(tmp_path, capsys) -> None:
    """Dates and timestamps compare with other date/timestamp columns only: a literal would need a
    time zone and a unit the language does not have."""
    scorecard = SEEN_AFTER_OPENED.replace('"seen > opened"', "\"seen > '2024-03-01'\"")
    assert run(tmp_path, scorecard, tz_table(), "fast") == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "card.yaml" in err[0] and "compare" in err[0], err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("mode", ["fast", "gx"])
def test_type_checks_see_the_tz_aware_dtype(tmp_path, mode, capsys) -> None:
    """GX sees datetime64[us, Asia/Shanghai]: of_type Timestamp passes (the fast checks used to see a
    naive copy and quarantine every row), of_type datetime64 fails for the whole column (it used to
    pass), and the generated type check passes either way."""
    timestamp = {"type": "expect_column_values_to_be_of_type", "kwargs": {"column": "seen", "type_": "Timestamp"},
                 "meta": {"tierline_code": "seen:tz"}}
    assert run(tmp_path, SEEN_AFTER_OPENED, tz_table(), mode, extra_suite(timestamp)) == 0
    assert quarantined(tmp_path) == {}
    naive = {"type": "expect_column_values_to_be_of_type", "kwargs": {"column": "seen", "type_": "datetime64"},
             "meta": {"tierline_code": "seen:naive"}}
    capsys.readouterr()
    assert run(tmp_path, SEEN_AFTER_OPENED, tz_table(), mode, extra_suite(naive), name="out2") == 3
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "'seen'" in err[0] and "seen:naive" in err[0] and "datetime64[us, Asia/Shanghai]" in err[0]
    assert not (tmp_path / "out2" / "period=p").exists()


@pytest.mark.parametrize("mode", ["fast", "gx"])
def test_text_is_object_dtype_to_the_type_checks(tmp_path, mode) -> None:
    """GX's own test definitions read text as object dtype, where of_type object passes on the
    dtype and a type list is judged per value (the fast checks saw pandas 3's `str` dtype)."""
    scorecard = """\
scorecard: texts
version: 1
key: id
inputs:
  id: {type: string, required: true}
tiers:
  rules: {hit: first, levels: [{tier: all}]}
"""
    table = pa.table({"id": ["a", "b"]})
    suite = extra_suite(
        {"type": "expect_column_values_to_be_of_type", "kwargs": {"column": "id", "type_": "object"},
         "meta": {"tierline_code": "id:object"}},
        {"type": "expect_column_values_to_be_in_type_list", "kwargs": {"column": "id", "type_list": ["str"]},
         "meta": {"tierline_code": "id:str"}},
        {"type": "expect_column_values_to_be_in_type_list", "kwargs": {"column": "id", "type_list": ["int"]},
         "meta": {"tierline_code": "id:int"}})
    assert run(tmp_path, scorecard, table, mode, suite) == 0
    assert quarantined(tmp_path) == {"a": ["id:int"], "b": ["id:int"]}
