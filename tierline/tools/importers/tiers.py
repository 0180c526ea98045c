"""`--tiers`: the levels of an imported scorecard, written on one line.

A comma-separated list, best tier first; every tier but the last names its bound, the last one
takes the rest:

    A>=600,B>=520,C          A from 600, B from 520 to 600, C below 520 (higher is better)
    A>600,B>520,C            the same with the boundaries belonging to the lower tier
    A<480,B<=520,C           lower is better: A below 480, B from 480 up to 520 included, C above 520
    A:优良>=600,B:一般>=520,C:关注     a label after a colon

Every bound must be on the same side (all `>`/`>=` or all `<`/`<=`) and move the same way (falling
for `>`, rising for `<`), so the levels are contiguous and cover every score once, as SPEC §2.5
requires. A problem is a `UsageError` (exit 2) saying which item is wrong.
"""

from __future__ import annotations

import math
import re
from typing import Any

from tierline.errors import UsageError
from tierline.scorecard.format import re_tier_code

_ITEM = re.compile(r"^\s*([^:<>=]+?)\s*(?::\s*([^<>=]*?)\s*)?(?:(>=|>|<=|<)\s*(\S+)\s*)?$")
# The bound a tier's own operator sets, and the one its neighbour takes from the same number.
_OWN = {">=": "from", ">": "above", "<": "to", "<=": "upto"}
_NEIGHBOUR = {">=": "to", ">": "upto", "<": "from", "<=": "above"}


def parse_tiers(text: str) -> list[dict[str, Any]]:
    """`--tiers` as the `levels:` list of a scorecard."""
    items = [_parse_item(item) for item in text.split(",")]
    if len(items) < 2:
        raise UsageError(f"--tiers {text!r}: give at least two tiers, best first, e.g. 'A>=600,B>=520,C'")
    *bounded, last = items
    if last[2] is not None:
        raise UsageError(f"--tiers: the last tier ({last[0]}) takes every score left and has no bound")
    for code, _label, op, _number in bounded:
        if op is None:
            raise UsageError(f"--tiers: tier {code} needs a bound such as {code}>=600 (only the last tier has none)")
    _check_order(bounded)
    codes = [code for code, *_ in items]
    if len(set(codes)) != len(codes):
        raise UsageError(f"--tiers: a tier code is given twice ({', '.join(codes)})")
    return _levels(items)


def _parse_item(item: str) -> tuple[str, str | None, str | None, float | None]:
    match = _ITEM.match(item)
    if match is None:
        raise UsageError(f"--tiers: {item.strip()!r} is not CODE, CODE>=N, CODE>N, CODE<N or CODE<=N")
    code, label, op, number = match.groups()
    if not re_tier_code(code):
        raise UsageError(f"--tiers: {code!r} is not a tier code (letters, digits, _ or -, at most 32)")
    value = None
    if number is not None:
        try:
            value = float(number)
        except ValueError:
            raise UsageError(f"--tiers: {number!r} (tier {code}) is not a number") from None
        if not math.isfinite(value):
            raise UsageError(f"--tiers: tier {code}'s bound must be a finite number, not {number!r}")
    return code, label or None, op, value


def _check_order(bounded: list[tuple[str, str | None, str | None, float | None]]) -> None:
    falling = bounded[0][2] in (">=", ">")
    for (code, _l, op, number), (next_code, _nl, next_op, next_number) in zip(bounded, bounded[1:]):
        assert number is not None and next_number is not None
        if (next_op in (">=", ">")) != falling:
            raise UsageError(f"--tiers: tiers {code} and {next_code} bound opposite sides; use all > / >= "
                             "(higher is better) or all < / <= (lower is better)")
        if (falling and next_number >= number) or (not falling and next_number <= number):
            way = "below" if falling else "above"
            raise UsageError(f"--tiers: tier {next_code}'s bound {next_number:g} must be {way} tier {code}'s {number:g}")


def _number(value: float) -> int | float:
    return int(value) if value.is_integer() and abs(value) < 2**53 else value


def _levels(items: list[tuple[str, str | None, str | None, float | None]]) -> list[dict[str, Any]]:
    levels: list[dict[str, Any]] = []
    previous: tuple[str, float] | None = None  # the operator and number of the tier before
    for code, label, op, number in items:
        level: dict[str, Any] = {"tier": code}
        if label:
            level["label"] = label
        if op is not None and number is not None:
            level[_OWN[op]] = _number(number)
        if previous is not None:
            level[_NEIGHBOUR[previous[0]]] = _number(previous[1])
        levels.append(level)
        previous = (op, number) if op is not None and number is not None else None
    return levels
