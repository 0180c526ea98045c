"""A run's manifest (SPEC §4): its counts summed from the tasks' results, checked to add up, and
what it read, scored and with which tierline."""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

from tierline.pipeline.inputs import InputFile
from tierline.pipeline.task import Grouping, PartitionResult
from tierline.pipeline.validate import CheckCounts, ValidationPlan
from tierline.scorecard.model import Level, LevelTiering, MatrixTiering, QuantileTiering, RuleTiering, Scorecard, Tiering


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
        "grading": grading_facts(scorecard),
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


def grading_facts(scorecard: Scorecard) -> dict[str, Any]:
    """What a reader of the output needs to know of the scorecard without it (`tierline diff`, `report`).

    The key, the tier table in rank order with labels, the score columns, the components behind
    `reasons`, and the tiering with its boundaries, each naming the output column it reads (an
    input's column is absent from the output when `passthrough` leaves it out). Infinite range ends
    are null.
    """
    scores = {score.name: score.output_column for score in scorecard.scores}

    def column(by: str, by_score: bool) -> str:
        return scores[by] if by_score else by

    return {
        "key": scorecard.key,
        "aggregate": None if scorecard.aggregate is None else
        {"by": scorecard.aggregate.by, "method": scorecard.aggregate.method},
        "tiers": [{"code": t.code, "label": t.label, "rank": t.rank} for t in scorecard.tiers],
        "scores": [{"name": name, "column": output} for name, output in scores.items()],
        "components": [{"name": c.name, "score": c.score} for c in scorecard.components],
        "points": scorecard.output.points,
        "reasons": scorecard.output.computed_reasons,
        "overrides": [{"name": o.name, "tier": o.tier} for o in scorecard.overrides],
        "ranks": [r.name for r in scorecard.ranks],
        "tiering": _tiering_facts(scorecard.tiering, column),
    }


def _tiering_facts(tiering: Tiering, column: Callable[[str, bool], str]) -> dict[str, Any]:
    if isinstance(tiering, LevelTiering):
        return {"kind": "levels", "by": tiering.by, "column": column(tiering.by, tiering.by_score),
                "scaled_by": None if tiering.scale is None else tiering.scale.column,
                "levels": [_level(level) for level in tiering.levels]}
    if isinstance(tiering, MatrixTiering):
        return {"kind": "matrix", "cells": [list(row) for row in tiering.cells],
                **{name: {"by": axis.by, "column": column(axis.by, axis.by_score),
                          "levels": [_level(level) for level in axis.levels]}
                   for name, axis in (("rows", tiering.rows), ("cols", tiering.cols))}}
    if isinstance(tiering, QuantileTiering):
        return {"kind": "quantiles", "by": tiering.by, "column": column(tiering.by, tiering.by_score),
                "order": tiering.order, "quantiles": [{"tier": q.tier, "top": q.top} for q in tiering.quantiles]}
    if isinstance(tiering, RuleTiering):
        return {"kind": "rules", "hit": tiering.hit,
                "rules": [{"tier": r.tier, "when": None if r.when is None else r.when.text} for r in tiering.rules]}
    raise TypeError(f"unknown tiering {type(tiering).__name__}")


def _level(level: Level) -> dict[str, Any]:
    bounds = level.range
    return {"tier": level.tier,
            "lower": None if math.isinf(bounds.lower) else bounds.lower, "lower_inclusive": bounds.lower_inclusive,
            "upper": None if math.isinf(bounds.upper) else bounds.upper, "upper_inclusive": bounds.upper_inclusive}


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("tierline")
    except PackageNotFoundError:
        return "unknown"
