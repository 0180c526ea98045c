"""Ranks within groups (SPEC §2.4a): SQL RANK() over the whole register, not per partition.

A rank is 1 + the counted rows of the row's group with a strictly better value; ties share it and
the next rank skips. The run's rows are compared with the oracle's reading (`oracle.register_ranks`)
over several files and partitions, on threads and on a two-process LocalCluster.
"""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oracle_register import evaluate_aggregate, evaluate_register
from tierline.cli import main
from tierline.scorecard.load import load_scorecard_text

CUSTOMERS = """\
scorecard: regional_customers
version: 1
key: customer_id
inputs:
  customer_id: {type: string, required: true}
  region: {type: string}
  channel: {type: category, values: [retail, fleet]}
  sales: {type: float}
score:
  components:
    - {name: sales, input: sales, value: true}
ranks:
  region_rank: {by: score, within: region}
  channel_rank: {by: sales, within: [region, channel], order: asc}
overrides:
  - {name: region_leader, when: "region_rank == 1", tier: lead, label: 区域第一}
tiers:
  rules:
    levels:
      - {tier: second, when: "region_rank == 2"}
      - {tier: rest}
derived:
  rank_sum: "region_rank + channel_rank"
"""


def _register(tmp: Path, table: pa.Table, files: int) -> Path:
    register = tmp / "register"
    register.mkdir()
    per_file = -(-table.num_rows // files)
    for index in range(files):
        piece = table.slice(index * per_file, per_file)
        if piece.num_rows:
            pq.write_table(piece, register / f"part-{index}.parquet", row_group_size=3)
    return register


def _run(tmp: Path, text: str, register: Path, name: str, *extra: str) -> dict[str, dict]:
    scorecard = tmp / "ranks.yaml"
    scorecard.write_text(text, encoding="utf-8")
    assert main(["run", str(scorecard), "--input", str(register), "--output", str(tmp / name), "--period", "p",
                 "--partition-rows", "4", "--max-invalid-fraction", "1", "--quiet", *extra]) == 0
    out = tmp / name / "period=p"
    if not out.exists():
        return {}
    return {row["customer_id"]: row for row in pq.read_table(out, partitioning="hive").to_pylist()}


def _expected(text: str, table: pa.Table) -> dict[str, dict]:
    scorecard = load_scorecard_text(text)
    results = evaluate_register(scorecard, table.to_pylist())
    return {row["customer_id"]: {"tier": r.tier, **r.ranks, **r.derived}
            for row, r in zip(table.to_pylist(), results) if not r.errors}


def _found(rows: dict[str, dict]) -> dict[str, dict]:
    return {key: {"tier": str(row["tier"]), "region_rank": row["region_rank"], "channel_rank": row["channel_rank"],
                  "rank_sum": row["rank_sum"]} for key, row in rows.items()}


def test_ties_share_a_rank_and_the_next_skips_across_files(tmp_path: Path) -> None:
    table = pa.table({"customer_id": [f"c{i}" for i in range(8)],
                      "region": ["north", "south", "north", None, "north", None, "south", "north"],
                      "channel": ["retail", "fleet", "retail", "fleet", "fleet", None, "fleet", "retail"],
                      "sales": [50.0, 7.0, 80.0, 3.0, 80.0, 4.0, None, 10.0]})
    rows = _run(tmp_path, CUSTOMERS, _register(tmp_path, table, 3), "out")
    # north: 80, 80 share 1, 50 is 3 (not 2), 10 is 4; the nulls of region form one group; c6 has no sales
    assert {k: r["region_rank"] for k, r in rows.items()} == {"c0": 3, "c1": 1, "c2": 1, "c3": 2, "c4": 1, "c5": 1,
                                                              "c7": 4}
    assert rows["c0"]["channel_rank"] == 2 and rows["c7"]["channel_rank"] == 1  # asc within (north, retail)
    assert str(rows["c2"]["tier"]) == "lead" and rows["c2"]["override"] == "region_leader"
    assert str(rows["c0"]["tier"]) == "rest"  # nobody is second in the north: ties skip rank 2
    assert pq.read_schema(next((tmp_path / "out" / "period=p").rglob("*.parquet"))).field("region_rank").type == pa.int32()
    assert _found(rows) == _expected(CUSTOMERS, table)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(["n", "s", "e", None]), st.sampled_from(["retail", "fleet", None]),
                          st.one_of(st.none(), st.sampled_from([0.0, 1.0, 5.0, 5.0, 99.5]))),
                min_size=1, max_size=40),
       st.integers(1, 4))
def test_runs_over_files_and_partitions_match_the_oracle(tmp_path_factory, rows, files) -> None:
    tmp = tmp_path_factory.mktemp("ranks")
    table = pa.table({"customer_id": [f"c{i}" for i in range(len(rows))], "region": [r[0] for r in rows],
                      "channel": [r[1] for r in rows], "sales": pa.array([r[2] for r in rows], pa.float64())})
    assert _found(_run(tmp, CUSTOMERS, _register(tmp, table, files), "out")) == _expected(CUSTOMERS, table)


def test_threads_and_a_two_process_cluster_give_the_same_ranks(tmp_path: Path) -> None:
    regions = ["north", "south", None, "east"]
    table = pa.table({"customer_id": [f"c{i}" for i in range(300)], "region": [regions[i % 4] for i in range(300)],
                      "channel": [("retail", "fleet")[i % 3 == 0] for i in range(300)],
                      "sales": pa.array([float((i * 37) % 50) for i in range(300)])})
    register = _register(tmp_path, table, 3)  # every region in every file
    threads = _run(tmp_path, CUSTOMERS, register, "threads")
    workers = _run(tmp_path, CUSTOMERS, register, "workers", "--workers", "2")
    assert _found(threads) == _found(workers) == _expected(CUSTOMERS, table)


