"""`tierline.validation.checks.unique`: the validation side of register-wide `unique`, the phases a run
uses (hashable values → candidate counts → duplicated values → `evaluate` with `duplicates`)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from tierline.validation.checks import (
    candidate_value_counts, compile_checks, duplicated_values, evaluate, hashable_values, value_counts,
)

UNIQUE = [{"type": "expect_column_values_to_be_unique", "kwargs": {"column": "k"}, "meta": {}}]


def test_hashable_values_are_the_non_null_values_in_one_type_per_kind() -> None:
    assert hashable_values(pa.array([5, None, 7], pa.int32())).to_pylist() == [5.0, 7.0]
    assert hashable_values(pa.array([-0.0, float("nan")])).to_pylist() == [0.0]  # NaN is null; -0.0 is 0.0
    assert hashable_values(pa.array([True, None, False])).type == pa.int64()
    assert hashable_values(pa.array(["a", None])).to_pylist() == ["a"]


def test_candidate_counts_count_only_the_candidate_rows() -> None:
    keys = pa.array(["a", None, "b", "a"])
    counts = candidate_value_counts(keys, np.array([True, False, True]))  # over the non-null rows
    assert counts.to_pylist() == [{"value": "a", "count": 2}]


def test_duplicates_found_anywhere_fail_every_copy_and_no_duplicates_fail_nothing() -> None:
    first, second = pa.table({"k": ["a", "b"]}), pa.table({"k": ["b", None, "c"]})
    duplicated = duplicated_values([value_counts(first.column("k")), value_counts(second.column("k"))])
    checks = compile_checks(UNIQUE)
    assert evaluate(checks, first, duplicates={0: duplicated})[0].failures.tolist() == [False, True]
    [outcome] = evaluate(checks, second, duplicates={0: duplicated})
    assert outcome.failures.tolist() == [True, False, False]
    assert (outcome.unexpected_count, outcome.nonnull_count, outcome.total_count) == (1, 2, 3)
    nothing = pa.array([], pa.null())  # how a run says "the register repeats no value"
    assert not evaluate(checks, pa.table({"k": ["a", "a"]}), duplicates={0: nothing})[0].failures.any()


def test_without_duplicates_unique_is_judged_within_the_table() -> None:
    [outcome] = evaluate(compile_checks(UNIQUE), pa.table({"k": [1.0, None, 1.0, 2.0]}))
    assert outcome.failures.tolist() == [True, False, True, False]
