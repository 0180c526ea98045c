"""Compiled row checks that give Great Expectations' verdicts without running GX (SPEC §5, `--validation fast`).

`compile_checks` turns expectation configurations (the entries of `suite.to_json_dict()["expectations"]`)
into plain, frozen checks once; `row_failures` then evaluates them on an Arrow table with Arrow compute
and NumPy, and answers per expectation a mask that is True exactly where GX would list the row in
`unexpected_index_list`. `expectation_success` applies GX's `mostly` rule to counts summed over any
number of partitions, and the `value_counts` → `duplicated_values` → `duplicate_mask` trio computes
`unique` over the whole register.

The reference is GX 1.x's pandas engine validating `pandas_frame(table)`: pyarrow's default
`to_pandas()`, with text as object dtype (as in GX's own test definitions; GX has no type name for
pandas 3's `str` dtype). What it does, and so what is reproduced here (each rule quoted from the installed GX source and pinned
by tests/test_expectations_checks.py, which runs GX itself on the same data):

- Kwargs are read after GX's own pydantic model has parsed them (`ExpectationConfiguration.to_domain_obj`):
  `min_value: 5` becomes 5.0, `"5"` becomes 5.0, `"2020-01-01"` a `date`, an ISO date-time a `datetime`.
- Map expectations drop nulls before testing (`column_condition_partial`: `df[df[column].notnull()]`),
  so a null never fails `between`, `in_set`, `unique`, `regex`, and NaN and NaT count as null. Only
  `not_null` sees them.
- `between` (`column_values_between.py`): `min <= x <= max` with `strict_*` turning `<=` into `<`; a
  missing bound is unbounded; ±inf compare as numbers (inf passes `max_value: inf`). int64 columns
  are compared in float64 (NumPy's promotion: 2**53 + 1 <= 2**53.0); other integer widths, bools
  (as 0/1) and float32 compare exactly (per-value Python). Dates need date bounds and timestamps
  datetime bounds of the same tz-awareness; anything else raises in GX and raises `InputError` here.
- `in_set` (`column_values_in_set.py`, pandas `isin`): exact mathematical equality (1 == 1.0 ==
  True, -0.0 == 0.0); strings only equal strings; an empty set fails every non-null row.
- `unique` (`column_values_unique.py`): `~duplicated(keep=False)`: EVERY row of a repeated value fails;
  nulls never do.
- `regex` (`column_values_match_regex.py`): `column.astype(str).str.contains(regex)`, i.e. Python
  `re.search` anywhere in the text (anchor with ^ and $ yourself), on the value's `str()` for
  non-text columns (int 1 → "1", float 1.0 → "1.0", bool → "True"). See `_compile_regex` for RE2,
  and `tierline.validation.bounded_re` for the time bound on Python's engine.
- `in_type_list` / `of_type`: a verdict on the column's pandas dtype (all rows fail or none: a
  failure of the whole column, `ExpectationType.judges_column`), except for object columns (text,
  bool with nulls, dates), where each non-null value is tested.
- `mostly` (`expectation.py`: `ColumnMapExpectation._validate`, `_mostly_success`): success when
  (nonnull - unexpected) / nonnull >= mostly; vacuously true when there are no rows or no non-null
  rows. `not_null` divides by all rows instead (`expect_column_values_to_not_be_null.py: _validate`).

A column whose integers hold a null becomes float64 in pandas, so GX compares, matches and prints it
as floats; that is reproduced too (`_GxColumn`).
"""

from __future__ import annotations

import datetime as _dt
import math
import re
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum, StrEnum
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tierline.errors import InputError, ScorecardError

__all__ = [
    "CheckOutcome",
    "CompiledCheck",
    "CompiledChecks",
    "ExpectationType",
    "SUPPORTED_EXPECTATIONS",
    "column_exists",
    "compile_checks",
    "describe_column_failure",
    "duplicate_mask",
    "duplicated_values",
    "evaluate",
    "expectation_success",
    "pandas_frame",
    "row_failures",
    "unique_failures",
    "value_counts",
]

