"""`tierline diff` and `tierline report` on every shipped scorecard's demo register over two periods.

Period 2026-10 is the scheme's generated register; 2026-11 is the register generated with another
seed (so values, and tiers, move) and with a block of rows left out and more rows added (so some
entities are gone and some new). The diff's matrix must account for every entity: its tier rows
add up to the first period's tier counts in the manifest, its tier columns to the second's. The
report must carry every section and a chart for each section that has data.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tierline import api
from tierline.cli import main
from tierline.tools.generators import generator

SCORECARDS = Path(__file__).resolve().parents[2] / "scorecards"
SHIPPED = sorted(p.stem for p in SCORECARDS.glob("*.yaml"))
ROWS = 1500
SECTIONS = ("run", "tiers", "scores", "reasons", "quarantine", "expectations", "migration")


def _register(scheme: str, rows: int, seed: int, drop: slice | None, path: Path) -> Path:
    table = generator(scheme)(rows, np.random.default_rng(seed))
    if drop is not None:
        keep = np.ones(table.num_rows, dtype=bool)
        keep[drop] = False
        table = table.filter(pa.array(keep))
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path)
    return path


@pytest.fixture(scope="module", params=SHIPPED)
def two_periods(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    scheme = request.param
    root = tmp_path_factory.mktemp(scheme)
    first = _register(scheme, ROWS, 1, None, root / "r1" / "part.parquet")
    second = _register(scheme, ROWS + 200, 2, slice(100, 200), root / "r2" / "part.parquet")
    for period, register in (("2026-10", first), ("2026-11", second)):
        api.run(SCORECARDS / f"{scheme}.yaml", register, root / "out", period=period, max_invalid_fraction=0.5)
    return scheme, root / "out"


def _manifest(out: Path, period: str) -> dict:
    return json.loads((out / "_manifests" / f"period={period}.json").read_text())


def test_diff_accounts_for_every_entity(two_periods: tuple[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    scheme, out = two_periods
    assert main(["diff", str(out), "--from", "2026-10", "--to", "2026-11", "--format", "json"]) == 0
    diff = json.loads(capsys.readouterr().out)
    rows = [line["code"] or line["kind"] for line in diff["rows"]]
    cols = [line["code"] or line["kind"] for line in diff["cols"]]
    counts = np.array(diff["counts"])
    for period, lines, sums in (("2026-10", rows, counts.sum(axis=1)), ("2026-11", cols, counts.sum(axis=0))):
        tiers = _manifest(out, period)["counts"]["tiers"]
        assert {code: int(sums[lines.index(code)]) for code in tiers} == tiers, (scheme, period)
    assert counts[rows.index("new")].sum() > 0 and counts[:, cols.index("gone")].sum() > 0
    assert sum(diff["directions"].values()) == counts.sum()


def test_report_has_every_section(two_periods: tuple[str, Path], tmp_path: Path,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    scheme, out = two_periods
    html_path = tmp_path / "report.html"
    assert main(["report", str(out), "--period", "2026-11", "-o", str(html_path)]) == 0
    html = html_path.read_text(encoding="utf-8")
    for section in SECTIONS:
        assert re.search(rf'<section[^>]* id="{section}"', html), (scheme, section)
    figures = re.findall(r'<figure class="chart" data-chart="(\w+)">\s*<svg', html)
    assert {"tiers", "migration"} <= set(figures), (scheme, figures)
    assert "<script" not in html and html_path.stat().st_size < 5_000_000
