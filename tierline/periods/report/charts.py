"""The report's charts: Altair builds each Vega-Lite spec, vl-convert renders it to static SVG.

The SVG goes into the page as it is: no script runs in the report, nothing is fetched, and the
text stays text (the browser draws Chinese labels with the system's CJK font; `FONT` lists the
usual ones). vl-convert escapes every label, so a tier label cannot inject markup.
Each tier keeps its colour (by rank) in every chart.
"""

from __future__ import annotations

from typing import Sequence

import altair as alt
import vl_convert

from tierline.periods.migration import Line, LineKind, Migration
from tierline.periods.report.data import ErrorCount, Grid, Histogram, ReasonCount, TierCount

__all__ = ["FONT", "tiers_chart", "histogram_chart", "grid_chart", "reasons_chart", "errors_chart", "migration_chart"]

FONT = "Noto Sans CJK SC, Source Han Sans SC, PingFang SC, Microsoft YaHei, WenQuanYi Micro Hei, sans-serif"
# Tableau 10: distinguishable, and legible on white, for up to ten tiers (more repeat).
_PALETTE = ("#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac")
_WIDTH = 640


def _svg(chart: alt.TopLevelMixin) -> str:
    spec = chart.configure(font=FONT).configure_view(stroke=None).to_dict()
    return vl_convert.vegalite_to_svg(spec)


def _tier_scale(tiers: Sequence[TierCount]) -> alt.Scale:
    codes = [t.code for t in tiers]
    return alt.Scale(domain=codes, range=[_PALETTE[i % len(_PALETTE)] for i in range(len(codes))])


def tiers_chart(tiers: Sequence[TierCount]) -> str:
    """Entities per tier, in rank order, with the count and share at the end of each bar."""
    values = [{"tier": t.code, "name": f"{t.code} {t.label}".strip(), "count": t.count,
               "text": f"{t.count:,} ({t.share:.1%})"} for t in tiers]
    order = [v["name"] for v in values]
    base = alt.Chart(alt.Data(values=values)).encode(
        y=alt.Y("name:N", sort=order, title=None),
        x=alt.X("count:Q", title="entities", scale=alt.Scale(nice=True)))
    bars = base.mark_bar().encode(color=alt.Color("tier:N", scale=_tier_scale(tiers), legend=None))
    text = base.mark_text(align="left", dx=4).encode(text="text:N")
    return _svg((bars + text).properties(width=_WIDTH - 160, height=alt.Step(24)))


def histogram_chart(histogram: Histogram, tiers: Sequence[TierCount]) -> str:
    """The column's distribution stacked by tier, with a rule and a label at each tier boundary."""
    edges, rank = histogram.edges, {t.code: t.rank for t in tiers}
    values = [{"tier": tier, "rank": rank.get(tier, 0), "start": edges[b], "end": edges[b + 1], "count": n}
              for tier, b, n in histogram.counts]
    bars = alt.Chart(alt.Data(values=values)).mark_bar(binSpacing=0, stroke="white", strokeWidth=0.3).encode(
        x=alt.X("start:Q", title=histogram.column, scale=alt.Scale(domain=[edges[0], edges[-1]], nice=False)),
        x2="end:Q",
        y=alt.Y("sum(count):Q", title="entities", stack="zero"),
        color=alt.Color("tier:N", scale=_tier_scale(tiers), title="tier", sort=[t.code for t in tiers],
                        legend=alt.Legend(orient="bottom", direction="horizontal")),
        order=alt.Order("rank:Q"))
    layers: list[alt.Chart] = [bars]
    if histogram.boundaries:
        # Labels on three staggered lines (pixels from the top), so that near boundaries stay legible.
        marks = [{"value": b.value, "text": b.text, "y": 2 + 14 * (i % 3)} for i, b in enumerate(histogram.boundaries)]
        rules = alt.Chart(alt.Data(values=marks))
        layers.append(rules.mark_rule(color="#222", strokeDash=[4, 3]).encode(x="value:Q"))
        layers.append(rules.mark_text(align="left", baseline="top", dx=3, color="#222").encode(
            x="value:Q", y=alt.Y("y:Q", scale=None, axis=None), text="text:N"))
    chart = alt.layer(*layers).resolve_scale(y="independent") if len(layers) > 1 else bars
    return _svg(chart.properties(width=_WIDTH, height=240))


