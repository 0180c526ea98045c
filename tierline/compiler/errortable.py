"""The error-code table: every code a row can earn, numbered in the order the compiler meets them.

That order is the order of a quarantined row's `errors` list (SPEC §4), so compile steps claim
their codes in a fixed sequence: components, tiering, axes, aggregate, input types; validation
appends the suite's codes after (`tierline.pipeline.validate.plan_validation`).
"""

from __future__ import annotations

NO_CODE = -1  # in the plan: this check cannot fail here


class ErrorTable:
    def __init__(self) -> None:
        self._codes: dict[str, int] = {}

    def code(self, name: str) -> int:
        """The number of error code `name`, claiming the next one the first time it is asked for."""
        return self._codes.setdefault(name, len(self._codes))

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self._codes)
