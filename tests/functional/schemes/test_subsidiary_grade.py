"""scorecards/subsidiary_grade.yaml: 特级 above 90, 一级 75-90, 二级 60-75, 三级 below 60 (seed 004).

Every source number is pinned on both sides; the overlapping source boundaries go to the upper
tier (90 → first, 75 → first, 60 → second). All cases are graded in one register by the real
`tierline run` (and the oracle), once per module.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tierline.cli import main
from schemes import grade, run_generated, scorecard_path

SCHEME = "subsidiary_grade"

# annual_score → tier
SCORES = {
    100.0: "special",
    90.01: "special",   # 超过90分
    90.0: "first",      # 90 is not "超过90": 一级's upper end
    89.99: "first",
    75.0: "first",      # in 一级 (75-90) and 二级 (60-75): the upper tier takes it
    74.99: "second",
    60.0: "second",     # in 二级 (60-75) and 三级 (60分以下): the upper tier takes it
    59.99: "third",
    0.0: "third",
}
LABELS = {"special": "特级子公司", "first": "一级子公司", "second": "二级子公司", "third": "三级子公司"}
# higher grade, more autonomy (第五条); the wording is the scorecard's assumption
AUTONOMY = {"special": (4, "最大自主管理权限"), "first": (3, "较大自主管理权限"), "second": (2, "一般自主管理权限"),
            "third": (1, "最小自主管理权限(重大事项报集团审定)")}
INVALID = {"null score": (None, "annual_score:not_null"), "above 100": (100.5, "annual_score:between"),
           "negative": (-1.0, "annual_score:between")}


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> dict:
    rows = [{"subsidiary_id": f"S{score}", "annual_score": score} for score in SCORES]
    rows += [{"subsidiary_id": name, "annual_score": score} for name, (score, _) in INVALID.items()]
    return grade(SCHEME, rows, tmp_path_factory.mktemp(SCHEME))


@pytest.mark.parametrize("score", list(SCORES), ids=[f"{s:g}" for s in SCORES])
def test_boundaries(graded: dict, score: float) -> None:
    row = graded[f"S{score}"]
    tier = SCORES[score]
    assert (row["tier"], row["tier_label"], row["tier_rank"]) == (tier, LABELS[tier], list(LABELS).index(tier) + 1)
    assert row["override"] is None and row["reasons"] == []


@pytest.mark.parametrize("tier", list(LABELS))
def test_actions(graded: dict, tier: str) -> None:
    row = next(r for r in graded.values() if r["tier"] == tier)
    assert (row["autonomy_level"], row["autonomy"]) == AUTONOMY[tier]
    assert row["review_cycle"] == "yearly"  # 年度综合评估


@pytest.mark.parametrize("case", list(INVALID))
def test_invalid_rows_are_quarantined(graded: dict, case: str) -> None:
    assert graded[case]["tier"] is None
    assert INVALID[case][1] in graded[case]["errors"]


def test_check_accepts_the_scorecard(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(scorecard_path(SCHEME))]) == 0
    assert "ok" in capsys.readouterr().out


def test_generated_register_runs(tmp_path: Path) -> None:
    table, scored, _ = run_generated(SCHEME, tmp_path)
    assert {"subsidiary_id", "annual_score"} <= set(table.column_names)
    assert set(scored.column("tier").to_pylist()) == set(LABELS)
    assert {"annual_score", "sector", "tier_rank", "tier_label", "autonomy_level", "review_cycle"} <= set(scored.column_names)
