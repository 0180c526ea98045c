"""`--tiers` (tierline/tools/importers/tiers.py): one line → contiguous `levels:` (SPEC §2.5)."""

from __future__ import annotations

import pytest

from tierline.errors import UsageError
from tierline.tools.importers.tiers import parse_tiers


def test_falling_bounds_give_each_lower_tier_the_upper_bound_of_the_one_before() -> None:
    assert parse_tiers("A>=600,B>=520,C") == [
        {"tier": "A", "from": 600}, {"tier": "B", "from": 520, "to": 600}, {"tier": "C", "to": 520}]
    assert parse_tiers("A>600, B>520.5, C") == [
        {"tier": "A", "above": 600}, {"tier": "B", "above": 520.5, "upto": 600}, {"tier": "C", "upto": 520.5}]


def test_rising_bounds_when_lower_is_better() -> None:
    assert parse_tiers("A<480,B<=520,C") == [
        {"tier": "A", "to": 480}, {"tier": "B", "from": 480, "upto": 520}, {"tier": "C", "above": 520}]


def test_labels_after_a_colon_keep_their_text() -> None:
    assert parse_tiers("A:优良>=600,B:一般 客户>=520,C:关注") == [
        {"tier": "A", "label": "优良", "from": 600},
        {"tier": "B", "label": "一般 客户", "from": 520, "to": 600},
        {"tier": "C", "label": "关注", "to": 520}]


@pytest.mark.parametrize("text, fragment", [
    ("A>=600", "at least two tiers"),
    ("A>=600,B>=500", "the last tier (B)"),
    ("A,B>=500,C", "tier A needs a bound"),
    ("A>=500,B>=600,C", "must be below tier A's 500"),
    ("A<500,B<400,C", "must be above tier A's 500"),
    ("A>=600,B<=500,C", "opposite sides"),
    ("A>=600,A>=500,C", "given twice"),
    ("A b>=600,C", "not a tier code"),
    ("A>=six,C", "'six' (tier A) is not a number"),
    ("A>=inf,C", "finite"),
    ("A=>600,C", "is not CODE"),
])
def test_a_wrong_list_is_a_usage_error_naming_the_item(text: str, fragment: str) -> None:
    with pytest.raises(UsageError, match="--tiers") as raised:
        parse_tiers(text)
    assert fragment in str(raised.value)
