"""scorecards/loan_five_class.yaml: loan five-class risk classification with provisions (seed 004).

Days overdue by security type (the assumed 脱期法 table of the rural credit cooperatives; the
source's own table is lost): credit 1-30 special mention, 31-90 substandard, 91-180 doubtful,
over 180 loss; guarantee and pledge 1-90 / 91-180 / 181-360 / over 360; mortgage 1-180 / 181-360 /
361-720 / over 720. 0 days is normal, 1 day never is, whatever the security. A missing, empty or
unknown security type is read as credit (适度从严). Provision = balance × rate, the rates 0% / 2% /
25% / 50% / 100% quoted from the source. Every case is graded in one register by the real
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

# days_overdue → tier for (credit, guarantee or pledge, mortgage): every end of every range of
# SCHEMES.md's table, both sides
N, SM, SUB, DBT, LOSS = TIERS
DAYS = {
    0: (N, N, N),
    1: (SM, SM, SM),              # one day overdue is never normal, whatever the security
    30: (SM, SM, SM),
    31: (SUB, SM, SM),
    90: (SUB, SM, SM),
    91: (DBT, SUB, SM),
    180: (DBT, SUB, SM),
    181: (LOSS, DBT, SUB),
    360: (LOSS, DBT, SUB),
    361: (LOSS, LOSS, DBT),
    720: (LOSS, LOSS, DBT),
    721: (LOSS, LOSS, LOSS),
    5000: (LOSS, LOSS, LOSS),
}
# security_type as registered → its column of the table; missing, empty and unknown read as credit
SECURITY = {"credit": 0, "guarantee": 1, "pledge": 1, "mortgage": 2, None: 0, "": 0, "lease": 0}
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


def key(days: int, security: str | None, balance: str) -> str:
    return f"L{days}-{security}-{balance}"


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> dict:
    rows = [{"loan_id": key(days, security, balance), "days_overdue": days, "security_type": security,
             "balance": float(balance)} for days in DAYS for security in SECURITY for balance in BALANCES]
    base = {"days_overdue": 10, "security_type": "credit", "balance": 100.0}
    rows += [{**base, "loan_id": name, **change} for name, (change, _) in INVALID.items() if name != "id null"]
    rows += [{**base, **INVALID["id null"][0]}]
    return grade(SCHEME, rows, tmp_path_factory.mktemp(SCHEME))


@pytest.mark.parametrize("days", list(DAYS))
@pytest.mark.parametrize("security", list(SECURITY), ids=repr)
def test_days_and_security(graded: dict, days: int, security: str | None) -> None:
    tier = DAYS[days][SECURITY[security]]
    for balance in BALANCES:
        row = graded[key(days, security, balance)]
        assert (row["tier"], row["tier_label"], row["tier_rank"]) == (tier, LABELS[tier], TIERS.index(tier) + 1)
        assert row["override"] is None and row["reasons"] == [] and row["errors"] == []
        assert row["security_type"] == security  # passed through as registered; the default only grades


def test_security_never_makes_an_overdue_loan_normal(graded: dict) -> None:
    overdue = [row for row in graded.values() if row["tier"] is not None and row["days_overdue"] >= 1]
    assert overdue and all(row["tier"] != "normal" for row in overdue)
    current = [row for row in graded.values() if row["tier"] is not None and row["days_overdue"] == 0]
    assert current and all(row["tier"] == "normal" for row in current)


@pytest.mark.parametrize("balance", BALANCES)
@pytest.mark.parametrize("days", list(DAYS))
def test_provision_is_balance_times_rate_to_the_cent(graded: dict, days: int, balance: str) -> None:
    for security in SECURITY:
        row = graded[key(days, security, balance)]
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
    assert not any(code.startswith("tier:") for code in row["errors"])  # only the check that failed


def test_without_validation_a_negative_day_count_matches_no_class(tmp_path: Path) -> None:
    """--validation off skips `min: 0`; every class but normal asks for at least one day overdue."""
    rows = [{"loan_id": "negative", "days_overdue": -1, "security_type": "mortgage", "balance": 10.0},
            {"loan_id": "null days", "days_overdue": None, "security_type": "credit", "balance": 10.0},
            {"loan_id": "ok", "days_overdue": 31, "security_type": None, "balance": 10.0}]
    graded = grade(SCHEME, rows, tmp_path, extra=["--validation", "off"])
    assert graded["negative"]["tier"] is None and graded["negative"]["errors"] == ["tier:no_rule"]
    assert graded["null days"]["tier"] is None and graded["null days"]["errors"] == ["tier:no_rule"]
    assert graded["ok"]["tier"] == "substandard"


def test_check_accepts_the_scorecard(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(scorecard_path(SCHEME))]) == 0
    assert "ok" in capsys.readouterr().out


def test_generated_register_runs(tmp_path: Path) -> None:
    table, scored, _ = run_generated(SCHEME, tmp_path)
    assert {"loan_id", "days_overdue", "security_type", "balance"} <= set(table.column_names)
    assert set(scored.column("tier").to_pylist()) == set(TIERS)
    assert {"loan_id", "days_overdue", "security_type", "balance", "tier_rank", "tier_label", "provision_rate",
            "provision", "non_performing"} <= set(scored.column_names)
