"""`--validation fast`: the scorecard's GX suite as compiled row checks inside each task (SPEC §5).

Made once per run: the suite's expectation configurations (plain data for the generated ones; the
scorecard's extra suite through GX), compiled by `expectations.checks`, and the bit each check's
error code takes in the run's error table, shared with the kernels' own codes. Per partition the
checks run on the data after defaults (`expectations.suite.suite_table`), and every failing row
gets its check's bit, so one quarantine holds every code. Uniqueness is global: a pre-pass counts
each unique column's values in every partition, and the duplicated values travel to the tasks.

Policy: rows failing any check are quarantined; the run as a whole fails (exit 1) when the invalid
fraction exceeds --max-invalid-fraction or an expectation that sets `mostly` below 1 falls under it.
An expectation without `mostly` only quarantines rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Mapping, Sequence

import numpy as np
import pyarrow as pa

from pipeline.compile import Compiled
from schemas.errors import InputError
from schemas.model import Scorecard

COLUMN_LEVEL = ("missing", "type")  # a failure of the whole column is an input error (exit 3)


@dataclass(frozen=True)
class ValidationPlan:
    mode: str
    checks: Any = None  # expectations.checks.CompiledChecks, or None when validation is off
    codes: tuple[str, ...] = ()  # the error code of each check
    bits: tuple[int, ...] = ()  # each check's bit in the run's error table
    unique_positions: tuple[int, ...] = ()

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


def _configurations(scorecard: Scorecard) -> list[dict[str, Any]]:
    from expectations.suite import input_expectations

    if scorecard.expectations is None:
        return [c for spec in scorecard.inputs for c in input_expectations(spec, scorecard.key)]
    from expectations.suite import suite_for  # the extra suite is validated and merged through GX

    return list(suite_for(scorecard).to_json_dict()["expectations"])


def _code(check: Any) -> str:
    return check.code or f"{check.column}:{check.expectation_type.removeprefix('expect_')}"


def plan_validation(compiled: Compiled, mode: str) -> tuple[ValidationPlan, Compiled]:
    """The checks of `mode`, and `compiled` with their codes appended to its error table."""
    if mode == "off":
        return ValidationPlan(mode), compiled
    from expectations.checks import UNIQUE, compile_checks

    checks = compile_checks(_configurations(compiled.scorecard))
    codes = tuple(_code(check) for check in checks)
    error_codes = list(compiled.error_codes)
    for code in codes:
        if code not in error_codes:
            error_codes.append(code)
    compiled = replace(compiled, error_codes=tuple(error_codes))
    plan = ValidationPlan(
        mode=mode, checks=checks, codes=codes, bits=tuple(error_codes.index(code) for code in codes),
        unique_positions=tuple(check.position for check in checks if check.expectation_type == UNIQUE),
    )
    return plan, compiled


def unique_columns(plan: ValidationPlan) -> list[str]:
    return list(dict.fromkeys(plan.checks[p].column for p in plan.unique_positions))


def count_unique_values(plan: ValidationPlan, scorecard: Scorecard, table: pa.Table) -> dict[int, pa.Table]:
    """Per unique check, the value counts of its column (after defaults) in one partition."""
    from expectations.checks import value_counts
    from expectations.suite import suite_table

    table = suite_table(table, scorecard)
    return {p: value_counts(table.column(plan.checks[p].column)) for p in plan.unique_positions
            if plan.checks[p].column in table.column_names}


def duplicated_values(plan: ValidationPlan, counts: Sequence[Mapping[int, pa.Table]]) -> dict[int, pa.Array]:
    """Per unique check, the values that occur more than once in the whole register."""
    from expectations.checks import duplicated_values as merge

    return {p: merge([c[p] for c in counts if p in c]) for p in plan.unique_positions}


def apply_checks(plan: ValidationPlan, scorecard: Scorecard, table: pa.Table, errors: np.ndarray,
                 duplicates: Mapping[int, pa.Array], source: str) -> list[CheckCounts]:
    """Run the checks on one partition, set the failing rows' bits in `errors`, return the counts."""
    from expectations.checks import evaluate as run_checks
    from expectations.suite import suite_table

    outcomes = run_checks(plan.checks, suite_table(table, scorecard), duplicates=duplicates)
    counts = []
    for check, code, bit, outcome in zip(plan.checks, plan.codes, plan.bits, outcomes):
        if outcome.failed_as_whole and code.rsplit(":", 1)[-1] in COLUMN_LEVEL:
            raise InputError(f"{source}: column {check.column!r} fails {code} "
                             f"({check.expectation_type}); the register does not match the suite")
        if outcome.unexpected_count:
            errors[bit >> 6] |= outcome.failures.astype(np.uint64) << np.uint64(bit & 63)
        counts.append(CheckCounts(outcome.unexpected_count, outcome.nonnull_count, outcome.total_count,
                                  outcome.failed_as_whole))
    return counts


def summary(plan: ValidationPlan, counts: Sequence[CheckCounts]) -> tuple[list[dict[str, Any]], list[str]]:
    """The manifest's per-expectation summary, and the codes of `mostly` expectations that failed."""
    from expectations.checks import expectation_success

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
