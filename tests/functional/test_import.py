"""`tierline import` end to end: a kit's card → scorecard → `tierline run` on a hand-made register.

Each card is written by hand in the kit's CSV shape (no kit is installed here), imported through
the real command, checked, and run; every row's score and tier is the one worked out by hand in
the table beside it: edges exactly at bin and tier boundaries, a null with and without a missing
bin, an unseen category with and without an `other` bin, and base points.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml

from registers import assert_one_line_failure, quarantine_files, read_files, tier_files, tierline

PERIOD = "2026-12"

SCORECARDPY_CARD = """\
,,variable,bin,points
basepoints,0,basepoints,,500
age,1,age,"[-inf,25.0)",-10
age,2,age,"[25.0,40.0)",5
age,3,age,"[40.0,inf)%,%missing",20
income,4,income,"[-inf,3000.0)",-15
income,5,income,"[3000.0,inf)",10
purpose,6,purpose,"car%,%education",8
purpose,7,purpose,radio,-4
purpose,8,purpose,others,0
housing,9,housing,own,6
housing,10,housing,"rent%,%missing",-6
"""

# key: (age, income, purpose, housing) → (score, tier) or the quarantine codes. Base 500;
# age <25 −10, [25, 40) 5, ≥40 or null 20; income <3000 −15, ≥3000 10 (no missing bin);
# purpose car/education 8, radio −4, others 0, unseen → --other purpose=radio (−4), no missing bin;
# housing own 6, rent or null −6, unseen quarantined. Tiers A ≥ 532, B [514, 532), C < 514.
SCORECARDPY_ROWS: dict[str, tuple[tuple[Any, ...], Any]] = {
    "r1": ((24.999, 3000.0, "car", "own"), (500 - 10 + 10 + 8 + 6, "B")),  # 514: B's lower edge
    "r2": ((25.0, 2999.99, "radio", "rent"), (500 + 5 - 15 - 4 - 6, "C")),  # 480
    "r3": ((40.0, 1e6, "boat", "own"), (500 + 20 + 10 - 4 + 6, "A")),  # 532: unseen purpose → radio's −4
    "r4": ((None, 5000.0, "education", None), (500 + 20 + 10 + 8 - 6, "A")),  # nulls into missing bins
    "r5": ((30.0, None, "car", "own"), ["income:not_null"]),  # income has no missing bin
    "r6": ((30.0, 4000.0, "others", "castle"), ["housing:unmapped"]),  # housing has no other bin
    "r7": ((30.0, 4000.0, None, "own"), ["purpose:not_null"]),  # --other is not a missing bin
}

OPTBINNING_TABLE = (
    ",Variable,Bin id,Bin,Count,Count (%),Non-event,Event,Event rate,WoE,IV,JS,Coefficient,Points\n"
    '0,income,0,"(-inf, 2.50)",10,0.1,8,2,0.2,0.1,0.01,0.0,-0.8,12.5\n'
    '1,income,1,"[2.50, 5.00)",20,0.2,15,5,0.25,0.0,0.0,0.0,-0.8,20.25\n'
    '2,income,2,"[5.00, inf)",30,0.3,27,3,0.1,-0.2,0.01,0.0,-0.8,31.0\n'
    "3,income,3,Special,0,0.0,0,0,0.0,0.0,0.0,0.0,-0.8,0.0\n"
    "4,income,4,Missing,5,0.05,4,1,0.2,0.1,0.0,0.0,-0.8,7.5\n"
    "0,region,0,['north' 'south'],40,0.4,30,10,0.25,0.0,0.0,0.0,-0.3,4.0\n"
    "1,region,1,['east'],25,0.25,20,5,0.2,0.1,0.0,0.0,-0.3,-2.5\n"
    "2,region,2,Special,0,0.0,0,0,0.0,0.0,0.0,0.0,-0.3,0.0\n"
    "3,region,3,Missing,0,0.0,0,0,0.0,0.0,0.0,0.0,-0.3,1.0\n"
    "0,grade,0,[1 2],30,0.3,25,5,0.17,0.2,0.0,0.0,-0.5,3.0\n"
    "1,grade,1,[3],30,0.3,20,10,0.33,-0.3,0.0,0.0,-0.5,5.0\n"
    "2,grade,2,Special,0,0.0,0,0,0.0,0.0,0.0,0.0,-0.5,0.0\n"
    "3,grade,3,Missing,2,0.02,1,1,0.5,-0.9,0.0,0.0,-0.5,0.5\n"
)

# key: (income, region, grade) → (score, tier) or the codes. Base 100.25 (--base, intercept_based);
# income <2.5 12.5, [2.5, 5) 20.25, ≥5 31, null 7.5; region north/south 4, east −2.5, the Missing
# bin empty (Count 0: left out, nulls quarantined), unseen quarantined; grade 1/2 3, 3 5, null 0.5,
# unseen → --other grade=Missing (0.5, what optbinning's Scorecard.score does). Tiers A ≥ 127.5,
# B [115.25, 127.5), C < 115.25. The points are binary fractions: every sum below is exact.
OPTBINNING_ROWS: dict[str, tuple[tuple[Any, ...], Any]] = {
    "o1": ((2.5, "north", 1), (100.25 + 20.25 + 4 + 3, "A")),  # 127.5: A's lower edge, income's edge
    "o2": ((2.4999, "east", 3), (100.25 + 12.5 - 2.5 + 5, "B")),  # 115.25: B's lower edge
    "o3": ((5.0, "south", 7), (100.25 + 31 + 4 + 0.5, "A")),  # 135.75: unseen grade → Missing's points
    "o4": ((None, "north", None), (100.25 + 7.5 + 4 + 0.5, "C")),  # 112.25
    "o5": ((3.0, None, 2), ["region:not_null"]),  # an empty Missing bin scores nothing
    "o6": ((3.0, "west", 2), ["region:unmapped"]),  # no other bin for region
}


def import_and_run(tmp_path: Path, kit: str, card_text: str, options: list[str], schema: pa.Schema,
                   rows: dict[str, tuple[tuple[Any, ...], Any]], tiers: str) -> tuple[Path, str]:
    card = tmp_path / "card.csv"
    card.write_text(card_text, encoding="utf-8")
    scorecard = tmp_path / "imported.yaml"
    imported = tierline("import", kit, card, "--key", "id", "--tiers", tiers, *options, "-o", scorecard)
    assert imported.returncode == 0, imported.stderr
    assert tierline("check", scorecard).returncode == 0
    columns = list(zip(*[(key, *values) for key, (values, _) in rows.items()]))
    register = pa.table([pa.array(column, type=field.type) for column, field in zip(columns, schema)], schema=schema)
    pq.write_table(register, tmp_path / "register.parquet")
    run = tierline("run", scorecard, "--input", tmp_path / "register.parquet", "--output", tmp_path / "out",
                   "--period", PERIOD, "--max-invalid-fraction", "1", "--quiet")
    assert run.returncode == 0, run.stderr
    return tmp_path / "out", imported.stderr


def outcomes(output: Path) -> dict[str, Any]:
    """key → (score, tier) for scored rows, → sorted error codes for quarantined ones."""
    found: dict[str, Any] = {}
    for tier, paths in tier_files(output, PERIOD).items():
        for row in read_files(paths).to_pylist():
            found[row["id"]] = (row["score"], tier)
    for path in quarantine_files(output, PERIOD):
        for row in pq.read_table(path).to_pylist():
            found[row["id"]] = sorted(row["errors"])
    return found


def test_a_scorecardpy_card_scores_the_register_as_worked_out_by_hand(tmp_path: Path) -> None:
    schema = pa.schema([("id", pa.string()), ("age", pa.float64()), ("income", pa.float64()),
                        ("purpose", pa.string()), ("housing", pa.string())])
    output, warnings = import_and_run(tmp_path, "scorecardpy", SCORECARDPY_CARD, ["--other", "purpose=radio"],
                                      schema, SCORECARDPY_ROWS, "A>=532,B>=514,C")
    assert warnings == ""
    assert outcomes(output) == {key: expected for key, (_, expected) in SCORECARDPY_ROWS.items()}
    document = yaml.safe_load((tmp_path / "imported.yaml").read_text(encoding="utf-8"))
    assert document["score"]["base"] == 500 and document["score"]["components"][2]["other"] == -4


def test_an_optbinning_table_scores_the_register_as_worked_out_by_hand(tmp_path: Path) -> None:
    schema = pa.schema([("id", pa.string()), ("income", pa.float64()), ("region", pa.string()),
                        ("grade", pa.int64())])
    output, warnings = import_and_run(tmp_path, "optbinning", OPTBINNING_TABLE,
                                      ["--base", "100.25", "--other", "grade=Missing"],
                                      schema, OPTBINNING_ROWS, "A>=127.5,B>=115.25,C")
    assert outcomes(output) == {key: expected for key, (_, expected) in OPTBINNING_ROWS.items()}
    lines = warnings.splitlines()
    assert len(lines) == 4 and all(line.startswith("tierline: warning: ") for line in lines)
    assert "card.csv:10: region: the Missing bin is empty (Count 0)" in warnings
    assert sum("the Special bin (Count 0) is left out" in line for line in lines) == 3
    head = (tmp_path / "imported.yaml").read_text(encoding="utf-8").split("\nscorecard: ")[0]
    assert "# Warnings:\n" in head and all(f"#   {line.removeprefix('tierline: warning: ')}" in head for line in lines)
    assert "optbinning's Scorecard.score would give an unlisted category the Missing bin's points." in head


def test_without_o_the_scorecard_goes_to_stdout_with_its_caveats_in_the_header(tmp_path: Path) -> None:
    card = tmp_path / "card.csv"
    card.write_text(SCORECARDPY_CARD, encoding="utf-8")
    result = tierline("import", "scorecardpy", card, "--key", "id", "--tiers", "A:优>=532,B>=514,C", "--name", "credit")
    assert result.returncode == 0 and result.stderr == ""
    head, _ = result.stdout.split("\nscorecard: credit\n")
    assert "quarantined (<input>:not_null)" in head and "scorecardpy's scorecard_ply would give both 0 points" in head
    assert "# Without a missing bin: income, purpose." in head
    assert "label: 优" in result.stdout  # unicode kept readable
    assert yaml.safe_load(result.stdout)["tiers"]["levels"][0] == {"tier": "A", "label": "优", "from": 532}


@pytest.mark.parametrize("card_text, fragment", [
    (SCORECARDPY_CARD.replace('"[25.0,40.0)"', '"[26.0,40.0)"'), "card.csv:4: age: a gap between the bin ending at 25"),
    (SCORECARDPY_CARD.replace("radio,-4", "radio,minus four"), "card.csv:9: the points 'minus four' is not a number"),
    ("variable,bin\nx,a\n", "card.csv:1: not a scorecardpy card: no column 'points'"),
    (SCORECARDPY_CARD.replace('"car%,%education"', '"car%,%education'), "card.csv:"),
])
def test_an_unreadable_card_is_exit_2_in_one_line_naming_file_and_line(tmp_path: Path, card_text: str,
                                                                       fragment: str) -> None:
    card = tmp_path / "card.csv"
    card.write_text(card_text, encoding="utf-8")
    result = tierline("import", "scorecardpy", card, "--key", "id", "--tiers", "A>=532,B")
    line = assert_one_line_failure(result, 2)
    assert fragment in line and result.stdout == ""


def test_bad_options_are_exit_2_in_one_line(tmp_path: Path) -> None:
    card = tmp_path / "card.csv"
    card.write_text(SCORECARDPY_CARD, encoding="utf-8")
    for options, fragment in [(["--tiers", "A>=1,B>=2,C"], "must be below"),
                              (["--tiers", "A>=1,B", "--other", "housing=boat"], "housing has no bin holding 'boat'"),
                              (["--tiers", "A>=1,B", "--base", "3"], "the card already has base points (500)")]:
        result = tierline("import", "scorecardpy", card, "--key", "id", *options)
        assert fragment in assert_one_line_failure(result, 2)
    missing_key = tierline("import", "optbinning", card, "--tiers", "A>=1,B")
    assert "--key" in assert_one_line_failure(missing_key, 2)
