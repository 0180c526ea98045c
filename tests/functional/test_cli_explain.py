"""`tierline explain SCORECARD --input PATH --key VALUE` through the real command (SPEC §3)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from registers import (  # noqa: F401 - `published` is a fixture
    CASES_BY_KEY,
    COMPONENTS,
    EQUIPMENT_ABC,
    KEY,
    Published,
    assert_one_line_failure,
    published,
    tierline,
    write_scorecard,
)

INT_KEYED = """\
scorecard: asset_risk
version: 3
key: asset_no
inputs:
  asset_no: {type: int, required: true}
  risk: {type: float}
score:
  combine: sum
  components:
    - {name: risk, input: risk, bands: [{from: 50, points: 10}, {to: 50, points: 1}]}
tiers:
  levels:
    - {tier: high, label: High risk, from: 5}
    - {tier: low, label: Low risk, to: 5}
"""


def points_table(stdout: str) -> dict[str, str]:
    """component → its `points` cell, from the table explain prints."""
    header = next(line for line in stdout.splitlines() if "┃" in line and "points" in line)
    names = [cell.strip() for cell in header.split("┃")[1:-1]]
    rows = [[cell.strip() for cell in line.split("│")[1:-1]] for line in stdout.splitlines() if "│" in line]
    return {row[names.index("component")]: row[names.index("points")] for row in rows}


def line_starting(stdout: str, prefix: str) -> str:
    lines = [line for line in stdout.splitlines() if line.startswith(prefix)]
    assert len(lines) == 1, (prefix, stdout)
    return lines[0]


def test_explain_shows_points_score_tier_and_reasons(published: Published) -> None:
    case = CASES_BY_KEY["CASE-B-40"]
    result = tierline("explain", EQUIPMENT_ABC, "--input", published.register[0].parent, "--key", case.key)

    assert result.returncode == 0, result.stderr
    assert case.key in result.stdout
    assert points_table(result.stdout) == {c: f"{p:g}" for c, p in zip(COMPONENTS, case.points)}
    assert re.search(r"\bscore\b.*=\s*40\b", result.stdout), result.stdout
    assert re.fullmatch(r"override: none", line_starting(result.stdout, "override:"))
    tier = line_starting(result.stdout, "tier:")
    assert re.match(r"tier: B\b", tier) and "B类设备" in tier
    assert line_starting(result.stdout, "reasons:") == "reasons: other_items, impact, value"


@pytest.mark.parametrize("key", ["CASE-OVERRIDE", "CASE-TWO-ERRORS"])
def test_explain_shows_an_override_or_why_a_row_is_quarantined(key: str, published: Published) -> None:
    case = CASES_BY_KEY[key]
    result = tierline("explain", EQUIPMENT_ABC, "--input", *published.register, "--key", key)

    assert result.returncode == 0, result.stderr
    if case.override:
        assert case.override in line_starting(result.stdout, "override:")
        assert re.match(r"tier: A\b", line_starting(result.stdout, "tier:"))
        assert re.search(rf"\bscore\b.*=\s*{case.score:g}\b", result.stdout)
    else:
        for code in case.errors:
            assert code in result.stdout
        assert not any(line.startswith("tier:") for line in result.stdout.splitlines())


def test_unknown_key_exits_3_with_one_line(published: Published) -> None:
    result = tierline("explain", EQUIPMENT_ABC, "--input", *published.register, "--key", "EQ-NOT-THERE")

    line = assert_one_line_failure(result, 3)
    assert "EQ-NOT-THERE" in line and KEY in line


@pytest.mark.parametrize("key_type", [pa.int64(), pa.int32()])
def test_int_key_column(key_type: pa.DataType, tmp_path: Path) -> None:
    scorecard = write_scorecard(tmp_path / "asset_risk.yaml", INT_KEYED)
    register = tmp_path / "assets.parquet"
    pq.write_table(pa.table({"asset_no": pa.array([7, 42, 1000], key_type), "risk": [10.0, 60.0, 49.9]}), register,
                   row_group_size=2)

    result = tierline("explain", scorecard, "--input", register, "--key", "42", console_script=key_type == pa.int32())

    assert result.returncode == 0, result.stderr
    assert points_table(result.stdout) == {"risk": "10"}
    assert re.match(r"tier: high\b", line_starting(result.stdout, "tier:"))
    assert "High risk" in result.stdout


def test_int_key_that_is_not_a_number_exits_3(tmp_path: Path) -> None:
    scorecard = write_scorecard(tmp_path / "asset_risk.yaml", INT_KEYED)
    register = tmp_path / "assets.parquet"
    pq.write_table(pa.table({"asset_no": pa.array([7, 42], pa.int64()), "risk": [10.0, 60.0]}), register)

    line = assert_one_line_failure(tierline("explain", scorecard, "--input", register, "--key", "forty-two"), 3)
    assert "forty-two" in line


def test_explain_a_scorecard_without_components(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Tiers from rules alone: the inputs the rules read, then the tier, actions and derived values
    (booleans as true/false)."""
    from tierline.cli import main

    scorecard = EQUIPMENT_ABC.parent / "loan_five_class.yaml"
    pq.write_table(pa.table({"loan_id": ["L1", "L2"], "days_overdue": [95, 0], "security_type": ["mortgage", "credit"],
                             "balance": [1000.0, 5.0]}), tmp_path / "loans.parquet")
    assert main(["explain", str(scorecard), "--input", str(tmp_path / "loans.parquet"), "--key", "L1"]) == 0
    out = capsys.readouterr().out
    assert "days_overdue  │ 95" in out and "security_type │ 'mortgage'" in out
    assert "tier: special_mention 关注类 (rank 2)" in out
    assert "non_performing: false" in out and "provision = 20  (balance * provision_rate)" in out


