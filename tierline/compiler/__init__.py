"""Compile a checked `Scorecard` into the flat arrays the kernels read (STYLE: a compiler).

Every decision is made here once per run: which input columns the kernels need (slots), the
dictionary of every text column (so text compares as integer codes), band and level edges, the
postfix programs of every expression, and the error-code table. Per partition nothing looks a
name up in a dict.

The value space: each row of the value matrix is a slot. Slots are, in order, the inputs the
scorecard reads, the scores, the action columns, then the derived columns. Nulls are NaN; text
is its code in the slot's vocabulary (-1 for a value outside it); bools are 0/1; dates and
timestamps are seconds since the epoch.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from tierline.kernels import opcodes as op
from tierline.scorecard.expressions import Binary, InList, IsNull, Literal_, Name, Node, Unary, names_in
from tierline.scorecard.model import Axis, Expression, LevelTiering, MatrixTiering, QuantileTiering, RuleTiering, Scorecard

_METHODS = {"map": op.MAP, "bands": op.BANDS, "linear": op.LINEAR, "value": op.VALUE}
_COMBINES = {"sum": op.SUM, "mean": op.MEAN, "product": op.PRODUCT, "min": op.MIN, "max": op.MAX}
_BINARY = {"+": op.ADD, "-": op.SUB, "*": op.MUL, "/": op.DIV, "==": op.EQ, "!=": op.NE, "<": op.LT,
           "<=": op.LE, ">": op.GT, ">=": op.GE, "and": op.AND, "or": op.OR}


class Plan(NamedTuple):
    """Everything the scoring kernel reads; a NamedTuple of arrays so Numba takes it as one argument."""

    n_slots: np.int64
    # components
    comp_slot: np.ndarray
    comp_method: np.ndarray
    comp_weight: np.ndarray
    comp_missing: np.ndarray  # NaN: a null input is invalid
    comp_max: np.ndarray  # NaN: gives no reason
    comp_score: np.ndarray
    comp_table_start: np.ndarray  # C+1 offsets into the table arrays
    comp_error_null: np.ndarray
    comp_error_value: np.ndarray  # out_of_bands / unmapped
    table_lo: np.ndarray  # bands: lower bound; map: key
    table_lo_incl: np.ndarray
    table_hi: np.ndarray
    table_hi_incl: np.ndarray
    table_points: np.ndarray
    comp_linear: np.ndarray  # C x 4: x0, x1, y0, y1
    # scores
    score_slot: np.ndarray
    score_combine: np.ndarray
    score_round: np.ndarray  # -1: no rounding
    # overrides
    override_program: np.ndarray
    override_tier: np.ndarray
    # tiering
    tiering: np.int64  # AXES, RULES, QUANTILES (NO_TIERING: the rows of an aggregating scorecard)
    given_scores: np.bool_  # aggregated entities: score slots and overrides are filled in, not computed
    n_tiers: np.int64
    n_axes: np.int64  # levels: 1, matrix: 2
    axis_slot: np.ndarray
    axis_error: np.ndarray  # `<by>:not_null`
    axis_by_score: np.ndarray
    axis_level_start: np.ndarray  # n_axes+1 offsets into the axis_level arrays
    axis_lo: np.ndarray
    axis_lo_incl: np.ndarray
    axis_hi: np.ndarray
    axis_hi_incl: np.ndarray
    axis_level_value: np.ndarray  # levels: the tier index; matrix: the level's index on its axis
    matrix_cells: np.ndarray  # rows × cols tier indexes, flattened row-major
    matrix_n_cols: np.int64
    scale_slot: np.int64  # -1: no scale
    scale_keys: np.ndarray  # sorted
    scale_factors: np.ndarray
    rule_program: np.ndarray  # -1: catch-all
    rule_tier: np.ndarray
    rule_unique: np.bool_
    error_no_rule: np.int64
    error_ambiguous: np.int64
    error_no_scale: np.int64
    reason_mask: np.ndarray  # per score: its components give reasons for an axis tier
    quantile_tier: np.ndarray  # quantiles: tier index of each quantile, in order
    quantile_desc: np.bool_  # a larger value ranks better
    # actions and derived
    action_slot: np.ndarray
    action_values: np.ndarray  # A x T
    derived_program: np.ndarray
    derived_slot: np.ndarray
    # programs
    program_start: np.ndarray  # P+1 offsets
    code: np.ndarray
    code_arg: np.ndarray  # k x 2
    code_const: np.ndarray
    set_values: np.ndarray
    stack_depth: np.int64


@dataclass(frozen=True)
class InputSlot:
    """How one input column is encoded into its slot."""

    slot: int
    name: str
    type: str
    vocabulary: tuple[Any, ...] | None  # text inputs: the values that get codes 0..n-1
    default: float  # encoded default, NaN if none
    type_error: int = -1  # `<name>:type`: a value the slot cannot hold exactly (encode.py); -1: none can occur


@dataclass(frozen=True)
class Compiled:
    scorecard: Scorecard
    plan: Plan
    input_slots: tuple[InputSlot, ...]
    slot_names: tuple[str, ...]
    error_codes: tuple[str, ...]
    action_vocabularies: tuple[tuple[Any, ...] | None, ...]

    @property
    def n_error_words(self) -> int:
        return max(1, (len(self.error_codes) + 63) // 64)


class _Compiler:
    def __init__(self, scorecard: Scorecard):
        self.scorecard = scorecard
        self.slots: dict[str, int] = {}
        # text column → its values in code order (dicts as ordered sets: a scorecard may list 50,000)
        self.text_vocab: dict[str, dict[Any, int]] = {}
        self.error_codes: dict[str, int] = {}
        self.code: list[int] = []
        self.code_arg: list[tuple[int, int]] = []
        self.code_const: list[float] = []
        self.program_start: list[int] = [0]
        self.set_values: list[float] = []
        self.literal_pool: dict[str, int] = {}
        self.stack_depth = 1

    def error(self, code: str) -> int:
        return self.error_codes.setdefault(code, len(self.error_codes))

    # --------------------------------------------------------------- slots and vocabularies
    def used_inputs(self) -> list[str]:
        sc = self.scorecard
        used: set[str] = {c.input for c in sc.components}
        expressions = [o.when for o in sc.overrides] + [d.expression for d in sc.derived]
        if sc.tiering.kind == "rules":
            expressions += [r.when for r in sc.tiering.rules if r.when is not None]
        elif sc.tiering.kind == "matrix":
            used.update(axis.by for axis in (sc.tiering.rows, sc.tiering.cols) if not axis.by_score)
        elif sc.tiering.kind == "quantiles":
            if not sc.tiering.by_score:
                used.add(sc.tiering.by)
        else:
            if not sc.tiering.by_score:
                used.add(sc.tiering.by)
            if sc.tiering.scale is not None:
                used.add(sc.tiering.scale.column)
        for expression in expressions:
            used.update(name.name for name in names_in(expression.ast))
        return [name for name in sc.input_names if name in used]

    def collect_vocabularies(self) -> None:
        sc = self.scorecard
        inputs = {spec.name: spec for spec in sc.inputs}
        for name in self.slots:
            if name in inputs and inputs[name].value_type == "text":
                spec = inputs[name]
                vocab: dict[Any, int] = {}
                for value in list(spec.values or ()) + ([spec.default] if spec.default is not None else []):
                    if value is not None:
                        vocab.setdefault(value, len(vocab))
                self.text_vocab[name] = vocab
        for component in sc.components:
            if component.input in self.text_vocab:
                vocab = self.text_vocab[component.input]
                for key, _ in component.map_points:
                    vocab.setdefault(key, len(vocab))
        if sc.tiering.kind == "levels" and sc.tiering.scale is not None and sc.tiering.scale.column in self.text_vocab:
            vocab = self.text_vocab[sc.tiering.scale.column]
            for key, _ in sc.tiering.scale.factors:
                vocab.setdefault(key, len(vocab))
        for action in sc.actions:
            if action.type == "string":
                values = dict.fromkeys(v for v in action.values if v is not None)
                self.text_vocab[action.name] = {value: code for code, value in enumerate(values)}
        expressions = [o.when for o in sc.overrides] + [d.expression for d in sc.derived]
        if sc.tiering.kind == "rules":
            expressions += [r.when for r in sc.tiering.rules if r.when is not None]
        for expression in expressions:
            for column, literal in _text_literals(expression.ast):
                if column in self.text_vocab:
                    self.text_vocab[column].setdefault(literal, len(self.text_vocab[column]))

    def by_column(self, axis: Axis) -> str:
        """The output column an axis reads: the score's column or the input's name."""
        return self.scorecard.score(axis.by).output_column if axis.by_score else axis.by

    def encode_key(self, column: str, value: Any) -> float:
        """The slot value of a scorecard constant compared with `column` (map key, scale key)."""
        if value is None:
            return math.nan
        if column in self.text_vocab:
            return float(self.text_vocab[column][value])
        if isinstance(value, bool):
            return 1.0 if value else 0.0
        return float(value)

    # --------------------------------------------------------------- programs
    def program(self, expression: Expression) -> int:
        depth = self.emit(expression.ast, 0)
        self.stack_depth = max(self.stack_depth, depth)
        self.program_start.append(len(self.code))
        return len(self.program_start) - 2

    def push(self, code: int, arg0: int = 0, arg1: int = 0, const: float = 0.0) -> None:
        self.code.append(code)
        self.code_arg.append((arg0, arg1))
        self.code_const.append(const)

    def text_code(self, text: str, column: str | None) -> float:
        """The code of a text literal: in `column`'s vocabulary when it is compared with a text
        column, else in the pool of free-standing literals (codes -2, -3, …), which only ever meet
        each other because text compares with == != in, and never two text columns together."""
        if column is not None and column in self.text_vocab:
            return float(self.text_vocab[column][text])
        return -2.0 - self.literal_pool.setdefault(text, len(self.literal_pool))

    def constant(self, value: Any, column: str | None = None) -> float:
        if isinstance(value, str):
            return self.text_code(value, column)
        return _constant(value)

    def emit(self, node: Node, height: int, column: str | None = None) -> int:
        """Emit postfix code for `node`; returns the highest stack height it reaches.

        `column` is the text column a literal is compared with, if any (its codes apply)."""
        if isinstance(node, Literal_):
            self.push(op.PUSH_CONST, const=self.constant(node.value, column))
            return height + 1
        if isinstance(node, Name):
            self.push(op.PUSH_SLOT, self.slots[node.name])
            return height + 1
        if isinstance(node, Unary):
            top = self.emit(node.operand, height)
            self.push(op.NOT if node.op == "not" else op.NEG)
            return top
        if isinstance(node, IsNull):
            top = self.emit(node.operand, height)
            self.push(op.IS_NOT_NULL if node.negated else op.IS_NULL)
            return top
        if isinstance(node, InList):
            top = self.emit(node.operand, height)
            operand_column = node.operand.name if isinstance(node.operand, Name) else None
            start = len(self.set_values)
            has_null = False
            for item in node.items:
                if item.value is None:
                    has_null = True
                else:
                    self.set_values.append(self.constant(item.value, operand_column))
            self.push(op.NOT_IN_SET if node.negated else op.IN_SET, start, len(self.set_values) - start,
                      1.0 if has_null else 0.0)
            return top
        assert isinstance(node, Binary)
        left, right = node.left, node.right
        left_column = left.name if isinstance(left, Name) else None
        right_column = right.name if isinstance(right, Name) else None
        top_left = self.emit(left, height, right_column)
        top_right = self.emit(right, height + 1, left_column)
        self.push(_BINARY[node.op])
        return max(top_left, top_right)

    # --------------------------------------------------------------- all
    def compile(self) -> Compiled:
        sc = self.scorecard
        for name in self.used_inputs():
            self.slots[name] = len(self.slots)
        n_inputs = len(self.slots)
        for score in sc.scores:
            self.slots[score.name] = len(self.slots)
        for action in sc.actions:
            self.slots[action.name] = len(self.slots)
        for derived in sc.derived:
            self.slots[derived.name] = len(self.slots)
        self.collect_vocabularies()

        # components
        components = sc.components
        score_index = {score.name: i for i, score in enumerate(sc.scores)}
        table_lo: list[float] = []
        table_lo_incl: list[bool] = []
        table_hi: list[float] = []
        table_hi_incl: list[bool] = []
        table_points: list[float] = []
        table_start = [0]
        comp_linear = np.zeros((len(components), 4))
        error_null, error_value = [], []
        for index, component in enumerate(components):
            error_null.append(self.error(f"{component.input}:not_null"))
            if component.method == "map":
                error_value.append(self.error(f"{component.input}:unmapped"))
                entries = sorted((self.encode_key(component.input, k), p) for k, p in component.map_points)
                for key, points in entries:
                    table_lo.append(key); table_lo_incl.append(True)
                    table_hi.append(key); table_hi_incl.append(True)
                    table_points.append(points)
            elif component.method == "bands":
                error_value.append(self.error(f"{component.input}:out_of_bands"))
                for rng, points in component.bands:
                    table_lo.append(rng.lower); table_lo_incl.append(rng.lower_inclusive)
                    table_hi.append(rng.upper); table_hi_incl.append(rng.upper_inclusive)
                    table_points.append(points)
            else:
                error_value.append(-1)
                if component.linear is not None:
                    comp_linear[index] = component.linear
            table_start.append(len(table_lo))

        # overrides
        tier_index = {tier.code: i for i, tier in enumerate(sc.tiers)}
        override_program = [self.program(o.when) for o in sc.overrides]
        override_tier = [tier_index[o.tier] for o in sc.overrides]

        # tiering
        tiering = sc.tiering
        axes: list[Axis] = []
        axis_values: list[list[int]] = []
        matrix_cells: list[int] = []
        matrix_n_cols = 0
        scale_slot, scale_keys, scale_factors = -1, [], []
        rule_program: list[int] = []
        rule_tier: list[int] = []
        rule_unique = False
        error_no_rule = error_ambiguous = error_no_scale = -1
        if isinstance(tiering, LevelTiering):
            axes = [Axis(by=tiering.by, by_score=tiering.by_score, levels=tiering.levels)]
            axis_values = [[tier_index[level.tier] for level in tiering.levels]]
            if tiering.scale is not None:
                column = tiering.scale.column
                scale_slot = self.slots[column]
                pairs = sorted((self.encode_key(column, k), f) for k, f in tiering.scale.factors)
                scale_keys = [k for k, _ in pairs]
                scale_factors = [f for _, f in pairs]
                error_no_scale = self.error("tier:no_scale")
        elif isinstance(tiering, QuantileTiering):
            # the by column travels as an axis without levels: its slot, null error and score flag
            axes = [Axis(by=tiering.by, by_score=tiering.by_score, levels=())]
            axis_values = [[]]
        elif isinstance(tiering, MatrixTiering):
            axes = [tiering.rows, tiering.cols]
            axis_values = [list(range(len(axis.levels))) for axis in axes]
            matrix_cells = [tier_index[code] for row in tiering.cells for code in row]
            matrix_n_cols = len(tiering.cols.levels)
        else:
            for rule in tiering.rules:
                rule_program.append(-1 if rule.when is None else self.program(rule.when))
                rule_tier.append(tier_index[rule.tier])
            rule_unique = tiering.hit == "unique"
            error_no_rule = self.error("tier:no_rule")
            if rule_unique:
                error_ambiguous = self.error("tier:ambiguous")
        axis_levels = [level for axis in axes for level in axis.levels]
        axis_level_start = [0]
        for axis in axes:
            axis_level_start.append(axis_level_start[-1] + len(axis.levels))
        reason_mask = [any(axis.by_score and axis.by == score.name for axis in axes) for score in sc.scores]

        # actions, derived
        action_values = np.full((len(sc.actions), len(sc.tiers)), np.nan)
        for a, action in enumerate(sc.actions):
            for t, value in enumerate(action.values):
                action_values[a, t] = self.encode_key(action.name, value)
        derived_program = [self.program(d.expression) for d in sc.derived]

        def i64(values: Any) -> np.ndarray:
            return np.asarray(values, dtype=np.int64).reshape(-1)

        def f64(values: Any) -> np.ndarray:
            return np.asarray(values, dtype=np.float64).reshape(-1)

        def b1(values: Any) -> np.ndarray:
            return np.asarray(values, dtype=np.bool_).reshape(-1)

        plan = Plan(
            n_slots=np.int64(len(self.slots)),
            comp_slot=i64([self.slots[c.input] for c in components]),
            comp_method=i64([_METHODS[c.method] for c in components]),
            comp_weight=f64([c.weight for c in components]),
            comp_missing=f64([math.nan if c.missing is None else c.missing for c in components]),
            comp_max=f64([math.nan if c.max_points is None else c.max_points for c in components]),
            comp_score=i64([score_index[c.score] for c in components]),
            comp_table_start=i64(table_start),
            comp_error_null=i64(error_null),
            comp_error_value=i64(error_value),
            table_lo=f64(table_lo), table_lo_incl=b1(table_lo_incl), table_hi=f64(table_hi),
            table_hi_incl=b1(table_hi_incl), table_points=f64(table_points),
            comp_linear=comp_linear,
            score_slot=i64([self.slots[s.name] for s in sc.scores]),
            score_combine=i64([_COMBINES[s.combine] for s in sc.scores]),
            score_round=i64([-1 if s.round is None else s.round for s in sc.scores]),
            override_program=i64(override_program),
            override_tier=i64(override_tier),
            tiering=np.int64(op.RULES if isinstance(tiering, RuleTiering)
                             else op.QUANTILES if isinstance(tiering, QuantileTiering) else op.AXES),
            given_scores=np.bool_(False),
            n_tiers=np.int64(len(sc.tiers)),
            n_axes=np.int64(len(axes)),
            axis_slot=i64([self.slots[axis.by] for axis in axes]),
            axis_error=i64([self.error(f"{self.by_column(axis)}:not_null") for axis in axes]),
            axis_by_score=b1([axis.by_score for axis in axes]),
            axis_level_start=i64(axis_level_start),
            axis_lo=f64([level.range.lower for level in axis_levels]),
            axis_lo_incl=b1([level.range.lower_inclusive for level in axis_levels]),
            axis_hi=f64([level.range.upper for level in axis_levels]),
            axis_hi_incl=b1([level.range.upper_inclusive for level in axis_levels]),
            axis_level_value=i64([value for values in axis_values for value in values]),
            matrix_cells=i64(matrix_cells),
            matrix_n_cols=np.int64(matrix_n_cols),
            scale_slot=np.int64(scale_slot),
            scale_keys=f64(scale_keys),
            scale_factors=f64(scale_factors),
            rule_program=i64(rule_program),
            rule_tier=i64(rule_tier),
            rule_unique=np.bool_(rule_unique),
            error_no_rule=np.int64(error_no_rule),
            error_ambiguous=np.int64(error_ambiguous),
            error_no_scale=np.int64(error_no_scale),
            reason_mask=b1(reason_mask),
            quantile_tier=i64([tier_index[q.tier] for q in tiering.quantiles] if isinstance(tiering, QuantileTiering) else []),
            quantile_desc=np.bool_(isinstance(tiering, QuantileTiering) and tiering.order == "desc"),
            action_slot=i64([self.slots[a.name] for a in sc.actions]),
            action_values=action_values,
            derived_program=i64(derived_program),
            derived_slot=i64([self.slots[d.name] for d in sc.derived]),
            program_start=i64(self.program_start),
            code=i64(self.code),
            code_arg=np.asarray(self.code_arg, dtype=np.int64).reshape(-1, 2),
            code_const=f64(self.code_const),
            set_values=f64(self.set_values),
            stack_depth=np.int64(self.stack_depth),
        )
        if sc.aggregate is not None and sc.aggregate.odd_count:
            self.error(sc.aggregate.even_count_code)
        input_slots = []
        inputs = {spec.name: spec for spec in sc.inputs}
        for name, slot in list(self.slots.items())[:n_inputs]:
            spec = inputs[name]
            vocab = tuple(self.text_vocab[name]) if name in self.text_vocab else None
            default = math.nan if spec.default is None else self.encode_key(name, spec.default)
            type_error = self.error(f"{name}:type") if spec.value_type in ("number", "time") else -1
            input_slots.append(InputSlot(slot=slot, name=name, type=spec.type, vocabulary=vocab, default=default,
                                         type_error=type_error))
        return Compiled(
            scorecard=sc, plan=plan, input_slots=tuple(input_slots), slot_names=tuple(self.slots),
            error_codes=tuple(self.error_codes),
            action_vocabularies=tuple(tuple(self.text_vocab[a.name]) if a.name in self.text_vocab else None
                                      for a in sc.actions),
        )


def _constant(value: Any) -> float:
    if value is None:
        return math.nan
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    return float(value)


def _text_literals(node: Node) -> list[tuple[str, str]]:
    """(column, literal) pairs where a text literal is compared with a column."""
    found: list[tuple[str, str]] = []
    if isinstance(node, Binary):
        if node.op in ("==", "!="):
            for a, b in ((node.left, node.right), (node.right, node.left)):
                if isinstance(a, Name) and isinstance(b, Literal_) and isinstance(b.value, str):
                    found.append((a.name, b.value))
        found += _text_literals(node.left) + _text_literals(node.right)
    elif isinstance(node, InList):
        if isinstance(node.operand, Name):
            found += [(node.operand.name, i.value) for i in node.items if isinstance(i.value, str)]
        found += _text_literals(node.operand)
    elif isinstance(node, (Unary, IsNull)):
        found += _text_literals(node.operand)
    return found


def compile_scorecard(scorecard: Scorecard) -> Compiled:
    return _Compiler(scorecard).compile()


def quantile_limits(scorecard: Scorecard, population: int) -> np.ndarray:
    """Per quantile tier, the largest rank it takes: floor(top × N), computed exactly on the decimal
    the author wrote (0.07 × 100 is 7, not 7.000000000000001 or 6.999…); the last tier takes all."""
    from fractions import Fraction

    tiering = scorecard.tiering
    assert isinstance(tiering, QuantileTiering)
    return np.asarray([population if q.top is None else int(Fraction(repr(q.top)) * population)
                       for q in tiering.quantiles], dtype=np.int64)
