"""Where a scorecard problem is: the YAML line of a document path, and pydantic's errors as problems.

`Problems` collects every problem of one file, each naming the line, so `tierline check` can list
them all; the builders in `build_*.py` add to it.
"""

from __future__ import annotations

import re
from typing import Any, Sequence

from pydantic import ValidationError

from tierline.errors import ScorecardError
from tierline.scorecard.format import NAME_PATTERN
from tierline.scorecard.limits import INT32_MAX, quote
from tierline.scorecard.yamlload import LocatedDict, LocatedList


Path_ = tuple[Any, ...]


def line_at(document: Any, path: Path_) -> int | None:
    """The line of the deepest node along `path` that the YAML document has."""
    node, line = document, getattr(document, "line", None)
    for step in path:
        if isinstance(node, LocatedDict) and step in node:
            line = node.line_of(step)
            node = node[step]
        elif isinstance(node, LocatedList) and isinstance(step, int) and 0 <= step < len(node):
            line = node.line_of(step)
            node = node[step]
        else:
            break
    return line


_PLAIN_STEP = re.compile(r"[\w-]{1,60}")


def _path_text(path: Sequence[Any]) -> str:
    text = ""
    for step in path:
        if isinstance(step, str) and not _PLAIN_STEP.fullmatch(step):
            text += f"[{quote(step)}]"  # a key with spaces, newlines or 1,000 characters: quoted and cut
        elif isinstance(step, int):
            text += f"[{step}]"
        else:
            text += f".{step}" if text else str(step)
    return text


class Problems:
    """Collects problems with their document path; one scorecard may have several."""

    def __init__(self, document: Any, source: str):
        self.document = document
        self.source = source
        self.errors: list[ScorecardError] = []

    def add(self, path: Path_, message: str, line_path: Path_ | None = None) -> None:
        """Record a problem at `path`; its line is that of `line_path` (default `path`)."""
        where = _path_text(path)
        text = f"{where}: {message}" if where else message
        line = line_at(self.document, path if line_path is None else line_path)
        self.errors.append(ScorecardError(text, source=self.source, line=line))


# pydantic names the member of a union it tried (`int`, `float`, `literal['invalid']`) in an
# error's location; those are not places in the file.
_UNION_MEMBERS = {"int", "float", "bool", "str", "none"}


def _is_union_member(step: Any) -> bool:
    return isinstance(step, str) and ("[" in step or step in _UNION_MEMBERS)


def document_path(document: Any, location: Sequence[Any]) -> Path_:
    """The places in the file along pydantic's error location: a step the document holds is a
    key or index (whatever it is spelt like, `a[1]` included); one it does not hold is a union
    member's name, skipped, or a missing key, kept."""
    node, path = document, []
    for step in location:
        if isinstance(node, dict) and not isinstance(step, (list, dict)) and step in node:
            node = node[step]
        elif isinstance(node, list) and isinstance(step, int) and 0 <= step < len(node):
            node = node[step]
        elif _is_union_member(step):
            continue
        else:
            node = None
        path.append(step)
    return tuple(path)


def pydantic_problems(error: ValidationError, problems: Problems) -> None:
    seen: set[Path_] = set()
    for item in error.errors():
        path = document_path(problems.document, item["loc"])
        kind = item["type"]
        line_path = path
        if path in seen:
            continue  # one line per place: the first of a union's alternatives says enough
        seen.add(path)
        if kind == "extra_forbidden" and path:
            key = path[-1]
            path, message = path[:-1], f"unknown key {quote(key)}"
        elif kind == "missing" and path:
            key = path[-1]
            path, message = path[:-1], f"missing key {quote(key)}"
        else:
            message = item["msg"].removeprefix("Value error, ")
            if kind == "string_pattern_mismatch" and path and path[-1] == "tier":
                message = f"tier code {quote(item['input'])} must match ^[A-Za-z0-9_-]{{1,32}}$ (letters, digits, _ and -)"
            elif kind == "string_pattern_mismatch" and item["ctx"]["pattern"] == NAME_PATTERN:
                message = (f"name {quote(item['input'])} must match {NAME_PATTERN} (ASCII letters, digits and _, "
                           "not starting with a digit), so that expressions and SQL can name it as written")
            elif kind == "string_pattern_mismatch":
                message = f"{quote(item['input'])} must match {item['ctx']['pattern']}"
            elif kind == "literal_error":
                message = f"{quote(item['input'])} is not allowed: {item['msg'].removeprefix('Input should be ')}"
            elif kind == "finite_number":
                message = f"must be a finite number, not {quote(item['input'])}"
            elif kind == "too_short" and path and path[-1] == "map":
                message = "an empty map gives no value any points: list each value with its points"
            elif kind == "less_than_equal" and path == ("version",):
                message = f"version {quote(item['input'])} is too large: it is written as an int32, at most {INT32_MAX:,}"
        problems.add(path, message, line_path)
