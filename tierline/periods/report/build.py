"""`tierline report DIR --period P [--compare P0] [-o FILE.html]`: one self-contained HTML page.

Sections, in order (each a `<section id=…>` of the page): `run` (the manifest's facts), `tiers`,
`scores` (the distribution of what the tiers are cut from, with the boundaries), `reasons`,
`quarantine`, `expectations`, `migration` (from `--compare`, by default the previous period in DIR).
The data of each comes from `data.py`, its chart from `charts.py` (static SVG), the page from the
Jinja2 template `report.html.j2` (autoescaped). The file is written under a temporary name and
renamed, so a failed report leaves nothing half written.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import jinja2
from markupsafe import Markup

from tierline.periods import engine
from tierline.periods.engine import is_numeric_type
from tierline.periods.migration import Direction, Migration, migrate
from tierline.periods.published import PublishedPeriod, open_period, previous_period
from tierline.periods.written import check_target, written_whole
from tierline.periods.report import charts
from tierline.periods.report.data import (Boundary, ErrorCount, Grid, Histogram, ReasonCount, TierCount, error_counts,
                                          level_boundaries, matrix_grid, output_columns, quantile_boundaries,
                                          range_text, reason_counts, rule_thresholds, score_histogram, tier_counts)

__all__ = ["ReportRequest", "build_report"]


@dataclass(frozen=True)
class ReportRequest:
    output_dir: str
    period: str
    compare: str | None = None  # None: the previous period in output_dir, if any
    target: str | None = None  # None: report-<scorecard>-<period>.html in the working directory


class ScoreView(enum.Enum):
    HISTOGRAM = "histogram"  # levels, quantiles, or rules beside a score
    GRID = "grid"  # a matrix scorecard's two axes
    NONE = "none"  # nothing numeric to draw


@dataclass(frozen=True)
class ScoreSection:
    view: ScoreView
    chart: Markup | None = None
    histogram: Histogram | None = None
    grid: Grid | None = None
    notes: tuple[str, ...] = ()
    rules: tuple[dict[str, Any], ...] = ()  # a rules tiering's table: tier, when
    levels: tuple[tuple[str, str], ...] = ()  # a levels tiering's table: tier, range


@dataclass(frozen=True)
class MigrationSection:
    migration: Migration | None
    chart: Markup | None = None
    note: str = ""


@dataclass(frozen=True)
class Page:
    """Everything the template shows."""

    period: PublishedPeriod
    generated: str
    tiers: tuple[TierCount, ...]
    tiers_chart: Markup
    scores: ScoreSection
    reasons: tuple[ReasonCount, ...]
    reasons_chart: Markup | None
    reasons_note: str
    errors: tuple[ErrorCount, ...]
    errors_chart: Markup | None
    migration: MigrationSection
    directions: tuple[Direction, ...] = field(default=tuple(Direction))


def build_report(request: ReportRequest) -> Path:
    """Writes the report and returns its path."""
    period = open_period(request.output_dir, request.period)
    compare = request.compare if request.compare is not None else previous_period(request.output_dir, request.period)
    earlier = None if compare is None else open_period(request.output_dir, compare)
    target = check_target(Path(request.target or f"report-{period.scorecard_name}-{period.period}.html"))
    con = engine.connect()
    with engine.watched(con, f"report: reading {period.period}"):
        page = _page(con, period, earlier, asked=request.compare is not None)
    html = _render(page)
    with written_whole(target) as temporary:
        temporary.write_text(html, encoding="utf-8")
    return target


def _page(con: duckdb.DuckDBPyConnection, period: PublishedPeriod, earlier: PublishedPeriod | None, *,
          asked: bool) -> Page:
    tiers = tier_counts(period)
    columns = output_columns(con, period)
    reasons, reasons_note = _reasons(con, period, columns)
    errors = error_counts(period)
    return Page(
        period=period, generated=dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        tiers=tiers, tiers_chart=Markup(charts.tiers_chart(tiers)),
        scores=_scores(con, period, columns, tiers),
        reasons=reasons, reasons_chart=Markup(charts.reasons_chart(reasons, tiers)) if reasons else None,
        reasons_note=reasons_note,
        errors=errors, errors_chart=Markup(charts.errors_chart(errors)) if errors else None,
        migration=_migration(con, period, earlier, asked=asked))


def _scores(con: duckdb.DuckDBPyConnection, period: PublishedPeriod, columns: dict[str, str],
            tiers: tuple[TierCount, ...]) -> ScoreSection:
    if not period.scored_files:
        return ScoreSection(ScoreView.NONE, notes=(_NOTHING_SCORED,))
    tiering = period.grading["tiering"]
    kind = tiering["kind"]
    if kind == "matrix":
        missing = [a["column"] for a in (tiering["rows"], tiering["cols"]) if a["column"] not in columns]
        if missing:
            return ScoreSection(ScoreView.NONE, notes=(_not_in_output(missing),))
        grid = matrix_grid(con, period, tiering)
        notes = (f"{grid.outside:,} entities lie outside the grid (an override tiered them)",) if grid.outside else ()
        return ScoreSection(ScoreView.GRID, Markup(charts.grid_chart(grid, tiers)), grid=grid, notes=notes)
    notes: list[str] = []
    if kind == "rules":
        rules = tuple(tiering["rules"])
        drawn = _rules_column(period, rules, columns)
        if drawn is None:
            return ScoreSection(ScoreView.NONE, rules=rules,
                                notes=("The tiers come from rules on no numeric column: the table lists them.",))
        column, boundaries, note = drawn
        notes.append(note)
    else:
        column = tiering["column"]
        if column not in columns:
            return ScoreSection(ScoreView.NONE, notes=(_not_in_output([column]),))
        if kind == "levels":
            boundaries = level_boundaries(tiering["levels"])
            if tiering.get("scaled_by"):
                notes.append(f"Each row's boundaries are multiplied by the factor of its {tiering['scaled_by']}: "
                             "the lines show them unscaled.")
        else:
            boundaries = quantile_boundaries(con, period, column, tiering["order"])
            notes.append("Quantile tiers: each line is where a tier began in this period.")
        rules = ()
    histogram = score_histogram(con, period, column, boundaries)
    if histogram is None:
        return ScoreSection(ScoreView.NONE, notes=(*notes, f"No entity has a finite {column}."), rules=rules)
    if histogram.outside:
        notes.append(f"{histogram.outside:,} of {histogram.values:,} values lie beyond the bins and are counted "
                     "in the first or last bar.")
    levels = tuple((level["tier"], range_text(level)) for level in tiering.get("levels", ()))
    return ScoreSection(ScoreView.HISTOGRAM, Markup(charts.histogram_chart(histogram, tiers)), histogram=histogram,
                        notes=tuple(notes), rules=rules, levels=levels)


def _rules_column(period: PublishedPeriod, rules: tuple[dict[str, Any], ...],
                  columns: dict[str, str]) -> tuple[str, tuple[Boundary, ...], str] | None:
    """What a rules scorecard's chart shows: its score, else the numeric column the rules compare
    with most numbers (with those numbers as boundaries), and the note that says which."""
    scores = [s["column"] for s in period.grading["scores"] if s["column"] in columns]
    if scores:
        return scores[0], (), f"The tiers come from rules (listed below); the chart shows the score {scores[0]} by tier."
    compared = {c: b for c, b in rule_thresholds(rules).items() if is_numeric_type(columns.get(c))}
    if not compared:
        return None
    column, boundaries = next(iter(compared.items()))
    return column, boundaries, (f"The tiers come from rules (listed below); the chart shows {column}, the column "
                                "they compare with most numbers, and those numbers as lines.")


_NOTHING_SCORED = "No row was scored in this period: every row is in the quarantine."


def _not_in_output(columns: list[str]) -> str:
    return f"The output has no column {', '.join(columns)} (the scorecard's passthrough leaves it out): nothing to draw."


def _reasons(con: duckdb.DuckDBPyConnection, period: PublishedPeriod,
             columns: dict[str, str]) -> tuple[tuple[ReasonCount, ...], str]:
    if not period.scored_files:
        return (), _NOTHING_SCORED
    if not period.grading.get("components"):
        return (), "The scorecard has no score components, so no entity has reasons."
    if not period.grading.get("reasons") or "reasons" not in columns:
        return (), "This scorecard writes no reasons (output: {reasons: false})."
    reasons = reason_counts(con, period)
    if not reasons:
        return (), "No entity has a reason: every tier came from an override or a rule, or every component was at its maximum."
    return reasons, ""


def _migration(con: duckdb.DuckDBPyConnection, period: PublishedPeriod, earlier: PublishedPeriod | None, *,
               asked: bool) -> MigrationSection:
    """The matrix from `earlier`; a `--compare` period of another scorecard is refused as `diff` refuses
    it, while the previous period found by default is only noted."""
    if earlier is None:
        return MigrationSection(None, note=f"No period before {period.period} is published in this directory.")
    if earlier.scorecard_name != period.scorecard_name and not asked:
        return MigrationSection(None, note=f"{earlier.period} was graded by another scorecard "
                                           f"({earlier.describe()}): no migration is shown.")
    migration = migrate(earlier, period, con=con)
    return MigrationSection(migration, Markup(charts.migration_chart(migration)))


_ENVIRONMENT = jinja2.Environment(loader=jinja2.FileSystemLoader(Path(__file__).parent),
                                  autoescape=True, undefined=jinja2.StrictUndefined,
                                  trim_blocks=True, lstrip_blocks=True)


def _render(page: Page) -> str:
    from tierline import __version__

    return _ENVIRONMENT.get_template("report.html.j2").render(
        page=page, m=page.period.manifest, grading=page.period.grading, font=charts.FONT, version=__version__)
