"""Aggregation (SPEC §2.3): several rows per entity, grouped across files and partitions.

The register is shuffled so that an entity's rows land in different files and partitions; every
run is compared, entity by entity and row by row, with the plain-Python oracle
(`oracle.evaluate_aggregate`), which groups, combines and tiers without the kernels.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oracle_register import evaluate_aggregate
from strategies import Case, scorecard_cases
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


# ---------------------------------------------------------------- random aggregates (every method)

@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(scorecard_cases(max_rows=24, aggregate=True), st.integers(1, 3), st.integers(1, 7))
def test_random_aggregates_match_oracle(case: Case, files: int, partition_rows: int) -> None:
    """Random scorecards aggregated by every method (weighted_mean most often, its weight column
    holding nulls, zeros and negatives), the register cut into files and partitions of a few rows:
    each entity's tier, scores, override and rows, and each quarantined row's codes, are the
    oracle's (`--validation off`: the oracle reads the scorecard, not the suite)."""
    scorecard = case.scorecard
    entities, quarantine = evaluate_aggregate(scorecard, case.rows)
    valid = {key: e for key, e in entities.items() if not e.result.errors}
    table = case.table.append_column("serial", pa.array(range(case.table.num_rows), pa.int64()))
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        write_register(table, root / "register", files=files, row_group_size=partition_rows)
        run(RunOptions(scorecard=str(write_scorecard(root / "card.yaml", case.yaml_text)), inputs=[str(root / "register")],
                       output=str(root / "out"), period="p", validation="off", max_invalid_fraction=1.0,
                       target_rows=partition_rows, progress=False))
        scored = _read(root / "out" / "period=p")
        quarantined = _read(root / "out" / "_quarantine" / "period=p")
    _assert_entities(scorecard, case.rows, scored, quarantined, case)


def _read(directory: Path) -> list[dict]:
    return pq.read_table(directory, partitioning="hive").to_pylist() if directory.exists() else []


def _assert_entities(scorecard, rows: list[dict], scored: list[dict], quarantined: list[dict], context: object) -> None:
    """A run's entities (tier, scores, override, rows) and quarantine (by the `serial` column, the
    row's place in `rows`) are the oracle's."""
    entities, quarantine = evaluate_aggregate(scorecard, rows)
    valid = {key: e for key, e in entities.items() if not e.result.errors}
    got = {row[scorecard.key]: row for row in scored}
    assert set(got) == set(valid), context
    for key, entity in valid.items():
        row = got[key]
        assert (str(row["tier"]), row["override"], row["rows"]) == (entity.result.tier, entity.result.override, entity.rows), context
        for score in scorecard.scores:
            assert row[score.output_column] == entity.result.scores[score.name], (key, score.name, context)
    expected = sorted((i, sorted(codes)) for i, codes in enumerate(quarantine) if codes)
    assert sorted((row["serial"], sorted(row["errors"])) for row in quarantined) == expected, context


# ---------------------------------------------------------------- a weighted reviewer panel

PANEL = """\
scorecard: review_panel
version: 1
key: project_id
inputs:
  project_id: {type: string, required: true}
  reviewer: {type: string}
  reviewer_weight: {type: float}
  quality: {type: float, min: 0, max: 90}
  risk: {type: category, values: [low, mid, high]}
aggregate: {by: project_id, score: weighted_mean, weight: reviewer_weight}
score:
  combine: sum
  components:
    - {name: quality, input: quality, value: true}
    - {name: risk, input: risk, map: {low: 10, mid: 5, high: 0}}
tiers:
  levels:
    - {tier: A, from: 80}
    - {tier: B, from: 50, to: 80}
    - {tier: C, to: 50}
"""

PANEL_WEIGHTS = [0.5, 1.0, 1.5, 2.0, 0.3, 0.7, 0.1]


