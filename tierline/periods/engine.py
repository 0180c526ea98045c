"""The SQL engine behind `tierline diff` and `tierline report`: DuckDB over the published Parquet.

DuckDB rather than Polars: with `memory_limit` set, its aggregations spill to a temporary
directory instead of growing, so diffing two 100M-row periods stays within 1.4 GiB on a 2-core
machine (benchmarks/README.md has the figures, and the query shape this needs: migration.py), and
the histograms and counts of a report are one query each over only the columns they need (Polars
was not measured for this). No row passes through Python.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
import threading
from typing import Iterator, Sequence

import duckdb

from tierline.periods.published import PublishedPeriod

__all__ = ["INTEGER_TYPES", "is_numeric_type", "connect", "watched", "scored_rows_sql", "quarantine_rows_sql", "quote_identifier", "quote_literal"]

INTEGER_TYPES = frozenset({"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT",
                           "UINTEGER", "UBIGINT", "UHUGEINT"})


def is_numeric_type(duckdb_type: str | None) -> bool:
    """Whether a DuckDB column type (as DESCRIBE names it) holds numbers."""
    name = (duckdb_type or "").upper()
    return name in INTEGER_TYPES or name in ("FLOAT", "DOUBLE", "REAL") or name.startswith("DECIMAL(")


DEFAULT_MEMORY_LIMIT = "1GB"  # DuckDB's own accounting; the process peaks at 1.4 GiB at 100M rows (benchmarks/)


def connect(memory_limit: str = DEFAULT_MEMORY_LIMIT, threads: int | None = None,
            spill_dir: str | None = None) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection that spills to `spill_dir` (default: the system temp dir)."""
    con = duckdb.connect(":memory:")
    con.execute(f"SET memory_limit = {quote_literal(memory_limit)}")
    con.execute(f"SET threads = {int(threads or os.cpu_count() or 1)}")
    con.execute(f"SET temp_directory = {quote_literal(spill_dir or tempfile.gettempdir())}")
    con.execute("SET preserve_insertion_order = false")  # lets joins and COPY stream
    con.execute("SET enable_progress_bar = false")
    return con


_watching = threading.Event()


@contextlib.contextmanager
def watched(con: duckdb.DuckDBPyConnection, what: str) -> Iterator[None]:
    """On a terminal, a bar on stderr following DuckDB's own progress of the queries run inside;
    nothing elsewhere (stdout may carry JSON or CSV, and these queries take seconds to a minute)."""
    if not sys.stderr.isatty() or _watching.is_set():  # one bar at a time: the outermost shows
        yield
        return
    _watching.set()
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    done = threading.Event()
    with Progress(TextColumn(what), BarColumn(), TextColumn("{task.percentage:>3.0f} %"), TimeElapsedColumn(),
                  console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(what, total=100)

        def follow() -> None:
            while not done.wait(0.2):
                percent = con.query_progress()  # -1 between queries
                if percent >= 0:
                    bar.update(task, completed=percent)

        follower = threading.Thread(target=follow, daemon=True)
        follower.start()
        try:
            yield
        finally:
            done.set()
            follower.join()
            _watching.clear()


def scored_rows_sql(period: PublishedPeriod) -> str:
    """A FROM-able SQL text for the period's scored rows, with `tier` and `period` (text) from the path.

    A period without scored rows gives no files; the caller checks `period.scored_files` first.
    """
    return _parquet(period.scored_files, hive=True)


def quarantine_rows_sql(period: PublishedPeriod) -> str:
    """A FROM-able SQL text for the period's quarantined rows (caller checks `quarantine_files`)."""
    return _parquet(period.quarantine_files, hive=False)


def _parquet(files: Sequence[str], *, hive: bool) -> str:
    if not files:
        raise ValueError("no files: the caller handles an empty period")
    listed = ", ".join(quote_literal(f) for f in files)
    options = ", hive_partitioning = true, hive_types = {'tier': VARCHAR, 'period': VARCHAR}" if hive else ", hive_partitioning = false"
    return f"read_parquet([{listed}], union_by_name = true{options})"


def quote_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def quote_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
