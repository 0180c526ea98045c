"""Load a scorecard file: safe YAML → format models → checked `Scorecard` (SPEC §2).

Every problem becomes a `ScorecardError` that names the file, the line and what is wrong.
`check_scorecard` collects all problems (for `tierline check`); `load_scorecard` raises the first.
"""

from __future__ import annotations

import hashlib
import math
import re
from pathlib import Path
from typing import Any, Iterable, Sequence

from pydantic import ValidationError

from tierline.scorecard import format as fmt
from tierline.errors import ScorecardError
from tierline.scorecard.expressions import ExpressionError, Name, ValueType, check_types, parse_expression
from tierline.scorecard.model import (
    RESERVED_COLUMNS,
    ActionColumn,
    Aggregate,
    Component,
    Derived,
    Expression,
    Input,
    Level,
    Axis,
    LevelTiering,
    MatrixTiering,
    Override,
    Quantile,
    QuantileTiering,
    Rule,
    RuleTiering,
    Scale,
    Score,
    Scorecard,
    Tier,
)
from tierline.scorecard.limits import INT32_MAX, MAX_REGEX_CHARS, MAX_REGEX_GROUP_DEPTH, MAX_REPORTED_PROBLEMS, quote
from tierline.scorecard.ranges import Range, check_ranges
from tierline.scorecard.yamlload import LocatedDict, LocatedList, load_yaml_text, read_scorecard_bytes

Path_ = tuple[Any, ...]


def _line_at(document: Any, path: Path_) -> int | None:
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


class _Problems:
    """Collects problems with their document path; one scorecard may have several."""

    def __init__(self, document: Any, source: str):
        self.document = document
        self.source = source
        self.errors: list[ScorecardError] = []

    def add(self, path: Path_, message: str, line_path: Path_ | None = None) -> None:
        """Record a problem at `path`; its line is that of `line_path` (default `path`)."""
        where = _path_text(path)
        text = f"{where}: {message}" if where else message
        line = _line_at(self.document, path if line_path is None else line_path)
        self.errors.append(ScorecardError(text, source=self.source, line=line))


# pydantic names the member of a union it tried (`int`, `float`, `literal['invalid']`) in an
# error's location; those are not places in the file.
_UNION_MEMBERS = {"int", "float", "bool", "str", "none"}


def _is_union_member(step: Any) -> bool:
    return isinstance(step, str) and ("[" in step or step in _UNION_MEMBERS)


def _document_path(document: Any, location: Sequence[Any]) -> Path_:
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


def _pydantic_problems(error: ValidationError, problems: _Problems) -> None:
    seen: set[Path_] = set()
    for item in error.errors():
        path = _document_path(problems.document, item["loc"])
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


def check_scorecard(path: str | Path) -> tuple[Scorecard | None, list[ScorecardError]]:
    """Parse and check one scorecard file; returns the scorecard (if sound) and every problem."""
    path = Path(path)
    try:
        raw_bytes = read_scorecard_bytes(path)  # a regular file under the size limit, or exit 2
        text = raw_bytes.decode("utf-8")
        document = load_yaml_text(text, str(path))
    except UnicodeDecodeError:
        return None, [ScorecardError("the scorecard is not UTF-8 text", source=str(path))]
    except ScorecardError as error:
        return None, [error]
    return check_document(document, str(path), hashlib.sha256(raw_bytes).hexdigest())


def load_scorecard(path: str | Path) -> Scorecard:
    """Load a scorecard, raising the first problem as a `ScorecardError`."""
    scorecard, errors = check_scorecard(path)
    if errors:
        raise errors[0]
    assert scorecard is not None
    return scorecard


def load_scorecard_text(text: str, source: str = "<scorecard>") -> Scorecard:
    """Load a scorecard from YAML text (tests, embedded scorecards)."""
    document = load_yaml_text(text, source)
    scorecard, errors = check_document(document, source, hashlib.sha256(text.encode()).hexdigest())
    if errors:
        raise errors[0]
    assert scorecard is not None
    return scorecard


