"""The same job on Dask's threads and on a 2-process LocalCluster (`--workers 2`) gives the same rows."""

from __future__ import annotations

from pathlib import Path

import duckdb

from tierline.cli import main
from tierline.tools.demo import generate

ROOT = Path(__file__).resolve().parents[2]
SCORECARD = ROOT / "scorecards" / "equipment_abc.yaml"


def _rows(output: Path) -> list[tuple]:
    query = (f"SELECT * EXCLUDE (run_id) FROM read_parquet('{output}/period=p/tier=*/*.parquet', "
             "hive_partitioning = true) ORDER BY equipment_id")
    return duckdb.sql(query).fetchall()


def _quarantine(output: Path) -> list[tuple]:
    query = f"SELECT * FROM read_parquet('{output}/_quarantine/period=p/*.parquet') ORDER BY equipment_id"
    return duckdb.sql(query).fetchall()


def test_threads_and_a_two_process_cluster_publish_the_same_rows(tmp_path: Path) -> None:
    generate("equipment_abc", 20_000, tmp_path / "register", files=3)
    for name, extra in (("threads", []), ("workers", ["--workers", "2"])):
        assert main(["run", str(SCORECARD), "--input", str(tmp_path / "register"), "--output", str(tmp_path / name),
                     "--period", "p", "--partition-rows", "3000", "--quiet", *extra]) == 0
    threads, workers = _rows(tmp_path / "threads"), _rows(tmp_path / "workers")
    assert len(threads) > 19_000 and threads == workers
    assert _quarantine(tmp_path / "threads") == _quarantine(tmp_path / "workers")
