"""The checked `Scorecard` that `tierline.scorecard.load` builds (SPEC §2): tiers, components, defaults, ranges."""

from __future__ import annotations

import math

import pytest

from oracle import in_range  # the range test is SPEC §2's reading, not the loader's
from tierline.errors import ScorecardError
from tierline.scorecard.load import check_scorecard, load_scorecard, load_scorecard_text
from tierline.scorecard.model import LevelTiering, RuleTiering
from tierline.scorecard.ranges import Range

HEAD = """\
scorecard: sample
version: 4
key: id
"""

INPUTS = """\
inputs:
  id: {type: string, required: true}
  grade: {type: category, values: [x, y, z]}
  amount: {type: float, min: 0, max: 200}
  count: {type: int}
  flag: {type: bool, default: false}
  region: {type: category, values: [north, south]}
  opened: {type: date}
"""

ONE_SCORE = """\
score:
  components:
    - {name: amount_points, input: amount, value: true}
"""

LEVELS = """\
tiers:
  levels:
    - {tier: high, label: 高, from: 75}
    - {tier: mid, from: 40, to: 75}
    - {tier: low, to: 40}
"""


def load(*parts: str):
    return load_scorecard_text(HEAD + INPUTS + "".join(parts))


def problem(*parts: str) -> ScorecardError:
    with pytest.raises(ScorecardError) as caught:
        load(*parts)
    return caught.value


# ---------------------------------------------------------------- the tier table


def test_tiers_rank_in_listed_order_and_label_defaults_to_the_code() -> None:
    scorecard = load(ONE_SCORE, LEVELS)
    assert [(t.code, t.label, t.rank) for t in scorecard.tiers] == [("high", "高", 1), ("mid", "mid", 2), ("low", "low", 3)]
    assert scorecard.tier("mid").rank == 2


def test_override_only_tiers_rank_first_in_override_order() -> None:
    scorecard = load(ONE_SCORE, """\
overrides:
  - {name: veto, when: "grade == 'z'", tier: vetoed, label: 否决}
  - {name: promoted, when: "flag", tier: high}
  - {name: major, when: "count > 3", tier: major, label: 重大}
  - {name: major_again, when: "count > 9", tier: major}
""", LEVELS)
    assert [(t.code, t.label, t.rank) for t in scorecard.tiers] == [
        ("vetoed", "否决", 1), ("major", "重大", 2), ("high", "高", 3), ("mid", "mid", 4), ("low", "low", 5)]
    assert [(o.name, o.tier) for o in scorecard.overrides] == [
        ("veto", "vetoed"), ("promoted", "high"), ("major", "major"), ("major_again", "major")]
    assert scorecard.overrides[0].when.type == "bool"


def test_override_only_tier_needs_a_label() -> None:
    error = problem(ONE_SCORE, "overrides:\n  - {name: major, when: flag, tier: major}\n", LEVELS)
    assert "override tier 'major' is not produced by 'tiers'" in error.detail
    assert error.line == 16


def test_rules_tiers_keep_their_order_and_the_catch_all() -> None:
    scorecard = load("""\
tiers:
  rules:
    hit: unique
    levels:
      - {tier: big, label: 大型, when: "amount >= 100 and count >= 10"}
      - {tier: medium, when: "amount >= 10"}
      - {tier: small}
""")
    assert isinstance(scorecard.tiering, RuleTiering)
    assert scorecard.tiering.hit == "unique"
    assert [r.tier for r in scorecard.tiering.rules] == ["big", "medium", "small"]
    assert scorecard.tiering.rules[-1].when is None
    assert scorecard.tiering.rules[0].when.text == "amount >= 100 and count >= 10"
    assert scorecard.scores == ()
    assert [t.code for t in scorecard.tiers] == ["big", "medium", "small"]


# ---------------------------------------------------------------- components


