"""Customer register for `postal_key_accounts`: log-normal annual letter-mail revenue (median about
3万元, a long tail past 500万元), bureau revenue groups 1/2/3, 0.3% upstream accounts registered in
the CRM; about 0.5% unknown bureau groups, 0.5% null and 0.3% negative revenues."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from tierline.tools.generators._common import flags, ids, with_nulls


def generate(n: int, rng: np.random.Generator) -> pa.Table:
    revenue = np.round(rng.lognormal(mean=np.log(3.0), sigma=1.8, size=n), 2)
    refunds = rng.random(n) < 0.003  # a refund booked as revenue: negative, out of range
    revenue[refunds] = -np.round(rng.uniform(0.1, 5.0, size=int(refunds.sum())), 2)
    group = rng.choice(np.array([1, 2, 3]), size=n, p=[0.3, 0.4, 0.3])
    unknown_group = rng.random(n) < 0.005  # a bureau not yet placed in a revenue group
    group[unknown_group] = 4
    return pa.table({
        "customer_id": ids("PC", n),
        "annual_revenue_10k": with_nulls(revenue, rng, 0.005),
        "bureau_group": pa.array(group, type=pa.int64()),
        "upstream_registered": flags(rng, n, 0.003),
        "city_bureau": pa.array(rng.integers(1, 22, size=n), type=pa.int64()),  # 21 prefecture cities
    })
