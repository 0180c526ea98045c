"""Loan register for `loan_five_class`: most loans current, overdue days spread over every class of
every security type (a long tail past 720), a mix of security types (1% null and 0.5% codes outside
the table, both read as credit), log-normal balances; about 1% null balances, 0.5% null and 0.5%
negative days overdue (bad rows for the quarantine)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from tierline.tools.generators._common import choice, ids, with_nulls

# 信用 / 保证 / 质押 / 抵押, and codes the scorecard does not know ("lease", a blank): read as credit
SECURITY = ["credit", "guarantee", "pledge", "mortgage", "lease", ""]
SECURITY_SHARES = [0.35, 0.25, 0.1, 0.295, 0.003, 0.002]


def generate(n: int, rng: np.random.Generator) -> pa.Table:
    # 80% current; the overdue ones exponential (mean 200 days): about 1.7% of all loans pass 720
    overdue = rng.random(n) < 0.2
    days = np.where(overdue, np.ceil(rng.exponential(200.0, size=n)), 0).astype(np.int64)
    days = np.minimum(days, 3000)
    days[rng.random(n) < 0.005] = -1  # a reversed date subtraction upstream: fails min 0
    balance = np.round(rng.lognormal(mean=11.5, sigma=1.2, size=n), 2)  # 元, median about 100,000
    security = rng.choice(np.array(SECURITY, dtype=object), size=n, p=SECURITY_SHARES)
    return pa.table({
        "loan_id": ids("LN", n),
        "days_overdue": with_nulls(days, rng, 0.005),
        "security_type": pa.array(security, type=pa.string(), mask=rng.random(n) < 0.01),
        "balance": with_nulls(balance, rng, 0.01),
        "branch": choice(rng, ["headquarters", "east", "west", "south", "north"], n),
    })