def weighted_register(projects: int, seed: int) -> pa.Table:
    """1–5 reviewers a project with uneven weights (a few null, zero or negative), rows shuffled
    so that a project's reviewers land in different files and partitions."""
    rng = np.random.default_rng(seed)
    rows = []
    for p in range(projects):
        for r in range(int(rng.integers(1, 6))):
            draw = rng.random()
            weight = None if draw < 0.02 else 0.0 if draw < 0.04 else -1.0 if draw < 0.05 else float(rng.choice(PANEL_WEIGHTS))
            rows.append({"project_id": f"P{p:04d}", "reviewer": f"R{r}", "reviewer_weight": weight,
                         "quality": float(rng.integers(0, 91)), "risk": str(rng.choice(["low", "mid", "high"]))})
    order = rng.permutation(len(rows))
    return pa.Table.from_pylist([{**rows[i], "serial": n} for n, i in enumerate(order)])


@pytest.mark.parametrize("validation", ["fast", "off"])
def test_weighted_panel_over_files_and_partitions(validation: str, tmp_path: Path) -> None:
    """A row without a positive weight is quarantined even with `--validation off` (the mean
    cannot take it) and leaves its group, like any invalid row."""
    table = weighted_register(300, 6)
    write_register(table, tmp_path / "register", files=3, row_group_size=40)
    run(RunOptions(scorecard=str(write_scorecard(tmp_path / "panel.yaml", PANEL)), inputs=[str(tmp_path / "register")],
                   output=str(tmp_path / "out"), period="p", validation=validation, max_invalid_fraction=1.0,
                   target_rows=90, progress=False))
    quarantined = _read(tmp_path / "out" / "_quarantine" / "period=p")
    _assert_entities(load_scorecard_text(PANEL), table.to_pylist(), _read(tmp_path / "out" / "period=p"), quarantined,
                     validation)
    codes = {code for row in quarantined for code in row["errors"]}
    assert {"reviewer_weight:not_null", "reviewer_weight:between"} <= codes


def test_worked_weighted_panel(tmp_path: Path) -> None:
    """P1's reviewers, weighted 2, 1 and 1, give 90 + 10, 60 + 5 and 50 + 0: (200 + 65 + 50) / 4 =
    78.75, B (a plain mean would give 71.67). Its fourth reviewer's weight 0 quarantines that row
    alone; P2's only reviewer has no weight, so P2 has no valid row and is not scored."""
    rows = [
        {"project_id": "P1", "reviewer": "R1", "reviewer_weight": 2.0, "quality": 90.0, "risk": "low"},
        {"project_id": "P2", "reviewer": "R1", "reviewer_weight": None, "quality": 90.0, "risk": "low"},
        {"project_id": "P1", "reviewer": "R2", "reviewer_weight": 1.0, "quality": 60.0, "risk": "mid"},
        {"project_id": "P1", "reviewer": "R3", "reviewer_weight": 0.0, "quality": 0.0, "risk": "high"},
        {"project_id": "P1", "reviewer": "R4", "reviewer_weight": 1.0, "quality": 50.0, "risk": "high"},
    ]
    table = pa.Table.from_pylist([{**row, "serial": i} for i, row in enumerate(rows)])
    write_register(table, tmp_path / "register", files=2, row_group_size=1)
    run(RunOptions(scorecard=str(write_scorecard(tmp_path / "panel.yaml", PANEL)), inputs=[str(tmp_path / "register")],
                   output=str(tmp_path / "out"), period="p", max_invalid_fraction=1.0, target_rows=1, progress=False))
    [p1] = _read(tmp_path / "out" / "period=p")
    assert (p1["project_id"], p1["score"], str(p1["tier"]), p1["rows"], p1["reviewer"]) == ("P1", 78.75, "B", 3, "R1")
    assert sorted((row["serial"], row["errors"]) for row in _read(tmp_path / "out" / "_quarantine" / "period=p")) == [
        (1, ["reviewer_weight:not_null"]), (3, ["reviewer_weight:between"])]