def _reported(errors: list[ScorecardError], source: str) -> list[ScorecardError]:
    """The first MAX_REPORTED_PROBLEMS problems, and a line saying how many more there are."""
    if len(errors) <= MAX_REPORTED_PROBLEMS:
        return errors
    more = len(errors) - MAX_REPORTED_PROBLEMS
    return errors[:MAX_REPORTED_PROBLEMS] + [ScorecardError(f"{more:,} more problems not shown", source=source)]


def check_document(document: Any, source: str, sha256: str = "") -> tuple[Scorecard | None, list[ScorecardError]]:
    problems = _Problems(document, source)
    if not isinstance(document, dict):
        problems.add((), "a scorecard is a YAML mapping (scorecard:, version:, key:, inputs:, tiers: ...)")
        return None, problems.errors
    try:
        spec = fmt.ScorecardSpec.model_validate(document)
    except ValidationError as error:
        _pydantic_problems(error, problems)
        return None, _reported(problems.errors, source)
    scorecard = _Builder(spec, problems, source, sha256).build()
    if problems.errors:
        return None, _reported(problems.errors, source)
    return scorecard, []


def _group_depth(pattern: str) -> int:
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


def _regex_problem(pattern: str) -> str | None:
    # Bounded before compiling: Python's re parser recurses once per nested group (and GX and
    # RE2 compile the same text at run time, deeper in the stack).
    if len(pattern) > MAX_REGEX_CHARS:
        return f"the regular expression has {len(pattern):,} characters; at most {MAX_REGEX_CHARS:,}"
    if _group_depth(pattern) > MAX_REGEX_GROUP_DEPTH:
        return f"the regular expression nests groups more than {MAX_REGEX_GROUP_DEPTH} deep"
    try:
        re.compile(pattern)
    except (re.error, OverflowError, RecursionError) as error:  # OverflowError: a{99999999999}
        return f"bad regular expression: {error}"
    return None


def _python_type_ok(value: Any, input_type: str) -> bool:
    if input_type in ("int",):
        return isinstance(value, int) and not isinstance(value, bool)
    if input_type == "float":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if input_type == "bool":
        return isinstance(value, bool)
    if input_type == "string":
        return isinstance(value, str)
    return True


def _value_key(value: Any) -> tuple[bool, Any]:
    """A key under which two scorecard values are equal as `_same_value` says (True apart from 1)."""
    return isinstance(value, bool), value


def _value_keys(values: Iterable[Any]) -> frozenset[tuple[bool, Any]]:
    return frozenset(_value_key(value) for value in values)


def _same_value(a: Any, b: Any) -> bool:
    """Equality that keeps True apart from 1 (YAML gives both)."""
    return type(a) is type(b) and a == b if isinstance(a, bool) or isinstance(b, bool) else a == b