class ExpectationType(StrEnum):
    """The GX expectation types with a compiled check (a StrEnum: equal to GX's own type names)."""

    EXIST = "expect_column_to_exist"
    NOT_NULL = "expect_column_values_to_not_be_null"
    BETWEEN = "expect_column_values_to_be_between"
    IN_SET = "expect_column_values_to_be_in_set"
    UNIQUE = "expect_column_values_to_be_unique"
    REGEX = "expect_column_values_to_match_regex"
    IN_TYPE_LIST = "expect_column_values_to_be_in_type_list"
    OF_TYPE = "expect_column_values_to_be_of_type"

    @property
    def judges_column(self) -> bool:
        """GX can fail it on the column itself, listing no row: a missing column (or one at another
        index), a dtype outside the type list. Such a failure says the register does not match the
        suite, so both modes make it an input error (exit 3) instead of quarantining rows."""
        return self in (ExpectationType.EXIST, ExpectationType.IN_TYPE_LIST, ExpectationType.OF_TYPE)

    @property
    def checks_type(self) -> bool:
        return self in (ExpectationType.IN_TYPE_LIST, ExpectationType.OF_TYPE)


EXIST = ExpectationType.EXIST
NOT_NULL = ExpectationType.NOT_NULL
BETWEEN = ExpectationType.BETWEEN
IN_SET = ExpectationType.IN_SET
UNIQUE = ExpectationType.UNIQUE
REGEX = ExpectationType.REGEX
IN_TYPE_LIST = ExpectationType.IN_TYPE_LIST
OF_TYPE = ExpectationType.OF_TYPE

SUPPORTED_EXPECTATIONS = tuple(ExpectationType)


# ---------------------------------------------------------------------------------------------------
# Compiled form


def fallback_code(column: str | None, expectation_type: str) -> str:
    """The error code of an expectation whose meta names none: its column (`table` for none) and
    its type without the `expect_` prefix, e.g. `plant:column_values_to_match_regex`."""
    return f"{'table' if column is None else column}:{expectation_type.removeprefix('expect_')}"


