"""Safe YAML loading that remembers the line of every mapping key and sequence item.

Scorecard errors must name the line at fault, so the loader returns `LocatedDict` / `LocatedList`
(plain dict/list subclasses) that carry 1-based line numbers. Only `yaml.SafeLoader` constructs
objects: no tags, no Python objects, ever.

libyaml (C) scans and parses; PyYAML's composer and safe constructor (Python) build the nodes
and values. The composer is bounded (`tierline.scorecard.limits`): nesting deeper than MAX_YAML_DEPTH is refused before
PyYAML's recursive composer could overflow the stack, and nodes are counted with every alias
expanded, so a billion-laughs document is refused at the alias that passes MAX_YAML_NODES,
before anything is constructed. Integers must fit int64 and floats float64, judged on the text.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import yaml

from tierline.errors import ScorecardError
from tierline.scorecard.files import read_regular_file
from tierline.scorecard.limits import (
    INT64_MAX,
    INT64_MIN,
    MAX_INTEGER_CHARS,
    MAX_SCORECARD_BYTES,
    MAX_YAML_DEPTH,
    MAX_YAML_NODES,
    quote,
)


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


def _line(mark: Any) -> int | None:
    return None if mark is None else mark.line + 1


class _LocatingLoader(yaml.composer.Composer, yaml.cyaml.CParser, yaml.constructor.SafeConstructor,
                      yaml.resolver.Resolver):
    """libyaml's scanner and parser (C: a 1 MiB file in a fraction of a second, and no recursion),
    PyYAML's composer (Python, so it can be bounded here) and safe constructor."""

    def __init__(self, stream: str):
        yaml.cyaml.CParser.__init__(self, stream)
        yaml.composer.Composer.__init__(self)
        yaml.constructor.SafeConstructor.__init__(self)
        yaml.resolver.Resolver.__init__(self)
        self.depth = 0  # collections open around the node being composed
        self.expanded_nodes = 0  # nodes composed so far, every alias counted at its full size
        # id(node) → (nodes, levels) the node stands for once its aliases are expanded
        self.expanded: dict[int, tuple[int, int]] = {}

    def _count(self, nodes: int, mark: Any) -> None:
        self.expanded_nodes += nodes
        if self.expanded_nodes > MAX_YAML_NODES:
            raise ScorecardError(
                f"the YAML document expands to more than {MAX_YAML_NODES:,} values (aliases counted "
                "at their full size); a scorecard needs far fewer", line=_line(mark))

    def _nest(self, levels: int, mark: Any, via_alias: bool) -> None:
        if self.depth + levels > MAX_YAML_DEPTH:
            how = " once its aliases are expanded" if via_alias else ""
            raise ScorecardError(f"the YAML document nests more than {MAX_YAML_DEPTH} levels deep{how}",
                                 line=_line(mark))

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            node = super().compose_node(parent, index)
            if id(node) not in self.expanded:  # the anchored node is still open: it holds itself
                raise ScorecardError(f"alias *{event.anchor} refers to a node that contains it", line=_line(event.start_mark))
            nodes, levels = self.expanded[id(node)]
            self._count(nodes, event.start_mark)
            self._nest(levels, event.start_mark, via_alias=True)
            return node
        self._count(1, event.start_mark)
        self._nest(1, event.start_mark, via_alias=False)
        self.depth += 1
        try:
            node = super().compose_node(parent, index)
        finally:
            self.depth -= 1
        self.expanded[id(node)] = self._expanded_size(node)
        return node

    def construct_object(self, node: Any, deep: bool = False) -> Any:
        # PyYAML's own constructors trust the text an explicit tag gives them (`!!int x`,
        # `!!float ''`, `!!bool maybe`, `!!timestamp x`, `2024-13-45`) and raise plain
        # ValueError, KeyError or AttributeError: say which value, where.
        try:
            return super().construct_object(node, deep=deep)
        except (ValueError, KeyError, IndexError, AttributeError, TypeError, OverflowError):
            tag = node.tag.removeprefix("tag:yaml.org,2002:")
            value = quote(node.value) if isinstance(node, yaml.ScalarNode) else f"a {node.id}"
            raise ScorecardError(f"the YAML value {value} cannot be read as {tag}", line=node.start_mark.line + 1) from None

    def _expanded_size(self, node: Any) -> tuple[int, int]:
        if isinstance(node, yaml.MappingNode):
            children = [child for pair in node.value for child in pair]
        elif isinstance(node, yaml.SequenceNode):
            children = list(node.value)
        else:
            return 1, 1
        sizes = [self.expanded[id(child)] for child in children]
        return 1 + sum(n for n, _ in sizes), 1 + max((levels for _, levels in sizes), default=0)


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
            raise ScorecardError(f"duplicate key {quote(key)}", line=key_node.start_mark.line + 1)
        mapping[key] = loader.construct_object(value_node, deep=True)
        mapping.key_lines[key] = key_node.start_mark.line + 1
    return mapping


