"""`tierline run`: plan, score every partition through Dask, check the policy, publish (SPEC §3, §4).

Order of events, so that a failure never publishes half a period:
scorecard (exit 2) → the period's lock (exit 2 if another run holds it) and recovery of what a
killed run left → inputs and their schemas (exit 3) → staging → Dask tasks → counts, manifest and
policy (exit 1, the unpublished version kept for inspection) → atomic publish (tierline.pipeline.publish).
Any failure on the way cancels the run's tasks, waits for those still writing, and removes the
staging; a full disk is exit 3 naming the path and the space the run needs.
"""

from __future__ import annotations

import datetime as dt
import errno
import os
import secrets
import shutil
import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Sequence

import dask
import numpy as np
import pyarrow as pa

from tierline.pipeline.aggregate import group_entities
from tierline.pipeline.cancel import cancel
from tierline.compiler import compile_scorecard, quantile_limits
from tierline.pipeline.encode import evaluate
from tierline.pipeline.inputs import InputFile, is_url, resolve_inputs
from tierline.pipeline.partitions import DEFAULT_TARGET_ROWS, plan_partitions
from tierline.pipeline.progress import Progress
from tierline.pipeline.lock import PeriodLock
from tierline.pipeline.publish import (
    LEGACY_STAGING_DIR, PeriodPaths, Staging, failpoint, periods_with_versions, recover, validate_period,
    write_manifest,
)
from tierline.pipeline.register import check_register
from tierline.pipeline.task import (
    Destination, PartitionResult, Shared, candidate_counts_task, population_task, row_scores_task,
    score_partition_task, unique_columns_task, unique_hashes_task,
)
from tierline.pipeline.validate import (
    CheckCounts, HashSpill, ValidationMode, candidates, duplicated_values, gx_unique_masks, plan_validation,
    summary,
)
from tierline.errors import InputError, Interrupted, OutputError, UsageError, ValidationPolicyError
from tierline.scorecard.load import load_scorecard
from tierline.scorecard.model import Scorecard, TieringKind

VALIDATION_MODES = tuple(mode.value for mode in ValidationMode)


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
    wait_seconds: float = 0.0  # how long to wait for another run of the same output and period
    connect_timeout: float = 5.0  # seconds to reach --scheduler before it counts as unreachable (exit 2)


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
    """The run's period, after refusing what cannot be honoured (exit 2, before anything is read)."""
    # Only an absent --period defaults: `--period ''` is a mistake to refuse, not today's date.
    today = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d")
    period = validate_period(today if options.period is None else options.period)
    if is_url(options.output):
        # Until URL outputs are written with the atomic guarantee, a URL would become a local
        # folder named `s3:` (or `file:`) in the working directory.
        raise UsageError(f"--output {options.output}: writing to a URL is not built yet; give a local or "
                         "mounted directory")
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
    if options.scheduler is not None:  # reached now, so an unreachable one is refused before any read
        _scheduler_client(options.scheduler, options.connect_timeout).close()
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

    from distributed import as_completed

    client, cluster, scheduler = _cluster_client(options)
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


def _cluster_client(options: RunOptions) -> tuple[Any, Any, str]:
    """(client, LocalCluster or None, the scheduler's description) for --scheduler or --workers."""
    import logging

    from distributed import Client, LocalCluster

    if options.scheduler is not None:
        return _scheduler_client(options.scheduler, None), None, f"distributed {options.scheduler}"
    try:
        # Worker logs stay quiet: a failure reaches the client as an exception, told in one line.
        cluster = LocalCluster(n_workers=options.workers, threads_per_worker=1, processes=True,
                               dashboard_address=None, silence_logs=logging.CRITICAL)
    except Exception as error:  # distributed says "Nanny failed to start."; the cause is the news
        cause = error.__cause__ or error
        raise InputError(f"--workers {options.workers}: the LocalCluster's worker processes failed to start "
                         f"({type(cause).__name__}: {str(cause).splitlines()[0] if str(cause) else ''}); "
                         "run without --workers to use threads") from error
    return Client(cluster), cluster, f"LocalCluster ({options.workers} processes)"


