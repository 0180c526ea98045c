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

One scan of both periods' files feeds one GROUP BY on the key (`_Sources.states_sql`): a scored row
gives its `tier_rank` for its period, a quarantined row 0, and `max` per period makes a key that is
both scored and quarantined (an aggregating scorecard quarantines single rows of a scored entity)
count as scored. A row with a null key cannot be followed: it is its own entity, absent in the
other period. Only the files whose statistics admit a null key are read again for those rows.

DuckDB runs the statement out of core (`tierline.periods.engine`); no row passes through Python.
"""

from __future__ import annotations

import enum
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from tierline.errors import InputError, OutputError, UsageError
from tierline.periods.engine import INTEGER_TYPES, connect, quote_identifier, quote_literal, watched
from tierline.periods.published import PublishedPeriod
from tierline.periods.written import check_target, written_whole

__all__ = ["Direction", "Line", "LineKind", "Migration", "EntityFormat", "migrate"]

_QUARANTINED = 0  # the state of a quarantined key; a scored key's state is its tier_rank (≥ 1)
# The scan's column of each row's file: not `filename`, which a register may pass through.
_FILE_NAME = "tierline:file"
_FILE = quote_identifier(_FILE_NAME)


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

    @staticmethod
    def by_name(path: str | os.PathLike[str]) -> "EntityFormat":
        """CSV for a `.csv` file, Parquet for any other name."""
        return EntityFormat.CSV if str(path).lower().endswith(".csv") else EntityFormat.PARQUET


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
    with written_whole(check_target(entities_to)) as temporary:
        cells = _write_entities(con, sources, before, after, temporary, entity_format)
        return _migration(before, after, rows, cols, cells)  # checked before the file is in place


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
class _Side:
    """One period as the single scan of both periods sees it: the folders its files are in."""

    number: int  # 1 = before, 2 = after
    scored_dir: str | None  # a prefix of the scan's _FILE column, ending in "/"; None: no scored file
    quarantine_dir: str | None  # likewise
    scores: tuple[str, ...]  # the score columns every scored file of the period holds

    @staticmethod
    def of(number: int, period: PublishedPeriod, facts: dict[str, _FileFacts]) -> "_Side":
        scored = str(period.data_dir) + "/" if period.scored_files else None
        quarantine = os.path.dirname(period.quarantine_files[0]) + "/" if period.quarantine_files else None
        wanted = [score["column"] for score in period.grading.get("scores", [])] if period.scored_files else []
        scores = tuple(c for c in wanted if all(c in facts[f].columns for f in period.scored_files))
        return _Side(number, scored, quarantine, scores)

    def state_sql(self) -> str:
        """The row's state in this period: its tier_rank when it is one of the period's scored rows,
        0 when quarantined, NULL when the row belongs to the other period. A side without scored
        files does not name `tier_rank`, which a scan of quarantined rows alone does not have."""
        whens = [f"WHEN starts_with({_FILE}, {quote_literal(folder)}) THEN {value}"
                 for folder, value in ((self.scored_dir, "tier_rank::INTEGER"), (self.quarantine_dir, _QUARANTINED))
                 if folder is not None]
        return f"CASE {' '.join(whens)} END" if whens else "NULL::INTEGER"

    def score_sql(self, column: str) -> str:
        if column not in self.scores or self.scored_dir is None:
            return "NULL::DOUBLE"
        return f"CASE WHEN starts_with({_FILE}, {quote_literal(self.scored_dir)}) THEN {quote_identifier(column)} END"


@dataclass(frozen=True)
class _FileFacts:
    columns: frozenset[str]
    key_may_be_null: bool  # False when the file's statistics say its key column has no null


def _file_facts(path: str, key: str) -> _FileFacts:
    try:
        metadata = pq.read_metadata(path)
    except (OSError, pa.ArrowException) as error:
        raise InputError(f"{path}: cannot read the Parquet file: {error}") from None
    names = metadata.schema.names
    if key not in names:
        raise InputError(f"{path}: no column {key!r}, the key the manifest names")
    column = names.index(key)
    may_be_null = False
    for group in range(metadata.num_row_groups):
        statistics = metadata.row_group(group).column(column).statistics
        if statistics is None or not statistics.has_null_count or statistics.null_count:
            may_be_null = True
            break
    return _FileFacts(frozenset(names), may_be_null)


@dataclass(frozen=True)
class _Sources:
    """Both periods' files, read in one scan, and the SQL that gives every entity's states.

    One `read_parquet` over every file (each row's period and state come from its file's folder)
    feeds one GROUP BY. The key is grouped as a number: an integer key as itself, any other key by
    its 128-bit `md5_number`. DuckDB cannot spill the text of a text-keyed aggregate, and four
    scans feeding one aggregate at once outgrew its memory limit before it began to spill; both ran
    out of memory on 100M-row periods (benchmarks/README.md). Two different keys share an md5 with
    a chance of about 10⁻²² at 2·10⁸ keys; within one period `_check_one_row_per_key` would catch it.
    """

    files: tuple[str, ...]
    keyless_files: tuple[str, ...]  # the files whose key column may hold nulls
    key: str
    numeric_key: bool
    sides: tuple[_Side, _Side]
    all_scores: tuple[str, ...]

    @staticmethod
    def of(con: duckdb.DuckDBPyConnection, before: PublishedPeriod, after: PublishedPeriod) -> "_Sources":
        if before.key != after.key:
            raise UsageError(f"{before.output_dir}: the key is {before.key!r} in {before.period} and {after.key!r} "
                             f"in {after.period}: entities cannot be followed across a change of key")
        key = after.key
        files = tuple(dict.fromkeys(f for period in (before, after)
                                    for f in (*period.scored_files, *period.quarantine_files)))
        facts = {f: _file_facts(f, key) for f in files}
        sides = (_Side.of(1, before, facts), _Side.of(2, after, facts))
        numeric = bool(files) and _column_type(con, files, key) in INTEGER_TYPES
        all_scores = tuple(dict.fromkeys(sides[0].scores + sides[1].scores))
        return _Sources(files, tuple(f for f in files if facts[f].key_may_be_null), key, numeric, sides, all_scores)

    def _scan(self, files: Sequence[str], *, keyless: bool, with_scores: bool, group: bool) -> str:
        key = quote_identifier(self.key)
        values = [f"{key} AS k", *(f"{side.state_sql()} AS s{side.number}" for side in self.sides)]
        if group:
            values.append(f"{key if self.numeric_key else f'md5_number(CAST({key} AS VARCHAR))'} AS g")
        if with_scores:
            values.extend(f"{side.score_sql(c)} AS {_score_alias(side.number, c)}"
                          for side in self.sides for c in self.all_scores)
        listed = ", ".join(quote_literal(f) for f in files)
        return (f"SELECT {', '.join(values)} FROM read_parquet([{listed}], union_by_name = true, filename = {quote_literal(_FILE_NAME)}, "
                f"hive_partitioning = false) WHERE {key} IS {'' if keyless else 'NOT '}NULL")

    def states_sql(self, *, with_scores: bool) -> str:
        """Every entity once, with `s1`, `s2` (its state in each period, NULL = absent) and, with
        `with_scores`, its key `k` and score columns in each period (`sc1_<col>`, `sc2_<col>`)."""
        if not self.files:
            return "SELECT NULL AS k, NULL::INTEGER AS s1, NULL::INTEGER AS s2 WHERE false"
        scores = self.all_scores if with_scores else ()
        score_values = "".join(f", max({_score_alias(n, c)}) AS {_score_alias(n, c)}" for n in (1, 2) for c in scores)
        key_value = "any_value(k) AS k" if with_scores else "NULL AS k"
        keyed = self._scan(self.files, keyless=False, with_scores=with_scores, group=True)
        states = f"SELECT {key_value}, max(s1) AS s1, max(s2) AS s2{score_values} FROM ({keyed}) GROUP BY g"
        if not self.keyless_files:
            return states
        keyless = self._scan(self.keyless_files, keyless=True, with_scores=with_scores, group=False)
        return f"{states} UNION ALL BY NAME {keyless}"


def _score_alias(side: int, column: str) -> str:
    return quote_identifier(f"sc{side}_{column}")


def _column_type(con: duckdb.DuckDBPyConnection, files: Sequence[str], column: str) -> str:
    """The column's type as one scan of `files` reads it (text when the files disagree)."""
    listed = ", ".join(quote_literal(f) for f in files)
    described = con.execute(f"DESCRIBE SELECT {quote_identifier(column)} FROM read_parquet([{listed}], "
                            "union_by_name = true, hive_partitioning = false)").fetchall()
    return str(described[0][1]).upper()


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

