"""`tierline check`: a catalogue of broken scorecards, each one small mutation of a sound base.

Every broken case must exit 2 with one `<path>:<line>: ...` line per problem on stderr, the line of
the mistake, a message that names it (the boundary, the unknown name, the bad code) and no
traceback. Most cases call `tierline.cli.main` in-process; a handful run the real command.
"""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tierline.cli import main
from spec_example import SPEC_SCORECARD

REPO = Path(__file__).resolve().parents[2]

# The sound base every broken case mutates. Problem lines are located by a fragment of the line
# (see `_line_of`), so editing this text does not silently shift the expectations.
BASE = (
    SPEC_SCORECARD.replace("version: 2\n", "version: 1\n", 1)
    .replace("description: Oilfield equipment A/B/C, 100-point formula method", "description: Base for the check catalogue", 1)
    .replace("  special_equipment: {type: bool, default: false}\n",
             "  special_equipment: {type: bool, default: false}\n  site: {type: string}\n", 1)
    + 'derived:\n  high_value: "original_value_10k >= 100 and score > 50"\n'
)

LEVELS = """\
  levels:
    - {tier: A, label: A类设备, from: 75}
    - {tier: B, label: B类设备, from: 40, to: 75}
    - {tier: C, label: C类设备, to: 40}
"""

# D = L × E × C with every boundary in the lower band (`above` / `upto` throughout; the shipped
# lec_hazard reads them safety-first, with `from` / `to`) and an override-only tier that carries its
# own label.
LEC = """\
scorecard: lec_hazard
version: 1
key: hazard_id
inputs:
  hazard_id: {type: string, required: true}
  L: {type: float, values: [0.1, 0.2, 0.5, 1, 3, 6, 10], required: true}
  E: {type: float, values: [0.5, 1, 2, 3, 6, 10], required: true}
  C: {type: float, values: [1, 3, 7, 15, 40, 100], required: true}
  major_condition: {type: bool, default: false}
score:
  combine: product
  components:
    - {name: l, input: L, value: true}
    - {name: e, input: E, value: true}
    - {name: c, input: C, value: true}
overrides:
  - {name: major_condition, when: major_condition, tier: major, label: 重大隐患}
tiers:
  levels:
    - {tier: extreme, label: 极其危险, above: 320}
    - {tier: high, label: 高度危险, above: 160, upto: 320}
    - {tier: significant, label: 显著危险, above: 70, upto: 160}
    - {tier: general, label: 一般危险, above: 20, upto: 70}
    - {tier: low, label: 稍有危险, upto: 20}
"""


def edit(text: str, *edits: tuple[str, str]) -> str:
    """Apply (old, new) replacements; each `old` must occur exactly once, so a case cannot rot."""
    for old, new in edits:
        assert text.count(old) == 1, f"the edit {old!r} must match the base exactly once"
        text = text.replace(old, new)
    return text


def _line_of(text: str, fragment: str) -> int:
    """The 1-based line holding `fragment` (a leading ^ anchors it at the start of the line)."""
    if fragment.startswith("^"):
        hits = [n for n, line in enumerate(text.splitlines(), 1) if line.startswith(fragment[1:])]
    else:
        hits = [n for n, line in enumerate(text.splitlines(), 1) if fragment in line]
    assert len(hits) == 1, f"the fragment {fragment!r} must mark exactly one line, found {hits}"
    return hits[0]


@dataclass(frozen=True)
class Broken:
    edits: tuple[tuple[str, str], ...] = ()
    at: str | tuple[str, ...] = ""  # fragment(s) of the line the problem must name; any of them
    says: tuple[str, ...] = ()  # fragments of that problem's message
    problems: int | None = 1  # how many problem lines; None where follow-on problems are fair
    text: str | None = None  # the whole file instead of edits of BASE

    def render(self, tmp_path: Path) -> str:
        text = self.text if self.text is not None else edit(BASE, *self.edits)
        return text.replace("@TMP@", str(tmp_path))


def case(id: str, *edits: tuple[str, str], marks=(), **fields) -> pytest.param:
    return pytest.param(Broken(edits=edits, **fields), id=id, marks=marks)


REPLACE_LEVELS_WITH_RULES = (LEVELS, """\
  rules:
    hit: first
    levels:
      - {tier: A, label: A类设备, when: "score >= 75"}
      - {tier: B, label: B类设备}
      - {tier: C, label: C类设备}
""")

