"""Hypothesis strategies: random but valid scorecards (SPEC §2) with registers that probe them.

`scorecard_cases()` draws a scorecard as a YAML document, loads it with `load_scorecard_text` (so
only what the loader accepts is ever tested) and draws a matching Arrow table. The data aim at the
edges: nulls and NaN, values exactly on every band and level boundary (and boundary × scale
factor), one ulp either side of them, ±1e300, text and numbers outside every map and vocabulary.
Level boundaries for a score are drawn from the scores the rows actually reach, so rows land on
them too. ±inf is never drawn as input: validation refuses it (a later issue).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
import yaml
from hypothesis import strategies as st

from oracle import input_values, score_values
from tierline.scorecard.load import load_scorecard_text
from tierline.scorecard.model import Scorecard

KINDS = ("float", "int", "bool", "string", "category_text", "category_int", "float", "int")  # numbers twice
TEXTS = ("a", "b", "c", "shut down", "o'k", "甲")
UNKNOWN_TEXTS = ("zz", "", "A")
CATEGORY_INTS = (-3, 0, 1, 2, 5, 7, 10)
UNKNOWN_INTS = (99, -7)
POINTS = tuple(range(-5, 31)) + (0.5, 2.5, 0.1, 7.25, 33.3, 1e300, -1e300)
WEIGHTS = (1, 0.5, 2, 3, 0.25, 1.5, 0.1)
AGGREGATES = ("mean", "weighted_mean", "weighted_mean", "min", "max", "median")
ROW_WEIGHTS = (1, 2, 0.5, 0.1, 0.3, 3, 0.7, 1e-300, 1e300)  # a weighted mean's column: positive...
BAD_ROW_WEIGHTS = (0, -0.0, -1, None, math.nan)  # ...and what makes a row invalid (`w:between`, `w:not_null`)
MISSING = (0, 5, -2.5, 10, 0.1, 1e300)
FACTORS = (1, 2, 0.5, 0.25, 1.5, 0.1, 3, 10)
HUGE = (1e300, -1e300)
TIES = (2.675, 1.005, 0.125, 2.5, -2.5, 0.285, 1.115, -0.045, 1234.5678905, 0.5)  # halves for round: (in)exact
BOUNDS = st.one_of(
    st.integers(-20, 120),
    st.sampled_from((0.1, 0.5, 2.5, 33.3, 99.99, -7.25, 1e-3, 0.30000000000000004) + HUGE),
    st.floats(-1000, 1000, allow_nan=False, allow_infinity=False),
)
NUMBER_LITERALS = st.one_of(st.integers(-5, 100), st.sampled_from((0, 0.5, 2.5, 0.1, -1.5) + HUGE))
FUNCTIONS = ("abs", "sqrt", "exp", "ln", "log10", "floor", "ceil", "round", "min", "max", "clip", "coalesce")
TIER_CODES = ("A", "B", "C", "D", "E")
OVERRIDE_TIERS = (("X", "重大风险"), ("Y", "special"))
AXIS_LEVELS = ("low", "mid", "high")
ACTION_TEXTS = ("monthly", "quarterly", "yearly", "o'k", "月度")

# `a == b` / `a != b` between two (non-text) columns; drawn since the compiler bug was fixed.
NAME_EQUALS_NAME = True


class Case:
    """One drawn scorecard and register; its repr is a ready-to-paste reproduction."""

    def __init__(self, yaml_text: str, scorecard: Scorecard, table: pa.Table, rows: list[dict[str, Any]]):
        self.yaml_text = yaml_text
        self.scorecard = scorecard
        self.table = table
        self.rows = rows

    def row_text(self, index: int) -> str:
        types = ", ".join(f"{f.name}: {f.type}" for f in self.table.schema)
        return f"{self.rows[index]!r}  ({types})"

    def __repr__(self) -> str:
        rows = "\n".join(f"  {row!r}," for row in self.rows)
        types = ", ".join(f"{f.name}: {f.type}" for f in self.table.schema)
        return f"Case(\n--- scorecard ---\n{self.yaml_text}--- rows ({types}) ---\n[\n{rows}\n])"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:  # Hypothesis prints falsifying examples with this
        printer.text(repr(self))


@dataclass
class _Input:
    name: str
    kind: str
    spec: dict[str, Any]
    domain: list[Any] = field(default_factory=list)  # values map keys, scale keys and literals take
    numbers: list[float] = field(default_factory=list)  # boundaries the data should hit

    @property
    def value_type(self) -> str:
        return {"int": "number", "float": "number", "category_int": "number", "bool": "bool"}.get(self.kind, "text")


# ------------------------------------------------------------------ helpers


def _finite(values: list[Any]) -> list[float]:
    return [float(v) for v in values if v is not None and not isinstance(v, bool) and math.isfinite(v)]


def _beside(values: list[float]) -> list[float]:
    """Each value and its neighbours one ulp down and up."""
    out = []
    for v in values:
        out += [v, math.nextafter(v, -math.inf), math.nextafter(v, math.inf)]
    return out


def _number_text(value: float | int, in_list: bool = False) -> str:
    text = repr(value) if isinstance(value, float) else str(value)
    if text.startswith("-") and not in_list:
        return f"({text})"
    return text


def _text_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _ranges(draw, cuts: list[float], open_below: bool, open_above: bool) -> list[dict[str, Any]]:
    """Contiguous, non-overlapping ranges over sorted distinct cuts, each shared cut owned by one side."""
    if not cuts:
        return [{}]
    if len(cuts) == 1 and not open_below and not open_above:
        return [{"from": cuts[0], "upto": cuts[0]}]  # a single point
    edges: list[Any] = ([None] if open_below else []) + list(cuts) + ([None] if open_above else [])
    ranges: list[dict[str, Any]] = [{} for _ in range(len(edges) - 1)]
    if not open_below:
        ranges[0][draw(st.sampled_from(("from", "above")))] = cuts[0]
    if not open_above:
        ranges[-1][draw(st.sampled_from(("to", "upto")))] = cuts[-1]
    for j in range(1, len(edges) - 1):
        if draw(st.booleans()):  # the lower range keeps the cut
            ranges[j - 1]["upto"], ranges[j]["above"] = edges[j], edges[j]
        else:
            ranges[j - 1]["to"], ranges[j]["from"] = edges[j], edges[j]
    return ranges


def _cuts(draw, count: int, near: list[float]) -> list[float]:
    """`count` sorted distinct finite boundaries, often taken from `near`."""
    candidates = st.one_of(st.sampled_from(near), BOUNDS) if near else BOUNDS
    return sorted(draw(st.lists(candidates, min_size=count, max_size=count, unique=True)))


# ------------------------------------------------------------------ inputs


def _draw_input(draw, index: int, kind: str) -> _Input:
    prefix = {"int": "n", "float": "x", "bool": "flag", "string": "s", "category_text": "kind", "category_int": "grade"}[kind]
    name = draw(st.sampled_from((prefix, prefix.upper()))) + str(index)
    spec: dict[str, Any] = {"type": "category" if kind.startswith("category") else kind}
    source = _Input(name, kind, spec)
    if kind in ("int", "float"):
        source.domain = list(CATEGORY_INTS) if kind == "int" else []
        if draw(st.integers(0, 3)) == 0:
            spec["default"] = draw(st.sampled_from(CATEGORY_INTS)) if kind == "int" else draw(st.sampled_from((0.0, 2.5, -1.5)))
        if draw(st.booleans()):
            spec["max"] = draw(st.sampled_from((10, 100, 50.5, 1e300)))
            source.numbers.append(float(spec["max"]))
    elif kind == "bool":
        source.domain = [True, False]
        if draw(st.integers(0, 3)) == 0:
            spec["default"] = draw(st.booleans())
    elif kind == "string":
        source.domain = list(TEXTS)
        if draw(st.integers(0, 3)) == 0:
            spec["values"] = draw(st.lists(st.sampled_from(TEXTS), min_size=1, max_size=4, unique=True))
        if draw(st.integers(0, 3)) == 0:
            spec["default"] = draw(st.sampled_from(TEXTS))
    else:
        pool = TEXTS if kind == "category_text" else CATEGORY_INTS
        spec["values"] = draw(st.lists(st.sampled_from(pool), min_size=1, max_size=5, unique=True))
        source.domain = list(spec["values"])
        if draw(st.integers(0, 3)) == 0:
            spec["default"] = draw(st.sampled_from(spec["values"]))
    return source


def _cell_strategy(source: _Input, clean: bool) -> st.SearchStrategy:
    """The values one input column takes: boundaries and their neighbours, the huge, and unless
    `clean` also nulls, NaN and values outside every map and vocabulary."""
    if source.kind == "float":
        near = _finite(source.numbers)
        interesting = _beside(near) + [0.0, -0.0, 5e-324, *HUGE, *TIES]
        exact = [st.sampled_from(near)] * 2 if near else []  # on a boundary
        values = [*exact, st.sampled_from(interesting), st.sampled_from(interesting), st.integers(-50, 150).map(float),
                  st.floats(allow_nan=False, allow_infinity=False),
                  st.floats(min(near, default=-100.0), max(near, default=100.0))]  # inside the bounds: linear's slope
        return st.one_of(*values) if clean else st.one_of(st.none(), st.just(math.nan), *values)
    if source.kind == "int":
        near = [v for v in _finite(source.numbers) if abs(v) < 2**52]
        interesting = sorted({int(f) for v in near for f in (math.floor(v) - 1, math.floor(v), math.ceil(v), math.ceil(v) + 1)}
                             | set(source.domain) | {0})
        values = [st.sampled_from(interesting), st.sampled_from(interesting), st.integers(-50, 150), st.integers(-(2**53), 2**53)]
        return st.one_of(*values) if clean else st.one_of(st.none(), *values)
    if source.kind == "bool":
        return st.booleans() if clean else st.one_of(st.none(), st.booleans())
    unknown = list(UNKNOWN_INTS if source.kind == "category_int" else UNKNOWN_TEXTS)
    return st.sampled_from(source.domain) if clean else st.one_of(st.none(), st.sampled_from(source.domain + unknown))


def _arrow_type(draw, kind: str) -> pa.DataType:
    if kind == "int":
        return pa.int64()
    if kind == "float":
        return pa.float64()
    if kind == "bool":
        return pa.bool_()
    if kind == "category_int":
        return draw(st.sampled_from((pa.int64(), pa.int32())))
    return draw(st.sampled_from((pa.string(), pa.large_string(), pa.dictionary(pa.int32(), pa.string()))))


def _column(values: list[Any], arrow_type: pa.DataType) -> pa.Array:
    if pa.types.is_dictionary(arrow_type):
        return pa.array(values, pa.string()).dictionary_encode()
    return pa.array(values, arrow_type)


# ------------------------------------------------------------------ scores


def _draw_component(draw, name: str, inputs: list[_Input], combine: str, points: tuple[Any, ...]) -> dict[str, Any]:
    numeric = [i for i in inputs if i.kind in ("int", "float")]
    source = draw(st.sampled_from(numeric if numeric and draw(st.booleans()) else inputs))
    if source.kind in ("int", "float"):
        methods = ["bands", "bands", "linear", "value"] + (["map"] if source.kind == "int" else [])
    else:
        methods = ["map"]
    method = draw(st.sampled_from(methods))
    component: dict[str, Any] = {"name": name, "input": source.name}
    if method == "map":
        keys = source.domain if draw(st.booleans()) else draw(
            st.lists(st.sampled_from(source.domain), min_size=1, max_size=len(source.domain), unique=True))
        component["map"] = {key: draw(st.sampled_from(points)) for key in keys}
        if draw(st.integers(0, 2)) == 0:  # the points of every value the map does not list
            component["other"] = draw(st.sampled_from(points))
    elif method == "bands":
        cuts = _cuts(draw, draw(st.integers(0, 4)), _finite(source.numbers))
        open_below, open_above = draw(st.booleans()), draw(st.booleans())
        bands = draw(st.permutations(_ranges(draw, cuts, open_below, open_above)))
        component["bands"] = [{**band, "points": draw(st.sampled_from(points))} for band in bands]
        source.numbers += cuts
    elif method == "linear":
        x0, x1 = _cuts(draw, 2, _finite(source.numbers))
        component["linear"] = {"from": [x0, x1], "to": [draw(st.sampled_from(points)), draw(st.sampled_from(points))]}
        source.numbers += [x0, x1]
    else:
        component["value"] = True
    if combine != "product" and draw(st.integers(0, 2)) == 0:
        component["weight"] = draw(st.sampled_from(WEIGHTS))
    if draw(st.integers(0, 3)) == 0:
        component["missing"] = draw(st.sampled_from(MISSING))
    return component


def _draw_score(draw, inputs: list[_Input], first_component: int) -> dict[str, Any]:
    combine = draw(st.sampled_from(("sum", "mean", "product", "min", "max")))
    count = draw(st.integers(1, 4))
    score: dict[str, Any] = {"combine": combine}
    rounding = draw(st.sampled_from((None, None, None, 0, 1, 2, 3, 12)))
    if rounding is not None:
        score["round"] = rounding
    if combine == "sum" and draw(st.integers(0, 2)) == 0:
        score["base"] = draw(st.sampled_from(POINTS))
    # a few point values shared by all components make equal shortfalls (reasons' ties) common
    points = tuple(draw(st.lists(st.sampled_from(POINTS), min_size=1, max_size=3))) if draw(st.booleans()) else POINTS
    names = [draw(st.sampled_from(("c", "C", "_c"))) + str(first_component + i) for i in range(count)]  # case-sensitive
    score["components"] = [_draw_component(draw, name, inputs, combine, points) for name in names]
    return score


# ------------------------------------------------------------------ expressions


class _Expressions:
    """Well-typed random expression text over named columns.

    `names` maps a column to (type, literals): literals are the values a comparison with that
    column should use (its boundaries, its vocabulary) so that conditions flip on real data.
    """

    def __init__(self, draw, names: dict[str, tuple[str, list[Any]]]):
        self.draw = draw
        self.names = names

    def _of(self, kind: str) -> list[str]:
        return [name for name, (t, _) in self.names.items() if t == kind]

    def _keyword(self, word: str) -> str:
        return self.draw(st.sampled_from((word, word.upper())))  # keywords are case-insensitive

    def number_literal(self, name: str | None = None, in_list: bool = False) -> str:
        draw = self.draw
        if name is not None and self.names[name][1] and draw(st.booleans()):
            return _number_text(draw(st.sampled_from(self.names[name][1])), in_list)
        return _number_text(draw(NUMBER_LITERALS), in_list)

    def number(self, depth: int) -> str:
        draw = self.draw
        names = self._of("number")
        options = (["literal"] * 2 + ["name"] * 4 * bool(names) + ["null"]
                   + ["arithmetic"] * 4 * (depth > 0) + ["negate", "call", "call"] * (depth > 0))
        choice = draw(st.sampled_from(options))
        if choice == "call":
            return self.call(depth - 1)
        if choice == "literal":
            return self.number_literal()
        if choice == "name":
            return draw(st.sampled_from(names))
        if choice == "null":
            return self._keyword("null")
        if choice == "negate":
            return f"-({self.number(depth - 1)})"
        op = draw(st.sampled_from(("+", "-", "*", "/")))
        return f"({self.number(depth - 1)}) {op} ({self.number(depth - 1)})"

    def call(self, depth: int) -> str:
        """A number from one of SPEC §2.4's functions, its name in either case."""
        draw = self.draw
        function = draw(st.sampled_from(FUNCTIONS))
        args = [self.number(depth) for _ in range(draw(st.integers(2, 3)) if function in ("min", "max", "coalesce") else 1)]
        if function == "exp" and draw(st.booleans()):
            args = [f"({args[0]}) / 72.13"]  # a PD's scale: fewer overflows, more values to compare
        elif function == "round":
            args.append(str(draw(st.integers(0, 12))))
        elif function == "clip":
            args += [_number_text(bound) for bound in sorted(draw(st.lists(NUMBER_LITERALS, min_size=2, max_size=2)))]
        return f"{function.upper() if draw(st.integers(0, 4)) == 0 else function}({', '.join(args)})"

    def _no_column_pair(self, left: str, right: str, op: str) -> bool:
        return NAME_EQUALS_NAME or op not in ("==", "!=") or not (left in self.names and right in self.names)

    def boolean(self, depth: int) -> str:
        draw = self.draw
        numbers, bools, texts = self._of("number"), self._of("bool"), self._of("text")
        options = (["literal", "compare", "compare", "in_number", "is_null"] + ["bool_name"] * 2 * bool(bools)
                   + ["text_equal", "in_text"] * bool(texts) + ["in_bool", "bool_equal"] * bool(bools)
                   + ["not", "and", "or", "and", "or", "coalesce"] * (depth > 0))
        choice = draw(st.sampled_from(options))
        sub = max(depth - 1, 0)
        if choice == "literal":
            return self._keyword(draw(st.sampled_from(("true", "false", "null"))))
        if choice == "bool_name":
            return draw(st.sampled_from(bools))
        if choice == "compare":
            op = draw(st.sampled_from(("==", "!=", "<", "<=", ">", ">=")))
            if numbers and draw(st.booleans()):
                name = draw(st.sampled_from(numbers))
                left, right = name, self.number_literal(name)
            else:
                left, right = self.number(sub), self.number(sub)
                if not self._no_column_pair(left, right, op):
                    right = self.number_literal(left)
            if draw(st.booleans()):
                left, right = right, left
            return f"({left}) {op} ({right})"
        if choice == "bool_equal":
            op = draw(st.sampled_from(("==", "!=")))
            left = draw(st.sampled_from(bools))
            right = self.boolean(sub)
            if not self._no_column_pair(left, right, op):
                right = self._keyword(draw(st.sampled_from(("true", "false", "null"))))
            return f"({left}) {op} ({right})"
        if choice == "text_equal":
            name = draw(st.sampled_from(texts))
            literal = _text_literal(draw(st.sampled_from(self.names[name][1]))) if draw(st.integers(0, 5)) else self._keyword("null")
            op = draw(st.sampled_from(("==", "!=")))
            return f"{name} {op} {literal}" if draw(st.booleans()) else f"{literal} {op} {name}"
        if choice in ("in_number", "in_text", "in_bool"):
            if choice == "in_number":
                name = draw(st.sampled_from(numbers)) if numbers and draw(st.booleans()) else None
                operand = name if name is not None else f"({self.number(sub)})"
                items = [self.number_literal(name, in_list=True) for _ in range(draw(st.integers(1, 4)))]
            elif choice == "in_text":
                # the operand is a column: a text literal operand is a known compile bug (NAME_EQUALS_NAME note)
                name = draw(st.sampled_from(texts))
                operand = name
                items = draw(st.lists(st.sampled_from(self.names[name][1]).map(_text_literal), min_size=1, max_size=4))
            else:
                operand = draw(st.sampled_from(bools)) if draw(st.booleans()) else f"({self.boolean(sub)})"
                items = draw(st.lists(st.sampled_from(("true", "false")), min_size=1, max_size=4))
            if draw(st.integers(0, 3)) == 0:
                items.insert(draw(st.integers(0, len(items))), "null")
            word = f"{self._keyword('not')} {self._keyword('in')}" if draw(st.booleans()) else self._keyword("in")
            return f"{operand} {word} [{', '.join(items)}]"
        if choice == "is_null":
            kind = draw(st.sampled_from(("number", "bool", "text")))
            if kind == "text" and texts:
                operand = draw(st.sampled_from(texts))
            elif kind == "bool":
                operand = f"({self.boolean(sub)})"
            else:
                operand = f"({self.number(sub)})"
            word = f"{self._keyword('is')} {self._keyword('not')}" if draw(st.booleans()) else self._keyword("is")
            return f"{operand} {word} {self._keyword('null')}"
        if choice == "not":
            return f"{self._keyword('not')} ({self.boolean(sub)})"
        if choice == "coalesce":
            return f"coalesce({self.boolean(sub)}, {self.boolean(sub)})"
        return f"({self.boolean(sub)}) {self._keyword(choice)} ({self.boolean(sub)})"


