"""scorecards/lec_hazard.yaml: D = L × E × C per rater, averaged over an odd panel (seed 004 §5.2),
graded on D safety-first (Graham–Kinney bands, an assumption: below 20 low, 20 to under 70 general,
70 to under 160 significant, 160 to 320 inclusive high, above 320 extreme; so D = 20 is general, 70
significant, 160 high, 320 high); any major-hazard condition makes it major.

One register holds every panel below, spread over two files and small partitions, run once per
module by the real `tierline run`; each entity and each quarantined row is also checked against
the oracle (`oracle.evaluate_aggregate`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from oracle_register import evaluate_aggregate
from tierline.cli import main
from schemes import grade_panels, run_generated, scorecard_path
from tierline.scorecard.load import load_scorecard

SCHEME = "lec_hazard"

# hazard → (its raters' (L, E, C), tier, panel-mean D): each boundary exactly, and the nearest
# single product and panel mean on either side. Products per rater in the comments.
PANELS = {
    "D18-single": ([(3, 6, 1)], "low", 18.0),                            # the last product below 20
    "D19.98-mean": ([(0.5, 0.5, 7), (0.1, 6, 7), (3, 6, 3)], "low", (1.75 + 0.1 * 6 * 7 + 54) / 3),  # 19.983
    "D20-single": ([(0.5, 1, 40)], "general", 20.0),                     # 0.5×1×40 = 20: general ("< 20" is low)
    "D20-mean": ([(3, 6, 1), (1, 3, 7), (1, 3, 7)], "general", 20.0),    # (18+21+21)/3
    "D21-single": ([(1, 3, 7)], "general", 21.0),
    "D26-panel": ([(3, 6, 1), (0.5, 1, 40), (1, 1, 40)], "general", (18 + 20 + 40) / 3),
    "D63-single": ([(3, 3, 7)], "general", 63.0),                        # the last product below 70
    "D69.97-mean": ([(0.1, 3, 3), (0.5, 6, 3), (0.2, 10, 100)], "general", (0.1 * 3 * 3 + 9 + 0.2 * 10 * 100) / 3),
    "D70-single": ([(10, 1, 7)], "significant", 70.0),                   # 10×1×7 = 70: significant
    "D75-single": ([(0.5, 10, 15)], "significant", 75.0),
    "D159.93-mean": ([(0.2, 2, 7), (3, 3, 3), (3, 10, 15)], "significant", (0.2 * 2 * 7 + 27 + 450) / 3),
    "D160-mean": ([(3, 1, 40), (3, 1, 40), (6, 1, 40)], "high", 160.0),  # (120+120+240)/3: high
    "D160+-mean": ([(0.1, 0.5, 1), (10, 3, 1), (3, 10, 15)], "high", (0.05 + 30 + 450) / 3),  # 160.0167
    "D319.83-mean": ([(0.5, 1, 15), (6, 6, 7), (10, 10, 7)], "high", (7.5 + 252 + 700) / 3),
    "D320-mean": ([(6, 1, 40), (3, 3, 40), (3, 3, 40)], "high", 320.0),  # (240+360+360)/3: "> 320" keeps it high
    "D320+-mean": ([(0.1, 0.5, 1), (6, 10, 1), (3, 3, 100)], "extreme", (0.05 + 60 + 900) / 3),  # 320.0167
    "D-max": ([(10, 10, 100)] * 3, "extreme", 10000.0),
    "D-min": ([(0.1, 0.5, 1)] * 5, "low", 0.1 * 0.5),                    # a panel of five
}
# one rating off the value set (C 11) is quarantined; the panel of two left is even, so the whole
# hazard is quarantined; a panel of two is even from the start
OFF_SCALE = {"off-scale": [(3, 6, 1), (0.5, 1, 40), (1, 2, 11)]}
EVEN = {"even-two": [(1, 1, 1), (3, 3, 3)]}
MAJOR = {"major-one-rater": ([(0.1, 0.5, 1), (0.1, 0.5, 1), (0.1, 0.5, 1)], [False, True, None])}


def _rows() -> list[dict]:
    rows = []
    for hazard, (ratings, _, _) in PANELS.items():
        rows += [{"hazard_id": hazard, "rater": f"r{i}", "L": float(l), "E": float(e), "C": float(c)}
                 for i, (l, e, c) in enumerate(ratings)]
    for hazard, ratings in {**OFF_SCALE, **EVEN}.items():
        rows += [{"hazard_id": hazard, "rater": f"r{i}", "L": float(l), "E": float(e), "C": float(c)}
                 for i, (l, e, c) in enumerate(ratings)]
    for hazard, (ratings, flags) in MAJOR.items():
        rows += [{"hazard_id": hazard, "rater": f"r{i}", "L": float(l), "E": float(e), "C": float(c),
                  "major_condition": flag} for i, ((l, e, c), flag) in enumerate(zip(ratings, flags))]
    order = np.random.default_rng(5).permutation(len(rows))  # a panel's raters in different files
    return [{**rows[i], "serial": n, "major_condition": rows[i].get("major_condition", False)}
            for n, i in enumerate(order)]


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> dict:
    rows = _rows()
    table, quarantined = grade_panels(SCHEME, rows, tmp_path_factory.mktemp(SCHEME))
    return {"rows": rows, "scored": {r["hazard_id"]: r for r in table.to_pylist()}, "quarantined": quarantined}


@pytest.mark.parametrize("hazard", list(PANELS), ids=str)
def test_bands(graded: dict, hazard: str) -> None:
    ratings, tier, mean = PANELS[hazard]
    row = graded["scored"][hazard]
    assert str(row["tier"]) == tier
    assert row["rows"] == len(ratings)
    assert row["score"] == mean  # the kernel adds the raters' D in input order, as here
    assert {"points_L", "points_E", "points_C"} <= set(row)  # components named as the source names them


def test_boundaries_exactly(graded: dict) -> None:
    scored = graded["scored"]
    assert scored["D160-mean"]["score"] == 160.0 and scored["D320-mean"]["score"] == 320.0
    assert scored["D20-single"]["score"] == scored["D20-mean"]["score"] == 20.0
    assert scored["D70-single"]["score"] == 70.0
    assert 19.98 < scored["D19.98-mean"]["score"] < 20 and 69.96 < scored["D69.97-mean"]["score"] < 70
    assert 159.9 < scored["D159.93-mean"]["score"] < 160 and 319.8 < scored["D319.83-mean"]["score"] < 320
    assert 160 < scored["D160+-mean"]["score"] < 160.02 and 320 < scored["D320+-mean"]["score"] < 320.02


def test_shared_boundaries_go_to_the_more_dangerous_band_except_320(graded: dict) -> None:
    tier = {hazard: str(row["tier"]) for hazard, row in graded["scored"].items()}
    assert (tier["D20-single"], tier["D70-single"], tier["D160-mean"], tier["D320-mean"]) == (
        "general", "significant", "high", "high")


def test_off_scale_rating_and_even_panels(graded: dict) -> None:
    by_serial = {r["serial"]: r for r in graded["quarantined"]}
    errors = {(r["hazard_id"], r["rater"]): sorted(r["errors"]) for r in by_serial.values()}
    assert errors[("off-scale", "r2")] == ["C:in_set"]
    assert errors[("off-scale", "r0")] == errors[("off-scale", "r1")] == ["hazard_id:even_count"]
    assert errors[("even-two", "r0")] == errors[("even-two", "r1")] == ["hazard_id:even_count"]
    assert "off-scale" not in graded["scored"] and "even-two" not in graded["scored"]


def test_major_condition_of_one_rater(graded: dict) -> None:
    row = graded["scored"]["major-one-rater"]
    assert (str(row["tier"]), row["tier_label"], row["override"], row["tier_rank"]) == ("major", "重大隐患", "major_hazard", 1)
    assert (row["response"], row["deadline_days"]) == ("全部或局部停产停业整改", 0)
    assert "安环部" in row["owner"]
    assert row["reasons"] == []
    assert row["score"] == pytest.approx(0.05)  # the panel's D is still computed: the override ignores it


def test_actions_and_labels(graded: dict) -> None:
    # owners per band (安环部 / 车间 / 班组) and deadlines are the scorecard's assumptions
    expected = {"extreme": ("极其危险", "不能继续作业", "安环部", 0), "high": ("高度危险", "立即整改", "安环部", 1),
                "significant": ("显著危险", "需要整改", "车间", 7), "general": ("一般危险", "需要注意", "车间", 30),
                "low": ("稍有危险", "可以接受", "班组", None)}
    seen = set()
    for row in graded["scored"].values():
        if str(row["tier"]) in expected:
            seen.add(str(row["tier"]))
            assert (row["tier_label"], row["response"], row["owner"], row["deadline_days"]) == expected[str(row["tier"])]
    assert seen == set(expected)


def test_the_graham_kinney_value_sets() -> None:
    """SCHEMES.md's value sets, and the scale ends the source keeps (L 0.1-10, E 0.5-10, C 1-100)."""
    scorecard = load_scorecard(scorecard_path(SCHEME))
    sets = {"L": [0.1, 0.2, 0.5, 1, 3, 6, 10], "E": [0.5, 1, 2, 3, 6, 10], "C": [1, 3, 7, 15, 40, 100]}
    for name, values in sets.items():
        spec = scorecard.input(name)
        assert sorted(spec.values) == values and (spec.min, spec.max) == (values[0], values[-1])
    used = {name: {rating[i] for ratings, _, _ in PANELS.values() for rating in ratings}
            for i, name in enumerate("LEC")}
    assert used == {name: set(values) for name, values in sets.items()}  # every value graded above


