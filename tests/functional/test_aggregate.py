"""Aggregation (SPEC §2.3): several rows per entity, grouped across files and partitions.

The register is shuffled so that an entity's rows land in different files and partitions; every
run is compared, entity by entity and row by row, with the plain-Python oracle
(`oracle.evaluate_aggregate`), which groups, combines and tiers without the kernels.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from oracle import evaluate_aggregate
from tierline.cli import main
from tierline.pipeline.run import RunOptions, run
from registers import write_register, write_scorecard
from tierline.scorecard.load import load_scorecard, load_scorecard_text

LEC = """\
scorecard: lec_panel
version: 1
key: hazard_id
inputs:
  hazard_id: {type: string, required: true}
  rater: {type: string}
  L: {type: float, min: 0.1, max: 10}
  E: {type: float, min: 0.5, max: 10}
  C: {type: float, min: 1, max: 100}
  major_condition: {type: bool, default: false}
aggregate: {by: hazard_id, score: mean, odd_count: true}
score:
  combine: product
  components:
    - {name: l, input: L, value: true}
    - {name: e, input: E, value: true}
    - {name: c, input: C, value: true}
overrides:
  - {name: major_hazard, when: "major_condition", tier: major, label: 重大隐患}
tiers:
  levels:
    - {tier: extreme, label: 极其危险, above: 320}
    - {tier: high, label: 高度危险, above: 160, upto: 320}
    - {tier: significant, label: 显著危险, above: 70, upto: 160}
    - {tier: general, label: 一般危险, above: 20, upto: 70}
    - {tier: low, label: 稍有危险, upto: 20}
actions:
  major: {response: stop work}
  extreme: {response: stop work}
  high: {response: fix immediately}
  significant: {response: fix}
  general: {response: watch}
  low: {response: accept}
derived:
  twice: "score * 2"
