"""`compile_checks`: expectation configurations → `CompiledChecks`, once per run.

Kwargs are read after GX's own pydantic model has parsed them (`ExpectationConfiguration.to_domain_obj`):
`min_value: 5` becomes 5.0, `"5"` becomes 5.0, `"2020-01-01"` a `date`, an ISO date-time a `datetime`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import SimpleNamespace
from typing import Any

from tierline.errors import ScorecardError
from tierline.validation.checks.model import (
    BETWEEN, EXIST, IN_SET, IN_TYPE_LIST, NOT_NULL, REGEX, SUPPORTED_EXPECTATIONS, UNIQUE, CompiledCheck,
    CompiledChecks, ExpectationType,
)
from tierline.validation.checks.regex import compile_regex


def compile_checks(expectations: Sequence[Mapping[str, Any] | tuple]) -> CompiledChecks:
    """Compile expectation configurations into checks, or raise `ScorecardError` naming the bad one.

    Each entry is a mapping with `type` (GX 1.x; `expectation_type` of 0.x is accepted), `kwargs`
    and optional `meta`, or a `(type, kwargs, meta)` tuple. Kwargs are parsed by GX's own model, so a
    configuration GX refuses is refused here with GX's reason.
    """
    return CompiledChecks(tuple(_compile_one(position, entry) for position, entry in enumerate(expectations)))


def compile_generated_checks(expectations: Sequence[Mapping[str, Any] | tuple]) -> CompiledChecks:
    """`compile_checks` for the suite tierline generates itself (`tierline.validation.suite.input_expectations`),
    whose kwargs are already typed as GX would type them: read as given, without importing GX (seconds
    per run). tests/unit/validation/test_checks.py shows both compile the generated suite identically."""
    return CompiledChecks(tuple(_compile_one(position, entry, parse=_parse_plain)
                                for position, entry in enumerate(expectations)))


_PLAIN_DEFAULTS = dict(column_index=None, mostly=1.0, min_value=None, max_value=None, strict_min=False,
                       strict_max=False, value_set=None, regex=None, type_list=None, type_=None,
                       row_condition=None, condition_parser=None)


def _parse_plain(expectation_type: str, kwargs: dict, meta: dict, label: str):
    return SimpleNamespace(**{**_PLAIN_DEFAULTS, **kwargs})


def _compile_one(position: int, entry: Mapping[str, Any] | tuple, parse=None) -> CompiledCheck:
    type_name, kwargs, meta = _unpack(entry)
    label = _label(type_name, kwargs, meta)
    if type_name not in SUPPORTED_EXPECTATIONS:
        raise ScorecardError(
            f"expectation {label}: type {type_name!r} has no compiled check; --validation fast "
            f"supports {', '.join(SUPPORTED_EXPECTATIONS)} (use --validation gx for the others)"
        )
    expectation_type = ExpectationType(type_name)
    expectation = (parse or _parse_with_gx)(type_name, kwargs, meta, label)
    for unsupported in ("row_condition", "condition_parser"):
        if getattr(expectation, unsupported, None) not in (None, ""):
            raise ScorecardError(f"expectation {label}: {unsupported} is not supported by --validation fast")
    for name, value in kwargs.items():
        if isinstance(value, Mapping) and "$PARAMETER" in value:
            raise ScorecardError(f"expectation {label}: suite parameter in {name!r} is not supported")

    common = dict(
        position=position,
        expectation_type=expectation_type,
        column=expectation.column,
        code=(meta or {}).get("tierline_code"),
        meta=dict(meta or {}),
    )
    if expectation_type == EXIST:
        return CompiledCheck(**common, column_index=expectation.column_index)
    mostly = float(expectation.mostly)
    if expectation_type in (NOT_NULL, UNIQUE):
        return CompiledCheck(**common, mostly=mostly)
    if expectation_type == BETWEEN:
        return _compile_between(expectation, common, mostly, label)
    if expectation_type == IN_SET:
        value_set = None if expectation.value_set is None else tuple(expectation.value_set)
        return CompiledCheck(**common, mostly=mostly, value_set=value_set)
    if expectation_type == REGEX:
        plan = compile_regex(expectation.regex, label)
        return CompiledCheck(**common, mostly=mostly, regex=expectation.regex, regex_plan=plan)
    if expectation_type == IN_TYPE_LIST:
        names = None if expectation.type_list is None else tuple(expectation.type_list)
        return CompiledCheck(**common, mostly=mostly, type_names=names)
    names = None if expectation.type_ is None else (expectation.type_,)
    return CompiledCheck(**common, mostly=mostly, type_names=names)


def _unpack(entry: Mapping[str, Any] | tuple) -> tuple[str, dict, dict]:
    if isinstance(entry, tuple):
        expectation_type, kwargs, meta = entry
    else:
        expectation_type = entry.get("type") or entry.get("expectation_type")
        kwargs, meta = entry.get("kwargs") or {}, entry.get("meta") or {}
    if not isinstance(expectation_type, str):
        raise ScorecardError(f"expectation without a type: {entry!r}")
    return expectation_type, dict(kwargs), dict(meta or {})


def _label(expectation_type: str, kwargs: Mapping[str, Any], meta: Mapping[str, Any]) -> str:
    code = (meta or {}).get("tierline_code")
    return repr(code) if code else f"{expectation_type}(column={kwargs.get('column')!r})"


def _parse_with_gx(expectation_type: str, kwargs: dict, meta: dict, label: str):
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

    try:
        return ExpectationConfiguration(type=expectation_type, kwargs=kwargs, meta=meta).to_domain_obj()
    except Exception as error:  # GX raises pydantic and its own errors alike
        reason = " ".join(str(error).split())
        raise ScorecardError(f"expectation {label}: Great Expectations refuses it: {reason}") from None


def _compile_between(expectation, common: dict, mostly: float, label: str) -> CompiledCheck:
    low, high = expectation.min_value, expectation.max_value
    if low is None and high is None:
        raise ScorecardError(f"expectation {label}: min_value and max_value cannot both be None")
    if low is not None and high is not None:
        try:
            inverted = low > high
        except TypeError:
            raise ScorecardError(f"expectation {label}: min_value and max_value are not comparable") from None
        if inverted:
            # GX raises this from the metric; refusing it here says so before any data is read.
            raise ScorecardError(f"expectation {label}: min_value {low} is greater than max_value {high}")
    return CompiledCheck(
        **common,
        mostly=mostly,
        min_value=low,
        max_value=high,
        strict_min=bool(expectation.strict_min),
        strict_max=bool(expectation.strict_max),
    )

