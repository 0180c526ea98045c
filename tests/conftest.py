"""Shared test configuration.

Hypothesis explores new random cases on every developer run; under CI (`CI=true`) it is
derandomized, so a landing is decided by the code and not by the draw. A failure found locally
prints a reproduction blob for `@reproduce_failure`.
"""

from __future__ import annotations

import os

from hypothesis import settings

settings.register_profile("dev", print_blob=True)
settings.register_profile("ci", derandomize=True, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev"))