def test_component_max_points_per_method() -> None:
    scorecard = load("""\
score:
  components:
    - {name: by_map, input: grade, map: {x: 3, y: 9, z: 1}}
    - name: by_bands
      input: amount
      bands: [{from: 100, points: 20}, {from: 50, to: 100, points: 12}, {to: 50, points: 4}]
    - {name: by_linear_up, input: amount, linear: {from: [0, 200], to: [0, 8]}}
    - {name: by_linear_down, input: amount, linear: {from: [0, 200], to: [6, 0]}}
    - {name: by_value_capped, input: amount, value: true}
    - {name: by_value_open, input: count, value: true}
    - {name: by_map_missing, input: grade, map: {x: 1, y: 2, z: 3}, missing: 7}
    - {name: by_value_missing, input: count, value: true, missing: 5}
""", LEVELS)
    max_points = {c.name: (c.method, c.max_points) for c in scorecard.components}
    assert max_points == {
        "by_map": ("map", 9.0),
        "by_bands": ("bands", 20.0),
        "by_linear_up": ("linear", 8.0),
        "by_linear_down": ("linear", 6.0),
        "by_value_capped": ("value", 200.0),  # the input's max
        "by_value_open": ("value", None),  # no max: no reasons can be given
        "by_map_missing": ("map", 7.0),  # `missing` points count as possible points
        "by_value_missing": ("value", None),
    }


def test_component_methods_keep_their_tables() -> None:
    scorecard = load("""\
score:
  components:
    - {name: by_map, input: flag, map: {true: 5, false: 0}}
    - {name: by_bands, input: amount, bands: [{above: 10, points: 2}, {upto: 10, points: 1}]}
    - {name: by_linear, input: amount, linear: {from: [10, 110], to: [0, 4]}}
""", LEVELS)
    by_map, by_bands, by_linear = scorecard.components
    assert by_map.map_points == ((True, 5.0), (False, 0.0))
    assert by_bands.bands == ((Range(10.0, False, math.inf, False), 2.0), (Range(-math.inf, False, 10.0, True), 1.0))
    assert by_linear.linear == (10.0, 110.0, 0.0, 4.0)
    assert [c.output_column for c in scorecard.components] == ["points_by_map", "points_by_bands", "points_by_linear"]


def test_defaults() -> None:
    scorecard = load(ONE_SCORE, LEVELS)
    score = scorecard.score("score")
    component = score.components[0]
    assert (score.combine, score.round, score.output_column) == ("sum", None, "score")
    assert (component.weight, component.missing, component.score) == (1.0, None, "score")
    assert scorecard.passthrough == "all"
    assert (scorecard.overrides, scorecard.actions, scorecard.derived) == ((), (), ())
    assert (scorecard.name, scorecard.version, scorecard.key) == ("sample", 4, "id")
    flag = scorecard.input("flag")
    assert (flag.type, flag.required, flag.default, flag.unique) == ("bool", False, False, False)
    assert scorecard.input("amount").max == 200.0 and scorecard.input("amount").min == 0.0


def test_weight_round_missing_and_passthrough_list() -> None:
    scorecard = load("""\
passthrough: [id, region]
score:
  combine: mean
  round: 1
  components:
    - {name: a, input: amount, value: true, weight: 2.5, missing: 0}
    - {name: c, input: count, value: true}
""", LEVELS)
    score = scorecard.score("score")
    assert (score.combine, score.round) == ("mean", 1)
    assert [(c.weight, c.missing) for c in score.components] == [(2.5, 0.0), (1.0, None)]
    assert scorecard.passthrough == ("id", "region")


