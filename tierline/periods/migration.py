"""Tier migration between two published periods of one scorecard: the data behind `tierline diff`
and the report's migration matrix.

Every entity (a key) has a state in each period: scored in a tier, quarantined, or absent. The
matrix counts entities by (state before, state after): its rows are the earlier period's tiers in
rank order, then `quarantined`, then `new` (absent before); its columns the later period's tiers,
`quarantined`, `gone` (absent after). Each cell has one direction:

- `new` / `gone`: absent in the earlier / later period;
- `quarantined`: quarantined in either period (and present in both);
- `same`, `up`, `down`: scored in both; `up` is towards rank 1 (the first tier the scorecard lists),
  `down` away from it. Ranks are compared in the later period's tier table, so a reordered table
  reads as the later scorecard version means it; a tier the later version no longer has keeps its
  own rank.

One SQL statement (`_STATES`) groups the rows of both periods by key: a scored row gives its
`tier_rank`, a quarantined row 0, and `max` per side makes a key that is both scored and quarantined
(an aggregating scorecard quarantines single rows of a scored entity) count as scored. A row with a
null key cannot be followed: it is its own entity, absent in the other period. Only the files whose
statistics admit a null key are read for those rows.

DuckDB runs the statement out of core (`tierline.periods.engine`); no row passes through Python.
"""

from __future__ import annotations

import enum
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import duckdb
import pyarrow.parquet as pq

from tierline.errors import InputError, OutputError, UsageError
from tierline.periods.engine import connect, quote_identifier, quote_literal, watched
from tierline.periods.published import PublishedPeriod

__all__ = ["Direction", "Line", "LineKind", "Migration", "EntityFormat", "migrate"]

_QUARANTINED = 0  # the state of a quarantined key; a scored key's state is its tier_rank (≥ 1)


class LineKind(enum.Enum):
    TIER = "tier"
    QUARANTINED = "quarantined"
    NEW = "new"  # a row of the matrix only
    GONE = "gone"  # a column of the matrix only


class Direction(enum.Enum):
    UP = "up"
    DOWN = "down"
    SAME = "same"
    NEW = "new"
    GONE = "gone"
    QUARANTINED = "quarantined"


class EntityFormat(enum.Enum):
    PARQUET = "parquet"
    CSV = "csv"


@dataclass(frozen=True)
class Line:
    """One row or column of the matrix: a tier of its period, or quarantined, new, gone."""

    kind: LineKind
    code: str | None = None  # the tier code (None unless kind is TIER)
    label: str = ""
    rank: int | None = None  # the tier's rank in its own period's table

    @property
    def name(self) -> str:
        """How tables show the line: the tier code, or `(quarantined)`, `(new)`, `(gone)`."""
        return self.code if self.kind is LineKind.TIER else f"({self.kind.value})"

    def to_json(self) -> dict[str, object]:
        return {"kind": self.kind.value, "code": self.code, "label": self.label, "rank": self.rank}


@dataclass(frozen=True)
class Migration:
    """The from × to matrix of two periods; `counts[i][j]` entities went from `rows[i]` to `cols[j]`."""

    before: PublishedPeriod
    after: PublishedPeriod
    rows: tuple[Line, ...]
    cols: tuple[Line, ...]
    counts: tuple[tuple[int, ...], ...]
    directions: dict[Direction, int]  # every Direction, in enum order; they add up to the entities

    @property
    def entities(self) -> int:
        return sum(map(sum, self.counts))

    def direction(self, row: Line, col: Line) -> Direction:
        return _direction(row, col, _later_ranks(self.after))

    def to_json(self) -> dict[str, object]:
        return {
            "from": _period_json(self.before), "to": _period_json(self.after),
            "rows": [line.to_json() for line in self.rows], "cols": [line.to_json() for line in self.cols],
            "counts": [list(row) for row in self.counts],
            "directions": {d.value: n for d, n in self.directions.items()},
            "entities": self.entities,
        }