BROKEN = [
    # ---- levels: the contiguity lint (SPEC §2.5)
    case("levels-overlap-upto-from", ("from: 40, to: 75", "from: 40, upto: 75"),
         at=("tier: A,", "tier: B,"), says=("overlap at 75", "B [40, 75]", "A [75, +inf)")),
    case("levels-gap", ("{tier: A, label: A类设备, from: 75}", "{tier: A, label: A类设备, from: 80}"),
         at=("tier: A,", "tier: B,"), says=("gap", "[75, 80)")),
    case("levels-boundary-in-neither", ("{tier: A, label: A类设备, from: 75}", "{tier: A, label: A类设备, above: 75}"),
         at=("tier: A,", "tier: B,"), says=("boundary 75 belongs to neither", "A (75, +inf)", "B [40, 75)")),
    case("levels-lowest-bounded", ("{tier: C, label: C类设备, to: 40}", "{tier: C, label: C类设备, from: 0, to: 40}"),
         at="tier: C,", says=("lowest level C", "unbounded below")),
    case("levels-highest-bounded", ("{tier: A, label: A类设备, from: 75}", "{tier: A, label: A类设备, from: 75, upto: 100}"),
         at="tier: A,", says=("highest level A", "unbounded above")),
    case("levels-two-lower-bounds", ("{tier: C, label: C类设备, to: 40}", "{tier: C, label: C类设备, to: 40, upto: 30}"),
         at="tier: C,", says=("at most one upper bound",)),
    case("levels-nan-boundary", ("{tier: C, label: C类设备, to: 40}", "{tier: C, label: C类设备, to: .nan}"),
         at="tier: C,", says=("nan",), problems=None),
    # ---- bands
    case("bands-overlap", ("{from: 50, to: 100, points: 10}", "{from: 50, upto: 100, points: 10}"),
         at=("{from: 100, points", "{from: 50, upto: 100"), says=("overlap at 100",)),
    case("bands-gap", ("{from: 50, to: 100, points: 10}", "{from: 60, to: 100, points: 10}"),
         at=("{from: 60, to: 100", "{to: 50, points"), says=("gap", "[50, 60)")),
    case("bands-empty", ("{from: 50, to: 100, points: 10}", "{from: 100, to: 50, points: 10}"),
         at="{from: 100, to: 50", says=("band #2 is empty", "[100, 50)")),
    case("bands-on-string-input", ("input: original_value_10k", "input: site"),
         at="input: site", says=("'site' is string",)),
    case("bands-item-missing-points", ("{from: 100, points: 15}", "{from: 100}"),
         at="{from: 100}", says=("missing key 'points'",)),
    # ---- expressions (SPEC §2.4)
    case("when-unknown-name", ('when: "special_equipment"', 'when: "speciel_equipment"'),
         at="name: direct_designation", says=("unknown name 'speciel_equipment'", "column 1")),
    case("derived-unknown-name", ("original_value_10k >= 100 and score", "original_value_10k >= 100 and scor"),
         at="high_value:", says=("unknown name 'scor'", "column 31")),
    case("when-unknown-function", ('when: "special_equipment"', 'when: "len(site) > 3"'),
         at="name: direct_designation", says=("unknown function 'len'", "the functions are abs, sqrt", "column 1")),
    case("derived-function-arity", ('"original_value_10k >= 100 and score > 50"', '"exp(score, 2) > 1"'),
         at="high_value:", says=("exp takes 1 argument, not 2", "column 1")),
    case("derived-min-of-one", ('"original_value_10k >= 100 and score > 50"', '"min(score) > 1"'),
         at="high_value:", says=("min takes at least 2 arguments, not 1",)),
    case("when-function-of-bool", ('when: "special_equipment"', 'when: "abs(special_equipment) > 1"'),
         at="name: direct_designation", says=("abs takes numbers; argument 1 is bool", "column 1")),
    case("derived-function-of-text", ('"original_value_10k >= 100 and score > 50"', '"max(score, site) > 1"'),
         at="high_value:", says=("max takes numbers; argument 2 is text",)),
    case("derived-round-decimals", ('"original_value_10k >= 100 and score > 50"', '"round(score, 1.5)"'),
         at="high_value:", says=("round's second argument", "whole number literal 0 to 12", "column 14")),
    case("derived-clip-bounds", ('"original_value_10k >= 100 and score > 50"', '"clip(score, 100, 0)"'),
         at="high_value:", says=("clip's lower bound 100 is above its upper bound 0",)),
    case("derived-coalesce-types", ('"original_value_10k >= 100 and score > 50"', '"coalesce(score, special_equipment)"'),
         at="high_value:", says=("coalesce needs arguments of one type, not bool and number",)),
    case("when-coalesce-text", ('when: "special_equipment"', "when: \"coalesce(site, 'x') == 'x'\""),
         at="name: direct_designation", says=("coalesce does not take text",)),
    case("when-attribute", ('when: "special_equipment"', 'when: "site.upper == 1"'),
         at="name: direct_designation", says=("attributes are not allowed", "column 5")),
    case("when-single-equals", ('when: "special_equipment"', "when: \"site = 'north'\""),
         at="name: direct_designation", says=("write '=='", "column 6")),
    case("when-syntax-error-column", ('when: "special_equipment"', 'when: "special_equipment and (utilisation_pct > 3"'),
         at="name: direct_designation", says=("column 43", "expected ')'")),
    case("when-is-a-number", ('when: "special_equipment"', 'when: "utilisation_pct + 1"'),
         at="name: direct_designation", says=("is a number", "condition must be true or false")),
    case("when-orders-text", ('when: "special_equipment"', "when: \"site < 'm'\""),
         at="name: direct_designation", says=("'<' does not apply to text",)),
    case("derived-is-text", ('"original_value_10k >= 100 and score > 50"', '"owner"'),
         at="high_value:", says=("'owner' is text",)),
    # ---- tier codes (they become directory names)
    case("tier-code-slash", ("{tier: C, label", "{tier: C/x, label"), at="tier: C/x", says=("'C/x'", "must match")),
    case("tier-code-dotdot", ("{tier: C, label", "{tier: .., label"), at="tier: ..", says=("'..'", "must match")),
    case("tier-code-33-chars", ("{tier: C, label", "{tier: " + "C" * 33 + ", label"),
         at="C" * 33, says=("C" * 33, "must match")),
    case("tier-code-empty", ("{tier: C, label", "{tier: '', label"), at="tier: ''", says=("tier code ''", "must match")),
    case("tier-code-duplicate", ("{tier: C, label", "{tier: B, label"), ("  C: {review_cycle: yearly, owner: team}\n", ""),
         at="label: C类设备", says=("tier code 'B' is listed twice",)),
    case("tier-codes-differ-in-case", ("{tier: C, label", "{tier: a, label"), ("  C: {review", "  a: {review"),
         at="^tiers:", says=("'A' and 'a' differ only in case",)),
    # ---- components and scores
    case("weights-with-product", ("combine: sum", "combine: product"), ("missing: 0}", "missing: 0, weight: 2}"),
         at="name: utilisation", says=("weights must be 1 with combine: product",)),
    case("weight-zero", ("missing: 0}", "missing: 0, weight: 0}"),
         at="name: utilisation", says=("weight must be a positive number, not 0",)),
    case("weight-negative", ("missing: 0}", "missing: 0, weight: -2}"),
         at="name: utilisation", says=("weight must be a positive number, not -2",)),
    case("map-key-not-a-value", ("auxiliary: 10}", "auxilary: 10}"),
         at="name: impact", says=("map key 'auxilary'", "not one of the values")),
    case("map-on-float-input", ("input: production_impact, map", "input: utilisation_pct, map"),
         at="name: impact", says=("'map' needs a category",), problems=None),
    case("component-unknown-key-flow", ("missing: 0}", "missing: 0, wieght: 2}"),
         at="name: utilisation", says=("unknown key 'wieght'",)),
    case("component-unknown-key-block", ("      input: original_value_10k\n", "      input: original_value_10k\n      wieght: 2\n"),
         at="wieght: 2", says=("unknown key 'wieght'",)),
    case("component-two-methods", ("missing: 0}", "value: true}"),
         at="name: utilisation", says=("exactly one of map, bands, linear, value", "linear, value")),
    case("component-name-twice", ("{name: utilisation,", "{name: impact,"),
         at="linear: {from", says=("component name 'impact' is used twice",)),
    case("linear-decreasing", ("linear: {from: [0, 100]", "linear: {from: [100, 0]"),
         at="name: utilisation", says=("must be increasing",)),
    case("combine-unknown", ("combine: sum", "combine: total"), at="combine: total", says=("'total' is not allowed",)),
    case("score-and-scores", ("score:\n", "scores: {extra: {components: [{name: extra, input: utilisation_pct, value: true}]}}\nscore:\n"),
         at=("^score:", "^scores:"), says=("either 'score' or 'scores'",)),
    case("several-scores-without-by",
         ("score:\n  combine: sum\n  components:\n",
          "scores:\n  usage: {components: [{name: usage, input: utilisation_pct, value: true}]}\n"
          "  risk:\n   combine: sum\n   components:\n"),
         ("and score > 50", "and risk > 50"),
         at="^tiers:", says=("levels need 'by'",), problems=None),
    # ---- tiers
    case("levels-and-rules", ("tiers:\n", "tiers:\n  rules: {levels: [{tier: A}]}\n"),
         at="^tiers:", says=("exactly one of levels, rules", "found levels, rules")),
    case("rules-when-missing-not-last", REPLACE_LEVELS_WITH_RULES,
         at="{tier: B, label", says=("only the last rule may leave out 'when'",)),
    case("levels-by-unknown", ("tiers:\n", "tiers:\n  by: totl\n"), at="by: totl", says=("'totl'", "neither a score nor an input")),
    case("levels-by-text-input", ("tiers:\n", "tiers:\n  by: site\n"), at="by: site", says=("'site' must be int or float",)),
    case("scale-column-unknown", ("tiers:\n", "tiers:\n  scale: {column: sitee, factors: {north: 1.5}}\n"),
         at="scale:", says=("scale column 'sitee' is not a declared input",)),
    case("quantiles-top-missing", (LEVELS, "  by: score\n  quantiles:\n    - {tier: A}\n    - {tier: B, top: 0.5}\n    - {tier: C}\n"),
         at="- {tier: A}", says=("only the last quantile tier may leave out 'top'",)),
    case("quantiles-top-shrinks", (LEVELS, "  by: score\n  quantiles:\n    - {tier: A, top: 0.5}\n    - {tier: B, top: 0.2}\n    - {tier: C}\n"),
         at="- {tier: B, top: 0.2}", says=("must grow down the list", "0.2")),
    case("aggregate-by-not-key", ("passthrough: all\n", "passthrough: all\naggregate: {by: site, score: mean}\n"),
         at="^aggregate:", says=("aggregate by 'site'", "must be 'equipment_id'")),
    case("aggregate-method", ("passthrough: all\n", "passthrough: all\naggregate: {by: equipment_id, score: mode}\n"),
         at="^aggregate:", says=("mean", "median")),
    case("weighted-mean-without-weight", ("passthrough: all\n", "passthrough: all\naggregate: {by: equipment_id, score: weighted_mean}\n"),
         at="^aggregate:", says=("weighted_mean needs `weight: <column>`",)),
    case("weight-with-another-method", ("passthrough: all\n", "passthrough: all\naggregate:\n  by: equipment_id\n  score: mean\n  weight: original_value_10k\n"),
         at="weight: original_value_10k", says=("weight applies to `score: weighted_mean` only", "combines by mean")),
    case("weight-not-an-input", ("passthrough: all\n", "passthrough: all\naggregate: {by: equipment_id, score: weighted_mean, weight: reviewer_wt}\n"),
         at="^aggregate:", says=("weight 'reviewer_wt' is not a declared input",)),
    case("weight-not-numeric", ("passthrough: all\n", "passthrough: all\naggregate:\n  by: equipment_id\n  score: weighted_mean\n  weight: site\n"),
         at="weight: site", says=("weight 'site' is a string input", "int or float")),
    # ---- overrides and actions
    case("override-only-tier-without-label", ("tier: A}", "tier: S}"), ("actions:\n", "actions:\n  S: {review_cycle: daily, owner: hq}\n"),
         at="name: direct_designation", says=("override tier 'S'", "needs its own 'label'")),
    case("actions-missing-a-tier", ("  C: {review_cycle: yearly, owner: team}\n", ""),
         at="^actions:", says=("must list every tier", "missing: C")),
    case("actions-mixed-types", ("{review_cycle: yearly,", "{review_cycle: 12,"),
         at="^actions:", says=("'review_cycle' mixes types (int, string)",)),
    case("actions-unknown-tier", ("  C: {review_cycle: yearly, owner: team}\n", "  C: {review_cycle: yearly, owner: team}\n  D: {review_cycle: never, owner: nobody}\n"),
         at="D: {review_cycle", says=("tier 'D', which is not a tier",)),
    # ---- names: every output column once (SPEC §2, §4)
    case("action-named-like-points", *[(f"  {t}: {{review_cycle", f"  {t}: {{points_impact: 1, review_cycle") for t in "ABC"],
         at="  A: {points_impact", says=("action column 'points_impact'", "points column of component 'impact'")),
    case("derived-named-like-an-output-column", ("  high_value:", "  tier_label:"),
         at="  tier_label:", says=("derived column 'tier_label'", "a column tierline writes")),
    case("passthrough-names-an-output-column", ("passthrough: all", "passthrough: [equipment_id, reasons]"),
         at="^passthrough:", says=("passthrough column 'reasons'", "two columns named 'reasons'")),
    case("passthrough-lists-a-column-twice", ("passthrough: all", "passthrough: [equipment_id, site, site]"),
         at="^passthrough:", says=("passthrough lists 'site' twice",)),
    # ---- top level and inputs
    case("key-not-declared", ("key: equipment_id", "key: equipment_no"), at="key: equipment_no", says=("'equipment_no' is not a declared input",)),
    case("input-missing-type", ("site: {type: string}", "site: {required: true}"), at="site:", says=("missing key 'type'",)),
    case("input-type-unknown", ("site: {type: string}", "site: {type: text}"), at="site:", says=("'text' is not allowed",)),
    case("input-name-reserved", ("  site: {type: string}", "  tier: {type: string}"), at="tier: {type", says=("'tier' is reserved",)),
    case("top-level-unknown-key", ("passthrough: all", "passtrough: all"), at="passtrough", says=("unknown key 'passtrough'",)),
    case("version-zero", ("version: 1", "version: 0"), at="^version:", says=("version", "greater than or equal to 1")),
    case("version-true", ("version: 1", "version: true"), at="^version:", says=("version",)),
    case("name-uppercase", ("scorecard: equipment_abc", "scorecard: Equipment_ABC"),
         at="^scorecard:", says=("'Equipment_ABC'", "^[a-z][a-z0-9_]*$")),
    # ---- identifiers, base, other, reasons and output (SPEC §2, §2.2, §4)
    case("input-name-with-a-dash", ("  site: {type: string}", "  site-code: {type: string}"),
         at="site-code:", says=("name 'site-code' must match ^[A-Za-z_][A-Za-z0-9_]*$",)),
    case("component-name-starts-with-a-digit", ("{name: impact,", "{name: 1impact,"),
         at="name: 1impact", says=("'1impact'", "^[A-Za-z_][A-Za-z0-9_]*$")),
    case("derived-name-not-ascii", ("  high_value:", "  高价值:"), at="  高价值:", says=("'高价值'", "must match")),
    # (an input may be named like a keyword: registers hold such columns, GX's `null` among them,
    # and tests/functional/test_gx_conformance.py runs one; a column tierline writes may not)
    case("derived-named-like-a-keyword", ("  high_value:", "  And:"),
         at="  And:", says=("derived column 'And' is an expression keyword",)),
    case("points-columns-differ-only-in-case", ("{name: utilisation,", "{name: Impact,"),
         at="name: Impact", says=("'points_Impact'", "differs only in case from 'points_impact'", "case-insensitively")),
    case("input-and-score-differ-only-in-case", ("  site: {type: string}", "  Score: {type: string}"),
         at="^score:", says=("'score'", "'Score'", "differ", "case")),
    case("base-with-mean", ("combine: sum", "combine: mean\n  base: 600"),
         at="base: 600", says=("'base' is added to a sum", "combines by mean")),
    case("base-with-max", ("combine: sum", "combine: max\n  base: 600"),
         at="base: 600", says=("'base' is added to a sum", "combines by max")),
    case("base-yes", ("combine: sum", "combine: sum\n  base: yes"), at="base: yes", says=("score.base", "must be a number, not true")),
    case("points-true", ("{from: 100, points: 15}", "{from: 100, points: true}"),
         at="points: true", says=("points", "must be a number, not true")),
    case("round-true", ("combine: sum", "combine: sum\n  round: true"), at="round: true", says=("score.round", "valid integer")),
    case("base-infinite", ("combine: sum", "combine: sum\n  base: .inf"), at="base: .inf", says=("score.base", "finite")),
    case("component-name-with-a-dash", ("{name: impact,", "{name: a-b,"),
         at="name: a-b", says=("name 'a-b' must match ^[A-Za-z_][A-Za-z0-9_]*$",)),
    case("input-name-starts-with-a-digit", ("  site: {type: string}", "  1x: {type: string}"),
         at="1x: {type", says=("name '1x' must match",)),
    case("components-l-and-L", ("{name: impact,", "{name: l,"), ("    - name: value\n", "    - name: L\n"),
         at="name: L", says=("'points_L'", "differs only in case from 'points_l'")),
    case("other-without-map", ("missing: 0}", "missing: 0, other: 3}"),
         at="name: utilisation", says=("'other'", "needs 'map'")),
    case("other-inside-the-map", ("auxiliary: 10}", "auxiliary: 10, other: 3}"),
         at="name: impact", says=("map key 'other'", "not one of the values")),
    case("reasons-count-eleven", ("passthrough: all\n", "passthrough: all\nreasons: {count: 11}\n"),
         at="^reasons:", says=("less than or equal to 10",)),
    case("reasons-count-zero", ("passthrough: all\n", "passthrough: all\nreasons: {count: 0}\n"),
         at="^reasons:", says=("greater than or equal to 1",)),
    case("reasons-count-without-the-column", ("passthrough: all\n", "passthrough: all\nreasons: {count: 4}\n"
                                                                      "output: {reasons: false}\n"),
         at="^reasons:", says=("output: {reasons: false}", "drop one")),
    case("output-unknown-flag", ("passthrough: all\n", "passthrough: all\noutput: {scores: false}\n"),
         at="^output:", says=("unknown key 'scores'",)),
    # ---- YAML itself
    case("yaml-syntax-error", ("key: equipment_id", "key: equipment_id: oops"), at="^key:", says=("YAML syntax",)),
    case("yaml-tab-indent", ("version: 1\n", "version: 1\n\tsite: 2\n"), at="\tsite", says=("YAML syntax", "tab character")),
    case("yaml-duplicate-key", ("version: 1\n", "version: 1\nversion: 2\n"), at="version: 2", says=("duplicate key 'version'",)),
    case("yaml-python-tag-os-system",
         ("description: Base for the check catalogue", 'description: !!python/object/apply:os.system ["touch @TMP@/pwned"]'),
         at="^description:", says=("python/object/apply:os.system",)),
    case("yaml-python-tag-open",
         ("description: Base for the check catalogue", 'description: !!python/object/apply:builtins.open ["@TMP@/pwned", "w"]'),
         at="^description:", says=("python/object/apply:builtins.open",)),
    pytest.param(Broken(text="- scorecard: equipment_abc\n- version: 1\n", at="^- scorecard", says=("a scorecard is a YAML mapping",)),
                 id="yaml-not-a-mapping"),
]


