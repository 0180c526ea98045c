"""scorecards/tax_source.yaml: tax sources key / medium / small / individual (seed 000).

An individual business is `individual` whatever it pays; an enterprise is key when any of annual
tax ≥ 500 (source), sales ≥ 40000 or assets ≥ 80000 (assumed) holds, medium when any of tax ≥ 50,
sales ≥ 2000 or assets ≥ 5000 holds (assumed), small otherwise; the cut-offs are the same in all
20 industries. Every case is graded in one register by the real `tierline run` (and the oracle).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tierline.cli import main
from schemes import grade, run_generated, scorecard_path

SCHEME = "tax_source"
TIERS = ["key", "medium", "small", "individual"]
LABELS = {"key": "重点税源", "medium": "中型税源", "small": "小型税源", "individual": "个体零散税源"}
INDUSTRIES = [f"I{number:02d}" for number in range(1, 21)]

# name → (taxpayer_type, annual_tax_10k, sales_revenue_10k, total_assets_10k, tier); None: not reported
CASES = {
    "tax 500": ("enterprise", 500.0, None, None, "key"),          # 年纳税500万以上: 500 included
    "tax 499.99": ("enterprise", 499.99, None, None, "medium"),
    "tax 50": ("enterprise", 50.0, None, None, "medium"),
    "tax 49.99": ("enterprise", 49.99, None, None, "small"),
    "tax 0": ("enterprise", 0.0, None, None, "small"),
    "sales 40000": ("enterprise", 10.0, 40000.0, None, "key"),
    "sales 39999.99": ("enterprise", 10.0, 39999.99, None, "medium"),
    "sales 2000": ("enterprise", 10.0, 2000.0, None, "medium"),
    "sales 1999.99": ("enterprise", 10.0, 1999.99, None, "small"),
    "assets 80000": ("enterprise", 10.0, None, 80000.0, "key"),
    "assets 79999.99": ("enterprise", 10.0, None, 79999.99, "medium"),
    "assets 5000": ("enterprise", 10.0, None, 5000.0, "medium"),
    "assets 4999.99": ("enterprise", 10.0, None, 4999.99, "small"),
    # any one indicator suffices; the others may be low or unreported
    "only assets key": ("enterprise", 10.0, 100.0, 80000.0, "key"),
    "only tax key": ("enterprise", 600.0, 10.0, 10.0, "key"),
    "only sales medium": ("enterprise", 1.0, 2500.0, 100.0, "medium"),
    "all just below": ("enterprise", 49.99, 1999.99, 4999.99, "small"),
    "medium on all three": ("enterprise", 499.99, 39999.99, 79999.99, "medium"),
    # individual businesses: the third track whatever they pay (个体大户 included)
    "individual paying 500": ("individual", 500.0, None, None, "individual"),
    "individual paying a lot": ("individual", 10000.0, 100000.0, 1000000.0, "individual"),
    "individual paying 0": ("individual", 0.0, None, None, "individual"),
}
INVALID = {
    "industry I21": ({"industry": "I21"}, {"industry:in_set"}),
    "industry null": ({"industry": None}, {"industry:not_null"}),
    # the suite rejects the type; no rule matches it for that reason, so no `tier:no_rule`
    "unknown type": ({"taxpayer_type": "partnership"}, {"taxpayer_type:in_set"}),
    "type null": ({"taxpayer_type": None}, {"taxpayer_type:not_null"}),
    "tax null": ({"annual_tax_10k": None}, {"annual_tax_10k:not_null"}),
    "sales negative": ({"sales_revenue_10k": -0.01}, {"sales_revenue_10k:between"}),
    "assets negative": ({"total_assets_10k": -5.0}, {"total_assets_10k:between"}),
}
ACTIONS = {  # management, managed_by, goal, industry_managed, per_taxpayer_ledger, revenue_analysis
    "key": ("集约化管理", "重点税源管理科", "管细大税源", False, True, "monthly"),
    "medium": ("行业化管理", "税源管理科(行业组)", "管深中税源", True, False, None),
    "small": ("行业化管理", "税源管理科(行业组)", "管深中税源", True, False, None),
    "individual": ("社会化管理", "税源管理科综合管理岗+委托代征单位", "管住小税源", False, False, None),
}
BASE = {"taxpayer_type": "enterprise", "industry": "I01", "annual_tax_10k": 10.0}


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> dict:
    rows = [{"taxpayer_id": name, "taxpayer_type": kind, "industry": "I07", "annual_tax_10k": tax,
             "sales_revenue_10k": sales, "total_assets_10k": assets}
            for name, (kind, tax, sales, assets, _) in CASES.items()]
    # the same cut-off in every industry: 500 is key and 499.99 medium in all 20
    rows += [{"taxpayer_id": f"{industry}-{tax}", **BASE, "industry": industry, "annual_tax_10k": tax}
             for industry in INDUSTRIES for tax in (500.0, 499.99)]
    rows += [{"taxpayer_id": name, **BASE, **change} for name, (change, _) in INVALID.items()]
    return grade(SCHEME, rows, tmp_path_factory.mktemp(SCHEME))


@pytest.mark.parametrize("case", list(CASES))
def test_any_of_thresholds_and_individual_track(graded: dict, case: str) -> None:
    row, tier = graded[case], CASES[case][-1]
    assert (row["tier"], row["tier_label"], row["tier_rank"]) == (tier, LABELS[tier], TIERS.index(tier) + 1)
    assert row["override"] is None and row["reasons"] == []


@pytest.mark.parametrize("industry", INDUSTRIES)
def test_every_industry_has_the_same_cut_off(graded: dict, industry: str) -> None:
    assert graded[f"{industry}-500.0"]["tier"] == "key"
    assert graded[f"{industry}-499.99"]["tier"] == "medium"
    assert graded[f"{industry}-499.99"]["industry"] == industry  # passed through for the 行业 team


@pytest.mark.parametrize("case", list(INVALID))
def test_invalid_rows_are_quarantined(graded: dict, case: str) -> None:
    assert graded[case]["tier"] is None
    assert set(graded[case]["errors"]) == INVALID[case][1]


@pytest.mark.parametrize("tier", TIERS)
def test_actions(graded: dict, tier: str) -> None:
    row = next(r for r in graded.values() if r["tier"] == tier)
    got = tuple(row[column] for column in ("management", "managed_by", "goal", "industry_managed",
                                           "per_taxpayer_ledger", "revenue_analysis"))
    assert got == ACTIONS[tier]


def test_check_accepts_the_scorecard(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(scorecard_path(SCHEME))]) == 0
    assert "ok" in capsys.readouterr().out


def test_generated_register_runs(tmp_path: Path) -> None:
    table, scored, _ = run_generated(SCHEME, tmp_path, 5000)
    columns = {"taxpayer_id", "taxpayer_type", "industry", "annual_tax_10k", "sales_revenue_10k", "total_assets_10k"}
    assert columns <= set(table.column_names)
    assert set(scored.column("tier").to_pylist()) == set(TIERS)
    assert set(scored.column("industry").to_pylist()) == set(INDUSTRIES)
    assert columns | {"management", "industry_managed"} <= set(scored.column_names)
