"""`output: {points, reasons}`, `reasons: {count}` and `base` end to end through `tierline run` (SPEC §4).

The shipped `equipment_abc` runs five ways over one register: as shipped, lean (`output: {points:
false, reasons: false}`), with `reasons: {count: 5}` (it has five components), the same without the
points columns, and with `base: 10`.
The output is read back with pyarrow as a user reads it; the shipped run is the reference.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pytest

from registers import EQUIPMENT_ABC, KEY, PERIOD, equipment_register, read_files, tier_files, tierline, write_register, write_scorecard

SHIPPED = EQUIPMENT_ABC.read_text(encoding="utf-8")
POINTS = ("points_impact", "points_value", "points_utilisation", "points_spare", "points_other_items")
# Each component's largest points (other_items: the input's max), in component order.
MAXIMA = {"impact": 25.0, "value": 15.0, "utilisation": 10.0, "spare": 5.0, "other_items": 45.0}
VARIANTS = {
    "shipped": SHIPPED,
    "lean": SHIPPED.replace("\ntiers:\n", "\noutput: {points: false, reasons: false}\ntiers:\n", 1),
    "five": SHIPPED.replace("\ntiers:\n", "\nreasons: {count: 5}\ntiers:\n", 1),
    "five_no_points": SHIPPED.replace("\ntiers:\n", "\nreasons: {count: 5}\noutput: {points: false}\ntiers:\n", 1),
    "base": SHIPPED.replace("  combine: sum\n", "  combine: sum\n  base: 10\n", 1),
}


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, pa.Table]:
    root = tmp_path_factory.mktemp("profile")
    register = write_register(equipment_register(rows=800, seed=11), root / "register", files=2)
    tables = {}
    for name, text in VARIANTS.items():
        assert text != SHIPPED or name == "shipped", f"the {name} edit did not apply"
        scorecard = write_scorecard(root / f"{name}.yaml", text)
        output = root / f"out-{name}"
        result = tierline("run", scorecard, "--input", *register, "--output", output, "--period", PERIOD)
        assert result.returncode in (0, 1), result.stderr  # 1: some rows quarantined, as the register means
        tables[name] = pa.concat_tables([_with_tier(read_files(paths), tier)
                                         for tier, paths in tier_files(output, PERIOD).items()])
    return tables


def _with_tier(table: pa.Table, tier: str) -> pa.Table:
    """A tier's rows with `tier` from the Hive path, as a reader with partitioning sees them."""
    return table.append_column("tier", pa.array([tier] * table.num_rows, pa.string()))


def by_key(table: pa.Table) -> dict[str, dict[str, Any]]:
    return {row[KEY]: row for row in table.to_pylist()}


def test_lean_output_writes_no_points_or_reasons_and_the_same_scores_and_tiers(outputs: dict[str, pa.Table]) -> None:
    shipped, lean = outputs["shipped"], outputs["lean"]

    assert set(POINTS) | {"reasons"} <= set(shipped.column_names)
    assert not [c for c in lean.column_names if c.startswith("points_") or c == "reasons"], lean.column_names
    assert lean.column_names == [c for c in shipped.column_names if c not in POINTS and c != "reasons"]
    full, thin = by_key(shipped), by_key(lean)
    assert full.keys() == thin.keys() and len(full) > 700
    for key, row in thin.items():
        same = [column for column in row if column != "run_id"]  # every column but the run's id
        assert {c: row[c] for c in same} == {c: full[key][c] for c in same}, key


def _reasons(row: dict[str, Any], count: int) -> list[str]:
    """SPEC §4 by hand: positive shortfalls max − points (weights are 1), largest first, ties in order."""
    if row["override"] is not None:
        return []
    shortfalls = [(MAXIMA[name] - row[f"points_{name}"], index, name) for index, name in enumerate(MAXIMA)]
    ranked = sorted((s for s in shortfalls if s[0] > 0), key=lambda s: (-s[0], s[1]))
    return [name for _, _, name in ranked[:count]]


def test_reasons_count_five_gives_up_to_five_reasons_a_row(outputs: dict[str, pa.Table]) -> None:
    shipped, five = by_key(outputs["shipped"]), by_key(outputs["five"])

    assert shipped.keys() == five.keys()
    lengths = set()
    for key, row in five.items():
        assert row["reasons"] == _reasons(row, 5), key
        assert shipped[key]["reasons"] == _reasons(row, 3), key
        assert {c: row[c] for c in ("score", "tier", *POINTS)} == {c: shipped[key][c] for c in ("score", "tier", *POINTS)}
        lengths.add(len(row["reasons"]))
    assert 5 in lengths and max(lengths) == 5, sorted(lengths)  # the register has rows short on every component


def test_reasons_do_not_need_the_points_columns(outputs: dict[str, pa.Table]) -> None:
    five, thin = by_key(outputs["five"]), by_key(outputs["five_no_points"])

    assert not any(c in outputs["five_no_points"].column_names for c in POINTS)
    assert {k: (r["score"], r["tier"], r["reasons"]) for k, r in thin.items()} == {
        k: (r["score"], r["tier"], r["reasons"]) for k, r in five.items()}


def test_base_moves_the_score_and_gives_no_reason(outputs: dict[str, pa.Table]) -> None:
    shipped, based = by_key(outputs["shipped"]), by_key(outputs["base"])

    assert shipped.keys() == based.keys()
    moved = 0
    for key, row in based.items():
        assert row["score"] == pytest.approx(shipped[key]["score"] + 10.0, abs=1e-9), key
        assert row["reasons"] == shipped[key]["reasons"], key  # base is no component: never a reason
        assert [row[c] for c in POINTS] == [shipped[key][c] for c in POINTS], key
        moved += row["tier"] != shipped[key]["tier"]
    assert moved > 0  # base counts toward the tier boundaries
