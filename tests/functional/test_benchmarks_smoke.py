"""The benchmarks at smoke size, so that CI keeps them working without timing anything.

- `benchmarks/test_bench_*.py` run once each through pytest-benchmark's own `--benchmark-disable`
  mode (every benchmarked function called once, no timing, their assertions kept), in a child
  pytest with TIERLINE_BENCH_ROWS small: the same files `make bench` runs, and this suite's
  options and fixtures stay apart from theirs.
- `benchmarks/peers.py`: its hand-written Polars and DuckDB jobs must write what tierline writes
  (same rows, columns, values, reasons and quarantine with its error codes; only run_id and the
  order of rows differ) on a register seeded with every kind of bad row the scorecard can meet;
  the lean job the same scores and tiers; the pyarrow copy every input row. And the script itself
  runs end to end at a few thousand rows.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from polars.testing import assert_frame_equal

from tierline.tools.generators import generator

ROOT = Path(__file__).resolve().parents[2]
SMOKE_ROWS = 20_000


def _load_peers():
    spec = importlib.util.spec_from_file_location("tierline_bench_peers", ROOT / "benchmarks" / "peers.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while it executes
    spec.loader.exec_module(module)
    return module


peers = _load_peers()


def test_benchmark_suites_run_at_smoke_size(tmp_path):
    env = {**os.environ, "TIERLINE_BENCH_ROWS": str(SMOKE_ROWS)}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--benchmark-disable",
         "--basetemp", str(tmp_path / "basetemp"), "benchmarks"],
        cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    assert " passed" in result.stdout and "failed" not in result.stdout


def _bad_register(path: Path) -> list[str]:
    """3,000 generated rows plus every kind of row the scorecard quarantines or treats specially."""
    table = generator("equipment_abc")(3_000, np.random.default_rng(7))
    columns = {name: table.column(name).to_pylist() for name in table.column_names}

    def set_row(row: int, **values) -> None:
        for name, value in values.items():
            columns[name][row] = value

    set_row(0, equipment_id=None)  # key: not_null
    set_row(2, equipment_id=columns["equipment_id"][1])  # key: unique (both copies)
    set_row(3, production_impact=None)  # required and no `missing`: not_null
    set_row(4, production_impact="unknown", direct_designation=True)  # unmapped + in_set; the override does not save it
    set_row(5, original_value_10k=float("nan"))  # NaN is null
    set_row(6, original_value_10k=-1.0)  # between (still in the lowest band)
    set_row(7, original_value_10k=float("inf"))  # between (±inf)
    set_row(8, utilisation_pct=100.5)  # between
    set_row(9, utilisation_pct=-0.5, other_items_points=46.0)  # two betweens
    set_row(10, utilisation_pct=float("nan"))  # null → `missing: 0`
    set_row(11, other_items_points=None)  # value component: not_null
    set_row(12, other_items_points=float("-inf"))
    set_row(13, has_backup=None, direct_designation=None)  # defaults: true, false
    set_row(14, original_value_10k=50.0)  # band boundaries: 50 is in [50, 100), 100 in [100, ∞)
    set_row(15, original_value_10k=100.0)
    # level boundaries: 25 + 15 + 10 + 0 + 25 = 75 is A; 10 + 5 + 1 + 0 + 24 = 40 is B
    set_row(16, production_impact="shutdown", original_value_10k=120.0, utilisation_pct=100.0, has_backup=True,
            direct_designation=False, other_items_points=25.0)
    set_row(17, production_impact="auxiliary", original_value_10k=10.0, utilisation_pct=0.0, has_backup=True,
            direct_designation=False, other_items_points=24.0)
    # reasons tie: utilisation 10 - 1 = 9 and other_items 45 - 36 = 9 → component order
    set_row(18, production_impact="shutdown", original_value_10k=10.0, utilisation_pct=0.0, has_backup=True,
            direct_designation=False, other_items_points=36.0)
    # nothing short of its max: no reasons
    set_row(19, production_impact="shutdown", original_value_10k=500.0, utilisation_pct=100.0, has_backup=False,
            direct_designation=False, other_items_points=45.0)
    path.mkdir()
    bad = pa.table(columns, schema=table.schema)
    pq.write_table(bad.slice(0, 1_500), path / "part-000.parquet", row_group_size=500)
    pq.write_table(bad.slice(1_500), path / "part-001.parquet", row_group_size=500)
    return peers.register_files(path)


def _scored(output: Path) -> pl.DataFrame:
    frame = pl.read_parquet(str(output / f"period={peers.PERIOD}" / "tier=*" / "*.parquet"), hive_partitioning=True)
    return frame.drop("run_id").sort("equipment_id")


def _quarantine(output: Path) -> pl.DataFrame:
    frame = pl.read_parquet(str(output / "_quarantine" / f"period={peers.PERIOD}" / "*.parquet"))
    return frame.sort(frame.columns[:-1], nulls_last=True)  # every input column: keys repeat or are null


@pytest.fixture(scope="module")
def outputs(tmp_path_factory):
    """The bad register's files, and every peer's output directory on it by peer name."""
    base = tmp_path_factory.mktemp("peers")
    files = _bad_register(base / "register")
    result = {}
    for peer in peers.PEERS:
        result[peer.name] = base / f"out-{peer.name}"
        peer.job(files, result[peer.name], peers.run_id_for(peer.name, 0))
    return files, result


@pytest.mark.parametrize("peer", ["polars-full", "duckdb-full"])
def test_full_contract_peers_write_what_tierline_writes(outputs, peer):
    _, output = outputs
    expected = _scored(output["tierline"])
    got = _scored(output[peer])
    assert got.columns == expected.columns
    assert_frame_equal(got, expected, check_exact=True)
    assert len(expected) > 2_800
    assert_frame_equal(_quarantine(output[peer]), _quarantine(output["tierline"]), check_exact=True)
    codes = set(_quarantine(output["tierline"])["errors"].explode().to_list())
    assert set(peers.ERROR_CODES) - codes == {"original_value_10k:out_of_bands"}  # no band misses a number


def test_full_contract_reasons_and_boundaries(outputs):
    """The rows placed on a boundary or a tie, read from one peer (the test above makes them equal)."""
    files, output = outputs
    scored = _scored(output["duckdb-full"])
    keys = pl.read_parquet(files[0]).slice(14, 6)["equipment_id"].to_list()
    rows = {r["equipment_id"]: r for r in scored.filter(pl.col("equipment_id").is_in(keys)).to_dicts()}
    at_50, at_100, at_75, at_40, tie, perfect = (rows[k] for k in keys)
    assert (at_50["points_value"], at_100["points_value"]) == (10.0, 15.0)
    assert (at_75["score"], at_75["tier"], at_40["score"], at_40["tier"]) == (75.0, "A", 40.0, "B")
    # 25 + 5 + 1 + 0 + 36: shortfalls value 10 > utilisation 9 = other_items 9, the tie in component order
    assert (tie["score"], tie["reasons"]) == (67.0, ["value", "utilisation", "other_items"])
    assert (perfect["score"], perfect["reasons"]) == (100.0, [])


def test_lean_peer_scores_and_tiers_like_tierline(outputs):
    _, output = outputs
    lean = pl.read_parquet(output["polars-lean"] / "scores.parquet")
    expected = _scored(output["tierline"]).select("equipment_id", "score", "tier")
    got = lean.filter(pl.col("tier").is_not_null()).sort("equipment_id")
    # the lean job does not validate: rows that only fail a suite check still get a tier there
    validation_only = {"original_value_10k:between", "utilisation_pct:between", "other_items_points:between",
                       "equipment_id:unique", "equipment_id:not_null"}
    quarantine = _quarantine(output["tierline"])
    checked_only = quarantine.filter(pl.col("errors").list.eval(pl.element().is_in(list(validation_only))).list.all())
    assert_frame_equal(got.join(checked_only.select("equipment_id"), on="equipment_id", how="anti", nulls_equal=True),
                       expected, check_exact=True)


def test_pyarrow_copy_writes_every_input_row(outputs):
    files, output = outputs
    copied = pl.read_parquet(str(output["pyarrow-copy"] / "*.parquet"))
    register = pl.read_parquet(files)
    assert copied.columns == register.columns
    assert_frame_equal(copied, register, check_row_order=False)


def test_peers_script_runs_and_checks_the_tiers(tmp_path, capsys):
    assert peers.main(["--rows", "5000", "--rounds", "1", "--dir", str(tmp_path),
                       "--peers", "polars-lean", "pyarrow-copy"]) == 0
    printed = capsys.readouterr().out
    assert "| tierline |" in printed and "| polars-lean |" in printed and "| pyarrow-copy |" in printed
    assert "tierline peak RSS" in printed and "tierline / polars-lean" in printed


def test_a_peer_that_disagrees_stops_the_script(tmp_path):
    expected = peers.Counts({"A": 10, "B": 5}, 1, 16)
    with pytest.raises(peers.PeerMismatch, match="polars-full does not match tierline"):
        peers.check_counts("polars-full", peers.Counts({"A": 9, "B": 6}, 1, 16), expected)
    with pytest.raises(peers.PeerMismatch, match="pyarrow-copy"):
        peers.check_counts("pyarrow-copy", peers.Counts({}, None, 15), expected)
    peers.check_counts("duckdb-full", peers.Counts({"B": 5, "A": 10}, 1, 16), expected)


def test_diff_scale_script_runs_at_smoke_size(tmp_path):
    """`benchmarks/diff_scale.py` end to end on two small periods: both diffs succeed and count every entity."""
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "diff_scale.py"), "--rows", "20000", "--chunk", "7000",
         "--dir", str(tmp_path / "diff")],
        capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    runs = [line for line in result.stdout.splitlines() if line.startswith("rows=")]
    assert len(runs) == 2 and all("entities=20,396" in line for line in runs), result.stdout
    assert "FAILED" not in result.stdout
    assert not (tmp_path / "diff").exists()  # removed without --keep
