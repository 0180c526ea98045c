"""Arrow columns → the kernels' value matrix (see `pipeline.compile` for the encoding).

Vectorised Arrow compute and NumPy only: no per-row Python. Numbers become float64 with NaN for
null; text becomes its code in the slot's vocabulary (-1 when outside it); bools 0/1; dates and
timestamps seconds since the epoch. A declared `default` replaces nulls before anything else.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipeline.compile import Compiled, InputSlot

SECONDS_PER_DAY = 86400.0


def _float_values(column: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """float64 NumPy values with NaN for null (NaN in the data is null too: SPEC §2.1)."""
    as_float = pc.cast(column, pa.float64(), safe=False)
    if isinstance(as_float, pa.ChunkedArray):
        as_float = as_float.combine_chunks() if as_float.num_chunks != 1 else as_float.chunk(0)
    if as_float.null_count == 0:
        return as_float.to_numpy(zero_copy_only=False)
    return pc.fill_null(as_float, np.nan).to_numpy(zero_copy_only=False)


def _decoded(column: pa.ChunkedArray) -> pa.ChunkedArray:
    if pa.types.is_dictionary(column.type):
        return column.cast(column.type.value_type)
    return column


def encode_column(slot: InputSlot, column: pa.ChunkedArray) -> np.ndarray:
    column = _decoded(column)
    if slot.vocabulary is not None:
        value_type = column.type
        if pa.types.is_large_string(value_type) or pa.types.is_string_view(value_type):
            column = column.cast(pa.string())
            value_type = pa.string()
        value_set = pa.array(list(slot.vocabulary), type=value_type)
        codes = _float_values(pc.index_in(column, value_set=value_set))
        present = np.asarray(column.is_valid())
        encoded = np.where(np.isnan(codes) & present, -1.0, codes)
    elif pa.types.is_date(column.type):
        days = _float_values(column.cast(pa.date32()).cast(pa.int32()))
        encoded = days * SECONDS_PER_DAY
    elif pa.types.is_timestamp(column.type):
        micros = _float_values(column.cast(pa.timestamp("us", tz=column.type.tz)).cast(pa.int64()))
        encoded = micros / 1e6
    elif pa.types.is_boolean(column.type):
        encoded = _float_values(column.cast(pa.uint8()))
    else:
        encoded = _float_values(column)
    if not np.isnan(slot.default):
        encoded = np.where(np.isnan(encoded), slot.default, encoded)
    return encoded


def encode_inputs(compiled: Compiled, table: pa.Table) -> np.ndarray:
    """The value matrix (slots × rows) with every input slot filled; other slots are NaN."""
    values = np.full((int(compiled.plan.n_slots), table.num_rows), np.nan)
    for slot in compiled.input_slots:
        values[slot.slot] = encode_column(slot, table.column(slot.name))
    return values


@dataclass
class Evaluation:
    """The kernels' results for one table; see `kernels.scoring` for each array."""

    values: np.ndarray
    points: np.ndarray
    tier: np.ndarray
    override: np.ndarray
    reasons: np.ndarray
    errors: np.ndarray

    @property
    def invalid(self) -> np.ndarray:
        return np.any(self.errors != 0, axis=0)


NO_POPULATION = np.zeros(0)
NO_LIMITS = np.zeros(0, dtype=np.int64)


def evaluate(compiled: Compiled, table: pa.Table, population: np.ndarray | None = None,
             limits: np.ndarray | None = None) -> Evaluation:
    """Encode a table and run the fused scoring kernel over it (quantile tiers need the register's
    sorted valid values and rank limits; without them those rows get no tier yet)."""
    return run_kernel(compiled, encode_inputs(compiled, table), population=population, limits=limits)


def run_kernel(compiled: Compiled, values: np.ndarray, override: np.ndarray | None = None,
               population: np.ndarray | None = None, limits: np.ndarray | None = None) -> Evaluation:
    """The fused kernel over an encoded value matrix (slots × rows). `override` is read only by a
    plan with `given_scores` (aggregated entities), which also finds their scores in `values`."""
    from kernels.scoring import score_partition

    n = values.shape[1]
    evaluation = Evaluation(
        values=values,
        points=np.empty((len(compiled.scorecard.components), n)),
        tier=np.empty(n, dtype=np.int16),
        override=np.empty(n, dtype=np.int16) if override is None else override.astype(np.int16),
        reasons=np.empty((3, n), dtype=np.int16),
        errors=np.zeros((compiled.n_error_words, n), dtype=np.uint64),
    )
    score_partition(compiled.plan, values, evaluation.points, evaluation.tier, evaluation.override,
                    evaluation.reasons, evaluation.errors,
                    NO_POPULATION if population is None else population, NO_LIMITS if limits is None else limits)
    return evaluation


def tier_values(compiled: Compiled, evaluation: Evaluation) -> np.ndarray:
    """The values a quantile tiering ranks, of the rows that count: valid, and with a value."""
    slot = int(compiled.plan.axis_slot[0])
    by = evaluation.values[slot]
    return by[~evaluation.invalid & ~np.isnan(by)]
