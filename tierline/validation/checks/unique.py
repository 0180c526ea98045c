"""`unique` (`column_values_unique.py`): `~duplicated(keep=False)`: EVERY row of a repeated value
fails; nulls never do.

Within one table, `local_duplicates`. Over a whole register (what a run judges), in three phases
whose middle one the pipeline runs on hashes (`tierline.pipeline.validate`):
1. `hashable_values`: one partition's non-null values, ready to hash (the pipeline hashes and
   spills them, and finds the hashes seen twice);
2. `candidate_value_counts`: exact counts of the rows whose hash repeats, per partition;
3. `duplicated_values`: the counts merged into the values seen twice, which `evaluate` takes as
   `duplicates` (`is_in_duplicates`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tierline.errors import InputError
from tierline.validation.checks.column import canonical_values, chunked, gx_view, to_mask


def local_duplicates(values: pa.ChunkedArray, valid: pa.ChunkedArray) -> np.ndarray:
    """True on every row whose (non-null) value occurs at least twice in `values`."""
    rows = len(values)
    if rows == 0:
        return np.zeros(0, dtype=bool)
    encoded = pc.dictionary_encode(values.combine_chunks())
    indices = encoded.indices
    valid_mask = to_mask(valid, rows)
    codes = pc.fill_null(indices, 0).to_numpy(zero_copy_only=False)
    counts = np.bincount(codes[valid_mask], minlength=max(1, len(encoded.dictionary)))  # all-null: code 0 only
    return (counts[codes] >= 2) & valid_mask


def value_counts(values: pa.Array | pa.ChunkedArray) -> pa.Table:
    """Phase 1 of register-wide `unique`: the non-null values of one partition and how often each occurs.

    Pass the column as read: it is seen as the checks see it (NaN is null, -0.0 is 0.0, dictionaries
    decoded, integers that hold a null as float64; partitions of int64 and float64 merge as float64,
    which only matters past 2**53).
    """
    column = gx_view(chunked(values))
    normalised = canonical_values(column.values).filter(column.valid)
    counted = pc.value_counts(normalised)
    if isinstance(counted, pa.ChunkedArray):
        counted = counted.combine_chunks()
    if len(counted) == 0:
        return pa.table({"value": pa.array([], normalised.type), "count": pa.array([], pa.int64())})
    return pa.table({"value": counted.field("values"), "count": counted.field("counts")})


def duplicated_values(counts: Sequence[pa.Table]) -> pa.Array:
    """Phase 2: merge every partition's `value_counts` (or already merged ones) into the values seen twice.

    Merging is associative, so a tree reduction (`merge_value_counts`) works for Dask.
    """
    merged = merge_value_counts(counts)
    return merged.filter(pc.greater_equal(merged.column("count"), 2)).column("value").combine_chunks()


def merge_value_counts(counts: Sequence[pa.Table]) -> pa.Table:
    """Sum the counts of several `value_counts` tables by value (hash aggregation, no Python loop)."""
    tables = [table for table in counts if table.num_rows] or list(counts[:1])
    if not tables:
        return pa.table({"value": pa.array([], pa.null()), "count": pa.array([], pa.int64())})
    common = _common_type([table.schema.field("value").type for table in tables])
    tables = [table.cast(pa.schema([("value", common), ("count", pa.int64())])) for table in tables]
    stacked = pa.concat_tables(tables)
    summed = stacked.group_by("value").aggregate([("count", "sum")])
    return summed.rename_columns(["value", "count"]).select(["value", "count"])


def hashable_values(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    """Phase 1 of the hashed register-wide `unique`: one partition's non-null values as
    `value_counts` sees them, ready to hash: numbers as float64 (so 5 and 5.0 agree across
    partitions), text and bytes as they are, dates and times as their integer ticks.

    Eight bytes a row (the hash) instead of the values themselves: the hashes seen twice are the
    candidates, and only rows carrying one of those are counted exactly (`candidate_value_counts`),
    so a hash collision can cost time but never a wrong verdict.
    """
    column = gx_view(chunked(values))
    normalised = canonical_values(column.values).filter(column.valid)
    kind = normalised.type
    if pa.types.is_integer(kind) or pa.types.is_floating(kind):
        normalised = pc.cast(normalised, pa.float64(), safe=False)
    elif pa.types.is_boolean(kind):
        normalised = pc.cast(normalised, pa.int64())
    elif pa.types.is_temporal(kind):
        normalised = normalised.cast(pa.int64())  # a column has one type: its ticks identify values
    elif not (pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_binary(kind)
              or pa.types.is_large_binary(kind)):
        normalised = pc.cast(normalised, pa.large_string())  # decimals and the like, by their text
    return normalised.combine_chunks()


def candidate_value_counts(values: pa.Array | pa.ChunkedArray, candidate_rows: np.ndarray) -> pa.Table:
    """Phase 3: `value_counts` of one partition restricted to `candidate_rows`, a mask over the
    rows of `hashable_values(values)` (the non-null ones) whose hash is a candidate."""
    column = gx_view(chunked(values))
    normalised = canonical_values(column.values).filter(column.valid)
    return value_counts(normalised.filter(pa.array(candidate_rows)))


def _common_type(kinds: Sequence[pa.DataType]) -> pa.DataType:
    kinds = [kind for kind in kinds if kind != pa.null()] or [pa.null()]
    first = kinds[0]
    if all(kind == first for kind in kinds):
        return first
    if all(pa.types.is_integer(kind) or pa.types.is_floating(kind) for kind in kinds):
        # a partition whose ints hold a null counted them as float64, as pandas would
        return pa.float64() if any(pa.types.is_floating(kind) for kind in kinds) else pa.int64()
    if all(pa.types.is_string(kind) or pa.types.is_large_string(kind) for kind in kinds):
        return pa.large_string()
    raise InputError(f"unique: partitions disagree on the key type ({', '.join(map(str, kinds))})")


def is_in_duplicates(values: pa.ChunkedArray, duplicated: pa.Array):
    """`values` in `duplicated`, both seen as one type (int64 values against float64 duplicates as floats)."""
    if duplicated.type == pa.null() or len(duplicated) == 0:
        return pc.is_null(values)  # nothing is duplicated (nulls are masked by the caller)
    if values.type != duplicated.type:
        common = _common_type([values.type, duplicated.type])
        values, duplicated = values.cast(common, safe=False), duplicated.cast(common)
    return pc.is_in(values, value_set=duplicated)

