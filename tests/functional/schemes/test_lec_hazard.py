"""scorecards/lec_hazard.yaml: D = L × E × C per rater, averaged over an odd panel (seed 004 §5.2),
graded on D with every boundary in the lower band; any major-hazard condition makes it major.

One register holds every panel below, spread over two files and small partitions, run once per
module by the real `tierline run`; each entity and each quarantined row is also checked against
the oracle (`oracle.evaluate_aggregate`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from oracle import evaluate_aggregate
from tierline.cli import main
from registers import write_register
from schemes import register, run_generated, scorecard_path
from tierline.scorecard.load import load_scorecard

SCHEME = "lec_hazard"

# hazard → (its raters' (L, E, C), tier, panel-mean D). Products per rater in the comments.
PANELS = {
    "D20-single": ([(0.5, 1, 40)], "low", 20.0),                         # 0.5×1×40 = 20: 稍有危险 includes 20
    "D21-single": ([(1, 3, 7)], "general", 21.0),                        # the next product above 20
    "D26-panel": ([(3, 6, 1), (0.5, 1, 40), (1, 1, 40)], "general", (18 + 20 + 40) / 3),
    "D70-single": ([(10, 1, 7)], "general", 70.0),                       # 10×1×7 = 70: 一般危险 includes 70
    "D75-single": ([(0.5, 10, 15)], "significant", 75.0),                # the next product above 70
    "D160-mean": ([(3, 1, 40), (3, 1, 40), (6, 1, 40)], "significant", 160.0),   # (120+120+240)/3
    "D160+-mean": ([(0.1, 0.5, 1), (10, 3, 1), (3, 10, 15)], "high", (0.05 + 30 + 450) / 3),  # 160.0167
    "D320-mean": ([(6, 1, 40), (3, 3, 40), (3, 3, 40)], "high", 320.0),          # (240+360+360)/3
    "D320+-mean": ([(0.1, 0.5, 1), (6, 10, 1), (3, 3, 100)], "extreme", (0.05 + 60 + 900) / 3),  # 320.0167
    "D-max": ([(10, 10, 100)] * 3, "extreme", 10000.0),
    "D-min": ([(0.1, 0.5, 1)] * 5, "low", 0.1 * 0.5),
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
    root = tmp_path_factory.mktemp(SCHEME)
    rows = _rows()
    write_register(register(SCHEME, rows), root / "register", files=2, row_group_size=4)
    output = root / "out"
    assert main(["run", str(scorecard_path(SCHEME)), "--input", str(root / "register"), "--output", str(output),
                 "--period", "t", "--max-invalid-fraction", "1", "--partition-rows", "5", "--quiet"]) == 0
    scored = {r["hazard_id"]: r for r in pq.read_table(output / "period=t", partitioning="hive").to_pylist()}
    quarantined = pq.read_table(output / "_quarantine" / "period=t").to_pylist()
    return {"rows": rows, "scored": scored, "quarantined": quarantined}


@pytest.mark.parametrize("hazard", list(PANELS), ids=str)
def test_bands(graded: dict, hazard: str) -> None:
    ratings, tier, mean = PANELS[hazard]
    row = graded["scored"][hazard]
    assert str(row["tier"]) == tier
    assert row["rows"] == len(ratings)
    assert row["score"] == mean  # the kernel adds the raters' D in input order, as here


def test_boundaries_exactly(graded: dict) -> None:
    scored = graded["scored"]
    assert scored["D160-mean"]["score"] == 160.0 and scored["D320-mean"]["score"] == 320.0
    assert scored["D20-single"]["score"] == 20.0 and scored["D70-single"]["score"] == 70.0
    assert 160 < scored["D160+-mean"]["score"] < 160.02 and 320 < scored["D320+-mean"]["score"] < 320.02


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
    assert row["reasons"] == []


def test_actions_and_labels(graded: dict) -> None:
    expected = {"extreme": ("极其危险", "不能继续作业", 0), "high": ("高度危险", "立即整改", 1),
                "significant": ("显著危险", "需要整改", 7), "general": ("一般危险", "需要注意", 30),
                "low": ("稍有危险", "可以接受", None)}
    for row in graded["scored"].values():
        if str(row["tier"]) in expected:
            assert (row["tier_label"], row["response"], row["deadline_days"]) == expected[str(row["tier"])]


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