def migrate(before: PublishedPeriod, after: PublishedPeriod, *, entities_to: Path | None = None,
            entity_format: EntityFormat = EntityFormat.PARQUET,
            con: duckdb.DuckDBPyConnection | None = None) -> Migration:
    """The migration matrix from `before` to `after`; with `entities_to`, also one row per entity there.

    Periods of different scorecards are refused (UsageError, exit 2); versions of one scorecard are
    compared. The entity file is written to a temporary name beside `entities_to` and renamed
    when complete, so a failed diff leaves no half file.
    """
    if before.scorecard_name != after.scorecard_name:
        raise UsageError(f"{before.output_dir}: period {before.period} was graded by {before.describe()} and "
                         f"{after.period} by {after.describe()}: diff compares periods of one scorecard")
    con = con or connect()
    sources = _Sources.of(con, before, after)
    rows, cols = _lines(before, with_new=True), _lines(after, with_new=False)
    if entities_to is None:
        cells = _cell_counts(con, f"SELECT s1, s2 FROM ({sources.states_sql(with_scores=False)})")
        return _migration(before, after, rows, cols, cells)
    if not entities_to.parent.is_dir():
        raise UsageError(f"-o {entities_to}: the directory {entities_to.parent} does not exist")
    temporary = entities_to.with_name(f".{entities_to.name}.tierline-{os.getpid()}.tmp")
    try:
        cells = _write_entities(con, sources, before, after, temporary, entity_format)
        migration = _migration(before, after, rows, cols, cells)  # checked before the file is in place
        os.replace(temporary, entities_to)
    except OSError as error:
        raise OutputError(f"cannot write {entities_to}: {error.strerror or error}") from None
    finally:
        temporary.unlink(missing_ok=True)
    return migration


def _migration(before: PublishedPeriod, after: PublishedPeriod, rows: tuple[Line, ...], cols: tuple[Line, ...],
               cells: dict[tuple[int | None, int | None], int]) -> Migration:
    counts = _matrix(cells, rows, cols, before, after)
    later = _later_ranks(after)
    directions = {d: 0 for d in Direction}
    for i, row in enumerate(rows):
        for j, col in enumerate(cols):
            directions[_direction(row, col, later)] += counts[i][j]
    migration = Migration(before, after, rows, cols, counts, directions)
    _check_one_row_per_key(migration)
    return migration


@dataclass(frozen=True)
class _Source:
    """One period's scored or quarantined files, and how to read them."""

    files: tuple[str, ...]
    side: int  # 1 = before, 2 = after
    scored: bool
    key: str

    def select(self, key_sql: str, scores: Sequence[str], all_scores: Sequence[str], *, keyless: bool) -> str:
        state = "tier_rank::INTEGER" if self.scored else str(_QUARANTINED)
        s1, s2 = (state, "NULL::INTEGER") if self.side == 1 else ("NULL::INTEGER", state)
        values = [f"{key_sql} AS k", f"{s1} AS s1", f"{s2} AS s2"]
        for side in (1, 2):
            for column in all_scores:
                mine = side == self.side and self.scored and column in scores
                values.append(f"{quote_identifier(column) if mine else 'NULL::DOUBLE'} AS {_score_alias(side, column)}")
        where = "IS NULL" if keyless else "IS NOT NULL"
        listed = ", ".join(quote_literal(f) for f in self.files)
        return (f"SELECT {', '.join(values)} FROM read_parquet([{listed}], union_by_name = true) "
                f"WHERE {quote_identifier(self.key)} {where}")

    def may_hold_null_keys(self) -> bool:
        """False when every file's statistics say its key column has no null (the usual case)."""
        for path in self.files:
            metadata = pq.ParquetFile(path).metadata
            names = metadata.schema.names
            if self.key not in names:
                return True  # read it, and let the query name the missing column
            column = names.index(self.key)
            for group in range(metadata.num_row_groups):
                statistics = metadata.row_group(group).column(column).statistics
                if statistics is None or not statistics.has_null_count or statistics.null_count:
                    return True
        return False


@dataclass(frozen=True)
class _Sources:
    """The four sources of a diff and the SQL that gives every entity's states (`_STATES`)."""

    sources: tuple[_Source, ...]
    key: str
    key_sql: str  # the key, cast to text when the periods' key columns differ in type
    scores: dict[int, tuple[str, ...]]  # per side, the score columns its scored files hold
    all_scores: tuple[str, ...]

    @staticmethod
    def of(con: duckdb.DuckDBPyConnection, before: PublishedPeriod, after: PublishedPeriod) -> "_Sources":
        if before.key != after.key:
            raise UsageError(f"{before.output_dir}: the key is {before.key!r} in {before.period} and {after.key!r} "
                             f"in {after.period}: entities cannot be followed across a change of key")
        key = after.key
        sources = tuple(_Source(files, side, scored, key)
                        for side, period in ((1, before), (2, after))
                        for scored, files in ((True, period.scored_files), (False, period.quarantine_files)) if files)
        types = {_column_type(con, source, key) for source in sources}
        key_sql = quote_identifier(key) if len(types) <= 1 else f"CAST({quote_identifier(key)} AS VARCHAR)"
        scores = {side: _score_columns(period, [s for s in sources if s.side == side and s.scored])
                  for side, period in ((1, before), (2, after))}
        all_scores = tuple(dict.fromkeys(scores[1] + scores[2]))
        return _Sources(sources, key, key_sql, scores, all_scores)

    def states_sql(self, *, with_scores: bool) -> str:
        """Every entity once, with `s1`, `s2` (its state in each period, NULL = absent) and, with
        `with_scores`, its score columns in each period (`sc1_<col>`, `sc2_<col>`)."""
        all_scores = self.all_scores if with_scores else ()
        keyed = " UNION ALL ".join(s.select(self.key_sql, self.scores[s.side], all_scores, keyless=False)
                                   for s in self.sources) or _EMPTY
        score_values = "".join(f", max({_score_alias(side, c)}) AS {_score_alias(side, c)}"
                               for side in (1, 2) for c in all_scores)
        states = f"SELECT k, max(s1) AS s1, max(s2) AS s2{score_values} FROM ({keyed}) GROUP BY k"
        keyless = [s.select(self.key_sql, self.scores[s.side], all_scores, keyless=True)
                   for s in self.sources if s.may_hold_null_keys()]
        return " UNION ALL ".join([states, *keyless])


