"""A run's manifest (SPEC §4): its counts summed from the tasks' results, checked to add up, and
what it read, scored and with which tierline."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

from tierline.pipeline.inputs import InputFile
from tierline.pipeline.task import Grouping, PartitionResult
from tierline.pipeline.validate import CheckCounts, ValidationPlan
from tierline.scorecard.model import Scorecard


@dataclass(frozen=True)
class RowCounts:
    """The rows of every partition, summed; `scored` counts entities for an aggregating scorecard."""

    input: int
    scored: int
    scored_rows: int  # the rows behind what was scored: written plus (aggregate) those behind an entity
    quarantined: int
    tier_rows: dict[str, int]
    error_rows: dict[str, int]
    check_totals: tuple[CheckCounts, ...]  # per check of the validation plan


def count_rows(results: Sequence[PartitionResult], validation: ValidationPlan, grouping: Grouping | None,
               planned_rows: int) -> RowCounts:
    """The results' counts summed, after checking that no row was lost (an AssertionError: a bug)."""
    tier_rows: Counter[str] = Counter()
    error_rows: Counter[str] = Counter()
    check_totals = tuple(CheckCounts() for _ in validation.codes)
    for result in results:
        tier_rows.update(result.tier_rows)
        error_rows.update(result.error_rows)
        for total, counts in zip(check_totals, result.check_counts):
            total.add(counts)
    input_rows = sum(r.input_rows for r in results)
    scored = sum(r.scored_rows for r in results)
    quarantined = sum(r.quarantined_rows for r in results)
    scored_rows = scored + sum(r.behind_rows for r in results)
    entities = grouping.entities if grouping is not None else None
    behind_entities = int(entities.rows[~entities.invalid].sum()) if entities is not None else scored_rows
    if input_rows != scored_rows + quarantined or input_rows != planned_rows or scored_rows != behind_entities:
        raise AssertionError(f"row counts do not add up: {input_rows} read, {planned_rows} planned, "
                             f"{scored_rows} scored ({behind_entities} behind entities) + {quarantined} quarantined")
    return RowCounts(input_rows, scored, scored_rows, quarantined, dict(tier_rows), dict(error_rows), check_totals)


@dataclass(frozen=True)
class RunFacts:
    """What the manifest says of the run besides its counts."""

    run_id: str
    period: str
    scorecard_path: str
    started: dt.datetime
    scheduler: str
    partitions: int
    validation_mode: str
    max_invalid_fraction: float


def build_manifest(facts: RunFacts, scorecard: Scorecard, files: Sequence[InputFile], counts: RowCounts,
                   expectations: list[dict[str, Any]]) -> dict[str, Any]:
    """The manifest (SPEC §4), `finished` now; `expectations` is `tierline.pipeline.validate.summary`'s."""
    return {
        "run_id": facts.run_id,
        "period": facts.period,
        "scorecard": {"name": scorecard.name, "version": scorecard.version, "sha256": scorecard.sha256,
                      "path": str(Path(facts.scorecard_path).absolute())},
        "inputs": [{"path": f.path, "size": f.size, "rows": f.num_rows} for f in files],
        "started": facts.started.isoformat(),
        "finished": dt.datetime.now(dt.timezone.utc).isoformat(),
        "counts": {
            "input": counts.input,
            "scored": counts.scored,
            **({"scored_rows": counts.scored_rows} if scorecard.aggregate is not None else {}),
            "quarantined": counts.quarantined,
            "tiers": {t.code: counts.tier_rows.get(t.code, 0) for t in scorecard.tiers},
            "errors": dict(sorted(counts.error_rows.items())),
        },
        "validation": {"mode": facts.validation_mode, "max_invalid_fraction": facts.max_invalid_fraction,
                       "invalid_fraction": counts.quarantined / counts.input, "expectations": expectations},
        "scheduler": facts.scheduler,
        "partitions": facts.partitions,
        "tierline_version": _version(),
    }


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("tierline")
    except PackageNotFoundError:
        return "unknown"
