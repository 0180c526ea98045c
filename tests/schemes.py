"""Grading hand-written rows through a shipped scorecard, for the scheme tests (tests/test_scheme_*.py).

`grade("loan_five_class", rows, tmp_path)` writes `rows` (dicts of register columns) as a Parquet
register typed from the scorecard's inputs, runs the real `tierline run` on it in this process,
and returns every output row by key: scored rows carry `tier` (from the Hive path) and every output
column; quarantined rows carry `tier = None` and their `errors`. It also checks that the input row
count equals scored + quarantined, and, for scorecards without `aggregate`, that the plain-Python
oracle (`tests/oracle.py`) gives each row the same tier.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping, Sequence

import pyarrow as pa
import pyarrow.parquet as pq

from oracle import evaluate_register
from pipeline.cli import main
from schemas.load import load_scorecard

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


def grade(scheme: str, rows: Sequence[Mapping[str, Any]], tmp_path: Path, *, oracle: bool = True,
          extra: Sequence[str] = ()) -> dict[Any, dict[str, Any]]:
    """Run `scorecards/<scheme>.yaml` over `rows`; every output row by key (see the module doc)."""
    scorecard = load_scorecard(scorecard_path(scheme))
    source = tmp_path / "register"
    source.mkdir(parents=True, exist_ok=True)
    pq.write_table(register(scheme, rows), source / "part-000.parquet")
    output = tmp_path / "out"
    code = main(["run", str(scorecard_path(scheme)), "--input", str(source), "--output", str(output),
                 "--period", "test", "--max-invalid-fraction", "1", "--quiet", *extra])
    assert code == 0, f"tierline run exited {code}"

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


def tiers(scheme: str, rows: Sequence[Mapping[str, Any]], tmp_path: Path) -> list[str | None]:
    """The tier of each row, in order (None: quarantined)."""
    graded = grade(scheme, rows, tmp_path)
    key = load_scorecard(scorecard_path(scheme)).key
    return [graded[row[key]]["tier"] for row in rows]
