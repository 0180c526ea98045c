"""The Great Expectations suite a scorecard's inputs describe (SPEC §2.1, §5), in GX 1.x objects.

`suite_for(scorecard)` builds one `ExpectationSuite` named `tierline.<scorecard>.v<version>`: for every
input, in input order, one expectation per check, each tagged `meta={"tierline_code": "<column>:<check>"}`
so that GX results map onto the quarantine codes of SPEC §4:

    column exists           <column>:missing   every input (a failure is an input error, exit 3)
    in type list / of type  <column>:type      every input (of_type "str" for text; failing for a whole column: exit 3 too)
    not null                <column>:not_null  required: true, unless the input has a default
    between (inclusive)     <column>:between   min / max; every float input (±inf, see below)
    in set                  <column>:in_set    values
    unique                  <column>:unique    the scorecard key and unique: true inputs
    match regex             <column>:regex     regex

then the expectations of the scorecard's own `expectations: suite.json`, if any (`load_extra_suite`).
`mostly` is never set, so every expectation wants every row (GX's default 1.0).

Decisions, each one a place where GX's pandas engine and SPEC §2.1 had to be made to agree:

- **After defaults, not raw.** SPEC applies a `default` "before anything else", so the suite describes
  the data after defaults: a required input with a default gets no not_null (it cannot be null), and
  a defaulted value is checked like any other (it can fail `between`, or repeat under `unique`).
  `frame_for_suite(table, scorecard)` makes that frame. (Run on raw data instead, the suite would
  miss only what the default value itself breaks, since nulls skip every check but not_null.)
- **Unique** is GX's `duplicated(keep=False)` over one batch: every copy of a repeated value fails,
  nulls never do. Uniqueness across partitions is for whoever splits the register to check.
- **±inf.** GX's `between` with only `min_value` leaves the top open, so `inf` passes it. Every float
  input therefore gets one `between` whose missing side is ±1.7976931348623157e308 (the largest
  finite double): ±inf fails it and is quarantined as `<column>:between`, NaN is null (below).
- **Nulls.** GX's map expectations skip nulls (pandas `isnull`: None, NaN and NaT alike), so a null
  fails only not_null, never between / in_set / unique / regex, which is SPEC's "NaN counts as null".
- **Regex.** GX matches with `str.contains`, i.e. `re.search`: unanchored. Write `^...$` in the
  scorecard for a whole-value match; tierline's fast checks must search the same way.
- **Types.** The authoritative type check is on the Arrow schema before any row is read
  (`tierline.pipeline.register.castable`, exit 3); Parquet columns are typed, so no single row can be of a
  wrong type. The GX expectation repeats it on the frame GX validates (`frame_for_suite`:
  `tierline.validation.checks.pandas_frame`, i.e. `to_pandas()` with text as object dtype of `str`), on
  the dtype GX sees there: its type list names the numpy dtypes pandas makes from every Arrow type
  tierline accepts (an int column with nulls becomes float64 in pandas, so `int` lists float64
  too) and the Python types of object-dtype columns (`int`, `float`, `bool`, `str`, `date`). Text
  gets `of_type: str`. GX 1.x has no type-list name for a tz-aware dtype, so a time input whose
  register column carries a time zone gets `of_type: Timestamp` instead (the scalar type of such a
  dtype): the suite a run uses depends on the register's schema there (`input_expectations`'s
  `column_type`). The frame decodes dictionaries (a Parquet encoding, not a type) and reads decimal
  columns of float inputs as float64, as tierline reads them (GX's type names and the compiled
  checks know no decimals); everything else is the register's own dtype.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.compute as pc

from tierline.errors import ScorecardError, UsageError
from tierline.scorecard.model import Input, Scorecard
from tierline.validation.checks.model import ExpectationType

if TYPE_CHECKING:  # GX takes seconds to import: only the functions that build suites load it
    import pandas as pd
    from great_expectations.core import ExpectationSuite
    from great_expectations.expectations.expectation import Expectation
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

# The largest finite double: a float input's open side, so that ±inf fails `between`.
FINITE_MAX = sys.float_info.max

INT_DTYPES = ("int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64")
FLOAT_DTYPES = ("float16", "float32", "float64")
DATETIME_DTYPES = ("datetime64[s]", "datetime64[ms]", "datetime64[us]", "datetime64[ns]")
# "int", "float", "bool", "str" also name the Python types GX checks value by value in object columns.
_TYPE_LISTS: dict[str, tuple[str, ...]] = {
    "int": INT_DTYPES + ("float64", "int"),  # pandas reads an int column with nulls as float64
    "float": FLOAT_DTYPES + INT_DTYPES + ("float", "int"),  # tierline reads integer columns as float
    "bool": ("bool",),
    "text": ("str",),
    # a date column reaches pandas as an object column of datetime.date, named "date" per value
    "time": DATETIME_DTYPES + ("date",),
}

# Keys of a GX 1.x expectation that belong to a stored copy, not to what it expects.
_STORED_ONLY = ("id", "rendered_content")
# Expectation kwargs that name columns of the register.
_COLUMN_KWARGS = ("column", "column_A", "column_B")


def suite_name(scorecard: Scorecard) -> str:
    return f"tierline.{scorecard.name}.v{scorecard.version}"


def type_list(spec: Input) -> list[str]:
    """The pandas dtype / Python type names GX accepts for a declared input (see module docstring)."""
    if spec.type in ("date", "timestamp"):
        return list(_TYPE_LISTS["time"])
    if spec.type in ("int", "float", "bool"):
        return list(_TYPE_LISTS[spec.type])
    kind = spec.value_type  # string, or a category of text, numbers or bools
    if kind == "number":
        return list(_TYPE_LISTS["float"])
    if kind == "bool":
        return list(_TYPE_LISTS["bool"])
    return list(_TYPE_LISTS["text"])


def register_type(schema: pa.Schema | None, name: str) -> pa.DataType | None:
    """The Arrow type of column `name` in a register's schema (None without a schema or column)."""
    if schema is None or name not in schema.names:
        return None
    return schema.field(name).type