# --- explain applies the validation suite as run does (issue 9) ----------------------------------

LOAN_FIVE_CLASS = EQUIPMENT_ABC.parent / "loan_five_class.yaml"


@pytest.fixture
def loans(tmp_path: Path) -> Path:
    """L-NULL has no balance and L-NEG is -1 days overdue: run quarantines both; L-DUP is there twice."""
    register = tmp_path / "loans.parquet"
    pq.write_table(pa.table({
        "loan_id": ["L-OK", "L-NULL", "L-NEG", "L-DUP", "L-DUP"],
        "days_overdue": pa.array([0, 0, -1, 200, 200], pa.int64()),
        "security_type": ["mortgage", "credit", "credit", None, None],
        "balance": [1000.0, None, 10.0, 50.0, 50.0],
    }), register)
    return register


@pytest.mark.parametrize("validation", [[], ["--validation", "fast"], ["--validation", "gx"]])
def test_explain_quarantines_what_run_quarantines(validation: list[str], loans: Path) -> None:
    result = tierline("explain", LOAN_FIVE_CLASS, "--input", loans, "--key", "L-NULL", "L-NEG", "L-DUP", *validation)

    assert result.returncode == 0, result.stderr
    assert not any(line.startswith("tier:") for line in result.stdout.splitlines()), result.stdout
    outcomes = [line for line in result.stdout.splitlines() if "quarantined with" in line]
    assert outcomes == ["invalid: quarantined with balance:not_null", "invalid: quarantined with days_overdue:between",
                        "invalid: quarantined with loan_id:unique", "invalid: quarantined with loan_id:unique"]


def test_explain_validation_off_keeps_only_the_scorecards_own_checks(loans: Path) -> None:
    result = tierline("explain", LOAN_FIVE_CLASS, "--input", loans, "--key", "L-NULL", "L-NEG", "--validation", "off",
                      "--json")

    assert result.returncode == 0, result.stderr
    null_balance, negative = (json.loads(line) for line in result.stdout.splitlines())
    assert null_balance["tier"] == "normal" and null_balance["derived"] == {"provision": None}
    assert negative["quarantined"] and negative["errors"] == ["tier:no_rule"]


def test_explain_json_is_one_object_per_matching_row(loans: Path) -> None:
    result = tierline("explain", LOAN_FIVE_CLASS, "--input", loans, "--key", "L-DUP", "L-OK", "--json")

    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(r["key"], r["row"]) for r in records] == [("L-DUP", 3), ("L-DUP", 4), ("L-OK", 0)]
    assert records[0]["quarantined"] and records[0]["errors"] == ["loan_id:unique"] and records[0]["tier"] is None
    assert records[2] == {
        "key": "L-OK", "input": str(loans), "row": 0, "scores": {}, "points": {}, "other": [], "quarantined": False,
        "errors": [],
        "override": None, "tier": "normal", "label": "正常类", "rank": 1, "reasons": [],
        "actions": {"provision_rate": 0.0, "non_performing": False, "provision_cycle": "quarterly"},
        "derived": {"provision": 0.0}, "calls": {}}


def test_explain_json_of_a_scored_component_row(published: Published) -> None:
    case = CASES_BY_KEY["CASE-B-40"]
    result = tierline("explain", EQUIPMENT_ABC, "--input", *published.register, "--key", case.key, "--json")

    assert result.returncode == 0, result.stderr
    (record,) = [json.loads(line) for line in result.stdout.splitlines()]
    assert record["tier"] == "B" and record["label"] == "B类设备" and record["rank"] == 2
    assert record["scores"] == {"score": 40.0}
    assert record["points"] == dict(zip(COMPONENTS, case.points))
    assert record["reasons"] == list(case.reasons) and record["override"] is None


