"""scorecards/petro_customers.yaml: customer tiers by volume and scope, owners by regional rank (seed 000).

公司级 company when the annual demand is 5000 t or more ("年需求量在5000吨以上": 5000 itself is
company-level), else 二级公司级 branch or 加油站级 station by scope. The owner follows the rank of
annual sales within the region over the whole register (SQL RANK(): ties share a rank, the next
skips): rank 1 the leadership, rank 2 the departments, the rest the branch, in the text column
`owner`. Targets per tier: visit coverage 100%, churn 0 for company-level (key) customers, ≤ 3%
for the others; reviewed quarterly.
"""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from schemes import grade, register, run_generated, scorecard_path
from tierline.cli import main

SCHEME = "petro_customers"
OWNERS = {"leadership", "department", "branch"}


def _customer(key: str, region: str, demand: float | None, sales: float | None, scope: str = "branch") -> dict:
    return {"customer_id": key, "region": region, "scope": scope, "annual_demand_t": demand, "annual_sales_t": sales}


def _owner(row: dict) -> str:
    assert row["owner"] in OWNERS, row  # a scored row always has a rank, so always an owner
    return row["owner"]


@pytest.mark.parametrize(("demand", "scope", "tier"), [
    (5000.0, "branch", "company"),      # "5000吨以上" includes 5000
    (5000.01, "station", "company"),
    (4999.99, "branch", "branch"),
    (4999.99, "station", "station"),
    (0.0, "station", "station"),
])
def test_the_5000_tonne_line_then_scope(tmp_path: Path, demand: float, scope: str, tier: str) -> None:
    graded = grade(SCHEME, [_customer("c", "拉萨", demand, 10.0, scope)], tmp_path)
    assert graded["c"]["tier"] == tier
    assert graded["c"]["churn_limit_pct"] == (0 if tier == "company" else 3)
    assert graded["c"]["visit_coverage_pct"] == 100 and graded["c"]["review_cycle"] == "quarterly"


def test_ties_share_the_owner_and_the_next_rank_skips(tmp_path: Path) -> None:
    rows = [_customer("a1", "north", 900.0, 100.0), _customer("a2", "north", 6000.0, 90.0),
            _customer("a3", "north", 800.0, 90.0, "station"), _customer("a4", "north", 700.0, 80.0),
            _customer("b1", "south", 900.0, 50.0), _customer("b2", "south", 900.0, 50.0),
            _customer("b3", "south", 900.0, 40.0),
            # invalid rows are not ranked: more sales than anyone, but a negative demand / no sales
            _customer("x1", "north", -1.0, 1000.0), _customer("x2", "south", 100.0, None)]
    graded = grade(SCHEME, rows, tmp_path)
    assert {k: r["region_rank"] for k, r in graded.items() if r["tier"]} == {
        "a1": 1, "a2": 2, "a3": 2, "a4": 4, "b1": 1, "b2": 1, "b3": 3}
    assert {k: _owner(r) for k, r in graded.items() if r["tier"]} == {
        "a1": "leadership", "a2": "department", "a3": "department", "a4": "branch",
        "b1": "leadership", "b2": "leadership", "b3": "branch"}  # two first customers: nobody second
    assert graded["a2"]["tier"] == "company" and graded["a3"]["tier"] == "station"  # the rank spans tiers
    assert graded["x1"]["errors"] == ["annual_demand_t:between"] and graded["x2"]["errors"] == ["annual_sales_t:not_null"]


