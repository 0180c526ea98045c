"""Hand-worked examples: the oracle and the kernels must both give these literal answers.

The random comparison in test_kernels_oracle.py shows the two agree; these show that what they
agree on is SPEC §2: the equipment_abc scorecard of the SPEC on hand-picked rows, a decision
table, and the three-valued logic of expressions. The last tests pin compiler bugs that were fixed.
"""

from __future__ import annotations

import math
from typing import Any

import pyarrow as pa
import pytest

from kernel_rows import kernel_results
from oracle import RowResult, evaluate_row
from spec_example import SPEC_SCORECARD
from tierline.scorecard.load import load_scorecard_text
from tierline.scorecard.model import Scorecard

T, F, N = True, False, None

EQUIPMENT_ABC = SPEC_SCORECARD


def both(scorecard: Scorecard, columns: dict[str, pa.Array]) -> list[tuple[RowResult, RowResult]]:
    """(oracle, kernels) for every row of the table."""
    table = pa.table(columns)
    rows = table.to_pylist()
    return list(zip([evaluate_row(scorecard, row) for row in rows], kernel_results(scorecard, table)))


def check_both(results: list[tuple[RowResult, RowResult]], field: str, expected: list[Any]) -> None:
    for side, index in (("oracle", 0), ("kernels", 1)):
        got = [getattr(pair[index], field) for pair in results]
        assert got == expected, f"{side} {field}: {got} != {expected}"
        # == treats True as 1.0: check the kinds too
        assert [type(g) for g in got] == [type(e) for e in expected], f"{side} {field} types: {got}"


# ------------------------------------------------------------------ SPEC §2: equipment_abc


def test_equipment_abc_rows() -> None:
    scorecard = load_scorecard_text(EQUIPMENT_ABC)
    results = both(scorecard, {
        "equipment_id": pa.array([f"EQ{i}" for i in range(10)]),
        "production_impact": pa.array(["shutdown", "auxiliary", "shutdown", "shutdown", "ordinary",
                                       "unknown", None, "ordinary", "ordinary", "shutdown"]),
        "original_value_10k": pa.array([120.0, 49.99, 10.0, 10.0, 60.0, 60.0, 60.0, None, -5.0, 100.0]),
        "utilisation_pct": pa.array([80.0, None, 100.0, 90.0, 40.0, 40.0, 40.0, 40.0, 150.0, math.nan]),
        "special_equipment": pa.array([None, False, False, False, True, True, None, None, None, None]),
    })
    # 0: 25 + 15 + 8 = 48 → B; only utilisation falls short (10 − 8)
    # 1: 10 + 5 + missing 0 = 15 → C; shortfalls impact 15, value 10, utilisation 10 (tie: listed order)
    # 2: 25 + 5 + 10 = 40, exactly B's `from` → B
    # 3: 25 + 5 + 9 = 39 → C
    # 4: special_equipment: the override, whatever the score (15 + 10 + 4 = 29)
    # 5: an unmapped category is invalid, even when an override catches the row
    # 6: a null category is invalid (not_null); the null score it causes adds no score:not_null
    # 7: a null band input is invalid
    # 8: 15 + 5 + 10 = 30: −5 is in {to: 50} (min: 0 is validation's business); 150 is clipped to 100
    # 9: 100 is in {from: 100}; NaN utilisation is null and takes missing: 0
    check_both(results, "errors", [set(), set(), set(), set(), set(), {"production_impact:unmapped"},
                                   {"production_impact:not_null"}, {"original_value_10k:not_null"}, set(), set()])
    valid = [results[i] for i in (0, 1, 2, 3, 4, 8, 9)]
    check_both(valid, "scores", [{"score": 48.0}, {"score": 15.0}, {"score": 40.0}, {"score": 39.0},
                                 {"score": 29.0}, {"score": 30.0}, {"score": 40.0}])
    check_both(valid, "tier", ["B", "C", "B", "C", "A", "C", "B"])
    check_both(valid, "override", [None, None, None, None, "direct_designation", None, None])
    check_both(valid, "reasons", [["utilisation"], ["impact", "value", "utilisation"], ["value"],
                                  ["value", "utilisation"], [], ["impact", "value"], ["utilisation"]])
    check_both(valid, "points", [
        {"impact": 25.0, "value": 15.0, "utilisation": 8.0},
        {"impact": 10.0, "value": 5.0, "utilisation": 0.0},
        {"impact": 25.0, "value": 5.0, "utilisation": 10.0},
        {"impact": 25.0, "value": 5.0, "utilisation": 9.0},
        {"impact": 15.0, "value": 10.0, "utilisation": 4.0},
        {"impact": 15.0, "value": 5.0, "utilisation": 10.0},
        {"impact": 25.0, "value": 15.0, "utilisation": 0.0},
    ])
    check_both(valid, "actions", [
        {"review_cycle": "quarterly", "owner": "workshop"},
        {"review_cycle": "yearly", "owner": "team"},
        {"review_cycle": "quarterly", "owner": "workshop"},
        {"review_cycle": "yearly", "owner": "team"},
        {"review_cycle": "monthly", "owner": "plant"},
        {"review_cycle": "yearly", "owner": "team"},
        {"review_cycle": "quarterly", "owner": "workshop"},
    ])
    # overrides are evaluated for every row, the invalid ones too
    assert [pair[1].override for pair in results[5:7]] == ["direct_designation", None]