@dataclass(frozen=True)
class CompiledCheck:
    """One expectation, parsed once. `code` is the meta `tierline_code` (`<column>:<check>`) if any."""

    position: int
    expectation_type: ExpectationType
    column: str
    code: str | None
    mostly: float = 1.0
    min_value: Any = None
    max_value: Any = None
    strict_min: bool = False
    strict_max: bool = False
    value_set: tuple[Any, ...] | None = None
    regex: str | None = None
    regex_plan: RegexPlan | None = None
    type_names: tuple[str, ...] | None = None
    column_index: int | None = None
    meta: Mapping[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        """How messages name this check: its tierline code, else type and column."""
        return self.code or f"{self.expectation_type}({self.column})"

    @property
    def error_code(self) -> str:
        """The code a row failing this check gets: meta's `tierline_code`, else `fallback_code`."""
        return self.code or fallback_code(self.column, self.expectation_type)


@dataclass(frozen=True)
class CompiledChecks:
    """The compiled suite, in the order the expectations were given."""

    checks: tuple[CompiledCheck, ...]

    def __len__(self) -> int:
        return len(self.checks)

    def __iter__(self):
        return iter(self.checks)

    def __getitem__(self, index: int) -> CompiledCheck:
        return self.checks[index]

    @property
    def columns(self) -> tuple[str, ...]:
        """Every column some check reads, first mention first."""
        return tuple(dict.fromkeys(check.column for check in self.checks))


@dataclass(frozen=True)
class CheckOutcome:
    """One check on one table: the failing rows and the counts `expectation_success` needs.

    `failed_as_whole` is True when the verdict is about the column rather than its rows (a missing
    column, a wrong dtype): GX then fails the expectation whatever `mostly` says. Over partitions, sum
    the counts and OR the flag.
    """

    failures: np.ndarray
    unexpected_count: int
    nonnull_count: int
    total_count: int
    failed_as_whole: bool = False


# ---------------------------------------------------------------------------------------------------
# compile_checks


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
    per run). tests/test_expectations_checks.py shows both compile the generated suite identically."""
    return CompiledChecks(tuple(_compile_one(position, entry, parse=_parse_plain)
                                for position, entry in enumerate(expectations)))


_PLAIN_DEFAULTS = dict(column_index=None, mostly=1.0, min_value=None, max_value=None, strict_min=False,
                       strict_max=False, value_set=None, regex=None, type_list=None, type_=None,
                       row_condition=None, condition_parser=None)


def _parse_plain(expectation_type: str, kwargs: dict, meta: dict, label: str):
    from types import SimpleNamespace

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
        plan = _compile_regex(expectation.regex, label)
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


# ---------------------------------------------------------------------------------------------------
# Regular expressions: Python semantics, RE2 speed where it is provably the same
#
# GX runs `Series.str.contains(regex)` on object text, i.e. Python `re.search`, a backtracking
# engine. RE2 (`pc.match_substring_regex`) runs in linear time and gives the same answers except
# where it reads a construct differently, as pandas itself knows when it picks RE2 for its pyarrow
# strings: lookarounds, backreferences, \u escapes and \s exist only in `re` (or differ); \w \d \b
# are ASCII in RE2, so they agree only on ASCII data; `$` also matches before a final newline in
# `re`, so it agrees only on data without newlines, unless it ends the pattern (below); `\Z` is
# RE2's `\z`. Patterns whose meaning would depend on the engine (`[[:alpha:]]`, `a{,3}`) or that RE2
# refuses (`(?x)`, atomic groups, possessive repeats) are refused at compile time, so an accepted
# pattern has one meaning, Python's, whichever engine runs it. What RE2 cannot run is searched by
# `re` itself under a time bound per value (`tierline.validation.bounded_re`).

_END_ANCHOR = re.compile(r"(?<!\\)((?:\\\\)*)\\Z")
_EMPTY_MIN_REPEAT = re.compile(r"(?<!\\)(?:\\\\)*\{,\d*\}")
_UNICODE_ESCAPE = re.compile(r"(?<!\\)(?:\\\\)*\\(?:[uU]|N\{)")
_FINAL_DOLLAR = re.compile(r"(?<!\\)(?:\\\\)*\$\Z")  # an unescaped `$` as the last character
_UNPORTABLE_FLAGS = re.VERBOSE | re.ASCII | re.LOCALE | re.DEBUG


class RegexEngine(Enum):
    RE2 = "RE2"
    PYTHON = "Python's re, under a time bound per value"


@dataclass(frozen=True)
class RegexPlan:
    """How a pattern runs with Python's meaning: `re2_pattern` is its RE2 spelling, None when only
    `re` reads it right; RE2 may also need the texts ASCII (\\w \\d \\b) or free of newlines (`$`)."""

    re2_pattern: str | None
    needs_ascii: bool = False
    needs_no_newline: bool = False

    def engine_for(self, texts: pa.ChunkedArray) -> RegexEngine:
        if self.re2_pattern is None:
            return RegexEngine.PYTHON
        if self.needs_ascii and not _all_ascii(texts):
            return RegexEngine.PYTHON
        if self.needs_no_newline and _any_newline(texts):
            return RegexEngine.PYTHON
        return RegexEngine.RE2


class RegexTooSlow(ScorecardError):
    """A regex check that Python's re could not finish on one value within the bound (exit 2).
    `re2_could`: RE2 gives Python's answer on this data, so only `--validation gx` needs `re`."""

    def __init__(self, check: CompiledCheck, seconds: float, *, source: str | None = None, re2_could: bool = False):
        self.check, self.seconds, self.re2_could = check, seconds, re2_could
        advice = ("--validation fast answers it through RE2, or rewrite it without nested or overlapping repeats"
                  if re2_could else
                  "rewrite it without nested or overlapping repeats such as (a+)+ (and without lookarounds or "
                  "backreferences it runs in RE2, in linear time)")
        super().__init__(
            f"check {check.name} on column {check.column!r}: regex {check.regex!r} ran over {seconds:g} s on one "
            f"value in Python's re, the backtracking engine Great Expectations uses; nothing was published. "
            f"{advice[0].upper()}{advice[1:]}, or drop the check", source=source)

    def __reduce__(self):  # picklable across Dask workers with its keyword-only arguments
        return (_regex_too_slow, (self.check, self.seconds, self.source, self.re2_could))