def _scheduler_client(address: str, timeout: float | None) -> Any:
    """A client of the cluster at `address`, or exit 2 naming it (`timeout=None`: Dask's default, for
    the passes after `_check_options` reached it once; a short one would also bound every scatter)."""
    from distributed import Client

    try:
        return Client(address, timeout=timeout) if timeout is not None else Client(address)
    except (OSError, ValueError) as error:  # refused or timed out (TimeoutError is an OSError), or no address
        raise UsageError(f"--scheduler {address}: cannot reach a Dask scheduler there ({error})") from None


def run(options: RunOptions) -> RunSummary:
    """Score `options.inputs` and publish the period; raises the `TierlineError` family (SPEC §3)."""
    started = dt.datetime.now(dt.timezone.utc)
    period = _check_options(options)
    scorecard = load_scorecard(options.scorecard)
    compiled = compile_scorecard(scorecard)
    run_id = options.run_id or new_run_id(started)
    paths = PeriodPaths(Path(options.output).absolute(), period)
    created = not os.path.lexists(paths.output_dir)
    lock = PeriodLock.acquire(paths.lock, run_id, options.wait_seconds)
    try:
        _recover(paths)
        failpoint("run:locked")
        return _run_locked(options, started, scorecard, compiled, run_id, paths)
    finally:
        lock.release(unlink=_leave_no_trace(paths, created))


def _recover(paths: PeriodPaths) -> None:
    """Put right what killed runs left: this period's (its lock is ours), then any other period's
    whose lock is free (their stale staging would otherwise stay until their next run)."""
    notes = recover(paths)
    legacy = paths.output_dir / LEGACY_STAGING_DIR
    others = set(periods_with_versions(paths.output_dir)) | _legacy_periods(legacy)
    for period in sorted(others - {paths.period}):
        other = PeriodPaths(paths.output_dir, period)
        try:
            lock = PeriodLock.acquire(other.lock, "recovery", 0.0)
        except UsageError:
            continue  # another run holds it and recovers it itself
        with lock:
            notes += recover(other, keep_rejected=True)
    for note in notes:
        print(f"tierline: {note}", file=sys.stderr, flush=True)


def _legacy_periods(legacy: Path) -> set[str]:
    """The periods named in a `_staging/` left by tierline <= 0.1 (see tierline.pipeline.publish)."""
    found = set()
    for staged in legacy.glob("*"):
        for entry in [*staged.glob("period=*"), *staged.glob("_quarantine/period=*"), *staged.glob("_manifests/period=*.json")]:
            found.add(entry.name.removeprefix("period=").removesuffix(".json"))
    return {period for period in found if _is_period(period)}


def _is_period(text: str) -> bool:
    try:
        validate_period(text)
    except UsageError:
        return False
    return True


def _leave_no_trace(paths: PeriodPaths, created: bool) -> bool:
    """After a run that published nothing into a period that had nothing: remove the lock's
    directories (and the output directory if this run made it), so a failed first run leaves no
    tree behind. True when the lock file itself should go."""
    if paths.current_version() is not None or any(name != ".lock" for name in os.listdir(paths.versions)):
        return False
    for directory in (paths.versions, paths.versions.parent, *([paths.output_dir] if created else [])):
        try:
            if directory == paths.versions:
                (directory / ".lock").unlink(missing_ok=True)
            directory.rmdir()
        except OSError:
            break
    return True


