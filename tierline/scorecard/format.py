"""The scorecard file format (SPEC §2) as pydantic models.

These models say what a scorecard file may contain, field by field; they are the source of the
exported JSON Schema (`tierline/scorecard/scorecard.schema.json`) that editors use. Meaning that spans fields
(names that must exist, levels that must be contiguous, types that must agree) is checked after
this, in the build stages of `tierline.scorecard.load` (`build_components`, `build_tiering`, `build`).
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal, Union

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Discriminator, Field, Tag, model_validator

from tierline.scorecard.limits import INT32_MAX, INT64_MAX, INT64_MIN


def _fits_int64(value: int | float) -> int | float:
    # YAML integers are bounded by the loader; this catches quoted ones pydantic parses ('1000…0')
    if isinstance(value, int) and not INT64_MIN <= value <= INT64_MAX:
        raise ValueError("the integer does not fit in 64 bits; write a large number as a float (1.0e+30)")
    return value


def _not_bool(value: Any) -> Any:
    # pydantic's lax int takes true as 1: `base: yes` (YAML 1.1's true) would add one point unseen
    if isinstance(value, bool):
        raise ValueError(f"must be a number, not {str(value).lower()}")
    return value


Number = Annotated[Union[int, float], BeforeValidator(_not_bool), AfterValidator(_fits_int64)]
Scalar = Union[bool, int, float, str, None]
InputType = Literal["string", "int", "float", "bool", "category", "date", "timestamp"]
TIER_CODE_PATTERN = r"^[A-Za-z0-9_-]{1,32}$"
# Inputs, components, scores, ranks, derived columns and overrides: case-sensitive (`L`, `E`, `C`).
NAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*$"
SCORECARD_ID_PATTERN = r"^[a-z][a-z0-9_]*$"
Name = Annotated[str, Field(pattern=NAME_PATTERN)]


class _Strict(BaseModel):
    # NaN and ±inf are never a meaningful bound, point or weight: refuse them where they are written.
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, allow_inf_nan=False)


class InputSpec(_Strict):
    """One declared input column (SPEC §2.1)."""

    type: InputType
    required: bool = False
    default: Scalar = None
    min: Number | None = None
    max: Number | None = None
    values: list[Scalar] | None = None
    unique: bool = False
    regex: str | None = None
    description: str | None = None


class RangeSpec(_Strict):
    """A numeric range: at most one lower bound (from ≥ / above >) and one upper (to < / upto ≤)."""

    from_: Number | None = Field(default=None, alias="from", description="x ≥ from (以上)")
    above: Number | None = Field(default=None, description="x > above (超过)")
    to: Number | None = Field(default=None, description="x < to (不满)")
    upto: Number | None = Field(default=None, description="x ≤ upto (以下)")

    @model_validator(mode="after")
    def _one_bound_per_side(self) -> "RangeSpec":
        if self.from_ is not None and self.above is not None:
            raise ValueError("a range takes at most one lower bound: 'from' or 'above', not both")
        if self.to is not None and self.upto is not None:
            raise ValueError("a range takes at most one upper bound: 'to' or 'upto', not both")
        return self


class BandSpec(RangeSpec):
    points: Number


class LinearSpec(_Strict):
    from_: Annotated[list[Number], Field(min_length=2, max_length=2)] = Field(alias="from")
    to: Annotated[list[Number], Field(min_length=2, max_length=2)]


class ComponentSpec(_Strict):
    """One component: reads one input and turns it into points by exactly one method."""

    name: str = Field(pattern=NAME_PATTERN)
    input: str
    map: dict[Any, Number] | None = Field(default=None, min_length=1)
    bands: list[BandSpec] | None = Field(default=None, min_length=1)
    linear: LinearSpec | None = None
    value: Literal[True] | None = None
    other: Number | None = Field(default=None, description="with map: the points of every value the map does not list")
    weight: Number = 1
    missing: Union[Literal["invalid"], Number] = "invalid"
    description: str | None = None

    @model_validator(mode="after")
    def _exactly_one_method(self) -> "ComponentSpec":
        given = [m for m in ("map", "bands", "linear", "value") if getattr(self, m) is not None]
        if len(given) != 1:
            raise ValueError(
                "a component needs exactly one of map, bands, linear, value"
                + (f" (it has {', '.join(given)})" if given else "")
            )
        return self


class ScoreSpec(_Strict):
    combine: Literal["sum", "mean", "product", "min", "max"] = "sum"
    components: list[ComponentSpec] = Field(min_length=1)
    base: Number | None = Field(default=None, description="sum only: a constant added after combining, before round")
    round: Annotated[int, Field(ge=0, le=12, strict=True)] | None = None  # strict: `round: yes` is no 1


class ReasonsSpec(_Strict):
    count: Annotated[int, Field(ge=1, le=10, strict=True)] = Field(default=3, description="components in `reasons`")


class OutputSpec(_Strict):
    """The optional column groups of a scored row (SPEC §4)."""

    points: bool = Field(default=True, description="write the points_<component> columns")
    reasons: bool = Field(default=True, description="write (and compute) the reasons column")


class AggregateSpec(_Strict):
    by: str
    score: Literal["mean", "weighted_mean", "min", "max", "median"] = "mean"
    weight: str | None = Field(default=None, description="weighted_mean: the positive numeric input that weighs "
                               "each row (Σ wᵢsᵢ / Σ wᵢ); required with weighted_mean, refused otherwise")
    odd_count: bool = False


class RankSpec(_Strict):
    """A rank within groups (SPEC §2.4a): SQL `RANK() OVER (PARTITION BY within ORDER BY by)`."""

    by: str = Field(description="the score or numeric input ranked")
    within: Union[str, Annotated[list[str], Field(min_length=1)]] = Field(
        description="the input column(s) whose equal values form a group (nulls form one group)")
    order: Literal["desc", "asc"] = Field(default="desc", description="desc: the largest value ranks 1")


class LevelSpec(RangeSpec):
    tier: str = Field(pattern=TIER_CODE_PATTERN)
    label: str | None = None


class ScaleSpec(_Strict):
    column: str
    factors: dict[Any, Number] = Field(min_length=1)


class RuleLevelSpec(_Strict):
    tier: str = Field(pattern=TIER_CODE_PATTERN)
    label: str | None = None
    when: str | None = None


class RulesSpec(_Strict):
    hit: Literal["first", "unique"] = "first"
    levels: list[RuleLevelSpec] = Field(min_length=1)


class QuantileSpec(_Strict):
    tier: str = Field(pattern=TIER_CODE_PATTERN)
    label: str | None = None
    top: Annotated[float, Field(gt=0, le=1)] | None = None


class AxisSpec(_Strict):
    by: str | None = None
    levels: list[LevelSpec] = Field(min_length=1)


class MatrixSpec(_Strict):
    """Two banded axes; `cells[r][c]` names the tier of rows level r and cols level c."""

    rows: AxisSpec
    cols: AxisSpec
    cells: list[list[str]] = Field(min_length=1)
    order: list[str] = Field(min_length=1, description="the tiers in rank order")
    labels: dict[str, str] | None = Field(default=None, description="tier code → label")


def re_tier_code(code: str) -> bool:
    return re.fullmatch(TIER_CODE_PATTERN, code) is not None


class TiersSpec(_Strict):
    """Exactly one of levels, rules, quantiles, matrix (SPEC §2.5)."""

    by: str | None = None
    levels: list[LevelSpec] | None = Field(default=None, min_length=1)
    scale: ScaleSpec | None = None
    rules: RulesSpec | None = None
    quantiles: list[QuantileSpec] | None = Field(default=None, min_length=1)
    order: Literal["desc", "asc"] = "desc"
    matrix: MatrixSpec | None = None

    @model_validator(mode="after")
    def _exactly_one_kind(self) -> "TiersSpec":
        given = [k for k in ("levels", "rules", "quantiles", "matrix") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(
                "tiers need exactly one of levels, rules, quantiles, matrix"
                + (f" (found {', '.join(given)})" if given else "")
            )
        if self.scale is not None and self.levels is None:
            raise ValueError("'scale' applies to 'levels' tiers only")
        return self


class OverrideSpec(_Strict):
    name: str = Field(pattern=NAME_PATTERN)
    when: str
    tier: str = Field(pattern=TIER_CODE_PATTERN)
    label: str | None = None


class ChoiceItemSpec(_Strict):
    when: str | None = Field(default=None, description="a condition; none on the last item: every other row")
    value: str = Field(min_length=1, description="the text the column holds when `when` holds")


class ChoiceSpec(_Strict):
    """A text derived column: the `value` of the first item whose `when` holds (null when none does)."""

    choose: list[ChoiceItemSpec] = Field(min_length=1)


def _derived_kind(value: Any) -> str:
    return "choice" if isinstance(value, (dict, ChoiceSpec)) else "expression"


# a derived column is an expression, or a `choose:` table of texts; the tag picks the one whose
# messages a wrong value gets (not both)
DerivedSpec = Annotated[Union[Annotated[str, Tag("expression")], Annotated[ChoiceSpec, Tag("choice")]],
                        Discriminator(_derived_kind)]


class ScorecardSpec(_Strict):
    """A tierline scorecard file."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        populate_by_name=True,
        allow_inf_nan=False,
        title="tierline scorecard",
        json_schema_extra={"$schema": "https://json-schema.org/draft/2020-12/schema"},
    )

    scorecard: str = Field(pattern=SCORECARD_ID_PATTERN, description="scorecard id")
    version: Annotated[int, Field(ge=1, le=INT32_MAX, strict=True)]  # written as int32 into every row
    description: str | None = None
    key: str = Field(description="entity id column; must be unique in the register")
    inputs: dict[Name, InputSpec] = Field(min_length=1)
    passthrough: Union[Literal["all"], list[str]] = "all"
    score: ScoreSpec | None = None
    scores: dict[Name, ScoreSpec] | None = Field(default=None, min_length=1)
    aggregate: AggregateSpec | None = None
    ranks: dict[str, RankSpec] | None = Field(default=None, min_length=1)
    overrides: list[OverrideSpec] = Field(default_factory=list)
    tiers: TiersSpec
    actions: dict[str, dict[str, Scalar]] | None = None
    derived: dict[Name, DerivedSpec] | None = None
    reasons: ReasonsSpec | None = None
    output: OutputSpec = Field(default_factory=OutputSpec)
    expectations: str | None = Field(default=None, description="extra GX suite JSON, merged")


def scorecard_json_schema() -> dict[str, Any]:
    """The JSON Schema of the scorecard format, as exported to `tierline/scorecard/scorecard.schema.json`."""
    return ScorecardSpec.model_json_schema(by_alias=True)
