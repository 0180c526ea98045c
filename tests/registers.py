"""Registers for end-to-end tests of the `tierline` command, built with pyarrow in a tmp dir.

`equipment_register` makes a seeded register for the shipped `equipment_abc` scorecard: a few
thousand generated rows plus `CASES`, a handful of rows whose outcome is worked out by hand below.
`write_register` splits a table over several files of several row groups, so a small
`--partition-rows` gives many partitions. `tierline` runs the real command in a subprocess and
`published_output` runs it once per session for the tests that only read the result.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

ROOT = Path(__file__).resolve().parent.parent
EQUIPMENT_ABC = ROOT / "scorecards" / "equipment_abc.yaml"
KEY = "equipment_id"
TIERS = ("A", "B", "C")
COMPONENTS = ("impact", "value", "utilisation", "spare", "other_items")
ACTIONS = {"A": ("monthly", "plant"), "B": ("quarterly", "workshop"), "C": ("yearly", "team")}

REGISTER_SCHEMA = pa.schema([
    (KEY, pa.string()),
    ("production_impact", pa.string()),
    ("original_value_10k", pa.float64()),
    ("utilisation_pct", pa.float64()),
    ("has_backup", pa.bool_()),
    ("direct_designation", pa.bool_()),
    ("other_items_points", pa.float64()),
    ("plant", pa.string()),  # undeclared: passed through untouched
    ("serial_no", pa.int64()),  # undeclared
])


# --- hand-computed rows ---------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One row and what `equipment_abc` must make of it.

    Points: impact shutdown 25 / ordinary 15 / auxiliary 10; value ≥100 → 15, [50, 100) → 10,
    <50 → 5; utilisation ≥85 → 10, [50, 85) → 5, <50 → 1 (null → 0); spare no backup → 5, backup → 0
    (null → backup); other_items its own value (max 45). A ≥ 75, B [40, 75), C < 40.
    Reasons: shortfall = max − points, largest first, ties in component order, at most three.
    """

    key: str
    impact: str | None
    value_10k: float | None
    utilisation: float | None
    has_backup: bool | None
    direct: bool | None
    other: float | None
    tier: str | None = None  # None: quarantined
    score: float | None = None
    points: tuple[float, ...] = ()  # in COMPONENTS order
    override: str | None = None
    reasons: tuple[str, ...] = ()
    errors: frozenset[str] = field(default_factory=frozenset)

    def row(self, serial: int) -> dict[str, Any]:
        return {KEY: self.key, "production_impact": self.impact, "original_value_10k": self.value_10k,
                "utilisation_pct": self.utilisation, "has_backup": self.has_backup,
                "direct_designation": self.direct, "other_items_points": self.other,
                "plant": "hand", "serial_no": serial}


