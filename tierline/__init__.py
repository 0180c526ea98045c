"""tierline: grades every entity of a Parquet register into tiers by a declarative scorecard.

The Python API, for schedulers (Airflow, Dagster, cron) and notebooks:

    import tierline

    result = tierline.run("equipment_abc.yaml", ["register/"], "out", period="2026-11")
    result.tiers            # {'A': 1234, 'B': 5678, 'C': 910}
    result.manifest_path    # out/_manifests/period=2026-11.json

- `run(scorecard, inputs, output, *, period=None, validation="fast", ...)` -> `RunResult`
- `check(path)` -> the loaded `Scorecard`, or raises `ScorecardError`
- `explain(scorecard, inputs, keys)` -> one dict per matching row
- `diff(output, before, after, *, entities_to=None)` -> the `Migration` matrix between two periods
- `report(output, period, *, compare=None, target=None)` -> the path of the HTML report

Every failure raises a `TierlineError` (`tierline.errors`), whose `exit_code` is the exit code the
command `tierline` gives for it.
"""

from importlib.metadata import PackageNotFoundError, version as _version

from tierline.api import RunResult, check, diff, explain, report, run
from tierline.errors import (
    InputError, InternalError, OutputError, ScorecardError, TierlineError, UsageError, ValidationPolicyError,
)

try:
    __version__ = _version("tierline")
except PackageNotFoundError:  # a checkout on PYTHONPATH, not installed
    __version__ = "0+unknown"

__all__ = [
    "InputError", "InternalError", "OutputError", "RunResult", "ScorecardError", "TierlineError", "UsageError",
    "ValidationPolicyError", "__version__", "check", "diff", "explain", "report", "run",
]
