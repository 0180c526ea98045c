"""Park register for `park_class`: the five classes in Beijing-like proportions, areas log-normal
around each class's suitable size (so some fall below the minimum), historic parks mostly on the
list, five inspection items scored out of their points; about 1% unknown class, 1% null area and
0.5% item points above their maximum (bad rows)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from tierline.tools.generators._common import ids, with_nulls

CLASSES = np.array(["comprehensive", "community", "historic", "theme", "ecological", "unknown"], dtype=object)
CLASS_SHARES = [0.18, 0.42, 0.06, 0.12, 0.21, 0.01]
MEDIAN_AREA_HA = np.array([12.0, 1.2, 8.0, 15.0, 60.0, 5.0])  # by class, in CLASSES order

# Inspection items and their points (scorecards/park_class.yaml): facilities 25, landscape 25,
# management 25, services 15, safety 10.
ITEM_POINTS = {"facilities_points": 25, "landscape_points": 25, "management_points": 25,
               "services_points": 15, "safety_points": 10}


def generate(n: int, rng: np.random.Generator) -> pa.Table:
    class_index = rng.choice(len(CLASSES), size=n, p=CLASS_SHARES)
    area = np.round(MEDIAN_AREA_HA[class_index] * rng.lognormal(0.0, 0.6, size=n), 2)
    on_list = np.where(CLASSES[class_index] == "historic", rng.random(n) < 0.95, rng.random(n) < 0.01)
    columns = {
        "park_id": ids("PK", n),
        "park_class": pa.array(CLASSES[class_index], type=pa.string()),
        "area_ha": with_nulls(area, rng, 0.01),
        "on_historic_list": pa.array(on_list),
    }
    # One quality level per park drives all its items, so good parks are good across the board.
    quality = rng.beta(6, 2, size=n)
    for name, points in ITEM_POINTS.items():
        share = np.clip(quality + rng.normal(0.0, 0.08, size=n), 0.0, 1.0)
        item = np.round(share * points, 1)
        item[rng.random(n) < 0.001] = points + 5  # a sheet added up wrong: above the item's points
        columns[name] = item
    return pa.table(columns)
