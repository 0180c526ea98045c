"""Arrears register for `arrears`: amounts log-normal around a household bill, mostly the current
month or a few months behind with a tail of old debts, 1% blacklisted, 3% key accounts, a mix of
disputes, 2% flagged malicious, 2% lost to competitors, evidence items present at realistic rates;
about 1% unknown dispute codes, 1% null amounts and 0.5% negative months (bad rows)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from tierline.tools.generators._common import choice, flags, ids, with_nulls


def generate(n: int, rng: np.random.Generator) -> pa.Table:
    amount = np.round(rng.lognormal(mean=4.3, sigma=1.0, size=n), 2) + 0.01  # 元, median about 74
    months = rng.geometric(0.45, size=n) - 1  # 0 = current month; a tail past 3 months
    months[rng.random(n) < 0.005] = -1  # a billing-cycle mix-up: fails min 0
    dispute = choice(rng, ["none", "demolition", "rental", "tariff", "denial", "unknown"], n,
                     p=[0.88, 0.02, 0.03, 0.03, 0.03, 0.01])
    return pa.table({
        "subscriber_id": ids("SB", n),
        "arrears_amount": with_nulls(amount, rng, 0.01),
        "months_overdue": months.astype(np.int64),
        "blacklisted": flags(rng, n, 0.01),
        "key_account": flags(rng, n, 0.03),
        "dispute": dispute,
        "malicious": flags(rng, n, 0.02),
        "competitor_churn": flags(rng, n, 0.02),
        "id_verified": flags(rng, n, 0.85),
        "address_verified": flags(rng, n, 0.6),
        "guarantor": flags(rng, n, 0.15),
        "call_records": flags(rng, n, 0.5),
        "service": choice(rng, ["fixed_line", "broadband", "phs", "iptv"], n, p=[0.45, 0.3, 0.15, 0.1]),
    })
