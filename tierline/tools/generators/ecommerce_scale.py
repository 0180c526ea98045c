"""Enterprise register for `ecommerce_scale`: log-normal headcount (median about 60) and sales that
grow with headcount (about 20万元 a head, widely spread), so every class and every mixed case
appears; about 0.7% null headcounts and 0.5% negative sales."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from tierline.tools.generators._common import choice, ids, with_nulls


def generate(n: int, rng: np.random.Generator) -> pa.Table:
    headcount = np.maximum(np.round(rng.lognormal(mean=np.log(60.0), sigma=1.2, size=n)), 1).astype(np.int64)
    sales_per_head = rng.lognormal(mean=np.log(20.0), sigma=0.9, size=n)  # 万元 a head
    sales = np.round(headcount * sales_per_head, 1)
    losses_booked = rng.random(n) < 0.005  # a net figure typed into the sales column
    sales[losses_booked] = -sales[losses_booked]
    return pa.table({
        "enterprise_id": ids("EC", n),
        "headcount": with_nulls(headcount, rng, 0.007),
        "sales_10k": sales,
        "model": choice(rng, ["B2B", "B2C", "C2C", "O2O"], n, p=[0.35, 0.4, 0.1, 0.15]),
    })