# ------------------------------------------------------------------ the scorecard and its data


def _level_spec(draw, cuts: list[float], codes: tuple[str, ...]) -> list[dict[str, Any]]:
    """Tier levels over the cuts, unbounded at both ends (the loader insists), in random order."""
    levels = []
    for code, rng in zip(codes, _ranges(draw, cuts, True, True)):
        level = {"tier": code, **rng}
        if draw(st.integers(0, 2)) == 0:
            level["label"] = f"{code}类"
        levels.append(level)
    return draw(st.permutations(levels))


def _scale_spec(draw, inputs: list[_Input]) -> dict[str, Any] | None:
    columns = [i for i in inputs if i.kind != "float" and i.domain]
    if not columns or draw(st.integers(0, 2)) != 0:
        return None
    column = draw(st.sampled_from(columns))
    keys = draw(st.lists(st.sampled_from(column.domain), min_size=1, max_size=len(column.domain), unique=True))
    return {"column": column.name, "factors": {key: draw(st.sampled_from(FACTORS)) for key in keys}}


def _aggregate_spec(draw, doc: dict[str, Any]) -> dict[str, Any]:
    """`aggregate` by the key; a weighted mean declares its weight column `w` (a float input)."""
    spec: dict[str, Any] = {"by": "id", "score": draw(st.sampled_from(AGGREGATES))}
    if spec["score"] == "weighted_mean":
        doc["inputs"]["w"] = {"type": "float"}
        spec["weight"] = "w"
    if draw(st.integers(0, 3)) == 0:
        spec["odd_count"] = True
    return spec


