"""Matrix tiers (SPEC §2.5): two banded axes and a cell table, checked and scored.

The worked example is the equipment matrix of SCHEMES.md (seed 004): value 9万元 → 4 and general
production equipment → 3 give own = (4+3)/2 = 3.5; safety 3, production 5, cost 4 give impact
(3+5+4)/3 = 4.0; and that equipment is 关键 (critical).
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

from oracle import evaluate_row
from tierline.cli import main
from tierline.compiler import compile_scorecard
from tierline.pipeline.encode import evaluate
from tierline.errors import ScorecardError
from tierline.scorecard.load import load_scorecard_text

MATRIX = """\
scorecard: equipment_matrix
version: 1
key: equipment_id
inputs:
  equipment_id: {type: string, required: true}
  value_score: {type: int, min: 1, max: 5}
  use_score: {type: int, min: 1, max: 5}
  safety_score: {type: int, min: 1, max: 5}
  production_score: {type: int, min: 1, max: 5}
  cost_score: {type: int, min: 1, max: 5}
  special_equipment: {type: bool, default: false}
scores:
  own:
    combine: mean
    round: 1
    components:
      - {name: value, input: value_score, value: true}
      - {name: use, input: use_score, value: true}
  impact:
    combine: mean
    round: 1
    components:
      - {name: safety, input: safety_score, value: true}
      - {name: production, input: production_score, value: true}
      - {name: cost, input: cost_score, value: true}
overrides:
  - {name: special_equipment, when: "special_equipment", tier: critical}
tiers:
  matrix:
    rows:
      by: own
      levels:
        - {tier: high, from: 3.5}
        - {tier: mid, from: 2.5, to: 3.5}
        - {tier: low, to: 2.5}
    cols:
      by: impact
      levels:
        - {tier: high, from: 3.5}
        - {tier: mid, from: 2.5, to: 3.5}
        - {tier: low, to: 2.5}
    cells:
      - [critical, critical, important]
      - [critical, important, general]
      - [important, general, general]
    order: [critical, important, general]
    labels: {critical: 关键设备, important: 重要设备, general: 一般设备}
"""

ROWS = {
    "worked example": ({"value_score": 4, "use_score": 3, "safety_score": 3, "production_score": 5, "cost_score": 4},
                       "critical"),
    "own just below high": ({"value_score": 4, "use_score": 2, "safety_score": 3, "production_score": 5, "cost_score": 4},
                            "critical"),  # own 3.0 (mid) × impact 4.0 (high)
    "mid × mid": ({"value_score": 3, "use_score": 3, "safety_score": 3, "production_score": 3, "cost_score": 3}, "important"),
    "low × low": ({"value_score": 1, "use_score": 2, "safety_score": 1, "production_score": 2, "cost_score": 2}, "general"),
    "rounded onto the boundary": ({"value_score": 3, "use_score": 2, "safety_score": 2, "production_score": 2,
                                   "cost_score": 3}, "general"),  # own 2.5 → mid, impact 2.333 → 2.3 → low
}


def _table(rows: list[dict]) -> pa.Table:
    columns = {"equipment_id": pa.array([f"E{i}" for i in range(len(rows))])}
    for name in ("value_score", "use_score", "safety_score", "production_score", "cost_score"):
        columns[name] = pa.array([row.get(name) for row in rows], type=pa.int64())
    columns["special_equipment"] = pa.array([row.get("special_equipment") for row in rows], type=pa.bool_())
    return pa.table(columns)


@pytest.mark.parametrize("case", list(ROWS), ids=list(ROWS))
def test_matrix_cells_kernel_and_oracle(case: str) -> None:
    row, expected = ROWS[case]
    scorecard = load_scorecard_text(MATRIX)
    compiled = compile_scorecard(scorecard)
    evaluation = evaluate(compiled, _table([row]))
    assert scorecard.tiers[evaluation.tier[0]].code == expected
    assert evaluate_row(scorecard, {"equipment_id": "E0", **row}).tier == expected


def test_worked_example_scores_and_labels() -> None:
    scorecard = load_scorecard_text(MATRIX)
    compiled = compile_scorecard(scorecard)
    evaluation = evaluate(compiled, _table([ROWS["worked example"][0]]))
    slots = compiled.slot_names
    assert evaluation.values[slots.index("own"), 0] == 3.5
    assert evaluation.values[slots.index("impact"), 0] == 4.0
    assert [(t.code, t.label, t.rank) for t in scorecard.tiers] == [
        ("critical", "关键设备", 1), ("important", "重要设备", 2), ("general", "一般设备", 3)]


def test_override_and_null_axis() -> None:
    scorecard = load_scorecard_text(MATRIX.replace("value_score: {type: int, min: 1, max: 5}", "value_score: {type: int}"))
    compiled = compile_scorecard(scorecard)
    rows = [{**ROWS["low × low"][0], "special_equipment": True}, {**ROWS["low × low"][0], "value_score": None}]
    evaluation = evaluate(compiled, _table(rows))
    assert scorecard.tiers[evaluation.tier[0]].code == "critical"
    assert scorecard.overrides[evaluation.override[0]].name == "special_equipment"
    assert evaluation.tier[1] == -1 and evaluation.invalid[1]
    oracle = evaluate_row(scorecard, {"equipment_id": "E1", **rows[1]})
    assert oracle.errors == {"value_score:not_null"}


BROKEN = {
    "cells rows": (("      - [important, general, general]\n", ""), "cells need one row per rows level (3), not 2"),
    "cells cols": (("[important, general, general]\n    order", "[important, general]\n    order"),
                   "needs one tier per cols level (3), not 2"),
    "cell not in order": (("[important, general, general]", "[important, general, minor]"), "'minor' is not listed in 'order'"),
    "order unused": (("order: [critical, important, general]", "order: [critical, important, general, spare]"),
                     "'spare' in 'order' appears in no cell"),
    "order twice": (("order: [critical, important, general]", "order: [critical, important, general, general]"),
                    "listed twice"),
    "axis gap": (("        - {tier: mid, from: 2.5, to: 3.5}\n        - {tier: low, to: 2.5}\n    cells",
                  "        - {tier: mid, from: 2.5, to: 3.5}\n        - {tier: low, to: 2.4}\n    cells"), "gap between cols level"),
    "axis by unknown": (("      by: impact", "      by: impakt"), "'impakt', which is neither a score nor an input"),
    "bad code": (("order: [critical, important, general]", "order: [critical, important, general/x]"), "must match"),
}


@pytest.mark.parametrize("case", list(BROKEN), ids=list(BROKEN))
def test_check_refuses_broken_matrices(case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (old, new), fragment = BROKEN[case]
    assert MATRIX.count(old) == 1
    path = tmp_path / "matrix.yaml"
    path.write_text(MATRIX.replace(old, new), encoding="utf-8")
    assert main(["check", str(path)]) == 2
    err = capsys.readouterr().err
    assert fragment in err, err
    assert all(line.startswith(f"{path}:") for line in err.splitlines()), err
    with pytest.raises(ScorecardError):
        load_scorecard_text(MATRIX.replace(old, new))
