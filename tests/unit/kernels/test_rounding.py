"""`round: d` rounds half away from zero as the scorecard's author means it (decimal intent)."""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tierline.kernels.rounding import round_half_away


@pytest.mark.parametrize(
    ("x", "decimals", "expected"),
    [
        (2.675, 2, 2.68),  # stored as 2.67499999…, meant as 2.675
        (3.5, 0, 4.0),
        (-2.5, 0, -3.0),
        (0.125, 2, 0.13),
        (1.005, 2, 1.01),
        ((4 + 3) / 2, 1, 3.5),  # the equipment matrix worked example: own score 3.5
        ((3 + 5 + 4) / 3, 1, 4.0),  # impact score 4.0
        (11 / 3, 1, 3.7),
        (-0.04, 1, -0.0),
        (1e300, 2, 1e300),
        (123.456, 0, 123.0),
    ],
)
def test_known_values(x: float, decimals: int, expected: float) -> None:
    assert round_half_away(x, decimals) == expected


def test_nan_and_inf_pass_through() -> None:
    assert math.isnan(round_half_away(math.nan, 1))
    assert round_half_away(math.inf, 1) == math.inf


@settings(max_examples=500, deadline=None)
@given(
    digits=st.integers(min_value=-10**9, max_value=10**9),
    exponent=st.integers(min_value=1, max_value=6),
    decimals=st.integers(min_value=0, max_value=4),
)
def test_agrees_with_exact_decimal_rounding_of_written_numbers(digits: int, exponent: int, decimals: int) -> None:
    written = Decimal(digits).scaleb(-exponent)  # a number as an author writes it, e.g. 2.675
    expected = float(written.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP))
    assert round_half_away(float(written), decimals) == expected
