"""Helpers for the fault tests: runs started as real processes, and what a period looks like to readers.

`period_state` is the check every fault test ends with: the period a reader sees is whole (its
data, quarantine and manifest all come from one run, and the manifest's counts are the rows on
disk) and it is one of the versions the test published. `FAILPOINTS` are the steps of the
publish protocol where `TIERLINE_KILL_AT` / `TIERLINE_PAUSE_AT` stop a run (tierline.pipeline.publish).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import pyarrow.compute as pc
import pyarrow.parquet as pq

from registers import EQUIPMENT_ABC, ROOT, equipment_register, write_register

FAILPOINTS = ("run:locked", "run:scored", "publish:before-commit", "publish:after-commit",
              "publish:after-links", "publish:after-previous")


def environment(**extra: str) -> dict[str, str]:
    env = dict(os.environ, COLUMNS="200", NO_COLOR="1", PYTHONIOENCODING="utf-8", **extra)
    env.pop("FORCE_COLOR", None)
    return env


def run_command(scorecard: Path, inputs: Sequence[Path], output: Path, period: str, *extra: str) -> list[str]:
    return [sys.executable, "-m", "tierline", "run", str(scorecard), "--input", *map(str, inputs),
            "--output", str(output), "--period", period, "--partition-rows", "500", *extra]


def start_run(inputs: Sequence[Path], output: Path, period: str, *extra: str, scorecard: Path = EQUIPMENT_ABC,
              **env: str) -> subprocess.Popen:
    """`tierline run` as a child process with pipes (no terminal), `env` added to its environment."""
    return subprocess.Popen(run_command(scorecard, inputs, output, period, *extra), cwd=ROOT, env=environment(**env),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(process: subprocess.Popen, timeout: float = 300) -> tuple[int, str]:
    """Wait for a started run; its exit code and stderr."""
    _, stderr = process.communicate(timeout=timeout)
    return process.returncode, stderr


@dataclass(frozen=True)
class Register:
    paths: list[Path]
    rows: int  # generated rows plus the hand cases of tests/registers.py


def registers(directory: Path, sizes: Sequence[int]) -> list[Register]:
    """One register per size (different rows, so versions are told apart by their counts too)."""
    made = []
    for i, rows in enumerate(sizes):
        table = equipment_register(rows=rows, seed=11 + i)
        made.append(Register(write_register(table, directory / f"register-{i}", files=2, row_group_size=250),
                             table.num_rows))
    return made


@dataclass(frozen=True)
class PeriodState:
    run_id: str
    scored: int
    quarantined: int

    @property
    def rows(self) -> int:
        return self.scored + self.quarantined


def period_state(output: Path, period: str) -> PeriodState:
    """The version readers see of `period`, after checking it is whole; fails the test otherwise."""
    manifest_path = output / "_manifests" / f"period={period}.json"
    assert manifest_path.is_file(), f"period {period} has no manifest: the period is missing"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    run_id = manifest["run_id"]
    data = output / f"period={period}"
    assert data.is_dir(), f"period {period} has a manifest and no data"
    scored = _rows_of(sorted(data.glob("tier=*/*.parquet")), run_id)
    quarantined = _rows_of(sorted((output / "_quarantine" / f"period={period}").glob("*.parquet")), run_id)
    counts = manifest["counts"]
    assert (scored, quarantined) == (counts["scored"], counts["quarantined"]), (
        f"manifest of {run_id} says {counts['scored']}+{counts['quarantined']} rows, the files hold "
        f"{scored}+{quarantined}: a mix")
    return PeriodState(run_id, scored, quarantined)


def _rows_of(paths: Sequence[Path], run_id: str) -> int:
    rows = 0
    for path in paths:
        assert run_id in path.name, f"{path.name} does not belong to run {run_id}: a mix"
        table = pq.read_table(path)
        if "run_id" in table.column_names:
            assert pc.all(pc.equal(table.column("run_id"), run_id)).as_py(), f"{path} holds rows of another run"
        rows += table.num_rows
    return rows


def leftovers(output: Path, period: str) -> list[str]:
    """What a period keeps beyond its published and previous versions (should be nothing after a run)."""
    versions = output / "_versions" / f"period={period}"
    keep = {".lock", "current", "previous", os.readlink(versions / "current")}
    if (versions / "previous").is_symlink():
        keep.add(os.readlink(versions / "previous"))
    stray = sorted(set(os.listdir(versions)) - keep)
    return stray + (["_staging"] if (output / "_staging").exists() else [])
