"""`tierline run`: plan, score every partition through Dask, check the policy, publish (SPEC §3, §4).

Order of events, so that a failure never publishes half a period:
scorecard (exit 2) → inputs and their schemas (exit 3) → staging → Dask tasks → counts and
policy (exit 1, staging kept for inspection) → manifest → atomic publish.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import shutil
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Sequence

import dask
import numpy as np
import pyarrow as pa

from pipeline.aggregate import group_entities
from pipeline.compile import compile_scorecard, quantile_limits
from pipeline.encode import evaluate
from pipeline.inputs import InputFile, resolve_inputs
from pipeline.partitions import DEFAULT_TARGET_ROWS, plan_partitions
from pipeline.progress import Progress
from pipeline.publish import MANIFESTS_DIR, QUARANTINE_DIR, Staging, validate_period, write_manifest
from pipeline.register import check_register
from pipeline.task import (
    Destination, PartitionResult, Shared, candidate_counts_task, population_task, row_scores_task,
    score_partition_task, unique_columns_task, unique_hashes_task,
)
from pipeline.validate import (
    CheckCounts, HashSpill, candidates, duplicated_values, gx_unique_masks, plan_validation, summary,
)
from schemas.errors import InputError, UsageError, ValidationPolicyError
from schemas.load import load_scorecard
from schemas.model import Scorecard

VALIDATION_MODES = ("fast", "gx", "off")


@dataclass
class RunOptions:
    scorecard: str
    inputs: Sequence[str]
    output: str
    period: str | None = None
    workers: int | None = None
    scheduler: str | None = None
    validation: str = "fast"
    max_invalid_fraction: float = 0.05
    target_rows: int = DEFAULT_TARGET_ROWS
    progress: bool = True
    run_id: str | None = None
    data_docs: str | None = None  # build GX Data Docs of the run's validation there


@dataclass
class RunSummary:
    manifest: dict[str, Any]
    output_dir: Path
    period: str
    tiers: list[tuple[str, str, int]] = field(default_factory=list)  # code, label, rows


def new_run_id(now: dt.datetime) -> str:
    return now.strftime("%Y%m%dT%H%M%SZ") + "-" + secrets.token_hex(3)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("tierline")
    except PackageNotFoundError:
        return "unknown"


def _check_options(options: RunOptions) -> str:
    period = validate_period(options.period or dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d"))
    if options.validation not in VALIDATION_MODES:
        raise UsageError(f"--validation must be one of {', '.join(VALIDATION_MODES)}")
    if not 0.0 <= options.max_invalid_fraction <= 1.0:
        raise UsageError("--max-invalid-fraction must be between 0 and 1")
    if options.workers is not None and options.scheduler is not None:
        raise UsageError("give either --workers or --scheduler, not both")
    if options.workers is not None and options.workers < 1:
        raise UsageError("--workers must be at least 1")
    if options.target_rows < 1:
        raise UsageError(f"--partition-rows must be at least 1, not {options.target_rows}")
    if not options.inputs:
        raise UsageError("--input needs at least one file, directory or glob")
    if options.data_docs is not None and options.validation == "off":
        raise UsageError("--data-docs shows the run's validation; it needs --validation fast or gx")
    return period


def _map(function: Callable[..., Any], shared: Shared, partitions: list, extra: tuple, options: RunOptions,
         progress: Progress | None) -> tuple[list[Any], str]:
    """Run `function(shared, partition, *extra)` once per partition on the chosen scheduler.

    Results come back in partition order; `shared` travels once (a single graph key, or scattered
    to every worker), not with every task.
    """
    def rows_of(result: Any, partition: Any) -> int:
        return result.input_rows if isinstance(result, PartitionResult) else partition.num_rows

    if options.workers is None and options.scheduler is None:
        from dask.callbacks import Callback

        shared_key = dask.delayed(shared, pure=True)
        tasks = [dask.delayed(function, pure=False)(shared_key, p, *extra) for p in partitions]
        by_key = {task.key: p for task, p in zip(tasks, partitions)}

        class _Rows(Callback):
            def _posttask(self, key, result, dsk, state, worker_id):  # noqa: ANN001
                if progress is not None and key in by_key:
                    progress.update(rows_of(result, by_key[key]))

        with _Rows():
            results = dask.compute(*tasks, scheduler="threads", num_workers=os.cpu_count())
        return list(results), f"threads ({os.cpu_count()} workers)"

    from distributed import Client, LocalCluster, as_completed

    if options.scheduler is not None:
        client = Client(options.scheduler)
        scheduler = f"distributed {options.scheduler}"
        cluster = None
    else:
        cluster = LocalCluster(n_workers=options.workers, threads_per_worker=1, processes=True,
                               dashboard_address=None)
        client = Client(cluster)
        scheduler = f"LocalCluster ({options.workers} processes)"
    try:
        [shared_future] = client.scatter([shared], broadcast=True)
        futures = {client.submit(function, shared_future, p, *extra, pure=False): i for i, p in enumerate(partitions)}
        results: list[Any] = [None] * len(partitions)
        for future in as_completed(futures):
            index = futures[future]
            results[index] = future.result()
            if progress is not None:
                progress.update(rows_of(results[index], partitions[index]))
        return results, scheduler
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def run(options: RunOptions) -> RunSummary:
    started = dt.datetime.now(dt.timezone.utc)
    period = _check_options(options)
    scorecard = load_scorecard(options.scorecard)
    compiled = compile_scorecard(scorecard)
    files: list[InputFile] = resolve_inputs(list(options.inputs))
    total_rows = sum(f.num_rows for f in files)
    if total_rows == 0:
        raise InputError(f"{', '.join(options.inputs)}: the input holds no rows; nothing to score")
    passthrough = check_register(compiled, files)  # resolve_inputs made sure all files share one schema
    partitions = plan_partitions(files, options.target_rows)
    validation, compiled = plan_validation(compiled, options.validation, files[0].schema)
    # Compile (or load from cache) the kernels once, before the clock of the progress starts.
    evaluate(compiled, pa.Table.from_batches([], schema=files[0].schema))  # (`empty_table` imports pandas)
    shared = Shared(compiled, validation)

    run_id = options.run_id or new_run_id(started)
    output_dir = Path(options.output)
    staging = Staging.create(output_dir, period, run_id)
    destination = Destination(str(staging.data_dir), str(staging.quarantine_dir), run_id, tuple(passthrough))
    # `unique` (fast) on a plain scorecard is judged after the scoring pass, from hashes the scoring
    # tasks keep: registers rarely repeat a key, and then nothing is read twice. Quantile and
    # aggregating scorecards need the duplicates before their first pass.
    optimistic = (validation.mode == "fast" and bool(validation.unique_positions)
                  and scorecard.aggregate is None and scorecard.tiering.kind != "quantiles")
    try:
        if validation.unique_positions and validation.mode == "gx":
            pieces, _ = _map(unique_columns_task, shared, partitions, (), options, None)
            offsets = tuple(int(x) for x in np.cumsum([0] + [p.num_rows for p in partitions])[:-1])
            shared = replace(shared, unique_masks=gx_unique_masks(validation, pieces), offsets=offsets)
        elif validation.unique_positions:
            spill = HashSpill.plan(str(staging.root / "_hashes"), total_rows)
            os.makedirs(spill.directory)
            if optimistic:  # the scoring tasks hash the unique columns; duplicates are judged after
                shared = replace(shared, duplicates=_no_duplicates(validation), spill=spill)
            else:
                with _progress(options, total_rows, partitions, "hashed keys of") as progress:
                    _map(unique_hashes_task, shared, partitions, (spill,), options, progress)
                duplicates, _ = _duplicates(shared, spill, partitions, options)
                shared = replace(shared, duplicates=duplicates)
        elif validation.mode == "gx":
            offsets = tuple(int(x) for x in np.cumsum([0] + [p.num_rows for p in partitions])[:-1])
            shared = replace(shared, offsets=offsets)
        if scorecard.aggregate is not None:  # rows first, then their entities (pipeline/aggregate.py)
            with _progress(options, total_rows, partitions, "grouped") as progress:
                rows, _ = _map(row_scores_task, shared, partitions, (), options, progress)
            entities, fates = group_entities(compiled, rows)
            del rows
            shared = replace(shared, entities=entities, fates=tuple(fates))
        elif scorecard.tiering.kind == "quantiles":  # ranks are global: first gather the valid values
            with _progress(options, total_rows, partitions, "ranked") as progress:
                values, _ = _map(population_task, shared, partitions, (), options, progress)
            population = np.sort(np.concatenate(values)) if values else np.zeros(0)
            shared = replace(shared, population=population, limits=quantile_limits(scorecard, len(population)))
        with _progress(options, total_rows, partitions, "scored") as progress:
            results, scheduler = _map(score_partition_task, shared, partitions, (destination,), options, progress)
        if optimistic:
            duplicates, touched = _duplicates(shared, shared.spill, partitions, options)
            if touched:  # score again the partitions that hold a duplicate, now that it is known
                shared = replace(shared, duplicates=duplicates, spill=None)
                again_rows = sum(partitions[i].num_rows for i in touched)
                with _progress(options, again_rows, touched, "scored again (duplicates)") as progress:
                    again, _ = _map(score_partition_task, shared, [partitions[i] for i in touched], (destination,),
                                    options, progress)
                for index, result in zip(touched, again):
                    results[index] = result
    except BaseException:
        staging.discard()
        raise

    tier_rows: Counter[str] = Counter()
    error_rows: Counter[str] = Counter()
    check_totals = [CheckCounts() for _ in validation.codes]
    for result in results:
        tier_rows.update(result.tier_rows)
        error_rows.update(result.error_rows)
        for total, counts in zip(check_totals, result.check_counts):
            total.add(counts)
    expectations, failed_expectations = summary(validation, check_totals)
    input_rows = sum(r.input_rows for r in results)
    scored = sum(r.scored_rows for r in results)
    quarantined = sum(r.quarantined_rows for r in results)
    # aggregate: the rows behind the scored entities are those written plus those left behind them
    scored_rows = scored + sum(r.behind_rows for r in results)
    behind_entities = (int(shared.entities.rows[~shared.entities.invalid].sum()) if shared.entities is not None
                       else scored_rows)
    if input_rows != scored_rows + quarantined or input_rows != total_rows or scored_rows != behind_entities:
        staging.discard()
        raise AssertionError(f"row counts do not add up: {input_rows} read, {total_rows} planned, "
                             f"{scored_rows} scored ({behind_entities} behind entities) + {quarantined} quarantined")
    finished = dt.datetime.now(dt.timezone.utc)
    manifest: dict[str, Any] = {
        "run_id": run_id,
        "period": period,
        "scorecard": {"name": scorecard.name, "version": scorecard.version, "sha256": scorecard.sha256,
                      "path": str(Path(options.scorecard).absolute())},
        "inputs": [{"path": f.path, "size": f.size, "rows": f.num_rows} for f in files],
        "started": started.isoformat(),
        "finished": finished.isoformat(),
        "counts": {
            "input": input_rows,
            "scored": scored,
            **({"scored_rows": scored_rows} if scorecard.aggregate is not None else {}),
            "quarantined": quarantined,
            "tiers": {t.code: tier_rows.get(t.code, 0) for t in scorecard.tiers},
            "errors": dict(sorted(error_rows.items())),
        },
        "validation": {"mode": options.validation, "max_invalid_fraction": options.max_invalid_fraction,
                       "invalid_fraction": quarantined / input_rows, "expectations": expectations},
        "scheduler": scheduler,
        "partitions": len(partitions),
        "tierline_version": _version(),
    }
    if options.data_docs is not None:  # before the policy: a failing run is when the docs help most
        try:
            manifest["data_docs"] = str(_data_docs(options.data_docs, scorecard, manifest, started,
                                                     files[0].schema))
        except BaseException:
            staging.discard()
            raise
    write_manifest(staging.manifest_path, manifest)
    fraction = quarantined / input_rows
    docs = f"; Data Docs: {manifest['data_docs']}" if "data_docs" in manifest else ""
    if failed_expectations:
        raise ValidationPolicyError(
            f"expectation below its mostly: {'; '.join(failed_expectations)}; nothing published. "
            f"Quarantine kept for inspection in {staging.quarantine_dir}{docs}")
    if fraction > options.max_invalid_fraction:
        raise ValidationPolicyError(
            f"{quarantined:,} of {input_rows:,} rows are invalid ({fraction:.2%} > --max-invalid-fraction "
            f"{options.max_invalid_fraction:g}); nothing published. Quarantine kept for inspection in "
            f"{staging.quarantine_dir}{docs}")
    staging.publish()
    tiers = [(t.code, t.label, tier_rows.get(t.code, 0)) for t in scorecard.tiers]
    return RunSummary(manifest=manifest, output_dir=output_dir, period=period, tiers=tiers)


def _progress(options: RunOptions, rows: int, partitions: Sequence[Any], what: str) -> Progress:
    """Progress of one pass over the register (every pass is long on a large one)."""
    return Progress(rows, len(partitions), enabled=options.progress, what=what)


def _no_duplicates(validation: Any) -> dict[int, pa.Array]:
    """Every unique check with an empty set of duplicates (an absent check is judged per partition)."""
    return {p: pa.array([], pa.null()) for p in validation.unique_positions}


def _duplicates(shared: Shared, spill: HashSpill, partitions: list, options: RunOptions) -> tuple[dict, list[int]]:
    """The values repeated in the whole register per unique check, and the partitions holding them.

    Hashes seen twice are candidates; only then are the unique columns read again, to count the
    candidates' exact values (a hash collision costs time, never a wrong verdict).
    """
    validation = shared.validation
    repeated = candidates(validation, spill, len(partitions))
    shutil.rmtree(spill.directory)
    duplicates = _no_duplicates(validation)
    if not repeated:
        return duplicates, []
    with _progress(options, sum(p.num_rows for p in partitions), partitions, "counted repeated keys in") as progress:
        counts, _ = _map(candidate_counts_task, replace(shared, spill=None), partitions, (repeated,), options, progress)
    duplicates.update(duplicated_values(validation, counts))
    touched = [i for i, found in enumerate(counts) if any(table.num_rows for table in found.values())]
    return duplicates, touched


def _data_docs(directory: str, scorecard: Scorecard, manifest: dict[str, Any], started: dt.datetime,
               schema: pa.Schema) -> Path:
    """GX Data Docs of the run's validation in `directory` (expectations.datadocs); its index.html."""
    from expectations.datadocs import build_data_docs
    from expectations.suite import suite_for

    counts = manifest["counts"]
    try:
        return build_data_docs(
            Path(directory), suite_for(scorecard, schema), manifest["validation"]["expectations"],
            run_name=manifest["run_id"], data_asset=f"period={manifest['period']}", started=started,
            batch_markers={"scorecard": f"{scorecard.name} v{scorecard.version}", "sha256": scorecard.sha256,
                           "validation": manifest["validation"]["mode"], "input rows": counts["input"],
                           "quarantined rows": counts["quarantined"]})
    except OSError as error:
        raise UsageError(f"--data-docs {directory}: cannot write there ({error.strerror or error})") from None


def manifest_path(output_dir: Path, period: str) -> Path:
    return output_dir / MANIFESTS_DIR / f"period={period}.json"


def quarantine_dir(output_dir: Path, period: str) -> Path:
    return output_dir / QUARANTINE_DIR / f"period={period}"
