"""scorecards/equipment_abc.yaml: the 100-point formula (seeds 000, 004), every source number on
both sides of its boundary, in one register graded by the real `tierline run` and the oracle.

Each band takes the top of the source's point range; the other points of a row are held fixed so
that one item moves the total across A ≥ 75 / B 40-75 / C < 40.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tierline.cli import main
from schemes import grade, run_generated, scorecard_path

SCHEME = "equipment_abc"
BASE = {"production_impact": "ordinary", "original_value_10k": 75.0, "utilisation_pct": 60.0,
        "has_backup": True, "direct_designation": False, "other_items_points": 20.0}  # 15+10+5+0+20 = 50

# case → (changes to BASE, the component that moved and its points, total, tier)
CASES = {
    "shutdown": ({"production_impact": "shutdown"}, ("impact", 25.0), 60.0, "B"),      # 16-25分 → 25
    "ordinary": ({}, ("impact", 15.0), 50.0, "B"),                                      # 11-15分 → 15
    "auxiliary": ({"production_impact": "auxiliary"}, ("impact", 10.0), 45.0, "B"),    # 2-10分 → 10
    "value 100": ({"original_value_10k": 100.0}, ("value", 15.0), 55.0, "B"),          # 100万元以上
    "value 99.99": ({"original_value_10k": 99.99}, ("value", 10.0), 50.0, "B"),
    "value 50": ({"original_value_10k": 50.0}, ("value", 10.0), 50.0, "B"),            # 50万~100万
    "value 49.99": ({"original_value_10k": 49.99}, ("value", 5.0), 45.0, "B"),         # 50万元以下
    "utilisation 85": ({"utilisation_pct": 85.0}, ("utilisation", 10.0), 55.0, "B"),   # 85%以上
    "utilisation 84.99": ({"utilisation_pct": 84.99}, ("utilisation", 5.0), 50.0, "B"),
    "utilisation 50": ({"utilisation_pct": 50.0}, ("utilisation", 5.0), 50.0, "B"),    # 50%~85%
    "utilisation 49.99": ({"utilisation_pct": 49.99}, ("utilisation", 1.0), 46.0, "B"),  # 50%以下 1分
    "utilisation null": ({"utilisation_pct": None}, ("utilisation", 0.0), 45.0, "B"),  # assumption: 0
    "no backup": ({"has_backup": False}, ("spare", 5.0), 55.0, "B"),                   # 没有备用设备
    "backup unknown": ({"has_backup": None}, ("spare", 0.0), 50.0, "B"),               # default: backup
    # 总分值在75分以上 A: 25 + 15 + 10 + 5 + 20 = 75; one hundredth less is B
    "A at 75": ({"production_impact": "shutdown", "original_value_10k": 100.0, "utilisation_pct": 85.0,
                 "has_backup": False}, ("other_items", 20.0), 75.0, "A"),
    "B at 74.99": ({"production_impact": "shutdown", "original_value_10k": 100.0, "utilisation_pct": 85.0,
                    "has_backup": False, "other_items_points": 19.99}, ("other_items", 19.99), 74.99, "B"),
    # 40~75分 B, 40分以下 C: 10 + 5 + 1 + 0 + 24 = 40
    "B at 40": ({"production_impact": "auxiliary", "original_value_10k": 10.0, "utilisation_pct": 10.0,
                 "other_items_points": 24.0}, ("other_items", 24.0), 40.0, "B"),
    "C at 39.99": ({"production_impact": "auxiliary", "original_value_10k": 10.0, "utilisation_pct": 10.0,
                    "other_items_points": 23.99}, ("other_items", 23.99), 39.99, "C"),
    "full marks": ({"production_impact": "shutdown", "original_value_10k": 500.0, "utilisation_pct": 100.0,
                    "has_backup": False, "other_items_points": 45.0}, ("other_items", 45.0), 100.0, "A"),
}
# 直接指定法: A whatever the points (here 10 + 5 + 1 + 0 + 0 = 16)
DIRECT = {"production_impact": "auxiliary", "original_value_10k": 1.0, "utilisation_pct": 1.0,
          "has_backup": True, "direct_designation": True, "other_items_points": 0.0}
INVALID = {
    "impact unknown": ({"production_impact": "mothballed"}, {"production_impact:in_set", "production_impact:unmapped"}),
    "impact null": ({"production_impact": None}, {"production_impact:not_null"}),
    "utilisation 100.01": ({"utilisation_pct": 100.01}, {"utilisation_pct:between"}),
    "other items 45.01": ({"other_items_points": 45.01}, {"other_items_points:between"}),
    "value negative": ({"original_value_10k": -1.0}, {"original_value_10k:between"}),
}


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> dict:
    rows = [{"equipment_id": name, **BASE, **changes} for name, (changes, _, _, _) in CASES.items()]
    rows.append({"equipment_id": "direct", **DIRECT})
    rows += [{"equipment_id": name, **BASE, **changes} for name, (changes, _) in INVALID.items()]
    return grade(SCHEME, rows, tmp_path_factory.mktemp(SCHEME))


@pytest.mark.parametrize("case", list(CASES))
def test_source_numbers(graded: dict, case: str) -> None:
    _, (component, points), total, tier = CASES[case]
    row = graded[case]
    assert row[f"points_{component}"] == points
    assert row["score"] == pytest.approx(total, abs=1e-9)
    assert row["tier"] == tier and row["override"] is None


def test_direct_designation(graded: dict) -> None:
    row = graded["direct"]
    assert (row["tier"], row["override"], row["score"], row["reasons"]) == ("A", "direct_designation", 16.0, [])
    assert (row["tier_label"], row["review_cycle"], row["owner"]) == ("A类设备", "monthly", "plant")


@pytest.mark.parametrize("case", list(INVALID))
def test_invalid_rows(graded: dict, case: str) -> None:
    assert graded[case]["tier"] is None
    assert set(graded[case]["errors"]) == INVALID[case][1]


def test_generated_register_runs(tmp_path: Path) -> None:
    _, scored, _ = run_generated(SCHEME, tmp_path, 5_000, seed=2)
    assert set(scored.column("tier").to_pylist()) == {"A", "B", "C"}


def test_check_accepts_the_scorecard() -> None:
    assert main(["check", str(scorecard_path(SCHEME))]) == 0
