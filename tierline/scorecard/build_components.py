"""Building a checked `Scorecard` from the format models, first stage: inputs, scores and their
components, and the expressions they hold (SPEC §2.1–§2.2). Each stage adds its problems to one
`Problems`; `build_tiering.py` and `build.py` are the later stages."""

from __future__ import annotations

import math


from tierline.scorecard import format as fmt
from tierline.scorecard.expressions import KEYWORDS, ExpressionError, Name, ValueType, check_types, parse_expression
from tierline.scorecard.model import (
    RESERVED_COLUMNS,
    Component,
    Expression,
    Input,
    Score,
)
from tierline.scorecard.limits import quote
from tierline.scorecard.ranges import Range, check_ranges
from tierline.scorecard.problems import Path_, Problems, line_at
from tierline.scorecard.literals import regex_problem, python_type_ok, value_key, value_keys, same_value


class ComponentBuilder:
    def __init__(self, spec: fmt.ScorecardSpec, problems: Problems, source: str, sha256: str):
        self.spec = spec
        self.problems = problems
        self.source = source
        self.sha256 = sha256
        self.inputs: dict[str, Input] = {}
        self.score_names: list[str] = []
        self.rank_names: list[str] = []  # SPEC §2.4a: known once the scores are, before any expression
        self.text_derived: set[str] = set()  # `choose:` columns: written, never read by an expression
        # every output column named so far (SPEC §4) → what writes it, for clash messages, and where
        self.columns: dict[str, str] = {name: "a column tierline writes" for name in sorted(RESERVED_COLUMNS)}
        self.column_paths: dict[str, Path_] = {}

    def claim(self, column: str, holder: str, path: Path_ = ()) -> str | None:
        """Name output column `column` after `holder`; return what already holds that name, if anything."""
        if column in self.columns:
            return self.columns[column]
        self.columns[column] = holder
        self.column_paths[column] = path
        return None

    def add(self, path: Path_, message: str) -> None:
        self.problems.add(path, message)

    def line(self, path: Path_) -> int:
        return line_at(self.problems.document, path) or 0

    def check_keyword(self, name: str, what: str, path: Path_) -> bool:
        """A name expressions read must not be one of their keywords, which match in any case."""
        if name.lower() not in KEYWORDS:
            return True
        named = what if what.endswith(quote(name)) else f"{what} {quote(name)}"  # "derived column 'x'" names it
        self.add(path, f"{named} is an expression keyword ({', '.join(sorted(KEYWORDS))}, in any case); "
                 "expressions could not name it: rename it")
        return False

    def build_inputs(self) -> tuple[Input, ...]:
        for name, raw in self.spec.inputs.items():
            path = ("inputs", name)
            # the pattern itself is the format's; an input may be named like a keyword (registers
            # have columns named `null`, GX's own test definitions among them): it is checked,
            # scored and passed through, and an expression's `null` is always the keyword
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
                    problem = regex_problem(raw.regex)
                    if problem is not None:
                        self.add(path + ("regex",), problem)
            if raw.default is not None:
                if raw.type == "category":
                    if values and not any(same_value(raw.default, v) for v in values):
                        self.add(path + ("default",), f"default {quote(raw.default)} is not one of the values")
                elif raw.type in ("date", "timestamp"):
                    self.add(path + ("default",), f"'default' is not supported for {raw.type} inputs")
                elif not python_type_ok(raw.default, raw.type):
                    self.add(path + ("default",), f"default {quote(raw.default)} is not a {raw.type}")
            if values is not None and raw.type in ("string", "int", "bool"):
                for value in values:
                    if value is not None and not python_type_ok(value, raw.type):
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
            if name in RESERVED_COLUMNS:
                self.add(path, f"score name {quote(name)} is reserved for an output column")
            elif name in self.inputs:
                self.add(path, f"score name {quote(name)} is also an input name; expressions could not tell them apart")
            else:
                self.check_keyword(name, "score name", path)
            self.score_names.append(name)
            if raw.base is not None and raw.combine != "sum":
                self.add(path + ("base",), f"'base' is added to a sum (a credit card's base points); this score "
                         f"combines by {raw.combine}: use combine: sum or drop 'base'")
            components = []
            for index, raw_component in enumerate(raw.components):
                component = self.build_component(raw_component, name, raw.combine, path + ("components", index))
                if component.name in component_names:
                    self.add(path + ("components", index, "name"), f"component name {quote(component.name)} is used twice")
                component_names.add(component.name)
                components.append(component)
            scores.append(Score(name=name, combine=raw.combine, components=tuple(components), round=raw.round,
                                output_column=column, line=self.line(path),
                                base=None if raw.base is None else float(raw.base)))
        return tuple(scores)

    def build_component(self, raw: fmt.ComponentSpec, score: str, combine: str, path: Path_) -> Component:
        spec = self.inputs.get(raw.input)
        if spec is None and raw.input in (self.spec.ranks or {}):
            self.add(path + ("input",), f"component input {quote(raw.input)} is a rank; ranks are computed from the "
                     "scores, after every component, so a component cannot read one")
        elif spec is None:
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
        if raw.other is not None and raw.map is None:
            self.add(path + ("other",), "'other' gives the points of the values a map does not list; it needs 'map'")
        if raw.map is not None:
            if input_type in ("float", "date", "timestamp"):
                self.add(path + ("map",), f"'map' needs a category, bool, int or string input; {quote(raw.input)} is {input_type}")
            points = []
            category_values = value_keys(spec.values or ()) if spec is not None else frozenset()
            for key, value in raw.map.items():
                if spec is not None and spec.type == "category" and spec.values is not None:
                    if value_key(key) not in category_values:
                        self.add(path + ("map", key), f"map key {quote(key)} is not one of the values of input {quote(raw.input)}")
                elif spec is not None and not python_type_ok(key, spec.type):
                    self.add(path + ("map", key), f"map key {quote(key)} is not a {spec.type} like input {quote(raw.input)}")
                points.append((key, float(value)))
            possible += [p for _, p in points]
            other = None if raw.other is None else float(raw.other)
            if other is not None:
                possible.append(other)  # a value the map does not list reaches it: it counts for reasons
            return Component(method="map", map_points=tuple(points), other=other, max_points=max(possible), **common)
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
            if name.name in self.score_names or name.name in self.rank_names:
                return "number"
            if name.name in extra:
                return extra[name.name]
            if name.name in self.text_derived:
                raise ExpressionError(f"{quote(name.name)} is a text column (`choose:`); no expression can read it", name.column)
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