def _is_tz_aware(column_type: pa.DataType | None) -> bool:
    if column_type is not None and pa.types.is_dictionary(column_type):
        column_type = column_type.value_type
    return column_type is not None and pa.types.is_timestamp(column_type) and column_type.tz is not None


def input_expectations(spec: Input, key: str, grouped: bool = False,
                       column_type: pa.DataType | None = None) -> list[dict[str, Any]]:
    """One input's expectations as plain configurations {type, kwargs, meta}: no GX import, so
    `--validation fast` compiles them without loading Great Expectations.

    `grouped`: the scorecard aggregates several rows per key (SPEC §2.3), so the key repeats by
    design and its uniqueness holds after grouping; the rows get no `unique` on it.
    `column_type`: the register column's Arrow type, if known; a tz-aware timestamp changes the
    type check of a time input (module docstring, Types).
    """
    column = spec.name

    def expectation(kind: ExpectationType, check: str, **kwargs: Any) -> dict[str, Any]:
        return {"type": str(kind), "kwargs": {"column": column, **kwargs}, "meta": {"tierline_code": f"{column}:{check}"}}

    found = [expectation(ExpectationType.EXIST, "missing")]
    if spec.value_type == "time" and _is_tz_aware(column_type):
        # pandas' tz-aware dtype matches no type-list name in GX 1.x; its scalar type is Timestamp
        found.append(expectation(ExpectationType.OF_TYPE, "type", type_="Timestamp"))
    elif spec.value_type == "text":
        # pandas 3 reads text as its `str` dtype, which no GX type-list name matches; `of_type`
        # compares the dtype's scalar type, and passes for both `str` and object columns of str.
        found.append(expectation(ExpectationType.OF_TYPE, "type", type_="str"))
    else:
        found.append(expectation(ExpectationType.IN_TYPE_LIST, "type", type_list=type_list(spec)))
    if spec.required and spec.default is None:  # a default fills every null first (SPEC §2.1)
        found.append(expectation(ExpectationType.NOT_NULL, "not_null"))
    if spec.type == "float" or spec.min is not None or spec.max is not None:
        low, high = spec.min, spec.max
        if spec.type == "float":  # finite on both sides: ±inf is invalid (SPEC §2.1)
            low = -FINITE_MAX if low is None else low
            high = FINITE_MAX if high is None else high
        found.append(expectation(ExpectationType.BETWEEN, "between", min_value=low, max_value=high))
    if spec.values is not None:
        allowed = [value for value in spec.values if value is not None]  # nulls are not_null's business
        found.append(expectation(ExpectationType.IN_SET, "in_set", value_set=allowed))
    if (spec.unique or column == key) and not (grouped and column == key):
        found.append(expectation(ExpectationType.UNIQUE, "unique"))
    if spec.regex is not None:
        found.append(expectation(ExpectationType.REGEX, "regex", regex=spec.regex))
    return found