CREDIT_CARD = """\
scorecard: credit_card
version: 1
key: id
inputs:
  id: {type: string}
  purpose: {type: string}
  owner: {type: bool}
  term: {type: int}
  age: {type: float}
  income: {type: float}
score:
  combine: sum
  base: 500.5
  round: 0
  components:
    - {name: purpose, input: purpose, map: {car: 10, house: 20}, other: 5}
    - {name: owner, input: owner, map: {true: 8}, other: 2, missing: 1}
    - {name: Term, input: term, map: {12: 9, 36: 3}, other: 0}
    - {name: age, input: age, bands: [{to: 30, points: 1}, {from: 30, points: 12}]}
    - {name: income, input: income, linear: {from: [0, 100], to: [0, 30]}}
reasons: {count: 5}
tiers:
  levels:
    - {tier: A, from: 560}
    - {tier: B, to: 560}
"""


def test_base_other_and_five_reasons() -> None:
    """A credit card: 500.5 base points, fallback bins (`other`), five reasons (SPEC §2.2, §4)."""
    scorecard = load_scorecard_text(CREDIT_CARD)
    results = both(scorecard, {
        "id": pa.array(["K0", "K1", "K2", "K3"]),
        "purpose": pa.array(["boat", "house", None, "car"]),
        "owner": pa.array([False, True, None, True]),
        "term": pa.array([24, 12, 36, 7], pa.int64()),
        "age": pa.array([25.0, 40.0, 40.0, 40.0]),
        "income": pa.array([0.0, 100.0, 50.0, 100.0]),
    })
    # K0: 500.5 + other 5 + other 2 + other 0 + 1 + 0 = 508.5 → round half away: 509 → B; all five fall short
    # K1: 500.5 + 20 + 8 + 9 + 12 + 30 = 579.5 → 580 → A, nothing short of its max
    # K2: a null purpose has no `missing` (invalid, not `other`); owner null takes missing 1
    # K3: 500.5 + 10 + 8 + other 0 + 12 + 30 = 560.5 → 561 → A; Term 9 short, purpose 10 short
    check_both(results, "errors", [set(), set(), {"purpose:not_null"}, set()])
    check_both(results, "scores", [{"score": 509.0}, {"score": 580.0}, {"score": None}, {"score": 561.0}])
    check_both(results, "reasons", [["income", "purpose", "age", "Term", "owner"], [], [], ["purpose", "Term"]])
    assert [r.points["owner"] for r, _ in results] == [2.0, 8.0, 1.0, 8.0]


def test_rounding_and_scaled_levels() -> None:
    scorecard = load_scorecard_text("""
scorecard: scaled
version: 1
key: id
inputs:
  id: {type: string}
  amount: {type: float}
  region: {type: category, values: [city, rural]}
score:
  combine: mean
  round: 2
  components:
    - {name: amount, input: amount, value: true, weight: 2}
tiers:
  scale: {column: region, factors: {city: 2}}
  levels:
    - {tier: high, above: 10}
    - {tier: low, upto: 10}
""")
    results = both(scorecard, {
        "id": pa.array(["a", "b", "c", "d", "e", "f", "g", "h"]),
        "amount": pa.array([2.675, -2.675, 20.0, 20.004, 20.005, 10.0, 5.0, None]),
        "region": pa.array(["city", "city", "city", "city", "city", "rural", None, "city"]),
    })
    # 2.675 is stored as 2.67499999…: `round` still takes it for the half and goes away from zero.
    # city doubles the boundaries: 20 is `upto: 20` → low; 20.004 rounds to 20.0 → low; 20.005 → 20.01 → high.
    # rural is no listed factor, and a null region has none: tier:no_scale. A null amount is invalid.
    check_both(results, "errors", [set()] * 5 + [{"tier:no_scale"}, {"tier:no_scale"}, {"amount:not_null"}])
    check_both(results[:5], "scores", [{"score": 2.68}, {"score": -2.68}, {"score": 20.0}, {"score": 20.0}, {"score": 20.01}])
    check_both(results[:5], "tier", ["low", "low", "low", "low", "high"])
    check_both(results[:5], "reasons", [[]] * 5)  # value: true on an input without max gives no reason


