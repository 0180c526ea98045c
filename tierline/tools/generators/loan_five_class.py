"""Loan register for `loan_five_class`: most loans current, overdue days spread over every class
(a long tail past 360), 60% secured, log-normal balances; about 1% null balances, 0.5% null and
0.5% negative days overdue (bad rows for the quarantine)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from tierline.tools.generators._common import choice, flags, ids, with_nulls


def generate(n: int, rng: np.random.Generator) -> pa.Table:
    # 80% current; the overdue ones exponential (mean 200 days): about 3% of all loans pass 360
    overdue = rng.random(n) < 0.2
    days = np.where(overdue, np.ceil(rng.exponential(200.0, size=n)), 0).astype(np.int64)
    days = np.minimum(days, 2000)
    days[rng.random(n) < 0.005] = -1  # a reversed date subtraction upstream: fails min 0
    balance = np.round(rng.lognormal(mean=11.5, sigma=1.2, size=n), 2)  # 元, median about 100,000
    return pa.table({
        "loan_id": ids("LN", n),
        "days_overdue": with_nulls(days, rng, 0.005),
        "secured": flags(rng, n, 0.6),
        "balance": with_nulls(balance, rng, 0.01),
        "branch": choice(rng, ["headquarters", "east", "west", "south", "north"], n),
    })
