"""The scorecard of SPEC §2, as the SPEC writes it (without its comments): the example several
test files start from, each with its own small changes."""

SPEC_SCORECARD = """\
scorecard: equipment_abc
version: 2
description: Oilfield equipment A/B/C, 100-point formula method
key: equipment_id
inputs:
  equipment_id: {type: string, required: true}
  production_impact: {type: category, values: [shutdown, ordinary, auxiliary], required: true}
  original_value_10k: {type: float, min: 0}
  utilisation_pct: {type: float, min: 0, max: 100}
  special_equipment: {type: bool, default: false}
passthrough: all
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
overrides:
  - {name: direct_designation, when: "special_equipment", tier: A}
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
