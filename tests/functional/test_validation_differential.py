"""`--validation fast` and `--validation gx` quarantine the same rows with the same codes, and both
equal what Great Expectations reports on the whole register (issue: validation, "Done when").

Registers are generated full of nulls, NaN, ±inf, exact and adjacent boundaries, unknown
categories, malformed strings and keys repeated across files, then split over several files and
row groups so that partitions cut through them.
"""

from __future__ import annotations

import math
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tierline.validation.suite import input_expectations, suite_table
from gx_helpers import run_gx
from tierline.cli import main
from tierline.scorecard.load import load_scorecard

SCORECARD = """\
scorecard: differential
version: 1
key: id
inputs:
  id: {type: string, required: true, regex: "^K[0-9]+$"}
  amount: {type: float, min: 0, max: 1000}
  count: {type: int, min: 1, max: 5, default: 3}
  kind: {type: category, values: [a, b, c], required: true}
  code: {type: string, unique: true, regex: "^[A-Z]{2}-[0-9]{3}$"}
  flag: {type: bool}
score:
  components:
    - {name: amount, input: amount, linear: {from: [0, 1000], to: [0, 10]}, missing: 0}
    - {name: kind, input: kind, map: {a: 3, b: 2, c: 1}}
tiers:
  levels:
    - {tier: high, from: 8}
    - {tier: low, to: 8}
"""

AMOUNTS = st.one_of(
    st.none(), st.just(math.nan), st.just(math.inf), st.just(-math.inf),
    st.sampled_from([0.0, -0.0, 1000.0, math.nextafter(1000.0, math.inf), math.nextafter(0.0, -1.0), 500.5, -3.0, 1e300]),
    st.floats(min_value=-10, max_value=1100, allow_nan=False),
)
ROW = st.tuples(
    st.one_of(st.none(), st.sampled_from(["K1", "K2", "K3", "K10", "k4", "K5x", "", "K6", "K7", "K8"])),  # id
    AMOUNTS,
    st.one_of(st.none(), st.integers(-2, 8)),  # count
    st.one_of(st.none(), st.sampled_from(["a", "b", "c", "d", "A", ""])),  # kind
    st.one_of(st.none(), st.sampled_from(["AB-123", "AB-124", "ab-123", "AB-12", "XY-999x", "ZZ-000", "中文"])),  # code
    st.one_of(st.none(), st.booleans()),
)


def _table(rows: list[tuple], first_serial: int) -> pa.Table:
    columns = list(zip(*rows)) if rows else [()] * 6
    return pa.table({
        "serial": pa.array(range(first_serial, first_serial + len(rows)), pa.int64()),
        "id": pa.array(columns[0], pa.string()),
        "amount": pa.array(columns[1], pa.float64()),
        "count": pa.array(columns[2], pa.int64()),
        "kind": pa.array(columns[3], pa.string()),
        "code": pa.array(columns[4], pa.string()),
        "flag": pa.array(columns[5], pa.bool_()),
    })


def _quarantine(output: Path) -> dict[int, set[str]]:
    directory = output / "_quarantine" / "period=p"
    if not directory.exists():
        return {}
    return {row["serial"]: set(row["errors"]) for row in pq.read_table(directory).to_pylist()}


def _gx_on_whole_register(scorecard_path: Path, whole: pa.Table) -> dict[int, set[str]]:
    scorecard = load_scorecard(scorecard_path)
    configurations = [c for spec in scorecard.inputs for c in input_expectations(spec, scorecard.key)]
    results = run_gx(configurations, suite_table(whole, scorecard))
    serials = whole.column("serial").to_pylist()
    found: dict[int, set[str]] = {}
    for configuration, result in zip(configurations, results):
        assert not result.raised_exception, result.exception_message
        for index in result.unexpected_index_list or ():
            found.setdefault(serials[index], set()).add(configuration["meta"]["tierline_code"])
    return found


def _suite_codes(found: dict[int, set[str]], suite: set[str]) -> dict[int, set[str]]:
    kept = {serial: codes & suite for serial, codes in found.items()}
    return {serial: codes for serial, codes in kept.items() if codes}


def assert_modes_agree(tmp_path: Path, files: list[list[tuple]]) -> None:
    scorecard = tmp_path / "differential.yaml"
    scorecard.write_text(SCORECARD, encoding="utf-8")
    register = tmp_path / "register"
    register.mkdir()
    tables, serial = [], 0
    for index, rows in enumerate(files):
        table = _table(rows, serial)
        serial += len(rows)
        pq.write_table(table, register / f"part-{index}.parquet", row_group_size=4)
        tables.append(table)
    outputs = {}
    for mode in ("fast", "gx"):
        output = tmp_path / f"out-{mode}"
        code = main(["run", str(scorecard), "--input", str(register), "--output", str(output), "--period", "p",
                     "--validation", mode, "--partition-rows", "5", "--max-invalid-fraction", "1", "--quiet"])
        assert code == 0
        outputs[mode] = _quarantine(output)
    assert outputs["fast"] == outputs["gx"]
    suite = {c["meta"]["tierline_code"] for spec in load_scorecard(scorecard).inputs
             for c in input_expectations(spec, "id")}
    assert _suite_codes(outputs["fast"], suite) == _gx_on_whole_register(scorecard, pa.concat_tables(tables))


def test_hand_picked_register(tmp_path: Path) -> None:
    files = [
        [("K1", 0.0, 1, "a", "AB-123", True), ("K2", 1000.0, 5, "b", "AB-124", None), ("K1", math.nan, None, "c", None, False)],
        [("K3", math.inf, 0, "d", "AB-123", True), ("k4", -0.0, 6, None, "ab-123", None), (None, -math.inf, 3, "A", "XY-999x", True)],
        [("K5x", math.nextafter(1000.0, math.inf), None, "", "中文", None), ("K2", 1e300, 2, "a", None, None)],
    ]
    assert_modes_agree(tmp_path, files)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(files=st.lists(st.lists(ROW, min_size=0, max_size=12), min_size=2, max_size=3).filter(lambda f: sum(map(len, f)) > 0))
def test_generated_registers(tmp_path_factory, files: list[list[tuple]]) -> None:
    assert_modes_agree(tmp_path_factory.mktemp("diff"), files)
