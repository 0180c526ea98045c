"""The fused scoring kernel on pre-encoded arrays, single thread (issue target: 250M rows/s per core).

`score_partition` is what a Dask task calls (through `tierline.pipeline.encode.evaluate`) after encoding;
here it runs on the whole register's value matrix at once, one thread, so rows/s is per core. The
stages behind it are benchmarked too, each over the whole range instead of the kernel's 2,048-row
blocks (so their sum is not exactly the fused time): the bucketing of the five components (map,
bands, value), the weighted sum, the override's expression program, the levels, the
reasons. And the step before the kernel: encoding the Arrow table into the value matrix.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from tierline.kernels.expressions import run_program
from tierline.kernels.scoring import _axes, _combine, _components, _reasons, score_partition
from tierline.pipeline.encode import NO_LIMITS, NO_POPULATION, encode_inputs


@dataclass
class KernelArrays:
    """The arrays `score_partition` reads and writes, allocated as `tierline.pipeline.encode.evaluate` does."""

    values: np.ndarray
    points: np.ndarray
    tier: np.ndarray
    override: np.ndarray
    reasons: np.ndarray
    errors: np.ndarray
    from_score: np.ndarray

    def score(self, plan) -> None:  # noqa: ANN001
        score_partition(plan, self.values, self.points, self.tier, self.override, self.reasons, self.errors,
                        NO_POPULATION, NO_LIMITS)


@pytest.fixture
def arrays(compiled, encoded) -> KernelArrays:
    n = encoded.shape[1]
    return KernelArrays(
        values=encoded.copy(),
        points=np.empty((len(compiled.scorecard.components), n)),
        tier=np.empty(n, dtype=np.int16),
        override=np.empty(n, dtype=np.int16),
        reasons=np.empty((int(compiled.plan.reason_count), n), dtype=np.int16),  # `reasons: {count}`
        errors=np.zeros((compiled.n_error_words, n), dtype=np.uint64),
        from_score=np.zeros(n, dtype=np.bool_),
    )


@pytest.fixture
def scored(compiled, arrays) -> KernelArrays:
    """`arrays` after one fused pass: the state each stage reads from the stages before it."""
    arrays.score(compiled.plan)
    arrays.from_score[:] = (arrays.tier >= 0) & (arrays.override < 0)
    return arrays


def test_score_partition(benchmark, record_rows, compiled, arrays, rows):
    plan = compiled.plan
    arrays.score(plan)  # compiled (or loaded from the cache) before the clock starts
    benchmark(arrays.score, plan)
    record_rows(benchmark, rows, per_core=True)
    assert np.isin(arrays.tier, [-1, 0, 1, 2]).all()
    assert ((arrays.tier >= 0) | (arrays.errors != 0).any(axis=0)).all()  # a row without a tier has an error


def test_components(benchmark, record_rows, compiled, scored, rows):
    """Bucketing: map lookups, bands and the value component, five inputs."""
    benchmark(_components, compiled.plan, scored.values, scored.points, scored.errors, 0, rows)
    record_rows(benchmark, rows, per_core=True)


def test_weighted_sum(benchmark, record_rows, compiled, scored, rows):
    benchmark(_combine, compiled.plan, scored.values, scored.points, 0, rows)
    record_rows(benchmark, rows, per_core=True)


def test_override_expression(benchmark, record_rows, compiled, scored, rows):
    """The expression evaluator on the override's condition (`direct_designation`)."""
    plan = compiled.plan
    stack = np.empty((max(int(plan.stack_depth), 1), rows))
    condition = np.empty(rows)
    benchmark(run_program, plan.program_start, plan.code, plan.code_arg, plan.code_const, plan.set_values,
              plan.override_program[0], scored.values, 0, rows, stack, condition)
    record_rows(benchmark, rows, per_core=True)
    assert ((condition == 1.0) == (scored.override == 0)).all()


def test_levels(benchmark, record_rows, compiled, scored, rows):
    """Tiering by levels of the score; overridden rows keep their tier, as in the fused pass."""
    after_overrides = np.where(scored.override >= 0, scored.tier, -1).astype(np.int16)
    expected = scored.tier.copy()

    def reset():
        np.copyto(scored.tier, after_overrides)
        return (compiled.plan, scored.values, scored.tier, scored.errors, scored.from_score, 0, rows), {}

    benchmark.pedantic(_axes, setup=reset, rounds=20)
    record_rows(benchmark, rows, per_core=True)
    assert (scored.tier == expected).all()


def test_reasons(benchmark, record_rows, compiled, scored, rows):
    expected = scored.reasons.copy()
    benchmark(_reasons, compiled.plan, scored.points, scored.tier, scored.from_score, scored.reasons, 0, rows)
    record_rows(benchmark, rows, per_core=True)
    assert (scored.reasons == expected).all()


def test_encode_inputs(benchmark, record_rows, compiled, register_table, rows):
    """Arrow columns → the value matrix (text codes, bools, floats with NaN for null, defaults)."""
    values = benchmark(encode_inputs, compiled, register_table)
    record_rows(benchmark, rows, per_core=False)  # Arrow compute may use its thread pool
    assert values.shape == (int(compiled.plan.n_slots), rows)