_EMPTY = "SELECT NULL AS k, NULL::INTEGER AS s1, NULL::INTEGER AS s2 WHERE false"


def _score_alias(side: int, column: str) -> str:
    return quote_identifier(f"sc{side}_{column}")


def _column_type(con: duckdb.DuckDBPyConnection, source: _Source, column: str) -> str:
    """The column's type as DuckDB reads the source, or InputError naming the file without it."""
    for path in source.files:
        if column not in pq.ParquetFile(path).schema_arrow.names:
            raise InputError(f"{path}: no column {column!r}, the key the manifest names")
    listed = ", ".join(quote_literal(f) for f in source.files)
    described = con.execute(f"DESCRIBE SELECT {quote_identifier(column)} FROM read_parquet([{listed}], "
                           "union_by_name = true)").fetchall()
    return str(described[0][1])


def _score_columns(period: PublishedPeriod, scored: Sequence[_Source]) -> tuple[str, ...]:
    """The manifest's score columns that every scored file of the period holds."""
    wanted = [score["column"] for score in period.grading.get("scores", [])]
    for source in scored:
        for path in source.files:
            names = set(pq.ParquetFile(path).schema_arrow.names)
            wanted = [c for c in wanted if c in names]
    return tuple(wanted)


def _lines(period: PublishedPeriod, *, with_new: bool) -> tuple[Line, ...]:
    tiers = tuple(Line(LineKind.TIER, t.code, t.label, t.rank) for t in period.tiers)
    last = Line(LineKind.NEW, label="new") if with_new else Line(LineKind.GONE, label="gone")
    return (*tiers, Line(LineKind.QUARANTINED, label="quarantined"), last)


def _cell_counts(con: duckdb.DuckDBPyConnection, states: str) -> dict[tuple[int | None, int | None], int]:
    try:
        with watched(con, "diff: joining the periods by key"):
            found = con.execute(f"SELECT s1, s2, count(*) FROM ({states}) GROUP BY ALL").fetchall()
    except duckdb.Error as error:
        raise InputError(f"reading the periods failed: {_one_line(error)}") from None
    return {(s1, s2): int(n) for s1, s2, n in found}


def _write_entities(con: duckdb.DuckDBPyConnection, sources: _Sources, before: PublishedPeriod,
                    after: PublishedPeriod, path: Path, entity_format: EntityFormat) -> dict[tuple[int | None, int | None], int]:
    """Writes one row per entity to `path`, and returns the cell counts read back from it."""
    options = "FORMAT parquet, COMPRESSION zstd" if entity_format is EntityFormat.PARQUET else "FORMAT csv, HEADER true"
    try:
        with watched(con, "diff: writing one row per entity"):
            con.execute(f"COPY ({_entity_sql(sources, before, after)}) TO {quote_literal(str(path))} ({options})")
    except duckdb.IOException as error:
        raise OutputError(f"cannot write {path}: {_one_line(error)}") from None
    except duckdb.Error as error:
        raise InputError(f"reading the periods failed: {_one_line(error)}") from None
    return _cell_counts(con, _entity_states_sql(path, entity_format))