def test_base_other_reasons_count_and_output_flags() -> None:
    """SPEC §2.2, §4: `base` on a sum, `other` beside a map (it counts toward the component's
    max), `reasons: {count}`, `output: {points, reasons}`; defaults none, none, 3, true, true."""
    scorecard = load("""\
score:
  base: 600
  components:
    - {name: g, input: grade, map: {x: 1, y: 2}, other: 9}
    - {name: f, input: flag, map: {true: 4}, other: -1}
reasons: {count: 7}
output: {points: false}
""", LEVELS)
    score = scorecard.score("score")
    assert score.base == 600.0
    assert [(c.other, c.max_points) for c in score.components] == [(9.0, 9.0), (-1.0, 4.0)]
    output = scorecard.output
    assert (output.points, output.reasons, output.reason_count, output.computed_reasons) == (False, True, 7, 7)
    plain = load(ONE_SCORE, LEVELS)
    assert (plain.score("score").base, plain.components[0].other) == (None, None)
    assert (plain.output.points, plain.output.reasons, plain.output.reason_count) == (True, True, 3)
    lean = load(ONE_SCORE, "output: {reasons: false}\n", LEVELS)
    assert lean.output.computed_reasons == 0


@pytest.mark.parametrize(("parts", "says"), [
    (("score:\n  combine: max\n  base: 5\n  components: [{name: a, input: amount, value: true}]\n",),
     "'base' is added to a sum"),
    (("score:\n  components: [{name: a, input: amount, value: true, other: 3}]\n",), "it needs 'map'"),
    ((ONE_SCORE, "reasons: {count: 11}\n"), "less than or equal to 10"),
    ((ONE_SCORE, "reasons: {count: 2.5}\n"), "valid integer"),
    ((ONE_SCORE, "reasons: {count: 2}\noutput: {reasons: false}\n"), "output: {reasons: false}"),
], ids=["base-with-max", "other-without-map", "count-11", "count-not-an-integer", "count-without-the-column"])
def test_base_other_and_reasons_misuse(parts: tuple[str, ...], says: str) -> None:
    assert says in problem(*parts, LEVELS).detail


def test_names_are_case_sensitive_identifiers() -> None:
    """`L`, `E`, `C` (the LEC register's own columns) name inputs and components; `_x` is fine."""
    scorecard = load_scorecard_text(HEAD + """\
inputs:
  id: {type: string}
  L: {type: float}
  low: {type: float}
  _E: {type: float}
score:
  combine: product
  components:
    - {name: L, input: L, value: true}
    - {name: l_small, input: low, value: true}
    - {name: E, input: _E, value: true}
derived:
  Dx: "L * 2"
""" + LEVELS)
    assert [c.output_column for c in scorecard.components] == ["points_L", "points_l_small", "points_E"]
    assert scorecard.derived[0].name == "Dx"


@pytest.mark.parametrize(("parts", "says"), [
    (("scorecard: Sample\nversion: 1\nkey: id\n", INPUTS, ONE_SCORE, LEVELS),
     "^[a-z][a-z0-9_]*$"),
    ((HEAD, INPUTS, "  bad name: {type: int}\n", ONE_SCORE, LEVELS), "name 'bad name' must match ^[A-Za-z_][A-Za-z0-9_]*$"),
    ((HEAD, INPUTS, "scores:\n  Or: {components: [{name: a, input: amount, value: true}]}\n", LEVELS),
     "score name 'Or' is an expression keyword"),
    ((HEAD, INPUTS, "score:\n  components:\n    - {name: c, input: amount, value: true}\n"
      "    - {name: C, input: count, value: true}\n", LEVELS),
     "'points_C', which differs only in case from 'points_c'"),
    ((HEAD, INPUTS, ONE_SCORE, LEVELS, "derived:\n  Score: 'amount * 2'\n"),
     "derived column 'Score' writes 'Score', which differs only in case from 'score' (the column of score 'score')"),
    ((HEAD, INPUTS, "passthrough: [id, grade]\n", ONE_SCORE, LEVELS, "derived:\n  GRADE: 'amount * 2'\n"),
     "'GRADE', which differs only in case from 'grade' (a passthrough column)"),
], ids=["scorecard-id-upper-case", "input-with-a-space", "keyword-score", "points-columns", "derived-and-score",
        "derived-and-passthrough"])
