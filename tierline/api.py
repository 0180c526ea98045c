"""The Python API for schedulers and notebooks: `run`, `check`, `explain`, `diff`, `report` (SPEC §1, §3).

Each function does what the command of the same name does and raises the same errors, all of the
`tierline.errors.TierlineError` family, whose `exit_code` is the command's exit code. Heavy modules
(Dask, pyarrow, Great Expectations) are imported on first call, not with `import tierline`.
"""

from __future__ import annotations

import io
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from tierline.errors import ScorecardError, TierlineError, UsageError

if TYPE_CHECKING:
    from tierline.periods.migration import Migration
    from tierline.pipeline.run import RunSummary
    from tierline.scorecard.model import Scorecard


@dataclass(frozen=True)
class RunResult:
    """What one published run of `tierline.run` produced: its counts, tiers and paths.

    Attributes:
        run_id: the run's id, also written into every output row (`run_id` column).
        period: the period published.
        scorecard: the scorecard's name; `scorecard_version` its version.
        output_dir: the output directory (`--output`), made absolute; every path below is in it.
        data_path: `output_dir/period=<P>`, the Hive partitions `tier=<code>/part-*.parquet`.
        manifest_path: `output_dir/_manifests/period=<P>.json`, the run's manifest.
        quarantine_path: `output_dir/_quarantine/period=<P>`, the invalid rows with their `errors`.
        input_rows: rows read from the inputs.
        valid_rows: input rows behind the scored entities (input_rows = valid_rows + quarantined_rows).
        scored: scored output rows: entities for an aggregating scorecard, else equal to valid_rows.
        quarantined_rows: invalid rows written to the quarantine.
        tiers: tier code → scored output rows (entities when aggregating), in rank order.
        tier_labels: tier code → label.
        errors: error code (`<column>:<check>`) → quarantined rows carrying it.
        manifest: the manifest as written (SPEC §4), read-only.
    """

    run_id: str
    period: str
    scorecard: str
    scorecard_version: int
    output_dir: Path
    data_path: Path
    manifest_path: Path
    quarantine_path: Path
    input_rows: int
    valid_rows: int
    scored: int
    quarantined_rows: int
    tiers: Mapping[str, int]
    tier_labels: Mapping[str, str]
    errors: Mapping[str, int]
    manifest: Mapping[str, Any]

    @classmethod
    def from_summary(cls, summary: RunSummary) -> RunResult:
        """The result of a run from the pipeline's `RunSummary` (its manifest and the SPEC §4 paths)."""
        manifest = summary.manifest
        counts = manifest["counts"]
        # Absolute, so a scheduler can hand them to a task with another working directory; the
        # public paths of SPEC §4 (links to the current version), which stay valid for readers.
        output_dir = Path(summary.output_dir).absolute()
        name = f"period={summary.period}"
        manifest_path = output_dir / "_manifests" / f"{name}.json"
        quarantine_path = output_dir / "_quarantine" / name
        return cls(
            run_id=manifest["run_id"], period=summary.period,
            scorecard=manifest["scorecard"]["name"], scorecard_version=manifest["scorecard"]["version"],
            output_dir=output_dir, data_path=output_dir / name,
            manifest_path=manifest_path, quarantine_path=quarantine_path,
            input_rows=counts["input"], valid_rows=counts.get("scored_rows", counts["scored"]),
            scored=counts["scored"], quarantined_rows=counts["quarantined"],
            tiers=MappingProxyType({code: rows for code, _, rows in summary.tiers}),
            tier_labels=MappingProxyType({code: label for code, label, _ in summary.tiers}),
            errors=MappingProxyType(dict(counts["errors"])), manifest=MappingProxyType(manifest),
        )

    def to_json(self) -> dict[str, Any]:
        """The summary `tierline run --json` prints: counts, tiers, paths and ids (no manifest body)."""
        return {
            "run_id": self.run_id, "period": self.period,
            "scorecard": {"name": self.scorecard, "version": self.scorecard_version},
            "output": str(self.output_dir), "data": str(self.data_path),
            "manifest": str(self.manifest_path), "quarantine": str(self.quarantine_path),
            "counts": {"input": self.input_rows, "valid": self.valid_rows, "scored": self.scored,
                       "quarantined": self.quarantined_rows, "errors": dict(self.errors)},
            "tiers": [{"tier": code, "label": self.tier_labels[code], "rows": rows}
                      for code, rows in self.tiers.items()],
        }


