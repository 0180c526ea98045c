"""Validation inside each task (SPEC §5): `fast` compiled row checks, or `gx`, GX itself.

Made once per run: the suite's expectation configurations (plain data for the generated ones; the
scorecard's extra suite through GX), compiled by `tierline.validation.checks`, and the bit each check's
error code takes in the run's error table, shared with the kernels' own codes. Per partition the
checks run on the data after defaults (`tierline.validation.suite.suite_table`), and every failing row
gets its check's bit, so one quarantine holds every code. Uniqueness is global: a pre-pass hashes
each unique column's values in every partition (spilled to the staging area by hash bucket, so
memory does not grow with the register), the hashes seen twice are counted exactly in a second
pass that runs only if there are any, and the duplicated values travel to the tasks.

`--validation gx` has Great Expectations itself (`tierline.validation.gx`, the one module of the run
that imports GX to validate) judge every partition, on the frame the fast checks answer to
(`tierline.validation.checks.pandas_frame` of the suite's table), and takes its
`unexpected_index_list`s; `unique` expectations need the whole register, so a pre-pass gathers
their columns and GX judges each over the whole column once. Both modes support the same
expectation types (`tierline.validation.checks`); others are refused with a message naming them.

This module is the shell: it plans, applies the verdicts to a partition's error bits and counts;
the verdicts come from `tierline.validation`, which imports nothing from the pipeline.

Policy: rows failing any check are quarantined; the run as a whole fails (exit 1) when the invalid
fraction exceeds --max-invalid-fraction or an expectation that sets `mostly` below 1 falls under it.
An expectation without `mostly` only quarantines rows. A failure GX decides on the column itself
(`ExpectationType.judges_column`: a missing column, one at another index, a dtype outside the type
list) lists no row: in both modes it is an input error (exit 3) naming the file, column and check,
since the register does not match the suite.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Mapping, Sequence

import numpy as np
import pyarrow as pa

from tierline.compiler import Compiled
from tierline.pipeline.encode import drop_no_rule_of_invalid_rows  # noqa: F401 - the tasks call it after the suite
from tierline.errors import InputError
from tierline.kernels.errorbits import set_error_rows
from tierline.scorecard.model import Scorecard
from tierline.validation.modes import VALIDATION_MODES, ValidationMode  # noqa: F401 - the run and explain take them from here

if TYPE_CHECKING:
    from tierline.validation.checks import CompiledCheck, CompiledChecks


@dataclass(frozen=True)
class ValidationPlan:
    mode: ValidationMode
    checks: CompiledChecks | None = None  # None when validation is off
    codes: tuple[str, ...] = ()  # the error code of each check
    bits: tuple[int, ...] = ()  # each check's bit in the run's error table
    unique_positions: tuple[int, ...] = ()
    configurations: tuple[dict, ...] = ()  # the suite's entries, for `gx`

    @property
    def enabled(self) -> bool:
        return self.checks is not None and len(self.codes) > 0


@dataclass
class CheckCounts:
    """One check's counts summed over partitions, for GX's success rule and the manifest."""

    unexpected: int = 0
    nonnull: int = 0
    total: int = 0
    failed_as_whole: bool = False

    def add(self, other: "CheckCounts") -> None:
        self.unexpected += other.unexpected
        self.nonnull += other.nonnull
        self.total += other.total
        self.failed_as_whole |= other.failed_as_whole


def _configurations(scorecard: Scorecard, schema: pa.Schema | None) -> list[dict[str, Any]]:
    from tierline.validation.suite import suite_configurations  # imports GX only to read an extra suite

    return suite_configurations(scorecard, schema)


def plan_validation(compiled: Compiled, mode: ValidationMode | str,
                    schema: pa.Schema | None = None) -> tuple[ValidationPlan, Compiled]:
    """The checks of `mode`, and `compiled` with their codes appended to its error table.

    `schema` is the register's: a timestamp input's type check depends on whether its column
    carries a time zone (`tierline.validation.suite.input_expectations`)."""
    mode = ValidationMode(mode)
    if mode is ValidationMode.OFF:
        return ValidationPlan(mode), compiled
    from tierline.validation.checks import UNIQUE, compile_checks, compile_generated_checks

    configurations = _configurations(compiled.scorecard, schema)
    # with no extra suite every expectation is tierline's own: compiled without importing GX
    generated_only = compiled.scorecard.expectations is None and mode is ValidationMode.FAST
    compile_ = compile_generated_checks if generated_only else compile_checks
    checks = compile_(configurations)
    codes = tuple(check.error_code for check in checks)
    error_codes = list(compiled.error_codes)
    for code in codes:
        if code not in error_codes:
            error_codes.append(code)
    compiled = replace(compiled, error_codes=tuple(error_codes))
    plan = ValidationPlan(
        mode=mode, checks=checks, codes=codes, bits=tuple(error_codes.index(code) for code in codes),
        unique_positions=tuple(check.position for check in checks if check.expectation_type == UNIQUE),
        configurations=tuple(configurations) if mode is ValidationMode.GX else (),
    )
    return plan, compiled


def unique_columns(plan: ValidationPlan) -> list[str]:
    return list(dict.fromkeys(plan.checks[p].column for p in plan.unique_positions))


def unique_hashes(plan: ValidationPlan, scorecard: Scorecard, table: pa.Table) -> dict[int, np.ndarray]:
    """Pass 1 of global uniqueness: per unique check, its column's value hashes in one partition."""
    from tierline.validation.checks import hashable_values
    from tierline.validation.suite import suite_table

    table = suite_table(table, scorecard)
    return {p: value_hashes(hashable_values(table.column(plan.checks[p].column))) for p in plan.unique_positions
            if plan.checks[p].column in table.column_names}