def _run_locked(options: RunOptions, started: dt.datetime, scorecard: Scorecard, compiled: Any, run_id: str,
                paths: PeriodPaths) -> RunSummary:
    files: list[InputFile] = resolve_inputs(list(options.inputs))
    total_rows = sum(f.num_rows for f in files)
    if total_rows == 0:
        raise InputError(f"{', '.join(options.inputs)}: the input holds no rows; nothing to score")
    passthrough = check_register(compiled, files)  # resolve_inputs made sure all files share one schema
    partitions = plan_partitions(files, options.target_rows)
    validation, compiled = plan_validation(compiled, options.validation, files[0].schema)
    # Compile (or load from cache) the kernels once, before the clock of the progress starts.
    evaluate(compiled, pa.Table.from_batches([], schema=files[0].schema))  # (`empty_table` imports pandas)
    shared = Shared(compiled, validation, run_id=run_id)

    staging = Staging.create(paths.output_dir, paths.period, run_id)
    destination = Destination(str(staging.data_dir), str(staging.quarantine_dir), run_id, tuple(passthrough))
    with _cleanup_on_failure(staging, total_rows, files):
        results, scheduler, shared = _score_register(options, shared, partitions, staging, destination, total_rows)
        manifest, failed_expectations = _manifest(options, started, shared, files, partitions, results, scheduler,
                                                  run_id, paths.period)
        if options.data_docs is not None:  # before the policy: a failing run is when the docs help most
            manifest["data_docs"] = str(_data_docs(options.data_docs, scorecard, manifest, started,
                                                     files[0].schema))
        failpoint("run:scored")
        write_manifest(staging.manifest_path, manifest)
        _judge_policy(staging, options, manifest, failed_expectations)
        staging.publish()
    tier_rows = manifest["counts"]["tiers"]
    tiers = [(t.code, t.label, tier_rows[t.code]) for t in scorecard.tiers]
    return RunSummary(manifest=manifest, output_dir=Path(options.output), period=paths.period, tiers=tiers)


def _score_register(options: RunOptions, shared: Shared, partitions: list, staging: Staging, destination: Destination,
                    total_rows: int) -> tuple[list[PartitionResult], str, Shared]:
    """Every pass over the register: the pre-pass `unique` needs, the population of quantiles or the
    grouping of an aggregate, the scoring pass, and scoring again what a late duplicate touched."""
    validation, scorecard = shared.validation, shared.compiled.scorecard
    # `unique` (fast) on a plain scorecard is judged after the scoring pass, from hashes the scoring
    # tasks keep: registers rarely repeat a key, and then nothing is read twice. Quantile and
    # aggregating scorecards need the duplicates before their first pass.
    optimistic = (validation.mode == "fast" and bool(validation.unique_positions)
                  and scorecard.aggregate is None and scorecard.tiering.kind != TieringKind.QUANTILES)
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
    if scorecard.aggregate is not None:  # rows first, then their entities (tierline/pipeline/aggregate.py)
        with _progress(options, total_rows, partitions, "grouped") as progress:
            rows, _ = _map(row_scores_task, shared, partitions, (), options, progress)
        entities, fates = group_entities(shared.compiled, rows)
        del rows
        shared = replace(shared, entities=entities, fates=tuple(fates))
    elif scorecard.tiering.kind == TieringKind.QUANTILES:  # ranks are global: first gather the valid values
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
    return results, scheduler, shared


