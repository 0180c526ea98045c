"""Synthetic registers for the shipped scorecards, one module per scheme (`<scorecard id>.py`).

Each module defines `generate(n: int, rng: numpy.random.Generator) -> pyarrow.Table`: `n` rows of
the scheme's register (SCHEMES.md fixes the column names), realistic distributions, vectorised
NumPy, and a few percent of deliberately bad rows so the quarantine has something to show.
Modules are found by name; nothing here imports user text.
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import Callable

import numpy as np
import pyarrow as pa

Generator = Callable[[int, np.random.Generator], pa.Table]


def available() -> list[str]:
    """The scorecard ids that have a generator."""
    return sorted(m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_"))


def generator(scorecard_id: str) -> Generator | None:
    if scorecard_id not in available():  # only names found on disk reach import_module
        return None
    return importlib.import_module(f"{__name__}.{scorecard_id}").generate
