"""Arrow columns → the kernels' value matrix (see `tierline.compiler` for the encoding).

Vectorised Arrow compute and NumPy only: no per-row Python. Numbers become float64 with NaN for
null; text becomes its code in the slot's vocabulary (-1 when outside it); bools 0/1; dates and
timestamps seconds since the epoch (a timestamp's whole microseconds / 10⁶; a tz-aware one is its
UTC instant, a naive one is read as UTC, a date is its midnight UTC). A declared `default`
replaces nulls before anything else.

Nothing is rounded silently: a value the slot cannot hold exactly is a "cannot score" fact, like
`out_of_bands`, and its row gets `<column>:type` in every validation mode (the error code SPEC §4
lists for a value of the wrong type): an integer beyond ±2⁵³ (float64 holds every integer up to
there, not beyond), a timestamp with a part below the microsecond (`timestamp[ns]`, pandas'
default unit), a timestamp of milliseconds too far out for int64 microseconds. Such a row keeps
the nearest value it has, so it earns no other code by the encoding, and is quarantined.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tierline.compiler import Compiled, InputSlot
from tierline.kernels.errorbits import code_mask, rows_with_error, set_error_rows, word_of

SECONDS_PER_DAY = 86400.0
MAX_EXACT_INTEGER = 2**53  # float64 holds every integer of at most this magnitude
MICROSECONDS_PER_TICK = {"s": 10**6, "ms": 10**3, "us": 1}  # `ns`: a thousand ticks a microsecond


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


def _mask(condition: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """A boolean Arrow result as NumPy, nulls False."""
    filled = pc.fill_null(condition, False)
    if isinstance(filled, pa.ChunkedArray):
        filled = filled.combine_chunks()
    return filled.to_numpy(zero_copy_only=False)


def _ticks(column: pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray]:
    """Where a temporal column has a value, and its raw int64 ticks (0 where null)."""
    ticks = column.cast(pa.int64())
    return _mask(pc.is_valid(ticks)), pc.fill_null(ticks, 0).combine_chunks().to_numpy(zero_copy_only=False)


def _timestamp_seconds(column: pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray]:
    """Seconds since the epoch of whole microseconds, and the rows whose value has no exact
    microsecond count (a part below it, or too far out for int64 microseconds)."""
    valid, ticks = _ticks(column)
    unit = column.type.unit
    if unit == "ns":
        inexact = valid & (ticks % 1000 != 0)
        micros = ticks // 1000
    else:
        factor = MICROSECONDS_PER_TICK[unit]
        limit = np.iinfo(np.int64).max // factor
        inexact = valid & ((ticks > limit) | (ticks < -limit))
        micros = np.where(inexact, 0, ticks) * factor
    return np.where(valid, micros / 1e6, np.nan), inexact


def _beyond_exact_integers(column: pa.ChunkedArray) -> np.ndarray | None:
    """Rows of an integer column whose value float64 may not hold exactly (None: no row can)."""
    kind = column.type
    if not pa.types.is_integer(kind) or kind.bit_width < 64:
        return None
    beyond = pc.greater(column, pa.scalar(MAX_EXACT_INTEGER, kind))
    if pa.types.is_signed_integer(kind):
        beyond = pc.or_(beyond, pc.less(column, pa.scalar(-MAX_EXACT_INTEGER, kind)))
    return _mask(beyond)


def encode_column(slot: InputSlot, column: pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray | None]:
    """The slot's values, and the rows whose value it cannot hold exactly (None: no such row)."""
    column = _decoded(column)
    inexact = None
    if slot.vocabulary is not None:
        value_type = column.type
        if pa.types.is_large_string(value_type) or pa.types.is_string_view(value_type):
            column = column.cast(pa.string())
            value_type = pa.string()
        value_set = pa.array(list(slot.vocabulary), type=value_type)
        codes = _float_values(pc.index_in(column, value_set=value_set))
        present = np.asarray(column.is_valid())
        encoded = np.where(np.isnan(codes) & present, -1.0, codes)
    elif pa.types.is_date(column.type):  # Parquet dates are whole days (date32)
        encoded = _float_values(column.cast(pa.date32()).cast(pa.int32())) * SECONDS_PER_DAY
    elif pa.types.is_timestamp(column.type):
        encoded, inexact = _timestamp_seconds(column)
    elif pa.types.is_boolean(column.type):
        encoded = _float_values(column.cast(pa.uint8()))
    else:
        encoded = _float_values(column)
        inexact = _beyond_exact_integers(column)
    if not np.isnan(slot.default):
        encoded = np.where(np.isnan(encoded), slot.default, encoded)
    if inexact is not None and not inexact.any():
        inexact = None
    return encoded, inexact