def _manifest(options: RunOptions, started: dt.datetime, shared: Shared, files: Sequence[InputFile],
              partitions: list, results: Sequence[PartitionResult], scheduler: str, run_id: str,
              period: str) -> tuple[dict[str, Any], list[str]]:
    """The run's manifest (SPEC §4) from the tasks' counts, after checking that no row was lost;
    and the expectations that failed their `mostly`."""
    scorecard, validation = shared.compiled.scorecard, shared.validation
    tier_rows: Counter[str] = Counter()
    error_rows: Counter[str] = Counter()
    check_totals = [CheckCounts() for _ in validation.codes]
    for result in results:
        tier_rows.update(result.tier_rows)
        error_rows.update(result.error_rows)
        for total, counts in zip(check_totals, result.check_counts):
            total.add(counts)
    expectations, failed_expectations = summary(validation, check_totals)
    total_rows = sum(f.num_rows for f in files)
    input_rows = sum(r.input_rows for r in results)
    scored = sum(r.scored_rows for r in results)
    quarantined = sum(r.quarantined_rows for r in results)
    # aggregate: the rows behind the scored entities are those written plus those left behind them
    scored_rows = scored + sum(r.behind_rows for r in results)
    behind_entities = (int(shared.entities.rows[~shared.entities.invalid].sum()) if shared.entities is not None
                       else scored_rows)
    if input_rows != scored_rows + quarantined or input_rows != total_rows or scored_rows != behind_entities:
        raise AssertionError(f"row counts do not add up: {input_rows} read, {total_rows} planned, "
                             f"{scored_rows} scored ({behind_entities} behind entities) + {quarantined} quarantined")
    manifest: dict[str, Any] = {
        "run_id": run_id,
        "period": period,
        "scorecard": {"name": scorecard.name, "version": scorecard.version, "sha256": scorecard.sha256,
                      "path": str(Path(options.scorecard).absolute())},
        "inputs": [{"path": f.path, "size": f.size, "rows": f.num_rows} for f in files],
        "started": started.isoformat(),
        "finished": dt.datetime.now(dt.timezone.utc).isoformat(),
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
    return manifest, failed_expectations


def _judge_policy(staging: Staging, options: RunOptions, manifest: dict[str, Any],
                  failed_expectations: list[str]) -> None:
    """Exit 1 when the run fails its validation policy; its version stays unpublished for inspection."""
    counts = manifest["counts"]
    quarantined, input_rows = counts["quarantined"], counts["input"]
    fraction = quarantined / input_rows
    kept = (f"nothing published. Quarantine kept for inspection in {staging.quarantine_dir} until the next run "
            f"of this period" + (f"; Data Docs: {manifest['data_docs']}" if "data_docs" in manifest else ""))
    if failed_expectations:
        staging.reject()
        raise ValidationPolicyError(f"expectation below its mostly: {'; '.join(failed_expectations)}; {kept}")
    if fraction > options.max_invalid_fraction:
        staging.reject()
        raise ValidationPolicyError(
            f"{quarantined:,} of {input_rows:,} rows are invalid ({fraction:.2%} > --max-invalid-fraction "
            f"{options.max_invalid_fraction:g}); {kept}")


@contextmanager
def _cleanup_on_failure(staging: Staging, total_rows: int, files: Sequence[InputFile]) -> Iterator[None]:
    """On any failure (SIGTERM included): stop the run's tasks, wait for those still writing, remove
    the staging; a full disk becomes exit 3 naming the path and the space needed."""
    try:
        yield
    except BaseException as error:
        cancel(staging.run_id)
        if staging.finished:  # published (nothing to undo) or rejected (kept for inspection)
            if isinstance(error, Interrupted) and staging.paths.current_version() == staging.run_id:
                error.published = str(staging.paths.data_link)
            raise
        full = _disk_full(error, staging, total_rows, files)
        staging.discard()
        if full is not None:
            raise full from None
        raise


_DISK_FULL = (errno.ENOSPC, errno.EDQUOT)


def _disk_full(error: BaseException, staging: Staging, total_rows: int, files: Sequence[InputFile]) -> OutputError | None:
    """An `OutputError` for a write that ran out of space (measured before the staging goes), else None.

    Arrow reports ENOSPC with its errno; NumPy's `tofile` only as "N requested and M written"."""
    if not isinstance(error, OSError):
        return None
    usage = shutil.disk_usage(staging.root if staging.root.exists() else staging.output_dir)
    short_write = "requested and" in str(error) and usage.free < 64 * 2**20
    if error.errno not in _DISK_FULL and not short_write:
        return None
    written, rows = _staged_size(staging)
    # What the finished parts weigh per row, times the register; before any part, the input's size.
    needed = written / rows * total_rows if rows else sum(f.size for f in files)
    return OutputError(
        f"{staging.output_dir}: no space left on the device writing {getattr(error, 'filename', None) or staging.root} "
        f"({_mib(usage.free)} free; this run needs about {_mib(needed)}); nothing published, staging removed")


def _staged_size(staging: Staging) -> tuple[int, int]:
    """Bytes under the staging root, and the rows of its complete part files (from their footers)."""
    import pyarrow.parquet as pq

    size = rows = 0
    for path in staging.root.rglob("*"):
        if path.is_file():
            size += path.stat().st_size
            if path.suffix == ".parquet":
                try:
                    rows += pq.ParquetFile(path).metadata.num_rows
                except (OSError, pa.ArrowException):
                    pass  # the part being written when the disk filled
    return size, rows


def _mib(size: float) -> str:
    return f"{size / 2**20:,.1f} MiB"


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
    """GX Data Docs of the run's validation in `directory` (tierline.validation.datadocs); its index.html."""
    from tierline.validation.datadocs import build_data_docs
    from tierline.validation.suite import suite_for

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

