"""Two runs of one output and period at once: one publishes, the other waits or stops with exit 2 (SPEC §3).

The first run is held inside its publish step (`TIERLINE_PAUSE_AT`), so the second certainly
starts while the first holds the period's lock. Runs of different periods do not wait for each other.
"""

from __future__ import annotations

import time
from pathlib import Path

from faults import finish, leftovers, period_state, registers, start_run

PERIOD = "2026-08"


def _wait_for_lock_holder(output: Path, period: str, timeout: float = 120) -> None:
    """Until the first run has taken the period's lock (its lock file names it)."""
    lock = output / "_versions" / f"period={period}" / ".lock"
    deadline = time.monotonic() + timeout
    while not (lock.exists() and lock.read_text().strip()):
        assert time.monotonic() < deadline, "the first run never took its lock"
        time.sleep(0.05)


def test_a_second_run_of_the_period_stops_naming_the_holder(tmp_path: Path) -> None:
    first_register, second_register = registers(tmp_path / "registers", [1_200, 800])
    output = tmp_path / "out"
    first = start_run(first_register.paths, output, PERIOD, "--quiet", TIERLINE_PAUSE_AT="publish:before-commit:4")
    _wait_for_lock_holder(output, PERIOD)

    code, stderr = finish(start_run(second_register.paths, output, PERIOD, "--quiet"))

    assert code == 2, stderr
    (line,) = stderr.strip().splitlines()
    assert f"period {PERIOD}" in line and "another run" in line and "pid" in line and str(first.pid) in line, line
    assert finish(first)[0] == 0
    state = period_state(output, PERIOD)
    assert state.rows == first_register.rows  # the first run's version, whole
    assert leftovers(output, PERIOD) == []


def test_a_second_run_with_wait_publishes_after_the_first(tmp_path: Path) -> None:
    first_register, second_register = registers(tmp_path / "registers", [1_200, 800])
    output = tmp_path / "out"
    first = start_run(first_register.paths, output, PERIOD, "--quiet", TIERLINE_PAUSE_AT="publish:before-commit:3")
    _wait_for_lock_holder(output, PERIOD)

    second = start_run(second_register.paths, output, PERIOD, "--quiet", "--wait", "120")

    assert finish(first)[0] == 0
    code, stderr = finish(second)
    assert code == 0, stderr
    assert period_state(output, PERIOD).rows == second_register.rows  # the later run is the period now
    assert leftovers(output, PERIOD) == []


def test_runs_of_different_periods_both_publish(tmp_path: Path) -> None:
    first_register, second_register = registers(tmp_path / "registers", [1_200, 800])
    output = tmp_path / "out"
    first = start_run(first_register.paths, output, "2026-01", "--quiet", TIERLINE_PAUSE_AT="publish:before-commit:3")
    _wait_for_lock_holder(output, "2026-01")

    second = start_run(second_register.paths, output, "2026-02", "--quiet")

    assert finish(second)[0] == 0 and finish(first)[0] == 0
    assert period_state(output, "2026-01").rows == first_register.rows
    assert period_state(output, "2026-02").rows == second_register.rows
