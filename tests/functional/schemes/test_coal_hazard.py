"""scorecards/coal_hazard.yaml: coal-mine safety hazards, major A/B and general C (seed 000).

A: needs a full or partial production stop, or the group company; B: solved by the mine by a
deadline (not fixable on discovery); C: fixed on discovery. Any one of the 19 listed major-hazard
conditions makes a hazard major: B through the `major_hazard_list` override, A when it also needs
a stop or the group company. Responsible level group company / mine / team; deadlines 90 / 30 / 1
days (assumed). Every case is graded in one register by the real `tierline run` (and the oracle).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tierline.cli import main
from tierline.tools.generators import generator
from tierline.scorecard.load import load_scorecard
from schemes import grade, run_generated, scorecard_path

SCHEME = "coal_hazard"
TIERS = ["A", "B", "C"]
LABELS = {"A": "重大隐患(A级)", "B": "重大隐患(B级)", "C": "一般隐患(C级)"}
# 三、重大隐患类型, items 1-19 in the source's order
CONDITIONS = [
    "over_capacity_production", "gas_over_limit_work", "no_outburst_prevention",
    "gas_drainage_monitoring_deficient", "ventilation_insufficient", "no_full_pressure_ventilation",
    "roadway_disrepair_low_airflow", "auxiliary_fan_recirculation", "gas_inspectors_instruments_lacking",
    "dust_control_deficient", "fire_materials_lacking", "spontaneous_combustion_uncontrolled",
    "fire_zone_in_workings", "adjacent_mine_water_barrier_broken", "confined_water_no_control",
    "raised_mining_limit_unapproved", "flooded_area_pillar_insufficient", "confined_water_no_facilities",
    "old_goaf_water_no_probing",
]
ACTIONS = {  # hazard_class, responsible_level, responsible_label, rectify_within_days
    "A": ("major", "group_company", "集团公司", 90),
    "B": ("major", "mine", "矿", 30),
    "C": ("general", "team", "区队", 1),
}
# name → (row changes, tier, override); every row starts from a hazard fixable on discovery
JUDGED = {
    "nothing": ({}, "C", None),
    "flags null": ({c: None for c in CONDITIONS} | {"needs_production_stop": None, "needs_group_company": None},
                   "C", None),  # default false
    "not fixable": ({"fixable_on_discovery": False}, "B", None),   # 需由矿限期解决
    "stop": ({"needs_production_stop": True}, "A", None),          # 全部或者局部停产整顿
    "group company": ({"needs_group_company": True}, "A", None),   # 需要集团公司解决
    "stop, not fixable": ({"needs_production_stop": True, "fixable_on_discovery": False}, "A", None),
    "listed + stop": ({"gas_over_limit_work": True, "needs_production_stop": True}, "A", None),
    "listed + group company": ({"old_goaf_water_no_probing": True, "needs_group_company": True}, "A", None),
    "listed, not fixable": ({"ventilation_insufficient": True, "fixable_on_discovery": False}, "B", "major_hazard_list"),
    "all 19 listed": ({c: True for c in CONDITIONS}, "B", "major_hazard_list"),
}
INVALID = {
    "verdict null": ({"fixable_on_discovery": None}, {"fixable_on_discovery:not_null"}),
    "mine null": ({"mine_id": None}, {"mine_id:not_null"}),
    # an override does not rescue a row with an error
    "listed, verdict null": ({"gas_over_limit_work": True, "fixable_on_discovery": None},
                             {"fixable_on_discovery:not_null"}),
}
BASE = {"mine_id": "M01", "fixable_on_discovery": True}


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> dict:
    # each listed condition alone, on a hazard that could otherwise be fixed on discovery (C)
    rows = [{"hazard_id": f"only-{name}", **BASE, name: True} for name in CONDITIONS]
    rows += [{"hazard_id": name, **BASE, **change} for name, (change, _, _) in JUDGED.items()]
    rows += [{"hazard_id": name, **BASE, **change} for name, (change, _) in INVALID.items()]
    return grade(SCHEME, rows, tmp_path_factory.mktemp(SCHEME))


def test_the_scorecard_lists_the_19_conditions() -> None:
    scorecard = load_scorecard(scorecard_path(SCHEME))
    assert len(CONDITIONS) == len(set(CONDITIONS)) == 19
    for name in CONDITIONS:
        spec = scorecard.input(name)
        assert (spec.type, spec.default) == ("bool", False)
    assert list(generator(SCHEME)(10, np.random.default_rng(1)).column_names[2:21]) == CONDITIONS


@pytest.mark.parametrize("condition", CONDITIONS)
def test_any_one_listed_condition_makes_a_hazard_major(graded: dict, condition: str) -> None:
    row = graded[f"only-{condition}"]
    assert (row["tier"], row["tier_label"], row["tier_rank"]) == ("B", LABELS["B"], 2)
    assert row["override"] == "major_hazard_list"
    assert row["hazard_class"] == "major" and row["on_major_hazard_list"] is True


@pytest.mark.parametrize("case", list(JUDGED))
def test_a_b_c_rules(graded: dict, case: str) -> None:
    _, tier, override = JUDGED[case]
    row = graded[case]
    assert (row["tier"], row["tier_label"], row["tier_rank"]) == (tier, LABELS[tier], TIERS.index(tier) + 1)
    assert row["override"] == override
    listed = any(row[name] for name in CONDITIONS)
    assert row["on_major_hazard_list"] is listed


@pytest.mark.parametrize("tier", TIERS)
def test_responsibility_and_deadline_per_tier(graded: dict, tier: str) -> None:
    rows = [row for row in graded.values() if row["tier"] == tier]
    assert rows
    for row in rows:
        assert (row["hazard_class"], row["responsible_level"], row["responsible_label"],
                row["rectify_within_days"]) == ACTIONS[tier]


@pytest.mark.parametrize("case", list(INVALID))
def test_invalid_rows_are_quarantined(graded: dict, case: str) -> None:
    assert graded[case]["tier"] is None
    assert INVALID[case][1] <= set(graded[case]["errors"])


def test_check_accepts_the_scorecard(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(scorecard_path(SCHEME))]) == 0
    assert "ok" in capsys.readouterr().out


def test_generated_register_runs(tmp_path: Path) -> None:
    table, scored, _ = run_generated(SCHEME, tmp_path)
    assert {"hazard_id", "mine_id", "fixable_on_discovery", *CONDITIONS} <= set(table.column_names)
    assert set(scored.column("tier").to_pylist()) == set(TIERS)
    assert "major_hazard_list" in scored.column("override").to_pylist()
    assert {"hazard_id", "mine_id", "tier_rank", "tier_label", "override", "hazard_class", "responsible_level",
            "rectify_within_days", "on_major_hazard_list"} <= set(scored.column_names)
