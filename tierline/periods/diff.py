"""`tierline diff DIR --from P1 --to P2`: the migration matrix printed as a table, CSV or JSON, and
with `-o FILE` one row per entity written as Parquet or CSV (`tierline.periods.migration`).

`--format` says what is printed (`table`, the default, `csv` or `json`); with `-o` it may instead
name the file's format (`parquet` or `csv`; by default `.csv` files are CSV and others Parquet), and
the matrix is then printed as a table (or JSON with `--format json`).
"""

from __future__ import annotations

import csv
import enum
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from rich.console import Console
from rich.table import Table

from tierline.errors import UsageError
from tierline.periods.migration import Direction, EntityFormat, Line, LineKind, Migration, migrate
from tierline.periods.published import PublishedPeriod, open_period
from tierline.tools.summary import unwrapped

__all__ = ["DiffFormat", "DiffRequest", "diff", "print_migration"]


class DiffFormat(enum.Enum):
    TABLE = "table"
    CSV = "csv"
    JSON = "json"
    PARQUET = "parquet"


@dataclass(frozen=True)
class DiffRequest:
    output_dir: str
    before: str
    after: str
    entities_to: str | None = None
    format: DiffFormat | None = None  # None: table, and the entity file's format from its name


def diff(request: DiffRequest, out: TextIO | None = None) -> Migration:
    """Runs `tierline diff`; prints the matrix on `out` (stdout) and returns it."""
    out = out or sys.stdout
    printed, entity_format = _formats(request)
    before = open_period(request.output_dir, request.before)
    after = open_period(request.output_dir, request.after)
    target = None if request.entities_to is None else Path(request.entities_to)
    migration = migrate(before, after, entities_to=target, entity_format=entity_format)
    print_migration(migration, printed, out)
    if target is not None and printed is not DiffFormat.JSON:
        print(f"{migration.entities:,} entities written to {target} ({entity_format.value})", file=sys.stderr)
    return migration


def _formats(request: DiffRequest) -> tuple[DiffFormat, EntityFormat]:
    """What is printed, and the entity file's format."""
    chosen = request.format
    if request.entities_to is None:
        if chosen is DiffFormat.PARQUET:
            raise UsageError("--format parquet writes the entity rows: give -o FILE.parquet")
        return chosen or DiffFormat.TABLE, EntityFormat.PARQUET
    if chosen in (DiffFormat.PARQUET, DiffFormat.CSV):
        return DiffFormat.TABLE, EntityFormat(chosen.value)
    return chosen or DiffFormat.TABLE, EntityFormat.by_name(request.entities_to)


def print_migration(migration: Migration, printed: DiffFormat, out: TextIO) -> None:
    if printed is DiffFormat.JSON:
        out.write(json.dumps(migration.to_json(), ensure_ascii=False) + "\n")
    elif printed is DiffFormat.CSV:
        _write_csv(migration, out)
    else:
        _print_table(migration, out)


def _write_csv(migration: Migration, out: TextIO) -> None:
    """One line per non-empty cell: from and to (kind, tier, label), entities, direction."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["from_kind", "from_tier", "from_label", "to_kind", "to_tier", "to_label", "entities", "direction"])
    for row, counts in zip(migration.rows, migration.counts):
        for col, n in zip(migration.cols, counts):
            if n:
                writer.writerow([row.kind.value, row.code or "", row.label, col.kind.value, col.code or "", col.label,
                                 n, migration.direction(row, col).value])


def _print_table(migration: Migration, out: TextIO) -> None:
    console = unwrapped(Console(file=out, highlight=False))
    before, after = migration.before, migration.after
    console.print(f"{before.period} → {after.period}: {_header(before, after)}", markup=False)
    table = Table(title=f"entities by {after.key!r}: rows {before.period}, columns {after.period}", title_justify="left")
    table.add_column(f"{before.period} \\ {after.period}")
    for col in migration.cols:
        table.add_column(_line_name(col), justify="right")
    table.add_column("total", justify="right", style="bold")
    for row, counts in zip(migration.rows, migration.counts):
        table.add_row(_line_name(row), *(f"{n:,}" if n else "·" for n in counts), f"{sum(counts):,}")
    totals = [sum(column) for column in zip(*migration.counts)]
    table.add_row("total", *(f"{n:,}" for n in totals), f"{migration.entities:,}", style="bold")
    console.print(table)
    console.print(" · ".join(f"{d.value} {migration.directions[d]:,}" for d in Direction), markup=False)
    console.print(f"(up: towards rank 1, {after.tiers[0].code} {after.tiers[0].label})" if after.tiers else "",
                  markup=False)


def _header(before: PublishedPeriod, after: PublishedPeriod) -> str:
    if before.scorecard_sha256 == after.scorecard_sha256:
        return before.describe()
    return f"{before.describe()} → {after.describe()} (the scorecard changed between the periods)"


def _line_name(line: Line) -> str:
    return f"{line.code} {line.label}".strip() if line.kind is LineKind.TIER else line.name
