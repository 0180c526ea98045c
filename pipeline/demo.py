"""`tierline demo`: a synthetic register for a shipped scorecard, scored end to end.

The generators are vectorised NumPy (a million rows take a second) and seeded, so a demo is
repeatable. A few percent of rows are deliberately bad, to show the quarantine.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Callable

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from rich.console import Console

from schemas.errors import UsageError

SCORECARDS_DIR = Path(__file__).resolve().parent.parent / "scorecards"
DEFAULT_SCORECARD = "equipment_abc"


def _ids(prefix: str, n: int) -> pa.Array:
    numbers = pa.array(np.arange(1, n + 1)).cast(pa.string())
    padded = pa.compute.utf8_lpad(numbers, width=8, padding="0")
    return pa.compute.binary_join_element_wise(pa.scalar(prefix), padded, "")


def _with_nulls(values: np.ndarray, rng: np.random.Generator, fraction: float) -> pa.Array:
    mask = rng.random(len(values)) < fraction
    return pa.array(values, mask=mask)


def equipment_abc(n: int, rng: np.random.Generator) -> pa.Table:
    impact = rng.choice(np.array(["shutdown", "ordinary", "auxiliary", "unknown"]), size=n, p=[0.2, 0.5, 0.29, 0.01])
    value = np.round(rng.lognormal(mean=3.5, sigma=1.0, size=n), 2)
    utilisation = np.round(rng.beta(5, 2, size=n) * 100, 1)
    other = np.round(rng.triangular(0, 25, 45, size=n), 1)
    return pa.table({
        "equipment_id": _ids("EQ", n),
        "production_impact": pa.array(impact),
        "original_value_10k": _with_nulls(value, rng, 0.01),
        "utilisation_pct": _with_nulls(utilisation, rng, 0.05),
        "has_backup": pa.array(rng.random(n) < 0.6),
        "direct_designation": pa.array(rng.random(n) < 0.02),
        "other_items_points": other,
        "plant": pa.array(rng.choice(np.array(["north", "south", "east", "west"]), size=n)),
    })


GENERATORS: dict[str, Callable[[int, np.random.Generator], pa.Table]] = {"equipment_abc": equipment_abc}


def generate(scorecard_id: str, rows: int, path: Path, files: int = 2, seed: int = 20261121) -> list[Path]:
    """Write a register of `rows` rows for `scorecard_id` as `files` Parquet files under `path`."""
    if scorecard_id not in GENERATORS:
        raise UsageError(f"no generator for scorecard {scorecard_id!r}; available: {', '.join(sorted(GENERATORS))}")
    table = GENERATORS[scorecard_id](rows, np.random.default_rng(seed))
    path.mkdir(parents=True, exist_ok=True)
    written = []
    per_file = -(-rows // files)
    for index in range(files):
        piece = table.slice(index * per_file, per_file)
        if piece.num_rows:
            target = path / f"part-{index:03d}.parquet"
            pq.write_table(piece, target, row_group_size=250_000, compression="zstd")
            written.append(target)
    return written


def demo(scorecard_id: str | None, rows: int, directory: str | None, console: Console | None = None) -> int:
    from pipeline.report import print_summary
    from pipeline.run import RunOptions, run

    console = console or Console()
    scorecard_id = scorecard_id or DEFAULT_SCORECARD
    scorecard = SCORECARDS_DIR / f"{scorecard_id}.yaml"
    if not scorecard.is_file():
        raise UsageError(f"no shipped scorecard {scorecard_id!r} in {SCORECARDS_DIR}")
    if rows < 1:
        raise UsageError("--rows must be at least 1")
    base = Path(directory) if directory else Path(tempfile.mkdtemp(prefix="tierline-demo-"))
    register = base / "register"
    output = base / "out"
    generate(scorecard_id, rows, register)
    console.print(f"register: {rows:,} rows of synthetic {scorecard_id} data in {register}")
    summary = run(RunOptions(scorecard=str(scorecard), inputs=[str(register)], output=str(output),
                             period="demo", max_invalid_fraction=0.10))
    print_summary(summary, console)
    glob = output / "period=*" / "tier=*" / "*.parquet"
    console.print("\nTry it in DuckDB:")
    console.print(f"  SELECT tier, count(*) AS n, round(avg(score), 1) AS avg_score\n"
                  f"  FROM read_parquet('{glob}', hive_partitioning = true)\n"
                  f"  GROUP BY tier ORDER BY min(tier_rank);", markup=False, highlight=False, soft_wrap=True)
    return 0
