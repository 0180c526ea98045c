"""Compiled row checks that give Great Expectations' verdicts without running GX (SPEC §5, `--validation fast`).

`compile_checks` turns expectation configurations (the entries of `suite.to_json_dict()["expectations"]`)
into plain, frozen checks once; `row_failures` then evaluates them on an Arrow table with Arrow compute
and NumPy, and answers per expectation a mask that is True exactly where GX would list the row in
`unexpected_index_list`. `expectation_success` applies GX's `mostly` rule to counts summed over any
number of partitions; `hashable_values` → `candidate_value_counts` → `duplicated_values` are the
validation side of `unique` over the whole register (the pipeline hashes in between).

The reference is GX 1.x's pandas engine validating `pandas_frame(table)`: pyarrow's default
`to_pandas()`, with text as object dtype (as in GX's own test definitions; GX has no type name for
pandas 3's `str` dtype). Each rule is quoted from the installed GX source in the module that
reproduces it, and pinned by tests/unit/validation/test_checks.py, which runs GX itself on the same data
(the GX internals these rules restate: `tierline.validation.gx_internals`):

    model      the expectation types with a check, `CompiledCheck`, `CheckOutcome`
    compile    `compile_checks`: kwargs as GX's own pydantic model parses them
    column     the column as GX's pandas frame holds it (nulls, NaN, ints with a null as float64)
    ranges     `between`
    sets       `in_set`
    regex      `regex`: Python's `re` meaning, RE2 where it provably agrees, a time bound otherwise
    dtypes     `in_type_list` / `of_type`
    unique     `unique`, within a table and over a register
    evaluate   `row_failures` / `evaluate`, `not_null`, `to_exist`, and the `mostly` rule
"""

from __future__ import annotations

from tierline.validation.checks.column import pandas_frame
from tierline.validation.checks.compile import compile_checks, compile_generated_checks
from tierline.validation.checks.dtypes import TypeVerdict, native_type_type_map
from tierline.validation.checks.evaluate import (
    column_exists, describe_column_failure, evaluate, expectation_success, row_failures,
)
from tierline.validation.checks.model import (
    BETWEEN, EXIST, IN_SET, IN_TYPE_LIST, NOT_NULL, OF_TYPE, REGEX, SUPPORTED_EXPECTATIONS, UNIQUE, CheckOutcome,
    CompiledCheck, CompiledChecks, ExpectationType, fallback_code,
)
from tierline.validation.checks.regex import RegexEngine, RegexPlan, RegexTooSlow, screen_regex
from tierline.validation.checks.unique import (
    candidate_value_counts, duplicated_values, hashable_values, merge_value_counts, value_counts,
)

__all__ = [
    "fallback_code",
    "BETWEEN",
    "CheckOutcome",
    "CompiledCheck",
    "CompiledChecks",
    "EXIST",
    "ExpectationType",
    "IN_SET",
    "IN_TYPE_LIST",
    "NOT_NULL",
    "OF_TYPE",
    "REGEX",
    "RegexEngine",
    "RegexPlan",
    "RegexTooSlow",
    "SUPPORTED_EXPECTATIONS",
    "TypeVerdict",
    "UNIQUE",
    "candidate_value_counts",
    "column_exists",
    "compile_checks",
    "compile_generated_checks",
    "describe_column_failure",
    "duplicated_values",
    "evaluate",
    "expectation_success",
    "hashable_values",
    "merge_value_counts",
    "native_type_type_map",
    "pandas_frame",
    "row_failures",
    "screen_regex",
    "value_counts",
]
