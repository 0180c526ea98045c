"""Customer register for `key_account_visits`: log-normal annual purchase (median 60万元), 70% good
credit, 35% large potential, and a visit log (calls in the last 4 weeks, on-site and department-head
visits last month) that grows with the customer's size; 10% of customers have no log yet. About
0.5% unknown credit ratings, 0.5% null purchases and 0.3% negative call counts."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from tierline.tools.generators._common import choice, ids, with_nulls


def generate(n: int, rng: np.random.Generator) -> pa.Table:
    purchase = np.round(rng.lognormal(mean=np.log(60.0), sigma=1.3, size=n), 2)
    activity = np.log1p(purchase / 10.0)  # specialists call big buyers more, never in proportion
    calls = rng.poisson(1.0 + 1.6 * activity)
    calls[rng.random(n) < 0.003] = -1  # a "no data" marker typed as a count
    visits = rng.poisson(0.3 + 0.9 * activity)
    head_visits = rng.binomial(2, 0.45, size=n)
    no_log = rng.random(n) < 0.10
    return pa.table({
        "customer_id": ids("KA", n),
        "annual_purchase_10k": with_nulls(purchase, rng, 0.005),
        "credit": choice(rng, ["good", "average", "poor"], n, p=[0.697, 0.298, 0.005]),
        "potential": choice(rng, ["large", "small"], n, p=[0.35, 0.65]),
        "calls_last_4_weeks": pa.array(calls, mask=no_log),
        "visits_last_month": pa.array(visits, mask=no_log),
        "head_visits_last_month": pa.array(head_visits, mask=no_log),
        "account_manager": choice(rng, [f"AM{i:02d}" for i in range(1, 31)], n),
    })
