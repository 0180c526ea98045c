"""Customer register for `petro_customers`: a few dozen regions of very different sizes, annual
demand heavy-tailed (log-normal, about 3% at or over the 5000 t company-level line, some exactly
on it), annual sales a share of demand rounded to whole tonnes so that regional ranks tie; about
1% null sales and 0.5% negative demand as bad rows."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from tierline.tools.generators._common import choice, ids, with_nulls

REGIONS = ["拉萨", "日喀则", "昌都", "林芝", "山南", "那曲", "阿里"]


def generate(n: int, rng: np.random.Generator) -> pa.Table:
    demand = np.round(rng.lognormal(mean=6.5, sigma=1.2, size=n))  # tonnes a year, median about 650
    demand[rng.random(n) < 0.01] = 5000.0  # on the line: company-level ("以上" includes it)
    demand[rng.random(n) < 0.005] = -1.0
    sales = np.round(demand.clip(min=0) * rng.uniform(0.2, 1.0, size=n))
    weights = np.array([0.3, 0.2, 0.15, 0.12, 0.1, 0.08, 0.05])
    return pa.table({
        "customer_id": ids("PC", n),
        "region": choice(rng, REGIONS, n, list(weights / weights.sum())),
        "scope": choice(rng, ["branch", "station"], n, [0.6, 0.4]),
        "annual_demand_t": pa.array(demand),
        "annual_sales_t": with_nulls(sales, rng, 0.01),
    })
