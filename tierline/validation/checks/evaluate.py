"""`row_failures` / `evaluate`: every compiled check on one Arrow table; `expectation_success`: GX's
`mostly` rule on counts summed over partitions.

`mostly` (`expectation.py`: `ColumnMapExpectation._validate`, `_mostly_success`): success when
(nonnull - unexpected) / nonnull >= mostly; vacuously true when there are no rows or no non-null
rows. `not_null` divides by all rows instead (`expect_column_values_to_not_be_null.py: _validate`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tierline.validation.checks.column import GxColumn, canonical_values, gx_column, to_mask
from tierline.validation.checks.dtypes import TypeVerdict, pandas_sample, type_verdict
from tierline.validation.checks.model import (
    BETWEEN, EXIST, IN_SET, NOT_NULL, OF_TYPE, REGEX, UNIQUE, CheckOutcome, CompiledCheck, CompiledChecks,
)
from tierline.validation.checks.ranges import between_passes
from tierline.validation.checks.regex import regex_matches, regex_texts
from tierline.validation.checks.sets import in_set_passes
from tierline.validation.checks.unique import is_in_duplicates, local_duplicates


def row_failures(
    compiled: CompiledChecks,
    table: pa.Table,
    *,
    duplicates: Mapping[int, pa.Array] | None = None,
) -> list[np.ndarray]:
    """Per check, a bool array over the table's rows: True where GX would list the row as unexpected.

    `duplicates` maps the position of a `unique` check to the values duplicated in the whole register
    (`duplicated_values`); without it `unique` is judged within `table`, as GX on that table would.
    Column-level failures (missing column for `to_exist`, wrong dtype) mark every row.
    """
    return [outcome.failures for outcome in evaluate(compiled, table, duplicates=duplicates)]


def evaluate(
    compiled: CompiledChecks,
    table: pa.Table,
    *,
    duplicates: Mapping[int, pa.Array] | None = None,
) -> list[CheckOutcome]:
    """`row_failures` with the counts that `expectation_success` needs, per check."""
    duplicates = duplicates or {}
    views: dict[str, tuple[GxColumn, np.ndarray, int]] = {}  # a column's checks share its view
    return [_evaluate_one(check, table, duplicates.get(check.position), views) for check in compiled.checks]


def _evaluate_one(check: CompiledCheck, table: pa.Table, duplicates: pa.Array | None,
                  views: dict[str, tuple[GxColumn, np.ndarray, int]]) -> CheckOutcome:
    rows = table.num_rows
    if check.expectation_type == EXIST:
        present = _column_exists(check, table)
        failures = np.zeros(rows, dtype=bool) if present else np.ones(rows, dtype=bool)
        return CheckOutcome(failures, 0 if present else rows, rows, rows, failed_as_whole=not present)
    if check.column not in views:
        column = gx_column(table, check)
        valid = to_mask(column.valid, rows)
        views[check.column] = column, valid, int(valid.sum())
    column, valid, nonnull = views[check.column]
    if check.expectation_type.checks_type:
        return _type_outcome(type_verdict(check, column), valid, nonnull, rows)
    if check.expectation_type == NOT_NULL:
        failures = ~valid
    else:
        failures = valid & ~to_mask(_row_passes(check, column, duplicates), rows)
    return CheckOutcome(failures, int(failures.sum()), nonnull, rows)


def _type_outcome(verdict: TypeVerdict, valid: np.ndarray, nonnull: int, rows: int) -> CheckOutcome:
    if verdict is TypeVerdict.VALUES_FAIL:
        return CheckOutcome(valid, nonnull, nonnull, rows)
    if verdict is TypeVerdict.COLUMN_FAILS:
        return CheckOutcome(np.ones(rows, dtype=bool), rows, nonnull, rows, failed_as_whole=True)
    return CheckOutcome(np.zeros(rows, dtype=bool), 0, nonnull, rows)  # calloc'd: costs nothing until read


def _column_exists(check: CompiledCheck, table: pa.Table) -> bool:
    return column_exists(check, table.column_names)


def column_exists(check: CompiledCheck, names: Sequence[str]) -> bool:
    """`expect_column_to_exist`'s verdict on a table with these column names, in order."""
    # GX tests `if column_index:`, so index 0 only asks for the name, and Python indexing lets -1 be
    # the last column (expect_column_to_exist.py: _validate).
    if not check.column_index:
        return check.column in names
    try:
        return names[check.column_index] == check.column
    except IndexError:
        return False


def describe_column_failure(check: CompiledCheck, table: pa.Table) -> str:
    """Why a check that judges the column (`ExpectationType.judges_column`) fails it, in words."""
    names = table.column_names
    if check.expectation_type == EXIST:
        if check.column not in names:
            return f"there is no column {check.column!r}"
        return f"column {check.column!r} is at index {names.index(check.column)}, not {check.column_index}"
    dtype = pandas_sample(table.column(check.column)).dtype
    wanted = (f"of type {check.type_names[0]!r}" if check.expectation_type == OF_TYPE
              else f"in {list(check.type_names)}")
    return f"column {check.column!r} reaches pandas as {dtype}, which is not {wanted}"


def _row_passes(check: CompiledCheck, column: GxColumn, duplicates: pa.Array | None):
    kind = check.expectation_type
    if kind == BETWEEN:
        return between_passes(check, column)
    if kind == IN_SET:
        return in_set_passes(check, column)
    if kind == UNIQUE:
        if duplicates is not None and len(duplicates) == 0:  # the register repeats no value
            return np.ones(len(column.values), dtype=bool)
        values = canonical_values(column.values)
        if duplicates is None:
            return ~local_duplicates(values, column.valid)
        return pc.invert(is_in_duplicates(values, duplicates))
    if kind == REGEX:
        return regex_matches(regex_texts(column), check)
    raise AssertionError(kind)



def expectation_success(
    check: CompiledCheck,
    unexpected_count: int,
    nonnull_count: int,
    total_count: int,
    *,
    failed_as_whole: bool = False,
) -> bool:
    """GX's verdict for counts summed over every partition (`CheckOutcome` fields).

    Map checks: vacuously true without rows or non-null rows, else (nonnull - unexpected) / nonnull
    >= mostly, computed in floats as GX does. `not_null` divides by all rows. A column-level failure
    (missing column, wrong dtype) fails whatever `mostly` says; a type check that passed on the dtype,
    or was judged per value (object columns), follows the map rule.
    """
    if failed_as_whole:
        return False
    if check.expectation_type == EXIST:
        return unexpected_count == 0
    if check.expectation_type == NOT_NULL:
        if total_count == 0:
            return True
        return (total_count - unexpected_count) / total_count >= check.mostly
    if total_count == 0 or nonnull_count == 0:
        return True
    considered = float(nonnull_count)
    return (considered - float(unexpected_count)) / considered >= check.mostly