def _problem_lines(err: str, path: Path) -> list[tuple[int, str]]:
    pattern = re.compile(rf"^{re.escape(str(path))}:(\d+): (.+)$")
    problems = []
    for line in err.splitlines():
        match = pattern.match(line)
        assert match, f"every problem line must start with '<path>:<line>: ', got {line!r}"
        problems.append((int(match.group(1)), match.group(2)))
    return problems


@pytest.mark.parametrize("broken", BROKEN)
def test_check_names_each_broken_scorecard_at_its_line(broken: Broken, tmp_path: Path, capsys) -> None:
    text = broken.render(tmp_path)
    path = tmp_path / "card.yaml"
    path.write_text(text, encoding="utf-8")

    code = main(["check", str(path)])
    out, err = capsys.readouterr()

    assert "Traceback" not in err and "internal error" not in err, err
    assert not (tmp_path / "pwned").exists(), "a YAML tag ran code"
    assert code == 2, (out, err)
    assert out == ""
    problems = _problem_lines(err, path)
    assert problems, "exit 2 without a problem line"
    if broken.problems is not None:
        assert len(problems) == broken.problems, err
    named = [(line, message) for line, message in problems if all(f in message for f in broken.says)]
    assert named, f"no problem says {broken.says}; got:\n{err}"
    fragments = (broken.at,) if isinstance(broken.at, str) else broken.at
    expected_lines = {_line_of(text, fragment) for fragment in fragments}
    assert any(line in expected_lines for line, _ in named), f"expected line {sorted(expected_lines)}, got:\n{err}"


