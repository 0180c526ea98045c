"""Hazard ratings for `lec_hazard`: one row per rater, three raters per hazard (a few panels of
five, about 0.5% of even panels), each rater one step off the hazard's L, E or C now and then; 2%
of hazards meet a major condition. Bad rows: 0.3% of ratings off the value sets (such a rating
leaves its panel, which then turns even) and 0.1% without a rater.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tierline.tools.generators._common import choice, ids

L_VALUES = np.array([0.1, 0.2, 0.5, 1, 3, 6, 10])
E_VALUES = np.array([0.5, 1, 2, 3, 6, 10])
C_VALUES = np.array([1, 3, 7, 15, 40, 100])


def _rated(rng: np.random.Generator, scale: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """Each rater's value: the hazard's own, or one step up or down the scale (20% of ratings)."""
    step = rng.choice(np.array([-1, 0, 1]), size=len(truth), p=[0.1, 0.8, 0.1])
    return scale[np.clip(truth + step, 0, len(scale) - 1)]


def generate(n: int, rng: np.random.Generator) -> pa.Table:
    """About `n` rows (whole panels: n rounded down to panels, at least one)."""
    hazards = max(1, n // 3)
    panel = rng.choice(np.array([3, 5, 2, 4, 1]), size=hazards, p=[0.9, 0.085, 0.003, 0.002, 0.01])
    # cut panels so that the register has n rows (the last panel may be short)
    ends = np.cumsum(panel)
    kept = int(np.searchsorted(ends, n, side="right"))
    panel = panel[:max(kept, 1)]
    hazards = len(panel)
    rows = int(panel.sum())
    hazard = np.repeat(np.arange(hazards), panel)
    seat = np.arange(rows) - np.repeat(np.cumsum(panel) - panel, panel)  # 0, 1, 2 within a panel

    # The hazard's own L, E, C (skewed towards the unlikely, rare and minor), rated per rater.
    true_l = rng.choice(len(L_VALUES), size=hazards, p=[0.15, 0.2, 0.25, 0.2, 0.12, 0.06, 0.02])
    true_e = rng.choice(len(E_VALUES), size=hazards, p=[0.1, 0.2, 0.25, 0.25, 0.15, 0.05])
    true_c = rng.choice(len(C_VALUES), size=hazards, p=[0.25, 0.3, 0.25, 0.12, 0.06, 0.02])
    likelihood = _rated(rng, L_VALUES, true_l[hazard])
    exposure = _rated(rng, E_VALUES, true_e[hazard])
    consequence = _rated(rng, C_VALUES, true_c[hazard])
    off_scale = rng.random(rows) < 0.003
    likelihood = np.where(off_scale, 2.0, likelihood)  # not a Graham–Kinney value: `L:in_set`

    departments = np.array(["安环部", "生产部", "工会", "安环部", "生产部"])
    rater = pc.binary_join_element_wise(pa.array(departments[seat]), pa.array((seat + 1).astype(str)), "-")
    rater = pa.array(rater.to_numpy(zero_copy_only=False), mask=rng.random(rows) < 0.001)
    major = rng.random(hazards) < 0.02
    return pa.table({
        "hazard_id": pc.take(ids("HZ", hazards), pa.array(hazard)),
        "rater": rater,
        "L": likelihood,
        "E": exposure,
        "C": consequence,
        "major_condition": pa.array(major[hazard]),
        "area": pc.take(choice(rng, ["罐区", "装置区", "仓库", "装卸站", "公用工程"], hazards), pa.array(hazard)),
    })