def _scores_reached(doc: dict[str, Any], rows: list[dict[str, Any]]) -> dict[str, list[float]]:
    """The scores the rows reach, computed by the oracle on the scorecard's inputs and scores alone."""
    first = next(iter(doc["scores"])) if "scores" in doc else "score"
    probe = {key: doc[key] for key in ("scorecard", "version", "key", "inputs", "score", "scores") if key in doc}
    probe["tiers"] = {"by": first, "levels": [{"tier": "A"}]}
    scorecard = load_scorecard_text(yaml.safe_dump(probe, sort_keys=False, allow_unicode=True))
    reached: dict[str, list[float]] = {score.name: [] for score in scorecard.scores}
    for row in rows:
        _, scores, _ = score_values(scorecard, input_values(scorecard, row))
        for name, value in scores.items():
            if value is not None and math.isfinite(value):
                reached[name].append(value)
    return reached


@st.composite
def scorecard_cases(draw, max_rows: int = 30, max_derived: int = 3, max_depth: int = 3, expressions_only: bool = False,
                    aggregate: bool | None = None) -> Case:
    """A valid random scorecard (levels or rules, overrides, actions, derived) and a register for it.

    `expressions_only`: no scores and first-hit rules ending in a catch-all, so that every row is
    valid and its derived columns (up to `max_derived`) are compared. `aggregate` (None: sometimes,
    when there are scores): several rows per key, grouped by any method, often `weighted_mean` by
    a column `w` that also holds nulls, zeros and negatives.
    """
    kinds = draw(st.lists(st.sampled_from(KINDS), min_size=1, max_size=6))
    inputs = [_draw_input(draw, index, kind) for index, kind in enumerate(kinds)]
    key = _Input("id", "string", {"type": "string", "required": True}, domain=["r0", "r1", "r2"])
    doc: dict[str, Any] = {"scorecard": "random_case", "version": 1, "key": "id",
                           "inputs": {"id": key.spec, **{i.name: i.spec for i in inputs}}}

    # scores
    score_modes = ("score", "scores") if aggregate else ("score", "scores", "none")  # aggregate combines scores
    score_mode = "none" if expressions_only else draw(st.sampled_from(score_modes))
    if score_mode == "score":
        doc["score"] = _draw_score(draw, inputs, 0)
        score_names = ["score"]
    elif score_mode == "scores":
        score_names = ["alpha", "beta", "gamma"][: draw(st.integers(1, 3))]
        doc["scores"] = {}
        for name in score_names:
            doc["scores"][name] = _draw_score(draw, inputs, sum(len(s["components"]) for s in doc["scores"].values()))
    else:
        score_names = []
    if aggregate is None:
        aggregate = bool(score_names) and draw(st.integers(0, 5)) == 0
    if aggregate:
        doc["aggregate"] = _aggregate_spec(draw, doc)

    # tiering: levels by a score, levels by a numeric input, or rules
    numeric_inputs = [i for i in inputs if i.kind in ("int", "float")]
    tiering_kinds = (["rules"] * 2 + ["levels_by_score"] * 3 * bool(score_names) + ["levels_by_input"] * 2 * bool(numeric_inputs)
                     + ["matrix"] * 2 * bool(score_names or numeric_inputs))
    tiering_kind = "rules" if expressions_only else draw(st.sampled_from(tiering_kinds))
    level_count = draw(st.integers(1, 4))
    scale = None if tiering_kind in ("rules", "matrix") else _scale_spec(draw, inputs)
    axes: list[tuple[str, Any, int, list[float]]] = []  # (score|input, name or input, level count, cuts)
    if tiering_kind == "matrix":
        for _ in range(2):
            count = draw(st.integers(1, 3))
            if score_names and (not numeric_inputs or draw(st.booleans())):
                axes.append(("score", draw(st.sampled_from(score_names)), count, []))
            else:
                source = draw(st.sampled_from(numeric_inputs))
                cuts = _cuts(draw, count - 1, _finite(source.numbers))
                source.numbers += cuts  # aim the data at the axis boundaries
                axes.append(("input", source, count, cuts))
    factors = [1.0] + ([float(f) for f in scale["factors"].values()] if scale else [])
    if tiering_kind == "levels_by_input":  # its boundaries are known before the data: aim the data at them
        by_input = draw(st.sampled_from(numeric_inputs))
        input_cuts = _cuts(draw, level_count - 1, _finite(by_input.numbers))
        by_input.numbers += [cut * factor for cut in input_cuts for factor in factors]

    # the register
    n_rows = draw(st.integers(1, max_rows))
    columns: dict[str, list[Any]] = {"id": [f"r{draw(st.integers(0, 4)) if aggregate else i}" for i in range(n_rows)]}
    arrow_types: dict[str, pa.DataType] = {"id": pa.string()}
    if "w" in doc["inputs"]:
        weight = st.sampled_from(ROW_WEIGHTS) if draw(st.booleans()) else st.sampled_from(ROW_WEIGHTS + BAD_ROW_WEIGHTS)
        columns["w"] = draw(st.lists(weight, min_size=n_rows, max_size=n_rows))
        arrow_types["w"] = pa.float64()
    for source in inputs:
        clean = draw(st.integers(0, 2)) > 0  # most columns hold no nulls and no unknown values
        columns[source.name] = draw(st.lists(_cell_strategy(source, clean), min_size=n_rows, max_size=n_rows))
        arrow_types[source.name] = _arrow_type(draw, source.kind)
    rows = [{name: values[i] for name, values in columns.items()} for i in range(n_rows)]
    reached = _scores_reached(doc, rows) if score_names else {}

    # tiers
    overrides_only = draw(st.lists(st.sampled_from(OVERRIDE_TIERS), max_size=2, unique=True))
    tiers: dict[str, Any]
    cells: list[list[str]] = []
    if tiering_kind == "rules":
        codes = TIER_CODES[: draw(st.integers(1, 4))]
    elif tiering_kind == "matrix":
        palette = TIER_CODES[: draw(st.integers(1, 4))]
        cells = [[draw(st.sampled_from(palette)) for _ in range(axes[1][2])] for _ in range(axes[0][2])]
        codes = tuple(draw(st.permutations(sorted({code for row in cells for code in row}))))
    else:
        codes = TIER_CODES[:level_count]
    number_literals = {i.name: _beside(_finite(i.numbers)) + _finite(i.domain) for i in inputs if i.value_type == "number"}
    names: dict[str, tuple[str, list[Any]]] = {}
    for source in [key] + inputs:
        if source.value_type == "number":
            names[source.name] = ("number", number_literals[source.name])
        elif source.value_type == "text":
            names[source.name] = ("text", source.domain + list(UNKNOWN_TEXTS))
        else:
            names[source.name] = ("bool", [])
    for name in score_names:
        names[name] = ("number", _beside(reached.get(name, [])))
    # ranks within groups (SPEC §2.4a), which rules, overrides and derived columns may then read
    rank_sources = score_names + [i.name for i in numeric_inputs]
    ranks: dict[str, Any] = {}
    for index in range(draw(st.integers(0, 2)) if rank_sources else 0):
        few_values = [i.name for i in inputs if i.kind in ("bool", "category_text", "category_int")]  # groups repeat
        within = draw(st.lists(st.sampled_from(few_values * 2 + [i.name for i in inputs]), min_size=1, max_size=2,
                               unique=True))
        ranks[f"rk{index}"] = {"by": draw(st.sampled_from(rank_sources)), "order": draw(st.sampled_from(("desc", "asc"))),
                               "within": within[0] if len(within) == 1 and draw(st.booleans()) else within}
        names[f"rk{index}"] = ("number", [1.0, 2.0, 3.0])
    if ranks:
        doc["ranks"] = ranks
    conditions = _Expressions(draw, names)

    if tiering_kind == "rules":
        levels = []
        for index, code in enumerate(codes):
            level: dict[str, Any] = {"tier": code}
            last = index == len(codes) - 1
            if not (last and (expressions_only or draw(st.booleans()))):
                level["when"] = conditions.boolean(draw(st.integers(0, max_depth)))
            levels.append(level)
        hit = "first" if expressions_only else draw(st.sampled_from(("first", "unique")))
        tiers = {"rules": {"hit": hit, "levels": levels}}
    elif tiering_kind == "levels_by_input":
        tiers = {"by": by_input.name, "levels": _level_spec(draw, input_cuts, codes)}
    elif tiering_kind == "matrix":
        matrix: dict[str, Any] = {}
        for axis_name, (kind, source, count, cuts) in zip(("rows", "cols"), axes):
            if kind == "score":
                cuts = _cuts(draw, count - 1, _beside(reached.get(source, [])))
                by = source
            else:
                by = source.name
            axis: dict[str, Any] = {"levels": _level_spec(draw, cuts, AXIS_LEVELS[:count])}
            if kind == "input" or len(score_names) != 1 or draw(st.booleans()):
                axis["by"] = by
            matrix[axis_name] = axis
        matrix["cells"] = cells
        matrix["order"] = list(codes)
        if draw(st.booleans()):
            matrix["labels"] = {code: f"{code}级" for code in codes}
        tiers = {"matrix": matrix}
    else:  # a score's boundaries come from the scores the rows reach (÷ each scale factor)
        by = draw(st.sampled_from(score_names))
        near = _beside([s / f for s in reached.get(by, []) for f in factors])
        tiers = {} if len(score_names) == 1 and draw(st.booleans()) else {"by": by}
        tiers["levels"] = _level_spec(draw, _cuts(draw, level_count - 1, near), codes)
    if scale is not None:
        tiers["scale"] = scale
    doc["tiers"] = tiers

    overrides = []
    # with aggregate, overrides hold per row, before the entities are ranked: they may not read a rank
    held = _Expressions(draw, {k: v for k, v in names.items() if k not in ranks}) if aggregate else conditions
    for index in range(draw(st.integers(0, 2))):
        own = overrides_only[index] if index < len(overrides_only) and draw(st.booleans()) else None
        # two conditions must hold, so that most rows still reach the tiering
        when = f"({held.boolean(draw(st.integers(0, max_depth)))}) and ({held.boolean(draw(st.integers(0, max_depth)))})"
        override: dict[str, Any] = {"name": f"ov{index}", "when": when}
        if own is not None:
            override.update(tier=own[0], label=own[1])
        else:
            override["tier"] = draw(st.sampled_from(codes))
        overrides.append(override)
    if overrides:
        doc["overrides"] = overrides
    all_codes = list(dict.fromkeys([o["tier"] for o in overrides if o["tier"] not in codes] + list(codes)))

    # actions and derived
    actions: dict[str, dict[str, Any]] = {code: {} for code in all_codes}
    for index in range(draw(st.integers(0, 3))):
        column = f"act{index}"
        kind = draw(st.sampled_from(("int", "float", "number", "string", "bool")))
        value = {"int": st.integers(-5, 100), "float": st.sampled_from((0.5, 1.25, 2.0, -3.5, 1e300)),
                 "number": st.one_of(st.integers(-5, 100), st.sampled_from((0.5, 2.0))),
                 "string": st.sampled_from(ACTION_TEXTS), "bool": st.booleans()}[kind]
        for code in all_codes:
            actions[code][column] = None if draw(st.integers(0, 9)) == 0 else draw(value)
        values = [actions[code][column] for code in all_codes if actions[code][column] is not None]
        if not values or kind == "string":
            names[column] = ("text", list(ACTION_TEXTS) + ["zz"])
        elif kind == "bool":
            names[column] = ("bool", [])
        else:
            names[column] = ("number", _finite(values))
    if any(actions[code] for code in actions):
        doc["actions"] = actions
    derived = {}
    for index in range(draw(st.integers(max_derived // 2 if expressions_only else 0, max_derived))):
        expressions = _Expressions(draw, names)
        depth = draw(st.integers(0, max_depth))
        kind = draw(st.sampled_from(("number", "bool")))
        text = expressions.number(depth) if kind == "number" else expressions.boolean(depth)
        if text.lower() == "null":  # a bare null has no type; a derived column needs one
            text = "-(null)" if kind == "number" else "not (null)"
        derived[f"der{index}"] = text
        names[f"der{index}"] = (kind, [])
    if draw(st.integers(0, 2)) == 0:  # a text column by `choose:` (SPEC-silent: see README), read by nothing
        items = [{"when": _Expressions(draw, names).boolean(draw(st.integers(0, max_depth))), "value": f"v{n}"}
                 for n in range(draw(st.integers(1, 3)))]
        if draw(st.booleans()):
            items.append({"value": "rest"})
        derived["txt"] = {"choose": items}
    if derived:
        doc["derived"] = derived

    if draw(st.integers(0, 2)) == 0:
        doc["output"] = {"points": draw(st.booleans()), "reasons": draw(st.booleans())}
    if doc.get("output", {}).get("reasons", True) and draw(st.booleans()):
        doc["reasons"] = {"count": draw(st.integers(1, 10))}

    yaml_text = yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=200)
    scorecard = load_scorecard_text(yaml_text)
    table = pa.table({name: _column(values, arrow_types[name]) for name, values in columns.items()})
    return Case(yaml_text=yaml_text, scorecard=scorecard, table=table, rows=rows)


@st.composite
def rounding_cases(draw, max_rows: int = 40) -> Case:
    """`round: d` on a score that is (a weight times) one float input, fed halves and their neighbours.

    A half such as 2.675 is stored a little below it; the kernels' 4-ulp tie tolerance must still
    round it up, and must not round up what is really below the half by more than that.
    """
    decimals = draw(st.integers(0, 12))
    combine = draw(st.sampled_from(("sum", "mean", "min", "max", "product")))
    component: dict[str, Any] = {"name": "c0", "input": "x", "value": True}
    if combine != "product":
        component["weight"] = draw(st.sampled_from((1, 2, 0.5)))  # powers of two keep halves halves
    doc = {"scorecard": "rounding", "version": 1, "key": "id",
           "inputs": {"id": {"type": "string"}, "x": {"type": "float"}},
           "score": {"combine": combine, "round": decimals, "components": [component]},
           "tiers": {"levels": [{"tier": "A"}]}}

    def near_half(k: int, ulps: int) -> float:
        value = (k + 0.5) / 10.0**decimals
        for _ in range(abs(ulps)):
            value = math.nextafter(value, math.copysign(math.inf, ulps))
        return value

    halves = st.builds(near_half, st.integers(-(10**6), 10**6), st.integers(-8, 8))
    big = st.sampled_from((2.0**52 / 10.0**decimals, math.nextafter(2.0**52 / 10.0**decimals, 0.0), *HUGE, *TIES))
    cell = st.one_of(halves, halves, big, st.floats(allow_nan=False, allow_infinity=False), st.none())
    values = draw(st.lists(cell, min_size=1, max_size=max_rows))
    rows = [{"id": f"r{i}", "x": value} for i, value in enumerate(values)]
    yaml_text = yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)
    table = pa.table({"id": pa.array([r["id"] for r in rows], pa.string()), "x": pa.array(values, pa.float64())})
    return Case(yaml_text=yaml_text, scorecard=load_scorecard_text(yaml_text), table=table, rows=rows)


@st.composite
def wide_cases(draw, max_rows: int = 20) -> Case:
    """Thirty-odd banded float inputs: more than 64 error codes, so errors span two 64-bit words
    (three codes per input: not_null, out_of_bands, and type for a value float64 cannot hold)."""
    count = draw(st.integers(22, 42))
    inputs: dict[str, Any] = {"id": {"type": "string"}}
    components = []
    for index in range(count):
        name = f"x{index}"
        inputs[name] = {"type": "float"}
        # bounded at both ends: a value outside is out_of_bands, a null is not_null
        components.append({"name": f"c{index}", "input": name,
                           "bands": [{"from": 0, "to": 10, "points": 1}, {"from": 10, "upto": 20, "points": 2}]})
    doc = {"scorecard": "wide", "version": 1, "key": "id", "inputs": inputs,
           "score": {"combine": "sum", "components": components},
           "tiers": {"levels": [{"tier": "A", "from": 30}, {"tier": "B", "to": 30}]}}
    n_rows = draw(st.integers(1, max_rows))
    cell = st.one_of(st.sampled_from((0.0, 10.0, 20.0, 5.0)), st.sampled_from((0.0, 10.0, 20.0, 5.0)),
                     st.sampled_from((-1.0, math.nextafter(20.0, 30.0), 25.0)), st.none())
    columns: dict[str, list[Any]] = {"id": [f"r{i}" for i in range(n_rows)]}
    for index in range(count):
        # most columns valid, so rows with no error (and so the full comparison) still happen
        strategy = cell if draw(st.integers(0, 9)) == 0 else st.sampled_from((0.0, 10.0, 20.0, 5.0))
        columns[f"x{index}"] = draw(st.lists(strategy, min_size=n_rows, max_size=n_rows))
    rows = [{name: values[i] for name, values in columns.items()} for i in range(n_rows)]
    yaml_text = yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)
    table = pa.table({name: pa.array(values, pa.string() if name == "id" else pa.float64()) for name, values in columns.items()})
    return Case(yaml_text=yaml_text, scorecard=load_scorecard_text(yaml_text), table=table, rows=rows)


# ------------------------------------------------------------------ values for the kernels' own tests


def slot_values(nulls: bool = True) -> st.SearchStrategy[float]:
    """One float64 a kernel slot may hold (tests/unit/kernels): the scorecard cases' points, ties
    and bounds (±1e300 among them), signed zeros, and with `nulls` NaN, the kernels' null."""
    finite = st.one_of(st.sampled_from(POINTS + TIES + (0.0, -0.0, 1.0)), BOUNDS).map(float)
    return st.one_of(finite, st.just(math.nan)) if nulls else finite
