"""tierline/pipeline/outputs.py: one partition's kernel results as the scored and quarantine tables
of SPEC §4, checked column by column against the kernels' arrays as tests/kernel_rows.py decodes them."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pyarrow as pa
import pytest

from kernel_rows import kernel_row
from spec_example import SPEC_SCORECARD
from tierline.compiler import compile_scorecard
from tierline.pipeline.encode import MAX_EXACT_INTEGER, evaluate
from tierline.pipeline.outputs import (
    QUARANTINE_ERRORS, build_outputs, error_lists, generated_columns, output_schema,
)
from tierline.scorecard.load import load_scorecard_text

SPEC_COLUMNS = ["score", "points_impact", "points_value", "points_utilisation", "tier_rank", "tier_label",
                "override", "reasons", "review_cycle", "owner", "scorecard", "scorecard_version", "run_id"]


@pytest.fixture(scope="module")
def compiled():
    return compile_scorecard(load_scorecard_text(SPEC_SCORECARD))


def register() -> pa.Table:
    """Five rows: C, B, one the kernels cannot hold (2⁵³ + 1), an override to A, and B again."""
    return pa.table({
        "equipment_id": ["E0", "E1", "E2", "E3", "E4"],
        "production_impact": ["auxiliary", "shutdown", "shutdown", "ordinary", "shutdown"],
        "original_value_10k": pa.array([10, 120, MAX_EXACT_INTEGER + 1, 60, 120], type=pa.int64()),
        "utilisation_pct": [0.0, 100.0, 50.0, 50.0, 100.0],
        "special_equipment": [False, False, False, True, False],
    })


def test_generated_columns_are_the_schema_after_the_passthrough(compiled) -> None:
    assert generated_columns(compiled) == SPEC_COLUMNS
    passthrough = pa.schema([pa.field("equipment_id", pa.string())])
    schema = output_schema(compiled, passthrough)
    assert schema.names == ["equipment_id", *SPEC_COLUMNS]
    assert schema.field("tier_rank").type == pa.int16()
    assert schema.field("reasons").type == pa.list_(pa.string())
    assert schema.field("scorecard_version").type == pa.int32()


def test_an_aggregating_scorecard_adds_rows_first() -> None:
    text = SPEC_SCORECARD.replace("passthrough: all\n", "passthrough: all\naggregate: {by: equipment_id, score: mean}\n")
    aggregating = compile_scorecard(load_scorecard_text(text))
    assert generated_columns(aggregating) == ["rows", *SPEC_COLUMNS]
    assert output_schema(aggregating, pa.schema([])).field("rows").type == pa.int64()


def test_scored_rows_are_grouped_by_tier_and_stable_within_it(compiled) -> None:
    table = register()
    evaluation = evaluate(compiled, table)
    output = build_outputs(compiled, table, evaluation, "run-1", ["equipment_id"])
    scored = output.scored
    assert scored.column("equipment_id").to_pylist() == ["E3", "E1", "E4", "E0"]
    assert output.tier_bounds == [(0, 0, 1), (1, 1, 3), (2, 3, 4)]
    assert scored.column("tier_rank").to_pylist() == [1, 2, 2, 3]
    assert scored.column("tier_label").to_pylist() == ["A类设备", "B类设备", "B类设备", "C类设备"]
    assert scored.column("override").to_pylist() == ["direct_designation", None, None, None]
    assert scored.column("run_id").to_pylist() == ["run-1"] * 4
    assert scored.column("scorecard").to_pylist() == ["equipment_abc"] * 4
    assert scored.column("scorecard_version").to_pylist() == [2] * 4


def test_every_scored_value_is_the_kernels(compiled) -> None:
    table = register()
    evaluation = evaluate(compiled, table)
    scored = build_outputs(compiled, table, evaluation, "r", ["equipment_id"]).scored.to_pylist()
    by_id = {row["equipment_id"]: row for row in scored}
    for index, key in enumerate(table.column("equipment_id").to_pylist()):
        if key not in by_id:
            continue
        row, decoded = by_id[key], kernel_row(compiled, evaluation, index)
        assert row["score"] == decoded.scores["score"]
        assert {c: row[f"points_{c}"] for c in decoded.points} == decoded.points
        assert row["reasons"] == decoded.reasons
        assert {a: row[a] for a in decoded.actions} == decoded.actions
        assert row["override"] == decoded.override


def test_invalid_rows_go_to_the_quarantine_unchanged_with_their_errors(compiled) -> None:
    table = register()
    output = build_outputs(compiled, table, evaluate(compiled, table), "r", ["equipment_id"])
    quarantine = output.quarantine
    assert quarantine.column_names == [*table.column_names, QUARANTINE_ERRORS]
    assert quarantine.drop_columns([QUARANTINE_ERRORS]).equals(table.slice(2, 1))
    assert quarantine.column(QUARANTINE_ERRORS).to_pylist() == [["original_value_10k:type"]]


def test_a_partition_without_valid_rows_has_an_empty_scored_table(compiled) -> None:
    table = register().slice(2, 1)
    output = build_outputs(compiled, table, evaluate(compiled, table), "r", ["equipment_id"])
    assert output.scored.num_rows == 0 and output.tier_bounds == []
    assert output.scored.schema == output_schema(compiled, pa.schema([pa.field("equipment_id", pa.string())]))
    assert output.quarantine.num_rows == 1


def test_error_lists_read_bit_k_in_word_k_over_64_in_error_table_order() -> None:
    codes = tuple(f"c{k}" for k in range(70))
    errors = np.zeros((2, 3), dtype=np.uint64)
    errors[0, 0] = (1 << 63) | 1  # c0 and c63
    errors[1, 0] = 1 << 5  # c69
    errors[1, 2] = 1  # c64
    lists = error_lists(SimpleNamespace(error_codes=codes), errors)
    assert lists.to_pylist() == [["c0", "c63", "c69"], [], ["c64"]]


@pytest.mark.parametrize(("output", "left_out"), [
    ("{points: false}", ["points_impact", "points_value", "points_utilisation"]),
    ("{reasons: false}", ["reasons"]),
    ("{points: false, reasons: false}", ["points_impact", "points_value", "points_utilisation", "reasons"]),
    ("{points: true, reasons: true}", []),
])
def test_output_flags_leave_out_the_points_or_reasons_columns(output: str, left_out: list[str], compiled) -> None:
    """SPEC §4 `output:`: the scored rows lack exactly those columns, whatever else they hold; without
    the reasons column the kernel computes none (an empty reasons array)."""
    lean = compile_scorecard(load_scorecard_text(SPEC_SCORECARD + f"output: {output}\n"))
    expected = [name for name in SPEC_COLUMNS if name not in left_out]
    assert generated_columns(lean) == expected
    table = register()
    evaluation = evaluate(lean, table)
    assert evaluation.reasons.shape == (0 if "reasons" in left_out else 3, table.num_rows)
    scored = build_outputs(lean, table, evaluation, "r", ["equipment_id"]).scored
    assert scored.column_names == ["equipment_id", *expected]
    full = build_outputs(compiled, table, evaluate(compiled, table), "r", ["equipment_id"]).scored
    assert scored.equals(full.select(scored.column_names))  # the other columns are the full profile's


def test_reasons_count_sets_how_many_reasons_a_row_carries() -> None:
    """`reasons: {count: n}`: up to n components, largest weighted shortfall first (SPEC §4)."""
    table = register()
    counts = {}
    for count in (1, 2, 3, 10):
        wide = compile_scorecard(load_scorecard_text(SPEC_SCORECARD + f"reasons: {{count: {count}}}\n"))
        evaluation = evaluate(wide, table)
        assert evaluation.reasons.shape == (count, table.num_rows)
        scored = build_outputs(wide, table, evaluation, "r", ["equipment_id"]).scored
        counts[count] = dict(zip(scored.column("equipment_id").to_pylist(), scored.column("reasons").to_pylist()))
    assert counts[1]["E0"] == ["impact"] and counts[2]["E0"] == ["impact", "value"]
    assert counts[10] == counts[3]  # three components: never more than three reasons
    assert all(counts[n][key] == counts[10][key][:n] for n in (1, 2, 3) for key in counts[10])
