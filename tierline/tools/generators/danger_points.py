"""Register of places for `danger_points`: about 60% of the places of a plant on the danger-point
site types (pipes, boilers, vessels, chemicals, fire risks, key facilities) and the rest offices,
workshops, stores and others; the assessment markers drawn per place, more severe on the danger
types (a major accident possible at about 8% of them, rarely elsewhere). Bad rows: about 1%
unknown site types ("canteen", not in the scorecard's list) and 1% places without a loss
assessment.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from tierline.tools.generators._common import ids

DANGER_TYPES = ["high_pressure_pipe", "boiler", "pressure_vessel", "hazardous_chemicals", "fire_explosion_risk",
                "key_facility"]
OTHER_TYPES = ["office", "general_workshop", "general_store", "other"]
LOSS = np.array(["major", "larger", "small"], dtype=object)
IMPACT = np.array(["company", "local", "minor"], dtype=object)


def _site_types(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Each place's site type, and whether it is one of the danger types."""
    danger = rng.random(n) < 0.6
    site = np.where(danger, rng.choice(np.array(DANGER_TYPES, dtype=object), size=n,
                                       p=[0.15, 0.1, 0.2, 0.2, 0.25, 0.1]),
                    rng.choice(np.array(OTHER_TYPES, dtype=object), size=n, p=[0.3, 0.35, 0.25, 0.1]))
    site[rng.random(n) < 0.01] = "canteen"  # a site type the scorecard does not list: site_type:in_set
    return site, danger


def generate(n: int, rng: np.random.Generator) -> pa.Table:
    site, danger = _site_types(n, rng)
    # danger types lean to the severe end of each marker, other places to the mild end
    major_accident = rng.random(n) < np.where(danger, 0.08, 0.005)
    casualties = rng.random(n) < np.where(danger, 0.35, 0.05)
    loss = np.where(danger, rng.choice(LOSS, size=n, p=[0.1, 0.35, 0.55]), rng.choice(LOSS, size=n, p=[0.01, 0.09, 0.9]))
    impact = np.where(danger, rng.choice(IMPACT, size=n, p=[0.06, 0.39, 0.55]),
                      rng.choice(IMPACT, size=n, p=[0.01, 0.09, 0.9]))
    return pa.table({
        "point_id": ids("DP", n),
        "site_type": pa.array(site, type=pa.string()),
        "major_accident_possible": pa.array(major_accident),
        "casualties_possible": pa.array(casualties),
        "loss_level": pa.array(loss, type=pa.string(), mask=rng.random(n) < 0.01),
        "impact": pa.array(impact, type=pa.string()),
        "department": pa.array(rng.choice(np.array(["动力车间", "合成车间", "储运部", "机修车间", "办公楼"], dtype=object),
                                          size=n), type=pa.string()),
    })
