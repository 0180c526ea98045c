"""The data behind each section of `tierline report`, from the manifest or from one DuckDB query.

Each function returns plain frozen data that `charts.py` draws and the template lists; none loads
rows into Python: the histograms, the matrix grid and the reasons are GROUP BYs over only the
columns they need, so their results are a few hundred rows whatever the period's size.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Sequence

import duckdb

from tierline.periods.engine import quote_identifier, scored_rows_sql
from tierline.periods.published import PublishedPeriod
from tierline.scorecard.expressions import Binary, ExpressionError, Literal_, Name, children, parse_expression

__all__ = ["TierCount", "Boundary", "Histogram", "GridCell", "Grid", "ReasonCount", "ErrorCount",
           "tier_counts", "error_counts", "level_boundaries", "quantile_boundaries", "score_histogram",
           "matrix_grid", "reason_counts", "output_columns", "range_text", "rule_thresholds"]

MAX_BINS = 40


@dataclass(frozen=True)
class TierCount:
    code: str
    label: str
    rank: int
    count: int
    share: float  # of the scored entities


@dataclass(frozen=True)
class Boundary:
    value: float
    text: str  # `A ≥ 75`


@dataclass(frozen=True)
class Histogram:
    """Counts of a numeric column in equal bins, per tier; values beyond the bins are in the end bins."""

    column: str
    edges: tuple[float, ...]  # len(bins) + 1
    counts: tuple[tuple[str, int, int], ...]  # (tier code, bin index, rows)
    boundaries: tuple[Boundary, ...]
    outside: int  # rows below the first or above the last edge, counted in the end bins
    values: int  # rows with a finite value

    @property
    def bins(self) -> int:
        return len(self.edges) - 1


@dataclass(frozen=True)
class GridCell:
    row: int
    col: int
    tier: str  # the tier the scorecard's matrix puts in this cell
    count: int


@dataclass(frozen=True)
class Grid:
    """A matrix scorecard's two axes: entities per (row level, column level)."""

    rows_column: str
    cols_column: str
    row_levels: tuple[str, ...]  # `name range` (`high ≥ 3.5`), in the scorecard's order
    col_levels: tuple[str, ...]
    cells: tuple[GridCell, ...]
    outside: int  # entities whose axis values fall in no level (an override tiered them)


@dataclass(frozen=True)
class ReasonCount:
    tier: str
    component: str
    count: int  # scored entities of the tier whose `reasons` name the component
    share: float  # of the tier's entities


@dataclass(frozen=True)
class ErrorCount:
    code: str
    rows: int
    share: float  # of the input rows


def tier_counts(period: PublishedPeriod) -> tuple[TierCount, ...]:
    counts: dict[str, int] = period.manifest["counts"]["tiers"]
    scored = max(int(period.manifest["counts"]["scored"]), 1)
    return tuple(TierCount(t.code, t.label, t.rank, int(counts.get(t.code, 0)), counts.get(t.code, 0) / scored)
                 for t in period.tiers)


def error_counts(period: PublishedPeriod) -> tuple[ErrorCount, ...]:
    """Rows per error code, most first (a row with two codes counts under both)."""
    errors: dict[str, int] = period.manifest["counts"].get("errors", {})
    total = max(int(period.manifest["counts"]["input"]), 1)
    return tuple(ErrorCount(code, int(n), n / total) for code, n in sorted(errors.items(), key=lambda e: (-e[1], e[0])))


def output_columns(con: duckdb.DuckDBPyConnection, period: PublishedPeriod) -> dict[str, str]:
    """The scored rows' columns and their DuckDB types (none for a period without scored rows)."""
    if not period.scored_files:
        return {}
    return {name: str(kind) for name, kind, *_ in con.execute(f"DESCRIBE SELECT * FROM {scored_rows_sql(period)}").fetchall()}


def range_text(level: dict[str, Any]) -> str:
    """A level's range as the scorecard means it: `[50, 75)`, `≥ 75`, `< 50`, `all`."""
    lower, upper = level.get("lower"), level.get("upper")
    if lower is None and upper is None:
        return "all"
    if upper is None:
        return f"{'≥' if level['lower_inclusive'] else '>'} {lower:g}"
    if lower is None:
        return f"{'≤' if level['upper_inclusive'] else '<'} {upper:g}"
    return f"{'[' if level['lower_inclusive'] else '('}{lower:g}, {upper:g}{']' if level['upper_inclusive'] else ')'}"