def value_hashes(values: pa.Array) -> np.ndarray:
    """64-bit hashes of `tierline.validation.checks.hashable_values` (Numba: no per-row Python)."""
    from tierline.kernels.hashing import hash_bytes, hash_words

    if len(values) == 0:
        return np.zeros(0, dtype=np.uint64)
    if pa.types.is_floating(values.type) or pa.types.is_integer(values.type):
        return hash_words(values.to_numpy(zero_copy_only=False).view(np.uint64))
    _, offset_buffer, data = values.buffers()
    large = pa.types.is_large_string(values.type) or pa.types.is_large_binary(values.type)
    offsets = np.frombuffer(offset_buffer, dtype=np.int64 if large else np.int32)
    offsets = offsets[values.offset:values.offset + len(values) + 1].astype(np.int64)
    data = np.frombuffer(data, dtype=np.uint8) if data is not None else np.zeros(0, dtype=np.uint8)
    return hash_bytes(offsets, data)


@dataclass(frozen=True)
class HashSpill:
    """Where pre-pass 1 leaves its hashes: one file per partition, unique check and hash bucket.

    The buckets split the 64-bit hash range into equal parts, so the run finds repeated hashes one
    bucket at a time and holds about `BUCKET_ROWS` hashes at once, however large the register.
    """

    directory: str
    buckets: int

    BUCKET_ROWS = 2_000_000

    @classmethod
    def plan(cls, directory: str, rows: int) -> HashSpill:
        buckets = 1
        while buckets * cls.BUCKET_ROWS < rows:
            buckets *= 2
        return cls(directory, buckets)

    def path(self, partition: int, position: int, what: str) -> str:
        return os.path.join(self.directory, f"p{partition:05d}-c{position:03d}.{what}")

    def write(self, partition: int, hashes: Mapping[int, np.ndarray]) -> None:
        """One partition's hashes grouped by bucket (their top bits, raw uint64), and the edges."""
        from tierline.kernels.hashing import group_by_top_bits

        for position, values in hashes.items():
            grouped, cuts = group_by_top_bits(values, self.buckets.bit_length() - 1)
            grouped.tofile(self.path(partition, position, "hashes"))
            np.save(self.path(partition, position, "cuts"), cuts)

    def open(self, partitions: int, position: int) -> list[tuple[str, np.ndarray]]:
        """Every partition's (hash file, bucket edges) for one unique check."""
        return [(self.path(i, position, "hashes"), np.load(self.path(i, position, "cuts") + ".npy"))
                for i in range(partitions) if os.path.exists(self.path(i, position, "cuts") + ".npy")]

    @staticmethod
    def bucket(opened: list[tuple[str, np.ndarray]], bucket: int) -> np.ndarray:
        """One bucket's hashes from every partition: plain reads of those bytes (a memory map would
        keep every page it touched resident, and peak memory would grow with the register)."""
        pieces = [np.fromfile(path, dtype=np.uint64, count=int(cuts[bucket + 1] - cuts[bucket]),
                              offset=int(cuts[bucket]) * 8) for path, cuts in opened]
        return np.concatenate(pieces) if pieces else np.zeros(0, dtype=np.uint64)


