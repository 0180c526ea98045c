"""SIGTERM and SIGINT end a run cleanly: nothing published, staging removed, one line, exit 143/130 (SPEC §3)."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from faults import finish, period_state, registers, start_run

PERIOD = "2026-09"


def _staging_appears(output: Path, before: set[str], timeout: float = 120) -> None:
    """Until the run has made its version directory (it is scoring then)."""
    versions = output / "_versions" / f"period={PERIOD}"
    deadline = time.monotonic() + timeout
    while not (set(p.name for p in versions.iterdir()) - before - {".lock", "current", "previous"}
               if versions.exists() else False):
        assert time.monotonic() < deadline, "the run never started staging"
        time.sleep(0.02)


@pytest.mark.parametrize("signum, exit_code", [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_signal_mid_run_publishes_nothing_and_removes_the_staging(tmp_path: Path, signum: int,
                                                                    exit_code: int) -> None:
    old_register, big_register = registers(tmp_path / "registers", [600, 60_000])
    output = tmp_path / "out"
    assert finish(start_run(old_register.paths, output, PERIOD, "--quiet"))[0] == 0
    before = period_state(output, PERIOD)
    versions = output / "_versions" / f"period={PERIOD}"
    published_versions = {p.name for p in versions.iterdir()}

    run = start_run(big_register.paths, output, PERIOD, "--quiet")
    _staging_appears(output, published_versions)
    run.send_signal(signum)
    code, stderr = finish(run)

    assert code == exit_code, stderr
    (line,) = stderr.strip().splitlines()
    assert line.startswith("tierline: ") and signal.Signals(signum).name in line and "nothing was published" in line
    assert period_state(output, PERIOD) == before
    assert {p.name for p in versions.iterdir()} == published_versions, "the run's staging is gone"


def test_a_signal_during_the_publish_step_waits_for_it_to_end(tmp_path: Path) -> None:
    """Inside the commit a signal is held back: the run ends published whole, and says so."""
    old_register, new_register = registers(tmp_path / "registers", [600, 900])
    output = tmp_path / "out"
    assert finish(start_run(old_register.paths, output, PERIOD, "--quiet"))[0] == 0
    current = output / "_versions" / f"period={PERIOD}" / "current"
    old_version = os.readlink(current)

    run = start_run(new_register.paths, output, PERIOD, "--quiet", TIERLINE_PAUSE_AT="publish:after-commit:3")
    deadline = time.monotonic() + 120
    while os.readlink(current) == old_version:  # until committed; the run now pauses after the rename
        assert time.monotonic() < deadline
        time.sleep(0.02)
    run.send_signal(signal.SIGTERM)
    code, stderr = finish(run)

    assert code == 143, stderr
    (line,) = stderr.strip().splitlines()
    assert "SIGTERM" in line and "just after publishing" in line, line
    assert period_state(output, PERIOD).rows == new_register.rows
