"""`in_type_list` / `of_type`: a verdict on the column's pandas dtype (all rows fail or none: a
failure of the whole column, `ExpectationType.judges_column`), except for object columns (text,
bool with nulls, dates), where each non-null value is tested (`column_values_of_type.py`,
`ExpectColumnValuesToBeInTypeList._validate_pandas`)."""

from __future__ import annotations

from collections.abc import Sequence
from enum import Enum

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tierline.errors import ScorecardError
from tierline.validation.checks.column import GxColumn, pandas_frame
from tierline.validation.checks.model import OF_TYPE, CompiledCheck


class TypeVerdict(Enum):
    """A type expectation's verdict on one column, decided by its dtype (and for an object column,
    by the class of its values: one Arrow type gives one class)."""

    PASS = "pass"
    VALUES_FAIL = "every non-null value fails"  # an object column, judged value by value
    COLUMN_FAILS = "the dtype fails"  # GX lists no row: the column itself is wrong


def type_verdict(check: CompiledCheck, column: GxColumn) -> TypeVerdict:
    """The type check's verdict on `column`: on its dtype (all rows or none), or for object columns
    on the class of its values (then every non-null row fails or none)."""
    if check.type_names is None:
        return TypeVerdict.PASS
    # pandas' dtype, and the class of an object column's values, follow from the Arrow type and from
    # whether there are nulls, values or both; the verdict is worked out once per such case (a pandas
    # conversion costs milliseconds, and every partition of a run asks again).
    nulls = column.source.null_count
    key = (check.expectation_type, check.type_names, column.source.type, nulls > 0, nulls < len(column.source))
    verdict = _TYPE_VERDICTS.get(key)
    if verdict is None:
        verdict = _TYPE_VERDICTS[key] = _type_verdict(check, column)
    return verdict


_TYPE_VERDICTS: dict[tuple, TypeVerdict] = {}


def _type_verdict(check: CompiledCheck, column: GxColumn) -> TypeVerdict:
    import pandas as pd

    sample = pandas_sample(column.source)
    dtype = sample.dtype
    object_column = dtype.type.__name__ == "object_"
    if check.expectation_type == OF_TYPE:
        per_value = object_column and check.type_names[0] not in ("object", "object_", "O")
    else:
        per_value = object_column
    if per_value:
        comp_types = tuple(t for name in check.type_names for t in _value_types(name, pd))
        if not comp_types:
            raise ScorecardError(f"check {check.name}: no recognized numpy/python type in {list(check.type_names)}")
        non_null = sample.dropna()
        fails = len(non_null) and not isinstance(non_null.iloc[0], comp_types)
        return TypeVerdict.VALUES_FAIL if fails else TypeVerdict.PASS
    if check.expectation_type == OF_TYPE:
        success = dtype.type in _value_types(check.type_names[0], pd)
    else:
        success = dtype in _dtype_types(check.type_names, pd)
    return TypeVerdict.PASS if success else TypeVerdict.COLUMN_FAILS


def pandas_sample(values: pa.ChunkedArray):
    """A first non-null value and a first null, converted as `pandas_frame` converts the whole column.

    pandas' dtype depends only on the Arrow type and on whether a null is present (int → float64,
    bool → object), so two rows decide it.
    """
    rows = len(values)
    if pa.types.is_string_view(values.type):
        values = values.cast(pa.large_string())  # no `take` kernel for views; both become object text
    picks = []
    if values.null_count < rows:
        picks.append(pc.index(pc.is_valid(values), True).as_py())
    if values.null_count:
        picks.append(pc.index(pc.is_null(values), True).as_py())
    sample = values.take(pa.array(picks, pa.int64())) if picks else values.slice(0, 0)
    return pandas_frame(pa.table({"value": sample}))["value"]



def native_type_type_map(type_: str) -> tuple[type, ...] | None:
    """GX 1.x's `great_expectations.expectations.type_comparison.native_type_type_map`, restated so
    that the fast path need not import GX (seconds); tests/unit/validation/test_checks.py pins it to GX's."""
    name = type_.lower()
    return {"none": (type(None),), "bool": (bool,), "int": (int,), "long": (int,), "float": (float,),
            "bytes": (bytes,), "complex": (complex,), "str": (str,), "string_types": (str,), "list": (list,),
            "dict": (dict,)}.get(name)


def _value_types(type_name: str, pd) -> list:
    """The classes GX's map metrics accept for `type_name` (`column_values_of_type.py`)."""
    kinds: list = []
    try:
        kinds.append(np.dtype(type_name).type)
    except TypeError:
        for namespace in (pd, pd.core.dtypes.dtypes):
            candidate = getattr(namespace, type_name, None)
            if isinstance(candidate, type):
                kinds.append(candidate)
    native = native_type_type_map(type_name)
    if native is not None:
        kinds.extend(native)
    return kinds


def _dtype_types(type_names: Sequence[str], pd) -> list:
    """What GX compares a dtype with in `ExpectColumnValuesToBeInTypeList._validate_pandas`."""
    kinds: list = []
    for type_name in type_names:
        try:
            kinds.append(np.dtype(type_name).type)
            kinds.append(np.dtype(type_name))
        except TypeError:
            candidate = getattr(pd, type_name, None)
            if isinstance(candidate, type):
                kinds.append(candidate)
                try:
                    if isinstance(candidate(), pd.core.dtypes.base.ExtensionDtype):
                        kinds.append(candidate())
                except TypeError:
                    pass
            candidate = getattr(pd.core.dtypes.dtypes, type_name, None)
            if isinstance(candidate, type):
                kinds.append(candidate)
        native = native_type_type_map(type_name)
        if native is not None:
            kinds.extend(native)
    return kinds