def candidates(plan: ValidationPlan, spill: HashSpill, partitions: int) -> dict[int, np.ndarray]:
    """Per unique check, the hashes seen more than once in the register (checks without any left
    out), sorted; found bucket by bucket from the spilled hashes, buckets in parallel threads (NumPy
    sorts without the GIL)."""
    from concurrent.futures import ThreadPoolExecutor

    from tierline.kernels.hashing import repeated_values

    found = {}
    with ThreadPoolExecutor(max_workers=min(spill.buckets, os.cpu_count() or 1)) as pool:
        for p in plan.unique_positions:
            opened = spill.open(partitions, p)
            found[p] = np.concatenate(list(pool.map(lambda b: repeated_values(HashSpill.bucket(opened, b)),
                                                    range(spill.buckets))))
            del opened
    return {p: c for p, c in found.items() if len(c)}


def candidate_counts(plan: ValidationPlan, scorecard: Scorecard, table: pa.Table,
                     candidate_hashes: Mapping[int, np.ndarray]) -> dict[int, pa.Table]:
    """Pre-pass 2: exact value counts of the rows whose hash is a candidate, in one partition."""
    from tierline.validation.checks import candidate_value_counts, hashable_values
    from tierline.validation.suite import suite_table

    table = suite_table(table, scorecard)
    counts = {}
    for p, repeated in candidate_hashes.items():
        if plan.checks[p].column in table.column_names:
            column = table.column(plan.checks[p].column)
            candidate_rows = np.isin(value_hashes(hashable_values(column)), repeated)
            counts[p] = candidate_value_counts(column, candidate_rows)
    return counts


def duplicated_values(plan: ValidationPlan, counts: Sequence[Mapping[int, pa.Table]]) -> dict[int, pa.Array]:
    """Per unique check, the values that occur more than once in the whole register (exactly)."""
    from tierline.validation.checks import duplicated_values as merge

    return {p: merge([c[p] for c in counts if p in c]) for p in {p for c in counts for p in c}}


def apply_checks(plan: ValidationPlan, scorecard: Scorecard, table: pa.Table, errors: np.ndarray,
                 duplicates: Mapping[int, pa.Array], source: str) -> list[CheckCounts]:
    """Run the checks on one partition, set the failing rows' bits in `errors`, return the counts."""
    from tierline.validation.checks import evaluate as run_checks
    from tierline.validation.suite import suite_table

    view = suite_table(table, scorecard)
    _raise_missing_columns(plan, scorecard, view, source)
    outcomes = _evaluated(scorecard, lambda: run_checks(plan.checks, view, duplicates=duplicates))
    counts = []
    for check, code, bit, outcome in zip(plan.checks, plan.codes, plan.bits, outcomes):
        if check.expectation_type.judges_column and outcome.failed_as_whole:
            raise _column_failure(check, code, view, source)
        if outcome.unexpected_count:
            set_error_rows(errors, bit, outcome.failures)
        counts.append(CheckCounts(outcome.unexpected_count, outcome.nonnull_count, outcome.total_count,
                                  outcome.failed_as_whole))
    return counts


def _raise_missing_columns(plan: ValidationPlan, scorecard: Scorecard, view: pa.Table, source: str) -> None:
    """`expect_column_to_exist` first, in both modes: a check of a column that is not there (or not
    at its index) cannot run, and the existence check says why in the same words everywhere."""
    from tierline.validation.checks import EXIST, column_exists

    for check, code in zip(plan.checks, plan.codes):
        if check.expectation_type == EXIST and not column_exists(check, view.column_names):
            raise _column_failure(check, code, view, source)


