"""Peak memory of `tierline run` does not grow with the number of input files.

Runs benchmarks/memory.py (the same script that produces the figures in benchmarks/README.md),
which measures the peak RSS of real `tierline run` child processes. Memory is bounded by the
partition size and the number of threads, not by how the register is split into files.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SLACK = 64 * 2**20  # allocator noise between two runs of the same job


def _peaks(tmp_path: Path, rows: int, files: list[int], partition_rows: int) -> dict[int, int]:
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "memory.py"), "--rows", str(rows), "--files", *map(str, files),
         "--dir", str(tmp_path), "--partition-rows", str(partition_rows)],
        capture_output=True, text=True, check=True, cwd=ROOT)
    peaks = {}
    for line in result.stdout.splitlines():
        match = re.search(r"files=(\d+) peak_rss=([\d,]+) MiB", line)
        if match:
            peaks[int(match.group(1))] = int(match.group(2).replace(",", "")) * 2**20
    assert sorted(peaks) == sorted(files), result.stdout + result.stderr
    return peaks


def test_peak_memory_flat_in_number_of_files(tmp_path: Path) -> None:
    peaks = _peaks(tmp_path, rows=400_000, files=[1, 16], partition_rows=50_000)
    assert peaks[16] <= peaks[1] + SLACK, peaks


@pytest.mark.heavy
def test_peak_memory_flat_in_number_of_files_10m_rows(tmp_path: Path) -> None:
    peaks = _peaks(tmp_path, rows=10_000_000, files=[1, 20, 100], partition_rows=250_000)
    assert max(peaks.values()) <= peaks[1] * 1.15 + SLACK, peaks
