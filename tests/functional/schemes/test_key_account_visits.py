"""scorecards/key_account_visits.yaml: visit tiers A1/A2/B1/B2/C and visit-log compliance (seed 001).

The combining rule is the scorecard's assumption: A needs purchase ≥ 500万元, B ≥ 100万元; 一级 needs
good credit and large potential; a big buyer with neither drops to B1; a smaller buyer with both
is B2. The minimums are the source's (calls A1 2/week, A2 and B1 1/week, B2 and C 1 per two weeks;
visits A1 4, A2 3, B1 2, B2 1 a month; department head monthly for A1-B2), C's lost ones assumed 0.
Every case is graded in one register by the real `tierline run` (and the oracle), once per module.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tierline.cli import main
from schemes import grade, run_generated, scorecard_path

SCHEME = "key_account_visits"
TIERS = ["A1", "A2", "B1", "B2", "C"]
LABELS = {"A1": "A类一级客户", "A2": "A类二级客户", "B1": "B类一级客户", "B2": "B类二级客户", "C": "C级客户"}

# (annual_purchase_10k, credit, potential) → tier
CASES = {
    (500.0, "good", "large"): "A1",
    (499.99, "good", "large"): "B1",     # just below the A purchase line
    (500.0, "good", "small"): "A2",
    (500.0, "average", "large"): "A2",
    (500.0, "average", "small"): "B1",   # a big buyer with neither drops one class
    (10000.0, "average", "small"): "B1",
    (100.0, "good", "large"): "B1",
    (99.99, "good", "large"): "B2",      # a growth customer below the B line
    (100.0, "good", "small"): "B2",
    (100.0, "average", "large"): "B2",
    (100.0, "average", "small"): "B2",
    (499.99, "average", "small"): "B2",
    (99.99, "average", "small"): "C",
    (0.0, "good", "large"): "B2",
    (0.0, "good", "small"): "C",
    (0.0, "average", "large"): "C",
}
# tier → (min_calls, call_period_weeks, min_visits_per_month, head_visits_per_month,
#         year_end_greeting, festival_contact, calls_required_4_weeks)
ACTIONS = {
    "A1": (2, 1, 4, 1, True, "公司高层", 8.0),        # 每周电话不少于两次, 每月上门不少于4次
    "A2": (1, 1, 3, 1, True, "公司高层", 4.0),        # 每周1次, 每月3次
    "B1": (1, 1, 2, 1, True, "公司高层", 4.0),        # 每周1次, 每月2次
    "B2": (1, 2, 1, 1, True, "公司部门主管", 2.0),    # 每两周1次, 每月1次
    "C": (1, 2, 0, 0, None, None, 2.0),               # 每两周1次; the rest is lost (assumed 0 / unknown)
}
PROFILE = {"A1": (500.0, "good", "large"), "B2": (100.0, "average", "small"), "C": (0.0, "average", "small")}
# name → (tier profile, (calls_last_4_weeks, visits_last_month, head_visits_last_month),
#         (calls_met, visits_met, head_visits_met, visit_compliant))
LOGS = {
    "A1 met": ("A1", (8, 4, 1), (True, True, True, True)),
    "A1 one call short": ("A1", (7, 4, 1), (False, True, True, False)),
    "A1 one visit short": ("A1", (9, 3, 2), (True, False, True, False)),
    "A1 no head visit": ("A1", (8, 4, 0), (True, True, False, False)),
    "B2 met": ("B2", (2, 1, 1), (True, True, True, True)),
    "B2 one call short": ("B2", (1, 5, 1), (False, True, True, False)),
    "C met": ("C", (2, 0, 0), (True, True, True, True)),
    "C one call short": ("C", (1, 3, 1), (False, True, True, False)),
    "A1 no log": ("A1", (None, None, None), (None, None, None, None)),        # unknown, not a pass
    "A1 calls unknown": ("A1", (None, 4, 1), (None, True, True, None)),
    "A1 calls unknown, visits short": ("A1", (None, 2, 1), (None, False, True, False)),  # SQL: null and false
}
INVALID = {
    "credit poor": ({"credit": "poor"}, {"credit:in_set"}),
    "potential null": ({"potential": None}, {"potential:not_null"}),
    "purchase null": ({"annual_purchase_10k": None}, {"annual_purchase_10k:not_null"}),
    "purchase negative": ({"annual_purchase_10k": -1.0}, {"annual_purchase_10k:between"}),
    "calls negative": ({"calls_last_4_weeks": -1}, {"calls_last_4_weeks:between"}),
}


def key(purchase: float, credit: str, potential: str) -> str:
    return f"K{purchase!r}-{credit}-{potential}"


def customer(purchase: float | None, credit: str | None, potential: str | None) -> dict:
    """A customer without a visit log (the log columns are declared, so they are present, null)."""
    return {"annual_purchase_10k": purchase, "credit": credit, "potential": potential,
            "calls_last_4_weeks": None, "visits_last_month": None, "head_visits_last_month": None}


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> dict:
    rows = [{"customer_id": key(*case), **customer(*case)} for case in CASES]
    rows += [{"customer_id": name, **customer(*PROFILE[tier]),
              **dict(zip(("calls_last_4_weeks", "visits_last_month", "head_visits_last_month"), logs))}
             for name, (tier, logs, _) in LOGS.items()]
    rows += [{"customer_id": name, **customer(*PROFILE["B2"]), **change} for name, (change, _) in INVALID.items()]
    return grade(SCHEME, rows, tmp_path_factory.mktemp(SCHEME))


@pytest.mark.parametrize("case", list(CASES), ids=[key(*c) for c in CASES])
def test_rule_table(graded: dict, case: tuple) -> None:
    row, tier = graded[key(*case)], CASES[case]
    assert (row["tier"], row["tier_label"], row["tier_rank"]) == (tier, LABELS[tier], TIERS.index(tier) + 1)


def test_improving_a_factor_never_lowers_the_tier(tmp_path: Path) -> None:
    purchases = [0.0, 99.99, 100.0, 499.99, 500.0, 5000.0]
    grid = [(p, c, q) for p in purchases for c in ("average", "good") for q in ("small", "large")]
    graded = grade(SCHEME, [{"customer_id": key(*case), **customer(*case)} for case in grid], tmp_path)
    rank = {case: graded[key(*case)]["tier_rank"] for case in grid}
    for p, c, q in grid:
        if c == "average":
            assert rank[(p, "good", q)] <= rank[(p, c, q)]
        if q == "small":
            assert rank[(p, c, "large")] <= rank[(p, c, q)]
        for higher in purchases[purchases.index(p) + 1:]:
            assert rank[(higher, c, q)] <= rank[(p, c, q)]
    assert {graded[key(*case)]["tier"] for case in grid} == set(TIERS)


@pytest.mark.parametrize("tier", TIERS)
def test_minimums_are_action_columns(graded: dict, tier: str) -> None:
    row = next(r for r in graded.values() if r["tier"] == tier)
    columns = ("min_calls", "call_period_weeks", "min_visits_per_month", "head_visits_per_month",
               "year_end_greeting", "festival_contact", "calls_required_4_weeks")
    assert tuple(row[column] for column in columns) == ACTIONS[tier]


@pytest.mark.parametrize("case", list(LOGS))
def test_visit_log_compliance(graded: dict, case: str) -> None:
    tier, _, expected = LOGS[case]
    row = graded[case]
    assert row["tier"] == tier
    assert (row["calls_met"], row["visits_met"], row["head_visits_met"], row["visit_compliant"]) == expected


@pytest.mark.parametrize("case", list(INVALID))
def test_invalid_rows_are_quarantined(graded: dict, case: str) -> None:
    assert graded[case]["tier"] is None
    assert INVALID[case][1] <= set(graded[case]["errors"])


def test_check_accepts_the_scorecard(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(scorecard_path(SCHEME))]) == 0
    assert "ok" in capsys.readouterr().out


def test_generated_register_runs(tmp_path: Path) -> None:
    table, scored, _ = run_generated(SCHEME, tmp_path, 5000)
    assert {"customer_id", "annual_purchase_10k", "credit", "potential"} <= set(table.column_names)
    assert set(scored.column("tier").to_pylist()) == set(TIERS)
    compliant = scored.column("visit_compliant").to_pylist()
    assert {True, False, None} <= set(compliant)  # some meet their minimums, some do not, some have no log
    assert {"account_manager", "calls_required_4_weeks", "visit_compliant"} <= set(scored.column_names)
