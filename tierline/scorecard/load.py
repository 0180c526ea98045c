"""Load a scorecard file: safe YAML → format models → checked `Scorecard` (SPEC §2).

Every problem becomes a `ScorecardError` that names the file, the line and what is wrong.
`check_scorecard` collects all problems (for `tierline check`); `load_scorecard` raises the first.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from tierline.scorecard import format as fmt
from tierline.errors import ScorecardError
from tierline.scorecard.model import (
    Scorecard,
)
from tierline.scorecard.limits import MAX_REPORTED_PROBLEMS
from tierline.scorecard.yamlload import load_yaml_text, read_scorecard_bytes

from tierline.scorecard.problems import Problems, pydantic_problems
from tierline.scorecard.build import Builder


def check_scorecard(path: str | Path) -> tuple[Scorecard | None, list[ScorecardError]]:
    """Parse and check one scorecard file; returns the scorecard (if sound) and every problem."""
    path = Path(path)
    try:
        raw_bytes = read_scorecard_bytes(path)  # a regular file under the size limit, or exit 2
        text = raw_bytes.decode("utf-8")
        document = load_yaml_text(text, str(path))
    except UnicodeDecodeError:
        return None, [ScorecardError("the scorecard is not UTF-8 text", source=str(path))]
    except ScorecardError as error:
        return None, [error]
    return check_document(document, str(path), hashlib.sha256(raw_bytes).hexdigest())


def load_scorecard(path: str | Path) -> Scorecard:
    """Load a scorecard, raising the first problem as a `ScorecardError`."""
    scorecard, errors = check_scorecard(path)
    if errors:
        raise errors[0]
    assert scorecard is not None
    return scorecard


def load_scorecard_text(text: str, source: str = "<scorecard>") -> Scorecard:
    """Load a scorecard from YAML text (tests, embedded scorecards)."""
    document = load_yaml_text(text, source)
    scorecard, errors = check_document(document, source, hashlib.sha256(text.encode()).hexdigest())
    if errors:
        raise errors[0]
    assert scorecard is not None
    return scorecard


def _reported(errors: list[ScorecardError], source: str) -> list[ScorecardError]:
    """The first MAX_REPORTED_PROBLEMS problems, and a line saying how many more there are."""
    if len(errors) <= MAX_REPORTED_PROBLEMS:
        return errors
    more = len(errors) - MAX_REPORTED_PROBLEMS
    return errors[:MAX_REPORTED_PROBLEMS] + [ScorecardError(f"{more:,} more problems not shown", source=source)]


def check_document(document: Any, source: str, sha256: str = "") -> tuple[Scorecard | None, list[ScorecardError]]:
    problems = Problems(document, source)
    if not isinstance(document, dict):
        problems.add((), "a scorecard is a YAML mapping (scorecard:, version:, key:, inputs:, tiers: ...)")
        return None, problems.errors
    try:
        spec = fmt.ScorecardSpec.model_validate(document)
    except ValidationError as error:
        pydantic_problems(error, problems)
        return None, _reported(problems.errors, source)
    scorecard = Builder(spec, problems, source, sha256).build()
    if problems.errors:
        return None, _reported(problems.errors, source)
    return scorecard, []
