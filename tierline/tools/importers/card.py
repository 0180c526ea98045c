"""A credit-scorecard kit's card, read into plain data that the writer turns into a scorecard.

Both kits' cards are tables of (variable, bin, points) rows. A reader (`scorecardpy.py`,
`optbinning.py`) turns each row into one of: a numeric interval `[a, b)` (both kits close bins on
the left), a set of categories, the missing bin, or the base points; `VariableBuilder` collects
them per variable and checks that the intervals tile the number line, so a card with a gap or an
overlap is refused with the CSV line at fault instead of becoming a scorecard that quarantines the
gap. Every problem is a `ScorecardError` naming `file:line` (exit 2).
"""

from __future__ import annotations

import csv
import io
import math
import re
from dataclasses import dataclass, field
from typing import Iterator

from tierline.errors import ScorecardError
from tierline.scorecard.files import read_regular_file
from tierline.scorecard.limits import quote

MAX_CARD_BYTES = 16 << 20  # a card is a few hundred rows; 16 MiB is far past any real one

# `[a,b)` (scorecardpy) or `(-inf, 2.50)` / `[2.50, 5.00)` (optbinning): closed on the left, open on
# the right; `(` only ever opens at -inf, where open and closed are the same.
_INTERVAL = re.compile(r"^\s*[\[(]\s*([^,\s]+)\s*,\s*([^,\s]+)\s*\)\s*$")


@dataclass(frozen=True)
class Interval:
    lower: float  # -inf when unbounded
    upper: float  # inf when unbounded
    points: float
    line: int


@dataclass(frozen=True)
class CardVariable:
    """One variable of the card: either numeric intervals or categories, and maybe a missing bin."""

    name: str
    line: int
    intervals: tuple[Interval, ...] = ()
    categories: tuple[tuple[str | int, float], ...] = ()  # (category, points), in card order
    category_type: str = "string"  # "int" when every category was written as a bare integer
    missing: float | None = None
    other: float | None = None  # points for a category no bin lists (`--other`)

    @property
    def numeric(self) -> bool:
        return bool(self.intervals)


@dataclass(frozen=True)
class Card:
    kit: str
    source: str
    variables: tuple[CardVariable, ...]
    base: float | None = None
    warnings: tuple[str, ...] = ()


def parse_number(text: str, source: str, line: int, what: str) -> float:
    """A finite number, or ±inf where a bound is unbounded; anything else is exit 2."""
    cleaned = text.strip()
    try:
        value = float(cleaned)
    except ValueError:
        raise ScorecardError(f"{what} {quote(text)} is not a number", source=source, line=line) from None
    if math.isnan(value):
        raise ScorecardError(f"{what} {quote(text)} is not a number", source=source, line=line)
    return value


def parse_points(text: str, source: str, line: int) -> float:
    points = parse_number(text, source, line, "the points")
    if math.isinf(points):
        raise ScorecardError(f"the points {quote(text)} are not a finite number", source=source, line=line)
    return points


def parse_interval(text: str, points: float, source: str, line: int) -> Interval | None:
    """`[a,b)` as an Interval, None when the text is not an interval at all."""
    match = _INTERVAL.match(text)
    if match is None:
        return None
    lower = parse_number(match.group(1), source, line, "the bin's lower bound")
    upper = parse_number(match.group(2), source, line, "the bin's upper bound")
    if lower == math.inf or upper == -math.inf:
        raise ScorecardError(f"the bin {quote(text)} is not a range of numbers", source=source, line=line)
    return Interval(lower, upper, points, line)


def read_rows(path: str, columns: tuple[str, ...], kit: str,
              optional: tuple[str, ...] = ()) -> Iterator[tuple[int, dict[str, str]]]:
    """The CSV's records as (first line of the record, {column: text}) for the named columns
    (and those of `optional` that the header has).

    Other columns (the index pandas writes first, WoE, IV, ...) are ignored; a missing named column
    or a record of the wrong width is exit 2 naming the line."""
    text = _read_text(path)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise ScorecardError(f"the {kit} card is empty", source=path, line=1) from None
    except csv.Error as error:
        raise ScorecardError(f"not a CSV file: {error}", source=path, line=1) from None
    index = _column_index(header, columns, path, kit)
    index.update({name: i for i, name in enumerate(h.strip() for h in header) if name in optional})
    while True:
        line = reader.line_num + 1
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            raise ScorecardError(f"not a CSV record: {error}", source=path, line=line) from None
        if not any(cell.strip() for cell in record):
            continue  # a blank line
        if len(record) != len(header):
            raise ScorecardError(f"the record has {len(record)} fields; the header has {len(header)}",
                                 source=path, line=line)
        yield line, {name: record[i] for name, i in index.items()}


