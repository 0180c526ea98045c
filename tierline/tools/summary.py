"""Printing a run's summary on the terminal (tier table, counts, where the output is)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from tierline.pipeline.run import RunSummary

# Wider than any line tierline prints (paths are at most 4096 bytes), so nothing is ever wrapped.
_NO_WRAP_WIDTH = 10_000


def unwrapped(console: Console) -> Console:
    """`console` itself on a terminal; elsewhere one on the same file that never wraps or cuts.

    Without a terminal rich assumes 80 columns and hard-wraps, which splits a long output path
    over several lines of a log; tables keep their natural width instead (they do not expand).
    """
    if console.is_terminal:
        return console
    return Console(file=console.file, width=_NO_WRAP_WIDTH, soft_wrap=True, highlight=False,
                   no_color=console.no_color)


def print_summary(summary: RunSummary, console: Console | None = None) -> None:
    console = unwrapped(console or Console())
    counts = summary.manifest["counts"]
    table = Table(title=f"{summary.manifest['scorecard']['name']} · period {summary.period}")
    table.add_column("rank", justify="right")
    table.add_column("tier")
    table.add_column("label")
    grouped = "scored_rows" in counts  # an aggregating scorecard: the tiers count entities
    table.add_column("entities" if grouped else "rows", justify="right")
    table.add_column("share", justify="right")
    scored = max(counts["scored"], 1)
    for rank, (code, label, rows) in enumerate(summary.tiers, start=1):
        table.add_row(str(rank), code, label, f"{rows:,}", f"{rows / scored:.1%}")
    console.print(table)
    scored_text = (f"{counts['scored']:,} entities from {counts['scored_rows']:,} rows" if grouped
                   else f"{counts['scored']:,}")
    console.print(f"input {counts['input']:,} rows · scored {scored_text} · quarantined {counts['quarantined']:,}")
    for code, rows in counts["errors"].items():
        console.print(f"  {code}: {rows:,}", markup=False)
    console.print(f"output: {summary.output_dir / ('period=' + summary.period)}", markup=False)
    # the SPEC §4 path of the manifest, where a reader (or a scheduler) finds every count of the run
    console.print(f"manifest: {summary.output_dir / '_manifests' / ('period=' + summary.period + '.json')}",
                  markup=False)
