"""Expression functions end to end (SPEC §2.4): a probability of default written by `run`, its
nulls, the calls `explain` shows, and what `check` refuses."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import tierline
from oracle import round_half_away
from registers import read_files, tier_files, write_scorecard
from tierline.cli import main

# points → probability of default, the kits' logistic reading (factor 72.13, offset 487.1)
PD_SCORECARD = """\
scorecard: pd_card
version: 1
key: id
inputs:
  id: {type: string, required: true}
  age: {type: float}
  income: {type: float}
  bonus: {type: float}
score:
  combine: sum
  components:
    - {name: age, input: age, bands: [{to: 30, points: 200}, {from: 30, points: 300}], missing: 250}
    - {name: income, input: income, linear: {from: [0, 100000], to: [0, 300]}, missing: 0}
overrides:
  - {name: tiny_income, when: "ln(coalesce(income, 1)) < 5", tier: X, label: no income}
tiers:
  by: score
  levels:
    - {tier: A, label: good, from: 500}
    - {tier: B, label: fair, to: 500}
derived:
  pd: "1 / (1 + exp((score - 487.1) / 72.13))"
  pd_pct: "round(100 * pd, 2)"
  extra: "sqrt(bonus - 100) + clip(log10(max(bonus, 1)), 0, 3)"
  paid: "coalesce(bonus, income, 0)"
"""

# id → (age, income, bonus)
ROWS = {"young": (25.0, 50000.0, 200.0), "old": (40.0, 90000.0, 50.0), "null_bonus": (None, 20000.0, None),
        "poor": (35.0, 100.0, 10000.0), "no_income": (50.0, None, 100.0)}


def _pd(score: float) -> float:
    return 1 / (1 + math.exp((score - 487.1) / 72.13))


def _expected(score: float, income: float | None, bonus: float | None) -> dict:
    """The derived columns of a row with this score, computed by hand with Python's math."""
    pd = _pd(score)
    return {"pd": pd, "pd_pct": round_half_away(100 * pd, 2),
            "extra": None if bonus is None or bonus < 100 else math.sqrt(bonus - 100) + min(max(math.log10(bonus), 0), 3),
            "paid": bonus if bonus is not None else income if income is not None else 0.0}


def _published(output: Path) -> dict[str, dict]:
    """id → its output row, with the tier its directory names."""
    return {row["id"]: {**row, "tier": tier} for tier, paths in tier_files(output, "p1").items()
            for row in read_files(paths).to_pylist()}


@pytest.fixture
def register(tmp_path: Path) -> tuple[Path, Path]:
    scorecard = write_scorecard(tmp_path / "pd.yaml", PD_SCORECARD)
    ids = list(ROWS)
    columns = list(zip(*ROWS.values()))
    path = tmp_path / "register.parquet"
    pq.write_table(pa.table({"id": ids, "age": pa.array(columns[0], pa.float64()),
                             "income": pa.array(columns[1], pa.float64()),
                             "bonus": pa.array(columns[2], pa.float64())}), path)
    return scorecard, path


def test_run_writes_the_derived_probability_of_default_and_its_nulls(register: tuple[Path, Path], tmp_path: Path) -> None:
    scorecard, path = register
    tierline.run(scorecard, path, tmp_path / "out", period="p1")
    rows = _published(tmp_path / "out")
    assert set(rows) == set(ROWS)
    for key, (_, income, bonus) in ROWS.items():
        assert {name: rows[key][name] for name in ("pd", "pd_pct", "extra", "paid")} == _expected(
            rows[key]["score"], income, bonus), key
    assert rows["young"]["score"] == 350.0 and rows["young"]["pd"] == _pd(350.0)
    assert rows["young"]["tier"] == "B" and rows["poor"]["tier"] == "X"  # ln(100) < 5
    assert rows["no_income"]["tier"] == "X"  # coalesce(null, 1) = 1, ln 1 = 0 < 5
    assert rows["old"]["extra"] is None and rows["null_bonus"]["extra"] is None  # sqrt(-50); a null bonus
    assert rows["null_bonus"]["paid"] == 20000.0 and rows["no_income"]["paid"] == 100.0


def test_exp_past_float64_gives_a_null_pd(tmp_path: Path) -> None:
    text = PD_SCORECARD.replace("(score - 487.1) / 72.13", "(score - 487.1) * 100")
    scorecard = write_scorecard(tmp_path / "pd.yaml", text)
    pq.write_table(pa.table({"id": ["a", "b"], "age": [40.0, 25.0], "income": [100000.0, 0.0],
                             "bonus": [1.0, 1.0]}), tmp_path / "r.parquet")
    tierline.run(scorecard, tmp_path / "r.parquet", tmp_path / "out", period="p1")
    rows = _published(tmp_path / "out")
    assert rows["a"]["pd"] is None  # exp(11290) overflows: null, not 1 / inf = 0
    assert rows["b"]["pd"] == 1.0  # exp(-28710) = 0


def test_explain_shows_each_call_and_its_value(register: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    scorecard, path = register
    assert main(["explain", str(scorecard), "--input", str(path), "--key", "young"]) == 0
    out = capsys.readouterr().out
    assert "calls in derived pd:" in out  # young: 200 + 150 points
    assert f"  exp((score - 487.1) / 72.13) = {math.exp((350.0 - 487.1) / 72.13):g}" in out
    assert f"pd = {_pd(350.0):g}  (1 / (1 + exp((score - 487.1) / 72.13)))" in out
    assert "calls in override tiny_income:\n  coalesce(income, 1) = 50000\n  ln(coalesce(income, 1)) = " in out
    assert "  sqrt(bonus - 100) = 10\n  max(bonus, 1) = 200\n" in out


def test_explain_json_lists_the_calls_by_where_they_are(register: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    scorecard, path = register
    assert main(["explain", str(scorecard), "--input", str(path), "--key", "old", "--json"]) == 0
    record = json.loads(capsys.readouterr().out)
    calls = record["calls"]
    assert list(calls) == ["override tiny_income", "derived pd", "derived pd_pct", "derived extra", "derived paid"]
    assert calls["override tiny_income"] == {"coalesce(income, 1)": 90000.0, "ln(coalesce(income, 1))": math.log(90000.0)}
    assert calls["derived extra"] == {"sqrt(bonus - 100)": None, "max(bonus, 1)": 50.0, "log10(max(bonus, 1))": math.log10(50.0),
                                      "clip(log10(max(bonus, 1)), 0, 3)": math.log10(50.0)}
    assert record["derived"]["extra"] is None and record["derived"]["pd"] == _pd(300.0 + 270.0)


@pytest.mark.parametrize(("derived", "says"), [
    ('"log(score)"', "unknown function 'log'"),
    ('"round(score)"', "round takes 2 arguments, not 1"),
    ('"exp(id == \'x\')"', "exp takes numbers; argument 1 is bool"),
])
def test_check_refuses_a_misused_function_at_its_line(derived: str, says: str, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    text = PD_SCORECARD.replace('"coalesce(bonus, income, 0)"', derived)
    path = write_scorecard(tmp_path / "pd.yaml", text)
    assert main(["check", str(path)]) == 2
    (line,) = capsys.readouterr().err.splitlines()
    line_number = text.splitlines().index(f"  paid: {derived}") + 1
    assert line.startswith(f"{path}:{line_number}: ") and says in line