def _regex_too_slow(check: CompiledCheck, seconds: float, source: str | None, re2_could: bool) -> RegexTooSlow:
    return RegexTooSlow(check, seconds, source=source, re2_could=re2_could)


def _compile_regex(pattern: Any, label: str) -> RegexPlan:
    """Check `pattern` means the same to Python's re and RE2, and plan the engine that runs it."""
    from re import _parser as sre  # the parser pandas itself inspects

    if not isinstance(pattern, str):
        raise ScorecardError(f"expectation {label}: regex must be a string, not {pattern!r}")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # FutureWarning "Possible nested set": a POSIX class to RE2
        try:
            re.compile(pattern)
            parsed = sre.parse(pattern)
        except (re.error, FutureWarning, DeprecationWarning) as error:
            raise ScorecardError(
                f"expectation {label}: regex {pattern!r} is not a portable Python regular expression ({error})"
            ) from None
    if _EMPTY_MIN_REPEAT.search(pattern):
        raise ScorecardError(
            f"expectation {label}: regex {pattern!r}: write {{0,n}} instead of {{,n}} (RE2 reads {{,n}} as text)"
        )
    nodes = list(_regex_nodes(parsed.data, sre))
    flags = parsed.state.flags | _scoped_flags(nodes, sre)
    unportable = {sre.ATOMIC_GROUP, sre.POSSESSIVE_REPEAT, sre.GROUPREF_EXISTS}
    if flags & _UNPORTABLE_FLAGS or any(op in unportable for op, _ in nodes):
        raise ScorecardError(
            f"expectation {label}: regex {pattern!r} uses a construct RE2 lacks (verbose/ASCII flag, atomic "
            f"group, possessive repeat or conditional), which GX would run with either engine depending on the data"
        )
    always_python = (
        _UNICODE_ESCAPE.search(pattern) is not None
        or any(op in (sre.ASSERT, sre.ASSERT_NOT, sre.GROUPREF) for op, _ in nodes)
        or any(op == sre.CATEGORY and arg in (sre.CATEGORY_SPACE, sre.CATEGORY_NOT_SPACE) for op, arg in nodes)
    )
    if always_python:
        return RegexPlan(re2_pattern=None)
    re2_pattern = _re2_pattern(pattern)
    ends = [index for index, (op, arg) in enumerate(nodes) if op == sre.AT and arg == sre.AT_END]
    final_dollar = (len(ends) == 1 and parsed.data and parsed.data[-1] == (sre.AT, sre.AT_END)
                    and not flags & re.MULTILINE and _FINAL_DOLLAR.search(pattern) is not None)
    if final_dollar:
        # Without MULTILINE, Python's `$` holds at the end and before a final newline: where the
        # pattern's last token is its only `$`, "the rest is empty or one newline" says the same.
        re2_pattern = re2_pattern[:-1] + r"\n?\z"
    try:
        pc.match_substring_regex(pa.array([""], pa.string()), re2_pattern)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as error:
        raise ScorecardError(f"expectation {label}: regex {pattern!r} is not accepted by RE2 ({error})") from None
    unicode_sensitive = any(
        (op == sre.CATEGORY and arg in (sre.CATEGORY_WORD, sre.CATEGORY_NOT_WORD, sre.CATEGORY_DIGIT,
                                        sre.CATEGORY_NOT_DIGIT))
        or (op == sre.AT and arg in (sre.AT_BOUNDARY, sre.AT_NON_BOUNDARY))
        for op, arg in nodes
    )
    return RegexPlan(re2_pattern=re2_pattern, needs_ascii=unicode_sensitive,
                     needs_no_newline=bool(ends) and not final_dollar)


def _regex_nodes(tokens, sre):
    repeats = (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT)
    for op, argument in tokens:
        yield op, argument
        if op == sre.SUBPATTERN:
            yield from _regex_nodes(argument[3], sre)
        elif op == sre.BRANCH:
            for branch in argument[1]:
                yield from _regex_nodes(branch, sre)
        elif op in repeats:
            yield from _regex_nodes(argument[2], sre)
        elif op in (sre.ATOMIC_GROUP, sre.IN):
            yield from _regex_nodes(argument, sre)
        elif op == sre.GROUPREF_EXISTS:
            yield from _regex_nodes(argument[1], sre)
            if argument[2] is not None:
                yield from _regex_nodes(argument[2], sre)


