"""scorecards/arrears.yaml: telecom arrears by subscriber type (seed 003), tiers of our design.

Veto: a blacklisted subscriber is refused service, before anything else (even a key account).
Override: a key account is reconnected first and collected later. months_overdue 0 is current-month
arrears (当月欠费): vacated premises suspended at once, tariff disputes answered with call records,
everything else suspended in batches by amount (≥ 200, 50-200, < 50 元). months_overdue ≥ 1 is old
arrears (陈欠), first match: untraceable (evidence < 50), legal (malicious or denial), competition,
aged. Evidence 25 points per item; expected recovery, on old-arrears tiers only, 20% + 75% ×
evidence / 100 (20% without evidence, 95% with all of it), null on every other tier. The owner is
the layered collection unit of the register (片区 / 大客户 / 数据班 / 分局), passed through. Every case
is graded in one register by the real `tierline run` (and the oracle), once per module.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tierline.cli import main
from schemes import grade, run_generated, scorecard_path

SCHEME = "arrears"
TIERS = ["refused", "key_account", "untraceable", "legal", "competition", "aged", "vacated", "tariff_dispute",
         "batch_1", "batch_2", "batch_3"]
OLD = {"untraceable", "legal", "competition", "aged"}          # months_overdue >= 1
CURRENT = {"vacated", "tariff_dispute", "batch_1", "batch_2", "batch_3"}  # months_overdue == 0
EVIDENCE = ("id_verified", "address_verified", "guarantor", "call_records")


def evidence(items: int) -> dict[str, bool]:
    """The first `items` evidence items present (25 points each), the rest missing."""
    return {name: index < items for index, name in enumerate(EVIDENCE)}


FULL = evidence(4)
# name → (row changes over an ordinary current-month 100 元 debt with full evidence, tier, override)
CASES = {
    "ordinary": ({}, "batch_2", None),
    # amount bands of the current month's suspension, both sides (以上 includes the number)
    "amount 5000": ({"arrears_amount": 5000.0}, "batch_1", None),
    "amount 200": ({"arrears_amount": 200.0}, "batch_1", None),
    "amount 199.99": ({"arrears_amount": 199.99}, "batch_2", None),
    "amount 50": ({"arrears_amount": 50.0}, "batch_2", None),
    "amount 49.99": ({"arrears_amount": 49.99}, "batch_3", None),
    "amount 0.01": ({"arrears_amount": 0.01}, "batch_3", None),
    # the month boundary: batches for the current month only, old arrears whatever the amount
    "0 months, no evidence": ({**evidence(0)}, "batch_2", None),   # evidence only matters for old arrears
    "1 month, full evidence": ({"months_overdue": 1}, "aged", None),
    "1 month, amount 5000": ({"months_overdue": 1, "arrears_amount": 5000.0}, "aged", None),
    "1 month, amount 0.01": ({"months_overdue": 1, "arrears_amount": 0.01}, "aged", None),
    "1 month, evidence 50": ({"months_overdue": 1, **evidence(2)}, "aged", None),
    "1 month, evidence 25": ({"months_overdue": 1, **evidence(1)}, "untraceable", None),
    "24 months, no evidence": ({"months_overdue": 24, **evidence(0)}, "untraceable", None),
    # malicious and denial go to law once old, unless the evidence for it is lost
    "malicious, 1 month": ({"malicious": True, "months_overdue": 1}, "legal", None),
    "denial, 1 month": ({"dispute": "denial", "months_overdue": 1}, "legal", None),
    "malicious, 1 month, evidence 50": ({"malicious": True, "months_overdue": 1, **evidence(2)}, "legal", None),
    "malicious, 1 month, evidence 25": ({"malicious": True, "months_overdue": 1, **evidence(1)}, "untraceable", None),
    "malicious, current month": ({"malicious": True}, "batch_2", None),      # suspended like any this month
    "denial, current month": ({"dispute": "denial", "arrears_amount": 20.0}, "batch_3", None),
    # competition: old arrears only
    "competition, 1 month": ({"competitor_churn": True, "months_overdue": 1}, "competition", None),
    "competition and malicious, 1 month": ({"competitor_churn": True, "malicious": True, "months_overdue": 1},
                                           "legal", None),
    "competition, current month": ({"competitor_churn": True, "arrears_amount": 500.0}, "batch_1", None),
    # disputes of the current month; old ones are aged
    "demolition": ({"dispute": "demolition"}, "vacated", None),
    "rental": ({"dispute": "rental", "arrears_amount": 10.0}, "vacated", None),
    "tariff": ({"dispute": "tariff"}, "tariff_dispute", None),
    "competition + tariff": ({"competitor_churn": True, "dispute": "tariff"}, "tariff_dispute", None),
    "demolition, 1 month": ({"dispute": "demolition", "months_overdue": 1}, "aged", None),
    "tariff, 1 month": ({"dispute": "tariff", "months_overdue": 1}, "aged", None),
    "dispute null": ({"dispute": None}, "batch_2", None),     # default none
    # veto and override, arrears of any age
    "blacklisted": ({"blacklisted": True}, "refused", "blacklist_veto"),
    "blacklisted key account": ({"blacklisted": True, "key_account": True}, "refused", "blacklist_veto"),
    "blacklisted, untraceable": ({"blacklisted": True, "months_overdue": 12, **evidence(0)},
                                 "refused", "blacklist_veto"),
    "key account": ({"key_account": True, "collection_unit": "key_accounts"}, "key_account", "key_account_first"),
    "key account, malicious and old": ({"key_account": True, "malicious": True, "months_overdue": 12, **evidence(0)},
                                       "key_account", "key_account_first"),
    "flags null": ({"blacklisted": None, "key_account": None, "malicious": None, "competitor_churn": None},
                   "batch_2", None),  # default false
    # every layered collection unit owns its lines, whatever the tier
    "data team": ({"collection_unit": "data_team", "months_overdue": 2}, "aged", None),
    "branch": ({"collection_unit": "branch"}, "batch_2", None),
}
LABELS = {
    "refused": "黑名单·拒绝服务", "key_account": "大客户·先开机后收费", "untraceable": "陈欠·证据不全",
    "legal": "陈欠·恶意及赖账·依法追缴", "competition": "陈欠·无序竞争", "aged": "陈年欠费",
    "vacated": "当月·拆迁租赁·立即停机", "tariff_dispute": "当月·资费争议",
    "batch_1": "当月欠费·第一批停机", "batch_2": "当月欠费·第二批停机", "batch_3": "当月欠费·第三批停机",
}
MEASURE_QUOTES = {"refused": "拒绝办理业务", "key_account": "先开机、后收费", "vacated": "发现欠费、立即停机",
                  "tariff_dispute": "通话清单", "legal": "律师催缴函", "aged": "社区经理上门催缴",
                  "competition": "定期召开分析会", "batch_1": "分批停机"}  # seed 003
# evidence items → (score_evidence, expected_recovery_rate of old arrears)
RECOVERY = {0: (0.0, 0.2), 1: (25.0, 0.3875), 2: (50.0, 0.575), 3: (75.0, 0.7625), 4: (100.0, 0.95)}
INVALID = {
    "unknown dispute": ({"dispute": "lost_phone"}, {"dispute:in_set"}),
    "amount 0": ({"arrears_amount": 0.0}, {"arrears_amount:between"}),
    "amount null": ({"arrears_amount": None}, {"arrears_amount:not_null"}),
    "months negative": ({"months_overdue": -1}, {"months_overdue:between"}),
    "months null": ({"months_overdue": None}, {"months_overdue:not_null"}),
    "unit null": ({"collection_unit": None}, {"collection_unit:not_null"}),
    "unit unknown": ({"collection_unit": "call_centre"}, {"collection_unit:in_set"}),
    # the veto does not rescue a row with an error
    "blacklisted, amount null": ({"blacklisted": True, "arrears_amount": None}, {"arrears_amount:not_null"}),
}
BASE = {"arrears_amount": 100.0, "months_overdue": 0, "dispute": "none", "collection_unit": "district", **FULL}


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> dict:
    rows = [{"subscriber_id": name, **BASE, **change} for name, (change, _, _) in CASES.items()]
    for months in (0, 3):
        rows += [{"subscriber_id": f"evidence {items}, {months} months", **BASE, "arrears_amount": 123.45,
                  "months_overdue": months, **evidence(items)} for items in RECOVERY]
    rows += [{"subscriber_id": "evidence null", **BASE, "months_overdue": 3, **{name: None for name in EVIDENCE}}]
    rows += [{"subscriber_id": name, **BASE, **change} for name, (change, _) in INVALID.items()]
    return grade(SCHEME, rows, tmp_path_factory.mktemp(SCHEME))


@pytest.mark.parametrize("case", list(CASES))
def test_rule_table_veto_and_override(graded: dict, case: str) -> None:
    change, tier, override = CASES[case]
    row = graded[case]
    assert (row["tier"], row["tier_label"], row["tier_rank"]) == (tier, LABELS[tier], TIERS.index(tier) + 1)
    assert row["override"] == override
    assert row["reasons"] == []  # tiers come from rules and overrides, not from the evidence score
    assert row["collection_unit"] == change.get("collection_unit", "district")  # the owner, as registered


def test_batches_are_for_the_current_month_only(graded: dict) -> None:
    scored = [row for row in graded.values() if row["tier"] is not None and row["override"] is None]
    assert {row["tier"] for row in scored if row["months_overdue"] == 0} == CURRENT
    assert {row["tier"] for row in scored if row["months_overdue"] >= 1} == OLD


@pytest.mark.parametrize("items", list(RECOVERY))
def test_evidence_completeness_predicts_recovery_of_old_arrears(graded: dict, items: int) -> None:
    row = graded[f"evidence {items}, 3 months"]
    score, rate = RECOVERY[items]
    assert row["tier"] == ("aged" if items >= 2 else "untraceable")
    assert row["score_evidence"] == score
    assert [row[f"points_{name}"] for name in EVIDENCE] == [25.0 if i < items else 0.0 for i in range(4)]
    assert (row["recovery_without_evidence"], row["recovery_with_full_evidence"]) == (0.2, 0.95)  # seed 003
    assert row["expected_recovery_rate"] == pytest.approx(rate, abs=1e-12)
    assert row["expected_recovery"] == pytest.approx(123.45 * rate, abs=1e-9)


@pytest.mark.parametrize("items", list(RECOVERY))
def test_current_month_arrears_have_no_expected_recovery(graded: dict, items: int) -> None:
    row = graded[f"evidence {items}, 0 months"]
    assert row["tier"] == "batch_2" and row["score_evidence"] == RECOVERY[items][0]
    assert (row["recovery_without_evidence"], row["recovery_with_full_evidence"]) == (None, None)
    assert row["expected_recovery_rate"] is None and row["expected_recovery"] is None


def test_expected_recovery_belongs_to_the_old_arrears_tiers_only(graded: dict) -> None:
    scored = [row for row in graded.values() if row["tier"] is not None]
    assert {row["tier"] for row in scored if row["expected_recovery"] is not None} == OLD
    assert {row["tier"] for row in scored if row["expected_recovery"] is None} == set(TIERS) - OLD


def test_unknown_evidence_counts_as_missing(graded: dict) -> None:
    row = graded["evidence null"]
    assert row["tier"] == "untraceable"
    assert (row["score_evidence"], row["expected_recovery_rate"]) == (0.0, pytest.approx(0.2, abs=1e-12))


@pytest.mark.parametrize("tier", TIERS)
def test_actions_per_tier(graded: dict, tier: str) -> None:
    rows = [row for row in graded.values() if row["tier"] == tier]
    assert rows
    batch = {"vacated": 0, "batch_1": 1, "batch_2": 2, "batch_3": 3}.get(tier)  # 0: at once
    for row in rows:
        assert row["suspension_batch"] == batch
        assert row["min_reminders"] == (2 if tier.startswith("batch_") else None)   # 催缴两遍以上
        assert row["to_blacklist"] is (tier in OLD)  # 陈欠客户资料 → 黑名单库
        assert MEASURE_QUOTES.get(tier, "") in row["measure"]
        assert row["collection_unit"] in ("district", "key_accounts", "data_team", "branch")


@pytest.mark.parametrize("case", list(INVALID))
def test_invalid_rows_are_quarantined(graded: dict, case: str) -> None:
    assert graded[case]["tier"] is None
    assert INVALID[case][1] <= set(graded[case]["errors"])


def test_without_validation_a_negative_month_count_matches_no_rule(tmp_path: Path) -> None:
    """--validation off skips `min: 0`; every rule names its track, none catches a month count of -1."""
    flags = {name: False for name in ("blacklisted", "key_account", "malicious", "competitor_churn")}
    rows = [{"subscriber_id": "negative", **BASE, **flags, "months_overdue": -1},
            {"subscriber_id": "ok", **BASE, **flags, "months_overdue": 0}]
    graded = grade(SCHEME, rows, tmp_path, extra=["--validation", "off"])
    assert graded["negative"]["tier"] is None and graded["negative"]["errors"] == ["tier:no_rule"]
    assert graded["ok"]["tier"] == "batch_2"


def test_the_description_states_the_assumptions() -> None:
    text = scorecard_path(SCHEME).read_text(encoding="utf-8")
    for words in ("current-month", "batch 1 >= 200", "80%", "95%", "片区", "大客户", "数据班", "分局"):
        assert words in text


def test_check_accepts_the_scorecard(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(scorecard_path(SCHEME))]) == 0
    assert "ok" in capsys.readouterr().out


def test_generated_register_runs(tmp_path: Path) -> None:
    table, scored, _ = run_generated(SCHEME, tmp_path)
    assert {"subscriber_id", "arrears_amount", "months_overdue", "blacklisted", "key_account", "dispute",
            "collection_unit", *EVIDENCE} <= set(table.column_names)
    assert set(scored.column("tier").to_pylist()) == set(TIERS)
    assert set(scored.column("collection_unit").to_pylist()) == {"district", "key_accounts", "data_team", "branch"}
    assert {"subscriber_id", "score_evidence", "tier_rank", "tier_label", "override", "measure",
            "suspension_batch", "expected_recovery_rate", "expected_recovery"} <= set(scored.column_names)
