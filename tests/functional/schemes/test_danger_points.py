"""scorecards/danger_points.yaml: three-grade danger points (seed 004, 三级危险点分级管理办法).

Danger points: the site types of the source's criteria (high-pressure pipes, boilers, pressure
vessels; hazardous chemicals; other fire or explosion risks; key facilities), and any place whose
accident would affect the whole company or where a major accident is possible; other places are
`none`. Grades, safety-first (the highest grade any marker reaches): I for a possible major
accident, a major loss or a company-wide impact; II for possible casualties, a larger loss or a
local impact; III otherwise. Inspection duties per grade from the source (I and II: company
leadership, department head, team leader, post on duty; III without company leadership), the
grading approved by the safety committee. Every case is graded in one register by the real
`tierline run` (and the oracle), once per module.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tierline.cli import main
from schemes import grade, run_generated, scorecard_path
from tierline.scorecard.load import load_scorecard

SCHEME = "danger_points"
TIERS = ["I", "II", "III", "none"]
LABELS = {"I": "I级危险点", "II": "II级危险点", "III": "III级危险点", "none": "非危险点"}
DANGER_TYPES = ["high_pressure_pipe", "boiler", "pressure_vessel", "hazardous_chemicals", "fire_explosion_risk",
                "key_facility"]
OTHER_TYPES = ["office", "general_workshop", "general_store", "other"]
MILD = {"major_accident_possible": False, "casualties_possible": False, "loss_level": "small", "impact": "minor"}

# name → (row changes over a mild place, tier)
CASES = {
    **{f"{site}, mild": ({"site_type": site}, "III") for site in DANGER_TYPES},   # 可能发生事故…影响不大
    **{f"{site}, mild": ({"site_type": site}, "none") for site in OTHER_TYPES},
    # one marker at a time on a danger type: each marker lifts the grade it describes
    "vessel, major accident": ({"site_type": "pressure_vessel", "major_accident_possible": True}, "I"),
    "vessel, major loss": ({"site_type": "pressure_vessel", "loss_level": "major"}, "I"),
    "vessel, company impact": ({"site_type": "pressure_vessel", "impact": "company"}, "I"),
    "vessel, casualties": ({"site_type": "pressure_vessel", "casualties_possible": True}, "II"),
    "vessel, larger loss": ({"site_type": "pressure_vessel", "loss_level": "larger"}, "II"),
    "vessel, local impact": ({"site_type": "pressure_vessel", "impact": "local"}, "II"),
    "vessel, all of I": ({"site_type": "pressure_vessel", "major_accident_possible": True, "casualties_possible": True,
                          "loss_level": "major", "impact": "company"}, "I"),
    "vessel, all of II": ({"site_type": "pressure_vessel", "casualties_possible": True, "loss_level": "larger",
                           "impact": "local"}, "II"),
    "chemicals, casualties and major loss": ({"site_type": "hazardous_chemicals", "casualties_possible": True,
                                              "loss_level": "major"}, "I"),
    # criterion (四): a company-wide impact or a possible major accident makes any place a danger point
    "office, company impact": ({"site_type": "office", "impact": "company"}, "I"),
    "store, major accident": ({"site_type": "general_store", "major_accident_possible": True}, "I"),
    # the other markers do not designate a place on their own
    "office, major loss": ({"site_type": "office", "loss_level": "major"}, "none"),
    "workshop, casualties": ({"site_type": "general_workshop", "casualties_possible": True}, "none"),
    "workshop, larger loss, local impact": ({"site_type": "general_workshop", "loss_level": "larger",
                                             "impact": "local"}, "none"),
}
INSPECTORS = {"I": "公司领导、部门领导、班组长、当班岗位责任人", "II": "公司领导、部门领导、班组长、当班岗位责任人",
              "III": "部门领导、班组长、当班岗位责任人", "none": None}  # 第十条
# (company leadership, department head, team leader, post on duty)
DUTIES = {"I": (True, True, True, True), "II": (True, True, True, True), "III": (False, True, True, True),
          "none": (False, False, False, False)}
INVALID = {
    "unknown site type": ({"site_type": "canteen"}, {"site_type:in_set"}),
    "site type null": ({"site_type": None}, {"site_type:not_null"}),
    "loss null": ({"loss_level": None}, {"loss_level:not_null"}),
    "loss unknown": ({"loss_level": "huge"}, {"loss_level:in_set"}),
    "impact null": ({"impact": None}, {"impact:not_null"}),
    "major accident null": ({"major_accident_possible": None}, {"major_accident_possible:not_null"}),
    "casualties null": ({"casualties_possible": None}, {"casualties_possible:not_null"}),
}


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> dict:
    rows = [{"point_id": name, **MILD, **change} for name, (change, _) in CASES.items()]
    rows += [{"point_id": name, **MILD, "site_type": "boiler", **change} for name, (change, _) in INVALID.items()]
    return grade(SCHEME, rows, tmp_path_factory.mktemp(SCHEME))


@pytest.mark.parametrize("case", list(CASES))
def test_qualitative_rule_table(graded: dict, case: str) -> None:
    tier = CASES[case][1]
    row = graded[case]
    assert (row["tier"], row["tier_label"], row["tier_rank"]) == (tier, LABELS[tier], TIERS.index(tier) + 1)
    assert row["override"] is None and row["reasons"] == []


@pytest.mark.parametrize("tier", TIERS)
def test_inspection_duties_per_grade(graded: dict, tier: str) -> None:
    rows = [row for row in graded.values() if row["tier"] == tier]
    assert rows
    for row in rows:
        duties = (row["inspect_company_leadership"], row["inspect_department_head"], row["inspect_team_leader"],
                  row["inspect_post_on_duty"])
        assert duties == DUTIES[tier]
        assert row["inspectors"] == INSPECTORS[tier]
        graded_point = tier != "none"
        assert row["approved_by"] == ("公司安全生产委员会" if graded_point else None)   # 第六条
        assert row["filed_with"] == ("上级主管部门" if graded_point else None)
        assert row["supervised_by"] == ("专兼职安全管理人员" if graded_point else None)   # 第十条(三)


@pytest.mark.parametrize("case", list(INVALID))
def test_invalid_rows_are_quarantined(graded: dict, case: str) -> None:
    assert graded[case]["tier"] is None
    assert INVALID[case][1] <= set(graded[case]["errors"])


def test_without_validation_a_null_site_type_matches_no_rule(tmp_path: Path) -> None:
    """--validation off skips `required`; `none` names its site types, so a null one is not 'no danger'."""
    rows = [{"point_id": "null", **MILD, "site_type": None}, {"point_id": "ok", **MILD, "site_type": "boiler"}]
    graded = grade(SCHEME, rows, tmp_path, extra=["--validation", "off"])
    assert graded["null"]["tier"] is None and graded["null"]["errors"] == ["tier:no_rule"]
    assert graded["ok"]["tier"] == "III"


def test_the_description_states_the_assumptions() -> None:
    description = load_scorecard(scorecard_path(SCHEME)).description
    for words in ("assumed", "safety-first", "safety committee", "no inspection cycle"):
        assert words in description


def test_check_accepts_the_scorecard(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(scorecard_path(SCHEME))]) == 0
    assert "ok" in capsys.readouterr().out


def test_generated_register_runs(tmp_path: Path) -> None:
    table, scored, quarantined = run_generated(SCHEME, tmp_path)
    assert {"point_id", "site_type", "major_accident_possible", "casualties_possible", "loss_level",
            "impact"} <= set(table.column_names)
    assert set(scored.column("tier").to_pylist()) == set(TIERS)
    assert {"point_id", "tier_rank", "tier_label", "inspectors", "approved_by"} <= set(scored.column_names)
    assert {code for errors in quarantined.column("errors").to_pylist() for code in errors} == {
        "site_type:in_set", "loss_level:not_null"}