def grid_chart(grid: Grid, tiers: Sequence[TierCount]) -> str:
    """A matrix scorecard's cells: the cell's tier coloured, its entity count written in it."""
    values = [{"row": grid.row_levels[c.row], "col": grid.col_levels[c.col], "tier": c.tier,
               "text": f"{c.tier}: {c.count:,}"} for c in grid.cells]
    base = alt.Chart(alt.Data(values=values)).encode(
        y=alt.Y("row:N", sort=list(grid.row_levels), title=grid.rows_column),
        x=alt.X("col:N", sort=list(grid.col_levels), title=grid.cols_column, axis=alt.Axis(labelAngle=0)))
    cells = base.mark_rect(stroke="white", strokeWidth=2, opacity=0.8).encode(
        color=alt.Color("tier:N", scale=_tier_scale(tiers), title="tier", sort=[t.code for t in tiers]))
    text = base.mark_text(fontSize=12).encode(text="text:N")
    return _svg((cells + text).properties(width=alt.Step(150), height=alt.Step(44)))


def reasons_chart(reasons: Sequence[ReasonCount], tiers: Sequence[TierCount]) -> str:
    """Tier × component: the share of the tier's entities whose reasons name the component."""
    names = {t.code: f"{t.code} {t.label}".strip() for t in tiers}
    values = [{"tier": names.get(r.tier, r.tier), "component": r.component, "share": r.share,
               "text": f"{r.share:.0%}"} for r in reasons]
    components = list(dict.fromkeys(r.component for r in sorted(reasons, key=lambda r: -r.count)))
    base = alt.Chart(alt.Data(values=values)).encode(
        y=alt.Y("tier:N", sort=[names[t.code] for t in tiers], title=None),
        x=alt.X("component:N", sort=components, title="reason (component)", axis=alt.Axis(labelAngle=-30)))
    cells = base.mark_rect().encode(color=alt.Color("share:Q", scale=alt.Scale(scheme="oranges", domain=[0, 1]),
                                                    title="share of tier", legend=alt.Legend(format=".0%")))
    text = base.mark_text().encode(text="text:N", color=alt.condition("datum.share > 0.6", alt.value("white"),
                                                                        alt.value("black")))
    return _svg((cells + text).properties(width=alt.Step(70), height=alt.Step(28)))


def errors_chart(errors: Sequence[ErrorCount]) -> str:
    """Quarantined rows per error code, most first."""
    values = [{"code": e.code, "rows": e.rows, "text": f"{e.rows:,} ({e.share:.2%})"} for e in errors]
    base = alt.Chart(alt.Data(values=values)).encode(
        y=alt.Y("code:N", sort=[e.code for e in errors], title=None), x=alt.X("rows:Q", title="rows"))
    bars = base.mark_bar(color="#e15759")
    text = base.mark_text(align="left", dx=4).encode(text="text:N")
    return _svg((bars + text).properties(width=_WIDTH - 200, height=alt.Step(22)))


def migration_chart(migration: Migration) -> str:
    """The from × to matrix as a heatmap: colour by the share of the row, the count written in the cell."""
    def name(line: Line) -> str:
        return f"{line.code} {line.label}".strip() if line.kind is LineKind.TIER else line.name

    values = []
    for row, counts in zip(migration.rows, migration.counts):
        total = max(sum(counts), 1)
        for col, n in zip(migration.cols, counts):
            values.append({"from": name(row), "to": name(col), "count": n, "share": n / total,
                           "text": f"{n:,}" if n else "", "direction": migration.direction(row, col).value})
    base = alt.Chart(alt.Data(values=values)).encode(
        y=alt.Y("from:N", sort=[name(r) for r in migration.rows], title=f"{migration.before.period} (from)"),
        x=alt.X("to:N", sort=[name(c) for c in migration.cols], title=f"{migration.after.period} (to)",
                axis=alt.Axis(orient="top", labelAngle=-30)))
    cells = base.mark_rect(stroke="white").encode(
        color=alt.Color("share:Q", scale=alt.Scale(scheme="blues", domain=[0, 1]), title="share of row",
                        legend=alt.Legend(format=".0%")))
    text = base.mark_text(fontSize=11).encode(text="text:N", color=alt.condition("datum.share > 0.5", alt.value("white"),
                                                                                   alt.value("black")))
    return _svg((cells + text).properties(width=alt.Step(86), height=alt.Step(30)))