def _scoped_flags(nodes, sre) -> int:
    flags = 0
    for op, argument in nodes:
        if op == sre.SUBPATTERN:
            flags |= argument[1] | argument[2]
    return flags


def _re2_pattern(pattern: str) -> str:
    # RE2 spells Python's end-of-text anchor \Z as \z (pandas does the same rewrite).
    return _END_ANCHOR.sub(r"\1\\z", pattern)


def _regex_matches(texts: pa.ChunkedArray, check: CompiledCheck) -> pa.ChunkedArray | np.ndarray:
    if check.regex_plan.engine_for(texts) is RegexEngine.RE2:
        return pc.match_substring_regex(texts, check.regex_plan.re2_pattern)
    return _python_search(texts, check)


def _all_ascii(texts: pa.ChunkedArray) -> bool:
    return pc.all(pc.string_is_ascii(texts), min_count=0).as_py() is not False


def _any_newline(texts: pa.ChunkedArray) -> bool:
    return bool(pc.any(pc.match_substring(texts, "\n"), min_count=0).as_py())


def _python_search(texts: pa.ChunkedArray, check: CompiledCheck) -> np.ndarray:
    """`re.search` once per distinct text (bounded in time), spread back to the rows through the
    dictionary indices."""
    from tierline.validation.bounded_re import RegexTimeout, search_each

    encoded = pc.dictionary_encode(texts.combine_chunks() if isinstance(texts, pa.ChunkedArray) else texts)
    try:
        matched_by_value = search_each(check.regex, encoded.dictionary.to_pylist())
    except RegexTimeout as timeout:
        raise RegexTooSlow(check, timeout.seconds) from None
    indices = pc.fill_null(encoded.indices, 0).to_numpy(zero_copy_only=False)
    if len(matched_by_value) == 0:
        return np.zeros(len(indices), dtype=bool)
    return matched_by_value[indices]


def screen_regex(check: CompiledCheck, table: pa.Table) -> None:
    """Search a regex check's column with Python's re under the time bound, as GX is about to
    (`--validation gx`, where GX searches object text with `re` whatever the pattern): raises
    `RegexTooSlow` where GX would not finish, and otherwise costs one search per distinct value."""
    texts = _texts(_gx_column(table, check))
    try:
        _python_search(texts, check)
    except RegexTooSlow as error:
        raise RegexTooSlow(check, error.seconds,
                           re2_could=check.regex_plan.engine_for(texts) is RegexEngine.RE2) from None


# ---------------------------------------------------------------------------------------------------
# The column as GX's pandas frame holds it


@dataclass(frozen=True)
class _GxColumn:
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


def _gx_column(table: pa.Table, check: CompiledCheck) -> _GxColumn:
    if check.column not in table.column_names:
        raise InputError(f"column {check.column!r} is missing: check {check.name} cannot run")
    return _gx_view(table.column(check.column))


def _gx_view(source: pa.ChunkedArray) -> _GxColumn:
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
    return _GxColumn(source=source, values=values, valid=valid, float_compare=float_compare)


def _to_mask(condition, length: int) -> np.ndarray:
    """A boolean Arrow result (nulls counted False) as a NumPy bool array."""
    if isinstance(condition, np.ndarray):
        return condition
    filled = pc.fill_null(condition, False)
    if isinstance(filled, pa.ChunkedArray):
        if filled.num_chunks == 0:
            return np.zeros(length, dtype=bool)
        filled = filled.combine_chunks() if filled.num_chunks > 1 else filled.chunk(0)
    return filled.to_numpy(zero_copy_only=False)


def _normalised(values: pa.ChunkedArray) -> pa.ChunkedArray:
    """Equal values made identical for hashing: -0.0 is 0.0 to pandas (x + 0.0 maps -0.0 to 0.0)."""
    if pa.types.is_floating(values.type):
        return pc.add(values, pa.scalar(0.0, values.type))
    return values


# ---------------------------------------------------------------------------------------------------
# row_failures / evaluate