def test_name_problems(parts: tuple[str, ...], says: str) -> None:
    with pytest.raises(ScorecardError) as caught:
        load_scorecard_text("".join(parts))
    assert says in caught.value.detail


def test_a_case_clash_with_an_unwritten_column_is_no_clash() -> None:
    """`points: false` writes no points columns; a passthrough list without `grade` does not write it."""
    load(ONE_SCORE.replace("amount_points", "c") + "    - {name: C, input: count, value: true}\n",
         "output: {points: false}\n", LEVELS)
    load("passthrough: [id]\n", ONE_SCORE, LEVELS, "derived:\n  GRADE: 'amount * 2'\n")


def test_passthrough_must_include_the_key() -> None:
    error = problem("passthrough: [region]\n", ONE_SCORE, LEVELS)
    assert "passthrough must include the key column 'id'" in error.detail


@pytest.mark.parametrize("component", [
    "{name: g, input: grade, map: {x: 1, y: .nan, z: 3}}",
    "{name: a, input: amount, bands: [{from: 10, points: .nan}, {to: 10, points: 1}]}",
    "{name: a, input: amount, value: true, missing: .nan}",
], ids=["map", "bands", "missing"])
def test_nan_points_are_refused(component: str) -> None:
    problem(f"score:\n  components:\n    - {component}\n", LEVELS)


# ---------------------------------------------------------------- several scores and `by`


def test_scores_write_score_name_columns() -> None:
    scorecard = load("""\
scores:
  value:
    components: [{name: v, input: amount, value: true}]
  volume:
    combine: max
    components: [{name: n, input: count, value: true}]
tiers:
  by: volume
  levels: [{tier: big, from: 10}, {tier: small, to: 10}]
""")
    assert [(s.name, s.output_column, s.combine) for s in scorecard.scores] == [
        ("value", "score_value", "sum"), ("volume", "score_volume", "max")]
    assert [c.score for c in scorecard.components] == ["value", "volume"]
    assert isinstance(scorecard.tiering, LevelTiering)
    assert (scorecard.tiering.by, scorecard.tiering.by_score) == ("volume", True)


def test_by_defaults_to_the_only_score() -> None:
    assert load(ONE_SCORE, LEVELS).tiering.by == "score"
    only = load("scores:\n  risk:\n    components: [{name: v, input: amount, value: true}]\n", LEVELS)
    assert (only.tiering.by, only.tiering.by_score, only.scores[0].output_column) == ("risk", True, "score_risk")


def test_by_may_name_a_numeric_input() -> None:
    scorecard = load("tiers:\n  by: count\n  levels: [{tier: many, from: 3}, {tier: few, to: 3}]\n")
    assert (scorecard.tiering.by, scorecard.tiering.by_score) == ("count", False)
    assert scorecard.scores == ()


def test_levels_without_a_score_need_by() -> None:
    error = problem(LEVELS)
    assert "levels need 'by'" in error.detail


# ---------------------------------------------------------------- ranges

# (bounds, value, contained): each bound word on its own boundary and just beside it
RANGE_CASES = [
    ({"from_": 75}, 75, True), ({"from_": 75}, 74.999, False), ({"from_": 75}, 1e300, True),
    ({"above": 75}, 75, False), ({"above": 75}, 75.001, True),
    ({"to": 75}, 75, False), ({"to": 75}, 74.999, True), ({"to": 75}, -1e300, True),
    ({"upto": 75}, 75, True), ({"upto": 75}, 75.001, False),
    ({"from_": 40, "to": 75}, 40, True), ({"from_": 40, "to": 75}, 75, False),
    ({"above": 40, "upto": 75}, 40, False), ({"above": 40, "upto": 75}, 75, True),
    ({"from_": 5, "upto": 5}, 5, True), ({}, 0, True), ({}, -math.inf, True),
]