class _Builder:
    def __init__(self, spec: fmt.ScorecardSpec, problems: _Problems, source: str, sha256: str):
        self.spec = spec
        self.problems = problems
        self.source = source
        self.sha256 = sha256
        self.inputs: dict[str, Input] = {}
        self.score_names: list[str] = []
        # every output column named so far (SPEC §4) → what writes it, for clash messages
        self.columns: dict[str, str] = {name: "a column tierline writes" for name in sorted(RESERVED_COLUMNS)}

    def claim(self, column: str, holder: str) -> str | None:
        """Name output column `column` after `holder`; return what already holds that name, if anything."""
        if column in self.columns:
            return self.columns[column]
        self.columns[column] = holder
        return None

    def add(self, path: Path_, message: str) -> None:
        self.problems.add(path, message)

    def line(self, path: Path_) -> int:
        return _line_at(self.problems.document, path) or 0

    # ---------------------------------------------------------------- inputs
    def build_inputs(self) -> tuple[Input, ...]:
        for name, raw in self.spec.inputs.items():
            path = ("inputs", name)
            if not name.isidentifier():
                self.add(path, f"input name {quote(name)} must be an identifier (letters, digits, _) so expressions can name it")
            if name in RESERVED_COLUMNS:
                self.add(path, f"input name {quote(name)} is reserved for an output column")
            values = tuple(raw.values) if raw.values is not None else None
            if raw.type == "category" and not values:
                self.add(path, "a category input needs 'values'")
            if raw.type not in ("category", "string", "int", "bool") and values is not None:
                if raw.type != "float":
                    self.add(path + ("values",), f"'values' does not apply to {raw.type} inputs")
            for bound in ("min", "max"):
                if getattr(raw, bound) is not None and raw.type not in ("int", "float"):
                    self.add(path + (bound,), f"'{bound}' applies to int and float inputs only")
            if raw.min is not None and raw.max is not None and raw.min > raw.max:
                self.add(path, f"min {raw.min} is greater than max {raw.max}")
            if raw.regex is not None:
                if raw.type not in ("string", "category"):
                    self.add(path + ("regex",), "'regex' applies to string inputs only")
                else:
                    problem = _regex_problem(raw.regex)
                    if problem is not None:
                        self.add(path + ("regex",), problem)
            if raw.default is not None:
                if raw.type == "category":
                    if values and not any(_same_value(raw.default, v) for v in values):
                        self.add(path + ("default",), f"default {quote(raw.default)} is not one of the values")
                elif raw.type in ("date", "timestamp"):
                    self.add(path + ("default",), f"'default' is not supported for {raw.type} inputs")
                elif not _python_type_ok(raw.default, raw.type):
                    self.add(path + ("default",), f"default {quote(raw.default)} is not a {raw.type}")
            if values is not None and raw.type in ("string", "int", "bool"):
                for value in values:
                    if value is not None and not _python_type_ok(value, raw.type):
                        self.add(path + ("values",), f"value {quote(value)} is not a {raw.type}")
            self.inputs[name] = Input(
                name=name, type=raw.type, required=raw.required, default=raw.default,
                min=None if raw.min is None else float(raw.min),
                max=None if raw.max is None else float(raw.max),
                values=values, unique=raw.unique, regex=raw.regex, line=self.line(path),
            )
        if self.spec.key not in self.inputs:
            self.add(("key",), f"key {quote(self.spec.key)} is not a declared input")
        return tuple(self.inputs.values())

    # ---------------------------------------------------------------- scores
    def build_scores(self) -> tuple[Score, ...]:
        if self.spec.score is not None and self.spec.scores is not None:
            self.add(("scores",), "use either 'score' or 'scores', not both")  # then check 'score' alone
        if self.spec.score is not None:
            named = [("score", self.spec.score, ("score",), "score")]
        elif self.spec.scores is not None:
            named = [(name, raw, ("scores", name), f"score_{name}") for name, raw in self.spec.scores.items()]
        else:
            named = []
        scores: list[Score] = []
        component_names: set[str] = set()
        for name, raw, path, column in named:
            if not name.isidentifier() or name in RESERVED_COLUMNS:
                self.add(path, f"score name {quote(name)} must be an identifier and not a reserved column name")
            if name in self.inputs:
                self.add(path, f"score name {quote(name)} is also an input name; expressions could not tell them apart")
            self.score_names.append(name)
            components = []
            for index, raw_component in enumerate(raw.components):
                component = self.build_component(raw_component, name, raw.combine, path + ("components", index))
                if component.name in component_names:
                    self.add(path + ("components", index, "name"), f"component name {quote(component.name)} is used twice")
                component_names.add(component.name)
                components.append(component)
            scores.append(Score(name=name, combine=raw.combine, components=tuple(components),
                                round=raw.round, output_column=column, line=self.line(path)))
        return tuple(scores)

    def build_component(self, raw: fmt.ComponentSpec, score: str, combine: str, path: Path_) -> Component:
        spec = self.inputs.get(raw.input)
        if spec is None:
            self.add(path + ("input",), f"input {quote(raw.input)} is not declared under inputs")
        weight = float(raw.weight)
        if combine == "product" and weight != 1:
            self.add(path + ("weight",), f"weights must be 1 with combine: product (weight is {raw.weight})")
        elif not (weight > 0 and math.isfinite(weight)):
            self.add(path + ("weight",), f"weight must be a positive number, not {raw.weight}")
        missing = None if raw.missing == "invalid" else float(raw.missing)
        input_type = spec.type if spec else None
        common = dict(name=raw.name, input=raw.input, score=score, weight=weight, missing=missing, line=self.line(path))
        possible: list[float] = [] if missing is None else [missing]
        if raw.map is not None:
            if input_type in ("float", "date", "timestamp"):
                self.add(path + ("map",), f"'map' needs a category, bool, int or string input; {quote(raw.input)} is {input_type}")
            points = []
            category_values = _value_keys(spec.values or ()) if spec is not None else frozenset()
            for key, value in raw.map.items():
                if spec is not None and spec.type == "category" and spec.values is not None:
                    if _value_key(key) not in category_values:
                        self.add(path + ("map", key), f"map key {quote(key)} is not one of the values of input {quote(raw.input)}")
                elif spec is not None and not _python_type_ok(key, spec.type):
                    self.add(path + ("map", key), f"map key {quote(key)} is not a {spec.type} like input {quote(raw.input)}")
                points.append((key, float(value)))
            possible += [p for _, p in points]
            return Component(method="map", map_points=tuple(points), max_points=max(possible), **common)
        if input_type is not None and input_type not in ("int", "float"):
            self.add(path + ("input",), f"bands, linear and value need an int or float input; {quote(raw.input)} is {input_type}")
        if raw.bands is not None:
            bands = [(Range.from_bounds(b.from_, b.above, b.to, b.upto), float(b.points)) for b in raw.bands]
            names = [f"#{i + 1}" for i in range(len(bands))]
            for problem in check_ranges([b[0] for b in bands], names, "band", unbounded_ends=False):
                self.add(path + ("bands", problem.index), problem.message)
            possible += [p for _, p in bands]
            return Component(method="bands", bands=tuple(bands), max_points=max(possible), **common)
        if raw.linear is not None:
            x0, x1 = map(float, raw.linear.from_)
            y0, y1 = map(float, raw.linear.to)
            if not x0 < x1:
                self.add(path + ("linear",), f"linear 'from' must be increasing, got [{x0:g}, {x1:g}]")
            elif not (math.isfinite(x1 - x0) and math.isfinite(y1 - y0)):
                self.add(path + ("linear",), "linear ranges are too wide to compute in float64; narrow 'from' or 'to'")
            possible += [y0, y1]
            return Component(method="linear", linear=(x0, x1, y0, y1), max_points=max(possible), **common)
        top = spec.max if spec is not None else None
        max_points = None if top is None else max(possible + [top])
        return Component(method="value", max_points=max_points, **common)

    # ---------------------------------------------------------------- expressions
    def expression(self, text: str, path: Path_, extra: dict[str, ValueType], what: str) -> Expression | None:
        def type_of(name: Name) -> ValueType:
            if name.name in self.inputs:
                return self.inputs[name.name].value_type
            if name.name in self.score_names:
                return "number"
            if name.name in extra:
                return extra[name.name]
            raise ExpressionError(f"unknown name {quote(name.name)}", name.column)

        try:
            ast = parse_expression(text)
            kind = check_types(ast, type_of)
        except ExpressionError as error:
            self.add(path, f"in {quote(text)} at column {error.column}: {error.message}")
            return None
        if what == "condition" and kind not in ("bool", "null"):
            self.add(path, f"{quote(text)} is a {kind}, a condition must be true or false")
            return None
        if what == "derived" and kind not in ("number", "bool"):
            self.add(path, f"{quote(text)} is {kind}; a derived column must be a number or true/false")
            return None
        return Expression(text=text, ast=ast, type=kind, line=self.line(path))

    # ---------------------------------------------------------------- tiers
    def resolve_by(self, by: str | None, path: Path_, what: str) -> tuple[str, bool] | None:
        """The score or numeric input that `by` names (default: the only score), and whether it is a score."""
        if by is None:
            if len(self.score_names) == 1:
                return self.score_names[0], True
            self.add(path, f"{what} need 'by' (a score or numeric input) when there is not exactly one score")
            return None
        if by in self.score_names:
            return by, True
        spec = self.inputs.get(by)
        if spec is None:
            self.add(path + ("by",), f"'by' names {quote(by)}, which is neither a score nor an input")
        elif spec.type not in ("int", "float"):
            self.add(path + ("by",), f"'by' input {quote(by)} must be int or float, not {spec.type}")
        return by, False

    def build_levels(self, raw_levels: list[fmt.LevelSpec], path: Path_, what: str) -> tuple[Level, ...]:
        levels = tuple(Level(tier=level.tier, range=Range.from_bounds(level.from_, level.above, level.to, level.upto),
                             line=self.line(path + (i,))) for i, level in enumerate(raw_levels))
        for problem in check_ranges([lv.range for lv in levels], [lv.tier for lv in levels], what, unbounded_ends=True):
            self.add(path + (problem.index,), problem.message)
        return levels

    def build_matrix(self, raw: fmt.MatrixSpec) -> tuple[list[tuple[str, str | None, Path_]], MatrixTiering | None]:
        path = ("tiers", "matrix")
        axes = []
        for name in ("rows", "cols"):
            raw_axis = getattr(raw, name)
            resolved = self.resolve_by(raw_axis.by, path + (name,), "matrix axes")
            if resolved is None:
                return [], None
            levels = self.build_levels(raw_axis.levels, path + (name, "levels"), f"{name} level")
            names = [lv.tier for lv in levels]
            if len(set(names)) != len(names):
                self.add(path + (name, "levels"), f"{name} level names must be distinct")
            axes.append(Axis(by=resolved[0], by_score=resolved[1], levels=levels))
        rows, cols = axes
        if len(raw.cells) != len(rows.levels):
            self.add(path + ("cells",), f"cells need one row per rows level ({len(rows.levels)}), not {len(raw.cells)}")
            return [], None
        order = list(raw.order)
        listed: set[str] = set()
        for index, code in enumerate(order):
            if not fmt.re_tier_code(code):
                self.add(path + ("order", index), f"tier code {quote(code)} must match ^[A-Za-z0-9_-]{{1,32}}$ (letters, digits, _ and -)")
            if code in listed:
                self.add(path + ("order", index), f"tier code {quote(code)} is listed twice")
            listed.add(code)
        used: set[str] = set()
        for r, row in enumerate(raw.cells):
            if len(row) != len(cols.levels):
                self.add(path + ("cells", r), f"cells row {r + 1} needs one tier per cols level ({len(cols.levels)}), not {len(row)}")
                return [], None
            for code in row:
                if code not in listed:
                    self.add(path + ("cells", r), f"cell tier {quote(code)} is not listed in 'order'")
                used.add(code)
        for index, code in enumerate(order):
            if code not in used:
                self.add(path + ("order", index), f"tier {quote(code)} in 'order' appears in no cell")
        labels = raw.labels or {}
        for code in labels:
            if code not in listed:
                self.add(path + ("labels", code), f"label for {quote(code)}, which is not in 'order'")
        tiers = [(code, labels.get(code), path + ("order", index)) for index, code in enumerate(order)]
        return tiers, MatrixTiering(rows=rows, cols=cols, cells=tuple(tuple(row) for row in raw.cells))

    def build_quantiles(self, raw: fmt.TiersSpec) -> tuple[list[tuple[str, str | None, Path_]], QuantileTiering | None]:
        resolved = self.resolve_by(raw.by, ("tiers",), "quantiles")
        if resolved is None:
            return [], None
        quantiles = []
        previous = 0.0
        count = len(raw.quantiles or [])
        for index, entry in enumerate(raw.quantiles or []):
            path = ("tiers", "quantiles", index)
            last = index == count - 1
            if entry.top is None and not last:
                self.add(path, "only the last quantile tier may leave out 'top' (it takes the rest)")
            elif entry.top is not None and last and entry.top != 1:
                self.add(path, f"the last quantile tier takes the rest: leave out 'top' (it is {entry.top:g})")
            elif entry.top is not None and entry.top <= previous:
                self.add(path, f"'top' must grow down the list: {entry.top:g} is not above {previous:g}")
            previous = entry.top if entry.top is not None else previous
            quantiles.append(Quantile(tier=entry.tier, top=None if last else entry.top, line=self.line(path)))
        tiers = [(q.tier, q.label, ("tiers", "quantiles", i)) for i, q in enumerate(raw.quantiles or [])]
        return tiers, QuantileTiering(by=resolved[0], by_score=resolved[1], order=raw.order, quantiles=tuple(quantiles))

    def build_tiering(self) -> tuple[list[tuple[str, str | None, Path_]], LevelTiering | RuleTiering | MatrixTiering | None]:
        raw = self.spec.tiers
        if raw.quantiles is not None:
            return self.build_quantiles(raw)
        if raw.matrix is not None:
            if raw.by is not None:
                self.add(("tiers", "by"), "a matrix takes 'by' on each axis (rows.by, cols.by), not on tiers")
            return self.build_matrix(raw.matrix)
        if raw.levels is not None:
            resolved = self.resolve_by(raw.by, ("tiers",), "levels")
            if resolved is None:
                return [], None
            by, by_score = resolved
            levels = list(self.build_levels(raw.levels, ("tiers", "levels"), "level"))
            scale = self.build_scale(raw.scale) if raw.scale is not None else None
            tiers = [(lv.tier, lv.label, ("tiers", "levels", i)) for i, lv in enumerate(raw.levels)]
            return tiers, LevelTiering(by=by, by_score=by_score, levels=tuple(levels), scale=scale)
        assert raw.rules is not None
        if raw.by is not None:
            self.add(("tiers", "by"), "'by' applies to levels and quantiles, not rules")
        rules = []
        tiers = []
        count = len(raw.rules.levels)
        for index, rule in enumerate(raw.rules.levels):
            path = ("tiers", "rules", "levels", index)
            when = None
            if rule.when is None:
                if index != count - 1:
                    self.add(path, "only the last rule may leave out 'when' (it catches every row)")
            else:
                when = self.expression(rule.when, path + ("when",), {}, "condition")
            rules.append(Rule(tier=rule.tier, when=when, line=self.line(path)))
            tiers.append((rule.tier, rule.label, path))
        return tiers, RuleTiering(hit=raw.rules.hit, rules=tuple(rules))

    def build_scale(self, raw: fmt.ScaleSpec) -> Scale | None:
        path = ("tiers", "scale")
        spec = self.inputs.get(raw.column)
        if spec is None:
            self.add(path + ("column",), f"scale column {quote(raw.column)} is not a declared input")
            return None
        if spec.type in ("float", "date", "timestamp"):
            self.add(path + ("column",), f"scale column {quote(raw.column)} must be a category, int, bool or string input")
        factors = []
        category_values = _value_keys(spec.values or ())
        for value, factor in raw.factors.items():
            if spec.type == "category" and spec.values is not None and _value_key(value) not in category_values:
                self.add(path + ("factors", value), f"{quote(value)} is not one of the values of {quote(raw.column)}")
            elif spec.type != "category" and not _python_type_ok(value, spec.type):
                self.add(path + ("factors", value), f"{quote(value)} is not a {spec.type} like {quote(raw.column)}")
            if not (float(factor) > 0 and math.isfinite(float(factor))):
                self.add(path + ("factors", value), f"factor must be a positive number, not {factor}")
            factors.append((value, float(factor)))
        return Scale(column=raw.column, factors=tuple(factors), line=self.line(path))

    def build_tier_table(self, produced: list[tuple[str, str | None, Path_]]) -> tuple[Tier, ...]:
        """Override-only tiers rank first (in override order), then the tiering's, in listed order."""
        table: list[tuple[str, str]] = []
        produced_codes = {code for code, _, _ in produced}
        seen: dict[str, Path_] = {}
        for index, override in enumerate(self.spec.overrides):
            if override.tier in produced_codes or override.tier in seen:
                continue
            path = ("overrides", index)
            if override.label is None:
                self.add(path, f"override tier {quote(override.tier)} is not produced by 'tiers', so it needs its own 'label'")
            seen[override.tier] = path
            table.append((override.tier, override.label or override.tier))
        in_table = {code for code, _ in table}
        for code, label, path in produced:
            if code in seen:
                if code not in produced_codes or seen[code][0] != "overrides":
                    self.add(path, f"tier code {quote(code)} is listed twice")
                    continue
            if code in in_table:
                self.add(path, f"tier code {quote(code)} is listed twice")
                continue
            in_table.add(code)
            seen[code] = path
            table.append((code, label if label is not None else code))
        lowered: dict[str, str] = {}
        for code, _ in table:
            if code.lower() in lowered and lowered[code.lower()] != code:
                self.add(("tiers",), f"tier codes {quote(lowered[code.lower()])} and {quote(code)} differ only in case; their directories would clash on some file systems")
            lowered[code.lower()] = code
        return tuple(Tier(code=code, label=label, rank=rank) for rank, (code, label) in enumerate(table, start=1))

    def build_overrides(self, tiers: tuple[Tier, ...]) -> tuple[Override, ...]:
        overrides = []
        names: set[str] = set()
        for index, raw in enumerate(self.spec.overrides):
            path = ("overrides", index)
            if raw.name in names:
                self.add(path + ("name",), f"override name {quote(raw.name)} is used twice")
            names.add(raw.name)
            when = self.expression(raw.when, path + ("when",), {}, "condition")
            if when is not None:
                overrides.append(Override(name=raw.name, when=when, tier=raw.tier, line=self.line(path)))
        return tuple(overrides)

    # ---------------------------------------------------------------- actions, derived
    def build_actions(self, tiers: tuple[Tier, ...]) -> tuple[ActionColumn, ...]:
        raw = self.spec.actions
        if not raw:
            return ()
        codes = [t.code for t in tiers]
        for code in raw:
            if code not in codes:
                self.add(("actions", code), f"actions name tier {quote(code)}, which is not a tier of this scorecard")
        missing = [code for code in codes if code not in raw]
        if missing:
            self.add(("actions",), f"actions must list every tier; missing: {', '.join(missing)}")
            return ()
        columns = list(dict.fromkeys(column for code in codes for column in raw[code]))
        result = []
        for column in columns:
            first = next(code for code in codes if column in raw[code])
            self.check_column_name(column, f"action column {quote(column)}", ("actions", first, column))
            values = []
            for code in codes:
                if column not in raw[code]:
                    self.add(("actions", code), f"tier {quote(code)} lacks action column {quote(column)} (every tier needs the same columns)")
                values.append(raw[code].get(column))
            kinds = {("bool" if isinstance(v, bool) else "int" if isinstance(v, int) else "float" if isinstance(v, float) else "string")
                     for v in values if v is not None}
            if kinds <= {"int"} and kinds:
                kind = "int"
            elif kinds and kinds <= {"int", "float"}:
                kind = "float"
            elif len(kinds) == 1:
                kind = kinds.pop()
            elif not kinds:
                kind = "string"
            else:
                self.add(("actions",), f"action column {quote(column)} mixes types ({', '.join(sorted(kinds))}) across tiers")
                continue
            if kind == "float":
                values = [None if v is None else float(v) for v in values]
            result.append(ActionColumn(name=column, type=kind, values=tuple(values)))  # type: ignore[arg-type]
        return tuple(result)

    def check_column_name(self, column: str, what: str, path: Path_) -> bool:
        """An action or derived column needs a name of its own among inputs, scores and output columns."""
        if not column.isidentifier():
            self.add(path, f"{what} must be an identifier (letters, digits, _) so expressions can name it")
            return False
        holder = self.claim(column, what)
        if column in self.inputs or column in self.score_names:
            kind = "an input" if column in self.inputs else "a score"
            self.add(path, f"{what} has the name of {kind}; expressions could not tell them apart")
            return False
        if holder is not None:
            self.add(path, f"{what} has the name of {holder}; the output would hold two columns named {quote(column)}")
            return False
        return True

    def build_passthrough(self) -> Any:
        """`all`, or the listed columns: each once, the key among them, none named like an output column."""
        passthrough = self.spec.passthrough
        if not isinstance(passthrough, list):
            return passthrough
        if self.spec.key not in passthrough:
            self.add(("passthrough",), f"passthrough must include the key column {quote(self.spec.key)}")
        listed: set[str] = set()
        for index, column in enumerate(passthrough):
            path = ("passthrough", index)
            if column in listed:
                self.add(path, f"passthrough lists {quote(column)} twice")
            elif column in self.columns:
                self.add(path, f"passthrough column {quote(column)} has the name of {self.columns[column]}; "
                         f"the output would hold two columns named {quote(column)}")
            listed.add(column)
        return tuple(passthrough)

    def build_derived(self, actions: tuple[ActionColumn, ...]) -> tuple[Derived, ...]:
        extra: dict[str, ValueType] = {a.name: a.value_type for a in actions}
        result = []
        for name, text in (self.spec.derived or {}).items():
            path = ("derived", name)
            if not self.check_column_name(name, f"derived column {quote(name)}", path):
                continue
            expression = self.expression(str(text), path, extra, "derived")
            if expression is not None:
                result.append(Derived(name=name, expression=expression))
                extra[name] = expression.type
        return tuple(result)

    def build_aggregate(self, scores: tuple[Score, ...]) -> Aggregate | None:
        raw = self.spec.aggregate
        if raw is None:
            return None
        path = ("aggregate",)
        if raw.by != self.spec.key:
            self.add(path + ("by",), f"aggregate by {quote(raw.by)}: rows are grouped by the key, so `by` must be {quote(self.spec.key)}")
        if not scores:
            self.add(path, "aggregate combines the rows' scores, and this scorecard defines no score")
        key = self.inputs.get(self.spec.key)
        if key is not None and not key.required:
            self.add(("inputs", self.spec.key), f"aggregate groups rows by {quote(self.spec.key)}: declare it `required: true` "
                     "(a row without a key belongs to no entity)")
        return Aggregate(by=raw.by, method=raw.score, odd_count=raw.odd_count, line=self.line(path))

    # ---------------------------------------------------------------- all
    def build(self) -> Scorecard | None:
        spec = self.spec
        inputs = self.build_inputs()
        scores = self.build_scores()
        aggregate = self.build_aggregate(scores)
        produced, tiering = self.build_tiering()
        if tiering is None:
            return None  # overrides and actions name tiers: checking them now would only echo this
        tiers = self.build_tier_table(produced)
        overrides = self.build_overrides(tiers)
        for score in scores:  # their names are checked in build_scores; these are the columns they write
            self.claim(score.output_column, f"the column of score {quote(score.name)}")
            for component in score.components:
                self.claim(component.output_column, f"the points column of component {quote(component.name)}")
                if component.output_column in self.inputs:
                    self.add(("inputs", component.output_column), f"input {quote(component.output_column)} has the name "
                             f"of the points column of component {quote(component.name)}")
            if score.output_column in self.inputs and score.output_column != score.name:  # else said already
                self.add(("inputs", score.output_column), f"input {quote(score.output_column)} has the name of the "
                         f"column of score {quote(score.name)}")
        actions = self.build_actions(tiers)
        derived = self.build_derived(actions)
        passthrough = self.build_passthrough()
        if tiering is None or self.problems.errors:
            return None
        return Scorecard(
            name=spec.scorecard, version=spec.version, key=spec.key, inputs=inputs, scores=scores,
            tiers=tiers, tiering=tiering, overrides=overrides, actions=actions, derived=derived,
            passthrough=passthrough, description=spec.description, expectations=spec.expectations,
            aggregate=aggregate, source=self.source, sha256=self.sha256,
        )