def row_failures(
    compiled: CompiledChecks,
    table: pa.Table,
    *,
    duplicates: Mapping[int, pa.Array] | None = None,
) -> list[np.ndarray]:
    """Per check, a bool array over the table's rows: True where GX would list the row as unexpected.

    `duplicates` maps the position of a `unique` check to the values duplicated in the whole register
    (`duplicated_values`); without it `unique` is judged within `table`, as GX on that table would.
    Column-level failures (missing column for `to_exist`, wrong dtype) mark every row.
    """
    return [outcome.failures for outcome in evaluate(compiled, table, duplicates=duplicates)]


def evaluate(
    compiled: CompiledChecks,
    table: pa.Table,
    *,
    duplicates: Mapping[int, pa.Array] | None = None,
) -> list[CheckOutcome]:
    """`row_failures` with the counts that `expectation_success` needs, per check."""
    duplicates = duplicates or {}
    views: dict[str, tuple[_GxColumn, np.ndarray, int]] = {}  # a column's checks share its view
    return [_evaluate_one(check, table, duplicates.get(check.position), views) for check in compiled.checks]


def _evaluate_one(check: CompiledCheck, table: pa.Table, duplicates: pa.Array | None,
                  views: dict[str, tuple[_GxColumn, np.ndarray, int]]) -> CheckOutcome:
    rows = table.num_rows
    if check.expectation_type == EXIST:
        present = _column_exists(check, table)
        failures = np.zeros(rows, dtype=bool) if present else np.ones(rows, dtype=bool)
        return CheckOutcome(failures, 0 if present else rows, rows, rows, failed_as_whole=not present)
    if check.column not in views:
        column = _gx_column(table, check)
        valid = _to_mask(column.valid, rows)
        views[check.column] = column, valid, int(valid.sum())
    column, valid, nonnull = views[check.column]
    if check.expectation_type.checks_type:
        failures, as_whole = _type_failures(check, column, valid, rows)
        unexpected = rows if as_whole else (nonnull if failures is valid else 0)
        return CheckOutcome(failures, unexpected, nonnull, rows, failed_as_whole=as_whole)
    if check.expectation_type == NOT_NULL:
        failures = ~valid
    else:
        failures = valid & ~_to_mask(_row_passes(check, column, duplicates), rows)
    return CheckOutcome(failures, int(failures.sum()), nonnull, rows)


def _column_exists(check: CompiledCheck, table: pa.Table) -> bool:
    return column_exists(check, table.column_names)


def column_exists(check: CompiledCheck, names: Sequence[str]) -> bool:
    """`expect_column_to_exist`'s verdict on a table with these column names, in order."""
    # GX tests `if column_index:`, so index 0 only asks for the name, and Python indexing lets -1 be
    # the last column (expect_column_to_exist.py: _validate).
    if not check.column_index:
        return check.column in names
    try:
        return names[check.column_index] == check.column
    except IndexError:
        return False


def describe_column_failure(check: CompiledCheck, table: pa.Table) -> str:
    """Why a check that judges the column (`ExpectationType.judges_column`) fails it, in words."""
    names = table.column_names
    if check.expectation_type == EXIST:
        if check.column not in names:
            return f"there is no column {check.column!r}"
        return f"column {check.column!r} is at index {names.index(check.column)}, not {check.column_index}"
    dtype = _pandas_sample(table.column(check.column)).dtype
    wanted = (f"of type {check.type_names[0]!r}" if check.expectation_type == OF_TYPE
              else f"in {list(check.type_names)}")
    return f"column {check.column!r} reaches pandas as {dtype}, which is not {wanted}"


def _row_passes(check: CompiledCheck, column: _GxColumn, duplicates: pa.Array | None):
    kind = check.expectation_type
    if kind == BETWEEN:
        return _between(check, column)
    if kind == IN_SET:
        return _in_set(check, column)
    if kind == UNIQUE:
        if duplicates is not None and len(duplicates) == 0:  # the register repeats no value
            return np.ones(len(column.values), dtype=bool)
        values = _normalised(column.values)
        if duplicates is None:
            return ~_local_duplicates(values, column.valid)
        return pc.invert(_is_in_duplicates(values, duplicates))
    if kind == REGEX:
        return _regex_matches(_texts(column), check)
    raise AssertionError(kind)


