"""tierline.periods.report.data: the numbers behind each chart of `tierline report`, checked against
the published rows read back with pyarrow and against values worked out by hand."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from registers import amount_scorecard, write_scorecard
from tierline import api
from tierline.periods.engine import connect
from tierline.periods.published import PublishedPeriod, open_period
from tierline.periods.report.data import (Boundary, _edges, error_counts, level_boundaries, matrix_grid,
                                          quantile_boundaries, range_text, reason_counts, rule_thresholds,
                                          score_histogram, tier_counts)
from tierline.tools.generators import generator

SCORECARDS = Path(__file__).resolve().parents[3] / "scorecards"

LEVELS = """\
    - {tier: A, label: 甲类, from: 100}
    - {tier: B, label: 乙类, above: 50, to: 100}
    - {tier: C, label: 丙类, upto: 50}
"""


def _scored(period: PublishedPeriod) -> pa.Table:
    return pa.concat_tables([pq.read_table(f).add_column(0, "tier", pa.array([Path(f).parent.name[5:]] * pq.read_metadata(f).num_rows))
                             for f in period.scored_files])


def _publish_scheme(root: Path, scheme: str, rows: int = 2000) -> PublishedPeriod:
    table = generator(scheme)(rows, np.random.default_rng(5))
    pq.write_table(table, root / "register.parquet")
    api.run(SCORECARDS / f"{scheme}.yaml", root / "register.parquet", root / "out", period="2026-11",
            max_invalid_fraction=0.5)
    return open_period(root / "out", "2026-11")


@pytest.fixture(scope="module")
def amounts(tmp_path_factory: pytest.TempPathFactory) -> PublishedPeriod:
    root = tmp_path_factory.mktemp("amounts")
    card = write_scorecard(root / "amounts.yaml", amount_scorecard(LEVELS))
    values = [0.0, 10.0, 49.0, 50.0, 50.5, 99.0, 100.0, 150.0, 2000.0, -1.0, None]
    pq.write_table(pa.table({"id": [f"k{i}" for i in range(len(values))], "amount": values}), root / "r.parquet")
    api.run(card, root / "r.parquet", root / "out", period="2026-11", max_invalid_fraction=0.5)
    return open_period(root / "out", "2026-11")


def test_tier_counts_and_shares_come_from_the_manifest(amounts: PublishedPeriod) -> None:
    tiers = tier_counts(amounts)
    assert [(t.code, t.label, t.rank, t.count) for t in tiers] == [("A", "甲类", 1, 3), ("B", "乙类", 2, 2),
                                                                   ("C", "丙类", 3, 4)]
    assert sum(t.share for t in tiers) == pytest.approx(1.0)


def test_error_counts_most_first_as_a_share_of_the_input(amounts: PublishedPeriod) -> None:
    # -1 breaks min: 0; a null amount leaves the score null, which levels cannot tier.
    assert [(e.code, e.rows) for e in error_counts(amounts)] == [("amount:between", 1), ("amount:not_null", 1)]
    assert error_counts(amounts)[0].share == pytest.approx(1 / 11)


def test_level_boundaries_and_ranges_read_as_the_scorecard_wrote_them(amounts: PublishedPeriod) -> None:
    levels = amounts.grading["tiering"]["levels"]
    assert level_boundaries(levels) == (Boundary(100.0, "A ≥ 100"), Boundary(50.0, "B > 50"))
    assert [range_text(level) for level in levels] == ["≥ 100", "(50, 100)", "≤ 50"]
    assert range_text({"lower": None, "upper": None}) == "all"
    assert range_text({"lower": 1, "lower_inclusive": True, "upper": 2, "upper_inclusive": True}) == "[1, 2]"


def test_the_histogram_counts_every_finite_value_once_by_tier(amounts: PublishedPeriod) -> None:
    histogram = score_histogram(connect(), amounts, "score", level_boundaries(amounts.grading["tiering"]["levels"]))
    assert histogram is not None
    assert histogram.values == 9 and sum(n for _, _, n in histogram.counts) == 9  # -1 and null are quarantined
    per_tier: dict[str, int] = {}
    for tier, _, n in histogram.counts:
        per_tier[tier] = per_tier.get(tier, 0) + n
    assert per_tier == {"A": 3, "B": 2, "C": 4}
    edges = histogram.edges
    assert edges[0] <= 50 and edges[-1] > 100  # every boundary inside the data is inside the bins
    width = edges[1] - edges[0]
    assert all(0 <= b < histogram.bins for _, b, _ in histogram.counts)
    assert histogram.outside == sum(1 for v in (0.0, 10.0, 49.0, 50.0, 50.5, 99.0, 100.0, 150.0, 2000.0)
                                    if v < edges[0] or v >= edges[-1])
    assert width in {w * 10 ** e for w in (1, 2, 5) for e in range(-3, 5)}


@pytest.mark.parametrize(("start", "stop"), [(0, 100), (0.001, 0.0097), (-37.5, 912.25), (5, 5), (0, 1e9), (1, 2)])
def test_bins_have_a_round_width_and_cover_the_range(start: float, stop: float) -> None:
    edges = _edges(start, stop)
    assert edges[0] <= start and edges[-1] > stop
    assert 1 <= len(edges) - 1 <= 42
    widths = np.diff(edges)
    assert np.allclose(widths, widths[0])


def test_quantile_boundaries_are_where_each_tier_began(tmp_path: Path) -> None:
    period = _publish_scheme(tmp_path, "customer_top5")
    tiering = period.grading["tiering"]
    column = tiering["column"]
    scored = _scored(period)
    scored = scored.filter(pc.is_null(scored["override"]))
    boundaries = quantile_boundaries(connect(), period, column, tiering["order"])
    for boundary in boundaries:
        code = boundary.text.split(" ")[0]
        values = scored.filter(pc.equal(scored["tier"], code))[column].to_numpy(zero_copy_only=False)
        expected = values.min() if tiering["order"] == "desc" else values.max()
        assert boundary.value == pytest.approx(float(expected))
    assert len(boundaries) == len([t for t in period.tiers if period.manifest["counts"]["tiers"][t.code]]) - 1


def test_the_matrix_grid_counts_each_cell_from_the_axis_columns(tmp_path: Path) -> None:
    period = _publish_scheme(tmp_path, "equipment_matrix")
    grid = matrix_grid(connect(), period, period.grading["tiering"])
    assert sum(c.count for c in grid.cells) + grid.outside == period.manifest["counts"]["scored"]
    scored = _scored(period)
    plain = scored.filter(pc.is_null(scored["override"]))
    for cell in grid.cells:  # rows tiered by the matrix (no override) are in their cell's tier
        if cell.count:
            assert cell.tier in set(plain["tier"].to_pylist())
    assert grid.row_levels[0].startswith(period.grading["tiering"]["rows"]["levels"][0]["tier"] + " ")


def test_reason_counts_match_the_reasons_column(tmp_path: Path) -> None:
    period = _publish_scheme(tmp_path, "equipment_abc")
    reasons = reason_counts(connect(), period)
    scored = _scored(period)
    expected: dict[tuple[str, str], int] = {}
    for tier, listed in zip(scored["tier"].to_pylist(), scored["reasons"].to_pylist()):
        for reason in listed or ():
            expected[(tier, reason)] = expected.get((tier, reason), 0) + 1
    assert {(r.tier, r.component): r.count for r in reasons} == expected
    tiers = period.manifest["counts"]["tiers"]
    assert all(r.share == pytest.approx(r.count / tiers[r.tier]) for r in reasons)
    ranks = [next(t.rank for t in period.tiers if t.code == r.tier) for r in reasons]
    assert ranks == sorted(ranks)  # tiers in rank order, each tier's components most first


def test_rule_thresholds_find_the_numbers_each_column_is_cut_at() -> None:
    rules = [{"tier": "normal", "when": "days_overdue == 0"},
             {"tier": "watch", "when": "days_overdue >= 1 and (days_overdue <= 30 or 90 >= days_overdue)"},
             {"tier": "big", "when": "amount > 5e3 and kind == 'x' and flag"},
             {"tier": "rest", "when": None}]
    found = rule_thresholds(rules)
    assert list(found) == ["days_overdue", "amount"]
    assert found["days_overdue"] == (Boundary(0.0, "= 0"), Boundary(1.0, "≥ 1"), Boundary(30.0, "≤ 30"),
                                     Boundary(90.0, "≤ 90"))
    assert found["amount"] == (Boundary(5000.0, "> 5000"),)
