"""The plan's arrays from the compiler's lists: one dtype each, always one-dimensional."""

from __future__ import annotations

from typing import Any

import numpy as np

# The keyword arguments of `Plan` that one compile step produces.
PlanFields = dict[str, Any]


def i64(values: Any) -> np.ndarray:
    return np.asarray(values, dtype=np.int64).reshape(-1)


def f64(values: Any) -> np.ndarray:
    return np.asarray(values, dtype=np.float64).reshape(-1)


def b1(values: Any) -> np.ndarray:
    return np.asarray(values, dtype=np.bool_).reshape(-1)