# --- between ---------------------------------------------------------------------------------------


def _between(check: CompiledCheck, column: _GxColumn):
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


def _bounds_accepted(check: CompiledCheck, column: _GxColumn, accepted) -> bool:
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


# --- in_set ----------------------------------------------------------------------------------------


def _in_set(check: CompiledCheck, column: _GxColumn):
    if check.value_set is None:
        return pc.is_valid(column.values)  # GX: "vacuously true"
    values = _normalised(column.values)
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


# --- unique ----------------------------------------------------------------------------------------


def _local_duplicates(values: pa.ChunkedArray, valid: pa.ChunkedArray) -> np.ndarray:
    """True on every row whose (non-null) value occurs at least twice in `values`."""
    rows = len(values)
    if rows == 0:
        return np.zeros(0, dtype=bool)
    encoded = pc.dictionary_encode(values.combine_chunks())
    indices = encoded.indices
    valid_mask = _to_mask(valid, rows)
    codes = pc.fill_null(indices, 0).to_numpy(zero_copy_only=False)
    counts = np.bincount(codes[valid_mask], minlength=max(1, len(encoded.dictionary)))  # all-null: code 0 only
    return (counts[codes] >= 2) & valid_mask


def value_counts(values: pa.Array | pa.ChunkedArray) -> pa.Table:
    """Phase 1 of register-wide `unique`: the non-null values of one partition and how often each occurs.

    Pass the column as read: it is seen as the checks see it (NaN is null, -0.0 is 0.0, dictionaries
    decoded, integers that hold a null as float64; partitions of int64 and float64 merge as float64,
    which only matters past 2**53).
    """
    column = _gx_view(_chunked(values))
    normalised = _normalised(column.values).filter(column.valid)
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


def duplicate_mask(values: pa.Array | pa.ChunkedArray, duplicated: pa.Array) -> np.ndarray:
    """Phase 3: per row of one partition, True where its (non-null) value is in the register's duplicates."""
    column = _gx_view(_chunked(values))
    hit = _is_in_duplicates(_normalised(column.values), duplicated)
    return _to_mask(hit, len(values)) & _to_mask(column.valid, len(values))


def unique_failures(key_arrays: Sequence[pa.Array | pa.ChunkedArray]) -> list[np.ndarray]:
    """Register-wide `unique` in one call: for each partition's key array, the rows GX would fail if it
    validated all partitions as one table (every row of a value seen twice anywhere)."""
    duplicated = duplicated_values([value_counts(keys) for keys in key_arrays])
    return [duplicate_mask(keys, duplicated) for keys in key_arrays]


