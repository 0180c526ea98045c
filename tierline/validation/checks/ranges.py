"""`between` (`column_values_between.py`): `min <= x <= max` with `strict_*` turning `<=` into `<`.

A missing bound is unbounded; ±inf compare as numbers (inf passes `max_value: inf`). int64 columns
are compared in float64 (NumPy's promotion: 2**53 + 1 <= 2**53.0); other integer widths, bools (as
0/1) and float32 compare exactly. Dates need date bounds and timestamps datetime bounds of the same
tz-awareness; anything else raises in GX and raises `InputError` here.
"""

from __future__ import annotations

import datetime as _dt
import math
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tierline.errors import InputError
from tierline.validation.checks.column import GxColumn

if TYPE_CHECKING:
    from tierline.validation.checks.model import CompiledCheck


def between_passes(check: CompiledCheck, column: GxColumn):
    values = column.values
    kind = values.type
    if pa.types.is_date(kind):
        accepted = lambda b: isinstance(b, _dt.date) and not isinstance(b, _dt.datetime)  # noqa: E731
        if _bounds_accepted(check, column, accepted):
            return _compare_scalars(check, values.cast(pa.date32()), lambda b: pa.scalar(b, pa.date32()))
    elif pa.types.is_timestamp(kind):
        aware = kind.tz is not None
        accepted = lambda b: isinstance(b, _dt.datetime) and (b.tzinfo is not None) == aware  # noqa: E731
        if _bounds_accepted(check, column, accepted):
            return _between_timestamps(check, values)
    elif pa.types.is_boolean(kind) or pa.types.is_floating(kind) or pa.types.is_integer(kind):
        accepted = lambda b: isinstance(b, (int, float)) and not isinstance(b, bool)  # noqa: E731
        if _bounds_accepted(check, column, accepted):
            if pa.types.is_integer(kind) and not column.float_compare:
                return _between_integers(check, values)
            as_float = values.cast(pa.float64(), safe=False)  # exact for bool, float16/32; NumPy's rounding for int64
            return _compare_scalars(check, as_float, lambda b: pa.scalar(float(b), pa.float64()))
    else:
        _bounds_accepted(check, column, lambda b: False)  # text, categories, nested: raises if compared
    return pc.is_valid(values)  # bounds of the wrong kind, but no value to compare them with


def _bounds_accepted(check: CompiledCheck, column: GxColumn, accepted) -> bool:
    """True if every bound suits the column; False if one does not but GX would never compare it.

    GX compares value by value (and so raises only on a first non-null value), except on
    datetime64[ns] and tz-aware columns, where pandas refuses the bound's type outright.
    """
    bounds = [b for b in (check.min_value, check.max_value) if b is not None]
    wrong = [b for b in bounds if not accepted(b)]
    if not wrong:
        return True
    kind = column.values.type
    refused_by_dtype = pa.types.is_timestamp(kind) and (kind.unit == "ns" or kind.tz is not None)
    if refused_by_dtype or pc.any(column.valid, min_count=0).as_py():
        raise InputError(
            f"check {check.name}: column {check.column!r} of type {kind} cannot be compared with "
            f"bound {wrong[0]!r} (Great Expectations raises on it too)"
        )
    return False


def _compare_scalars(check: CompiledCheck, comparable, to_scalar):
    passes = None
    if check.min_value is not None:
        low = to_scalar(check.min_value)
        passes = pc.greater(comparable, low) if check.strict_min else pc.greater_equal(comparable, low)
    if check.max_value is not None:
        high = to_scalar(check.max_value)
        upper = pc.less(comparable, high) if check.strict_max else pc.less_equal(comparable, high)
        passes = upper if passes is None else pc.and_(passes, upper)
    return passes


def _between_timestamps(check: CompiledCheck, values: pa.ChunkedArray):
    # Python datetimes carry microseconds: compare in microseconds, or in nanoseconds for ns columns.
    unit = "ns" if values.type.unit == "ns" else "us"
    kind = pa.timestamp(unit, tz=values.type.tz)
    return _compare_scalars(check, values.cast(kind), lambda b: pa.scalar(b, kind))


def _between_integers(check: CompiledCheck, values: pa.ChunkedArray):
    """Exact integer against float bound: x >= b ⇔ x >= ceil(b), x > b ⇔ x >= floor(b) + 1, etc."""
    info = np.iinfo(values.type.to_pandas_dtype())
    passes = None

    def at_least(lowest: int):
        if lowest <= info.min:
            return None  # every value
        if lowest > info.max:
            return pc.less(values, pa.scalar(info.min, values.type))  # no value
        return pc.greater_equal(values, pa.scalar(lowest, values.type))

    def at_most(highest: int):
        if highest >= info.max:
            return None
        if highest < info.min:
            return pc.less(values, pa.scalar(info.min, values.type))
        return pc.less_equal(values, pa.scalar(highest, values.type))

    if check.min_value is not None:
        low = float(check.min_value)
        if low == math.inf:
            lowest = info.max + 1
        elif low == -math.inf:
            lowest = info.min
        else:
            lowest = math.floor(low) + 1 if check.strict_min else math.ceil(low)
        passes = at_least(lowest)
    if check.max_value is not None:
        high = float(check.max_value)
        if high == -math.inf:
            highest = info.min - 1
        elif high == math.inf:
            highest = info.max
        else:
            highest = math.ceil(high) - 1 if check.strict_max else math.floor(high)
        upper = at_most(highest)
        passes = upper if passes is None else (passes if upper is None else pc.and_(passes, upper))
    if passes is None:
        return pc.is_valid(values)
    return passes