def _column_failure(check: CompiledCheck, code: str, view: pa.Table, source: str) -> InputError:
    from tierline.validation.checks import describe_column_failure

    return InputError(f"{source}: {describe_column_failure(check, view)}, so {code} fails for the whole column "
                      f"({check.expectation_type}); the register does not match the suite: fix the column "
                      f"or the expectation")


def _evaluated(scorecard: Scorecard, run: Any) -> Any:
    """`run()`, with a regex check that Python's re cannot finish named against the scorecard."""
    from tierline.validation.checks import RegexTooSlow

    try:
        return run()
    except RegexTooSlow as error:
        raise RegexTooSlow(error.check, error.seconds, source=scorecard.source, re2_could=error.re2_could) from None


def summary(plan: ValidationPlan, counts: Sequence[CheckCounts]) -> tuple[list[dict[str, Any]], list[str]]:
    """The manifest's per-expectation summary, and the codes of `mostly` expectations that failed."""
    from tierline.validation.checks import expectation_success

    rows, failed = [], []
    for check, code, total in zip(plan.checks or (), plan.codes, counts):
        success = expectation_success(check, total.unexpected, total.nonnull, total.total,
                                      failed_as_whole=total.failed_as_whole)
        rows.append({"expectation": check.expectation_type, "column": check.column, "code": code,
                     "mostly": check.mostly, "unexpected": total.unexpected, "nonnull": total.nonnull,
                     "rows": total.total, "success": success})
        if check.mostly < 1.0 and not success:
            failed.append(f"{code} (mostly {check.mostly:g}: {total.unexpected:,} of {total.nonnull:,} fail)")
    return rows, failed


# ------------------------------------------------------------------ --validation gx


def gx_unique_columns_task_values(plan: ValidationPlan, scorecard: Scorecard, table: pa.Table) -> pa.Table:
    """Pre-pass of `gx` uniqueness: the unique columns of one partition, after defaults."""
    from tierline.validation.suite import suite_table

    return suite_table(table, scorecard).select(unique_columns(plan))


def gx_unique_masks(plan: ValidationPlan, pieces: Sequence[pa.Table]) -> dict[int, np.ndarray]:
    """GX's `unique` verdicts over the whole register, one mask over all rows per unique check; none
    for a register of one partition, where GX judges `unique` with the partition's other checks."""
    from tierline.validation.gx import register_unique_masks

    if len(pieces) == 1:
        return {}
    return register_unique_masks(plan.checks, plan.configurations, plan.unique_positions, pieces)


def apply_gx(plan: ValidationPlan, scorecard: Scorecard, table: pa.Table, errors: np.ndarray,
             unique_masks: Mapping[int, np.ndarray], offset: int, source: str) -> list[CheckCounts]:
    """`--validation gx` on one partition: GX's unexpected rows get their bits; returns the counts."""
    from tierline.validation.checks import REGEX, pandas_frame, screen_regex
    from tierline.validation.gx import GxVerdict, validate_frame
    from tierline.validation.suite import suite_table

    view = suite_table(table, scorecard)
    _raise_missing_columns(plan, scorecard, view, source)
    local = [p for p in range(len(plan.codes)) if p not in unique_masks]
    # GX searches with Python's re and no time bound: the same search, bounded, goes first.
    for position in local:
        if plan.checks[position].expectation_type == REGEX:
            _evaluated(scorecard, lambda: screen_regex(plan.checks[position], view))
    frame = pandas_frame(view)
    rows = len(frame)
    verdicts = validate_frame(plan.checks, plan.configurations, local, frame)
    for position, mask in unique_masks.items():
        verdicts[position] = GxVerdict(mask[offset:offset + rows], failed_as_whole=False)
    counts = []
    for position, (check, code, bit) in enumerate(zip(plan.checks, plan.codes, plan.bits)):
        verdict = verdicts[position]
        if verdict.failed_as_whole:
            raise _column_failure(check, code, view, source)
        if verdict.failures.any():
            set_error_rows(errors, bit, verdict.failures)
        nonnull = int(frame[check.column].notna().sum()) if check.column in frame.columns else 0
        counts.append(CheckCounts(int(verdict.failures.sum()), nonnull, rows, False))
    return counts