def test_the_rank_is_over_the_whole_register_across_two_files(tmp_path: Path) -> None:
    first = [_customer(f"p{i}", "east", 100.0, float(i)) for i in range(10)]  # sales 0..9
    second = [_customer("top", "east", 100.0, 50.0), _customer("next", "east", 100.0, 9.0),
              _customer("alone", "west", 100.0, 1.0)]
    source = tmp_path / "register"
    source.mkdir()
    pq.write_table(register(SCHEME, first), source / "part-0.parquet", row_group_size=4)
    pq.write_table(register(SCHEME, second), source / "part-1.parquet")
    assert main(["run", str(scorecard_path(SCHEME)), "--input", str(source), "--output", str(tmp_path / "out"),
                 "--period", "p", "--partition-rows", "3", "--quiet"]) == 0
    table = pq.read_table(tmp_path / "out" / "period=p", partitioning="hive")
    assert table.schema.field("owner").type == pa.string()  # one text column, not one flag per owner
    assert not {"owner_leadership", "owner_department", "owner_branch"} & set(table.column_names)
    rows = {r["customer_id"]: r for r in table.to_pylist()}
    assert rows["top"]["region_rank"] == 1 and _owner(rows["top"]) == "leadership"
    assert rows["next"]["region_rank"] == rows["p9"]["region_rank"] == 2  # a tie across the two files
    assert _owner(rows["p9"]) == "department" and rows["p8"]["region_rank"] == 4 and _owner(rows["p8"]) == "branch"
    assert rows["alone"]["region_rank"] == 1 and _owner(rows["alone"]) == "leadership"


def test_generated_register_gives_each_region_its_leaders(tmp_path: Path) -> None:
    _, scored, quarantined = run_generated(SCHEME, tmp_path)
    assert set(scored.column("tier").to_pylist()) == {"company", "branch", "station"}
    assert scored.schema.field("owner").type == pa.string()
    rows = scored.to_pylist()
    assert {r["owner"] for r in rows} == OWNERS
    for region in {r["region"] for r in rows}:
        sales = sorted((r["annual_sales_t"] for r in rows if r["region"] == region), reverse=True)
        for r in (r for r in rows if r["region"] == region):
            assert r["region_rank"] == 1 + sum(1 for s in sales if s > r["annual_sales_t"])
            assert _owner(r) == ("leadership" if r["region_rank"] == 1 else "department" if r["region_rank"] == 2
                                 else "branch")
    assert set(quarantined.column("errors").combine_chunks().flatten().to_pylist()) <= {
        "annual_demand_t:between", "annual_sales_t:not_null"}



def test_a_repeated_customer_is_quarantined_and_not_ranked(tmp_path: Path) -> None:
    rows = [_customer("dup", "north", 100.0, 500.0), _customer("a", "north", 100.0, 20.0),
            _customer("dup", "north", 100.0, 400.0), _customer("b", "north", 100.0, 10.0)]
    source = tmp_path / "register"
    source.mkdir()
    pq.write_table(register(SCHEME, rows), source / "part-0.parquet")
    assert main(["run", str(scorecard_path(SCHEME)), "--input", str(source), "--output", str(tmp_path / "out"),
                 "--period", "p", "--max-invalid-fraction", "1", "--quiet"]) == 0
    scored = {r["customer_id"]: r for r in pq.read_table(tmp_path / "out" / "period=p", partitioning="hive").to_pylist()}
    assert {k: (r["region_rank"], _owner(r)) for k, r in scored.items()} == {"a": (1, "leadership"), "b": (2, "department")}
    quarantined = pq.read_table(tmp_path / "out" / "_quarantine" / "period=p").to_pylist()
    assert [(r["customer_id"], r["errors"]) for r in quarantined] == [("dup", ["customer_id:unique"])] * 2


def test_explain_shows_the_owner_as_text(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = [_customer("a", "north", 100.0, 30.0), _customer("b", "north", 100.0, 20.0),
            _customer("c", "north", 100.0, 10.0)]
    pq.write_table(register(SCHEME, rows), tmp_path / "in.parquet")
    for key, owner in (("a", "leadership"), ("b", "department"), ("c", "branch")):
        assert main(["explain", str(scorecard_path(SCHEME)), "--input", str(tmp_path / "in.parquet"), "--key", key,
                     "--json"]) == 0
        (line,) = capsys.readouterr().out.splitlines()
        assert json.loads(line)["derived"] == {"owner": owner}
