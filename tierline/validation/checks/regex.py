"""`regex` (`column_values_match_regex.py`): `column.astype(str).str.contains(regex)`, i.e. Python
`re.search` anywhere in the text (anchor with ^ and $ yourself), on the value's `str()` for
non-text columns (int 1 → "1", float 1.0 → "1.0", bool → "True").

Python semantics, RE2 speed where it is provably the same: GX runs `Series.str.contains(regex)` on
object text, i.e. Python `re.search`, a backtracking engine. RE2 (`pc.match_substring_regex`) runs
in linear time and gives the same answers except where it reads a construct differently, as pandas
itself knows when it picks RE2 for its pyarrow strings: lookarounds, backreferences, \\u escapes and
\\s exist only in `re` (or differ); \\w \\d \\b are ASCII in RE2, so they agree only on ASCII data; `$`
also matches before a final newline in `re`, so it agrees only on data without newlines, unless it
ends the pattern (below); `\\Z` is RE2's `\\z`. Patterns whose meaning would depend on the engine
(`[[:alpha:]]`, `a{,3}`) or that RE2 refuses (`(?x)`, atomic groups, possessive repeats) are refused
at compile time, so an accepted pattern has one meaning, Python's, whichever engine runs it. What RE2
cannot run is searched by `re` itself under a time bound per value (`tierline.validation.bounded_re`).
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tierline.errors import ScorecardError
from tierline.validation.checks.column import GxColumn, gx_column

if TYPE_CHECKING:
    from tierline.validation.checks.model import CompiledCheck


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


def compile_regex(pattern: Any, label: str) -> RegexPlan:
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


def regex_matches(texts: pa.ChunkedArray, check: CompiledCheck) -> pa.ChunkedArray | np.ndarray:
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
    texts = regex_texts(gx_column(table, check))
    try:
        _python_search(texts, check)
    except RegexTooSlow as error:
        raise RegexTooSlow(check, error.seconds,
                           re2_could=check.regex_plan.engine_for(texts) is RegexEngine.RE2) from None



def regex_texts(column: GxColumn) -> pa.ChunkedArray:
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

