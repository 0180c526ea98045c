"""scorecards/equipment_matrix.yaml: equipment 关键/重要/一般 by the matrix method (seed 004).

own = mean(value, use) and impact = mean(safety, production, cost), each rounded to one decimal;
both axes cut at 2.5 and 3.5 (the scorecard's assumption); special equipment or an accident
history is critical (是非判断法). The source's worked example (own 3.5, impact 4.0 → 关键) must
hold. Every case is graded in one register by the real `tierline run` (and the oracle), once.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tierline.cli import main
from schemes import grade, run_generated, scorecard_path

SCHEME = "equipment_matrix"
TIERS = ["critical", "important", "general"]
LABELS = {"critical": "关键设备", "important": "重要设备", "general": "一般设备"}
FACTORS = ("value_score", "use_score", "safety_score", "production_score", "cost_score")

# name → ((value, use), (safety, production, cost), own, impact, tier)
CASES = {
    "worked example": ((4, 3), (3, 5, 4), 3.5, 4.0, "critical"),   # 9万元 → 4, 一般生产设备 → 3; 3, 5, 4
    # one case per matrix cell (own level × impact level)
    "high x mid": ((5, 4), (3, 3, 4), 4.5, 3.3, "critical"),
    "high x low": ((5, 5), (1, 2, 2), 5.0, 1.7, "important"),
    "mid x high": ((3, 3), (4, 4, 3), 3.0, 3.7, "critical"),
    "mid x mid": ((3, 2), (3, 3, 3), 2.5, 3.0, "important"),
    "mid x low": ((3, 3), (2, 2, 3), 3.0, 2.3, "general"),
    "low x high": ((2, 2), (5, 5, 5), 2.0, 5.0, "important"),
    "low x mid": ((1, 3), (2, 3, 3), 2.0, 2.7, "general"),
    "low x low": ((1, 1), (1, 1, 1), 1.0, 1.0, "general"),
    # own on both sides of 3.5 and of 2.5 (own moves in halves, so both boundaries are reachable)
    "own 3.5 is high": ((4, 3), (3, 3, 3), 3.5, 3.0, "critical"),
    "own 3.0 is mid": ((3, 3), (3, 3, 3), 3.0, 3.0, "important"),
    "own 2.5 is mid": ((3, 2), (2, 3, 3), 2.5, 2.7, "important"),
    "own 2.0 is low": ((2, 2), (2, 3, 3), 2.0, 2.7, "general"),
    # impact moves in thirds: 3.67 and 2.67 round up, 3.33 and 2.33 round down (保留一位小数)
    "impact 11/3 → 3.7 high": ((3, 2), (4, 4, 3), 2.5, 3.7, "critical"),
    "impact 10/3 → 3.3 mid": ((3, 2), (4, 3, 3), 2.5, 3.3, "important"),
    "impact 8/3 → 2.7 mid": ((3, 2), (3, 3, 2), 2.5, 2.7, "important"),
    "impact 7/3 → 2.3 low": ((3, 2), (3, 2, 2), 2.5, 2.3, "general"),
}
OVERRIDES = {  # name → (special_equipment, accident_history, override)
    "special": (True, False, "special_equipment"),
    "accident": (False, True, "accident_history"),
    "both": (True, True, "special_equipment"),  # the first override listed names the reason
}
NO_OVERRIDE = {"flags null": (None, None), "flags false": (False, False)}  # default false
INVALID = {
    "value 0": ({"value_score": 0}, "value_score:between"),
    "cost 6": ({"cost_score": 6}, "cost_score:between"),
    "use null": ({"use_score": None}, "use_score:not_null"),
    "special with a null score": ({"safety_score": None, "special_equipment": True}, "safety_score:not_null"),
}
LOW = dict(zip(FACTORS, (1, 1, 1, 1, 1)))
MAINTENANCE = {"critical": "预防性维护+状态监测", "important": "计划性预防维护", "general": "事后维修"}


def factors(own: tuple[int, int], impact: tuple[int, int, int]) -> dict[str, int]:
    return dict(zip(FACTORS, own + impact))


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> dict:
    rows = [{"equipment_id": name, **factors(own, impact)} for name, (own, impact, *_) in CASES.items()]
    rows += [{"equipment_id": name, **LOW, "special_equipment": special, "accident_history": accident}
             for name, (special, accident, _) in OVERRIDES.items()]
    rows += [{"equipment_id": name, **LOW, "special_equipment": special, "accident_history": accident}
             for name, (special, accident) in NO_OVERRIDE.items()]
    rows += [{"equipment_id": name, **LOW, **change} for name, (change, _) in INVALID.items()]
    return grade(SCHEME, rows, tmp_path_factory.mktemp(SCHEME))


@pytest.mark.parametrize("case", list(CASES))
def test_matrix(graded: dict, case: str) -> None:
    *_, own, impact, tier = CASES[case]
    row = graded[case]
    assert (row["score_own"], row["score_impact"]) == (own, impact)  # rounded to one decimal
    assert (row["tier"], row["tier_label"], row["tier_rank"]) == (tier, LABELS[tier], TIERS.index(tier) + 1)
    assert row["override"] is None


def test_worked_example_points_and_reasons(graded: dict) -> None:
    row = graded["worked example"]
    points = {name: row[f"points_{name}"] for name in ("value", "use", "safety", "production", "cost")}
    assert points == {"value": 4.0, "use": 3.0, "safety": 3.0, "production": 5.0, "cost": 4.0}
    # shortfalls from the top score 5: use 2, safety 2, value 1, cost 1 (ties in component order)
    assert row["reasons"] == ["use", "safety", "value"]


@pytest.mark.parametrize("case", list(OVERRIDES))
def test_yes_no_overrides_are_critical(graded: dict, case: str) -> None:
    row = graded[case]
    assert (row["tier"], row["override"], row["reasons"]) == ("critical", OVERRIDES[case][2], [])
    assert (row["score_own"], row["score_impact"]) == (1.0, 1.0)  # the scores are still written


@pytest.mark.parametrize("case", list(NO_OVERRIDE))
def test_without_flags_the_matrix_decides(graded: dict, case: str) -> None:
    assert (graded[case]["tier"], graded[case]["override"]) == ("general", None)


@pytest.mark.parametrize("case", list(INVALID))
def test_invalid_rows_are_quarantined(graded: dict, case: str) -> None:
    assert graded[case]["tier"] is None
    assert INVALID[case][1] in graded[case]["errors"]


@pytest.mark.parametrize("tier", TIERS)
def test_actions(graded: dict, tier: str) -> None:
    row = next(r for r in graded.values() if r["tier"] == tier)
    assert (row["regrade_cycle"], row["graded_by"], row["reviewed_by"]) == ("yearly", "班组设备管理人员", "班组班长")
    assert row["maintenance"] == MAINTENANCE[tier]


def test_check_accepts_the_scorecard(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(scorecard_path(SCHEME))]) == 0
    assert "ok" in capsys.readouterr().out


def test_generated_register_runs(tmp_path: Path) -> None:
    table, scored, _ = run_generated(SCHEME, tmp_path)
    assert {"equipment_id", *FACTORS, "special_equipment", "accident_history"} <= set(table.column_names)
    assert set(scored.column("tier").to_pylist()) == set(TIERS)
    assert set(scored.column("override").drop_null().to_pylist()) == {"special_equipment", "accident_history"}
    assert {"team", "score_own", "score_impact", "points_cost", "maintenance"} <= set(scored.column_names)
