"""scorecards/loan_five_class.yaml: loan five-class risk classification with provisions (seed 004).

Days overdue (assumed cut-offs, lost in the source): 0 normal, 1-90 special mention, 91-180
substandard, 181-360 doubtful, over 360 loss; a secured loan is one class better, except that loss
stays loss; a null `secured` counts as unsecured (适度从严). Provision = balance × rate, the rates
0% / 2% / 25% / 50% / 100% quoted from the source. Every case is graded in one register by the real
`tierline run` (and the oracle), once per module.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest

from tierline.cli import main
from schemes import grade, run_generated, scorecard_path

SCHEME = "loan_five_class"
TIERS = ["normal", "special_mention", "substandard", "doubtful", "loss"]
LABELS = {"normal": "正常类", "special_mention": "关注类", "substandard": "次级类", "doubtful": "可疑类",
          "loss": "损失类"}
RATES = {"normal": "0", "special_mention": "0.02", "substandard": "0.25", "doubtful": "0.5", "loss": "1"}

# days_overdue → (unsecured tier, secured tier): every cut-off on both sides
DAYS = {
    0: ("normal", "normal"),
    1: ("special_mention", "normal"),
    90: ("special_mention", "normal"),
    91: ("substandard", "special_mention"),
    180: ("substandard", "special_mention"),
    181: ("doubtful", "substandard"),
    360: ("doubtful", "substandard"),
    361: ("loss", "loss"),        # loss stays loss, secured or not
    5000: ("loss", "loss"),
}
# balances whose products with 0.02 / 0.25 / 0.5 are not exact in binary floating point
# (999999.99 × 0.5 = 499999.995 lands on a half cent)
BALANCES = ["12345.67", "0.01", "999999.99", "0"]
INVALID = {
    "days null": ({"days_overdue": None}, {"days_overdue:not_null"}),
    "days negative": ({"days_overdue": -1}, {"days_overdue:between"}),
    "balance null": ({"balance": None}, {"balance:not_null"}),
    "balance negative": ({"balance": -0.01}, {"balance:between"}),
    "id null": ({"loan_id": None}, {"loan_id:not_null"}),
}


def key(days: int, secured: bool | None, balance: str) -> str:
    return f"L{days}-{secured}-{balance}"


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> dict:
    rows = [{"loan_id": key(days, secured, balance), "days_overdue": days, "secured": secured,
             "balance": float(balance)} for days in DAYS for secured in (False, True, None) for balance in BALANCES]
    base = {"days_overdue": 10, "secured": False, "balance": 100.0}
    rows += [{**base, "loan_id": name, **change} for name, (change, _) in INVALID.items() if name != "id null"]
    rows += [{**base, **INVALID["id null"][0]}]
    return grade(SCHEME, rows, tmp_path_factory.mktemp(SCHEME))


@pytest.mark.parametrize("days", list(DAYS))
@pytest.mark.parametrize("secured", [False, True, None], ids=["unsecured", "secured", "secured-null"])
def test_days_and_security(graded: dict, days: int, secured: bool | None) -> None:
    unsecured_tier, secured_tier = DAYS[days]
    tier = secured_tier if secured else unsecured_tier  # null counts as unsecured (适度从严)
    for balance in BALANCES:
        row = graded[key(days, secured, balance)]
        assert (row["tier"], row["tier_label"], row["tier_rank"]) == (tier, LABELS[tier], TIERS.index(tier) + 1)
        assert row["override"] is None and row["reasons"] == [] and row["errors"] == []


@pytest.mark.parametrize("balance", BALANCES)
@pytest.mark.parametrize("days", list(DAYS))
def test_provision_is_balance_times_rate_to_the_cent(graded: dict, days: int, balance: str) -> None:
    for secured in (False, True):
        row = graded[key(days, secured, balance)]
        rate = Decimal(RATES[row["tier"]])
        assert row["provision_rate"] == float(rate)
        exact = Decimal(balance) * rate
        provision = Decimal(repr(row["provision"]))
        assert abs(provision - exact) < Decimal("0.000001")  # float64 error only, far below a cent
        cent = Decimal("0.01")
        assert provision.quantize(cent, ROUND_HALF_UP) == exact.quantize(cent, ROUND_HALF_UP)


def test_actions_per_class(graded: dict) -> None:
    by_tier = {row["tier"]: row for row in graded.values() if row["tier"] is not None}
    assert list(by_tier) and set(by_tier) == set(TIERS)
    for tier, row in by_tier.items():
        # 后三类合称为不良资产; 逐笔分类、季度计提
        assert row["non_performing"] is (tier in ("substandard", "doubtful", "loss"))
        assert row["provision_cycle"] == "quarterly"


@pytest.mark.parametrize("case", list(INVALID))
def test_invalid_rows_are_quarantined(graded: dict, case: str) -> None:
    change, errors = INVALID[case]
    if case == "id null":
        rows = [row for key_, row in graded.items() if key_ is None]
        assert len(rows) == 1
        row = rows[0]
    else:
        row = graded[case]
    assert row["tier"] is None
    assert errors <= set(row["errors"])
    assert "tier:ambiguous" not in row["errors"]  # the five rules are disjoint even on bad rows


def test_check_accepts_the_scorecard(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(scorecard_path(SCHEME))]) == 0
    assert "ok" in capsys.readouterr().out


def test_generated_register_runs(tmp_path: Path) -> None:
    table, scored, _ = run_generated(SCHEME, tmp_path)
    assert {"loan_id", "days_overdue", "secured", "balance"} <= set(table.column_names)
    assert set(scored.column("tier").to_pylist()) == set(TIERS)
    assert {"loan_id", "days_overdue", "secured", "balance", "tier_rank", "tier_label", "provision_rate",
            "provision", "non_performing"} <= set(scored.column_names)
