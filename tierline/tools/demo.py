"""`tierline demo`: a synthetic register for a shipped scorecard, scored end to end.

The generators are vectorised NumPy (a million rows take a second) and seeded, so a demo is
repeatable; `--seed` draws another register with the same keys (the next period of the same
book). A few percent of rows are deliberately bad, to show the quarantine.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
from rich.console import Console

from tierline.tools import generators
from tierline.errors import UsageError
from tierline.scorecard.load import load_scorecard
from tierline.scorecard.model import Scorecard

SCORECARDS_DIR = Path(__file__).resolve().parent.parent / "scorecards"
DEFAULT_SCORECARD = "equipment_abc"
DEFAULT_SEED = 20261121


def generate(scorecard_id: str, rows: int, path: Path, files: int = 2, seed: int | None = None) -> list[Path]:
    """Write a register of `rows` rows for `scorecard_id` as `files` Parquet files under `path`."""
    make = generators.generator(scorecard_id)
    if make is None:
        raise UsageError(f"no generator for scorecard {scorecard_id!r}; available: {', '.join(generators.available())}")
    table = make(rows, np.random.default_rng(DEFAULT_SEED if seed is None else seed))
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


def demo(scorecard_id: str | None, rows: int, directory: str | None, console: Console | None = None,
         seed: int = DEFAULT_SEED) -> int:
    from tierline.tools.summary import print_summary
    from tierline.pipeline.run import RunOptions, run

    console = console or Console()
    scorecard_id = scorecard_id or DEFAULT_SCORECARD
    shipped = sorted(p.stem for p in SCORECARDS_DIR.glob("*.yaml"))
    if scorecard_id not in shipped:  # a name from the list, never a path the user wrote
        raise UsageError(f"no shipped scorecard {scorecard_id!r}; shipped: {', '.join(shipped)}")
    scorecard = SCORECARDS_DIR / f"{scorecard_id}.yaml"
    if rows < 1:
        raise UsageError("--rows must be at least 1")
    if seed < 0:
        raise UsageError("--seed must be 0 or more")
    base = Path(directory) if directory else Path(tempfile.mkdtemp(prefix="tierline-demo-"))
    register = base / "register"
    output = base / "out"
    generate(scorecard_id, rows, register, seed=seed)
    console.print(f"register: {rows:,} rows of synthetic {scorecard_id} data in {register}")
    summary = run(RunOptions(scorecard=str(scorecard), inputs=[str(register)], output=str(output),
                             period="demo", max_invalid_fraction=0.10))
    print_summary(summary, console)
    glob = output / "period=*" / "tier=*" / "*.parquet"
    console.print("\nTry it in DuckDB:")
    console.print(demo_query(load_scorecard(scorecard), glob), markup=False, highlight=False, soft_wrap=True)
    return 0


def demo_query(scorecard: Scorecard, glob: Path) -> str:
    """The tier table in SQL: entities per tier, and the average of the first score if there is one."""
    columns = ["tier", "count(*) AS n"]
    if scorecard.scores:
        score = scorecard.scores[0].output_column
        columns.append(f"round(avg({score}), 1) AS avg_{score}")
    if scorecard.aggregate is not None:
        columns.append("sum(rows) AS input_rows")
    return (f"  SELECT {', '.join(columns)}\n"
            f"  FROM read_parquet('{glob}', hive_partitioning = true)\n"
            f"  GROUP BY tier ORDER BY min(tier_rank);")