@pytest.mark.parametrize(("bounds", "value", "contained"), RANGE_CASES,
                         ids=[f"{b}-{v}" for b, v, _ in RANGE_CASES])
def test_range_contains_exact_boundaries(bounds: dict, value: float, contained: bool) -> None:
    assert in_range(Range.from_bounds(**bounds), value) is contained


def test_levels_are_read_with_the_four_bound_words() -> None:
    scorecard = load(ONE_SCORE, """\
tiers:
  levels:
    - {tier: top, above: 320}
    - {tier: high, above: 160, upto: 320}
    - {tier: mid, from: 20, upto: 160}
    - {tier: low, to: 20}
""")
    levels = scorecard.tiering.levels
    assert [lv.range.text() for lv in levels] == ["(320, +inf)", "(160, 320]", "[20, 160]", "(-inf, 20)"]
    for value, tier in [(320, "high"), (320.5, "top"), (160, "mid"), (160.5, "high"), (20, "mid"), (19.99, "low"), (-5, "low")]:
        assert [lv.tier for lv in levels if in_range(lv.range, value)] == [tier], value


def test_source_overlap_resolved_upward_gives_each_value_one_level() -> None:
    levels = load(ONE_SCORE, LEVELS).tiering.levels
    for value, tier in [(75, "high"), (74.999, "mid"), (40, "mid"), (39.999, "low"), (0, "low"), (1e9, "high")]:
        assert [lv.tier for lv in levels if in_range(lv.range, value)] == [tier], value
    assert [lv.line for lv in levels] == [17, 18, 19]


def test_empty_and_bounded_ranges() -> None:
    assert Range.from_bounds(from_=5, to=5).is_empty()
    assert Range.from_bounds(above=5, upto=5).is_empty()
    assert not Range.from_bounds(from_=5, upto=5).is_empty()
    assert Range.from_bounds(to=5).bounded_above and not Range.from_bounds(to=5).bounded_below


# ---------------------------------------------------------------- scale


def test_scale_factors_multiply_every_boundary() -> None:
    scorecard = load(ONE_SCORE, """\
tiers:
  scale: {column: region, factors: {north: 1, south: 0.5}}
  levels:
    - {tier: high, from: 100}
    - {tier: low, to: 100}
""")
    scale = scorecard.tiering.scale
    assert (scale.column, scale.factors) == ("region", (("north", 1.0), ("south", 0.5)))
    high, low = scorecard.tiering.levels
    assert in_range(high.range, 100, factor=1.0) and not in_range(high.range, 99, factor=1.0)
    assert in_range(high.range, 50, factor=0.5) and not in_range(high.range, 49.9, factor=0.5)
    assert in_range(low.range, 49.9, factor=0.5) and not in_range(low.range, 50, factor=0.5)


def test_scale_on_a_bool_column() -> None:
    scorecard = load(ONE_SCORE, "tiers:\n  scale: {column: flag, factors: {true: 2, false: 1}}\n"
                                "  levels: [{tier: high, from: 10}, {tier: low, to: 10}]\n")
    assert scorecard.tiering.scale.factors == ((True, 2.0), (False, 1.0))


@pytest.mark.parametrize(("scale", "says"), [
    ("{column: region, factors: {west: 2}}", "'west' is not one of the values of 'region'"),
    ("{column: region, factors: {north: 0}}", "factor must be a positive number"),
    ("{column: amount, factors: {1.5: 2}}", "must be a category, int, bool or string input"),
    ("{column: nowhere, factors: {a: 2}}", "scale column 'nowhere' is not a declared input"),
    ("{column: count, factors: {one: 2}}", "'one' is not a int like 'count'"),
], ids=["value-not-in-category", "zero-factor", "float-column", "unknown-column", "key-type"])
def test_scale_problems(scale: str, says: str) -> None:
    error = problem(ONE_SCORE, f"tiers:\n  scale: {scale}\n  levels: [{{tier: high, from: 10}}, {{tier: low, to: 10}}]\n")
    assert says in error.detail
    assert error.line == 16


