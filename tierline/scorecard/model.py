"""The checked, immutable scorecard that the rest of tierline works from.

`tierline.scorecard.load.load_scorecard` builds it from a file; nothing downstream re-reads the YAML.
Lines are kept so that later stages (and `tierline check`) can still point at the file.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal, Union

from tierline.scorecard import columns
from tierline.scorecard.expressions import Node, ValueType
from tierline.scorecard.ranges import Range

Scalar = Union[bool, int, float, str, None]
InputType = Literal["string", "int", "float", "bool", "category", "date", "timestamp"]
Method = Literal["map", "bands", "linear", "value"]
Combine = Literal["sum", "mean", "product", "min", "max"]
ActionType = Literal["string", "int", "float", "bool"]

RESERVED_COLUMNS = columns.RESERVED_COLUMNS  # load.py's name for it


@dataclass(frozen=True)
class Input:
    name: str
    type: InputType
    required: bool = False
    default: Scalar = None
    min: float | None = None
    max: float | None = None
    values: tuple[Scalar, ...] | None = None
    unique: bool = False
    regex: str | None = None
    line: int = 0

    @property
    def value_type(self) -> ValueType:
        """The type an expression sees for this column."""
        if self.type in ("int", "float"):
            return "number"
        if self.type in ("date", "timestamp"):
            return "time"
        if self.type == "bool":
            return "bool"
        if self.type == "category":
            kinds = {type(v) for v in self.values or () if v is not None}
            if kinds and kinds <= {int, float}:
                return "number"
            if kinds == {bool}:
                return "bool"
        return "text"


@dataclass(frozen=True)
class Component:
    name: str
    input: str
    method: Method
    score: str
    weight: float = 1.0
    missing: float | None = None  # None: a null input is invalid
    map_points: tuple[tuple[Scalar, float], ...] = ()
    bands: tuple[tuple[Range, float], ...] = ()
    linear: tuple[float, float, float, float] | None = None  # x0, x1, y0, y1
    other: float | None = None  # map: the points of a value it does not list; None: such a value is invalid
    max_points: float | None = None  # the largest possible points, for reasons; None gives none
    line: int = 0

    @property
    def output_column(self) -> str:
        return f"{columns.POINTS_PREFIX}{self.name}"


@dataclass(frozen=True)
class Score:
    name: str
    combine: Combine
    components: tuple[Component, ...]
    round: int | None = None
    output_column: str = columns.DEFAULT_SCORE_COLUMN
    line: int = 0
    base: float | None = None  # sum only: added after combining, before round


@dataclass(frozen=True)
class Expression:
    text: str
    ast: Node
    type: ValueType
    line: int = 0


@dataclass(frozen=True)
class Tier:
    code: str
    label: str
    rank: int  # 1 = first


@dataclass(frozen=True)
class Override:
    name: str
    when: Expression
    tier: str
    line: int = 0


@dataclass(frozen=True)
class Level:
    tier: str
    range: Range
    line: int = 0


@dataclass(frozen=True)
class Scale:
    column: str
    factors: tuple[tuple[Scalar, float], ...]
    line: int = 0


class TieringKind(StrEnum):
    """The four tierings (SPEC §2.5); every tiering carries its own as `kind`, which is what
    compiler and pipeline decide on."""

    LEVELS = "levels"
    RULES = "rules"
    MATRIX = "matrix"
    QUANTILES = "quantiles"


@dataclass(frozen=True)
class LevelTiering:
    by: str
    by_score: bool  # by names a score (reasons apply) rather than an input
    levels: tuple[Level, ...]
    scale: Scale | None = None
    kind: Literal[TieringKind.LEVELS] = TieringKind.LEVELS


@dataclass(frozen=True)
class Rule:
    tier: str
    when: Expression | None  # None: the catch-all last level
    line: int = 0


@dataclass(frozen=True)
class RuleTiering:
    hit: Literal["first", "unique"]
    rules: tuple[Rule, ...]
    kind: Literal[TieringKind.RULES] = TieringKind.RULES


@dataclass(frozen=True)
class Axis:
    """One banded axis of a matrix; its levels' `tier` fields name the axis levels, not tiers."""

    by: str
    by_score: bool
    levels: tuple[Level, ...]


@dataclass(frozen=True)
class MatrixTiering:
    rows: Axis
    cols: Axis
    cells: tuple[tuple[str, ...], ...]  # cells[row level][col level] = tier code
    kind: Literal[TieringKind.MATRIX] = TieringKind.MATRIX


@dataclass(frozen=True)
class Quantile:
    tier: str
    top: float | None  # cumulative share of the valid entities; None: the last, catch-all tier
    line: int = 0