def _read_text(path: str) -> str:
    raw = read_regular_file(path, "card file", MAX_CARD_BYTES)
    try:
        return raw.decode("utf-8-sig")  # Excel writes a BOM before UTF-8 CSV
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise ScorecardError("the card is not UTF-8 text", source=path, line=line) from None


def _column_index(header: list[str], columns: tuple[str, ...], path: str, kit: str) -> dict[str, int]:
    stripped = [name.strip() for name in header]
    missing = [name for name in columns if name not in stripped]
    if missing:
        raise ScorecardError(
            f"not a {kit} card: no column {', '.join(map(quote, missing))} (the header has "
            f"{', '.join(map(quote, stripped))})", source=path, line=1)
    return {name: stripped.index(name) for name in columns}


@dataclass
class VariableBuilder:
    """The rows of one variable, gathered in card order, then checked into a CardVariable."""

    name: str
    line: int
    source: str
    intervals: list[Interval] = field(default_factory=list)
    categories: dict[str | int, tuple[float, int]] = field(default_factory=dict)
    bare_categories: bool = True  # every category was written without quotes, as an integer
    missing: tuple[float, int] | None = None
    warnings: list[str] = field(default_factory=list)

    def add_interval(self, interval: Interval, text: str) -> None:
        if interval.lower > interval.upper:
            raise ScorecardError(f"{self.name}: the bin {quote(text)} ends below its start", source=self.source,
                                 line=interval.line)
        if interval.lower == interval.upper:  # `[2.50, 2.50)`: two splits the kit printed rounded to one
            self.warn(interval.line, f"the bin {quote(text)} holds no number and is left out")
            return
        self.intervals.append(interval)

    def warn(self, line: int, message: str) -> None:
        self.warnings.append(f"{self.source}:{line}: {self.name}: {message}")

    def add_category(self, category: str | int, points: float, line: int) -> None:
        if category in self.categories:
            raise ScorecardError(f"{self.name}: the category {quote(category)} is in two bins (first at line "
                                 f"{self.categories[category][1]})", source=self.source, line=line)
        self.categories[category] = (points, line)

    def add_missing(self, points: float, line: int) -> None:
        if self.missing is not None:
            raise ScorecardError(f"{self.name}: a second missing bin (the first is at line {self.missing[1]})",
                                 source=self.source, line=line)
        self.missing = (points, line)

    def build(self) -> CardVariable:
        if self.intervals and self.categories:
            first = min(min(i.line for i in self.intervals), min(line for _, line in self.categories.values()))
            raise ScorecardError(f"{self.name}: the card mixes numeric bins and categories", source=self.source,
                                 line=first)
        if not self.intervals and not self.categories:
            raise ScorecardError(f"{self.name}: no bin left to score a value (only missing, special or empty bins)",
                                 source=self.source, line=self.line)
        intervals = tuple(sorted(self.intervals, key=lambda i: i.lower))
        _check_tiling(self.name, intervals, self.source)
        category_type = "int" if self.categories and self.bare_categories and all(
            isinstance(c, int) for c in self.categories) else "string"
        categories = tuple((c if category_type == "int" else str(c), p) for c, (p, _) in self.categories.items())
        return CardVariable(self.name, self.line, intervals, categories, category_type,
                            None if self.missing is None else self.missing[0])


def _check_tiling(name: str, intervals: tuple[Interval, ...], source: str) -> None:
    """The intervals must cover every number once: from -inf, each starting where the last ends, to inf."""
    if not intervals:
        return
    if intervals[0].lower != -math.inf:
        raise ScorecardError(f"{name}: no bin below {intervals[0].lower:g} (the lowest bin must start at -inf)",
                             source=source, line=intervals[0].line)
    for before, after in zip(intervals, intervals[1:]):
        if after.lower != before.upper:
            what = "a gap" if after.lower > before.upper else "an overlap"
            raise ScorecardError(f"{name}: {what} between the bin ending at {before.upper:g} (line {before.line}) "
                                 f"and the bin starting at {after.lower:g}", source=source, line=after.line)
    if intervals[-1].upper != math.inf:
        raise ScorecardError(f"{name}: no bin from {intervals[-1].upper:g} up (the highest bin must end at inf)",
                             source=source, line=intervals[-1].line)
