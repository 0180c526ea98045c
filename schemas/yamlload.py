"""Safe YAML loading that remembers the line of every mapping key and sequence item.

Scorecard errors must name the line at fault, so the loader returns `LocatedDict` / `LocatedList`
(plain dict/list subclasses) that carry 1-based line numbers. Only `yaml.SafeLoader` constructs
objects: no tags, no Python objects, ever.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from schemas.errors import ScorecardError


class LocatedDict(dict):
    """A mapping with `line` (where it starts) and `key_lines` (where each key is written)."""

    line: int = 0
    key_lines: dict[Any, int]

    def line_of(self, key: Any) -> int:
        return self.key_lines.get(key, self.line)


class LocatedList(list):
    """A sequence with `line` and `item_lines` (where each item starts)."""

    line: int = 0
    item_lines: list[int]

    def line_of(self, index: int) -> int:
        if 0 <= index < len(self.item_lines):
            return self.item_lines[index]
        return self.line


class _LocatingLoader(yaml.SafeLoader):
    pass


def _construct_mapping(loader: _LocatingLoader, node: yaml.MappingNode) -> LocatedDict:
    loader.flatten_mapping(node)
    mapping = LocatedDict()
    mapping.line = node.start_mark.line + 1
    mapping.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            hash(key)
        except TypeError:
            raise ScorecardError(
                "a mapping key must be a plain value", line=key_node.start_mark.line + 1
            ) from None
        if key in mapping:
            raise ScorecardError(f"duplicate key {key!r}", line=key_node.start_mark.line + 1)
        mapping[key] = loader.construct_object(value_node, deep=True)
        mapping.key_lines[key] = key_node.start_mark.line + 1
    return mapping


def _construct_sequence(loader: _LocatingLoader, node: yaml.SequenceNode) -> LocatedList:
    items = LocatedList(loader.construct_object(child, deep=True) for child in node.value)
    items.line = node.start_mark.line + 1
    items.item_lines = [child.start_mark.line + 1 for child in node.value]
    return items


_LocatingLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_LocatingLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


def load_yaml_text(text: str, source: str) -> Any:
    """Parse YAML text safely; syntax errors become a `ScorecardError` naming source and line."""
    try:
        return yaml.load(text, Loader=_LocatingLoader)  # noqa: S506 - a SafeLoader subclass
    except ScorecardError as error:
        raise ScorecardError(error.detail, source=source, line=error.line) from None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = error.problem or error.context or "invalid YAML"
        raise ScorecardError(f"YAML syntax: {problem}", source=source, line=line) from None
    except yaml.YAMLError as error:
        raise ScorecardError(f"YAML syntax: {error}", source=source) from None


def load_yaml_file(path: str | Path) -> Any:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScorecardError("no such scorecard file", source=str(path)) from None
    except (OSError, UnicodeDecodeError) as error:
        raise ScorecardError(f"cannot read the scorecard: {error}", source=str(path)) from None
    return load_yaml_text(text, str(path))
