"""Numeric ranges written with the four bound words, and the contiguity check of levels and bands.

`from: a` is x ≥ a (以上), `above: a` is x > a (超过), `to: b` is x < b (不满), `upto: b` is x ≤ b (以下).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence


@dataclass(frozen=True)
class Range:
    lower: float = -math.inf
    lower_inclusive: bool = False
    upper: float = math.inf
    upper_inclusive: bool = False

    @classmethod
    def from_bounds(cls, from_=None, above=None, to=None, upto=None) -> "Range":
        lower, lower_inclusive = (-math.inf, False)
        if from_ is not None:
            lower, lower_inclusive = float(from_), True
        elif above is not None:
            lower, lower_inclusive = float(above), False
        upper, upper_inclusive = (math.inf, False)
        if to is not None:
            upper, upper_inclusive = float(to), False
        elif upto is not None:
            upper, upper_inclusive = float(upto), True
        return cls(lower, lower_inclusive, upper, upper_inclusive)

    @property
    def bounded_below(self) -> bool:
        return self.lower != -math.inf

    @property
    def bounded_above(self) -> bool:
        return self.upper != math.inf

    def is_empty(self) -> bool:
        if self.lower < self.upper:
            return False
        return not (self.lower == self.upper and self.lower_inclusive and self.upper_inclusive)

    def text(self) -> str:
        left = "[" if self.lower_inclusive else "("
        right = "]" if self.upper_inclusive else ")"
        return f"{left}{_number(self.lower)}, {_number(self.upper)}{right}"


def _number(x: float) -> str:
    if x == math.inf:
        return "+inf"
    if x == -math.inf:
        return "-inf"
    return str(int(x)) if x == int(x) and abs(x) < 1e15 else repr(x)


@dataclass(frozen=True)
class RangeProblem:
    """What is wrong between two named ranges (or with one), for a one-line message."""

    message: str
    index: int  # the range whose line the message points at


def check_ranges(
    ranges: Sequence[Range], names: Sequence[str], what: str, *, unbounded_ends: bool
) -> list[RangeProblem]:
    """Ranges must not overlap and must leave no gap between the lowest and highest bound.

    Every shared boundary must be included by exactly one side. With `unbounded_ends` (tier
    levels) the lowest range must be unbounded below and the highest unbounded above, so every
    value gets exactly one tier; bands may have bounded ends (a value outside is out_of_bands).
    """
    problems: list[RangeProblem] = []
    for index, (rng, name) in enumerate(zip(ranges, names)):
        if rng.is_empty():
            problems.append(RangeProblem(f"{what} {name} is empty: {rng.text()}", index))
    if problems:
        return problems
    order = sorted(range(len(ranges)), key=lambda i: (ranges[i].lower, not ranges[i].lower_inclusive))
    for previous, current in zip(order, order[1:]):
        a, b = ranges[previous], ranges[current]
        name_a, name_b = names[previous], names[current]
        if a.upper > b.lower or (a.upper == b.lower and a.upper_inclusive and b.lower_inclusive):
            at = _number(b.lower) if a.upper == b.lower else f"{_number(b.lower)}..{_number(min(a.upper, b.upper))}"
            problems.append(RangeProblem(f"{what} {name_a} {a.text()} and {name_b} {b.text()} overlap at {at}", current))
        elif a.upper < b.lower:
            gap = Range(a.upper, not a.upper_inclusive, b.lower, not b.lower_inclusive)
            problems.append(
                RangeProblem(f"gap between {what} {name_a} {a.text()} and {name_b} {b.text()}: values in {gap.text()} get none", current)
            )
        elif not a.upper_inclusive and not b.lower_inclusive:
            problems.append(
                RangeProblem(f"boundary {_number(a.upper)} belongs to neither {what} {name_a} {a.text()} nor {name_b} {b.text()}", current)
            )
    if unbounded_ends and not problems:
        lowest, highest = order[0], order[-1]
        if ranges[lowest].bounded_below:
            problems.append(RangeProblem(
                f"the lowest {what} {names[lowest]} {ranges[lowest].text()} must be unbounded below (drop its lower bound) so every value gets a tier",
                lowest))
        if ranges[highest].bounded_above:
            problems.append(RangeProblem(
                f"the highest {what} {names[highest]} {ranges[highest].text()} must be unbounded above (drop its upper bound) so every value gets a tier",
                highest))
    return problems
