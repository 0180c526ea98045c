"""scorecards/arrears.yaml: telecom arrears by subscriber type (seed 003), tiers of our design.

Veto: a blacklisted subscriber is refused service, before anything else (even a key account).
Override: a key account is reconnected first and collected later. Rules, first match: untraceable
(over 3 months with evidence < 50), legal (malicious or denial), aged (over 3 months), vacated
(demolition or rental), tariff dispute, competition, then ordinary arrears in suspension batches by
amount: ≥ 200, 50-200, < 50 元. Evidence 25 points per item; expected recovery 20% + 75% × evidence
/ 100 (20% without evidence, 95% with all of it). Every case is graded in one register by the real
`tierline run` (and the oracle), once per module.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tierline.cli import main
from schemes import grade, run_generated, scorecard_path

SCHEME = "arrears"
TIERS = ["refused", "key_account", "untraceable", "legal", "aged", "vacated", "tariff_dispute", "competition",
         "batch_1", "batch_2", "batch_3"]
EVIDENCE = ("id_verified", "address_verified", "guarantor", "call_records")


def evidence(items: int) -> dict[str, bool]:
    """The first `items` evidence items present (25 points each), the rest missing."""
    return {name: index < items for index, name in enumerate(EVIDENCE)}


FULL = evidence(4)
# name → (row changes over an ordinary current-month 100 元 debt with full evidence, tier, override)
CASES = {
    "ordinary": ({}, "batch_2", None),
    # amount bands on both sides (以上 includes the number)
    "amount 5000": ({"arrears_amount": 5000.0}, "batch_1", None),
    "amount 200": ({"arrears_amount": 200.0}, "batch_1", None),
    "amount 199.99": ({"arrears_amount": 199.99}, "batch_2", None),
    "amount 50": ({"arrears_amount": 50.0}, "batch_2", None),
    "amount 49.99": ({"arrears_amount": 49.99}, "batch_3", None),
    "amount 0.01": ({"arrears_amount": 0.01}, "batch_3", None),
    # age: more than 3 months is aged (陈欠); evidence < 50 makes it untraceable
    "3 months, no evidence": ({"months_overdue": 3, **evidence(0)}, "batch_2", None),
    "4 months, full evidence": ({"months_overdue": 4}, "aged", None),
    "4 months, evidence 50": ({"months_overdue": 4, **evidence(2)}, "aged", None),
    "4 months, evidence 25": ({"months_overdue": 4, **evidence(1)}, "untraceable", None),
    "24 months, no evidence": ({"months_overdue": 24, **evidence(0)}, "untraceable", None),
    # malicious and denial go to law, unless the evidence for it is lost
    "malicious": ({"malicious": True}, "legal", None),
    "denial": ({"dispute": "denial"}, "legal", None),
    "malicious, 4 months, evidence 50": ({"malicious": True, "months_overdue": 4, **evidence(2)}, "legal", None),
    "malicious, 4 months, evidence 25": ({"malicious": True, "months_overdue": 4, **evidence(1)}, "untraceable", None),
    # disputes and competition
    "demolition": ({"dispute": "demolition"}, "vacated", None),
    "rental": ({"dispute": "rental", "arrears_amount": 10.0}, "vacated", None),
    "tariff": ({"dispute": "tariff"}, "tariff_dispute", None),
    "demolition, 4 months": ({"dispute": "demolition", "months_overdue": 4}, "aged", None),
    "competition": ({"competitor_churn": True, "arrears_amount": 500.0}, "competition", None),
    "competition + tariff": ({"competitor_churn": True, "dispute": "tariff"}, "tariff_dispute", None),
    "dispute null": ({"dispute": None}, "batch_2", None),     # default none
    # veto and override
    "blacklisted": ({"blacklisted": True}, "refused", "blacklist_veto"),
    "blacklisted key account": ({"blacklisted": True, "key_account": True}, "refused", "blacklist_veto"),
    "blacklisted, untraceable": ({"blacklisted": True, "months_overdue": 12, **evidence(0)},
                                 "refused", "blacklist_veto"),
    "key account": ({"key_account": True}, "key_account", "key_account_first"),
    "key account, malicious and old": ({"key_account": True, "malicious": True, "months_overdue": 12, **evidence(0)},
                                       "key_account", "key_account_first"),
    "flags null": ({"blacklisted": None, "key_account": None, "malicious": None, "competitor_churn": None},
                   "batch_2", None),  # default false
}
LABELS = {
    "refused": "黑名单·拒绝服务", "key_account": "大客户·先开机后收费", "untraceable": "陈欠·证据不全",
    "legal": "恶意及赖账欠费·依法追缴", "aged": "陈年欠费", "vacated": "拆迁租赁欠费", "tariff_dispute": "资费争议欠费",
    "competition": "无序竞争欠费", "batch_1": "普通欠费·第一批停机", "batch_2": "普通欠费·第二批停机",
    "batch_3": "普通欠费·第三批停机",
}
MEASURE_QUOTES = {"refused": "拒绝办理业务", "key_account": "先开机、后收费", "vacated": "发现欠费、立即停机",
                  "tariff_dispute": "通话清单", "legal": "律师催缴函", "aged": "社区经理上门催缴"}  # seed 003
# evidence items → (score_evidence, expected_recovery_rate)
RECOVERY = {0: (0.0, 0.2), 1: (25.0, 0.3875), 2: (50.0, 0.575), 3: (75.0, 0.7625), 4: (100.0, 0.95)}
INVALID = {
    "unknown dispute": ({"dispute": "lost_phone"}, {"dispute:in_set"}),
    "amount 0": ({"arrears_amount": 0.0}, {"arrears_amount:between"}),
    "amount null": ({"arrears_amount": None}, {"arrears_amount:not_null"}),
    "months negative": ({"months_overdue": -1}, {"months_overdue:between"}),
    "months null": ({"months_overdue": None}, {"months_overdue:not_null"}),
    # the veto does not rescue a row with an error
    "blacklisted, amount null": ({"blacklisted": True, "arrears_amount": None}, {"arrears_amount:not_null"}),
}
BASE = {"arrears_amount": 100.0, "months_overdue": 0, "dispute": "none", **FULL}


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> dict:
    rows = [{"subscriber_id": name, **BASE, **change} for name, (change, _, _) in CASES.items()]
    rows += [{"subscriber_id": f"evidence {items}", **BASE, "arrears_amount": 123.45, **evidence(items)}
             for items in RECOVERY]
    rows += [{"subscriber_id": "evidence null", **BASE, **{name: None for name in EVIDENCE}}]
    rows += [{"subscriber_id": name, **BASE, **change} for name, (change, _) in INVALID.items()]
    return grade(SCHEME, rows, tmp_path_factory.mktemp(SCHEME))


@pytest.mark.parametrize("case", list(CASES))
def test_rule_table_veto_and_override(graded: dict, case: str) -> None:
    _, tier, override = CASES[case]
    row = graded[case]
    assert (row["tier"], row["tier_label"], row["tier_rank"]) == (tier, LABELS[tier], TIERS.index(tier) + 1)
    assert row["override"] == override
    assert row["reasons"] == []  # tiers come from rules and overrides, not from the evidence score


@pytest.mark.parametrize("items", list(RECOVERY))
def test_evidence_completeness_predicts_recovery(graded: dict, items: int) -> None:
    row = graded[f"evidence {items}"]
    score, rate = RECOVERY[items]
    assert row["score_evidence"] == score
    assert [row[f"points_{name}"] for name in EVIDENCE] == [25.0 if i < items else 0.0 for i in range(4)]
    assert row["expected_recovery_rate"] == pytest.approx(rate, abs=1e-12)
    assert row["expected_recovery"] == pytest.approx(123.45 * rate, abs=1e-9)


def test_unknown_evidence_counts_as_missing(graded: dict) -> None:
    row = graded["evidence null"]
    assert (row["score_evidence"], row["expected_recovery_rate"]) == (0.0, pytest.approx(0.2, abs=1e-12))


@pytest.mark.parametrize("tier", TIERS)
def test_actions_per_tier(graded: dict, tier: str) -> None:
    rows = [row for row in graded.values() if row["tier"] == tier]
    assert rows
    batch = {"batch_1": 1, "batch_2": 2, "batch_3": 3}.get(tier)
    for row in rows:
        assert row["suspension_batch"] == batch
        assert row["min_reminders"] == (2 if batch else None)       # 催缴两遍以上
        assert row["to_blacklist"] is (tier in ("untraceable", "aged"))  # 陈欠客户资料 → 黑名单库
        assert MEASURE_QUOTES.get(tier, "") in row["measure"]
        assert row["responsible"]


@pytest.mark.parametrize("case", list(INVALID))
def test_invalid_rows_are_quarantined(graded: dict, case: str) -> None:
    assert graded[case]["tier"] is None
    assert INVALID[case][1] <= set(graded[case]["errors"])


def test_check_accepts_the_scorecard(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(scorecard_path(SCHEME))]) == 0
    assert "ok" in capsys.readouterr().out


def test_generated_register_runs(tmp_path: Path) -> None:
    table, scored, _ = run_generated(SCHEME, tmp_path)
    assert {"subscriber_id", "arrears_amount", "months_overdue", "blacklisted", "key_account", "dispute",
            *EVIDENCE} <= set(table.column_names)
    assert set(scored.column("tier").to_pylist()) == set(TIERS)
    assert {"subscriber_id", "score_evidence", "tier_rank", "tier_label", "override", "measure", "responsible",
            "suspension_batch", "expected_recovery_rate", "expected_recovery"} <= set(scored.column_names)
