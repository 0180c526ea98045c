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

from schemas import format as fmt
from schemas.errors import ScorecardError
from schemas.expressions import ExpressionError, Name, ValueType, check_types, parse_expression
from schemas.model import (
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
from schemas.ranges import Range, check_ranges
from schemas.yamlload import LocatedDict, LocatedList, load_yaml_file, load_yaml_text

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


def _path_text(path: Sequence[Any]) -> str:
    text = ""
    for step in path:
        text += f"[{step}]" if isinstance(step, int) else (f".{step}" if text else str(step))
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


def _pydantic_problems(error: ValidationError, problems: _Problems) -> None:
    seen: set[Path_] = set()
    for item in error.errors():
        path = tuple(step for step in item["loc"] if not _is_union_member(step))
        kind = item["type"]
        line_path = path
        if path in seen:
            continue  # one line per place: the first of a union's alternatives says enough
        seen.add(path)
        if kind == "extra_forbidden":
            key = path[-1]
            path, message = path[:-1], f"unknown key {key!r}"
        elif kind == "missing":
            key = path[-1]
            path, message = path[:-1], f"missing key {key!r}"
        else:
            message = item["msg"].removeprefix("Value error, ")
            if kind == "string_pattern_mismatch" and path and path[-1] == "tier":
                message = f"tier code {item['input']!r} must match ^[A-Za-z0-9_-]{{1,32}}$ (letters, digits, _ and -)"
            elif kind == "string_pattern_mismatch":
                message = f"{item['input']!r} must match {item['ctx']['pattern']}"
            elif kind == "literal_error":
                message = f"{item['input']!r} is not allowed: {item['msg'].removeprefix('Input should be ')}"
            elif kind == "finite_number":
                message = f"must be a finite number, not {item['input']!r}"
        problems.add(path, message, line_path)


def check_scorecard(path: str | Path) -> tuple[Scorecard | None, list[ScorecardError]]:
    """Parse and check one scorecard file; returns the scorecard (if sound) and every problem."""
    path = Path(path)
    try:
        raw_bytes = path.read_bytes()
    except FileNotFoundError:
        return None, [ScorecardError("no such scorecard file", source=str(path))]
    except OSError as error:
        return None, [ScorecardError(f"cannot read the scorecard: {error.strerror}", source=str(path))]
    try:
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


def check_document(document: Any, source: str, sha256: str = "") -> tuple[Scorecard | None, list[ScorecardError]]:
    problems = _Problems(document, source)
    if not isinstance(document, dict):
        problems.add((), "a scorecard is a YAML mapping (scorecard:, version:, key:, inputs:, tiers: ...)")
        return None, problems.errors
    try:
        spec = fmt.ScorecardSpec.model_validate(document)
    except ValidationError as error:
        _pydantic_problems(error, problems)
        return None, problems.errors
    scorecard = _Builder(spec, problems, source, sha256).build()
    if problems.errors:
        return None, problems.errors
    return scorecard, []


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

    def add(self, path: Path_, message: str) -> None:
        self.problems.add(path, message)

    def line(self, path: Path_) -> int:
        return _line_at(self.problems.document, path) or 0

    # ---------------------------------------------------------------- inputs
    def build_inputs(self) -> tuple[Input, ...]:
        for name, raw in self.spec.inputs.items():
            path = ("inputs", name)
            if not name.isidentifier():
                self.add(path, f"input name {name!r} must be an identifier (letters, digits, _) so expressions can name it")
            if name in RESERVED_COLUMNS:
                self.add(path, f"input name {name!r} is reserved for an output column")
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
                    try:
                        re.compile(raw.regex)
                    except re.error as error:
                        self.add(path + ("regex",), f"bad regular expression: {error}")
            if raw.default is not None:
                if raw.type == "category":
                    if values and not any(_same_value(raw.default, v) for v in values):
                        self.add(path + ("default",), f"default {raw.default!r} is not one of the values")
                elif raw.type in ("date", "timestamp"):
                    self.add(path + ("default",), f"'default' is not supported for {raw.type} inputs")
                elif not _python_type_ok(raw.default, raw.type):
                    self.add(path + ("default",), f"default {raw.default!r} is not a {raw.type}")
            if values is not None and raw.type in ("string", "int", "bool"):
                for value in values:
                    if value is not None and not _python_type_ok(value, raw.type):
                        self.add(path + ("values",), f"value {value!r} is not a {raw.type}")
            self.inputs[name] = Input(
                name=name, type=raw.type, required=raw.required, default=raw.default,
                min=None if raw.min is None else float(raw.min),
                max=None if raw.max is None else float(raw.max),
                values=values, unique=raw.unique, regex=raw.regex, line=self.line(path),
            )
        if self.spec.key not in self.inputs:
            self.add(("key",), f"key {self.spec.key!r} is not a declared input")
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
                self.add(path, f"score name {name!r} must be an identifier and not a reserved column name")
            if name in self.inputs:
                self.add(path, f"score name {name!r} is also an input name; expressions could not tell them apart")
            self.score_names.append(name)
            components = []
            for index, raw_component in enumerate(raw.components):
                component = self.build_component(raw_component, name, raw.combine, path + ("components", index))
                if component.name in component_names:
                    self.add(path + ("components", index, "name"), f"component name {component.name!r} is used twice")
                component_names.add(component.name)
                components.append(component)
            scores.append(Score(name=name, combine=raw.combine, components=tuple(components),
                                round=raw.round, output_column=column, line=self.line(path)))
        return tuple(scores)

    def build_component(self, raw: fmt.ComponentSpec, score: str, combine: str, path: Path_) -> Component:
        spec = self.inputs.get(raw.input)
        if spec is None:
            self.add(path + ("input",), f"input {raw.input!r} is not declared under inputs")
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
                self.add(path + ("map",), f"'map' needs a category, bool, int or string input; {raw.input!r} is {input_type}")
            points = []
            for key, value in raw.map.items():
                if spec is not None and spec.type == "category" and spec.values is not None:
                    if not any(_same_value(key, v) for v in spec.values):
                        self.add(path + ("map", key), f"map key {key!r} is not one of the values of input {raw.input!r}")
                elif spec is not None and not _python_type_ok(key, spec.type):
                    self.add(path + ("map", key), f"map key {key!r} is not a {spec.type} like input {raw.input!r}")
                points.append((key, float(value)))
            possible += [p for _, p in points]
            return Component(method="map", map_points=tuple(points), max_points=max(possible), **common)
        if input_type is not None and input_type not in ("int", "float"):
            self.add(path + ("input",), f"bands, linear and value need an int or float input; {raw.input!r} is {input_type}")
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
            raise ExpressionError(f"unknown name {name.name!r}", name.column)

        try:
            ast = parse_expression(text)
            kind = check_types(ast, type_of)
        except ExpressionError as error:
            self.add(path, f"in {text!r} at column {error.column}: {error.message}")
            return None
        if what == "condition" and kind not in ("bool", "null"):
            self.add(path, f"{text!r} is a {kind}, a condition must be true or false")
            return None
        if what == "derived" and kind not in ("number", "bool"):
            self.add(path, f"{text!r} is {kind}; a derived column must be a number or true/false")
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
            self.add(path + ("by",), f"'by' names {by!r}, which is neither a score nor an input")
        elif spec.type not in ("int", "float"):
            self.add(path + ("by",), f"'by' input {by!r} must be int or float, not {spec.type}")
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
        for index, code in enumerate(order):
            if not fmt.re_tier_code(code):
                self.add(path + ("order", index), f"tier code {code!r} must match ^[A-Za-z0-9_-]{{1,32}}$ (letters, digits, _ and -)")
            if order.index(code) != index:
                self.add(path + ("order", index), f"tier code {code!r} is listed twice")
        used: set[str] = set()
        for r, row in enumerate(raw.cells):
            if len(row) != len(cols.levels):
                self.add(path + ("cells", r), f"cells row {r + 1} needs one tier per cols level ({len(cols.levels)}), not {len(row)}")
                return [], None
            for code in row:
                if code not in order:
                    self.add(path + ("cells", r), f"cell tier {code!r} is not listed in 'order'")
                used.add(code)
        for index, code in enumerate(order):
            if code not in used:
                self.add(path + ("order", index), f"tier {code!r} in 'order' appears in no cell")
        labels = raw.labels or {}
        for code in labels:
            if code not in order:
                self.add(path + ("labels", code), f"label for {code!r}, which is not in 'order'")
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
            self.add(path + ("column",), f"scale column {raw.column!r} is not a declared input")
            return None
        if spec.type in ("float", "date", "timestamp"):
            self.add(path + ("column",), f"scale column {raw.column!r} must be a category, int, bool or string input")
        factors = []
        for value, factor in raw.factors.items():
            if spec.type == "category" and spec.values is not None and not any(_same_value(value, v) for v in spec.values):
                self.add(path + ("factors", value), f"{value!r} is not one of the values of {raw.column!r}")
            elif spec.type != "category" and not _python_type_ok(value, spec.type):
                self.add(path + ("factors", value), f"{value!r} is not a {spec.type} like {raw.column!r}")
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
                self.add(path, f"override tier {override.tier!r} is not produced by 'tiers', so it needs its own 'label'")
            seen[override.tier] = path
            table.append((override.tier, override.label or override.tier))
        for code, label, path in produced:
            if code in seen:
                if code not in produced_codes or seen[code][0] != "overrides":
                    self.add(path, f"tier code {code!r} is listed twice")
                    continue
            if any(code == c for c, _ in table):
                self.add(path, f"tier code {code!r} is listed twice")
                continue
            seen[code] = path
            table.append((code, label if label is not None else code))
        lowered: dict[str, str] = {}
        for code, _ in table:
            if code.lower() in lowered and lowered[code.lower()] != code:
                self.add(("tiers",), f"tier codes {lowered[code.lower()]!r} and {code!r} differ only in case; their directories would clash on some file systems")
            lowered[code.lower()] = code
        return tuple(Tier(code=code, label=label, rank=rank) for rank, (code, label) in enumerate(table, start=1))

    def build_overrides(self, tiers: tuple[Tier, ...]) -> tuple[Override, ...]:
        overrides = []
        names: set[str] = set()
        for index, raw in enumerate(self.spec.overrides):
            path = ("overrides", index)
            if raw.name in names:
                self.add(path + ("name",), f"override name {raw.name!r} is used twice")
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
                self.add(("actions", code), f"actions name tier {code!r}, which is not a tier of this scorecard")
        missing = [code for code in codes if code not in raw]
        if missing:
            self.add(("actions",), f"actions must list every tier; missing: {', '.join(missing)}")
            return ()
        columns: list[str] = []
        for code in codes:
            for column in raw[code]:
                if column not in columns:
                    columns.append(column)
        result = []
        for column in columns:
            if not column.isidentifier() or column in RESERVED_COLUMNS or column in self.inputs or column in self.score_names:
                self.add(("actions",), f"action column {column!r} must be an identifier not used by an input, score or output column")
            values = []
            for code in codes:
                if column not in raw[code]:
                    self.add(("actions", code), f"tier {code!r} lacks action column {column!r} (every tier needs the same columns)")
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
                self.add(("actions",), f"action column {column!r} mixes types ({', '.join(sorted(kinds))}) across tiers")
                continue
            if kind == "float":
                values = [None if v is None else float(v) for v in values]
            result.append(ActionColumn(name=column, type=kind, values=tuple(values)))  # type: ignore[arg-type]
        return tuple(result)

    def build_derived(self, actions: tuple[ActionColumn, ...]) -> tuple[Derived, ...]:
        extra: dict[str, ValueType] = {a.name: a.value_type for a in actions}
        result = []
        for name, text in (self.spec.derived or {}).items():
            path = ("derived", name)
            if not name.isidentifier() or name in RESERVED_COLUMNS or name in self.inputs or name in self.score_names or name in extra:
                self.add(path, f"derived column {name!r} must be an identifier not used by an input, score, action or output column")
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
            self.add(path + ("by",), f"aggregate by {raw.by!r}: rows are grouped by the key, so `by` must be {self.spec.key!r}")
        if not scores:
            self.add(path, "aggregate combines the rows' scores, and this scorecard defines no score")
        key = self.inputs.get(self.spec.key)
        if key is not None and not key.required:
            self.add(("inputs", self.spec.key), f"aggregate groups rows by {self.spec.key!r}: declare it `required: true` "
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
        actions = self.build_actions(tiers)
        derived = self.build_derived(actions)
        output_names: dict[str, str] = {}
        for column, what in ([(s.output_column, "score") for s in scores]
                             + [(c.output_column, "component points") for s in scores for c in s.components]):
            if column in self.inputs:
                self.add((), f"output column {column!r} ({what}) clashes with an input of the same name")
            output_names[column] = what
        passthrough: Any = spec.passthrough
        if isinstance(passthrough, list):
            if spec.key not in passthrough:
                self.add(("passthrough",), f"passthrough must include the key column {spec.key!r}")
            passthrough = tuple(passthrough)
        if tiering is None or self.problems.errors:
            return None
        return Scorecard(
            name=spec.scorecard, version=spec.version, key=spec.key, inputs=inputs, scores=scores,
            tiers=tiers, tiering=tiering, overrides=overrides, actions=actions, derived=derived,
            passthrough=passthrough, description=spec.description, expectations=spec.expectations,
            aggregate=aggregate, source=self.source, sha256=self.sha256,
        )


def iter_errors(paths: Iterable[str | Path]) -> Iterable[tuple[str, list[ScorecardError]]]:
    for path in paths:
        _, errors = check_scorecard(path)
        yield str(path), errors
