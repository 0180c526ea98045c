"""The column as GX's pandas frame holds it, in Arrow form, and that frame itself (`pandas_frame`).

Map expectations drop nulls before testing (`column_condition_partial`: `df[df[column].notnull()]`),
so a null never fails `between`, `in_set`, `unique`, `regex`, and NaN and NaT count as null. A
column whose integers hold a null becomes float64 in pandas, so GX compares, matches and prints it
as floats; `GxColumn` reproduces that.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tierline.errors import InputError

if TYPE_CHECKING:
    from tierline.validation.checks.model import CompiledCheck


@dataclass(frozen=True)
class GxColumn:
    """A column as `table.to_pandas()` presents it to GX, in Arrow form.

    `values`: dictionaries decoded, string views as large strings, integers that hold a null cast to
    float64 (pandas' NaN needs a float). `valid`: not null in pandas' sense (NaN and NaT are null).
    `float_compare`: pandas compares the column against float bounds in float64 (a plain int64 column,
    NumPy's promotion), not exactly.
    """

    source: pa.ChunkedArray
    values: pa.ChunkedArray
    valid: pa.ChunkedArray
    float_compare: bool


def gx_column(table: pa.Table, check: CompiledCheck) -> GxColumn:
    if check.column not in table.column_names:
        raise InputError(f"column {check.column!r} is missing: check {check.name} cannot run")
    return gx_view(table.column(check.column))


def gx_view(source: pa.ChunkedArray) -> GxColumn:
    values = source
    float_compare = False
    if pa.types.is_dictionary(values.type):
        values = values.cast(values.type.value_type)  # pandas Categorical compares its categories exactly
    elif pa.types.is_integer(values.type):
        if values.null_count:
            values = values.cast(pa.float64(), safe=False)  # rounds to nearest past 2**53, like NumPy
        elif values.type == pa.int64():
            float_compare = True
    if pa.types.is_string_view(values.type):
        values = values.cast(pa.large_string())
    valid = pc.invert(pc.is_null(values, nan_is_null=True))
    return GxColumn(source=source, values=values, valid=valid, float_compare=float_compare)


def to_mask(condition, length: int) -> np.ndarray:
    """A boolean Arrow result (nulls counted False) as a NumPy bool array."""
    if isinstance(condition, np.ndarray):
        return condition
    filled = pc.fill_null(condition, False)
    if isinstance(filled, pa.ChunkedArray):
        if filled.num_chunks == 0:
            return np.zeros(length, dtype=bool)
        filled = filled.combine_chunks() if filled.num_chunks > 1 else filled.chunk(0)
    return filled.to_numpy(zero_copy_only=False)


def canonical_values(values: pa.ChunkedArray) -> pa.ChunkedArray:
    """Equal values made identical for hashing: -0.0 is 0.0 to pandas (x + 0.0 maps -0.0 to 0.0)."""
    if pa.types.is_floating(values.type):
        return pc.add(values, pa.scalar(0.0, values.type))
    return values



def chunked(values: pa.Array | pa.ChunkedArray) -> pa.ChunkedArray:
    return values if isinstance(values, pa.ChunkedArray) else pa.chunked_array([values], values.type)



def pandas_frame(table: pa.Table):
    """The pandas frame GX validates for `table`: pyarrow's `to_pandas()` (ints with a null become
    float64, bools with a null and dates object columns, tz-aware timestamps keep their zone, ns keep
    their unit), except that text columns are object dtype holding `str`, as GX's own test definitions
    and pandas before 3 read them: GX 1.x has no type name that matches pandas 3's `str` dtype.
    Pandas metadata is ignored, so the index is the row position (GX's `unexpected_index_list`)."""
    frame = table.to_pandas(ignore_metadata=True)
    for position, kind in enumerate(table.schema.types):
        if _is_text(kind):
            frame.isetitem(position, frame.iloc[:, position].astype(object))
    return frame


def _is_text(kind: pa.DataType) -> bool:
    return pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_string_view(kind)

