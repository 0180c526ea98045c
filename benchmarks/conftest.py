"""Fixtures of the pytest-benchmark suites: the reference scorecard, a generated register, its encoding.

    make bench                                          # full size: 2,000,000 rows
    TIERLINE_BENCH_ROWS=20000 pytest benchmarks --benchmark-disable   # what CI runs (tests/functional/test_benchmarks_smoke.py)

The size comes from TIERLINE_BENCH_ROWS (default 2M). Every benchmark records its rows; at the end
the session prints rows/s from the median of each benchmark (per core where the code is single
threaded). Nothing is ever asserted about time.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from tierline.compiler import Compiled, compile_scorecard
from tierline.tools.demo import generate
from tierline.pipeline.encode import encode_inputs
from tierline.tools.generators import generator
from tierline.scorecard.load import load_scorecard

ROOT = Path(__file__).resolve().parent.parent
SCORECARD = ROOT / "scorecards" / "equipment_abc.yaml"  # 5 components, an override, 3 levels, actions
FULL_ROWS = 2_000_000
SEED = 20261121


def bench_rows() -> int:
    rows = int(os.environ.get("TIERLINE_BENCH_ROWS", FULL_ROWS))
    if rows < 1:
        raise pytest.UsageError(f"TIERLINE_BENCH_ROWS must be at least 1, not {rows}")
    return rows


@dataclass
class Throughput:
    name: str
    rows: int
    median: float
    per_core: bool  # single-threaded code: rows/s is per core


_throughputs: list[Throughput] = []


@pytest.fixture
def record_rows(request):
    """`record_rows(benchmark, rows, per_core=...)` after a benchmark: keep its rows/s for the summary."""
    def record(benchmark, rows: int, per_core: bool) -> None:
        benchmark.extra_info["rows"] = rows
        benchmark.extra_info["single_thread"] = per_core
        if benchmark.stats is not None:  # None when benchmarking is disabled (the CI smoke run)
            median = benchmark.stats.stats.median
            benchmark.extra_info["rows_per_s"] = rows / median
            _throughputs.append(Throughput(request.node.name, rows, median, per_core))
    return record


def pytest_terminal_summary(terminalreporter) -> None:  # noqa: ANN001
    if not _throughputs:
        return
    terminalreporter.section("rows/s (median)")
    for t in _throughputs:
        scope = "per core, 1 thread" if t.per_core else f"on {os.cpu_count()} cores"
        terminalreporter.write_line(f"{t.name:<40} {t.rows:>12,} rows  {t.rows / t.median / 1e6:9.1f} M rows/s {scope}")


@pytest.fixture(scope="session")
def rows() -> int:
    return bench_rows()


@pytest.fixture(scope="session")
def compiled() -> Compiled:
    return compile_scorecard(load_scorecard(SCORECARD))


@pytest.fixture(scope="session")
def register_table(rows) -> pa.Table:
    return generator("equipment_abc")(rows, np.random.default_rng(SEED))


@pytest.fixture(scope="session")
def encoded(compiled, register_table) -> np.ndarray:
    """The kernels' value matrix (slots × rows) of the register: the input of `score_partition`."""
    return encode_inputs(compiled, register_table)


@pytest.fixture(scope="session")
def register_dir(rows, tmp_path_factory) -> Path:
    """The register as the demo writes it: two zstd files of 250k-row groups."""
    directory = tmp_path_factory.mktemp("register")
    generate("equipment_abc", rows, directory, files=2, seed=SEED)
    return directory