def test_scale_applies_to_levels_only() -> None:
    error = problem("tiers:\n  scale: {column: region, factors: {north: 1}}\n  rules: {levels: [{tier: all}]}\n")
    assert "'scale' applies to 'levels' tiers only" in error.detail


# ---------------------------------------------------------------- actions, derived, input types


def test_actions_columns_in_tier_order_and_derived_reads_them() -> None:
    scorecard = load(ONE_SCORE, LEVELS, """\
actions:
  low: {rate: 0, cycle: yearly}
  high: {rate: 0.5, cycle: monthly}
  mid: {rate: 1, cycle: quarterly}
derived:
  provision: "amount * rate"
  flagged: "provision > 10 or cycle == 'monthly'"
""")
    assert [(a.name, a.type, a.values) for a in scorecard.actions] == [
        ("rate", "float", (0.5, 1.0, 0.0)), ("cycle", "string", ("monthly", "quarterly", "yearly"))]
    assert [(d.name, d.expression.type) for d in scorecard.derived] == [("provision", "number"), ("flagged", "bool")]


def test_input_value_types_seen_by_expressions() -> None:
    scorecard = load_scorecard_text(HEAD + """\
inputs:
  id: {type: string}
  n: {type: int}
  f: {type: float}
  b: {type: bool}
  d: {type: date}
  t: {type: timestamp}
  c_text: {type: category, values: [a, b]}
  c_num: {type: category, values: [1, 2.5]}
  c_bool: {type: category, values: [true, false]}
tiers:
  by: n
  levels: [{tier: one, from: 1}, {tier: none, to: 1}]
""")
    assert {i.name: i.value_type for i in scorecard.inputs} == {
        "id": "text", "n": "number", "f": "number", "b": "bool", "d": "time", "t": "time",
        "c_text": "text", "c_num": "number", "c_bool": "bool"}


# ---------------------------------------------------------------- errors and files


def test_load_raises_the_first_problem_with_its_line() -> None:
    error = problem(ONE_SCORE, LEVELS.replace("from: 40, to: 75", "from: 40, upto: 75"))
    assert error.source == "<scorecard>" and error.line == 17
    assert str(error).startswith("<scorecard>:17: tiers.levels[0]: level mid [40, 75] and high [75, +inf) overlap at 75")


def test_check_scorecard_collects_every_problem(tmp_path) -> None:
    path = tmp_path / "card.yaml"
    path.write_text(HEAD + INPUTS + ONE_SCORE + LEVELS.replace("from: 75", "from: 80").replace("to: 40", "from: 0, to: 40")
                    + "overrides:\n  - {name: o, when: nowhere, tier: high}\n", encoding="utf-8")
    scorecard, errors = check_scorecard(path)
    assert scorecard is None
    assert [(e.source, e.line) for e in errors] == [(str(path), 17), (str(path), 21)]
    assert "gap between level mid" in errors[0].detail and "unknown name 'nowhere'" in errors[1].detail
    with pytest.raises(ScorecardError):
        load_scorecard(path)


def test_load_scorecard_reads_a_file_and_hashes_it(tmp_path) -> None:
    path = tmp_path / "card.yaml"
    path.write_text(HEAD + INPUTS + ONE_SCORE + LEVELS, encoding="utf-8")
    scorecard = load_scorecard(path)
    assert scorecard.source == str(path)
    assert len(scorecard.sha256) == 64
    assert scorecard.sha256 == load_scorecard_text(path.read_text(encoding="utf-8")).sha256


def test_a_case_clash_with_a_reserved_column_names_the_users_line() -> None:
    with pytest.raises(ScorecardError) as caught:
        load("  Tier_Rank: {type: int}\n", ONE_SCORE, LEVELS)
    assert caught.value.line == 12 and "differs only in case from 'tier_rank'" in caught.value.detail
