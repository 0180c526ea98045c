"""Equipment register for `equipment_abc`: impact mix, log-normal original value, utilisation skewed
high, 60% with a backup unit, 2% directly designated; about 1% unknown impact and a few nulls."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from tierline.tools.generators._common import choice, flags, ids, with_nulls


def generate(n: int, rng: np.random.Generator) -> pa.Table:
    impact = choice(rng, ["shutdown", "ordinary", "auxiliary", "unknown"], n, p=[0.2, 0.5, 0.29, 0.01])
    value = np.round(rng.lognormal(mean=3.5, sigma=1.0, size=n), 2)
    utilisation = np.round(rng.beta(5, 2, size=n) * 100, 1)
    other = np.round(rng.triangular(0, 25, 45, size=n), 1)
    return pa.table({
        "equipment_id": ids("EQ", n),
        "production_impact": impact,
        "original_value_10k": with_nulls(value, rng, 0.01),
        "utilisation_pct": with_nulls(utilisation, rng, 0.05),
        "has_backup": flags(rng, n, 0.6),
        "direct_designation": flags(rng, n, 0.02),
        "other_items_points": other,
        "plant": choice(rng, ["north", "south", "east", "west"], n),
    })
