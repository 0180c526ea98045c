"""`tierline run` end to end on a generated register: read, validate, score, write, publish.

On the default threaded scheduler (all cores), so rows/s is for the whole machine. Each round
replaces the same period, as a rerun does. `--validation off` is measured beside the default
`fast` so that the cost of validation shows.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow.dataset as ds
import pytest

from tierline.pipeline.run import RunOptions, run

SCORECARD = Path(__file__).resolve().parent.parent / "scorecards" / "equipment_abc.yaml"
ROUNDS = 3


@pytest.mark.parametrize("validation", ["fast", "off"])
def test_run(benchmark, record_rows, register_dir, tmp_path, rows, validation):
    options = RunOptions(scorecard=str(SCORECARD), inputs=[str(register_dir)], output=str(tmp_path / "out"),
                         period="bench", validation=validation, max_invalid_fraction=0.10, progress=False)
    summary = benchmark.pedantic(run, args=(options,), rounds=ROUNDS, warmup_rounds=1)
    record_rows(benchmark, rows, per_core=False)
    counts = summary.manifest["counts"]
    assert counts["input"] == rows == counts["scored"] + counts["quarantined"]
    scored = ds.dataset(tmp_path / "out" / "period=bench", format="parquet", partitioning="hive")
    assert scored.count_rows() == counts["scored"]