@dataclass(frozen=True)
class QuantileTiering:
    """Global ranks: rank = 1 + the valid entities with a strictly better value over the whole
    register; the first tier with rank ≤ top × N (N valid entities) is the entity's."""

    by: str
    by_score: bool
    order: Literal["desc", "asc"]
    quantiles: tuple[Quantile, ...]
    kind: Literal[TieringKind.QUANTILES] = TieringKind.QUANTILES


Tiering = Union[LevelTiering, RuleTiering, MatrixTiering, QuantileTiering]


@dataclass(frozen=True)
class ActionColumn:
    name: str
    type: ActionType
    values: tuple[Scalar, ...]  # one per tier, in tier-table order

    @property
    def value_type(self) -> ValueType:
        return {"string": "text", "bool": "bool"}.get(self.type, "number")  # type: ignore[return-value]


@dataclass(frozen=True)
class Choice:
    when: Expression | None  # None: the catch-all last item
    value: str


@dataclass(frozen=True)
class Derived:
    """A derived column (SPEC §2.6). A text column (`choose:`) keeps its items in `choices`; its
    `expression` is then the number (1-based) of the first item that holds, which is what the
    kernels compute: `coalesce(1 / when₁, 2 / when₂, …, n)`, since a false condition is 0 and a
    division by zero is null, an unknown one null, and a true one 1."""

    name: str
    expression: Expression
    choices: tuple[Choice, ...] = ()

    @property
    def is_text(self) -> bool:
        return bool(self.choices)

    def text_of(self, number: float) -> str | None:
        """A text column's value for the item number the kernels computed (NaN: no item held)."""
        return None if number != number else self.choices[int(number) - 1].value


@dataclass(frozen=True)
class Rank:
    """SPEC §2.4a: 1 + the valid entities of the same `within` group with a strictly better `by`
    over the whole register (ties share a rank, the next skips); computed after the scores, before
    overrides, tiers and derived columns, which may read it."""

    name: str
    by: str
    by_score: bool  # by names a score rather than a numeric input
    within: tuple[str, ...]  # input columns; rows with equal values (null equal to null) form a group
    order: Literal["desc", "asc"]
    line: int = 0


@dataclass(frozen=True)
class Aggregate:
    """SPEC §2.3: rows scored one by one, grouped by the key, their scores combined, then tiered."""

    by: str
    method: Literal["mean", "weighted_mean", "min", "max", "median"]
    odd_count: bool = False
    weight: str | None = None  # weighted_mean: the input that weighs each row (a positive number)
    line: int = 0

    @property
    def even_count_code(self) -> str:
        return f"{self.by}:even_count"

    @property
    def key_null_code(self) -> str:
        """A row without a key belongs to no entity: invalid in every validation mode."""
        return f"{self.by}:not_null"

    @property
    def weight_codes(self) -> tuple[str, str]:
        """A row whose weight is null, or not a positive finite number, cannot be averaged: its codes."""
        return f"{self.weight}:not_null", f"{self.weight}:between"


@dataclass(frozen=True)
class Output:
    """The optional columns of a scored row (SPEC §4 `output:`), and how many components
    `reasons` holds (`reasons: {count}`). Without the reasons column no reasons are computed."""

    points: bool = True
    reasons: bool = True
    reason_count: int = 3

    @property
    def computed_reasons(self) -> int:
        """How many reasons the kernel finds per row: 0 when the column is not written."""
        return self.reason_count if self.reasons else 0


@dataclass(frozen=True)
class Scorecard:
    name: str
    version: int
    key: str
    inputs: tuple[Input, ...]
    scores: tuple[Score, ...]
    tiers: tuple[Tier, ...]  # rank order: override-only tiers first, then the tiering's
    tiering: Tiering
    overrides: tuple[Override, ...] = ()
    actions: tuple[ActionColumn, ...] = ()
    derived: tuple[Derived, ...] = ()
    passthrough: Literal["all"] | tuple[str, ...] = "all"
    description: str | None = None
    expectations: str | None = None
    aggregate: Aggregate | None = None
    output: Output = Output()
    ranks: tuple[Rank, ...] = ()
    source: str = "<scorecard>"
    sha256: str = ""

    def input(self, name: str) -> Input:
        for spec in self.inputs:
            if spec.name == name:
                return spec
        raise KeyError(name)

    @property
    def input_names(self) -> tuple[str, ...]:
        return tuple(spec.name for spec in self.inputs)

    @property
    def components(self) -> tuple[Component, ...]:
        return tuple(c for score in self.scores for c in score.components)

    def tier(self, code: str) -> Tier:
        for tier in self.tiers:
            if tier.code == code:
                return tier
        raise KeyError(code)

    def score(self, name: str) -> Score:
        for score in self.scores:
            if score.name == name:
                return score
        raise KeyError(name)