# ------------------------------------------------------------------ decision tables


def test_rules_first_hit_with_catch_all() -> None:
    scorecard = load_scorecard_text("""
scorecard: loans
version: 1
key: id
inputs:
  id: {type: string}
  overdue_days: {type: int}
  grade: {type: category, values: [AAA, BB, C]}
  watch: {type: bool, default: false}
tiers:
  rules:
    hit: first
    levels:
      - {tier: loss, when: "overdue_days > 180"}
      - {tier: doubtful, when: "overdue_days > 90 or grade == 'C'"}
      - {tier: special, when: "watch or overdue_days > 0"}
      - {tier: normal}
""")
    results = both(scorecard, {
        "id": pa.array([str(i) for i in range(8)]),
        "overdue_days": pa.array([200, 91, 90, 90, 0, None, None, None], pa.int64()),
        "grade": pa.array(["C", "AAA", "C", "AAA", "AAA", "BB", "C", "BB"]),
        "watch": pa.array([True, False, False, False, None, False, False, True]),
    })
    # null overdue_days: `null > 90 or false` is unknown, so false; `true or null` is true
    check_both(results, "tier", ["loss", "doubtful", "doubtful", "special", "normal", "normal", "doubtful", "special"])
    check_both(results, "errors", [set()] * 8)
    check_both(results, "reasons", [[]] * 8)


def test_rules_unique_hit_without_catch_all() -> None:
    scorecard = load_scorecard_text("""
scorecard: watchlist
version: 1
key: id
inputs:
  id: {type: string}
  overdue_days: {type: int}
  watch: {type: bool}
overrides:
  - {name: fraud, when: "overdue_days >= 1000", tier: F, label: fraud review}
tiers:
  rules:
    hit: unique
    levels:
      - {tier: high, when: "overdue_days >= 90"}
      - {tier: mid, when: "overdue_days >= 30 and overdue_days < 90"}
      - {tier: flagged, when: "watch"}
actions:
  F: {review_days: 1}
  high: {review_days: 7}
  mid: {review_days: 30}
  flagged: {review_days: 30}
""")
    results = both(scorecard, {
        "id": pa.array([str(i) for i in range(8)]),
        "overdue_days": pa.array([100, 100, 10, 10, None, 30, 89, 1000], pa.int64()),
        "watch": pa.array([False, True, False, True, None, False, False, True]),
    })
    check_both(results, "errors", [set(), {"tier:ambiguous"}, {"tier:no_rule"}, set(), {"tier:no_rule"},
                                   set(), set(), set()])
    valid = [results[i] for i in (0, 3, 5, 6, 7)]
    check_both(valid, "tier", ["high", "flagged", "mid", "mid", "F"])  # an override-only tier, ranked first
    check_both(valid, "override", [None, None, None, None, "fraud"])
    check_both(valid, "actions", [{"review_days": 7}, {"review_days": 30}, {"review_days": 30},
                                  {"review_days": 30}, {"review_days": 1}])
    assert [t.code for t in scorecard.tiers] == ["F", "high", "mid", "flagged"]


# ------------------------------------------------------------------ three-valued logic

