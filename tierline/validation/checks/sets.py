"""`in_set` (`column_values_in_set.py`, pandas `isin`): exact mathematical equality (1 == 1.0 ==
True, -0.0 == 0.0); strings only equal strings; an empty set fails every non-null row."""

from __future__ import annotations

import datetime as _dt
import math
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tierline.errors import InputError
from tierline.validation.checks.column import GxColumn, canonical_values

if TYPE_CHECKING:
    from tierline.validation.checks.model import CompiledCheck


def in_set_passes(check: CompiledCheck, column: GxColumn):
    if check.value_set is None:
        return pc.is_valid(column.values)  # GX: "vacuously true"
    values = canonical_values(column.values)
    members = _members_for(check, values.type)
    if members is None or len(members) == 0:
        return pc.is_null(values)
    return pc.is_in(values, value_set=members)


def _members_for(check: CompiledCheck, kind: pa.DataType) -> pa.Array | None:
    """The value-set members that can equal a value of `kind` (pandas `isin`: exact equality)."""
    members = check.value_set
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return pa.array([m for m in members if isinstance(m, str)], kind)
    if pa.types.is_boolean(kind):
        # True == 1 == 1.0 and False == 0 in Python and in pandas' hash tables.
        truth = [bool(m) for m in members if _is_number(m) and m in (0, 1)]
        return pa.array(truth, pa.bool_())
    if pa.types.is_integer(kind):
        info = np.iinfo(kind.to_pandas_dtype())
        wanted = [int(m) for m in members if _is_number(m) and _is_integral(m) and info.min <= int(m) <= info.max]
        return pa.array(wanted, kind)
    if pa.types.is_floating(kind):
        dtype = kind.to_pandas_dtype()
        wanted = []
        for m in members:
            if _is_number(m) and not (isinstance(m, float) and math.isnan(m)):
                as_float = dtype(m) if abs(m) <= np.finfo(dtype).max or math.isinf(m) else None
                if as_float is not None and _exactly_equal(as_float, m):
                    wanted.append(float(as_float) + 0.0)
        return pa.array(wanted, kind)
    if pa.types.is_date(kind):
        dates = [m for m in members if isinstance(m, _dt.date) and not isinstance(m, _dt.datetime)]
        return pa.array(dates, pa.date32()).cast(kind)
    raise InputError(
        f"check {check.name}: --validation fast has no in_set for column {check.column!r} of type {kind}; "
        f"use --validation gx"
    )


def _is_number(value: Any) -> bool:
    return isinstance(value, (bool, int, float, np.integer, np.floating)) and not isinstance(value, complex)


def _is_integral(value: Any) -> bool:
    return isinstance(value, (bool, int, np.integer)) or (math.isfinite(value) and float(value).is_integer())


def _exactly_equal(as_float, original) -> bool:
    if math.isinf(as_float):
        return as_float == original
    if isinstance(original, (bool, int, np.integer)):
        return float(as_float).is_integer() and int(as_float) == int(original)
    return float(as_float) == float(original)

