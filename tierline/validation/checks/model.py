"""The compiled form of a suite: the expectation types with a check, and the frozen checks and outcomes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from tierline.validation.checks.regex import RegexPlan


class ExpectationType(StrEnum):
    """The GX expectation types with a compiled check (a StrEnum: equal to GX's own type names)."""

    EXIST = "expect_column_to_exist"
    NOT_NULL = "expect_column_values_to_not_be_null"
    BETWEEN = "expect_column_values_to_be_between"
    IN_SET = "expect_column_values_to_be_in_set"
    UNIQUE = "expect_column_values_to_be_unique"
    REGEX = "expect_column_values_to_match_regex"
    IN_TYPE_LIST = "expect_column_values_to_be_in_type_list"
    OF_TYPE = "expect_column_values_to_be_of_type"

    @property
    def judges_column(self) -> bool:
        """GX can fail it on the column itself, listing no row: a missing column (or one at another
        index), a dtype outside the type list. Such a failure says the register does not match the
        suite, so both modes make it an input error (exit 3) instead of quarantining rows."""
        return self in (ExpectationType.EXIST, ExpectationType.IN_TYPE_LIST, ExpectationType.OF_TYPE)

    @property
    def checks_type(self) -> bool:
        return self in (ExpectationType.IN_TYPE_LIST, ExpectationType.OF_TYPE)


EXIST = ExpectationType.EXIST
NOT_NULL = ExpectationType.NOT_NULL
BETWEEN = ExpectationType.BETWEEN
IN_SET = ExpectationType.IN_SET
UNIQUE = ExpectationType.UNIQUE
REGEX = ExpectationType.REGEX
IN_TYPE_LIST = ExpectationType.IN_TYPE_LIST
OF_TYPE = ExpectationType.OF_TYPE

SUPPORTED_EXPECTATIONS = tuple(ExpectationType)


# ---------------------------------------------------------------------------------------------------
# Compiled form


def fallback_code(column: str | None, expectation_type: str) -> str:
    """The error code of an expectation whose meta names none: its column (`table` for none) and
    its type without the `expect_` prefix, e.g. `plant:column_values_to_match_regex`."""
    return f"{'table' if column is None else column}:{expectation_type.removeprefix('expect_')}"


@dataclass(frozen=True)
class CompiledCheck:
    """One expectation, parsed once. `code` is the meta `tierline_code` (`<column>:<check>`) if any."""

    position: int
    expectation_type: ExpectationType
    column: str
    code: str | None
    mostly: float = 1.0
    min_value: Any = None
    max_value: Any = None
    strict_min: bool = False
    strict_max: bool = False
    value_set: tuple[Any, ...] | None = None
    regex: str | None = None
    regex_plan: RegexPlan | None = None
    type_names: tuple[str, ...] | None = None
    column_index: int | None = None
    meta: Mapping[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        """How messages name this check: its tierline code, else type and column."""
        return self.code or f"{self.expectation_type}({self.column})"

    @property
    def error_code(self) -> str:
        """The code a failing row gets in the run's error table: its tierline code, else `fallback_code`."""
        return self.code or fallback_code(self.column, self.expectation_type)


@dataclass(frozen=True)
class CompiledChecks:
    """The compiled suite, in the order the expectations were given."""

    checks: tuple[CompiledCheck, ...]

    def __len__(self) -> int:
        return len(self.checks)

    def __iter__(self):
        return iter(self.checks)

    def __getitem__(self, index: int) -> CompiledCheck:
        return self.checks[index]

    @property
    def columns(self) -> tuple[str, ...]:
        """Every column some check reads, first mention first."""
        return tuple(dict.fromkeys(check.column for check in self.checks))


@dataclass(frozen=True)
class CheckOutcome:
    """One check on one table: the failing rows and the counts `expectation_success` needs.

    `failed_as_whole` is True when the verdict is about the column rather than its rows (a missing
    column, a wrong dtype): GX then fails the expectation whatever `mostly` says. Over partitions, sum
    the counts and OR the flag.
    """

    failures: np.ndarray
    unexpected_count: int
    nonnull_count: int
    total_count: int
    failed_as_whole: bool = False

