"""Checks of scorecard literals: regular expressions under their bounds, and YAML values compared
the way the scorecard means (True is not 1)."""

from __future__ import annotations

import re
from typing import Any, Iterable


from tierline.scorecard.limits import MAX_REGEX_CHARS, MAX_REGEX_GROUP_DEPTH


def group_depth(pattern: str) -> int:
    """How deeply the parentheses of a regular expression nest (escapes and [...] sets skipped)."""
    depth = deepest = 0
    in_set = escaped = False
    for char in pattern:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif in_set:
            in_set = char != "]"
        elif char == "[":
            in_set = True
        elif char == "(":
            depth += 1
            deepest = max(deepest, depth)
        elif char == ")":
            depth -= 1
    return deepest


def regex_problem(pattern: str) -> str | None:
    # Bounded before compiling: Python's re parser recurses once per nested group (and GX and
    # RE2 compile the same text at run time, deeper in the stack).
    if len(pattern) > MAX_REGEX_CHARS:
        return f"the regular expression has {len(pattern):,} characters; at most {MAX_REGEX_CHARS:,}"
    if group_depth(pattern) > MAX_REGEX_GROUP_DEPTH:
        return f"the regular expression nests groups more than {MAX_REGEX_GROUP_DEPTH} deep"
    try:
        re.compile(pattern)
    except (re.error, OverflowError, RecursionError) as error:  # OverflowError: a{99999999999}
        return f"bad regular expression: {error}"
    return None


def python_type_ok(value: Any, input_type: str) -> bool:
    if input_type in ("int",):
        return isinstance(value, int) and not isinstance(value, bool)
    if input_type == "float":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if input_type == "bool":
        return isinstance(value, bool)
    if input_type == "string":
        return isinstance(value, str)
    return True


def value_key(value: Any) -> tuple[bool, Any]:
    """A key under which two scorecard values are equal as `same_value` says (True apart from 1)."""
    return isinstance(value, bool), value


def value_keys(values: Iterable[Any]) -> frozenset[tuple[bool, Any]]:
    return frozenset(value_key(value) for value in values)


def same_value(a: Any, b: Any) -> bool:
    """Equality that keeps True apart from 1 (YAML gives both)."""
    return type(a) is type(b) and a == b if isinstance(a, bool) or isinstance(b, bool) else a == b