CASES = (
    # 25 + 15 + 10 + 5 + 20 = 75: "75分以上" includes 75.
    Case("CASE-A-75", "shutdown", 120.0, 100.0, False, False, 20.0,
         tier="A", score=75.0, points=(25, 15, 10, 5, 20), reasons=("other_items",)),
    # value 100 is in the `from: 100` band; 25 + 15 + 10 + 5 + 19.99 = 74.99 stays B.
    Case("CASE-B-74.99", "shutdown", 100.0, 100.0, False, False, 19.99,
         tier="B", score=74.99, points=(25, 15, 10, 5, 19.99), reasons=("other_items",)),
    # 10 + 5 + 1 + 0 + 24 = 40 is B. Shortfalls 15, 10, 9, 5, 21.
    Case("CASE-B-40", "auxiliary", 49.99, 0.0, True, False, 24.0,
         tier="B", score=40.0, points=(10, 5, 1, 0, 24), reasons=("other_items", "impact", "value")),
    # 10 + 5 + 1 + 0 + 23.99 = 39.99 is C.
    Case("CASE-C-39.99", "auxiliary", 10.0, 0.0, True, False, 23.99,
         tier="C", score=39.99, points=(10, 5, 1, 0, 23.99), reasons=("other_items", "impact", "value")),
    # Score 16 would be C; the override makes it A, and reasons stay empty (the tier is not from a score).
    Case("CASE-OVERRIDE", "auxiliary", 10.0, 0.0, True, True, 0.0,
         tier="A", score=16.0, points=(10, 5, 1, 0, 0), override="direct_designation", reasons=()),
    # Nulls: utilisation `missing: 0`, has_backup default true, direct_designation default false.
    # 15 + 10 + 0 + 0 + 30 = 55; shortfalls 10, 5, 10, 5, 15.
    Case("CASE-DEFAULTS", "ordinary", 50.0, None, None, None, 30.0,
         tier="B", score=55.0, points=(15, 10, 0, 0, 30), reasons=("other_items", "impact", "utilisation")),
    # utilisation 150 is above the declared max 100: validation quarantines it (`between`),
    # although the bands alone would have given it 10 points.
    Case("CASE-CLIPPED", "shutdown", 1000.0, 150.0, False, False, 45.0,
         errors=frozenset({"utilisation_pct:between"})),
    # 25 + 15 + 10 + 5 + 45 = 100, the most a row can score.
    Case("CASE-FULL", "shutdown", 1000.0, 100.0, False, False, 45.0,
         tier="A", score=100.0, points=(25, 15, 10, 5, 45), reasons=()),
    # utilisation 85 is "85%以上": 15 + 10 + 10 + 0 + 10 = 45. Shortfalls 10, 5, 0, 5, 35: value
    # beats spare on the tie.
    Case("CASE-UTIL-85", "ordinary", 75.0, 85.0, True, False, 10.0,
         tier="B", score=45.0, points=(15, 10, 10, 0, 10), reasons=("other_items", "impact", "value")),
    # 84.99 and 50 are in 50%~85% (50 is also "50%以下": the upper band takes it): 15 + 10 + 5 + 0 + 10
    # = 40, B. Shortfalls 10, 5, 5, 5, 35.
    Case("CASE-UTIL-84.99", "ordinary", 75.0, 84.99, True, False, 10.0,
         tier="B", score=40.0, points=(15, 10, 5, 0, 10), reasons=("other_items", "impact", "value")),
    Case("CASE-UTIL-50", "ordinary", 75.0, 50.0, True, False, 10.0,
         tier="B", score=40.0, points=(15, 10, 5, 0, 10), reasons=("other_items", "impact", "value")),
    # 49.99 is "50%以下", 1 point: 15 + 10 + 1 + 0 + 10 = 36, C. Shortfalls 10, 5, 9, 5, 35.
    Case("CASE-UTIL-49.99", "ordinary", 75.0, 49.99, True, False, 10.0,
         tier="C", score=36.0, points=(15, 10, 1, 0, 10), reasons=("other_items", "impact", "utilisation")),
    Case("CASE-NULL-IMPACT", None, 120.0, 50.0, True, False, 10.0,
         errors=frozenset({"production_impact:not_null"})),
    # outside the category's values: the suite's in_set and the map's unmapped both fail
    Case("CASE-UNMAPPED", "mothballed", 120.0, 50.0, True, False, 10.0,
         errors=frozenset({"production_impact:in_set", "production_impact:unmapped"})),
    Case("CASE-NULL-VALUE", "ordinary", None, 50.0, True, False, 10.0,
         errors=frozenset({"original_value_10k:not_null"})),
    # NaN counts as null (SPEC §2.1); `other_items` has no `missing`, so null is invalid.
    Case("CASE-NAN-OTHER", "ordinary", 60.0, 50.0, True, False, float("nan"),
         errors=frozenset({"other_items_points:not_null"})),
    # Every error of a row is recorded, not just the first.
    Case("CASE-TWO-ERRORS", None, None, 50.0, True, False, 10.0,
         errors=frozenset({"production_impact:not_null", "original_value_10k:not_null"})),
)
CASES_BY_KEY = {case.key: case for case in CASES}


# --- registers ------------------------------------------------------------------------------


