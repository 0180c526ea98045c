"""Grading hand-written rows through a shipped scorecard, for the scheme tests (tests/functional/schemes/test_*.py).

`grade("loan_five_class", rows, tmp_path)` writes `rows` (dicts of register columns) as a Parquet
register typed from the scorecard's inputs, runs the real `tierline run` on it in this process,
and returns every output row by key: scored rows carry `tier` (from the Hive path) and every output
column; quarantined rows carry `tier = None` and their `errors`. It also checks that the input row
count equals scored + quarantined, and, for scorecards without `aggregate`, that the plain-Python
oracle (`tests/oracle.py`) gives each row the same tier.

`run_generated("arrears", tmp_path)` runs the scheme's synthetic register generator
(`tierline.tools.generators`) through `tierline run` under the default 5% invalid limit and returns the
register, the scored rows and the quarantine, having checked what every scheme's generated run
must show: exit code 0, nothing lost, unique keys, and some but fewer than 5% of rows quarantined.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from oracle_register import evaluate_register
from registers import write_register
from tierline.cli import main
from tierline.tools.generators import generator
from tierline.scorecard.load import load_scorecard

ROOT = Path(__file__).resolve().parent.parent
SCORECARDS = ROOT / "scorecards"

_ARROW = {"string": pa.string(), "category": pa.string(), "int": pa.int64(), "float": pa.float64(),
          "bool": pa.bool_(), "date": pa.date32(), "timestamp": pa.timestamp("us")}


def scorecard_path(scheme: str) -> Path:
    return SCORECARDS / f"{scheme}.yaml"


def register(scheme: str, rows: Sequence[Mapping[str, Any]]) -> pa.Table:
    """`rows` as a table; declared inputs get their declared type, other columns are inferred."""
    scorecard = load_scorecard(scorecard_path(scheme))
    names = list(dict.fromkeys(name for row in rows for name in row))
    columns = {}
    for name in names:
        values = [row.get(name) for row in rows]
        declared = name in scorecard.input_names
        if declared and scorecard.input(name).type == "category" and not all(isinstance(v, str) or v is None for v in values):
            columns[name] = pa.array(values)
        else:
            columns[name] = pa.array(values, type=_ARROW[scorecard.input(name).type] if declared else None)
    return pa.table(columns)


def _run(scheme: str, table: pa.Table, root: Path, period: str, *options: str) -> Path:
    """Write `table` as the register `root/register`, `tierline run` it into `root/out`; the output."""
    source, output = root / "register", root / "out"
    source.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, source / "part-000.parquet")
    code = main(["run", str(scorecard_path(scheme)), "--input", str(source), "--output", str(output),
                 "--period", period, "--quiet", *options])
    assert code == 0, f"tierline run exited {code}"
    return output


def grade(scheme: str, rows: Sequence[Mapping[str, Any]], tmp_path: Path, *, oracle: bool = True,
          extra: Sequence[str] = ()) -> dict[Any, dict[str, Any]]:
    """Run `scorecards/<scheme>.yaml` over `rows`; every output row by key (see the module doc)."""
    scorecard = load_scorecard(scorecard_path(scheme))
    output = _run(scheme, register(scheme, rows), tmp_path, "test", "--max-invalid-fraction", "1", *extra)
    graded: dict[Any, dict[str, Any]] = {}
    for path in sorted((output / "period=test").glob("tier=*/*.parquet")):
        tier = path.parent.name.removeprefix("tier=")
        for row in pq.read_table(path).to_pylist():
            graded[row[scorecard.key]] = {**row, "tier": tier, "errors": []}
    for path in sorted((output / "_quarantine" / "period=test").glob("*.parquet")):
        for row in pq.read_table(path).to_pylist():
            graded[row[scorecard.key]] = {**row, "tier": None}
    if getattr(scorecard, "aggregate", None) is None:
        assert len(graded) == len(rows), "input rows != scored + quarantined (or keys are not unique)"
        if oracle:
            for row, expected in zip(rows, evaluate_register(scorecard, list(rows))):
                got = graded[row[scorecard.key]]
                if not expected.errors and got["tier"] is not None:
                    assert got["tier"] == expected.tier, f"{row}: kernels {got['tier']}, oracle {expected.tier}"
    return graded


def grade_panels(scheme: str, rows: Sequence[Mapping[str, Any]], root: Path) -> tuple[pa.Table, list[dict[str, Any]]]:
    """An aggregating scheme's rows (one per rater or reviewer) through `tierline run` over two files
    and partitions of five rows, so that panels span files and partitions: the scored entities (with
    `tier` from the path) and the quarantined rows."""
    write_register(register(scheme, rows), root / "register", files=2, row_group_size=4)
    output = root / "out"
    assert main(["run", str(scorecard_path(scheme)), "--input", str(root / "register"), "--output", str(output),
                 "--period", "t", "--max-invalid-fraction", "1", "--partition-rows", "5", "--quiet"]) == 0
    return (pq.read_table(output / "period=t", partitioning="hive"),
            pq.read_table(output / "_quarantine" / "period=t").to_pylist())


def tiers(scheme: str, rows: Sequence[Mapping[str, Any]], tmp_path: Path) -> list[str | None]:
    """The tier of each row, in order (None: quarantined)."""
    graded = grade(scheme, rows, tmp_path)
    key = load_scorecard(scorecard_path(scheme)).key
    return [graded[row[key]]["tier"] for row in rows]


def run_generated(scheme: str, tmp_path: Path, rows: int = 4000, seed: int = 7, *,
                  extra: Sequence[str] = ()) -> tuple[pa.Table, pa.Table, pa.Table]:
    """`rows` generated register rows (`default_rng(seed)`) through `tierline run`, default limits.

    Returns (register, scored, quarantined); `scored` has `tier` from the Hive path as plain
    strings. Checks exit code 0 (under the default 5% invalid limit), that nothing is lost, that
    keys are unique and that 0 < quarantined rows < 5% of the register. For a scorecard with
    `aggregate`, a scored row is an entity: its `rows` column counts the register rows it took, and
    the key is unique per entity, not per register row.
    """
    scorecard = load_scorecard(scorecard_path(scheme))
    table = generator(scheme)(rows, np.random.default_rng(seed))
    output = _run(scheme, table, tmp_path, "gen", *extra)  # no --max-invalid-fraction: the default 5%
    tier = ds.partitioning(pa.schema([("tier", pa.string())]), flavor="hive")
    scored = ds.dataset(output / "period=gen", partitioning=tier).to_table()
    quarantined = pq.read_table(output / "_quarantine" / "period=gen")

    key = scorecard.key
    register_keys, scored_keys = table.column(key).to_pylist(), scored.column(key).to_pylist()
    quarantined_keys = quarantined.column(key).to_pylist()
    if getattr(scorecard, "aggregate", None) is None:
        assert len(set(register_keys)) == table.num_rows, "the register's keys are not unique"
        assert scored.num_rows + quarantined.num_rows == table.num_rows, "input rows != scored + quarantined"
        output_keys = scored_keys + quarantined_keys
    else:
        assert sum(scored.column("rows").to_pylist()) + quarantined.num_rows == table.num_rows, \
            "input rows != rows of the scored entities + quarantined"
        output_keys = scored_keys  # one row per entity; an entity's bad rows may be quarantined
    assert len(set(output_keys)) == len(output_keys), "a key is output twice"
    assert set(scored_keys) | set(quarantined_keys) == set(register_keys), "a key is lost or made up"
    assert 0 < quarantined.num_rows < 0.05 * table.num_rows
    return table, scored, quarantined
