"""Text derived columns (`derived: {name: {choose: [{when, value}, …]}}`): the value of the first
item whose condition holds, null when none does; written as a string column, shown by explain,
and refused by check where it is misused."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from registers import read_files, tier_files, write_scorecard
from tierline.cli import main

CHOICE_SCORECARD = """\
scorecard: choice_card
version: 1
key: id
inputs:
  id: {type: string, required: true}
  x: {type: float}
  kind: {type: string}
score:
  components:
    - {name: xs, input: x, bands: [{to: 10, points: 1}, {from: 10, points: 2}], missing: 0}
tiers:
  levels:
    - {tier: hi, from: 2}
    - {tier: lo, to: 2}
derived:
  klass:
    choose:
      - {when: "kind in ['a', 'b']", value: I}
      - {when: "x > 100", value: II}
      - {value: III}
  size:
    choose:
      - {when: "x >= 10", value: 大}
"""

# id → (x, kind, klass, size): a null x leaves `x > 100` unknown (not true), so the next item decides
ROWS = {
    "1": (5.0, "a", "I", None),
    "2": (200.0, "z", "II", "大"),
    "3": (None, None, "III", None),
    "4": (10.0, "b", "I", "大"),
    "5": (50.0, "q", "III", "大"),
}


@pytest.fixture
def register(tmp_path: Path) -> tuple[Path, Path]:
    scorecard = write_scorecard(tmp_path / "choice.yaml", CHOICE_SCORECARD)
    table = pa.table({"id": list(ROWS), "x": [r[0] for r in ROWS.values()], "kind": [r[1] for r in ROWS.values()]})
    pq.write_table(table, tmp_path / "in.parquet")
    return scorecard, tmp_path / "in.parquet"


def test_run_writes_the_first_item_that_holds_as_a_string_column(register: tuple[Path, Path], tmp_path: Path) -> None:
    scorecard, data = register
    assert main(["run", str(scorecard), "--input", str(data), "--output", str(tmp_path / "out"), "--period", "p"]) == 0
    table = read_files([f for files in tier_files(tmp_path / "out", "p").values() for f in files])
    assert table.schema.field("klass").type == pa.string() and table.schema.field("size").type == pa.string()
    got = {row["id"]: (row["klass"], row["size"]) for row in table.to_pylist()}
    assert got == {key: (r[2], r[3]) for key, r in ROWS.items()}


def test_explain_shows_the_text_and_the_items(register: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    scorecard, data = register
    assert main(["explain", str(scorecard), "--input", str(data), "--key", "2"]) == 0
    out = capsys.readouterr().out
    assert "klass = II  (I when kind in ['a', 'b']; II when x > 100; III otherwise)" in out
    assert main(["explain", str(scorecard), "--input", str(data), "--key", "1", "--json"]) == 0
    (record,) = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert record["derived"] == {"klass": "I", "size": None}


@pytest.mark.parametrize(("klass", "says"), [
    ('{choose: [{value: III}, {when: "x > 1", value: I}]}', "only the last item may leave out `when`"),
    ('{choose: [{when: "x + 1", value: I}]}', "a condition must be true or false"),
    ('{choose: [{when: "y > 1", value: I}]}', "unknown name 'y'"),
    ('{choose: []}', "choose"),
    ('{choose: [{when: "x > 1", value: ""}]}', "value"),
])
def test_check_refuses_a_misused_choice_at_its_line(klass: str, says: str, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    text = CHOICE_SCORECARD.replace("derived:\n  klass:\n    choose:\n      - {when: \"kind in ['a', 'b']\", value: I}\n"
                                    "      - {when: \"x > 100\", value: II}\n      - {value: III}\n",
                                    f"derived:\n  klass: {klass}\n")
    assert f"klass: {klass}" in text
    path = write_scorecard(tmp_path / "choice.yaml", text)
    assert main(["check", str(path)]) == 2
    (line,) = capsys.readouterr().err.splitlines()
    line_number = text.splitlines().index(f"  klass: {klass}") + 1
    assert line.startswith(f"{path}:{line_number}: ") and says in line, line


def test_an_expression_cannot_read_a_text_column(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = CHOICE_SCORECARD + '  again: "size == 1"\n'
    path = write_scorecard(tmp_path / "choice.yaml", text)
    assert main(["check", str(path)]) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith(f"{path}:{len(text.splitlines())}: ") and "'size' is a text column" in line, line
