"""tierline/pipeline/register.py: a register's Parquet schema against the scorecard, before any
data is read (SPEC §3: a missing or mistyped declared column is an input error, exit 3)."""

from __future__ import annotations

import pyarrow as pa
import pytest

from spec_example import SPEC_SCORECARD
from tierline.compiler import compile_scorecard
from tierline.errors import InputError
from tierline.pipeline.inputs import InputFile
from tierline.pipeline.register import castable, check_register
from tierline.scorecard.load import load_scorecard_text

EVERY_TYPE = """\
scorecard: every_type
version: 1
key: s
inputs:
  i: {type: int}
  f: {type: float}
  b: {type: bool}
  s: {type: string, required: true}
  cn: {type: category, values: [1, 2]}
  ct: {type: category, values: [x, y]}
  d: {type: date}
  t: {type: timestamp}
score:
  combine: sum
  components:
    - {name: f_points, input: f, value: true}
tiers:
  levels:
    - {tier: A, from: 0}
    - {tier: B, to: 0}
"""

TEXT = [pa.string(), pa.large_string(), pa.string_view(), pa.dictionary(pa.int32(), pa.string())]
INTEGERS = [pa.int8(), pa.int64(), pa.uint32()]
FLOATS = [pa.float32(), pa.float64()]
TEMPORAL = [pa.date32(), pa.date64(), pa.timestamp("ms"), pa.timestamp("us", tz="UTC")]
READS_AS = {
    "i": INTEGERS,
    "f": INTEGERS + FLOATS + [pa.decimal128(10, 2)],
    "b": [pa.bool_()],
    "s": TEXT,
    "cn": INTEGERS + FLOATS,
    "ct": TEXT,
    "d": TEMPORAL,
    "t": TEMPORAL,
}
EVERY_ARROW_TYPE = TEXT + INTEGERS + FLOATS + TEMPORAL + [pa.bool_(), pa.decimal128(10, 2), pa.binary()]


@pytest.fixture(scope="module")
def inputs():
    return {spec.name: spec for spec in load_scorecard_text(EVERY_TYPE).inputs}


@pytest.mark.parametrize("name", sorted(READS_AS))
def test_castable_accepts_exactly_the_types_that_read_safely(name: str, inputs) -> None:
    accepted = [str(type_) for type_ in EVERY_ARROW_TYPE if castable(inputs[name], type_)]
    assert accepted == [str(type_) for type_ in EVERY_ARROW_TYPE if type_ in READS_AS[name]]


@pytest.mark.parametrize("name", sorted(READS_AS))
def test_an_all_null_column_reads_as_anything(name: str, inputs) -> None:
    assert castable(inputs[name], pa.null())


def input_file(schema: pa.Schema) -> InputFile:
    return InputFile(path="/data/register/part-0.parquet", size=1024, num_rows=10, row_group_rows=(10,), schema=schema)


SPEC_SCHEMA = pa.schema([
    ("equipment_id", pa.string()), ("production_impact", pa.string()), ("original_value_10k", pa.float64()),
    ("utilisation_pct", pa.float64()), ("special_equipment", pa.bool_()), ("site", pa.string()),
])


@pytest.fixture(scope="module")
def compiled():
    return compile_scorecard(load_scorecard_text(SPEC_SCORECARD, source="equipment_abc.yaml"))


def test_passthrough_all_is_every_column_of_the_first_file(compiled) -> None:
    other = input_file(pa.schema([("unrelated", pa.int64())]))
    assert check_register(compiled, [input_file(SPEC_SCHEMA), other]) == SPEC_SCHEMA.names


def with_passthrough(columns: str):
    return compile_scorecard(load_scorecard_text(SPEC_SCORECARD.replace("passthrough: all", f"passthrough: {columns}")))


def test_a_listed_passthrough_is_returned_as_listed() -> None:
    listed = with_passthrough("[site, equipment_id]")
    assert check_register(listed, [input_file(SPEC_SCHEMA)]) == ["site", "equipment_id"]


def test_a_listed_passthrough_column_must_be_in_the_register() -> None:
    listed = with_passthrough("[equipment_id, plant]")
    with pytest.raises(InputError, match="passthrough column 'plant' is not in the register"):
        check_register(listed, [input_file(SPEC_SCHEMA)])


def test_a_missing_declared_column_names_the_file_the_column_and_its_line(compiled) -> None:
    schema = SPEC_SCHEMA.remove(SPEC_SCHEMA.get_field_index("utilisation_pct"))
    with pytest.raises(InputError) as raised:
        check_register(compiled, [input_file(schema)])
    message = str(raised.value)
    assert message.startswith("/data/register/part-0.parquet: column 'utilisation_pct' is missing")
    assert "equipment_abc.yaml declares it (line 9)" in message
    assert "Columns present: equipment_id, production_impact" in message


def test_a_mistyped_declared_column_names_both_types(compiled) -> None:
    at = SPEC_SCHEMA.get_field_index("special_equipment")
    schema = SPEC_SCHEMA.set(at, pa.field("special_equipment", pa.string()))
    expected = r"column 'special_equipment' is string, which cannot be read as the declared bool \(equipment_abc.yaml:10\)"
    with pytest.raises(InputError, match=expected):
        check_register(compiled, [input_file(schema)])


def test_a_column_named_errors_clashes_with_the_quarantine(compiled) -> None:
    with pytest.raises(InputError, match="column 'errors' clashes with the quarantine"):
        check_register(compiled, [input_file(SPEC_SCHEMA.append(pa.field("errors", pa.string())))])


@pytest.mark.parametrize("name", ["score", "tier_rank", "points_value", "review_cycle", "run_id", "tier", "period"])
def test_a_passthrough_column_must_not_clash_with_an_output_column(name: str, compiled) -> None:
    with pytest.raises(InputError, match=f"column '{name}' clashes with an output column"):
        check_register(compiled, [input_file(SPEC_SCHEMA.append(pa.field(name, pa.string())))])


@pytest.mark.parametrize(("name", "other"), [("Score", "score"), ("POINTS_VALUE", "points_value"), ("Tier", "tier"),
                                              ("SITE", "site")])
def test_a_passthrough_column_must_not_differ_only_in_case_from_another_output_column(name: str, other: str,
                                                                                       compiled) -> None:
    """DuckDB, Spark and Hive fold column names: `Score` beside `score` is one column to them."""
    with pytest.raises(InputError, match=f"column '{name}' differs only in case from the output column '{other}'"):
        check_register(compiled, [input_file(SPEC_SCHEMA.append(pa.field(name, pa.string())))])


def test_columns_a_scorecard_does_not_write_are_no_clash() -> None:
    """`output: {points: false}` writes no points columns: the register may hold one of their names."""
    lean = compile_scorecard(load_scorecard_text(SPEC_SCORECARD + "output: {points: false, reasons: false}\n"))
    schema = SPEC_SCHEMA.append(pa.field("points_value", pa.float64())).append(pa.field("Reasons", pa.string()))
    assert check_register(lean, [input_file(schema)]) == schema.names