def _input_expectations(spec: Input, key: str, grouped: bool, column_type: pa.DataType | None) -> list[Expectation]:
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

    return [ExpectationConfiguration(**config).to_domain_obj()
            for config in input_expectations(spec, key, grouped, column_type)]


def suite_for(scorecard: Scorecard, schema: pa.Schema | None = None) -> ExpectationSuite:
    """The scorecard's suite: the inputs' checks in input order, then the extra suite's expectations.

    With the register's `schema`, the suite a run validates (a tz-aware time input's type check
    differs); without it, the suite for a register without time zones."""
    import great_expectations as gx
    from great_expectations.core import ExpectationSuite

    expectations: list[Any] = []
    for spec in scorecard.inputs:
        expectations.extend(_input_expectations(spec, scorecard.key, scorecard.aggregate is not None,
                                                register_type(schema, spec.name)))
    extra = load_extra_suite(scorecard)
    for column in _undeclared_columns(scorecard, extra):
        expectations.append(gx.expectations.ExpectColumnToExist(
            column=column, meta={"tierline_code": f"{column}:missing"}))
    expectations.extend(extra)
    # The constructor, unlike add_expectation, neither looks for a Data Context nor drops
    # expectations that differ only in meta.
    return ExpectationSuite(name=suite_name(scorecard), expectations=expectations)


def suite_configurations(scorecard: Scorecard, schema: pa.Schema | None = None) -> list[dict[str, Any]]:
    """`suite_for`'s expectations as plain {type, kwargs, meta}, in the same order, without building
    the suite (what a run compiles; GX's suite JSON costs tens of milliseconds)."""
    grouped = scorecard.aggregate is not None
    configurations = [c for spec in scorecard.inputs
                      for c in input_expectations(spec, scorecard.key, grouped, register_type(schema, spec.name))]
    extra = load_extra_suite(scorecard)
    configurations += [{"type": str(ExpectationType.EXIST), "kwargs": {"column": column},
                        "meta": {"tierline_code": f"{column}:missing"}}
                       for column in _undeclared_columns(scorecard, extra)]
    configurations += [{"type": c.type, "kwargs": dict(c.kwargs), "meta": dict(c.meta or {})} for c in extra]
    return configurations


def _undeclared_columns(scorecard: Scorecard, extra: list[ExpectationConfiguration]) -> list[str]:
    """Columns the extra suite reads that no input declares. Their existence is expected first, so
    a register without one fails as clearly as one without a declared input."""
    declared = set(scorecard.input_names)
    return [column for column in dict.fromkeys(c for config in extra for c in _columns_of(config))
            if column not in declared]


def _columns_of(config: ExpectationConfiguration) -> list[str]:
    columns = [config.kwargs[name] for name in _COLUMN_KWARGS if isinstance(config.kwargs.get(name), str)]
    column_list = config.kwargs.get("column_list")
    if isinstance(column_list, list):
        columns.extend(c for c in column_list if isinstance(c, str))
    return columns


def extra_suite_path(scorecard: Scorecard) -> Path | None:
    """Where `expectations:` points, relative to the scorecard file (None without one)."""
    if scorecard.expectations is None:
        return None
    return Path(scorecard.source).parent / scorecard.expectations


