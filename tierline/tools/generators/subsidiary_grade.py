"""Subsidiary register for `subsidiary_grade`: yearly composite scores around 72 (most subsidiaries
are 一级 or 二级, a few 特级 and 三级), one decimal, with a share landing exactly on the source's
boundaries 60, 75 and 90; about 1% null scores and 0.5% above 100."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from tierline.tools.generators._common import choice, ids, with_nulls


def generate(n: int, rng: np.random.Generator) -> pa.Table:
    score = np.clip(np.round(rng.normal(72.0, 11.0, size=n), 1), 0.0, 100.0)
    # assessors like round numbers: 3% of scores sit exactly on a boundary
    on_boundary = rng.random(n) < 0.03
    score[on_boundary] = rng.choice(np.array([60.0, 75.0, 90.0]), size=int(on_boundary.sum()))
    out_of_range = rng.random(n) < 0.005  # typed on a 0-120 sheet by mistake
    score[out_of_range] = np.round(rng.uniform(100.5, 120.0, size=int(out_of_range.sum())), 1)
    return pa.table({
        "subsidiary_id": ids("SUB", n),
        "annual_score": with_nulls(score, rng, 0.01),
        "sector": choice(rng, ["recycling", "logistics", "trading", "processing"], n, p=[0.4, 0.2, 0.25, 0.15]),
        "region": choice(rng, ["north", "east", "south", "west", "central"], n),
    })
