"""scorecards/customer_top5.yaml: customers A/B/C by spend, global quantiles (seed 004).

A 关键客户 = the top 5% by spend ("消费额最多的前5%"); B 主要客户 = the next 15% (top 20%, assumed);
C 普通客户 the rest. SPEC §2.5: rank = 1 + the valid customers with strictly more spend over the
whole register (not per partition), A when rank ≤ 0.05 × N, B when rank ≤ 0.2 × N, N the valid
customers; ties share a tier. Registers are graded by the real `tierline run` split into several
partitions (and checked against the oracle).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tierline.cli import main
from schemes import grade, run_generated, scorecard_path

SCHEME = "customer_top5"
TIERS = ["A", "B", "C"]
LABELS = {"A": "关键客户", "B": "主要客户", "C": "普通客户"}
SPLIT = ["--partition-rows", "16"]  # ranks must not depend on the partition a customer lands in

# 100 valid customers spending 1..100 元 (rank = 101 - spend): A limit 0.05 × 100 = 5, B limit 20.
# The invalid rows are not counted: with N = 105 the B limit would be 21 and spend 80 would be B.
INVALID = {
    "spend null 1": (None, "spend:not_null"),
    "spend null 2": (None, "spend:not_null"),
    "spend null 3": (None, "spend:not_null"),
    "refund 1": (-0.01, "spend:between"),
    "refund 2": (-500.0, "spend:between"),
}


def distinct_tier(spend: int) -> str:
    rank = 101 - spend
    return "A" if rank <= 5 else "B" if rank <= 20 else "C"


# 40 valid customers: A limit 0.05 × 40 = 2, B limit 0.2 × 40 = 8.
# name → (spend, rank, tier)
TIES = {
    "t01": (1000.0, 1, "A"),
    "t02": (900.0, 2, "A"),
    "t03": (900.0, 2, "A"),   # ties share a tier: three A customers among 40, beyond 5%
    "t04": (800.0, 4, "B"),   # three customers spend more: the tie skips rank 3
    "t05": (700.0, 5, "B"),
    "t06": (600.0, 6, "B"),
    "t07": (500.0, 7, "B"),
    "t08": (400.0, 8, "B"),
    "t09": (400.0, 8, "B"),   # tied on the B limit: both B
    "t10": (300.0, 10, "C"),  # rank 10, after the tie at 8
    **{f"t{index:02d}": (0.0, 11, "C") for index in range(11, 41)},  # the no-spend customers tie at the bottom
}


@pytest.fixture(scope="module")
def distinct(tmp_path_factory: pytest.TempPathFactory) -> dict:
    # listed cheapest first and interleaved with the invalid rows, so partitions mix ranks
    rows = [{"customer_id": f"c{spend:03d}", "spend": float(spend)} for spend in range(1, 101)]
    for offset, (name, (spend, _)) in enumerate(INVALID.items()):
        rows.insert(offset * 17, {"customer_id": name, "spend": spend})
    return grade(SCHEME, rows, tmp_path_factory.mktemp(SCHEME), extra=SPLIT)


@pytest.fixture(scope="module")
def tied(tmp_path_factory: pytest.TempPathFactory) -> dict:
    rows = [{"customer_id": name, "spend": spend} for name, (spend, _, _) in reversed(TIES.items())]
    return grade(SCHEME, rows, tmp_path_factory.mktemp(SCHEME), extra=SPLIT)


@pytest.mark.parametrize("spend", [100, 96, 95, 81, 80, 1])
def test_boundaries_of_top_5_and_20_percent(distinct: dict, spend: int) -> None:
    row = distinct[f"c{spend:03d}"]
    tier = distinct_tier(spend)
    assert (row["tier"], row["tier_label"], row["tier_rank"]) == (tier, LABELS[tier], TIERS.index(tier) + 1)


def test_shares_are_exactly_5_15_80_percent(distinct: dict) -> None:
    counts = {tier: 0 for tier in TIERS}
    for spend in range(1, 101):
        row = distinct[f"c{spend:03d}"]
        assert row["tier"] == distinct_tier(spend)
        counts[row["tier"]] += 1
    assert counts == {"A": 5, "B": 15, "C": 80}


@pytest.mark.parametrize("case", list(INVALID))
def test_invalid_rows_are_quarantined_and_not_counted(distinct: dict, case: str) -> None:
    assert distinct[case]["tier"] is None
    assert INVALID[case][1] in distinct[case]["errors"]


@pytest.mark.parametrize("name", list(TIES))
def test_ties_share_a_tier(tied: dict, name: str) -> None:
    row = tied[name]
    tier = TIES[name][2]
    assert (row["tier"], row["tier_rank"]) == (tier, TIERS.index(tier) + 1)


def test_tied_ranks_count_strictly_better_customers() -> None:
    for name, (spend, rank, _) in TIES.items():
        assert rank == 1 + sum(other > spend for other, _, _ in TIES.values()), name


def test_actions(distinct: dict) -> None:
    for spend in range(1, 101):
        row = distinct[f"c{spend:03d}"]
        assert row["regrade_cycle"] == "monthly"                  # 每月按照客户价值进行分类
        assert row["regular_visits"] is (row["tier"] == "A")      # 对关键客户定期拜访与问候
        assert row["override"] is None and row["reasons"] == []


def test_check_accepts_the_scorecard(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(scorecard_path(SCHEME))]) == 0
    assert "ok" in capsys.readouterr().out


def test_generated_register_runs(tmp_path: Path) -> None:
    table, scored, _ = run_generated(SCHEME, tmp_path, extra=("--partition-rows", "1000"))
    assert {"customer_id", "spend"} <= set(table.column_names)
    assert {"customer_id", "spend", "tier_rank", "tier_label", "regrade_cycle", "regular_visits"} <= set(scored.column_names)
    # global ranks over the valid customers, whatever partition they were scored in
    valid = scored.num_rows
    spends = scored.column("spend").to_numpy()
    ranks = 1 + valid - np.searchsorted(np.sort(spends), spends, side="right")  # 1 + strictly more
    expected = np.where(ranks * 20 <= valid, "A", np.where(ranks * 5 <= valid, "B", "C"))  # 5%, 20%, exactly
    assert scored.column("tier").to_pylist() == expected.tolist()
