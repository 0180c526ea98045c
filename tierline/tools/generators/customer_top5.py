"""Customer register for `customer_top5`: spend over the window heavy-tailed (log-normal, a few
big accounts), rounded to whole 元 so ties occur; 3% of customers spent nothing; about 1% null
spend and 0.5% negative spend (refunds larger than purchases) as bad rows."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from tierline.tools.generators._common import choice, ids, with_nulls


def generate(n: int, rng: np.random.Generator) -> pa.Table:
    spend = np.round(rng.lognormal(mean=8.0, sigma=1.4, size=n))  # 元, median about 3,000
    spend[rng.random(n) < 0.03] = 0.0
    refunds = rng.random(n) < 0.005
    spend[refunds] = -np.round(rng.uniform(1, 500, size=n))[refunds]
    return pa.table({
        "customer_id": ids("CU", n),
        "spend": with_nulls(spend, rng, 0.01),
        "region": choice(rng, ["north", "south", "east", "west", "central"], n),
    })