def equipment_register(rows: int = 3000, seed: int = 7, invalid_share: float = 0.02,
                       tiers: Sequence[str] = TIERS, cases: Sequence[Case] = CASES) -> pa.Table:
    """`rows` generated rows (about `invalid_share` of them invalid) plus `cases`, in shuffled order.

    `tiers` narrows the generated rows to those tiers (hand cases are filtered the same way), so a
    register can leave a tier out on purpose. Keys are unique.
    """
    rng = np.random.default_rng(seed)
    narrowed = set(tiers) != set(TIERS)
    impact = rng.choice(np.array(["shutdown", "ordinary", "auxiliary"], dtype=object), size=rows)
    value = np.round(rng.lognormal(3.8, 1.0, size=rows), 2)
    utilisation = np.round(rng.uniform(0, 100, size=rows), 1)
    has_backup = rng.random(rows) < 0.5
    direct = rng.random(rows) < 0.03
    other = np.round(rng.uniform(0, 45, size=rows), 1)
    utilisation_null = rng.random(rows) < 0.05  # `missing: 0`, still valid
    points = (np.select([impact == "shutdown", impact == "ordinary"], [25.0, 15.0], 10.0)
              + np.select([value >= 100, value >= 50], [15.0, 10.0], 5.0)
              + np.where(utilisation_null, 0.0, np.select([utilisation >= 85, utilisation >= 50], [10.0, 5.0], 1.0))
              + np.where(has_backup, 0.0, 5.0) + other)
    tier = np.where(direct | (points >= 75), "A", np.where(points >= 40, "B", "C"))
    broken = rng.random(rows) < invalid_share
    impact = np.where(broken & (rng.random(rows) < 0.5), "retired", impact)  # unmapped
    value_null = broken & (impact != "retired")
    keep = np.ones(rows, dtype=bool)
    if narrowed:
        # Away from the boundaries, so float rounding cannot move a kept row into a dropped tier.
        clear = direct | (np.abs(points - 75) > 0.5) & (np.abs(points - 40) > 0.5)
        keep = np.isin(tier, list(tiers)) & ~broken & clear
    generated = pa.table({
        KEY: pa.array([f"EQ{i:06d}" for i in range(rows)]),
        "production_impact": pa.array(impact.tolist(), pa.string()),
        "original_value_10k": pa.array(value, pa.float64(), mask=value_null),
        "utilisation_pct": pa.array(utilisation, pa.float64(), mask=utilisation_null),
        "has_backup": pa.array(has_backup),
        "direct_designation": pa.array(direct),
        "other_items_points": pa.array(other, pa.float64()),
        "plant": pa.array(rng.choice(np.array(["north", "south", "east"], dtype=object), size=rows).tolist()),
        "serial_no": pa.array(np.arange(rows, dtype=np.int64)),
    }, schema=REGISTER_SCHEMA).filter(pa.array(keep))
    hand = [case.row(1_000_000 + i) for i, case in enumerate(cases)
            if case.tier in tiers or (case.tier is None and not narrowed)]
    table = pa.concat_tables([generated, pa.Table.from_pylist(hand, schema=REGISTER_SCHEMA)])
    return table.take(pa.array(np.random.default_rng(seed + 1).permutation(table.num_rows)))


