"""`tierline run`: plan, score every partition through Dask, check the policy, publish (SPEC §3, §4).

Order of events, so that a failure never publishes half a period:
scorecard (exit 2) → the period's lock (exit 2 if another run holds it) and recovery of what a
killed run left → inputs and their schemas (exit 3) → staging → the passes over the register
(tierline.pipeline.passes, on tierline.pipeline.dispatch's scheduler) → counts and manifest
(tierline.pipeline.manifest) and policy (exit 1, the unpublished version kept for inspection) →
atomic publish (tierline.pipeline.publish).
Any failure on the way cancels the run's tasks, waits for those still writing, and removes the
staging; a full disk is exit 3 naming the path and the space the run needs.
"""

from __future__ import annotations

import datetime as dt
import errno
import os
import re
import secrets
import shutil
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import pyarrow as pa

from tierline.compiler import Compiled, compile_scorecard
from tierline.errors import InputError, Interrupted, OutputError, UsageError, ValidationPolicyError
from tierline.pipeline.cancel import cancel
from tierline.pipeline.dispatch import Dispatcher, scheduler_client
from tierline.pipeline.encode import evaluate
from tierline.pipeline.inputs import InputFile, is_url, resolve_inputs
from tierline.pipeline.lock import PeriodLock
from tierline.pipeline.manifest import RunFacts, build_manifest, count_rows
from tierline.pipeline.partitions import DEFAULT_TARGET_ROWS, plan_partitions
from tierline.pipeline.passes import ScoredRegister, score_register
from tierline.pipeline.publish import (
    LEGACY_STAGING_DIR, PeriodPaths, Staging, failpoint, is_period, periods_with_versions, validate_period,
    write_manifest,
)
from tierline.pipeline.recovery import recover
from tierline.pipeline.register import check_register
from tierline.pipeline.signals import critical_section
from tierline.pipeline.task import Destination, Shared
from tierline.pipeline.validate import VALIDATION_MODES, ValidationMode, plan_validation, summary
from tierline.scorecard.load import load_scorecard
from tierline.scorecard.model import Scorecard


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
    run_id: str = field(kw_only=True)
    manifest_path: Path = field(kw_only=True)  # the period's published manifest (a link into its version)
    quarantine_path: Path = field(kw_only=True)  # the period's published quarantine (likewise)


# `scheme:` at the start of an output path: `file:/x`, `s3:bucket` are URLs, or typos of them, not
# local directories; `./file:/x` still names one.
_SCHEME_PREFIX = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:")


def new_run_id(now: dt.datetime) -> str:
    return now.strftime("%Y%m%dT%H%M%SZ") + "-" + secrets.token_hex(3)


def _check_options(options: RunOptions) -> str:
    """The run's period, after refusing what cannot be honoured (exit 2, before anything is read)."""
    # Only an absent --period defaults: `--period ''` is a mistake to refuse, not today's date.
    today = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d")
    period = validate_period(today if options.period is None else options.period)
    if is_url(options.output) or _SCHEME_PREFIX.match(str(options.output)):
        # Until URL outputs are written with the atomic guarantee, a URL would become a local
        # folder named `s3:` (or `file:`, from `file:/x`) in the working directory.
        raise UsageError(f"--output {options.output}: writing to a URL is not built yet; give a local or "
                         "mounted directory (./NAME for a local directory whose name has a colon)")
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
    if options.data_docs is not None and ValidationMode(options.validation) is ValidationMode.OFF:
        raise UsageError("--data-docs shows the run's validation; it needs --validation fast or gx")
    if options.scheduler is not None:  # reached now, so an unreachable one is refused before any read
        scheduler_client(options.scheduler, options.connect_timeout).close()
    return period


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
    return {period for period in found if is_period(period)}


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


def _run_locked(options: RunOptions, started: dt.datetime, scorecard: Scorecard, compiled: Compiled, run_id: str,
                paths: PeriodPaths) -> RunSummary:
    files: list[InputFile] = resolve_inputs(list(options.inputs))
    total_rows = sum(f.num_rows for f in files)
    if total_rows == 0:
        raise InputError(f"{', '.join(options.inputs)}: the input holds no rows; nothing to score")
    passthrough = check_register(compiled, files)  # resolve_inputs made sure all files share one schema
    partitions = plan_partitions(files, options.target_rows)
    validation, compiled = plan_validation(compiled, ValidationMode(options.validation), files[0].schema)
    # Compile (or load from cache) the kernels once, before the clock of the progress starts.
    evaluate(compiled, pa.Table.from_batches([], schema=files[0].schema))  # (`empty_table` imports pandas)
    plan = Shared(compiled, validation, run_id=run_id)
    dispatcher = Dispatcher.of(options.workers, options.scheduler, options.progress)

    with _guarded_staging(paths, run_id, total_rows, files) as staging:
        destination = Destination(str(staging.data_dir), str(staging.quarantine_dir), run_id, tuple(passthrough))
        scored = score_register(dispatcher.map, plan, partitions, destination, staging.root / "_hashes")
        facts = RunFacts(run_id, paths.period, options.scorecard, started, dispatcher.description, len(partitions),
                         options.validation, options.max_invalid_fraction)
        manifest, failed_expectations = _manifest(facts, plan, scored, files)
        if options.data_docs is not None:  # before the policy: a failing run is when the docs help most
            manifest["data_docs"] = str(_data_docs(options.data_docs, scorecard, manifest, started,
                                                     files[0].schema))
        failpoint("run:scored")
        write_manifest(staging.manifest_path, manifest)
        _judge_policy(staging, options, manifest, failed_expectations)
        staging.publish()
    tier_rows = manifest["counts"]["tiers"]
    tiers = [(t.code, t.label, tier_rows[t.code]) for t in scorecard.tiers]
    return RunSummary(manifest=manifest, output_dir=Path(options.output), period=paths.period, tiers=tiers,
                      run_id=run_id, manifest_path=paths.manifest_link, quarantine_path=paths.quarantine_link)


def _manifest(facts: RunFacts, plan: Shared, scored: ScoredRegister,
              files: Sequence[InputFile]) -> tuple[dict[str, Any], list[str]]:
    """The run's manifest (SPEC §4) from the tasks' counts, after checking that no row was lost;
    and the expectations that failed their `mostly`."""
    counts = count_rows(scored.results, plan.validation, scored.grouping, sum(f.num_rows for f in files))
    expectations, failed_expectations = summary(plan.validation, counts.check_totals)
    return build_manifest(facts, plan.compiled.scorecard, files, counts, expectations), failed_expectations


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
def _guarded_staging(paths: PeriodPaths, run_id: str, total_rows: int,
                     files: Sequence[InputFile]) -> Iterator[Staging]:
    """The run's staging, removed on any failure. Signals are held back while it is made and put
    under `_cleanup_on_failure`: one falling in between would leave a staging nothing removes."""
    with ExitStack() as guard:
        with critical_section():
            staging = Staging.create(paths.output_dir, paths.period, run_id)
            guard.enter_context(_cleanup_on_failure(staging, total_rows, files))
        yield staging


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

