"""A run's counts and manifest (tierline.pipeline.manifest), from hand-made task results."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest

from tierline.pipeline.inputs import InputFile
from tierline.pipeline.manifest import RunFacts, build_manifest, count_rows
from tierline.pipeline.task import PartitionResult
from tierline.pipeline.validate import CheckCounts, ValidationMode, ValidationPlan
from tierline.scorecard.load import load_scorecard_text

SCORECARD = """\
scorecard: levels
version: 3
key: id
inputs:
  id: {type: string, required: true}
  amount: {type: float, min: 0}
score:
  components:
    - {name: amount, input: amount, value: true}
tiers:
  levels:
    - {tier: high, from: 50}
    - {tier: low, to: 50}
"""

RESULTS = (
    PartitionResult(0, 10, 8, 2, {"high": 5, "low": 3}, {"amount:min": 2}, [CheckCounts(2, 10, 10)]),
    PartitionResult(1, 5, 5, 0, {"low": 5}, {}, [CheckCounts(0, 5, 5)]),
)
VALIDATION = ValidationPlan(ValidationMode.FAST, codes=("amount:min",))


def test_counts_are_summed_over_partitions() -> None:
    counts = count_rows(RESULTS, VALIDATION, None, planned_rows=15)
    assert (counts.input, counts.scored, counts.scored_rows, counts.quarantined) == (15, 13, 13, 2)
    assert counts.tier_rows == {"high": 5, "low": 8} and counts.error_rows == {"amount:min": 2}
    [check] = counts.check_totals
    assert (check.unexpected, check.nonnull, check.total) == (2, 15, 15)


def test_a_lost_row_is_a_bug() -> None:
    with pytest.raises(AssertionError, match="row counts do not add up: 15 read, 16 planned"):
        count_rows(RESULTS, VALIDATION, None, planned_rows=16)


def test_the_manifest_says_what_the_run_did() -> None:
    scorecard = load_scorecard_text(SCORECARD)
    started = dt.datetime(2026, 5, 1, tzinfo=dt.timezone.utc)
    facts = RunFacts("r1", "2026-05", "cards/levels.yaml", started, "threads (2 workers)", 2, "fast", 0.05)
    files = [InputFile(path="in.parquet", size=100, num_rows=15, row_group_rows=(15,), schema=pa.schema([]))]
    manifest = build_manifest(facts, scorecard, files, count_rows(RESULTS, VALIDATION, None, 15), [])
    assert manifest["run_id"] == "r1" and manifest["period"] == "2026-05"
    assert manifest["scorecard"]["version"] == 3 and manifest["scorecard"]["path"].endswith("cards/levels.yaml")
    assert manifest["counts"] == {"input": 15, "scored": 13, "quarantined": 2, "tiers": {"high": 5, "low": 8},
                                  "errors": {"amount:min": 2}}
    assert manifest["validation"]["invalid_fraction"] == 2 / 15
    assert manifest["inputs"] == [{"path": "in.parquet", "size": 100, "rows": 15}]
    assert (manifest["scheduler"], manifest["partitions"], manifest["started"]) == (
        "threads (2 workers)", 2, started.isoformat())