def _configuration_problem(error: Exception) -> str:
    """One line from GX's (pydantic v1) validation errors or its own exceptions."""
    details = getattr(error, "errors", None)
    if callable(details):
        parts: dict[str, str] = {}
        for item in details():
            where = ".".join(str(step) for step in item.get("loc", ())) or "kwargs"
            parts.setdefault(where, item.get("msg", "invalid"))  # one message per field is enough
        return "; ".join(f"{where}: {message}" for where, message in parts.items())
    message = getattr(error, "message", None) or str(error)
    return str(message).strip().splitlines()[0] if str(message).strip() else type(error).__name__


def load_extra_suite(scorecard: Scorecard) -> list[ExpectationConfiguration]:
    """The expectations of the scorecard's `expectations:` file (GX 1.x suite JSON), checked.

    Every problem is a `ScorecardError` naming the JSON file (and the expectation's index): an
    unreadable file, one that is not a regular file or is over MAX_EXTRA_SUITE_BYTES, invalid JSON
    or numbers no int64 / float64 holds, a suite without an `expectations` list, an unknown expectation
    type or kwargs GX refuses. Stored-copy fields (`id`, `rendered_content`) are dropped: the
    expectations join a new suite.
    """
    path = extra_suite_path(scorecard)
    if path is None:
        return []
    from tierline.scorecard.files import parse_json, read_regular_file
    from tierline.scorecard.limits import MAX_EXTRA_SUITE_BYTES

    source = str(path)
    named_by = f" (named by 'expectations:' in {scorecard.source})"
    # a regular file under the limit (never a FIFO or /dev/zero), numbers Arrow can hold
    data = read_regular_file(path, "expectations file", MAX_EXTRA_SUITE_BYTES, named_by)
    document = parse_json(data, source, "expectations file", named_by)
    from great_expectations.exceptions import ExpectationNotFoundError, GreatExpectationsError
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

    if not isinstance(document, dict) or not isinstance(document.get("expectations"), list):
        raise ScorecardError(
            "an expectations file is a Great Expectations suite: a JSON object with an "
            "'expectations' list (as `tierline expectations` writes it)", source=source)
    configurations = []
    for index, item in enumerate(document["expectations"]):
        where = f"expectations[{index}]"
        if not isinstance(item, dict):
            raise ScorecardError(f"{where}: an expectation is a JSON object with 'type' and 'kwargs'", source=source)
        if "expectation_type" in item and "type" not in item:
            raise ScorecardError(
                f"{where}: 'expectation_type' is the GX 0.x spelling; GX 1.x suites use 'type'", source=source)
        kind = item.get("type")
        item = {k: v for k, v in item.items() if k not in _STORED_ONLY}
        try:
            configuration = ExpectationConfiguration(**item)
            configuration.to_domain_obj()  # the one check of type and kwargs that GX itself makes
        except TypeError as error:  # unknown or missing top-level keys
            raise ScorecardError(f"{where}: {error}".replace("ExpectationConfiguration.__init__() ", ""),
                                 source=source) from None
        except (GreatExpectationsError, ValueError) as error:  # pydantic's errors are ValueErrors
            if isinstance(error, ExpectationNotFoundError):
                message = f"unknown expectation type {kind!r}"
            else:
                message = f"{kind}: {_configuration_problem(error)}"
            raise ScorecardError(f"{where}: {message}", source=source) from None
        meta_code = configuration.meta.get("tierline_code")
        if meta_code is not None and not isinstance(meta_code, str):
            raise ScorecardError(f"{where}: meta.tierline_code must be a string like 'column:check'", source=source)
        configurations.append(configuration)
    return configurations


def tierline_code(configuration: ExpectationConfiguration) -> str:
    """The error code a failure of this expectation gives a row: meta's, else `<column>:<type>`.

    Generated expectations always carry one; an extra expectation without one gets its first
    column's `fallback_code`, the rule the compiled checks follow too (`CompiledCheck.error_code`).
    """
    code = configuration.meta.get("tierline_code") if configuration.meta else None
    if isinstance(code, str):
        return code
    from tierline.validation.checks import fallback_code

    columns = _columns_of(configuration)
    return fallback_code(columns[0] if columns else None, configuration.type)


