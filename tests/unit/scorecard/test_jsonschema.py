"""`tierline/scorecard/scorecard.schema.json`: up to date with the format models, and it accepts the shipped
scorecards and refuses broken ones (editors validate against it)."""

from __future__ import annotations

import functools
import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from tierline.errors import ScorecardError
from tierline.scorecard.jsonschema import render
from tierline.scorecard.load import load_scorecard_text

REPO = Path(__file__).resolve().parents[3]
SCHEMA_FILE = REPO / "tierline" / "scorecard" / "scorecard.schema.json"
SHIPPED = sorted((REPO / "scorecards").glob("*.yaml")) + sorted((REPO / "scorecards").glob("*.yml"))


@functools.cache
def validator() -> jsonschema.protocols.Validator:
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def as_json(text: str) -> object:
    """The document as an editor's YAML plugin sees it: JSON data, so `true:` map keys become "true"."""
    return json.loads(json.dumps(yaml.safe_load(text), default=str))


def test_committed_schema_is_the_rendered_one() -> None:
    committed = SCHEMA_FILE.read_text(encoding="utf-8")
    assert committed == render(), "tierline/scorecard/scorecard.schema.json is stale: run `make schema` and commit the result"


def test_schema_is_a_valid_draft_2020_12_schema() -> None:
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)
    assert set(schema["required"]) >= {"scorecard", "version", "key", "inputs", "tiers"}


def test_scorecards_folder_is_not_empty() -> None:
    assert SHIPPED, "scorecards/ holds no YAML"


@pytest.mark.parametrize("path", SHIPPED, ids=[p.name for p in SHIPPED])
def test_shipped_scorecard_validates(path: Path) -> None:
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
              for e in validator().iter_errors(as_json(path.read_text(encoding="utf-8")))]
    assert errors == []


# A sound scorecard of our own (the shipped ones change as the scheme library grows).
BASE = """\
scorecard: equipment_abc
version: 1
key: equipment_id
inputs:
  equipment_id: {type: string, required: true, unique: true}
  production_impact: {type: category, values: [shutdown, ordinary, auxiliary], required: true}
  original_value_10k: {type: float, min: 0}
  utilisation_pct: {type: float, min: 0, max: 100}
  has_backup: {type: bool, default: true}
  direct_designation: {type: bool, default: false}
score:
  combine: sum
  components:
    - {name: impact, input: production_impact, map: {shutdown: 25, ordinary: 15, auxiliary: 10}}
    - name: value
      input: original_value_10k
      bands:
        - {from: 100, points: 15}
        - {from: 50, to: 100, points: 10}
        - {to: 50, points: 5}
    - {name: utilisation, input: utilisation_pct, linear: {from: [0, 100], to: [0, 10]}, missing: 0}
    - {name: spare, input: has_backup, map: {false: 5, true: 0}}
overrides:
  - {name: direct_designation, when: "direct_designation", tier: A}
tiers:
  levels:
    - {tier: A, label: A类设备, from: 75}
    - {tier: B, label: B类设备, from: 40, to: 75}
    - {tier: C, label: C类设备, to: 40}
actions:
  A: {review_cycle: monthly, owner: plant}
  B: {review_cycle: quarterly, owner: workshop}
  C: {review_cycle: yearly, owner: team}
"""


def mutate(old: str, new: str) -> str:
    assert BASE.count(old) == 1, f"{old!r} must occur once in BASE"
    return BASE.replace(old, new)


BROKEN = [
    pytest.param(mutate("version: 1", "version: 0"), "version", "minimum", id="version-zero"),
    pytest.param(mutate("version: 1", "version: true"), "version", "not of type 'integer'", id="version-bool"),
    pytest.param(mutate("scorecard: equipment_abc", "scorecard: Equipment"), "scorecard", "does not match", id="name-uppercase"),
    pytest.param(mutate("key: equipment_id\n", ""), "", "'key' is a required property", id="missing-key"),
    pytest.param(mutate("combine: sum", "combine: total"), "score/combine", "'total' is not one of", id="combine-unknown"),
    pytest.param(mutate("{tier: C, label", "{tier: C/x, label"), "tiers/levels/2/tier", "does not match", id="tier-code-slash"),
    pytest.param(mutate("{tier: C, label", "{tier: '', label"), "tiers/levels/2/tier", "does not match", id="tier-code-empty"),
    pytest.param(mutate("{to: 50, points: 5}", "{to: 50}"), "score/components/1/bands/2", "'points' is a required property", id="band-without-points"),
    pytest.param(mutate("missing: 0}", "missing: 0, wieght: 2}"), "score/components/2", "'wieght' was unexpected", id="component-typo"),
    pytest.param(mutate("  A: {review_cycle: monthly, owner: plant}", "  A: {review_cycle: [monthly], owner: plant}"),
                 "actions/A/review_cycle", "is not of type", id="action-not-a-scalar"),
    pytest.param(mutate("key: equipment_id", "kee: equipment_id"), "", "'kee' was unexpected", id="top-level-typo"),
    pytest.param(mutate("{type: float, min: 0}", "{type: decimal, min: 0}"), "inputs/original_value_10k/type", "'decimal' is not one of", id="input-type"),
    pytest.param(mutate("tiers:\n", "tiers:\n  quantiles: [{tier: A, top: 1.5}]\n"), "tiers/quantiles/0/top", "1.5", id="quantile-top-over-1"),
]


def _with_context(errors: list) -> list:
    """Errors and, for anyOf (a section that may also be null), the errors of each branch."""
    found = []
    for error in errors:
        found.append(error)
        found += _with_context(list(error.context or ()))
    return found


@pytest.mark.parametrize(("text", "where", "says"), BROKEN)
def test_broken_scorecard_does_not_validate(text: str, where: str, says: str) -> None:
    errors = list(validator().iter_errors(as_json(text)))
    assert errors, "the schema accepted a broken scorecard"
    found = [("/".join(map(str, e.absolute_path)), e.message) for e in _with_context(errors)]
    assert any(path == where and says in message for path, message in found), found


SOUND = [
    pytest.param(BASE, id="equipment_abc"),
    pytest.param(mutate("combine: sum", "combine: mean\n  round: 1"), id="mean-rounded"),
    pytest.param(mutate("  levels:\n"
                        "    - {tier: A, label: A类设备, from: 75}\n"
                        "    - {tier: B, label: B类设备, from: 40, to: 75}\n"
                        "    - {tier: C, label: C类设备, to: 40}\n",
                        "  rules:\n    hit: unique\n    levels:\n"
                        "      - {tier: A, label: A类设备, when: \"score >= 75\"}\n"
                        "      - {tier: B, label: B类设备, when: \"score >= 40 and score < 75\"}\n"
                        "      - {tier: C, label: C类设备, when: \"score < 40\"}\n"), id="rules"),
]


@pytest.mark.parametrize("text", SOUND)
def test_loader_and_schema_agree_on_sound_scorecards(text: str) -> None:
    load_scorecard_text(text)
    assert list(validator().iter_errors(as_json(text))) == []


@pytest.mark.parametrize("version", ["true", '"1"'], ids=["bool", "quoted"])
def test_loader_refuses_what_the_schema_refuses(version: str) -> None:
    text = mutate("version: 1", f"version: {version}")
    assert list(validator().iter_errors(as_json(text))) != []
    with pytest.raises(ScorecardError, match="version"):
        load_scorecard_text(text)
