"""Reading an optbinning scorecard table (tierline/tools/importers/optbinning.py).

The tables are written by hand in the shape `Scorecard.table(style="detailed").to_csv()` gives:
the index, Variable, Bin id, Bin, Count, ..., Points; numeric bins `(-inf, 2.50)`, categorical
bins as NumPy prints an array (`['a' 'b']`), then Special and Missing per variable.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import yaml

from tierline.errors import ScorecardError
from tierline.tools.importers import ImportOptions, import_card
from tierline.tools.importers.optbinning import read_card

DETAILED = ",Variable,Bin id,Bin,Count,Count (%),Non-event,Event,Event rate,WoE,IV,JS,Coefficient,Points\n"


def row(index: int, variable: str, bin_id: int, bin_text: str, count: int, points: float) -> str:
    quoted = '"' + bin_text.replace('"', '""') + '"'  # as pandas' to_csv quotes a cell
    cell = quoted if any(c in bin_text for c in ',"\n') else bin_text
    return f"{index},{variable},{bin_id},{cell},{count},0.1,5,5,0.5,0.0,0.0,0.0,-0.5,{points}\n"


def table_file(tmp_path: Path, rows: list[str], header: str = DETAILED) -> str:
    path = tmp_path / "table.csv"
    path.write_text(header + "".join(rows), encoding="utf-8")
    return str(path)


INCOME = [row(0, "income", 0, "(-inf, 2.50)", 10, 12.5), row(1, "income", 1, "[2.50, 5.00)", 20, 20.25),
          row(2, "income", 2, "[5.00, inf)", 30, 31.0), row(3, "income", 3, "Special", 0, 0.0),
          row(4, "income", 4, "Missing", 5, 7.5)]


def test_numeric_bins_special_and_missing(tmp_path: Path) -> None:
    card = read_card(table_file(tmp_path, INCOME))
    (income,) = card.variables
    assert card.kit == "optbinning" and card.base is None
    assert [(i.lower, i.upper, i.points, i.line) for i in income.intervals] == [
        (-math.inf, 2.5, 12.5, 2), (2.5, 5.0, 20.25, 3), (5.0, math.inf, 31.0, 4)]
    assert income.missing == 7.5
    (warning,) = card.warnings
    assert warning.endswith("table.csv:5: income: the Special bin (Count 0) is left out: the table does not list "
                            "its codes, so such a value is scored by the bin it falls in")


def test_categories_as_numpy_prints_them(tmp_path: Path) -> None:
    rows = [row(0, "region", 0, "['north' 'south']", 9, 4.0), row(1, "region", 1, "[\"it's\" 'east'\n 'west']", 3, -2.5),
            row(2, "region", 2, "['a, b', 'c']", 1, 1), row(3, "region", 3, "Special", 0, 0),
            row(4, "region", 4, "Missing", 0, 1.0),
            row(0, "grade", 0, "[1 2]", 4, 3), row(1, "grade", 1, "[3]", 4, 5), row(2, "grade", 2, "Missing", 2, 0)]
    card = read_card(table_file(tmp_path, rows))
    region, grade = card.variables
    assert region.categories == (("north", 4), ("south", 4), ("it's", -2.5), ("east", -2.5), ("west", -2.5),
                                 ("a, b", 1), ("c", 1))
    assert region.category_type == "string" and region.missing is None  # the Missing bin is empty
    assert grade.categories == ((1, 3), (2, 3), (3, 5)) and grade.category_type == "int" and grade.missing == 0
    assert [w.split(": ", 2)[2][:40] for w in card.warnings] == [
        "the Special bin (Count 0) is left out: t", "the Missing bin is empty (Count 0): its "]
    document = yaml.safe_load(import_card("optbinning", table_file(tmp_path, rows),
                                          ImportOptions(key="id", tiers="A>=5,B", key_type="int")).text)
    assert document["inputs"]["id"] == {"type": "int", "required": True, "unique": True}
    assert document["inputs"]["grade"] == {"type": "int"} and document["inputs"]["region"] == {"type": "string"}
    assert document["score"]["components"][1]["map"] == {1: 3, 2: 3, 3: 5}


def test_empty_bins_warn_and_a_rounded_away_bin_is_left_out(tmp_path: Path) -> None:
    rows = [row(0, "x", 0, "(-inf, 2.50)", 0, 1), row(1, "x", 1, "[2.50, 2.50)", 3, 9),
            row(2, "x", 2, "[2.50, inf)", 3, 2), row(3, "x", 3, "Missing", 1, 4),
            row(0, "y", 0, "[]", 0, 1), row(1, "y", 1, "['k']", 0, 2), row(2, "y", 2, "Missing", 1, 0)]
    card = read_card(table_file(tmp_path, rows))
    x, y = card.variables
    assert [(i.lower, i.upper, i.points) for i in x.intervals] == [(-math.inf, 2.5, 1), (2.5, math.inf, 2)]
    assert y.categories == (("k", 2),)
    assert [w.split("table.csv:")[1] for w in card.warnings] == [
        "2: x: the bin '(-inf, 2.50)' is empty (Count 0); its points are kept",
        "3: x: the bin '[2.50, 2.50)' holds no number and is left out",
        "6: y: the bin '[]' is empty (Count 0); its points are kept",
        "6: y: the bin '[]' holds no category and is left out",
        "7: y: the bin \"['k']\" is empty (Count 0); its points are kept"]


def test_the_summary_style_has_no_count(tmp_path: Path) -> None:
    path = table_file(tmp_path, ['0,x,"(-inf, inf)",3.5\n', "1,x,Special,0\n", "2,x,Missing,0\n"],
                      header=",Variable,Bin,Points\n")
    (x,) = read_card(path).variables
    assert [(i.lower, i.upper, i.points) for i in x.intervals] == [(-math.inf, math.inf, 3.5)]
    assert x.missing == 0  # no Count: the Missing bin cannot be known empty, and is kept


def test_named_special_code_groups_are_left_out_too(tmp_path: Path) -> None:
    rows = [row(0, "x", 0, "(-inf, 1.00)", 1, 1), row(1, "x", 1, "[1.00, inf)", 1, 2),
            row(2, "x", 2, "refused", 4, 0), row(3, "x", 3, "unknown", 0, 0), row(4, "x", 4, "Missing", 1, 3)]
    card = read_card(table_file(tmp_path, rows))
    assert [w.split(": ", 2)[2][:45] for w in card.warnings] == [
        "the special-codes bin 'refused' (Count 4) is ", "the special-codes bin 'unknown' (Count 0) is "]


@pytest.mark.parametrize("rows, line, fragment", [
    ([row(0, "x", 0, "(-inf, 1.00)", 1, 1), row(1, "x", 1, "Special", 1, 0), row(2, "x", 2, "[1.00, inf)", 1, 2)],
     3, "the bin 'Special' is neither a range [a, b) nor an array of categories"),
    ([row(0, "x", 0, "['a' 'b' ... 'z']", 1, 1)], 2, "cut short by NumPy's printing"),
    ([row(0, "x", 0, "['a' 'b", 1, 1)], 2, "is neither a range [a, b) nor an array"),
    ([row(0, "x", 0, "['a' 'b]", 1, 1)], 2, "cannot read the categories"),
    ([row(0, "x", 0, "(-inf, 1.00)", 1, 1), row(1, "x", 1, "[2.00, inf)", 1, 2)], 3, "a gap"),
    ([row(0, "x", 0, "(-inf, inf)", 1, 1), row(1, "x", 1, "['a']", 1, 2)], 2, "mixes numeric bins and categories"),
    ([row(0, "x", 0, "Special", 1, 1), row(1, "x", 1, "Missing", 1, 2)], 2, "no bin left to score a value"),
    (["0,x,0,['a'],1,0.1,5,5,0.5,0.0,0.0,0.0,-0.5,\n"], 2, "the points '' is not a number"),
    (["0,x,0,['a'],many,0.1,5,5,0.5,0.0,0.0,0.0,-0.5,1\n"], 2, "the Count 'many' is not a number"),
])
def test_a_table_it_cannot_read_is_exit_2_naming_file_and_line(tmp_path: Path, rows: list[str], line: int,
                                                              fragment: str) -> None:
    path = table_file(tmp_path, rows)
    with pytest.raises(ScorecardError) as raised:
        read_card(path)
    assert raised.value.exit_code == 2 and str(raised.value).startswith(f"{path}:{line}: ")
    assert fragment in str(raised.value), str(raised.value)