def _entity_sql(sources: _Sources, before: PublishedPeriod, after: PublishedPeriod) -> str:
    """One row per entity: the key, each period's state, tier, rank and scores, and the direction."""
    def side(n: int, name: str, period: PublishedPeriod) -> list[str]:
        state = f"CASE WHEN s{n} IS NULL THEN 'absent' WHEN s{n} = 0 THEN 'quarantined' ELSE 'scored' END"
        codes = " ".join(f"WHEN {t.rank} THEN {quote_literal(t.code)}" for t in period.tiers)
        return [f"{state} AS {name}_state", f"CASE s{n} {codes} END AS {name}_tier",
                f"(CASE WHEN s{n} > 0 THEN s{n} END)::SMALLINT AS {name}_rank",
                *(f"{_score_alias(n, c)} AS {quote_identifier(f'{name}_{c}')}" for c in sources.all_scores)]

    later = _later_ranks(after)
    by_tier = " ".join(
        f"WHEN s1 = {t.rank} THEN CASE WHEN s2 = {later.get(t.code, -1)} THEN 'same' "
        f"WHEN s2 < {later.get(t.code, t.rank)} THEN 'up' ELSE 'down' END" for t in before.tiers)
    direction = (f"CASE WHEN s1 IS NULL THEN 'new' WHEN s2 IS NULL THEN 'gone' "
                 f"WHEN s1 = {_QUARANTINED} OR s2 = {_QUARANTINED} THEN 'quarantined' {by_tier} END")
    return (f"SELECT k AS {quote_identifier(sources.key)}, "
            f"{', '.join(side(1, 'from', before) + side(2, 'to', after))}, {direction} AS direction "
            f"FROM ({sources.states_sql(with_scores=True)})")


def _entity_states_sql(path: Path, entity_format: EntityFormat) -> str:
    """The states back from a written entity file (NULL absent, 0 quarantined, else the rank)."""
    reader = "read_parquet" if entity_format is EntityFormat.PARQUET else "read_csv_auto"
    states = [f"CASE {name}_state WHEN 'absent' THEN NULL WHEN 'quarantined' THEN {_QUARANTINED} "
              f"ELSE {name}_rank END AS {alias}" for name, alias in (("from", "s1"), ("to", "s2"))]
    return f"SELECT {', '.join(states)} FROM {reader}({quote_literal(str(path))})"


def _matrix(cells: dict[tuple[int | None, int | None], int], rows: Sequence[Line], cols: Sequence[Line],
            before: PublishedPeriod, after: PublishedPeriod) -> tuple[tuple[int, ...], ...]:
    def index(state: int | None, lines: Sequence[Line], period: PublishedPeriod) -> int:
        if state is None:
            return len(lines) - 1  # new / gone
        if state == _QUARANTINED:
            return len(lines) - 2
        for i, line in enumerate(lines):
            if line.rank == state:
                return i
        raise InputError(f"{period.data_dir}: rows with tier_rank {state}, which the manifest's tier table "
                         f"({', '.join(f'{t.rank}={t.code}' for t in period.tiers)}) does not have")

    counts = [[0] * len(cols) for _ in rows]
    for (s1, s2), n in cells.items():
        counts[index(s1, rows, before)][index(s2, cols, after)] += n
    return tuple(tuple(row) for row in counts)


def _later_ranks(after: PublishedPeriod) -> dict[str, int]:
    return {tier.code: tier.rank for tier in after.tiers}


def _direction(row: Line, col: Line, later_ranks: dict[str, int]) -> Direction:
    if row.kind is LineKind.NEW:
        return Direction.NEW
    if col.kind is LineKind.GONE:
        return Direction.GONE
    if LineKind.QUARANTINED in (row.kind, col.kind):
        return Direction.QUARANTINED
    assert row.code is not None and col.code is not None and col.rank is not None and row.rank is not None
    if row.code == col.code:
        return Direction.SAME
    before_rank = later_ranks.get(row.code, row.rank)
    return Direction.UP if col.rank < before_rank else Direction.DOWN


def _check_one_row_per_key(migration: Migration) -> None:
    """The matrix counts keys; a period whose manifest counts more scored rows than the matrix has
    scored keys scored a key twice (a run with `--validation off` does not check `unique`)."""
    for period, lines, sums in ((migration.before, migration.rows, [sum(r) for r in migration.counts]),
                                (migration.after, migration.cols, [sum(c) for c in zip(*migration.counts)])):
        keys = sum(n for line, n in zip(lines, sums) if line.kind is LineKind.TIER)
        scored = int(period.manifest["counts"]["scored"])
        if keys != scored:
            raise InputError(f"{period.data_dir}: {scored:,} rows were scored but they hold {keys:,} keys: diff "
                             f"follows one row per {period.key!r} (was the period run with --validation off?)")


def _period_json(period: PublishedPeriod) -> dict[str, object]:
    return {"period": period.period, "scorecard": period.scorecard_name, "version": period.scorecard_version,
            "sha256": period.scorecard_sha256, "run_id": period.manifest.get("run_id"),
            "tiers": [{"code": t.code, "label": t.label, "rank": t.rank} for t in period.tiers]}


def _one_line(error: Exception) -> str:
    return " ".join(str(error).split())

