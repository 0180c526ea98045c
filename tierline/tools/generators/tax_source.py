"""Taxpayer register for `tax_source`: three in four taxpayers are enterprises with log-normal sales
(median 600万元), a tax burden around 3% and assets near sales; individual businesses are small,
rarely report assets, and 0.2% of them are 个体大户 paying 500万元 or more. Industries I01-I20 are
uneven. About 0.8% unknown industry codes, 0.2% unknown taxpayer types, 0.5% null annual tax and
0.3% negative sales."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from tierline.tools.generators._common import ids, with_nulls

INDUSTRIES = [f"I{number:02d}" for number in range(1, 21)]


def generate(n: int, rng: np.random.Generator) -> pa.Table:
    kind = rng.choice(np.array(["enterprise", "individual", "partnership"], dtype=object), size=n,
                      p=[0.748, 0.25, 0.002])  # "partnership" is not a type the scheme knows
    individual = kind == "individual"

    industry_weights = 1.0 / np.arange(1, 21) ** 0.8  # a few industries hold most taxpayers
    industry_p = np.append(industry_weights / industry_weights.sum() * 0.992, 0.008)
    industry = rng.choice(np.array([*INDUSTRIES, "I99"], dtype=object), size=n, p=industry_p)

    sales = np.where(individual, rng.lognormal(np.log(30.0), 1.0, size=n), rng.lognormal(np.log(600.0), 1.6, size=n))
    burden = np.where(individual, rng.lognormal(np.log(0.015), 0.4, size=n), rng.lognormal(np.log(0.03), 0.6, size=n))
    tax = sales * burden
    big_individual = individual & (rng.random(n) < 0.002)  # 个体大户: still the individual track
    tax[big_individual] = rng.uniform(500.0, 2000.0, size=int(big_individual.sum()))
    assets = sales * rng.lognormal(np.log(0.8), 0.8, size=n)
    sales = np.round(sales, 2)
    sales[rng.random(n) < 0.003] *= -1  # a credit note booked as sales: out of range

    assets_reported = np.where(individual, rng.random(n) < 0.2, rng.random(n) < 0.95)
    return pa.table({
        "taxpayer_id": ids("TP", n, width=9),
        "taxpayer_type": pa.array(kind, type=pa.string()),
        "industry": pa.array(industry, type=pa.string()),
        "annual_tax_10k": with_nulls(np.round(tax, 2), rng, 0.005),
        "sales_revenue_10k": with_nulls(sales, rng, 0.02),
        "total_assets_10k": pa.array(np.round(assets, 2), mask=~assets_reported),
    })