def run(scorecard: str | Path, inputs: str | Path | Sequence[str | Path], output: str | Path, *,
        period: str | None = None, validation: str = "fast", max_invalid_fraction: float = 0.05,
        workers: int | None = None, scheduler: str | None = None, partition_rows: int | None = None,
        data_docs: str | Path | None = None, wait: float = 0.0, progress: bool = False,
        run_id: str | None = None) -> RunResult:
    """Score a register and publish one period, as `tierline run` does; return a `RunResult`.

    Args:
        scorecard: path of the scorecard YAML.
        inputs: Parquet files, directories or globs (local paths or fsspec URLs), one or a list.
        output: the output directory (SPEC §4 layout: `period=<P>/tier=<code>/`, `_quarantine/`,
            `_manifests/`).
        period: the period to publish (`^[A-Za-z0-9_.-]{1,64}$`); default today's UTC date.
        validation: "fast" (compiled checks, default), "gx" (Great Expectations itself) or "off".
        max_invalid_fraction: publish nothing when more rows than this are invalid (default 0.05).
        workers: start a LocalCluster of this many processes (default: Dask's threaded scheduler).
        scheduler: address of an existing dask.distributed cluster to join instead.
        partition_rows: target rows per task (default 250,000).
        data_docs: build Great Expectations Data Docs of the run's validation in this directory.
        wait: seconds to wait for another run of the same output and period (default: fail at once).
        progress: log progress (rows/s) on stderr, as the command does; off by default.
        run_id: the run's id (default: a new one from the time and random bits).

    Returns:
        RunResult: run_id, period, paths (data, manifest, quarantine), row counts, tier counts and
        the manifest dict.

    Raises:
        tierline.errors.TierlineError: its subclass says what failed and `exit_code` the exit code
        the command would give: ValidationPolicyError (1, nothing published), UsageError and
        ScorecardError (2, nothing read or written), InputError and OutputError (3, nothing
        published). Signals are the caller's: unlike the command, `run` installs no handler.

    Example::

        result = tierline.run("scorecards/equipment_abc.yaml", ["register/"], "out", period="2026-11")
        result.tiers            # {'A': 1234, 'B': 5678, 'C': 910}, in rank order
        result.manifest_path    # out/_manifests/period=2026-11.json
    """
    from tierline.pipeline.partitions import DEFAULT_TARGET_ROWS
    from tierline.pipeline.run import RunOptions, run as run_pipeline

    paths = [inputs] if isinstance(inputs, (str, Path)) else list(inputs)
    summary = run_pipeline(RunOptions(
        scorecard=str(scorecard), inputs=[str(p) for p in paths], output=str(output), period=period,
        workers=workers, scheduler=scheduler, validation=validation, max_invalid_fraction=max_invalid_fraction,
        target_rows=DEFAULT_TARGET_ROWS if partition_rows is None else partition_rows, progress=progress,
        run_id=run_id, data_docs=None if data_docs is None else str(data_docs), wait_seconds=wait,
    ))
    return RunResult.from_summary(summary)


def check(path: str | Path) -> Scorecard:
    """Parse, lint and compile one scorecard as `tierline check` does; return the loaded scorecard.

    Raises `tierline.errors.ScorecardError` (exit_code 2) with the first problem found; its message
    names the file and line. `tierline check` on the command line lists every problem.
    """
    scorecard, problems = lint(path)
    if problems:
        raise problems[0]
    assert scorecard is not None
    return scorecard


def lint(path: str | Path) -> tuple[Scorecard | None, list[TierlineError]]:
    """Everything `tierline run` decides about a scorecard before it reads a row: load, compile,
    and plan the default (fast) validation, which reads the extra suite and compiles every check.
    What passes here, a run compiles too. Returns the scorecard (None if unsound) and every problem."""
    from tierline.scorecard.load import check_scorecard

    scorecard, errors = check_scorecard(path)
    if errors:
        return None, list(errors)
    assert scorecard is not None
    # imported once a scorecard loads: pyarrow takes a while
    from tierline.compiler import compile_scorecard
    from tierline.pipeline.validate import plan_validation
    from tierline.validation.suite import load_extra_suite

    try:
        compiled = compile_scorecard(scorecard)
        load_extra_suite(scorecard)  # its file and JSON first: a bad one is refused before GX is imported
        plan_validation(compiled, "fast")
    except ScorecardError as error:
        if error.source is None:  # a check's own message, which knows the expectation but not the file
            error = ScorecardError(error.detail, source=str(path), line=error.line)
        return None, [error]
    return scorecard, []


def explain(scorecard: str | Path, inputs: str | Path | Sequence[str | Path], keys: str | Sequence[str], *,
            validation: str = "fast") -> list[dict[str, Any]]:
    """How the rows with each key are scored, as `tierline explain --json` shows them.

    Returns one dict per matching row (its inputs, component points, scores, override, tier or
    errors), in the order of `keys`. Raises the `TierlineError` family: InputError (exit_code 3)
    when no row has a key asked for.
    """
    from rich.console import Console

    from tierline.tools.explain import explain as explain_rows

    paths = [inputs] if isinstance(inputs, (str, Path)) else list(inputs)
    printed = io.StringIO()
    explain_rows(str(scorecard), [str(p) for p in paths], keys, console=Console(file=printed),
                 validation=validation, as_json=True)
    return [json.loads(line) for line in printed.getvalue().splitlines() if line.strip()]


def diff(output: str | Path, before: str, after: str, *, entities_to: str | Path | None = None,
         entity_format: str | None = None) -> Migration:
    """The tier migration from period `before` to `after` of one output directory, as `tierline diff`.

    Returns a `tierline.periods.migration.Migration`: `rows` and `cols` (tiers in rank order, then
    quarantined and new / gone), `counts[i][j]`, `directions` (up, down, same, new, gone,
    quarantined) and `to_json()`. With `entities_to`, one row per entity is written there, as
    Parquet or CSV (`entity_format`, default from the file name). Raises UsageError (exit_code 2)
    for periods of different scorecards, InputError (3) for a missing directory or period.
    """
    from tierline.periods.migration import EntityFormat, migrate
    from tierline.periods.published import open_period

    target = None if entities_to is None else Path(entities_to)
    try:
        file_format = EntityFormat(entity_format) if entity_format else EntityFormat.by_name(target or "")
    except ValueError:
        raise UsageError(f"entity_format must be parquet or csv, not {entity_format!r}") from None
    return migrate(open_period(output, before), open_period(output, after), entities_to=target,
                   entity_format=file_format)


def report(output: str | Path, period: str, *, compare: str | None = None, target: str | Path | None = None) -> Path:
    """Writes the HTML report of `period` (as `tierline report`) and returns its path; `compare`
    defaults to the previous period in `output`, `target` to report-<scorecard>-<period>.html."""
    from tierline.periods.report import ReportRequest, build_report

    return build_report(ReportRequest(str(output), period, compare, None if target is None else str(target)))
