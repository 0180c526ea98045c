"""Readers in a loop while the period is published again and again see one whole version (SPEC §4).

DuckDB, Polars, pyarrow.dataset and pandas read `period=P` in threads while the test reruns the
period with two registers in turn. Every read must hold rows of one run only, exactly as many as
that run's manifest counts. A reader whose listing of the files straddles the publishing rename
may instead fail to open a file that the listing named (part files carry their run id, so an old
name never opens the new version's file): that is the only error allowed, and a retry succeeds.
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from pathlib import Path
from typing import Callable

import duckdb
import pandas as pd
import polars as pl
import pyarrow.dataset as ds
import pytest

from faults import finish, period_state, registers, start_run

PERIOD = "2026-07"
# What a reader says when a file it listed is gone by the time it opens it (and nothing else).
NOT_FOUND = re.compile(r"No such file|not found|does not exist|FileNotFoundError|No files found", re.IGNORECASE)


def _duckdb(output: Path) -> tuple[int, set[str]]:
    rows = duckdb.sql(f"SELECT run_id, count(*) FROM read_parquet('{output}/period={PERIOD}/tier=*/*.parquet') "
                      "GROUP BY run_id").fetchall()
    return sum(n for _, n in rows), {run for run, _ in rows}


def _polars(output: Path) -> tuple[int, set[str]]:
    frame = pl.scan_parquet(f"{output}/period={PERIOD}/tier=*/*.parquet").select("run_id").collect()
    return frame.height, set(frame["run_id"].unique().to_list())


def _pyarrow(output: Path) -> tuple[int, set[str]]:
    table = ds.dataset(output / f"period={PERIOD}", format="parquet", partitioning="hive").to_table(columns=["run_id"])
    return table.num_rows, set(table.column("run_id").unique().to_pylist())


def _pandas(output: Path) -> tuple[int, set[str]]:
    frame = pd.read_parquet(output / f"period={PERIOD}", columns=["run_id"])
    return len(frame), set(frame["run_id"].unique())


READERS: dict[str, Callable[[Path], tuple[int, set[str]]]] = {
    "duckdb": _duckdb, "polars": _polars, "pyarrow": _pyarrow, "pandas": _pandas}


def _read_in_a_loop(name: str, output: Path, stop: threading.Event, reads: list) -> None:
    while not stop.is_set():
        try:
            reads.append((name, *READERS[name](output), None))
        except Exception as error:  # noqa: BLE001 - every failure is recorded and judged below
            reads.append((name, 0, set(), f"{type(error).__name__}: {error}"))


def _republish_while_reading(tmp_path: Path, reruns: int) -> tuple[list, dict[str, int]]:
    output = tmp_path / "out"
    both = registers(tmp_path / "registers", [1_800, 2_600])
    scored: dict[str, int] = {}  # run id → scored rows, from each run's manifest

    def publish(register) -> None:
        code, stderr = finish(start_run(register.paths, output, PERIOD, "--quiet"))
        assert code == 0, stderr
        state = period_state(output, PERIOD)
        scored[state.run_id] = state.scored

    publish(both[0])
    stop, reads = threading.Event(), []
    threads = [threading.Thread(target=_read_in_a_loop, args=(name, output, stop, reads)) for name in READERS]
    for thread in threads:
        thread.start()
    try:
        for rerun in range(reruns):
            publish(both[(rerun + 1) % 2])
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    return reads, scored


def _judge(reads: list, scored: dict[str, int]) -> Counter:
    outcomes: Counter = Counter()
    for name, rows, runs, error in reads:
        if error is not None:
            assert NOT_FOUND.search(error), f"{name} failed otherwise than on a vanished file: {error}"
            outcomes[name, "vanished file"] += 1
            continue
        assert len(runs) == 1, f"{name} read rows of several runs at once: {runs}"
        (run,) = runs
        assert rows == scored[run], f"{name} read {rows} rows of run {run}, whose manifest says {scored[run]}"
        outcomes[name, "whole"] += 1
    for name in READERS:
        assert outcomes[name, "whole"] > 0, f"{name} never completed a read"
    return outcomes


def test_readers_see_one_whole_version_while_it_is_replaced(tmp_path: Path) -> None:
    reads, scored = _republish_while_reading(tmp_path, reruns=4)
    _judge(reads, scored)


@pytest.mark.heavy
def test_readers_during_twenty_two_reruns(tmp_path: Path) -> None:
    reads, scored = _republish_while_reading(tmp_path, reruns=22)
    outcomes = _judge(reads, scored)
    print(dict(outcomes))