def write_register(table: pa.Table, directory: Path, files: int = 3, row_group_size: int = 300) -> list[Path]:
    """`table` as `files` Parquet files of several row groups each, under `directory`."""
    directory.mkdir(parents=True, exist_ok=True)
    per_file = -(-table.num_rows // files)
    paths = []
    for index in range(files):
        piece = table.slice(index * per_file, per_file)
        path = directory / f"register-{index}.parquet"
        pq.write_table(piece, path, row_group_size=row_group_size)
        paths.append(path)
    return paths


def write_scorecard(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


# The smallest scorecard with a register-wide check: the unit tests of the pipeline share it.
LEVELS_SCORECARD = """\
scorecard: levels
version: 1
key: id
inputs:
  id: {type: string, required: true, unique: true}
  amount: {type: float, min: 0}
score:
  components:
    - {name: amount, input: amount, value: true}
tiers:
  levels:
    - {tier: high, from: 50}
    - {tier: low, to: 50}
"""

# The scorecard of the `diff` and `report` tests: one amount, its own points, the tiers given.
AMOUNT_SCORECARD = """\
scorecard: {name}
version: {version}
key: id
inputs:
  id: {{type: string, required: {required}, unique: true}}
  amount: {{type: float, min: 0}}
score:
  components:
    - {{name: amount, input: amount, value: true}}
tiers:
  levels:
{levels}"""


def amount_scorecard(levels: str, *, name: str = "amounts", version: int = 1, required: bool = True) -> str:
    """AMOUNT_SCORECARD with `levels` (YAML lines indented by four spaces) and the header filled in."""
    return AMOUNT_SCORECARD.format(name=name, version=version, required=str(required).lower(), levels=levels)


# --- a scorecard for the validation tests ------------------------------------------------------

# One check of every kind on four inputs (regex, between with a default, in_set, a float's finite
# bounds, the key's global unique), shared by tests/functional/test_validation_run.py and tests/unit/validation/test_datadocs.py.
CHECKED_SCORECARD = """\
scorecard: checked
version: 1
key: id
inputs:
  id: {type: string, required: true, regex: "^K[0-9]+$"}
  amount: {type: float, min: 0}
  kind: {type: category, values: [a, b]}
  level: {type: int, min: 1, max: 5, default: 3}
score:
  components:
    - {name: amount, input: amount, bands: [{from: 100, points: 2}, {to: 100, points: 1}], missing: 0}
    - {name: level, input: level, value: true}
tiers:
  levels:
    - {tier: high, from: 5}
    - {tier: low, to: 5}
"""


# --- running the command --------------------------------------------------------------------


def tierline(*args: object, console_script: bool = False, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """Run `python -m tierline ARGS` (or the `tierline` console script) with pipes, not a terminal."""
    if console_script:
        script = Path(sys.executable).parent / "tierline"
        if not script.exists():
            script = ROOT / ".venv" / "bin" / "tierline"
        command = [str(script)]
    else:
        command = [sys.executable, "-m", "tierline"]
    env = dict(os.environ, COLUMNS="200", NO_COLOR="1", PYTHONIOENCODING="utf-8")
    env.pop("FORCE_COLOR", None)
    return subprocess.run(command + [str(a) for a in args], capture_output=True, text=True, env=env,
                          cwd=cwd or ROOT, timeout=300)


def assert_one_line_failure(result: subprocess.CompletedProcess, exit_code: int) -> str:
    """The command failed with `exit_code` and said so in one line on stderr, without a traceback."""
    assert result.returncode == exit_code, (result.returncode, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("tierline: "), lines[0]
    assert "Traceback" not in result.stderr + result.stdout
    return lines[0]


# --- reading the output ---------------------------------------------------------------------


def manifest(output: Path, period: str) -> dict[str, Any]:
    return json.loads((output / "_manifests" / f"period={period}.json").read_text(encoding="utf-8"))


def tier_files(output: Path, period: str) -> dict[str, list[Path]]:
    """Part files of a period by tier code, as the directory names say."""
    found: dict[str, list[Path]] = {}
    for directory in sorted((output / f"period={period}").iterdir()):
        assert directory.name.startswith("tier="), directory
        found[directory.name.removeprefix("tier=")] = sorted(directory.iterdir())
    return found


def read_files(paths: Sequence[Path]) -> pa.Table:
    """Files read one by one (no dataset discovery, so no partition columns are added)."""
    return pa.concat_tables([pq.read_table(path) for path in paths])


def quarantine_files(output: Path, period: str) -> list[Path]:
    directory = output / "_quarantine" / f"period={period}"
    return sorted(directory.iterdir()) if directory.exists() else []


def snapshot(directory: Path) -> dict[str, bytes | None]:
    """Every file (relative path → bytes) and directory (→ None) under `directory`, to prove a run changed nothing."""
    return {str(p.relative_to(directory)): p.read_bytes() if p.is_file() else None
            for p in sorted(directory.rglob("*"))}


# --- one published output per session -------------------------------------------------------

PERIOD = "2026-05"
OTHER_PERIOD = "2026-04"
PARTITION_ROWS = 500


@dataclass(frozen=True)
class Published:
    """A register and the output of `tierline run` on it for PERIOD (all files) and OTHER_PERIOD (first file)."""

    register: tuple[Path, ...]
    table: pa.Table
    output: Path
    result: subprocess.CompletedProcess
    other_result: subprocess.CompletedProcess

    def copy_output(self, target: Path) -> Path:
        shutil.copytree(self.output, target, symlinks=True)  # as `cp -a`: the published links stay links
        return target


_published: dict[Path, Published] = {}


def published_output(factory: pytest.TempPathFactory) -> Published:
    """Run the command once per session (several test modules share it through this cache)."""
    base = factory.getbasetemp()
    if base not in _published:
        root = factory.mktemp("published")
        table = equipment_register()
        register = tuple(write_register(table, root / "register"))
        output = root / "out"
        other = tierline("run", EQUIPMENT_ABC, "--input", register[0], "--output", output,
                         "--period", OTHER_PERIOD, "--partition-rows", PARTITION_ROWS, "--quiet")
        assert other.returncode == 0, other.stderr
        # A file and a glob are both valid --input forms (the rerun test uses a directory).
        result = tierline("run", EQUIPMENT_ABC, "--input", register[0],
                          str(root / "register" / "register-[12].parquet"), "--output", output,
                          "--period", PERIOD, "--partition-rows", PARTITION_ROWS)
        assert result.returncode == 0, result.stderr
        _published[base] = Published(register, table, output, result, other)
    return _published[base]


@pytest.fixture(scope="session")
def published(tmp_path_factory: pytest.TempPathFactory) -> Published:
    return published_output(tmp_path_factory)