def test_catalogue_is_large_enough() -> None:
    assert len(BROKEN) >= 30


# ---------------------------------------------------------------- sound scorecards

SUBSIDIARY = edit(BASE, (LEVELS, """\
  levels:                           # the source gives 特级 ≥90, 一级 75-90, 二级 60-75, 三级 <60
    - {tier: A, label: 特级, from: 90}
    - {tier: B, label: 一级, from: 75, to: 90}
    - {tier: C, label: 二级, from: 60, to: 75}
    - {tier: D, label: 三级, to: 60}
"""), ("actions:\n", "actions:\n  D: {review_cycle: yearly, owner: group}\n"))

GOOD = [
    pytest.param(BASE, "equipment_abc v1: 6 inputs, 3 components, 3 tiers", id="base-source-overlap-at-75"),
    pytest.param(SUBSIDIARY, "equipment_abc v1: 6 inputs, 3 components, 4 tiers", id="source-overlaps-at-90-75-60"),
    pytest.param(LEC, "lec_hazard v1: 5 inputs, 3 components, 6 tiers", id="lec-above-upto"),
    pytest.param(LEC.replace("{name: l,", "{name: L,").replace("{name: e,", "{name: E,").replace("{name: c,", "{name: C,"),
                 "lec_hazard v1: 5 inputs, 3 components, 6 tiers", id="lec-upper-case-components"),
    pytest.param(edit(BASE, ("combine: sum", "combine: sum\n  base: 600"), ("ordinary: 15, auxiliary: 10}", "ordinary: 15}, other: 10"),
                      ("passthrough: all\n", "passthrough: all\nreasons: {count: 10}\noutput: {points: false}\n")),
                 "equipment_abc v1: 6 inputs, 3 components, 3 tiers", id="base-other-reasons-output"),
    pytest.param(edit(BASE, REPLACE_LEVELS_WITH_RULES, ("      - {tier: B, label: B类设备}", "      - {tier: B, label: B类设备, when: \"score >= 40\"}")),
                 "equipment_abc v1: 6 inputs, 3 components, 3 tiers", id="rules-with-catch-all"),
    pytest.param(edit(BASE, ("passthrough: all\n", "passthrough: all\naggregate: {by: equipment_id, score: weighted_mean, "
                                                    "weight: original_value_10k}\n")),
                 "equipment_abc v1: 6 inputs, 3 components, 3 tiers", id="weighted-mean"),
    pytest.param(edit(BASE, ('when: "special_equipment"', 'when: "special_equipment or ln(coalesce(original_value_10k, 1)) > 5"'),
                      ('"original_value_10k >= 100 and score > 50"',
                       '"1 / (1 + exp((score - 487.1) / 72.13))"\n  capped: "clip(round(sqrt(abs(score)), 2), 0, max(utilisation_pct, 9))"')),
                 "equipment_abc v1: 6 inputs, 3 components, 3 tiers", id="functions-in-when-and-derived"),
]