LOGIC = {
    # p, q run through (T, F, null) × (T, F, null); x, y and s as listed below
    "p_and_q": ("p and q", [T, F, N, F, F, F, N, F, N]),
    "p_or_q": ("p or q", [T, T, T, T, F, N, T, N, N]),
    "not_p": ("not p", [F, F, F, T, T, T, N, N, N]),
    "p_is_true": ("p == true", [T, T, T, F, F, F, N, N, N]),
    "x_in": ("x in [1, 2]", [T, T, F, N, N, T, F, F, N]),
    "x_not_in": ("x not in [1, 2]", [F, F, T, N, N, F, T, T, N]),
    "x_in_null": ("x in [1, null]", [T, N, N, N, N, T, N, N, N]),
    "x_not_in_null": ("x not in [1, null]", [F, N, N, N, N, F, N, N, N]),
    "x_is_null": ("x is null", [F, F, F, T, T, F, F, F, T]),
    "x_is_not_null": ("x is not null", [T, T, T, F, F, T, T, T, F]),
    "x_lt_y": ("x < y", [T, F, N, N, N, F, F, T, N]),
    "x_eq_null": ("x == null", [N, N, N, N, N, N, N, N, N]),
    "ratio": ("x / y", [0.5, N, N, N, N, -1.0, N, -0.5, N]),
    "ratio_is_null": ("(x / y) is null", [F, T, T, T, T, F, T, F, T]),
    "sum": ("-x + y", [1.0, -2.0, N, N, N, -2.0, 0.0, 6.0, N]),
    "null_plus": ("x + null", [N] * 9),
    "mixed": ("not (x < y) or p", [T, T, T, N, N, T, T, N, N]),
    "s_not_a": ("s != 'a'", [F, T, N, T, F, T, N, F, T]),
    "s_in_a_null": ("s in ['a', null]", [T, N, N, N, T, N, N, T, N]),
    "s_not_in_a": ("s not in ['a']", [F, T, N, T, F, T, N, F, T]),
}


def test_expression_null_logic() -> None:
    derived = "\n".join(f"  {name}: \"{text}\"" for name, (text, _) in LOGIC.items())
    scorecard = load_scorecard_text(f"""
scorecard: logic
version: 1
key: id
inputs:
  id: {{type: string}}
  p: {{type: bool}}
  q: {{type: bool}}
  x: {{type: float}}
  y: {{type: float}}
  s: {{type: category, values: [a, b]}}
tiers:
  rules:
    levels:
      - {{tier: all}}
derived:
{derived}
""")
    results = both(scorecard, {
        "id": pa.array([str(i) for i in range(9)]),
        "p": pa.array([T, T, T, F, F, F, N, N, N]),
        "q": pa.array([T, F, N, T, F, N, T, F, N]),
        "x": pa.array([1.0, 2.0, 3.0, None, math.nan, 1.0, 0.0, -2.0, None]),
        "y": pa.array([2.0, 0.0, None, 1.0, 0.0, -1.0, 0.0, 4.0, None]),
        "s": pa.array(["a", "b", None, "zz", "a", "b", None, "a", "zz"]),  # zz: outside the category
    })
    check_both(results, "errors", [set()] * 9)
    for name, (text, expected) in LOGIC.items():
        for side, index in (("oracle", 0), ("kernels", 1)):
            got = [pair[index].derived[name] for pair in results]
            assert got == expected and [type(g) for g in got] == [type(e) for e in expected], \
                f"{side}: {text} gave {got}, expected {expected}"


FUNCTIONS = {  # over the rows of test_expression_null_logic (x, y, p)
    "sqrt_x": ("sqrt(x)", [1.0, math.sqrt(2.0), math.sqrt(3.0), N, N, 1.0, 0.0, N, N]),
    "ln_x": ("ln(x)", [0.0, math.log(2.0), math.log(3.0), N, N, 0.0, N, N, N]),
    "log10_50y": ("log10(y * 50)", [2.0, N, N, math.log10(50.0), N, N, N, math.log10(200.0), N]),
    "exp_1000x": ("exp(x * 1000)", [N, N, N, N, N, N, 1.0, 0.0, N]),  # e^1000 is past float64
    "abs_y": ("abs(y)", [2.0, 0.0, N, 1.0, 0.0, 1.0, 0.0, 4.0, N]),
    "floor_x_y": ("floor(x / y)", [0.0, N, N, N, N, -1.0, N, -1.0, N]),
    "ceil_x_y": ("CEIL(x / y)", [1.0, N, N, N, N, -1.0, N, 0.0, N]),
    "round_x3": ("round(x / 3, 2)", [0.33, 0.67, 1.0, N, N, 0.33, 0.0, -0.67, N]),
    "min_x_y": ("min(x, y)", [1.0, 0.0, N, N, N, -1.0, 0.0, -2.0, N]),
    "max_x_y_0": ("max(x, y, 0)", [2.0, 2.0, N, N, N, 1.0, 0.0, 4.0, N]),
    "clip_x": ("clip(x, 0, 2)", [1.0, 2.0, 2.0, N, N, 1.0, 0.0, 0.0, N]),
    "coalesce_x_y": ("coalesce(x, y, 9)", [1.0, 2.0, 3.0, 1.0, 0.0, 1.0, 0.0, -2.0, 9.0]),
    "coalesce_p": ("coalesce(p, x > 1)", [T, T, T, F, F, F, F, F, N]),
    # x * 1e309 overflows to ±inf: a function whose result is infinite gives null, one whose is not keeps it
    "exp_minus_inf": ("exp(-(x * 1e308 * 10))", [0.0, 0.0, 0.0, N, N, 0.0, 1.0, N, N]),
    "max_inf": ("max(x * 1e308 * 10, 0)", [N, N, N, N, N, N, 0.0, 0.0, N]),
    "clip_inf": ("clip(x * 1e308 * 10, 0, 1)", [1.0, 1.0, 1.0, N, N, 1.0, 0.0, 0.0, N]),
}