def _construct_sequence(loader: _LocatingLoader, node: yaml.SequenceNode) -> LocatedList:
    items = LocatedList(loader.construct_object(child, deep=True) for child in node.value)
    items.line = node.start_mark.line + 1
    items.item_lines = [child.start_mark.line + 1 for child in node.value]
    return items


def _construct_int(loader: _LocatingLoader, node: yaml.ScalarNode) -> int:
    # Counted before converting: Python's int() of a long text is quadratic (and refused past
    # 4,300 digits), and the base-60 form `1:0:0:…` multiplies once per part.
    text = node.value
    if sum(c.isalnum() for c in text) > MAX_INTEGER_CHARS:
        value = None
    else:
        value = loader.construct_yaml_int(node)
    if value is None or not INT64_MIN <= value <= INT64_MAX:
        raise ScorecardError(
            f"the integer {quote(text)} does not fit in 64 bits; write a large number as a float (1.0e+30)",
            line=node.start_mark.line + 1)
    return value


def _construct_float(loader: _LocatingLoader, node: yaml.ScalarNode) -> float:
    text = node.value
    value = loader.construct_yaml_float(node)
    if math.isinf(value) and "inf" not in text.lower():  # a finite-looking 1.0e+400 overflowed
        raise ScorecardError(f"the number {quote(text)} is too large for a float64 (at most about 1.8e+308)",
                             line=node.start_mark.line + 1)
    return value


_LocatingLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_LocatingLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)
_LocatingLoader.add_constructor("tag:yaml.org,2002:int", _construct_int)
_LocatingLoader.add_constructor("tag:yaml.org,2002:float", _construct_float)


def _reader_problem(error: yaml.reader.ReaderError, text: str) -> ScorecardError:
    """PyYAML's ReaderError prints on two lines and knows only a character position."""
    line = text.count("\n", 0, error.position) + 1 if isinstance(error.position, int) else None
    if isinstance(error.character, int):
        problem = f"the character #x{error.character:04x} is not allowed in YAML"
    else:
        problem = "the text is not valid YAML characters"
    return ScorecardError(f"YAML syntax: {problem}", line=line)


def load_yaml_text(text: str, source: str) -> Any:
    """Parse YAML text safely; syntax errors become a `ScorecardError` naming source and line."""
    try:
        return yaml.load(text, Loader=_LocatingLoader)  # noqa: S506 - a SafeLoader subclass
    except ScorecardError as error:
        raise ScorecardError(error.detail, source=source, line=error.line) from None
    except yaml.reader.ReaderError as error:
        problem = _reader_problem(error, text)
        raise ScorecardError(problem.detail, source=source, line=problem.line) from None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        if error.problem == "exceeded maximum nesting depth":  # libyaml's own bound, past ours
            raise ScorecardError(f"the YAML document nests more than {MAX_YAML_DEPTH} levels deep", source=source,
                                 line=_line(mark)) from None
        problem = ": ".join(part for part in (error.context, error.problem) if part) or "invalid YAML"
        raise ScorecardError(f"YAML syntax: {problem}", source=source, line=_line(mark)) from None
    except yaml.YAMLError as error:
        raise ScorecardError(f"YAML syntax: {error}", source=source) from None


def read_scorecard_bytes(path: str | Path) -> bytes:
    """The scorecard file's bytes: a regular file of at most MAX_SCORECARD_BYTES, else exit 2."""
    return read_regular_file(path, "scorecard file", MAX_SCORECARD_BYTES)


def load_yaml_file(path: str | Path) -> Any:
    raw = read_scorecard_bytes(path)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ScorecardError("the scorecard is not UTF-8 text", source=str(path)) from None
    return load_yaml_text(text, str(path))