def test_the_description_states_the_assumptions() -> None:
    description = load_scorecard(scorecard_path(SCHEME)).description
    assert "Graham–Kinney" in description and "safety-first" in description
    assert "30 criteria" in description and "incomplete" in description


def test_nothing_lost_and_oracle_agrees(graded: dict) -> None:
    rows, scored = graded["rows"], graded["scored"]
    assert sum(r["rows"] for r in scored.values()) + len(graded["quarantined"]) == len(rows)
    entities, quarantine = evaluate_aggregate(load_scorecard(scorecard_path(SCHEME)), rows)
    for key, entity in entities.items():
        if key == "off-scale":
            continue  # see below
        if entity.result.errors:
            assert key not in scored
        else:
            assert (str(scored[key]["tier"]), scored[key]["score"], scored[key]["rows"]) == (
                entity.result.tier, entity.result.scores["score"], entity.rows)
    expected = sorted((row["serial"], sorted(codes)) for row, codes in zip(rows, quarantine) if codes)
    # the oracle knows the scorecard's own checks, not the suite: C 11 fails only the suite's in_set,
    # so the oracle keeps that rating in its panel, which is then odd and scored
    suite_rejected = {r["serial"] for r in graded["quarantined"] if "C:in_set" in r["errors"]}
    assert suite_rejected == {r["serial"] for r in rows if r["hazard_id"] == "off-scale" and r["C"] == 11.0}
    got = sorted((r["serial"], sorted(r["errors"])) for r in graded["quarantined"] if r["hazard_id"] != "off-scale")
    assert got == [e for e in expected if rows[[r["serial"] for r in rows].index(e[0])]["hazard_id"] != "off-scale"]


def test_generated_register_runs(tmp_path: Path) -> None:
    table, scored, _ = run_generated(SCHEME, tmp_path, 3000, seed=1)  # several raters' rows per hazard
    assert {"hazard_id", "rater", "L", "E", "C", "major_condition"} <= set(table.column_names)
    assert set(scored.column("tier").to_pylist()) >= {"major", "high", "significant", "general", "low"}


def test_check_accepts_the_scorecard() -> None:
    assert main(["check", str(scorecard_path(SCHEME))]) == 0
