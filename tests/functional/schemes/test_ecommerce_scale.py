"""scorecards/ecommerce_scale.yaml: e-commerce enterprise scale by headcount and sales (seed 000).

Large: 400 people and more AND 15000万元 and more; medium: 100-400 AND 1000-15000万元; small: under
100 and under 1000万元. The boundaries 100 and 1000 are medium (the upper tier takes them). Mixed
cases fall one class when a lower bound is missed (the scorecard's documented assumption). Every
case is graded in one register by the real `tierline run` (and the oracle), once per module.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tierline.cli import main
from schemes import grade, run_generated, scorecard_path

SCHEME = "ecommerce_scale"
LABELS = {"large": "大型电子商务企业", "medium": "中型电子商务企业", "small": "小型电子商务企业"}

# (headcount, sales_10k) → tier
CASES = {
    (400, 15000.0): "large",       # 400人及以上, 15000万元及以上
    (5000, 900000.0): "large",
    (399, 15000.0): "medium",      # one person short of large
    (400, 14999.99): "medium",     # just short of the large sales floor
    (100, 1000.0): "medium",       # 100 and 1000 are in 中型 and in 小型 ("以下"): the upper tier takes them
    (399, 14999.99): "medium",
    (99, 1000.0): "small",
    (100, 999.99): "small",
    (99, 999.99): "small",
    (0, 0.0): "small",
    # mixed cases (the source is silent): a missed lower bound drops one class
    (500, 12000.0): "medium",      # large headcount, medium sales
    (250, 20000.0): "medium",      # medium headcount, large sales
    (500, 800.0): "small",         # large headcount, small sales
    (80, 20000.0): "small",        # small headcount, large sales
    (99, 50000.0): "small",
    (150, 999.99): "small",
}
FLOORS = {"large": (400, 15000), "medium": (100, 1000), "small": (0, 0)}
INVALID = {
    "headcount-null": ({"headcount": None, "sales_10k": 5000.0}, {"headcount:not_null"}),
    "headcount-negative": ({"headcount": -1, "sales_10k": 5000.0}, {"headcount:between"}),
    "sales-null": ({"headcount": 50, "sales_10k": None}, {"sales_10k:not_null"}),
    "sales-negative": ({"headcount": 50, "sales_10k": -10.0}, {"sales_10k:between"}),
}


def key(headcount: int, sales: float) -> str:
    return f"E{headcount}-{sales!r}"


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> dict:
    rows = [{"enterprise_id": key(h, s), "headcount": h, "sales_10k": s} for h, s in CASES]
    rows += [{"enterprise_id": name, **row} for name, (row, _) in INVALID.items()]
    return grade(SCHEME, rows, tmp_path_factory.mktemp(SCHEME))


@pytest.mark.parametrize("case", list(CASES), ids=[key(*c) for c in CASES])
def test_two_indicator_rules(graded: dict, case: tuple[int, float]) -> None:
    row, tier = graded[key(*case)], CASES[case]
    assert (row["tier"], row["tier_label"], row["tier_rank"]) == (tier, LABELS[tier], list(LABELS).index(tier) + 1)
    # the class's two floors, both met
    assert (row["headcount_floor"], row["sales_floor_10k"]) == FLOORS[tier]
    assert row["headcount"] >= row["headcount_floor"] and row["sales_10k"] >= row["sales_floor_10k"]


@pytest.mark.parametrize("case", list(INVALID))
def test_invalid_rows_are_quarantined(graded: dict, case: str) -> None:
    assert graded[case]["tier"] is None
    assert INVALID[case][1] <= set(graded[case]["errors"])
    assert "tier:ambiguous" not in graded[case]["errors"]  # the rules are disjoint even on bad rows


def test_rule_table_is_disjoint_and_total(tmp_path: Path) -> None:
    """`hit: unique` over a grid around every boundary: each pair matches exactly one rule."""
    headcounts = [0, 1, 99, 100, 101, 399, 400, 401, 10_000]
    sales = [0.0, 999.99, 1000.0, 1000.01, 14999.99, 15000.0, 15000.01, 1e7]
    rows = [{"enterprise_id": key(h, s), "headcount": h, "sales_10k": s} for h in headcounts for s in sales]
    graded = grade(SCHEME, rows, tmp_path)
    assert all(row["tier"] is not None for row in graded.values())
    for h in headcounts:
        for s in sales:
            expected = "large" if h >= 400 and s >= 15000 else "medium" if h >= 100 and s >= 1000 else "small"
            assert graded[key(h, s)]["tier"] == expected, (h, s)


def test_check_accepts_the_scorecard(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(scorecard_path(SCHEME))]) == 0
    assert "ok" in capsys.readouterr().out


def test_generated_register_runs(tmp_path: Path) -> None:
    table, scored, _ = run_generated(SCHEME, tmp_path, 5000)
    assert {"enterprise_id", "headcount", "sales_10k"} <= set(table.column_names)
    assert set(scored.column("tier").to_pylist()) == set(LABELS)
    assert {"model", "headcount_floor", "sales_floor_10k"} <= set(scored.column_names)
