"""`tierline import KIT CARD.csv`: a credit-scorecard kit's card as a tierline scorecard.

`import_card` reads the card (`scorecardpy.read_card`, `optbinning.read_card`), applies the
options a card cannot carry (the key, the tiers, `--other` fallback bins, optbinning's intercept
as `--base`), writes the YAML (`writer.py`) and checks it as `tierline check` would, so what it
returns loads. Problems in the card are `ScorecardError`s naming `card.csv:line`; problems in the
options are `UsageError`s; both exit 2.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable

from tierline.errors import ScorecardError, UsageError
from tierline.scorecard.format import NAME_PATTERN, SCORECARD_ID_PATTERN
from tierline.scorecard.limits import INT32_MAX
from tierline.tools.importers import optbinning, scorecardpy
from tierline.tools.importers.card import Card, CardVariable
from tierline.tools.importers.tiers import parse_tiers
from tierline.tools.importers.writer import header, input_names, scorecard_document, to_yaml

READERS: dict[str, Callable[[str], Card]] = {"scorecardpy": scorecardpy.read_card, "optbinning": optbinning.read_card}


@dataclass(frozen=True)
class ImportOptions:
    key: str
    tiers: str
    name: str | None = None  # default: the card file's name
    version: int = 1
    others: tuple[str, ...] = ()  # "VARIABLE=BIN": unlisted categories get that bin's points
    base: float | None = None  # optbinning's Scorecard.intercept_ (intercept_based=True)
    key_type: str = "string"  # the key column's type in the register: string or int


@dataclass(frozen=True)
class Imported:
    text: str  # the scorecard YAML, header comment first
    warnings: tuple[str, ...]
    components: int
    tiers: tuple[str, ...]


def import_card(kit: str, path: str, options: ImportOptions, command: str = "") -> Imported:
    if kit not in READERS:
        raise UsageError(f"unknown kit {kit!r}; tierline imports {', '.join(READERS)}")
    levels = parse_tiers(options.tiers)
    scorecard = options.name or _default_name(path)
    _check_options(scorecard, options)
    card = _with_base(_with_others(READERS[kit](path), options.others), options.base)
    names, renamed = input_names(card, options.key)
    warnings = list(card.warnings) + renamed
    document = scorecard_document(card, names, scorecard=scorecard, version=options.version, key=options.key,
                                  key_type=options.key_type, levels=levels)
    text = header(card, command or f"tierline import {kit} {path}", warnings) + to_yaml(document)
    _check_text(text, path)
    return Imported(text, tuple(warnings), len(card.variables), tuple(level["tier"] for level in levels))


def _default_name(path: str) -> str:
    name = re.sub(r"[^a-z0-9_]+", "_", Path(path).stem.lower()).strip("_")
    return name if re.match(SCORECARD_ID_PATTERN, name) else f"card_{name}".rstrip("_")


def _check_options(scorecard: str, options: ImportOptions) -> None:
    if not re.match(SCORECARD_ID_PATTERN, scorecard):
        raise UsageError(f"--name {scorecard!r}: a scorecard id is lower-case letters, digits and _, "
                         "starting with a letter")
    if not 1 <= options.version <= INT32_MAX:
        raise UsageError(f"--version {options.version}: a version is a positive integer")
    if options.key_type not in ("string", "int"):
        raise UsageError(f"--key-type {options.key_type!r}: string or int")
    if options.base is not None and not math.isfinite(options.base):
        raise UsageError(f"--base {options.base}: base points are a finite number")
    if not re.match(NAME_PATTERN, options.key):
        raise UsageError(f"--key {options.key!r}: the key column's name must be an identifier (letters, digits, _)")


def _with_base(card: Card, base: float | None) -> Card:
    if base is None:
        return card
    if card.base is not None:
        raise UsageError(f"--base: the card already has base points ({card.base:g}); leave --base out")
    return replace(card, base=base)


def _with_others(card: Card, others: tuple[str, ...]) -> Card:
    """`--other VARIABLE=BIN`: a category the card does not list gets the points of BIN, named by
    one of its categories or `missing` for the missing bin."""
    chosen: dict[str, float] = {}
    by_name = {v.name: v for v in card.variables}
    for item in others:
        variable_name, equals, bin_name = item.partition("=")
        variable = by_name.get(variable_name.strip())
        if not equals or variable is None:
            raise UsageError(f"--other {item!r}: write VARIABLE=BIN with a variable of the card "
                             f"({', '.join(sorted(by_name))})")
        if variable.name in chosen:
            raise UsageError(f"--other: {variable.name} is given twice")
        chosen[variable.name] = _other_points(variable, bin_name.strip())
    variables = tuple(replace(v, other=chosen[v.name]) if v.name in chosen else v for v in card.variables)
    return replace(card, variables=variables)


def _other_points(variable: CardVariable, bin_name: str) -> float:
    if variable.numeric:
        raise UsageError(f"--other: {variable.name} has numeric bins, which cover every number; "
                         "`other` is for categories")
    for category, points in variable.categories:
        if str(category) == bin_name:
            return points
    if bin_name.lower() == "missing":
        if variable.missing is None:
            raise UsageError(f"--other: {variable.name} has no missing bin")
        return variable.missing
    listed = ", ".join(str(c) for c, _ in variable.categories[:8])
    raise UsageError(f"--other: {variable.name} has no bin holding {bin_name!r} (its categories: {listed}"
                     f"{', ...' if len(variable.categories) > 8 else ''}; or `missing`)")


def _check_text(text: str, card_path: str) -> None:
    """The written scorecard must load and compile, as `tierline check` demands."""
    from tierline.compiler import compile_scorecard
    from tierline.scorecard.load import check_document
    from tierline.scorecard.yamlload import load_yaml_text

    source = f"<scorecard imported from {card_path}>"
    scorecard, errors = check_document(load_yaml_text(text, source), source)
    if errors:
        first = errors[0]
        where = "" if first.line is None else f" (its line {first.line})"
        raise ScorecardError(f"the imported scorecard does not pass check{where}: {first.detail}", source=card_path)
    assert scorecard is not None
    compile_scorecard(scorecard)
