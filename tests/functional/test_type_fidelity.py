"""No silent loss between the register and the kernels, and type checks on GX's own dtypes.

The kernels hold every input as float64 (seconds since the epoch for dates and timestamps). A value
that float64 cannot hold exactly (an integer beyond ±2⁵³, a timestamp with a part below the
microsecond) is a "cannot score" fact like `out_of_bands`: the row is quarantined with
`<column>:type` in every validation mode, and the other rows are scored exactly. The suite's type
checks see the dtype GX sees in the register's pandas frame: a tz-aware timestamp keeps its zone,
text is object dtype. Every case runs the real `tierline run` (`tierline.cli.main`).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tierline.cli import main

MODES = ("fast", "gx", "off")
BIG = 2**53  # the largest magnitude up to which float64 holds every integer
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
    if not list(directory.glob("*.parquet")):  # no invalid row: the published quarantine is empty
        return {}
    return {row["id"]: row["errors"] for row in pq.read_table(directory, columns=["id", "errors"]).to_pylist()}


def scored(tmp_path: Path, name: str = "out") -> dict[str, dict]:
    table = pq.read_table(tmp_path / name / "period=p")
    return {row["id"]: row for row in table.to_pylist()}


def extra_suite(*expectations: dict) -> dict:
    return {"name": "extra", "expectations": list(expectations)}


# --- integers beyond 2**53 ------------------------------------------------------------------

BANDED = f"""\
scorecard: big
version: 1
key: id
inputs:
  id: {{type: string, required: true}}
  amount: {{type: int}}
score:
  components:
    - {{name: amount, input: amount, bands: [{{from: {BIG}, points: 2}}, {{to: {BIG}, points: 1}}]}}
tiers:
  levels: [{{tier: at_least, from: 2}}, {{tier: below, to: 2}}]
"""


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("arrow_type", [pa.int64(), pa.uint64()])
def test_integers_beyond_two_to_the_53_are_quarantined_not_rounded(tmp_path, mode, arrow_type) -> None:
    """2**53 + 1 used to become 2**53 and score 2 points; now it is quarantined, and the values
    float64 holds exactly score exactly on both sides of the band edge."""
    values = {"edge": BIG, "below": BIG - 1, "above": BIG + 1, "far": 2**63 + 5 if arrow_type == pa.uint64() else 2**62}
    if pa.types.is_signed_integer(arrow_type):
        values["negative"] = -BIG - 1
    table = pa.table({"id": list(values), "amount": pa.array(list(values.values()), arrow_type)})
    assert run(tmp_path, BANDED, table, mode) == 0
    beyond = {key for key, value in values.items() if abs(value) > BIG}
    assert quarantined(tmp_path) == {key: ["amount:type"] for key in beyond}
    rows = scored(tmp_path)
    assert set(rows) == set(values) - beyond
    assert (rows["edge"]["points_amount"], rows["below"]["points_amount"]) == (2.0, 1.0)
    assert rows["edge"]["amount"] == BIG  # passed through unchanged


def test_an_integer_beyond_two_to_the_53_earns_no_other_code(tmp_path) -> None:
    """The row keeps the nearest double, which matches no rule here: it is quarantined for what
    it is (`n:type`), not for `tier:no_rule`."""
    scorecard = """\
scorecard: rules
version: 1
key: id
inputs:
  id: {type: string, required: true}
  n: {type: int}
tiers:
  rules: {hit: first, levels: [{tier: small, when: "n < 10"}]}
"""
    table = pa.table({"id": ["x", "y"], "n": pa.array([BIG + 1, 5], pa.int64())})
    assert run(tmp_path, scorecard, table, "off") == 0
    assert quarantined(tmp_path) == {"x": ["n:type"]}
    assert scored(tmp_path)["y"]["tier_rank"] == 1


# --- timestamps with nanoseconds ------------------------------------------------------------

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
NS_OF_OPENED = int(OPENED.replace(tzinfo=UTC).timestamp()) * 10**9 + 5_000


@pytest.mark.parametrize("mode", MODES)
def test_whole_microsecond_nanosecond_timestamps_just_work(tmp_path, mode) -> None:
    """pandas writes timestamp[ns] by default; whole microseconds in it read exactly."""
    table = pa.table({
        "id": ["same", "one_us_later", "earlier", "null"],
        "opened": pa.array([OPENED] * 4, pa.timestamp("us")),
        "seen": pa.array([NS_OF_OPENED, NS_OF_OPENED + 1_000, NS_OF_OPENED - 1_000, None], pa.timestamp("ns")),
    })
    assert run(tmp_path, SEEN_AFTER_OPENED, table, mode) == 0
    assert quarantined(tmp_path) == {}
    tiers = {key: row["tier_rank"] for key, row in scored(tmp_path).items()}
    assert tiers == {"same": 2, "one_us_later": 1, "earlier": 2, "null": 2}


@pytest.mark.parametrize("mode", MODES)
def test_sub_microsecond_timestamps_are_quarantined_in_every_mode(tmp_path, mode, capsys) -> None:
    """They crashed the run (exit 4: a safe cast to microseconds); the kernels cannot hold them."""
    table = pa.table({
        "id": ["whole", "sub_us"],
        "opened": pa.array([OPENED] * 2, pa.timestamp("us")),
        "seen": pa.array([NS_OF_OPENED + 1_000, NS_OF_OPENED + 1], pa.timestamp("ns")),
    })
    assert run(tmp_path, SEEN_AFTER_OPENED, table, mode) == 0, capsys.readouterr().err
    assert quarantined(tmp_path) == {"sub_us": ["seen:type"]}
    assert scored(tmp_path)["whole"]["tier_rank"] == 1


def test_milliseconds_too_far_out_for_microseconds_are_quarantined(tmp_path) -> None:
    """Parquet keeps milliseconds up to 292 million years out, microseconds to 292 thousand."""
    far = pa.array([0, 10**16], pa.timestamp("ms"))
    table = pa.table({"id": ["ok", "far"], "opened": pa.array([OPENED] * 2, pa.timestamp("us")), "seen": far})
    assert run(tmp_path, SEEN_AFTER_OPENED, table, "off") == 0
    assert quarantined(tmp_path) == {"far": ["seen:type"]}


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