def test_expression_functions() -> None:
    derived = "\n".join(f"  {name}: \"{text}\"" for name, (text, _) in FUNCTIONS.items())
    scorecard = load_scorecard_text(f"""
scorecard: functions
version: 1
key: id
inputs:
  id: {{type: string}}
  p: {{type: bool}}
  x: {{type: float}}
  y: {{type: float}}
tiers:
  rules:
    levels:
      - {{tier: all}}
derived:
{derived}
""")
    results = both(scorecard, {
        "id": pa.array([str(i) for i in range(9)]),
        "p": pa.array([T, T, T, F, F, F, N, N, N]),
        "x": pa.array([1.0, 2.0, 3.0, None, math.nan, 1.0, 0.0, -2.0, None]),
        "y": pa.array([2.0, 0.0, None, 1.0, 0.0, -1.0, 0.0, 4.0, None]),
    })
    for name, (text, expected) in FUNCTIONS.items():
        for side, index in (("oracle", 0), ("kernels", 1)):
            got = [pair[index].derived[name] for pair in results]
            assert got == expected and [type(g) for g in got] == [type(e) for e in expected], \
                f"{side}: {text} gave {got}, expected {expected}"


# ------------------------------------------------------------------ compiler corner cases (two known bugs)

def _two_inputs(when: str) -> str:
    return f"""
scorecard: bug
version: 1
key: id
inputs:
  id: {{type: string}}
  a: {{type: float}}
  b: {{type: float}}
  s: {{type: string}}
tiers:
  rules:
    levels:
      - {{tier: Y, when: "{when}"}}
      - {{tier: N}}
"""


def _bug_table() -> dict[str, pa.Array]:
    return {"id": pa.array(["0", "1", "2"]), "a": pa.array([1.0, 1.0, None]), "b": pa.array([1.0, 2.0, 1.0]),
            "s": pa.array(["x", "y", None])}


def test_equality_of_two_columns() -> None:
    results = both(load_scorecard_text(_two_inputs("a == b")), _bug_table())
    check_both(results, "tier", ["Y", "N", "N"])


def test_text_literal_inside_an_in_operand() -> None:
    # 'x' appears only under the `in`: the compiler must still give it a code in s's vocabulary
    results = both(load_scorecard_text(_two_inputs("(s == 'x') in [true]")), _bug_table())
    check_both(results, "tier", ["Y", "N", "N"])


def test_text_literal_operand() -> None:
    results = both(load_scorecard_text(_two_inputs("'x' in ['x', 'y'] and s == 'x'")), _bug_table())
    check_both(results, "tier", ["Y", "N", "N"])


@pytest.mark.parametrize(("condition", "tiers"), [
    ("'x' == 'x' and s == 'x'", ["Y", "N", "N"]),
    ("'x' != 'y' and a == b", ["Y", "N", "N"]),
    ("null == 'x'", ["N", "N", "N"]),  # unknown counts as false
    ("not (null == 'x') is null", ["N", "N", "N"]),
    ("'z' not in ['x', null]", ["N", "N", "N"]),
])
def test_free_standing_text_literals(condition: str, tiers: list[str]) -> None:
    results = both(load_scorecard_text(_two_inputs(condition)), _bug_table())
    check_both(results, "tier", tiers)