def test_ranks_beside_quantile_tiers(tmp_path: Path) -> None:
    text = (CUSTOMERS.split("overrides:")[0] + 'tiers:\n  quantiles:\n    - {tier: top, top: 0.25}\n    - {tier: rest}\n'
            + 'derived:\n  leader: "region_rank == 1"\n')
    table = pa.table({"customer_id": [f"c{i}" for i in range(8)], "region": ["a", "b"] * 4,
                      "channel": ["retail"] * 8, "sales": [float(i) for i in range(8)]})
    rows = _run(tmp_path, text, _register(tmp_path, table, 2), "out")
    assert {k for k, r in rows.items() if str(r["tier"]) == "top"} == {"c6", "c7"}
    assert {k for k, r in rows.items() if r["leader"]} == {"c6", "c7"}
    assert {k: r["region_rank"] for k, r in rows.items()} == {f"c{i}": 4 - i // 2 for i in range(8)}


def test_explain_shows_the_rank_run_writes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    table = pa.table({"customer_id": ["c0", "c1", "c2"], "region": ["n", "n", "n"], "channel": ["retail"] * 3,
                      "sales": [1.0, 3.0, 2.0]})
    register = _register(tmp_path, table, 3)
    rows = _run(tmp_path, CUSTOMERS, register, "out")
    capsys.readouterr()
    assert main(["explain", str(tmp_path / "ranks.yaml"), "--input", str(register), "--key", "c2", "--json"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["ranks"] == {"region_rank": rows["c2"]["region_rank"], "channel_rank": rows["c2"]["channel_rank"]}
    assert record["ranks"] == {"region_rank": 2, "channel_rank": 2} and record["tier"] == "second"


PANEL = """\
scorecard: panel_ranks
version: 1
key: customer_id
inputs:
  customer_id: {type: string, required: true}
  region: {type: string}
  mark: {type: float, min: 0, max: 10}
aggregate: {by: customer_id, score: mean, odd_count: true}
score:
  components:
    - {name: mark, input: mark, value: true}
ranks:
  region_rank: {by: score, within: region}
tiers:
  rules:
    levels:
      - {tier: first, when: "region_rank == 1"}
      - {tier: podium, when: "region_rank <= 3"}
      - {tier: rest}
derived:
  next_rank: "region_rank + 1"
"""


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(0, 9), st.sampled_from(["n", "s", None]),
                          st.one_of(st.none(), st.sampled_from([0.0, 2.0, 5.0, 10.0]))), min_size=1, max_size=40),
       st.integers(1, 3))
def test_aggregated_entities_are_ranked_among_the_valid_entities(tmp_path_factory, rows, files) -> None:
    """Ranks over entities: their group's score, the region of their first row; an even panel
    (odd_count) and a row without a mark leave the ranking."""
    tmp = tmp_path_factory.mktemp("panel")
    table = pa.table({"customer_id": [f"c{r[0]}" for r in rows], "region": [r[1] for r in rows],
                      "mark": pa.array([r[2] for r in rows], pa.float64()), "serial": list(range(len(rows)))})
    scored = _run(tmp, PANEL, _register(tmp, table, files), "out")
    entities, _ = evaluate_aggregate(load_scorecard_text(PANEL), table.to_pylist())
    expected = {key: (e.result.tier, e.result.ranks["region_rank"], e.result.derived["next_rank"])
                for key, e in entities.items() if not e.result.errors}
    assert {key: (str(r["tier"]), r["region_rank"], r["next_rank"]) for key, r in scored.items()} == expected


@pytest.mark.parametrize(("change", "message"), [
    (("within: region}", "within: area}"), "rank 'within' column 'area' is not a declared input"),
    (("within: region}", "within: score}"), "rank 'within' column 'score' is a score, not an input"),
    (("{by: score, within: region}", "{by: region, within: region}"), "rank 'by' input 'region' must be int or float"),
    (("{by: score, within: region}", "{by: channel_rank, within: region}"), "rank 'by' names rank 'channel_rank'"),
    (("{by: score, within: region}", "{by: rank_sum, within: region}"), "rank 'by' names derived column 'rank_sum'"),
    (("ranks:\n", "ranks:\n  sales: {by: score, within: region}\n"), "rank 'sales' has the name of an input"),
    (("ranks:\n", "ranks:\n  tier_rank: {by: score, within: region}\n"),
     "rank 'tier_rank' has the name of a column tierline writes"),
    (("  rank_sum:", "  channel_rank:"), "derived column 'channel_rank' has the name of rank 'channel_rank'"),
    (("input: sales, value", "input: region_rank, value"), "component input 'region_rank' is a rank"),
    (("{name: sales, input", "{name: region_rank, input"), "rank 'region_rank' has the name of a component"),
    (("  rules:\n    levels:\n      - {tier: second, when: \"region_rank == 2\"}\n      - {tier: rest}",
      "  by: region_rank\n  levels:\n    - {tier: rest}"), "'by' names rank 'region_rank'"),
    (("ranks:\n", "aggregate: {by: customer_id}\nranks:\n"), "override 'region_leader' reads rank 'region_rank', but "
     "with aggregate overrides hold per row"),
])
def test_check_refuses_misused_ranks(tmp_path: Path, capsys: pytest.CaptureFixture[str], change, message) -> None:
    text = CUSTOMERS.replace(*change)
    assert text != CUSTOMERS
    path = tmp_path / "broken.yaml"
    path.write_text(text, encoding="utf-8")
    assert main(["check", str(path)]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"{path}:") and message in lines[0], lines
