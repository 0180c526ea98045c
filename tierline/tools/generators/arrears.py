"""Arrears register for `arrears`: amounts log-normal around a household bill, about 45% current
month (months_overdue 0) and the rest a few months behind with a tail of old debts, 1% blacklisted,
3% key accounts (most of them held by the key-account department), a mix of disputes, 2% flagged
malicious, 2% lost to competitors, evidence items present at realistic rates, lines spread over the
layered collection units; about 1% unknown dispute codes, 1% null amounts, 0.5% negative months
and 0.5% lines without a collection unit (bad rows)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from tierline.tools.generators._common import choice, flags, ids, with_nulls


def generate(n: int, rng: np.random.Generator) -> pa.Table:
    amount = np.round(rng.lognormal(mean=4.3, sigma=1.0, size=n), 2) + 0.01  # 元, median about 74
    months = rng.geometric(0.45, size=n) - 1  # 0 = current month; a tail past 3 months
    months[rng.random(n) < 0.005] = -1  # a billing-cycle mix-up: fails min 0
    key_account = rng.random(n) < 0.03
    # 分层收缴: district 片区, key_accounts 大客户, data_team 数据班 (internet cafés), branch 分局
    unit = rng.choice(np.array(["district", "data_team", "branch"], dtype=object), size=n, p=[0.72, 0.06, 0.22])
    unit[key_account & (rng.random(n) < 0.8)] = "key_accounts"
    dispute = choice(rng, ["none", "demolition", "rental", "tariff", "denial", "unknown"], n,
                     p=[0.88, 0.02, 0.03, 0.03, 0.03, 0.01])
    return pa.table({
        "subscriber_id": ids("SB", n),
        "arrears_amount": with_nulls(amount, rng, 0.01),
        "months_overdue": months.astype(np.int64),
        "blacklisted": flags(rng, n, 0.01),
        "key_account": pa.array(key_account),
        "dispute": dispute,
        "malicious": flags(rng, n, 0.02),
        "competitor_churn": flags(rng, n, 0.02),
        "id_verified": flags(rng, n, 0.85),
        "address_verified": flags(rng, n, 0.6),
        "guarantor": flags(rng, n, 0.15),
        "call_records": flags(rng, n, 0.5),
        "collection_unit": pa.array(unit, type=pa.string(), mask=rng.random(n) < 0.005),
        "service": choice(rng, ["fixed_line", "broadband", "phs", "iptv"], n, p=[0.45, 0.3, 0.15, 0.1]),
    })
