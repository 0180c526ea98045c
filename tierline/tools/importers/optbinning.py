"""Read an optbinning scorecard table: the CSV of `Scorecard.table(style="detailed").to_csv(...)`.

Columns `Variable`, `Bin` and `Points` are read (`style="summary"` has just those), and `Count`
when there is one; the rest (Bin id, WoE, IV, Coefficient, ...) is ignored. Per variable, in table
order (`BinningTable.build`):

- numeric bins `(-inf, 2.50)`, `[2.50, 5.00)`, `[5.00, inf)`, closed on the left (`np.digitize`,
  `right=False`), printed with `show_digits` decimals (2 by default: fit with a larger
  `show_digits` so the printed edges are the real splits);
- or categorical bins, each a NumPy array of its categories as `str()` prints it: `['a' 'b']`,
  `[1 2]` (a list `['a', 'b']` reads too);
- then `Special` (or one row per named special-code group), then `Missing`.

The table has no base row: with the default `intercept_based=False` the intercept is spread over
the variables' points; with `intercept_based=True` it is `Scorecard.intercept_`, given to the
importer as `--base`. Special rows are left out with a warning: the table does not list the
special codes, so such a value is scored by the bin it falls in. An empty bin (`Count` 0, or a bin
that holds no value) is left out with a warning; an empty `Missing` bin's points are
optbinning's `metric_missing` default rather than anything learned, so nulls are then quarantined.
optbinning's `Scorecard.score` gives a category the table does not list the Missing row's points
(its index −1); the imported scorecard quarantines it unless `--other` names a bin.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from tierline.errors import ScorecardError
from tierline.scorecard.limits import quote
from tierline.tools.importers.card import Card, VariableBuilder, parse_interval, parse_number, parse_points, read_rows

KIT = "optbinning"
COLUMNS = ("Variable", "Bin", "Points")
MISSING = "Missing"
SPECIAL = "Special"
# One category of a printed array: a quoted string (either quote, backslash escapes) or a bare token.
_CATEGORY = re.compile(r"""\s*(?:('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")|([^\s,'"\[\]]+))\s*,?""", re.S)
_INTEGER = re.compile(r"^[+-]?\d+$")


@dataclass(frozen=True)
class _Row:
    line: int
    bin: str
    points: float
    count: float | None


def read_card(path: str) -> Card:
    rows: dict[str, list[_Row]] = {}
    for line, cells in read_rows(path, COLUMNS, KIT, optional=("Count",)):
        variable = cells["Variable"].strip()
        if not variable:
            raise ScorecardError("a table row without a Variable", source=path, line=line)
        count_text = cells.get("Count", "").strip()
        count = parse_number(count_text, path, line, "the Count") if count_text else None
        points = parse_points(cells["Points"], path, line)
        rows.setdefault(variable, []).append(_Row(line, cells["Bin"].strip(), points, count))
    if not rows:
        raise ScorecardError("the table has no rows", source=path, line=1)
    builders = [_variable(name, variable_rows, path) for name, variable_rows in rows.items()]
    variables = tuple(builder.build() for builder in builders)
    return Card(KIT, path, variables, None, tuple(w for b in builders for w in b.warnings))


def _variable(name: str, rows: list[_Row], path: str) -> VariableBuilder:
    builder = VariableBuilder(name, rows[0].line, path)
    regular = [i for i, row in enumerate(rows) if _is_regular(row.bin)]
    last_regular = regular[-1] if regular else -1
    for index, row in enumerate(rows):
        if index > last_regular:
            _add_tail_row(builder, row)  # Special rows, then Missing
        elif not _is_regular(row.bin):
            raise ScorecardError(f"{name}: the bin {quote(row.bin)} is neither a range [a, b) nor an array of "
                                 "categories", source=path, line=row.line)
        elif row.count == 0:
            _add_empty(builder, row)
        else:
            _add_regular(builder, row)
    return builder


def _is_regular(text: str) -> bool:
    return text.startswith("[") or text.startswith("(")


def _add_regular(builder: VariableBuilder, row: _Row) -> None:
    interval = parse_interval(row.bin, row.points, builder.source, row.line)
    if interval is not None:
        builder.add_interval(interval, row.bin)
        return
    categories = _categories(row.bin, builder.source, row.line, builder)
    if not categories:
        builder.warn(row.line, f"the bin {quote(row.bin)} holds no category and is left out")
    for category in categories:
        builder.add_category(category, row.points, row.line)


def _add_empty(builder: VariableBuilder, row: _Row) -> None:
    """A bin no training row fell in: an interval is kept (the bands must still cover every number),
    a set of categories is kept too (they are named), with a warning that its points were not learned."""
    builder.warn(row.line, f"the bin {quote(row.bin)} is empty (Count 0); its points are kept")
    _add_regular(builder, row)


def _add_tail_row(builder: VariableBuilder, row: _Row) -> None:
    if row.bin == MISSING:
        if row.count == 0:
            builder.warn(row.line, "the Missing bin is empty (Count 0): its points are optbinning's default, "
                                   "not learned, so it is left out and a null is quarantined")
        else:
            builder.add_missing(row.points, row.line)
        return
    if not row.bin:
        builder.warn(row.line, "an empty bin holds no value and is left out")
        return
    seen = "" if row.count is None else f" (Count {row.count:g})"
    what = "the Special bin" if row.bin == SPECIAL else f"the special-codes bin {quote(row.bin)}"
    builder.warn(row.line, f"{what}{seen} is left out: the table does not list its codes, so such a value is "
                           "scored by the bin it falls in")


def _categories(text: str, source: str, line: int, builder: VariableBuilder) -> list[str | int]:
    """The categories of `['a' 'b']` / `[1 2]` / `['a', 'b']`, as written."""
    if not (text.startswith("[") and text.endswith("]")):
        raise ScorecardError(f"{builder.name}: the bin {quote(text)} is neither a range [a, b) nor an array of "
                             "categories", source=source, line=line)
    inner, position, found = text[1:-1], 0, []
    while inner[position:].strip():
        match = _CATEGORY.match(inner, position)
        if match is None or match.end() == position:
            raise ScorecardError(f"{builder.name}: cannot read the categories {quote(text)} at {quote(inner[position:])}",
                                 source=source, line=line)
        quoted, bare = match.groups()
        found.append(_category(quoted, bare, text, source, line, builder))
        position = match.end()
    return found


def _category(quoted: str | None, bare: str | None, text: str, source: str, line: int,
              builder: VariableBuilder) -> str | int:
    if quoted is not None:
        builder.bare_categories = False
        return ast.literal_eval(quoted)  # a single string literal, matched above: never code
    assert bare is not None
    if bare == "...":
        raise ScorecardError(f"{builder.name}: the categories {quote(text)} were cut short by NumPy's printing; "
                             "write the table with np.set_printoptions(threshold=sys.maxsize)", source=source, line=line)
    if _INTEGER.match(bare):
        return int(bare)
    builder.bare_categories = False
    return bare
