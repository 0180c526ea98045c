"""Rounding half away from zero to d decimals, as a scorecard author means it (SPEC §2.2 `round`)."""

from __future__ import annotations

import math

from numba import njit

# A value within this many units in the last place of a half counts as the half: 2.675 is stored
# as 2.67499999999999982236431605997495353221893310546875, yet the author of `round: 2` means 2.68.
TIE_ULPS = 4.0
EPSILON = 2.220446049250313e-16


@njit(nogil=True, cache=True)
def round_half_away(x, decimals):
    if math.isnan(x) or math.isinf(x):
        return x
    scale = 10.0 ** decimals
    y = abs(x) * scale
    if y >= 4503599627370496.0:  # 2**52: already an integer at this scale
        return x
    whole = math.floor(y)
    fraction = y - whole
    if fraction >= 0.5 - TIE_ULPS * EPSILON * max(y, 1.0):
        whole += 1.0
    return math.copysign(whole / scale, x)
