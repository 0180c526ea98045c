"""scorecards/park_class.yaml: Beijing parks, five classes and three grades (seeds 000, 004).

Class minimum / suitable areas from the source: comprehensive 5 / 10 ha, community 0.5 / 1 ha,
ecological 20 / 50 ha; historic (on the historic-garden list) and theme have no size. "》" is read as
≥, so a park of exactly its minimum is not flagged. Grades by an assumed 100-point quality score
(facilities 25, landscape 25, management 25, services 15, safety 10, rounded to one decimal):
first ≥ 85, second 70-85, third < 70. Every case is graded in one register by the real
`tierline run` (and the oracle), once per module.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tierline.cli import main
from schemes import grade, run_generated, scorecard_path

SCHEME = "park_class"
TIERS = ["first", "second", "third"]
LABELS = {"first": "一级公园", "second": "二级公园", "third": "三级公园"}
ITEMS = ("facilities_points", "landscape_points", "management_points", "services_points", "safety_points")
MAXIMA = (25, 25, 25, 15, 10)

# name → (item points in ITEMS order, score, tier)
SCORES = {
    "full marks": ((25, 25, 25, 15, 10), 100.0, "first"),
    "85": ((25, 25, 20, 10, 5), 85.0, "first"),                    # 一级 takes its boundary
    "84.9": ((25, 25, 19.9, 10, 5), 84.9, "second"),
    "85 by a float sum": ((24.7, 16.4, 23.1, 14.5, 6.3), 85.0, "first"),   # 84.99999999999999 unrounded
    "70": ((20, 20, 15, 10, 5), 70.0, "second"),                   # 二级 takes its boundary
    "69.9": ((20, 20, 14.9, 10, 5), 69.9, "third"),
    "70 by a float sum": ((19.4, 23.4, 24.0, 2.6, 0.6), 70.0, "second"),   # 69.99999999999999 unrounded
    "nothing": ((0, 0, 0, 0, 0), 0.0, "third"),
}
GOOD = dict(zip(ITEMS, (25, 25, 20, 10, 5)))  # 85: first

# (park_class, area_ha) → (below_class_minimum, below_suitable_size); every source area on both sides
AREAS = {
    ("comprehensive", 4.99): (True, True),
    ("comprehensive", 5.0): (False, True),      # 最低控制规模 5公顷
    ("comprehensive", 9.99): (False, True),
    ("comprehensive", 10.0): (False, False),    # 适宜规模 10公顷
    ("community", 0.49): (True, True),
    ("community", 0.5): (False, True),          # 0.5公顷
    ("community", 0.99): (False, True),
    ("community", 1.0): (False, False),         # 1公顷
    ("ecological", 19.99): (True, True),
    ("ecological", 20.0): (False, True),        # 20公顷
    ("ecological", 49.99): (False, True),
    ("ecological", 50.0): (False, False),       # 50公顷
    ("historic", 0.1): (False, False),          # no size for 历史名园
    ("theme", 0.1): (False, False),             # nor for 主题文化公园
}
# (park_class, on_historic_list) → not_on_historic_list
HISTORIC = {
    ("historic", True): False,
    ("historic", False): True,
    ("historic", None): True,        # default false: not listed
    ("comprehensive", True): False,  # a listed garden run as another class is not flagged
    ("theme", False): False,
}
INVALID = {
    "unknown class": ({"park_class": "zoo"}, {"park_class:in_set"}),
    "class null": ({"park_class": None}, {"park_class:not_null"}),
    "area null": ({"area_ha": None}, {"area_ha:not_null"}),
    "area negative": ({"area_ha": -1.0}, {"area_ha:between"}),
    "facilities over 25": ({"facilities_points": 25.5}, {"facilities_points:between"}),
    "safety over 10": ({"safety_points": 10.1}, {"safety_points:between"}),
    "services null": ({"services_points": None}, {"services_points:not_null"}),
}


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> dict:
    base = {"park_class": "comprehensive", "area_ha": 12.0}
    rows = [{"park_id": name, **base, **dict(zip(ITEMS, points))} for name, (points, _, _) in SCORES.items()]
    rows += [{"park_id": f"{kind}-{area}", "park_class": kind, "area_ha": area, "on_historic_list": kind == "historic",
              **GOOD} for kind, area in AREAS]
    rows += [{"park_id": f"{kind}-listed-{listed}", "park_class": kind, "area_ha": 12.0, "on_historic_list": listed,
              **GOOD} for kind, listed in HISTORIC]
    rows += [{"park_id": name, **base, **GOOD, **change} for name, (change, _) in INVALID.items()]
    return grade(SCHEME, rows, tmp_path_factory.mktemp(SCHEME))


@pytest.mark.parametrize("case", list(SCORES))
def test_grade_boundaries(graded: dict, case: str) -> None:
    _, score, tier = SCORES[case]
    row = graded[case]
    assert row["score"] == score
    assert (row["tier"], row["tier_label"], row["tier_rank"]) == (tier, LABELS[tier], TIERS.index(tier) + 1)
    assert row["override"] is None


def test_reasons_name_the_largest_shortfalls(graded: dict) -> None:
    # "84.9": facilities 25/25, landscape 25/25, management 19.9/25, services 10/15, safety 5/10
    assert graded["84.9"]["reasons"] == ["management", "services", "safety"]
    assert graded["full marks"]["reasons"] == []


@pytest.mark.parametrize("case", list(AREAS), ids=[f"{kind}-{area}" for kind, area in AREAS])
def test_class_minimum_and_suitable_areas(graded: dict, case: tuple[str, float]) -> None:
    row = graded[f"{case[0]}-{case[1]}"]
    assert (row["below_class_minimum"], row["below_suitable_size"]) == AREAS[case]
    assert row["tier"] == "first"  # the flag does not change the grade
    assert row["not_on_historic_list"] is False


@pytest.mark.parametrize("case", list(HISTORIC), ids=[f"{kind}-{listed}" for kind, listed in HISTORIC])
def test_historic_gardens_must_be_listed(graded: dict, case: tuple[str, bool | None]) -> None:
    row = graded[f"{case[0]}-listed-{case[1]}"]
    assert row["not_on_historic_list"] is HISTORIC[case]
    assert row["below_class_minimum"] is False


def test_actions(graded: dict) -> None:
    scored = [row for row in graded.values() if row["tier"] is not None]
    assert {row["tier"] for row in scored} == set(TIERS)
    for row in scored:
        assert (row["confirmed_by"], row["inspection_cycle"]) == ("市园林绿化局", "yearly")


@pytest.mark.parametrize("case", list(INVALID))
def test_invalid_rows_are_quarantined(graded: dict, case: str) -> None:
    assert graded[case]["tier"] is None
    assert INVALID[case][1] <= set(graded[case]["errors"])


def test_check_accepts_the_scorecard(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(scorecard_path(SCHEME))]) == 0
    assert "ok" in capsys.readouterr().out


def test_generated_register_runs(tmp_path: Path) -> None:
    table, scored, _ = run_generated(SCHEME, tmp_path)
    assert {"park_id", "park_class", "area_ha", "on_historic_list", *ITEMS} <= set(table.column_names)
    assert set(scored.column("tier").to_pylist()) == set(TIERS)
    assert True in scored.column("below_class_minimum").to_pylist()
    assert {"park_id", "park_class", "area_ha", "score", "tier_rank", "tier_label", "below_class_minimum",
            "below_suitable_size", "not_on_historic_list", "confirmed_by"} <= set(scored.column_names)
