"""A full disk on the output: exit 3 naming the path and the space needed, the previous period intact,
and nothing of the failed run left behind (SPEC §3, §4). Needs a small tmpfs: the test mounts one
(as root, where the machine lets it) and is skipped with the reason otherwise."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Iterator

import pytest

from faults import finish, leftovers, period_state, registers, start_run

PERIOD = "2026-10"


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    mount_point = tmp_path / "small-disk"
    mount_point.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount_point)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


def test_a_full_disk_is_exit_3_and_leaves_the_previous_period(small_disk: Path, tmp_path: Path) -> None:
    small, large = registers(tmp_path / "registers", [500, 120_000])
    output = small_disk / "out"
    assert finish(start_run(small.paths, output, PERIOD, "--quiet"))[0] == 0
    before = period_state(output, PERIOD)

    code, stderr = finish(start_run(large.paths, output, PERIOD, "--quiet"))

    assert code == 3, stderr
    (line,) = stderr.strip().splitlines()
    assert line.startswith(f"tierline: {output}: no space left on the device"), line
    assert "this run needs about" in line and "MiB" in line and "Traceback" not in stderr
    assert period_state(output, PERIOD) == before
    assert leftovers(output, PERIOD) == [], "the failed run's staging is removed, and nothing is written after"
