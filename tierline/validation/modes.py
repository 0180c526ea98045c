"""The validation modes of a run (SPEC §5): a light module, so the command line can list them
without importing Arrow or Great Expectations."""

from __future__ import annotations

from enum import StrEnum


class ValidationMode(StrEnum):
    FAST = "fast"  # compiled Arrow/NumPy checks with GX's verdicts
    GX = "gx"  # Great Expectations itself on every partition
    OFF = "off"  # only the scorecard's own checks


VALIDATION_MODES = tuple(mode.value for mode in ValidationMode)