def test_one_unknown_key_among_several_exits_3(loans: Path) -> None:
    line = assert_one_line_failure(
        tierline("explain", LOAN_FIVE_CLASS, "--input", loans, "--key", "L-OK", "L-GONE", "--json"), 3)

    assert "L-GONE" in line and "loan_id" in line


def test_a_dictionary_key_column_and_a_key_asked_twice(tmp_path: Path) -> None:
    register = tmp_path / "loans.parquet"
    pq.write_table(pa.table({"loan_id": pa.array(["L1", "L2"]).dictionary_encode(),
                             "days_overdue": pa.array([95, 0], pa.int64()), "security_type": ["mortgage", "credit"],
                             "balance": [1000.0, 5.0]}), register)
    assert pa.types.is_dictionary(pq.read_schema(register).field("loan_id").type)

    result = tierline("explain", LOAN_FIVE_CLASS, "--input", register, "--key", "L2", "L1", "L2", "--json")

    assert result.returncode == 0, result.stderr
    assert [(r["key"], r["tier"]) for r in map(json.loads, result.stdout.splitlines())] == [
        ("L2", "normal"), ("L1", "special_mention")]


# A credit card's shape: base points, a fallback bin for unseen purposes (`other`), four reasons,
# and the LEC-like upper-case component name `L`.
CREDIT_CARD = """\
scorecard: credit_card
version: 1
key: id
inputs:
  id: {type: string, required: true}
  purpose: {type: string}
  L: {type: float, max: 10}
  age: {type: int}
score:
  combine: sum
  base: 600
  components:
    - {name: purpose, input: purpose, map: {car: 10, house: 20}, other: 5, missing: 0}
    - {name: L, input: L, value: true}
    - {name: age, input: age, bands: [{to: 30, points: 0}, {from: 30, points: 15}]}
reasons: {count: 2}
tiers:
  levels:
    - {tier: good, from: 630}
    - {tier: poor, to: 630}
"""


@pytest.fixture
def cards(tmp_path: Path) -> tuple[Path, Path]:
    register = tmp_path / "cards.parquet"
    pq.write_table(pa.table({"id": ["K-BOAT", "K-CAR", "K-NULL"], "purpose": ["boat", "car", None],
                             "L": [2.0, 10.0, 10.0], "age": [25, 40, 40]}), register)
    return write_scorecard(tmp_path / "credit_card.yaml", CREDIT_CARD), register


def test_explain_shows_base_points_and_other_hits(cards: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    """600 + 5 (boat is no listed purpose: `other`) + 2 + 0 = 607; two reasons of three shortfalls
    (purpose 15 and age 15 tie: component order; L 8 is the third)."""
    from tierline.cli import main

    scorecard, register = cards
    assert main(["explain", str(scorecard), "--input", str(register), "--key", "K-BOAT", "K-CAR", "K-NULL"]) == 0
    out = capsys.readouterr().out
    boat, car, null = out.split("credit_card v1 · ")[1:]
    assert points_table(boat) == {"purpose": "5 (other)", "L": "2", "age": "0", "base": ""}
    assert "600" in next(line for line in boat.splitlines() if "│ base" in line)
    assert line_starting(boat, "score") == "score (sum + base 600) = 607"
    assert line_starting(boat, "reasons:") == "reasons: purpose, age"
    assert points_table(car)["purpose"] == "10" and line_starting(car, "score") == "score (sum + base 600) = 635"
    assert points_table(null)["purpose"] == "0", "a null takes `missing`, never `other`"


def test_explain_json_lists_other_hits_and_the_reasons_count(cards: tuple[Path, Path]) -> None:
    from tierline import api

    scorecard, register = cards
    boat, car, null = api.explain(scorecard, register, ["K-BOAT", "K-CAR", "K-NULL"])
    assert (boat["scores"], boat["points"], boat["other"]) == ({"score": 607.0}, {"purpose": 5.0, "L": 2.0, "age": 0.0},
                                                               ["purpose"])
    assert boat["tier"] == "poor" and boat["reasons"] == ["purpose", "age"]
    assert car["other"] == [] and null["other"] == [] and car["tier"] == "good"


def test_explain_without_the_reasons_column_says_none_were_computed(
        cards: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    from tierline import api
    from tierline.cli import main

    scorecard, register = cards
    scorecard.write_text(CREDIT_CARD.replace("reasons: {count: 2}", "output: {reasons: false}"), encoding="utf-8")
    assert main(["explain", str(scorecard), "--input", str(register), "--key", "K-BOAT"]) == 0
    assert line_starting(capsys.readouterr().out, "reasons:") == "reasons: not computed (output: {reasons: false})"
    (record,) = api.explain(scorecard, register, "K-BOAT")
    assert record["tier"] == "poor" and record["reasons"] is None