def level_boundaries(levels: Sequence[dict[str, Any]]) -> tuple[Boundary, ...]:
    """Every finite lower bound of a `levels` tiering: where one tier ends and the next begins."""
    return tuple(Boundary(float(level["lower"]), f"{level['tier']} {'≥' if level['lower_inclusive'] else '>'} "
                                                 f"{level['lower']:g}")
                 for level in levels if level.get("lower") is not None)


_COMPARISONS = {"<": "<", "<=": "≤", ">": ">", ">=": "≥", "==": "=", "!=": "≠"}
_MIRRORED = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}


def rule_thresholds(rules: Sequence[dict[str, Any]]) -> dict[str, tuple[Boundary, ...]]:
    """The numbers each column is compared with in a rules tiering (`days_overdue <= 30` → 30), by
    column, the most compared column first: what a rules scorecard cuts its numeric inputs at."""
    found: dict[str, dict[float, str]] = {}
    for rule in rules:
        try:
            stack = [parse_expression(rule["when"])] if rule.get("when") else []
        except ExpressionError:
            continue  # the manifest's own text; a scorecard that ran parses, so this is never expected
        while stack:
            node = stack.pop()
            stack.extend(reversed(children(node)))  # left to right, so ties go to the first column written
            if not isinstance(node, Binary) or node.op not in _COMPARISONS:
                continue
            left, right, op = node.left, node.right, node.op
            if isinstance(left, Literal_) and isinstance(right, Name):
                left, right, op = right, left, _MIRRORED[op]
            if isinstance(left, Name) and isinstance(right, Literal_) and isinstance(right.value, (int, float)) \
                    and not isinstance(right.value, bool):
                found.setdefault(left.name, {}).setdefault(float(right.value), f"{_COMPARISONS[op]} {right.value:g}")
    ordered = sorted(found.items(), key=lambda item: -len(item[1]))  # stable: first seen wins a tie
    return {column: tuple(Boundary(value, text) for value, text in sorted(values.items()))
            for column, values in ordered}


def quantile_boundaries(con: duckdb.DuckDBPyConnection, period: PublishedPeriod, column: str,
                        order: str) -> tuple[Boundary, ...]:
    """Where each quantile tier began in this period: the lowest value of each tier but the last when a
    higher value is better (`order: desc`), the highest when a lower one is; overridden rows left out."""
    value = f"CAST({quote_identifier(column)} AS DOUBLE)"
    found = dict((tier, (low, high)) for tier, low, high in con.execute(
        f"SELECT tier, min({value}), max({value}) FROM {scored_rows_sql(period)} "
        f"WHERE override IS NULL AND isfinite({value}) GROUP BY tier").fetchall())
    cut = [t.code for t in period.tiers if t.code in found][:-1]
    if order == "desc":
        return tuple(Boundary(float(found[code][0]), f"{code} ≥ {found[code][0]:g}") for code in cut)
    return tuple(Boundary(float(found[code][1]), f"{code} ≤ {found[code][1]:g}") for code in cut)


def score_histogram(con: duckdb.DuckDBPyConnection, period: PublishedPeriod, column: str,
                    boundaries: Sequence[Boundary] = ()) -> Histogram | None:
    """`column` in at most MAX_BINS equal bins of a round width, per tier, or None when no value is finite.

    The bins span the 0.5th to 99.5th percentile widened to every boundary within the data, so one
    outlier cannot squeeze the distribution into a single bar.
    """
    source, value = scored_rows_sql(period), f"CAST({quote_identifier(column)} AS DOUBLE)"
    values, low, high, q_low, q_high = con.execute(
        f"SELECT count(*), min(v), max(v), approx_quantile(v, 0.005), approx_quantile(v, 0.995) "
        f"FROM (SELECT {value} AS v FROM {source}) WHERE isfinite(v)").fetchone()
    if not values:
        return None
    inside = [b.value for b in boundaries if low <= b.value <= high]
    start, stop = min([q_low, *inside]), max([q_high, *inside])
    edges = _edges(start, stop)
    first, width, bins = edges[0], edges[1] - edges[0], len(edges) - 1
    found = con.execute(
        f"SELECT tier, CAST(least(greatest(floor((v - {first!r}) / {width!r}), 0), {bins - 1}) AS INTEGER) AS bin, "
        f"v < {first!r} OR v >= {edges[-1]!r} AS outside, count(*) "
        f"FROM (SELECT tier, {value} AS v FROM {source}) WHERE isfinite(v) GROUP BY ALL").fetchall()
    counts: dict[tuple[str, int], int] = {}
    for tier, b, _, n in found:  # a bin's rows inside and beyond the edges, together
        counts[(tier, int(b))] = counts.get((tier, int(b)), 0) + int(n)
    outside = sum(int(n) for *_, beyond, n in found if beyond)
    return Histogram(column, edges, tuple((t, b, n) for (t, b), n in sorted(counts.items())), tuple(boundaries),
                     outside, int(values))