"""

L_SET, E_SET, C_SET = [0.1, 0.2, 0.5, 1, 3, 6, 10], [0.5, 1, 2, 3, 6, 10], [1, 3, 7, 15, 40, 100]


def panel_register(hazards: int, seed: int) -> pa.Table:
    """1–4 raters per hazard (so some panels are even), a few null ratings, rows shuffled."""
    rng = np.random.default_rng(seed)
    rows = []
    for h in range(hazards):
        for r in range(int(rng.integers(1, 5))):
            rows.append({
                "hazard_id": f"H{h:05d}", "rater": ["safety", "production", "union", "outside"][r],
                "L": None if rng.random() < 0.03 else float(rng.choice(L_SET)),
                "E": float(rng.choice(E_SET)), "C": float(rng.choice(C_SET)),
                "major_condition": bool(rng.random() < 0.03) if rng.random() > 0.1 else None,
                "serial": len(rows),
            })
    order = rng.permutation(len(rows))
    return pa.Table.from_pylist([rows[i] for i in order])


def _run(tmp_path: Path, text: str, table: pa.Table, files: int = 3, partition_rows: int = 100) -> dict:
    scorecard_path = write_scorecard(tmp_path / "lec.yaml", text)
    write_register(table, tmp_path / "register", files=files, row_group_size=50)
    output = tmp_path / "out"
    summary = run(RunOptions(scorecard=str(scorecard_path), inputs=[str(tmp_path / "register")], output=str(output),
                             period="p", max_invalid_fraction=1.0, target_rows=partition_rows, progress=False))
    scored = (pq.read_table(output / "period=p", partitioning="hive").to_pylist()
              if (output / "period=p").exists() else [])
    quarantine_dir = output / "_quarantine" / "period=p"
    quarantined = pq.read_table(quarantine_dir).to_pylist() if quarantine_dir.exists() else []
    return {"summary": summary, "scored": scored, "quarantined": quarantined}


def _compare(text: str, table: pa.Table, result: dict) -> None:
    scorecard = load_scorecard_text(text)
    rows = table.to_pylist()
    entities, quarantine = evaluate_aggregate(scorecard, rows)
    valid = {key: e for key, e in entities.items() if not e.result.errors}

    scored = {row["hazard_id"]: row for row in result["scored"]}
    assert set(scored) == set(valid)
    for key, entity in valid.items():
        got = scored[key]
        assert str(got["tier"]) == entity.result.tier, key
        assert got["score"] == entity.result.scores["score"], key
        assert got["rows"] == entity.rows, key
        assert got["override"] == entity.result.override, key
        assert got["twice"] == entity.result.derived["twice"], key
        assert got["response"] == entity.result.actions["response"], key
        first = next(row for row in rows if row["hazard_id"] == key and not quarantine[rows.index(row)] )
        assert got["serial"] == first["serial"], "other columns come from the group's first row"
        assert got["points_l"] == first["L"]

    expected = sorted((row["serial"], sorted(codes)) for row, codes in zip(rows, quarantine) if codes)
    got_quarantine = sorted((row["serial"], sorted(row["errors"])) for row in result["quarantined"])
    assert got_quarantine == expected

    counts = result["summary"].manifest["counts"]
    assert counts["input"] == len(rows) == counts["scored_rows"] + counts["quarantined"]
    assert counts["scored"] == len(valid)
    assert counts["scored_rows"] == sum(e.rows for e in valid.values())


@pytest.mark.parametrize("seed", [1, 2])
def test_panel_mean_over_files_and_partitions(seed: int, tmp_path: Path) -> None:
    table = panel_register(400, seed)
    result = _run(tmp_path, LEC, table)
    _compare(LEC, table, result)
    codes = {code for row in result["quarantined"] for code in row["errors"]}
    assert {"hazard_id:even_count", "L:not_null"} <= codes
    assert any(row["rows"] == 3 for row in result["scored"]) and any(row["rows"] == 1 for row in result["scored"])


@pytest.mark.parametrize("method", ["median", "min", "max"])
def test_other_methods_and_even_panels(method: str, tmp_path: Path) -> None:
    text = LEC.replace("score: mean, odd_count: true", f"score: {method}")
    table = panel_register(250, 3)
    result = _run(tmp_path, text, table, files=2, partition_rows=70)
    _compare(text, table, result)
    assert not any("even_count" in code for row in result["quarantined"] for code in row["errors"])


def test_quantiles_rank_entities(tmp_path: Path) -> None:
    text = LEC.replace("""  levels:
    - {tier: extreme, label: 极其危险, above: 320}
    - {tier: high, label: 高度危险, above: 160, upto: 320}
    - {tier: significant, label: 显著危险, above: 70, upto: 160}
    - {tier: general, label: 一般危险, above: 20, upto: 70}
    - {tier: low, label: 稍有危险, upto: 20}""", """  by: score
  order: desc
  quantiles:
    - {tier: extreme, top: 0.1}
    - {tier: high, top: 0.3}
    - {tier: significant, top: 0.5}
    - {tier: general, top: 0.8}
    - {tier: low}""")
    table = panel_register(300, 4)
    result = _run(tmp_path, text, table)
    _compare(text, table, result)


def test_worked_panel(tmp_path: Path) -> None:
    """Three raters give D = 18, 20 and 22: the mean is 20, which is `low` (a boundary belongs to
    the lower band). A fourth hazard's even panel is quarantined whole; a major condition seen by
    one rater makes the hazard major."""
    rows = [
        {"hazard_id": "H1", "rater": "safety", "L": 3.0, "E": 6.0, "C": 1.0, "major_condition": False},  # 18
        {"hazard_id": "H2", "rater": "safety", "L": 10.0, "E": 1.0, "C": 7.0, "major_condition": False},  # 70
        {"hazard_id": "H1", "rater": "production", "L": 0.5, "E": 1.0, "C": 40.0, "major_condition": False},  # 20
        {"hazard_id": "H3", "rater": "safety", "L": 1.0, "E": 1.0, "C": 1.0, "major_condition": False},
        {"hazard_id": "H1", "rater": "union", "L": 1.0, "E": 2.0, "C": 11.0, "major_condition": None},  # 22
        {"hazard_id": "H3", "rater": "union", "L": 1.0, "E": 1.0, "C": 1.0, "major_condition": True},
        {"hazard_id": "H4", "rater": "safety", "L": 1.0, "E": 1.0, "C": 1.0, "major_condition": False},
        {"hazard_id": "H4", "rater": "union", "L": 1.0, "E": 1.0, "C": 1.0, "major_condition": False},
        {"hazard_id": "H3", "rater": "production", "L": 1.0, "E": 1.0, "C": 1.0, "major_condition": False},
    ]
    table = pa.Table.from_pylist([{**row, "serial": i} for i, row in enumerate(rows)])
    result = _run(tmp_path, LEC, table, files=2, partition_rows=2)
    by_key = {row["hazard_id"]: row for row in result["scored"]}
    assert (by_key["H1"]["score"], str(by_key["H1"]["tier"]), by_key["H1"]["rows"]) == (20.0, "low", 3)
    assert by_key["H1"]["points_l"] == 3.0 and by_key["H1"]["rater"] == "safety"
    assert (by_key["H2"]["score"], str(by_key["H2"]["tier"])) == (70.0, "general")
    assert (str(by_key["H3"]["tier"]), by_key["H3"]["override"], by_key["H3"]["rows"]) == ("major", "major_hazard", 3)
    assert "H4" not in by_key
    assert sorted((row["serial"], row["errors"]) for row in result["quarantined"]) == [
        (6, ["hazard_id:even_count"]), (7, ["hazard_id:even_count"])]
    _compare(LEC, table, result)


def test_threads_and_processes_agree(tmp_path: Path) -> None:
    table = panel_register(150, 5)
    scorecard_path = write_scorecard(tmp_path / "lec.yaml", LEC)
    write_register(table, tmp_path / "register", files=2, row_group_size=50)
    outputs = {}
    for name, extra in (("threads", []), ("processes", ["--workers", "2"])):
        out = tmp_path / name
        assert main(["run", str(scorecard_path), "--input", str(tmp_path / "register"), "--output", str(out),
                     "--period", "p", "--max-invalid-fraction", "1", "--partition-rows", "60", "--quiet", *extra]) == 0
        data = pq.read_table(out / "period=p", partitioning="hive").drop(["run_id"]).sort_by("hazard_id")
        outputs[name] = data.to_pylist()
        manifest = json.loads((out / "_manifests" / "period=p.json").read_text())
        assert manifest["counts"]["input"] == table.num_rows
    assert outputs["threads"] == outputs["processes"]


def test_key_must_be_required(tmp_path: Path) -> None:
    path = write_scorecard(tmp_path / "lec.yaml", LEC.replace("hazard_id: {type: string, required: true}",
                                                               "hazard_id: {type: string}"))
    assert main(["check", str(path)]) == 2
    scorecard = load_scorecard(write_scorecard(tmp_path / "ok.yaml", LEC))
    assert scorecard.aggregate is not None and scorecard.aggregate.odd_count


def test_suite_has_no_row_unique_on_the_key(tmp_path: Path) -> None:
    from tierline.validation.suite import suite_for

    suite = suite_for(load_scorecard_text(LEC))
    kinds = {(e["type"], e["kwargs"]["column"]) for e in suite.to_json_dict()["expectations"]}
    assert ("expect_column_values_to_be_unique", "hazard_id") not in kinds


def test_explain_shows_every_row_and_the_entity(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = [
        {"hazard_id": "H1", "rater": "safety", "L": 3.0, "E": 6.0, "C": 1.0, "major_condition": False},
        {"hazard_id": "H2", "rater": "safety", "L": 1.0, "E": 1.0, "C": 1.0, "major_condition": False},
        {"hazard_id": "H1", "rater": "production", "L": 0.5, "E": 1.0, "C": 40.0, "major_condition": False},
        {"hazard_id": "H1", "rater": "union", "L": 1.0, "E": 2.0, "C": 11.0, "major_condition": False},
        {"hazard_id": "H1", "rater": "outside", "L": None, "E": 2.0, "C": 11.0, "major_condition": False},
    ]
    scorecard_path = write_scorecard(tmp_path / "lec.yaml", LEC)
    write_register(pa.Table.from_pylist(rows), tmp_path / "register", files=2, row_group_size=2)
    assert main(["explain", str(scorecard_path), "--input", str(tmp_path / "register"), "--key", "H1"]) == 0
    out = capsys.readouterr().out
    assert "entity: 3 valid rows, scores combined by mean (odd_count)" in out
    assert "score (mean of the rows) = 20" in out
    assert "tier: low" in out
    assert "row 4: invalid, quarantined with L:not_null" in out