def suite_json(scorecard: Scorecard) -> str:
    """GX's own JSON of the suite, as `tierline expectations` writes it."""
    return json.dumps(suite_for(scorecard).to_json_dict(), indent=2, ensure_ascii=False) + "\n"


def write_suite(scorecard: Scorecard, path: str | Path | None) -> None:
    """Write the suite's JSON to `path`, or to stdout when `path` is None."""
    text = suite_json(scorecard)
    if path is None:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    try:
        Path(path).write_text(text, encoding="utf-8")
    except OSError as error:
        raise UsageError(f"cannot write {path}: {error.strerror}") from None


# ---------------------------------------------------------------- the frame the suite describes


def _canonical_arrow_type(spec: Input) -> pa.DataType:
    """The Arrow type a declared input takes when its column holds nothing but nulls."""
    kind = spec.value_type
    if spec.type == "int":
        return pa.int64()
    if spec.type == "float" or (kind == "number" and any(isinstance(v, float) for v in spec.values or ())):
        return pa.float64()
    if kind == "number":
        return pa.int64()
    if kind == "bool":
        return pa.bool_()
    if kind == "time":
        return pa.timestamp("us")
    return pa.string()


def _suite_column(spec: Input, column: pa.ChunkedArray) -> pa.ChunkedArray:
    """A declared column as the suite sees it: dictionary decoded, defaults filled, else as it is."""
    type_ = column.type
    if pa.types.is_dictionary(type_):
        column = column.cast(type_.value_type)
        type_ = column.type
    if pa.types.is_null(type_):
        column = column.cast(_canonical_arrow_type(spec))
    elif spec.type == "float" and pa.types.is_decimal(type_):
        column = pc.cast(column, pa.float64(), safe=False)  # as tierline reads it; GX cannot name Decimal
    if spec.default is not None and (column.null_count or pa.types.is_floating(column.type)):
        column = _filled(column, spec.default)
    return column


def _filled(column: pa.ChunkedArray, default: Any) -> pa.ChunkedArray:
    """Nulls (and NaN, SPEC §2.1) replaced by `default`."""
    if pa.types.is_integer(column.type) and isinstance(default, float) and not default.is_integer():
        # a fractional default in an integer column: pandas holds a column with nulls as float64
        # anyway, and that is the column the default fills
        column = pc.cast(column, pa.float64(), safe=False)
    try:
        fill = pa.scalar(default).cast(column.type)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
        return column  # a column that cannot hold the default is of the wrong type: `type` fails on it
    if pa.types.is_floating(column.type):  # NaN is null too (SPEC §2.1)
        column = pc.if_else(pc.is_nan(column), fill, column)
    return pc.fill_null(column, fill)


def suite_table(table: pa.Table, scorecard: Scorecard) -> pa.Table:
    """`table` as the suite describes it, still in Arrow: declared inputs decoded and defaulted
    (nulls and NaN), decimal float inputs float64. The fast checks (`tierline.validation.checks`) run on
    this table."""
    declared = {spec.name: spec for spec in scorecard.inputs}
    for index, name in enumerate(table.column_names):
        spec = declared.get(name)
        if spec is not None:
            table = table.set_column(index, name, _suite_column(spec, table.column(index)))
    return table


def frame_for_suite(table: pa.Table, scorecard: Scorecard) -> pd.DataFrame:
    """The pandas frame `suite_for(scorecard)` describes, the one `--validation gx` hands GX:
    `suite_table` converted by `tierline.validation.checks.pandas_frame` (pyarrow's `to_pandas()`, text as
    object dtype of `str`). The index is the row position in `table`: GX's
    `unexpected_index_list` are row numbers of the table.
    """
    from tierline.validation.checks import pandas_frame

    return pandas_frame(suite_table(table, scorecard))