def hashable_values(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    """Phase 1 of the hashed register-wide `unique`: one partition's non-null values as
    `value_counts` sees them, ready to hash: numbers as float64 (so 5 and 5.0 agree across
    partitions), text and bytes as they are, dates and times as their integer ticks.

    Eight bytes a row (the hash) instead of the values themselves: the hashes seen twice are the
    candidates, and only rows carrying one of those are counted exactly (`candidate_value_counts`),
    so a hash collision can cost time but never a wrong verdict.
    """
    column = _gx_view(_chunked(values))
    normalised = _normalised(column.values).filter(column.valid)
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
    column = _gx_view(_chunked(values))
    normalised = _normalised(column.values).filter(column.valid)
    return value_counts(normalised.filter(pa.array(candidate_rows)))


def _chunked(values: pa.Array | pa.ChunkedArray) -> pa.ChunkedArray:
    return values if isinstance(values, pa.ChunkedArray) else pa.chunked_array([values], values.type)


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


def _is_in_duplicates(values: pa.ChunkedArray, duplicated: pa.Array):
    """`values` in `duplicated`, both seen as one type (int64 values against float64 duplicates as floats)."""
    if duplicated.type == pa.null() or len(duplicated) == 0:
        return pc.is_null(values)  # nothing is duplicated (nulls are masked by the caller)
    if values.type != duplicated.type:
        common = _common_type([values.type, duplicated.type])
        values, duplicated = values.cast(common, safe=False), duplicated.cast(common)
    return pc.is_in(values, value_set=duplicated)


# --- regex text ------------------------------------------------------------------------------------


def _texts(column: _GxColumn) -> pa.ChunkedArray:
    """The text GX searches: the string itself, or pandas' `astype(str)` of anything else."""
    values = column.values
    if pa.types.is_string(values.type) or pa.types.is_large_string(values.type):
        return values
    if pa.types.is_integer(values.type):
        return values.cast(pa.string())  # str(int), digits and sign, as Arrow prints them
    if pa.types.is_boolean(values.type):
        return pc.if_else(values, "True", "False")
    # Floats ("1.0", "inf", "1e+20"), dates, timestamps: pandas' own formatting, one Python call per
    # value; slow, and only for regex checks on non-text columns.
    series = pa.table({"value": column.source}).to_pandas()["value"]
    texts = series.astype(str)
    return pa.chunked_array([pa.array(texts.to_numpy(dtype=object, na_value=None), pa.large_string())])


# --- types -----------------------------------------------------------------------------------------


class TypeVerdict(Enum):
    """A type expectation's verdict on one column, decided by its dtype (and for an object column,
    by the class of its values: one Arrow type gives one class)."""

    PASS = "pass"
    VALUES_FAIL = "every non-null value fails"  # an object column, judged value by value
    COLUMN_FAILS = "the dtype fails"  # GX lists no row: the column itself is wrong


def _type_failures(check: CompiledCheck, column: _GxColumn, valid: np.ndarray, rows: int) -> tuple[np.ndarray, bool]:
    """Dtype verdict (all rows or none), or for object columns the per-value verdict on non-null rows
    (then the failures are `valid` itself)."""
    if check.type_names is None:
        return np.zeros(rows, dtype=bool), False
    # pandas' dtype, and the class of an object column's values, follow from the Arrow type and from
    # whether there are nulls, values or both; the verdict is worked out once per such case (a pandas
    # conversion costs milliseconds, and every partition of a run asks again).
    nulls = column.source.null_count
    key = (check.expectation_type, check.type_names, column.source.type, nulls > 0, nulls < len(column.source))
    verdict = _TYPE_VERDICTS.get(key)
    if verdict is None:
        verdict = _TYPE_VERDICTS[key] = _type_verdict(check, column)
    if verdict is TypeVerdict.VALUES_FAIL:
        return valid, False
    if verdict is TypeVerdict.COLUMN_FAILS:
        return np.ones(rows, dtype=bool), True
    return np.zeros(rows, dtype=bool), False  # calloc'd: costs nothing until read


_TYPE_VERDICTS: dict[tuple, TypeVerdict] = {}


def _type_verdict(check: CompiledCheck, column: _GxColumn) -> TypeVerdict:
    import pandas as pd

    sample = _pandas_sample(column.source)
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


def _pandas_sample(values: pa.ChunkedArray):
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


def native_type_type_map(type_: str) -> tuple[type, ...] | None:
    """GX 1.x's `great_expectations.expectations.type_comparison.native_type_type_map`, restated so
    that the fast path need not import GX (seconds); tests/test_expectations_checks.py pins it to GX's."""
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


# ---------------------------------------------------------------------------------------------------
# Success


def expectation_success(
    check: CompiledCheck,
    unexpected_count: int,
    nonnull_count: int,
    total_count: int,
    *,
    failed_as_whole: bool = False,
) -> bool:
    """GX's verdict for counts summed over every partition (`CheckOutcome` fields).

    Map checks: vacuously true without rows or non-null rows, else (nonnull - unexpected) / nonnull
    >= mostly, computed in floats as GX does. `not_null` divides by all rows. A column-level failure
    (missing column, wrong dtype) fails whatever `mostly` says; a type check that passed on the dtype,
    or was judged per value (object columns), follows the map rule.
    """
    if failed_as_whole:
        return False
    if check.expectation_type == EXIST:
        return unexpected_count == 0
    if check.expectation_type == NOT_NULL:
        if total_count == 0:
            return True
        return (total_count - unexpected_count) / total_count >= check.mostly
    if total_count == 0 or nonnull_count == 0:
        return True
    considered = float(nonnull_count)
    return (considered - float(unexpected_count)) / considered >= check.mostly
