"""Check a register's Parquet schema against the scorecard before any data is read (exit 3)."""

from __future__ import annotations

from typing import Sequence

import pyarrow as pa

from tierline.pipeline.inputs import InputFile
from tierline.pipeline.outputs import QUARANTINE_ERRORS, generated_columns
from tierline.compiler import Compiled
from tierline.errors import InputError
from tierline.scorecard.columns import HIVE_KEYS
from tierline.scorecard.model import Input


def _value_type(type_: pa.DataType) -> pa.DataType:
    return type_.value_type if pa.types.is_dictionary(type_) else type_


def _is_text(type_: pa.DataType) -> bool:
    return pa.types.is_string(type_) or pa.types.is_large_string(type_) or pa.types.is_string_view(type_)


def castable(spec: Input, type_: pa.DataType) -> bool:
    """Whether a column of Arrow type `type_` reads safely as the declared input type."""
    type_ = _value_type(type_)
    if pa.types.is_null(type_):
        return True
    if spec.type == "int":
        return pa.types.is_integer(type_)
    if spec.type == "float":
        return pa.types.is_integer(type_) or pa.types.is_floating(type_) or pa.types.is_decimal(type_)
    if spec.type == "bool":
        return pa.types.is_boolean(type_)
    if spec.type == "string":
        return _is_text(type_)
    if spec.type == "category":
        kind = spec.value_type
        if kind == "number":
            return pa.types.is_integer(type_) or pa.types.is_floating(type_)
        if kind == "bool":
            return pa.types.is_boolean(type_)
        return _is_text(type_)
    if spec.type in ("date", "timestamp"):
        return pa.types.is_date(type_) or pa.types.is_timestamp(type_)
    return False


def check_register(compiled: Compiled, files: Sequence[InputFile]) -> list[str]:
    """Raise `InputError` for a missing or mistyped declared column; return the passthrough columns."""
    sc = compiled.scorecard
    first = files[0]
    schema = first.schema
    for spec in sc.inputs:
        if spec.name not in schema.names:
            raise InputError(
                f"{first.path}: column {spec.name!r} is missing; the scorecard {sc.source} declares it "
                f"(line {spec.line}). Columns present: {', '.join(schema.names[:12])}"
                + (" ..." if len(schema.names) > 12 else ""))
        type_ = schema.field(spec.name).type
        if not castable(spec, type_):
            raise InputError(
                f"{first.path}: column {spec.name!r} is {type_}, which cannot be read as the declared "
                f"{spec.type} ({sc.source}:{spec.line})")
    if sc.passthrough == "all":
        passthrough = list(schema.names)
    else:
        passthrough = list(sc.passthrough)
        for name in passthrough:
            if name not in schema.names:
                raise InputError(f"{first.path}: passthrough column {name!r} is not in the register")
    if QUARANTINE_ERRORS in schema.names:  # the quarantine keeps every input column and adds its own
        raise InputError(
            f"{first.path}: column {QUARANTINE_ERRORS!r} clashes with the quarantine's list of error codes; "
            "rename it in the register")
    generated = set(generated_columns(compiled)) | set(HIVE_KEYS)
    for name in passthrough:
        if name in generated:
            raise InputError(
                f"{first.path}: column {name!r} clashes with an output column of the same name; "
                "list passthrough columns in the scorecard without it")
    _refuse_case_clashes(first.path, passthrough, generated)
    return passthrough


def _refuse_case_clashes(path: str, passthrough: list[str], generated: set[str]) -> None:
    """DuckDB, Spark and Hive read column names case-insensitively: two output columns whose names
    differ only in case are one column to them (the scorecard's own are checked when it loads)."""
    seen = {name.lower(): name for name in sorted(generated)}
    for name in passthrough:
        other = seen.setdefault(name.lower(), name)
        if other != name:
            raise InputError(
                f"{path}: column {name!r} differs only in case from the output column {other!r}; DuckDB, Spark "
                "and Hive read column names case-insensitively and could not tell them apart: list passthrough "
                "columns in the scorecard without one of them")
