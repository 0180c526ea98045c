"""SIGKILL at any moment of a run leaves the period whole: the old version or the new one (SPEC §4).

Trials follow one another on one output: each kills a run of the period, either at a step of the
publish protocol (`TIERLINE_KILL_AT`, the moments that matter most) or after a random delay
within a run's length, checks that readers see the version before or the killed run's own, whole,
then runs again normally: that run must publish, and leave nothing of the killed one behind. A
few trials run in CI; the `heavy` test runs 50.
"""

from __future__ import annotations

import random
import signal
import time
from pathlib import Path

import pytest

from faults import FAILPOINTS, Register, finish, leftovers, period_state, registers, start_run

PERIOD = "2026-06"


def _kill_trials(tmp_path: Path, plan: list[tuple[str | None, float]]) -> list[str]:
    """Run each (failpoint or None, delay) of `plan` in turn; which version readers saw after each kill."""
    output = tmp_path / "out"
    victim_register, clean_register = registers(tmp_path / "registers", [2_300, 1_500])
    assert finish(start_run(clean_register.paths, output, PERIOD, "--quiet"))[0] == 0
    seen_after = []
    for failpoint, delay in plan:
        before = period_state(output, PERIOD)
        victim = start_run(victim_register.paths, output, PERIOD, "--quiet",
                           **({"TIERLINE_KILL_AT": failpoint} if failpoint else {}))
        if failpoint is None:
            time.sleep(delay)
            victim.send_signal(signal.SIGKILL)
        code, stderr = finish(victim)
        assert code in (0, -signal.SIGKILL), stderr
        seen = period_state(output, PERIOD)
        _assert_one_of(seen, before, victim_register)
        seen_after.append("old" if seen.run_id == before.run_id else "new")

        code, stderr = finish(start_run(clean_register.paths, output, PERIOD, "--quiet"))
        assert code == 0, stderr
        assert period_state(output, PERIOD).rows == clean_register.rows
        assert leftovers(output, PERIOD) == [], "the next run removes what the killed one left"
    return seen_after


def _assert_one_of(seen, before, victim_register: Register) -> None:
    if seen.run_id == before.run_id:
        assert seen == before
    else:
        assert seen.rows == victim_register.rows, seen


def test_sigkill_at_each_step_of_the_protocol(tmp_path: Path) -> None:
    seen = _kill_trials(tmp_path, [(failpoint, 0.0) for failpoint in FAILPOINTS])
    # Killed up to the commit rename, the version before stays; after it, the killed run's is the period.
    commit = FAILPOINTS.index("publish:before-commit")
    assert seen == ["old"] * (commit + 1) + ["new"] * (len(FAILPOINTS) - commit - 1)


def _random_plan(trials: int, seed: int) -> list[tuple[str | None, float]]:
    """Half the trials at a protocol step, half at a random moment of a run's first 4 s."""
    rng = random.Random(seed)
    return [(rng.choice(FAILPOINTS), 0.0) if rng.random() < 0.5 else (None, rng.uniform(0.2, 4.0))
            for _ in range(trials)]


def test_sigkill_at_random_moments(tmp_path: Path) -> None:
    _kill_trials(tmp_path, _random_plan(3, seed=20261202))


@pytest.mark.heavy
def test_sigkill_fifty_times(tmp_path: Path) -> None:
    seen = _kill_trials(tmp_path, _random_plan(50, seed=1))
    print(f"after a kill readers saw the version before {seen.count('old')} times, the killed run's "
          f"{seen.count('new')} times, and never anything else")
