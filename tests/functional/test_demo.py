"""`tierline demo --scorecard ID` for every shipped scorecard (SPEC §3): it generates a register,
runs it (a few percent of bad rows stay under the demo's 10 % limit), prints the tier table and a
DuckDB query, and that query runs on what was written."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from tierline.cli import main
from tierline.tools.generators import available

SCORECARDS = Path(__file__).resolve().parents[2] / "scorecards"
SHIPPED = sorted(p.stem for p in SCORECARDS.glob("*.yaml"))


def test_every_shipped_scorecard_has_a_generator() -> None:
    assert len(SHIPPED) == 16
    assert available() == SHIPPED


@pytest.mark.parametrize("scheme", SHIPPED)
def test_demo(scheme: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--scorecard", scheme, "--rows", "3000", "--dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert f"{scheme} · period demo" in out and "quarantined" in out
    query = out[out.index("SELECT"):].strip()
    rows = duckdb.sql(query).fetchall()
    assert rows and all(n > 0 for _, n, *_ in rows)


def test_demo_refuses_names_that_are_not_shipped(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--scorecard", "../scorecards/equipment_abc"]) == 2
    assert "no shipped scorecard" in capsys.readouterr().err


def test_another_seed_draws_the_same_keys_with_other_values(tmp_path: Path) -> None:
    assert main(["demo", "--scorecard", "loan_five_class", "--rows", "500", "--dir", str(tmp_path / "a")]) == 0
    assert main(["demo", "--scorecard", "loan_five_class", "--rows", "500", "--dir", str(tmp_path / "b"),
                 "--seed", "7"]) == 0
    a, b = (duckdb.sql(f"SELECT loan_id, days_overdue FROM '{tmp_path / d / 'register'}/*.parquet' ORDER BY loan_id")
            .fetchall() for d in ("a", "b"))
    assert [k for k, _ in a] == [k for k, _ in b] and a != b
    assert main(["demo", "--rows", "10", "--seed", "-1"]) == 2