def _edges(start: float, stop: float) -> tuple[float, ...]:
    """Edges of equal bins of a 1-2-5 width covering [start, stop] (MAX_BINS of them, give or take two)."""
    if stop <= start:
        return (start - 0.5, start + 0.5)
    raw = (stop - start) / MAX_BINS
    magnitude = 10 ** math.floor(math.log10(raw))
    width = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    first = math.floor(start / width) * width
    bins = math.floor((stop - first) / width) + 1  # bins are [edge, next edge): `stop` is in the last
    return tuple(first + i * width for i in range(bins + 1))


def matrix_grid(con: duckdb.DuckDBPyConnection, period: PublishedPeriod, tiering: dict[str, Any]) -> Grid:
    """Entities per cell of a matrix scorecard, the cell found from the two axis columns as the scorecard
    levels them."""
    rows, cols = tiering["rows"], tiering["cols"]
    found = con.execute(
        f"SELECT {_level_case(rows)} AS r, {_level_case(cols)} AS c, count(*) FROM {scored_rows_sql(period)} "
        "GROUP BY ALL").fetchall()
    counts = {(r, c): int(n) for r, c, n in found}
    cells = tuple(GridCell(i, j, tier, counts.get((i, j), 0))
                  for i, line in enumerate(tiering["cells"]) for j, tier in enumerate(line))
    outside = sum(n for (r, c), n in counts.items() if r is None or c is None)

    def names(axis: dict[str, Any]) -> tuple[str, ...]:
        return tuple(f"{level['tier']} {range_text(level)}" for level in axis["levels"])

    return Grid(rows["column"], cols["column"], names(rows), names(cols), cells, outside)


def _level_case(axis: dict[str, Any]) -> str:
    """SQL giving a value's level index on an axis (NULL when in none); only numbers go into the text."""
    value = f"CAST({quote_identifier(axis['column'])} AS DOUBLE)"
    whens = []
    for index, level in enumerate(axis["levels"]):
        tests = ["true"]
        if level.get("lower") is not None:
            tests.append(f"{value} {'>=' if level['lower_inclusive'] else '>'} {float(level['lower'])!r}")
        if level.get("upper") is not None:
            tests.append(f"{value} {'<=' if level['upper_inclusive'] else '<'} {float(level['upper'])!r}")
        whens.append(f"WHEN {' AND '.join(tests)} THEN {index}")
    return f"CASE WHEN {value} IS NULL THEN NULL {' '.join(whens)} END"


def reason_counts(con: duckdb.DuckDBPyConnection, period: PublishedPeriod) -> tuple[ReasonCount, ...]:
    """Per tier, how many entities each component is a reason for, most first."""
    tiers = period.manifest["counts"]["tiers"]
    found = con.execute(
        f"SELECT tier, reason, count(*) FROM (SELECT tier, unnest(reasons) AS reason FROM {scored_rows_sql(period)}) "
        "GROUP BY ALL").fetchall()
    rank = {t.code: t.rank for t in period.tiers}
    ordered = sorted(found, key=lambda r: (rank.get(r[0], 0), -r[2], r[1]))
    return tuple(ReasonCount(tier, reason, int(n), n / max(int(tiers.get(tier, 0)), 1)) for tier, reason, n in ordered)
