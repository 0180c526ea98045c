"""scorecards/postal_key_accounts.yaml: letter-mail key accounts by annual revenue (seed 001).

Bands in 万元, lower bound included and upper excluded: diamond ≥ 500, platinum 200-500, gold 20-200,
vip 1-20, none below 1; the boundaries of bureau revenue groups 2 and 3 are scaled by 0.9 and 0.8;
a CRM-registered upstream account is diamond whatever it earns. Every case is graded in one
register by the real `tierline run` (and the oracle), once per module.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tierline.cli import main
from schemes import grade, run_generated, scorecard_path

SCHEME = "postal_key_accounts"
TIERS = ["diamond", "platinum", "gold", "vip", "none"]
LABELS = {"diamond": "钻石客户", "platinum": "白金客户", "gold": "黄金客户", "vip": "VIP客户", "none": "非大客户"}

# (bureau_group, annual_revenue_10k) → tier; each source boundary × the group's factor, both sides
BANDS = {
    1: [(600.0, "diamond"), (500.0, "diamond"), (499.99, "platinum"), (200.0, "platinum"), (199.99, "gold"),
        (20.0, "gold"), (19.99, "vip"), (1.0, "vip"), (0.99, "none"), (0.0, "none"),
        (450.0, "platinum"), (18.0, "vip"), (0.8, "none")],          # group 2/3 boundaries do not apply
    2: [(450.0, "diamond"), (449.99, "platinum"), (180.0, "platinum"), (179.99, "gold"),   # × 0.9
        (18.0, "gold"), (17.99, "vip"), (0.9, "vip"), (0.89, "none"), (500.0, "diamond"), (0.8, "none")],
    3: [(400.0, "diamond"), (399.99, "platinum"), (160.0, "platinum"), (159.99, "gold"),   # × 0.8
        (16.0, "gold"), (15.99, "vip"), (0.8, "vip"), (0.79, "none"), (450.0, "diamond"), (18.0, "gold")],
}
CASES = {f"G{group}-{revenue!r}": ({"bureau_group": group, "annual_revenue_10k": revenue}, tier)
         for group, cases in BANDS.items() for revenue, tier in cases}
OVERRIDDEN = {
    "upstream-zero": {"bureau_group": 1, "annual_revenue_10k": 0.0, "upstream_registered": True},
    "upstream-gold": {"bureau_group": 3, "annual_revenue_10k": 50.0, "upstream_registered": True},
}
NOT_OVERRIDDEN = {
    "upstream-false": ({"bureau_group": 1, "annual_revenue_10k": 50.0, "upstream_registered": False}, "gold"),
    "upstream-null": ({"bureau_group": 1, "annual_revenue_10k": 50.0, "upstream_registered": None}, "gold"),  # default false
}
INVALID = {
    "group-4": ({"bureau_group": 4, "annual_revenue_10k": 50.0}, {"bureau_group:in_set", "tier:no_scale"}),
    "group-null": ({"bureau_group": None, "annual_revenue_10k": 50.0}, {"bureau_group:not_null"}),
    "revenue-null": ({"bureau_group": 1, "annual_revenue_10k": None}, {"annual_revenue_10k:not_null"}),
    "revenue-negative": ({"bureau_group": 1, "annual_revenue_10k": -0.01}, {"annual_revenue_10k:between"}),
    # an override does not rescue a row with an error
    "upstream-group-4": ({"bureau_group": 4, "annual_revenue_10k": 50.0, "upstream_registered": True},
                         {"bureau_group:in_set"}),
}
ACTIONS = {  # 第三章 函件大客户的管理归属
    "diamond": ("省函件集邮局", "省函件集邮局大客户中心", "省函件集邮局大客户中心", "属地管理"),
    "platinum": ("省函件集邮局", "市邮政局(函件集邮局)", "省函件集邮局大客户中心", "属地管理"),
    "gold": ("市邮政局(函件集邮局)", "市邮政局(函件集邮局)大客户中心", "市邮政局(函件集邮局)", "属地管理"),
    "vip": ("市邮政局(函件集邮局)", "县/区市函件集邮部", "市专业局", "属地管理"),
    "none": (None, None, None, None),
}


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> dict:
    rows = [{"customer_id": key, **row} for key, (row, _) in CASES.items()]
    rows += [{"customer_id": key, **row} for key, row in OVERRIDDEN.items()]
    rows += [{"customer_id": key, **row} for key, (row, _) in {**NOT_OVERRIDDEN, **INVALID}.items()]
    return grade(SCHEME, rows, tmp_path_factory.mktemp(SCHEME))


@pytest.mark.parametrize("case", list(CASES))
def test_scaled_half_open_bands(graded: dict, case: str) -> None:
    row, tier = graded[case], CASES[case][1]
    assert (row["tier"], row["tier_label"], row["tier_rank"]) == (tier, LABELS[tier], TIERS.index(tier) + 1)
    assert row["override"] is None


@pytest.mark.parametrize("case", list(OVERRIDDEN))
def test_upstream_registered_is_diamond(graded: dict, case: str) -> None:
    row = graded[case]
    assert (row["tier"], row["override"], row["tier_rank"]) == ("diamond", "upstream_registered", 1)


@pytest.mark.parametrize("case", list(NOT_OVERRIDDEN))
def test_unregistered_customers_follow_revenue(graded: dict, case: str) -> None:
    assert (graded[case]["tier"], graded[case]["override"]) == (NOT_OVERRIDDEN[case][1], None)


@pytest.mark.parametrize("case", list(INVALID))
def test_invalid_rows_are_quarantined(graded: dict, case: str) -> None:
    assert graded[case]["tier"] is None
    assert INVALID[case][1] <= set(graded[case]["errors"])


@pytest.mark.parametrize("tier", TIERS)
def test_approval_and_maintenance(graded: dict, tier: str) -> None:
    row = next(r for r in graded.values() if r["tier"] == tier)
    assert (row["approved_by"], row["maintained_by"], row["supervised_by"], row["daily_maintenance"]) == ACTIONS[tier]


def test_check_accepts_the_scorecard(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(scorecard_path(SCHEME))]) == 0
    assert "ok" in capsys.readouterr().out


def test_generated_register_runs(tmp_path: Path) -> None:
    table, scored, _ = run_generated(SCHEME, tmp_path, 20000)  # diamonds are rare: enough rows for every tier
    assert {"customer_id", "annual_revenue_10k", "bureau_group", "upstream_registered"} <= set(table.column_names)
    assert set(scored.column("tier").to_pylist()) == set(TIERS)
    assert {"city_bureau", "override", "approved_by", "maintained_by"} <= set(scored.column_names)