def test_weighted_threads_and_processes_agree(tmp_path: Path) -> None:
    """weighted_mean over three files, each project's reviewers spread across them: the same rows,
    bit for bit, on threads and on a LocalCluster of two processes."""
    table = weighted_register(120, 7)
    scorecard_path = write_scorecard(tmp_path / "panel.yaml", PANEL)
    write_register(table, tmp_path / "register", files=3, row_group_size=30)
    outputs = {}
    for name, extra in (("threads", []), ("processes", ["--workers", "2"])):
        out = tmp_path / name
        assert main(["run", str(scorecard_path), "--input", str(tmp_path / "register"), "--output", str(out),
                     "--period", "p", "--max-invalid-fraction", "1", "--partition-rows", "50", "--quiet", *extra]) == 0
        outputs[name] = pq.read_table(out / "period=p", partitioning="hive").drop(["run_id"]).sort_by("project_id").to_pylist()
    assert outputs["threads"] == outputs["processes"]
    _assert_entities(load_scorecard_text(PANEL), table.to_pylist(), outputs["threads"],
                     pq.read_table(tmp_path / "threads" / "_quarantine" / "period=p").to_pylist(), "threads")


def test_explain_shows_each_weight_and_the_weighted_mean(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = [
        {"project_id": "P1", "reviewer": "R1", "reviewer_weight": 2.0, "quality": 90.0, "risk": "low"},
        {"project_id": "P1", "reviewer": "R2", "reviewer_weight": 1.0, "quality": 60.0, "risk": "mid"},
        {"project_id": "P1", "reviewer": "R3", "reviewer_weight": -1.0, "quality": 0.0, "risk": "high"},
        {"project_id": "P1", "reviewer": "R4", "reviewer_weight": 1.0, "quality": 50.0, "risk": "high"},
    ]
    scorecard_path = write_scorecard(tmp_path / "panel.yaml", PANEL)
    write_register(pa.Table.from_pylist(rows), tmp_path / "register", files=2, row_group_size=2)
    assert main(["explain", str(scorecard_path), "--input", str(tmp_path / "register"), "--key", "P1"]) == 0
    out = capsys.readouterr().out
    assert "row 1: reviewer_weight = 2; score 100 × 2 = 200" in out
    assert "row 3: invalid, quarantined with reviewer_weight:between" in out
    assert "entity: 3 valid rows, scores combined by weighted_mean of reviewer_weight" in out
    assert "score (weighted_mean of the rows: Σ reviewer_weight × score / Σ reviewer_weight = 315 / 4) = 78.75" in out
    assert "tier: B" in out
    assert main(["explain", str(scorecard_path), "--input", str(tmp_path / "register"), "--key", "P1", "--json"]) == 0
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["weight"] for r in records] == [2.0, 1.0, -1.0, 1.0]
    assert records[0]["entity"] == {"rows": 3, "scores": {"score": 78.75}} and records[0]["tier"] == "B"


def test_a_row_without_a_key_is_quarantined_even_without_validation(tmp_path: Path) -> None:
    """`required` on the key is a suite check, which `--validation off` skips; a row without a key
    still belongs to no entity, so it is quarantined with `<key>:not_null` in every mode."""
    rows = [{"project_id": key, "reviewer": "R1", "reviewer_weight": 1.0, "quality": 70.0, "risk": "low"}
            for key in ("P1", None, "P1")]
    table = pa.Table.from_pylist([{**row, "serial": i} for i, row in enumerate(rows)])
    write_register(table, tmp_path / "register", files=1, row_group_size=2)
    for validation in ("off", "fast"):
        out = tmp_path / validation
        run(RunOptions(scorecard=str(write_scorecard(tmp_path / "panel.yaml", PANEL)), inputs=[str(tmp_path / "register")],
                       output=str(out), period="p", validation=validation, max_invalid_fraction=1.0, progress=False))
        assert [(r["project_id"], r["rows"]) for r in _read(out / "period=p")] == [("P1", 2)]
        assert [(r["serial"], r["errors"]) for r in _read(out / "_quarantine" / "period=p")] == [(1, ["project_id:not_null"])]