@pytest.mark.parametrize(("text", "summary"), GOOD)
def test_check_passes_sound_scorecards(text: str, summary: str, tmp_path: Path, capsys) -> None:
    path = tmp_path / "card.yaml"
    path.write_text(text, encoding="utf-8")

    code = main(["check", str(path)])
    out, err = capsys.readouterr()

    assert (code, err) == (0, "")
    assert out == f"{path}: ok ({summary})\n"


def test_check_passes_the_shipped_equipment_abc(capsys) -> None:
    path = REPO / "scorecards" / "equipment_abc.yaml"
    assert main(["check", str(path)]) == 0
    out, err = capsys.readouterr()
    assert err == "" and out.startswith(f"{path}: ok (equipment_abc v")


def test_check_of_a_missing_file_names_it(tmp_path: Path, capsys) -> None:
    path = tmp_path / "nowhere.yaml"
    assert main(["check", str(path)]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.startswith(f"{path}: ") and "no such scorecard file" in err


@pytest.mark.parametrize("text", ["", "# only a comment\n", "just a sentence\n"], ids=["empty", "comment", "scalar"])
def test_check_refuses_documents_that_are_no_mapping(text: str, tmp_path: Path, capsys) -> None:
    path = tmp_path / "card.yaml"
    path.write_text(text, encoding="utf-8")
    assert main(["check", str(path)]) == 2
    _, err = capsys.readouterr()
    assert err.startswith(f"{path}") and "a scorecard is a YAML mapping" in err and "Traceback" not in err


def test_check_refuses_a_file_that_is_not_utf8(tmp_path: Path, capsys) -> None:
    path = tmp_path / "card.yaml"
    path.write_bytes(BASE.encode("gb18030"))
    assert main(["check", str(path)]) == 2
    _, err = capsys.readouterr()
    assert "not UTF-8" in err and "Traceback" not in err


@pytest.mark.parametrize(
    "build",
    [
        pytest.param(lambda: edit(BASE, ("score:\n  combine: sum\n  components:\n",
                                         "scores:\n  usage: {components: [{name: usage, input: utilisation_pct, value: true}]}\n"
                                         "  risk:\n   combine: sum\n   components:\n"), ("and score > 50", "and risk > 50")),
                     id="several-scores-without-by"),
        pytest.param(lambda: edit(BASE, (LEVELS, "  by: nowhere\n  quantiles: [{tier: A, top: 0.1}, {tier: B, top: 0.5}, {tier: C}]\n")),
                     id="quantiles-by-unknown"),
    ],
)
def test_a_tiering_problem_does_not_cascade_into_false_ones(build, tmp_path: Path, capsys) -> None:
    path = tmp_path / "card.yaml"
    path.write_text(build(), encoding="utf-8")
    assert main(["check", str(path)]) == 2
    _, err = capsys.readouterr()
    assert len(err.splitlines()) == 1, err


# ---------------------------------------------------------------- the real command

def _tierline(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tierline", *args], cwd=REPO, capture_output=True,
                          text=True, timeout=60)


def test_real_command_passes_the_base(tmp_path: Path) -> None:
    path = tmp_path / "base.yaml"
    path.write_text(BASE, encoding="utf-8")
    result = _tierline("check", str(path))
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == f"{path}: ok (equipment_abc v1: 6 inputs, 3 components, 3 tiers)\n"


def test_real_command_reports_the_good_file_and_fails_on_the_bad_one(tmp_path: Path) -> None:
    good, bad, lec = tmp_path / "good.yaml", tmp_path / "bad.yaml", tmp_path / "lec.yaml"
    good.write_text(BASE, encoding="utf-8")
    bad_text = edit(BASE, ("from: 40, to: 75", "from: 40, upto: 75"))
    bad.write_text(bad_text, encoding="utf-8")
    lec.write_text(LEC, encoding="utf-8")

    result = _tierline("check", str(good), str(bad), str(lec))

    assert result.returncode == 2
    assert result.stdout.splitlines() == [
        f"{good}: ok (equipment_abc v1: 6 inputs, 3 components, 3 tiers)",
        f"{lec}: ok (lec_hazard v1: 5 inputs, 3 components, 6 tiers)",
    ]
    problems = _problem_lines(result.stderr, bad)
    assert [line for line, _ in problems] == [_line_of(bad_text, "tier: A,")]
    assert "overlap at 75" in problems[0][1]
    assert "Traceback" not in result.stderr


def test_real_command_refuses_a_python_tag_without_running_it(tmp_path: Path) -> None:
    sentinel = tmp_path / "pwned"
    text = edit(BASE, ("description: Base for the check catalogue",
                       f'description: !!python/object/apply:os.system ["touch {sentinel}"]'))
    path = tmp_path / "card.yaml"
    path.write_text(text, encoding="utf-8")

    result = _tierline("check", str(path))

    assert not sentinel.exists(), "the YAML tag was executed"
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.startswith(f"{path}:{_line_of(text, '^description:')}: ")
    assert "Traceback" not in result.stderr


def test_real_command_names_an_expression_column(tmp_path: Path) -> None:
    text = edit(BASE, ('when: "special_equipment"', 'when: "site.upper == 1"'))
    path = tmp_path / "card.yaml"
    path.write_text(text, encoding="utf-8")

    result = _tierline("check", str(path))

    assert result.returncode == 2
    assert result.stderr == (f"{path}:{_line_of(text, 'name: direct_designation')}: overrides[0].when: "
                             "in 'site.upper == 1' at column 5: attributes are not allowed\n")


def test_real_command_usage_error_exits_2(tmp_path: Path) -> None:
    result = _tierline("check")
    assert result.returncode == 2 and "Traceback" not in result.stderr and result.stderr.startswith("tierline: ")
