"""`run` itself (tierline.pipeline.run): what its summary tells the caller of the published period."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from registers import LEVELS_SCORECARD, write_register, write_scorecard
from tierline.pipeline.run import RunOptions, run

SCORECARD = LEVELS_SCORECARD


def test_the_summary_names_the_run_and_its_published_files(tmp_path: Path) -> None:
    write_register(pa.table({"id": ["a", "b", "a", "c"], "amount": [80.0, 10.0, 5.0, 60.0]}), tmp_path / "in", files=2)
    scorecard = write_scorecard(tmp_path / "levels.yaml", SCORECARD)
    summary = run(RunOptions(str(scorecard), [str(tmp_path / "in")], str(tmp_path / "out"), period="p",
                             max_invalid_fraction=1.0, progress=False, run_id="run-1", target_rows=2))
    assert summary.run_id == "run-1" == summary.manifest["run_id"]
    assert json.loads(summary.manifest_path.read_text(encoding="utf-8")) == summary.manifest
    assert summary.manifest_path == (tmp_path / "out" / "_manifests" / "period=p.json").absolute()
    quarantined = pq.read_table(summary.quarantine_path).column("id").to_pylist()
    assert sorted(quarantined) == ["a", "a"]  # the duplicate, found across partitions after scoring
    assert summary.quarantine_path == (tmp_path / "out" / "_quarantine" / "period=p").absolute()
    assert [(code, rows) for code, _, rows in summary.tiers] == [("high", 1), ("low", 1)]  # c, and b