@dataclass(frozen=True)
class EncodedInputs:
    """The value matrix (slots × rows), and per input slot with inexact rows its `<column>:type`
    error bit and those rows."""

    values: np.ndarray
    inexact: tuple[tuple[int, np.ndarray], ...] = ()


def encode(compiled: Compiled, table: pa.Table) -> EncodedInputs:
    values = np.full((int(compiled.plan.n_slots), table.num_rows), np.nan)
    inexact = []
    for slot in compiled.input_slots:
        values[slot.slot], rows = encode_column(slot, table.column(slot.name))
        if rows is not None:
            assert slot.type_error >= 0, f"{slot.name}: a {slot.type} slot without a type error code"
            inexact.append((slot.type_error, rows))
    return EncodedInputs(values, tuple(inexact))


def encode_inputs(compiled: Compiled, table: pa.Table) -> np.ndarray:
    """The value matrix (slots × rows) with every input slot filled; other slots are NaN."""
    return encode(compiled, table).values


@dataclass
class Evaluation:
    """The kernels' results for one table; see `tierline.kernels.scoring` for each array."""

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
    sorted valid values and rank limits; without them those rows get no tier yet). Rows holding a
    value the kernels cannot hold exactly get `<column>:type`."""
    encoded = encode(compiled, table)
    evaluation = run_kernel(compiled, encoded.values, population=population, limits=limits)
    for bit, rows in encoded.inexact:
        set_error_rows(evaluation.errors, bit, rows)
    if encoded.inexact:
        drop_no_rule_of_invalid_rows(compiled.error_codes, evaluation.errors)
    return evaluation


def run_kernel(compiled: Compiled, values: np.ndarray, override: np.ndarray | None = None,
               population: np.ndarray | None = None, limits: np.ndarray | None = None) -> Evaluation:
    """The fused kernel over an encoded value matrix (slots × rows). `override` is read only by a
    plan with `given_scores` (aggregated entities), which also finds their scores in `values`."""
    from tierline.kernels.scoring import score_partition

    n = values.shape[1]
    evaluation = Evaluation(
        values=values,
        points=np.empty((len(compiled.scorecard.components), n)),
        tier=np.empty(n, dtype=np.int16),
        override=np.empty(n, dtype=np.int16) if override is None else override.astype(np.int16),
        reasons=np.empty((int(compiled.plan.reason_count), n), dtype=np.int16),
        errors=np.zeros((compiled.n_error_words, n), dtype=np.uint64),
    )
    score_partition(compiled.plan, values, evaluation.points, evaluation.tier, evaluation.override,
                    evaluation.reasons, evaluation.errors,
                    NO_POPULATION if population is None else population, NO_LIMITS if limits is None else limits)
    return evaluation


def drop_no_rule_of_invalid_rows(error_codes: Sequence[str], errors: np.ndarray) -> None:
    """`tier:no_rule` only for rows with no other error: a row the suite rejects (a null or unknown
    value the rules test), or whose value the kernels could not hold, matches no rule for that
    reason, and the kernel, which runs before both are known, could not tell."""
    if "tier:no_rule" not in error_codes:
        return
    code = error_codes.index("tier:no_rule")
    word, bit = word_of(code), code_mask(code)
    flagged = rows_with_error(errors, code)
    if not flagged.any():
        return
    others = errors.copy()
    others[word] &= ~bit
    errors[word, flagged & np.any(others != 0, axis=0)] &= ~bit


def tier_values(compiled: Compiled, evaluation: Evaluation) -> np.ndarray:
    """The values a quantile tiering ranks, of the rows that count: valid, and with a value."""
    slot = int(compiled.plan.axis_slot[0])
    by = evaluation.values[slot]
    return by[~evaluation.invalid & ~np.isnan(by)]
