"""Hostile scorecards (issue 9): each one is refused with exit 2 and one line naming the file.

Every shape users found by fuzzing or by hand (YAML thousands of levels deep, billion-laughs
aliases, 10⁴⁰⁰, 130 nested parentheses, 10,000-term chains, an empty map, a version past int32,
an action column named like an output column, `expectations: /dev/zero`, a FIFO, a 50 MB file)
runs through the real `tierline check` and `tierline run` in a subprocess held to 1 GiB of address
space and 60 s: exit 2, exactly one line on stderr naming the file (and its line where there is
one), no traceback, nothing written. No time is asserted beyond the timeout.

`FUZZ_FOUND` are shapes that longer fuzzing sessions (tests/functional/test_fuzz_scorecard.py with more
examples) found; each is a regression case here.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tierline.cli import main
from tierline.scorecard.limits import (
    MAX_EXPRESSION_CHARS,
    MAX_EXPRESSION_DEPTH,
    MAX_EXPRESSION_TERMS,
    MAX_EXTRA_SUITE_BYTES,
    MAX_SCORECARD_BYTES,
    MAX_YAML_DEPTH,
    MAX_YAML_NODES,
)
from spec_example import SPEC_SCORECARD

REPO = Path(__file__).resolve().parents[2]
ADDRESS_SPACE = 1 << 30  # 1 GiB

BASE = SPEC_SCORECARD


def edit(text: str, *edits: tuple[str, str]) -> str:
    """Apply (old, new) replacements; each `old` must occur exactly once, so a case cannot rot."""
    for old, new in edits:
        assert text.count(old) == 1, f"the edit {old!r} must match exactly once"
        text = text.replace(old, new)
    return text


def with_derived(expression: str) -> str:
    return BASE + f'derived:\n  extra: "{expression}"\n'


def with_when(expression: str) -> str:
    return edit(BASE, ('when: "special_equipment"', f'when: "{expression}"'))


def every_tier(column: str, value: str) -> str:
    """BASE with one more action column in every tier."""
    return edit(BASE, *[(f"{tier}: {{review_cycle", f"{tier}: {{{column}: {value}, review_cycle") for tier in "ABC"])


def nested_block_mappings(levels: int) -> str:
    return "description:\n" + "".join("  " * (i + 1) + "a:\n" for i in range(levels)) + "  " * (levels + 1) + "b: 1\n"


def billion_laughs() -> str:
    rows = ["  - &a [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for previous, anchor in zip("abcdefgh", "bcdefghi"):
        rows.append(f"  - &{anchor} [" + ", ".join([f"*{previous}"] * 10) + "]")
    return edit(BASE, ("passthrough: all\n", "passthrough:\n" + "\n".join(rows) + "\n"))


@dataclass(frozen=True)
class Hostile:
    """One hostile scorecard: its text, what its one line says, and the line it names (if any)."""

    text: str
    says: tuple[str, ...]
    at: str | None = None  # a fragment of the line the message names; None: the file only


HUGE_INT = "1" + "0" * 400  # 10⁴⁰⁰
BIG_LITERAL = "9" * 400  # 400 digits

HOSTILE: dict[str, Hostile] = {
    # ---- YAML structure: refused while composing, before PyYAML's recursion or any object
    "yaml-2k-deep-flow-sequences": Hostile(
        edit(BASE, ("description: Oilfield", "description: " + "[" * 2000 + "]" * 2000 + "\nnote: Oilfield")),
        (f"nests more than {MAX_YAML_DEPTH} levels deep",), "description:"),
    "yaml-10k-deep-flow-mappings": Hostile(
        edit(BASE, ("description: Oilfield", "description: " + "{a: " * 10_000 + "1" + "}" * 10_000 + "\nnote: Oilfield")),
        (f"nests more than {MAX_YAML_DEPTH} levels deep",), "description:"),
    "yaml-700-deep-block-mappings": Hostile(
        edit(BASE, ("description: Oilfield equipment A/B/C, 100-point formula method\n", nested_block_mappings(700))),
        (f"nests more than {MAX_YAML_DEPTH} levels deep",), "  " * (MAX_YAML_DEPTH - 1) + "a:"),  # level 65: a key
    "yaml-billion-laughs-in-passthrough": Hostile(
        billion_laughs(), (f"more than {MAX_YAML_NODES:,} values", "aliases counted"), "- &e ["),  # 111,111 values
    "yaml-aliases-nest-past-the-depth": Hostile(
        edit(BASE, ("description: Oilfield", "note: &deep " + "[" * 40 + "]" * 40
                    + "\ndescription: " + "[" * 30 + "*deep" + "]" * 30 + "\nother: Oilfield")),
        ("once its aliases are expanded",), "description: [[["),
    "yaml-recursive-alias": Hostile(
        edit(BASE, ("passthrough: all", "passthrough: &loop [equipment_id, *loop]")),
        ("alias *loop refers to a node that contains it",), "passthrough:"),
    "yaml-too-many-values": Hostile(
        edit(BASE, ("values: [shutdown, ordinary, auxiliary]", "values: [" + "x, " * (MAX_YAML_NODES + 10) + "x]")),
        (f"more than {MAX_YAML_NODES:,} values",), "values: [x, x"),
    "yaml-nul-character": Hostile(
        edit(BASE, ("description: Oilfield", "description: Oil\x00field")),
        ("YAML syntax", "#x0000"), "description:"),
    # ---- explicit tags and timestamps: PyYAML's constructors raised ValueError, KeyError, AttributeError
    "yaml-timestamp-month-13": Hostile(
        edit(BASE, ("description: Oilfield", "description: 2024-13-45\nnote: Oilfield")),
        ("the YAML value '2024-13-45' cannot be read as timestamp",), "description:"),
    "yaml-int-tag-on-text": Hostile(
        edit(BASE, ("version: 2", "version: !!int two")), ("the YAML value 'two' cannot be read as int",), "version:"),
    "yaml-float-tag-on-nothing": Hostile(
        edit(BASE, ("{from: 100, points: 15}", "{from: !!float '', points: 15}")), ("cannot be read as float",),
        "{from: !!float"),
    "yaml-bool-tag-on-text": Hostile(
        edit(BASE, ("special_equipment: {type: bool, default: false}", "special_equipment: {type: bool, default: !!bool maybe}")),
        ("'maybe' cannot be read as bool",), "special_equipment: {type: bool"),
    "yaml-seq-tag-on-a-mapping": Hostile(
        edit(BASE, ("passthrough: all", "passthrough: !!seq {a: 1}")), ("a mapping cannot be read as seq",), "passthrough:"),
    # ---- numbers in YAML
    "yaml-integer-10^400-version": Hostile(
        edit(BASE, ("version: 2", f"version: {HUGE_INT}")), ("does not fit in 64 bits",), "version:"),
    "yaml-integer-100k-digits-points": Hostile(
        edit(BASE, ("{from: 100, points: 15}", "{from: 100, points: 1" + "0" * 100_000 + "}")),
        ("does not fit in 64 bits", "100,001 characters"), "{from: 100, points: 1000"),
    "yaml-float-1e400-bound": Hostile(
        edit(BASE, ("{from: 100, points: 15}", "{from: 1.0e+400, points: 15}")),
        ("too large for a float64",), "{from: 1.0e+400"),
    "yaml-quoted-400-digit-points": Hostile(
        edit(BASE, ("{from: 100, points: 15}", f"{{from: 100, points: '{BIG_LITERAL}'}}")),
        ("bands[0].points", "does not fit in 64 bits"), "{from: 100, points: '999"),
    "yaml-integer-past-int64-action": Hostile(
        every_tier("quota", str(1 << 64)), ("does not fit in 64 bits",), "A: {quota:"),
    "version-2^31": Hostile(
        edit(BASE, ("version: 2", "version: 2147483648")), ("version", "int32", "2,147,483,647"), "version:"),
    "map-empty": Hostile(
        edit(BASE, ("map: {shutdown: 25, ordinary: 15, auxiliary: 10}", "map: {}")),
        ("components[0].map", "empty map"), "{name: impact"),
    # ---- expressions
    "expr-130-nested-parentheses": Hostile(
        with_when("(" * 130 + "special_equipment" + ")" * 130),
        (f"nests more than {MAX_EXPRESSION_DEPTH} levels deep", "column 65"), "name: direct_designation"),
    "expr-10k-term-sum": Hostile(
        with_derived(" + ".join(["original_value_10k"] * 10_000)),
        (f"at most {MAX_EXPRESSION_CHARS:,}",), "extra:"),
    "expr-10k-term-and-chain": Hostile(
        with_when(" and ".join(["special_equipment"] * 10_000)), (f"at most {MAX_EXPRESSION_CHARS:,}",),
        "name: direct_designation"),
    "expr-2k-term-chain-short-text": Hostile(
        with_derived("+".join(["1"] * 2000)), (f"more than {MAX_EXPRESSION_TERMS:,} names and values",), "extra:"),
    "expr-100-term-or-chain": Hostile(
        with_when(" or ".join(["special_equipment"] * 100)),
        (f"nests more than {MAX_EXPRESSION_DEPTH} levels deep", "each operator of a chain"), "name: direct_designation"),
    "expr-1000-nots": Hostile(
        with_when("not " * 1000 + "special_equipment"), (f"nests more than {MAX_EXPRESSION_DEPTH}",),
        "name: direct_designation"),
    "expr-1000-minus-signs": Hostile(
        with_derived("-" * 1000 + "original_value_10k"), (f"nests more than {MAX_EXPRESSION_DEPTH}",), "extra:"),
    "expr-integer-10^400": Hostile(
        with_when(f"original_value_10k > {HUGE_INT}"), ("401 characters", "at most 64"), "name: direct_designation"),
    "expr-400-digit-literal-check-accepted-run-crashed": Hostile(
        with_derived(f"original_value_10k * {BIG_LITERAL}"), ("400 characters", "at most 64"), "extra:"),
    "expr-float-1e400": Hostile(
        with_derived("original_value_10k * 1e400"), ("the number 1e400 is too large for a float64",), "extra:"),
    "expr-in-list-value-1e400": Hostile(
        with_when("original_value_10k in [1, -1.5e400]"), ("too large for a float64",), "name: direct_designation"),
    # ---- names: one column each in the output (SPEC §2, §4)
    "action-named-points-impact": Hostile(
        every_tier("points_impact", "1"), ("action column 'points_impact'", "points column of component 'impact'"),
        "A: {points_impact:"),
    "action-named-score": Hostile(every_tier("score", "1"), ("action column 'score'", "a score"), "A: {score:"),
    "action-named-tier-label": Hostile(
        every_tier("tier_label", "x"), ("action column 'tier_label'", "a column tierline writes"), "A: {tier_label:"),
    "action-named-run-id": Hostile(every_tier("run_id", "x"), ("action column 'run_id'",), "A: {run_id:"),
    "action-named-period": Hostile(every_tier("period", "x"), ("action column 'period'",), "A: {period:"),
    "derived-named-points-value": Hostile(
        BASE + 'derived:\n  points_value: "original_value_10k * 2"\n',
        ("derived column 'points_value'", "points column of component 'value'"), "points_value:"),
    "derived-named-scorecard-version": Hostile(
        BASE + 'derived:\n  scorecard_version: "original_value_10k * 2"\n', ("derived column 'scorecard_version'",),
        "scorecard_version:"),
    "derived-named-like-an-action": Hostile(
        BASE + 'derived:\n  owner: "original_value_10k * 2"\n', ("derived column 'owner'", "action column 'owner'"),
        "  owner:"),
    "passthrough-lists-tier-rank": Hostile(
        edit(BASE, ("passthrough: all", "passthrough: [equipment_id, tier_rank]")),
        ("passthrough column 'tier_rank'", "two columns named 'tier_rank'"), "passthrough:"),
    "passthrough-lists-points": Hostile(
        edit(BASE, ("passthrough: all", "passthrough: [equipment_id, points_impact]")),
        ("passthrough column 'points_impact'",), "passthrough:"),
    "passthrough-lists-an-action-column": Hostile(
        edit(BASE, ("passthrough: all", "passthrough: [equipment_id, owner]")),
        ("passthrough column 'owner'", "action column 'owner'"), "passthrough:"),
    "passthrough-lists-a-hive-key": Hostile(
        edit(BASE, ("passthrough: all", "passthrough: [equipment_id, tier]")), ("passthrough column 'tier'",),
        "passthrough:"),
    "passthrough-lists-a-column-twice": Hostile(
        edit(BASE, ("passthrough: all", "passthrough: [equipment_id, site, site]")),
        ("passthrough lists 'site' twice",), "passthrough:"),
    # ---- regular expressions (compiled by Python's recursive parser, GX and RE2)
    "regex-200-nested-groups": Hostile(
        edit(BASE, ("equipment_id: {type: string, required: true}",
                    "equipment_id: {type: string, required: true, regex: '" + "(" * 200 + "a" + ")" * 200 + "'}")),
        ("nests groups more than",), "equipment_id: {type"),
    "regex-repeat-past-int32": Hostile(
        edit(BASE, ("equipment_id: {type: string, required: true}",
                    "equipment_id: {type: string, required: true, regex: 'a{4294967296}'}")),
        ("bad regular expression",), "equipment_id: {type"),
}

FUZZ_FOUND: dict[str, Hostile] = {
    # a key spelt like a pydantic union member (`x [1]`) was dropped from the error's path: IndexError
    "key-spelt-like-a-union-member": Hostile(
        edit(BASE, ("passthrough: all", "passthrough: all\ns!!map [1]corecard: equipment_abc")),
        ("unknown key 's!!map [1]corecard'",), "s!!map [1]corecard:"),
    "map-key-named-int": Hostile(
        edit(BASE, ("auxiliary: 10}", "auxiliary: 10, int: 5}")), ("map key 'int' is not one of the values",),
        "{name: impact"),
}


def _expected_line(case: Hostile) -> int | None:
    """The first line holding the case's fragment (None: the message names the file only)."""
    if case.at is None:
        return None
    lines = [n for n, line in enumerate(case.text.splitlines(), 1) if case.at in line]
    assert lines, f"{case.at!r} marks no line"
    return lines[0]


def _limited() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))


def tierline(*args: str, limited: bool = True) -> subprocess.CompletedProcess[str]:
    """The real command, held to 1 GiB of address space and 60 s."""
    return subprocess.run([sys.executable, "-m", "tierline", *args], cwd=REPO, capture_output=True, text=True,
                          timeout=60, preexec_fn=_limited if limited else None)


def assert_one_line(stderr: str, prefix: str, path: Path, line: int | None, says: tuple[str, ...]) -> str:
    assert "Traceback" not in stderr and "internal error" not in stderr, stderr[:2000]
    lines = stderr.splitlines()
    assert len(lines) == 1, f"want one line, got {len(lines)}:\n{stderr[:2000]}"
    where = f"{prefix}{path}:{line}: " if line is not None else f"{prefix}{path}: "
    assert lines[0].startswith(where), f"want {where!r}, got {lines[0][:300]!r}"
    for fragment in says:
        assert fragment in lines[0], f"{fragment!r} not in {lines[0][:300]!r}"
    assert len(lines[0]) < 400, "a message quotes a whole hostile value"
    return lines[0]


def write_register(directory: Path, extra_column: str | None = None) -> Path:
    """A small register for the SPEC example scorecard, so a run that got past the scorecard could score."""
    directory.mkdir(parents=True, exist_ok=True)
    table = pa.table({
        "equipment_id": ["E1", "E2", "E3"],
        "production_impact": ["shutdown", "ordinary", "auxiliary"],
        "original_value_10k": [120.0, 60.0, 10.0],
        "utilisation_pct": [90.0, 50.0, None],
        "special_equipment": [False, True, None],
        "site": ["north", "south", "east"],
    })
    if extra_column is not None:
        table = table.append_column(extra_column, pa.array([1, 2, 3]))
    pq.write_table(table, directory / "part-0.parquet")
    return directory


def write(directory: Path, text: str) -> Path:
    path = directory / "card.yaml"
    path.write_text(text, encoding="utf-8")
    return path


# ---------------------------------------------------------------- files that are not scorecards


def _fifo(directory: Path) -> Path:
    path = directory / "card.yaml"
    os.mkfifo(path)
    return path


def _sparse(directory: Path, size: int, name: str = "card.yaml") -> Path:
    path = directory / name
    with open(path, "wb") as handle:
        handle.truncate(size)  # sparse: the size is real, the disk blocks are not
    return path


def _just_over(directory: Path) -> Path:
    path = directory / "card.yaml"
    padding = MAX_SCORECARD_BYTES + 1 - len(BASE.encode())
    path.write_text(BASE + "#" * (padding - 1) + "\n", encoding="utf-8")
    assert path.stat().st_size == MAX_SCORECARD_BYTES + 1
    return path


# name → (writes the scorecard into a directory and returns its path, what the line says)
FILES: dict[str, tuple[Callable[[Path], Path], tuple[str, ...]]] = {
    "scorecard-fifo": (_fifo, ("must be a regular file", "FIFO")),
    "scorecard-dev-zero": (lambda directory: Path("/dev/zero"), ("must be a regular file", "a device")),
    "scorecard-directory": (lambda directory: directory, ("must be a regular file", "a directory")),
    "scorecard-50-MB": (lambda directory: _sparse(directory, 50 << 20),
                        ("52,428,800 bytes", f"limit is {MAX_SCORECARD_BYTES:,}")),
    "scorecard-one-byte-over": (_just_over, (f"{MAX_SCORECARD_BYTES + 1:,} bytes",)),
}

# ---------------------------------------------------------------- the extra suite (expectations:)

EXTRA = '{"expectations": [{"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "site"}}]}'


def _suite_fifo(directory: Path) -> str:
    os.mkfifo(directory / "suite.json")
    return "suite.json"


def _suite_text(text: str) -> Callable[[Path], str]:
    def make(directory: Path) -> str:
        (directory / "suite.json").write_text(text, encoding="utf-8")
        return "suite.json"
    return make


# name → (writes the suite and returns what `expectations:` says, what the line says)
SUITES: dict[str, tuple[Callable[[Path], str], tuple[str, ...]]] = {
    "suite-dev-zero": (lambda directory: "/dev/zero", ("must be a regular file", "a device", "named by 'expectations:'")),
    "suite-fifo": (_suite_fifo, ("must be a regular file", "FIFO")),
    "suite-directory": (lambda directory: ".", ("must be a regular file", "a directory")),
    "suite-over-16-MiB": (lambda directory: _sparse(directory, MAX_EXTRA_SUITE_BYTES + 1, "suite.json").name,
                          (f"limit is {MAX_EXTRA_SUITE_BYTES:,} bytes",)),
    "suite-nested-100k-deep": (_suite_text("[" * 100_000 + "]" * 100_000), ("nests too deeply",)),
    "suite-integer-5000-digits": (_suite_text('{"expectations": [], "x": ' + "9" * 5000 + "}"),
                                  ("does not fit in 64 bits",)),
    "suite-float-1e400": (_suite_text('{"expectations": [], "x": 1e400}'), ("too large for a float64",)),
    "suite-nan": (_suite_text('{"expectations": [], "x": NaN}'), ("NaN is not a JSON value",)),
}


@dataclass(frozen=True)
class Prepared:
    """A case written into its own directory: the scorecard, and the file and line its message names."""

    scorecard: Path
    named: Path
    line: int | None
    says: tuple[str, ...]


def prepare(name: str, directory: Path) -> Prepared:
    if name in ALL:
        case = ALL[name]
        path = write(directory, case.text)
        return Prepared(path, path, _expected_line(case), case.says)
    if name in FILES:
        make, says = FILES[name]
        path = make(directory)
        return Prepared(path, path, None, says)
    make_suite, says = SUITES[name]
    suite = make_suite(directory)
    path = write(directory, BASE + f"expectations: {suite}\n")
    return Prepared(path, directory / suite if not suite.startswith("/") else Path(suite), None, says)


ALL = {**HOSTILE, **FUZZ_FOUND}
KEYS = [(name, command) for name in [*ALL, *FILES, *SUITES] for command in ("check", "run")]


@pytest.fixture(scope="module")
def outcomes(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
             ) -> dict[tuple[str, str], tuple[Prepared, Path, subprocess.CompletedProcess[str]]]:
    """Every selected case through the real `tierline check` and `tierline run`, each its own
    limited process, one per core at a time."""
    selected = [item.callspec.params["key"] for item in request.session.items
                if getattr(item, "originalname", "") == "test_refused_with_exit_2_in_one_line_naming_the_file"]
    register = write_register(tmp_path_factory.mktemp("register"))
    jobs = {}
    for name, command in selected:
        directory = tmp_path_factory.mktemp(f"{name}-{command}")
        prepared = prepare(name, directory)
        output = directory / "out"
        args = (["check", str(prepared.scorecard)] if command == "check" else
                ["run", str(prepared.scorecard), "--input", str(register), "--output", str(output), "--period", "p1"])
        jobs[(name, command)] = (prepared, output, args)
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        futures = {key: pool.submit(tierline, *args) for key, (_, _, args) in jobs.items()}
        return {key: (jobs[key][0], jobs[key][1], future.result()) for key, future in futures.items()}


@pytest.mark.parametrize("key", KEYS, ids=[f"{name}-{command}" for name, command in KEYS])
def test_refused_with_exit_2_in_one_line_naming_the_file(key: tuple[str, str], outcomes) -> None:
    prepared, output, result = outcomes[key]
    assert result.returncode == 2, result.stderr[:2000]
    prefix = "" if key[1] == "check" else "tierline: "
    assert result.stdout == ""
    assert_one_line(result.stderr, prefix, prepared.named, prepared.line, prepared.says)
    assert not output.exists(), "a refused run wrote its output"


def test_the_base_checks_and_runs(tmp_path: Path) -> None:
    """The hostile cases are edits of a scorecard that works (a 60-term chain is fine)."""
    register = write_register(tmp_path / "register")
    path = write(tmp_path, BASE + "derived:\n  extra: \"" + " + ".join(["original_value_10k"] * 60) + "\"\n")
    assert tierline("check", str(path)).returncode == 0
    # not under the 1 GiB limit: a run's thread pools reserve address space
    result = tierline("run", str(path), "--input", str(register), "--output", str(tmp_path / "out"),
                      "--period", "p1", "--quiet", limited=False)
    assert result.returncode == 0, result.stderr


def _large_map(entries: int) -> str:
    values = ", ".join(f"v{i}" for i in range(entries))
    points = ", ".join(f"v{i}: {i % 30}" for i in range(entries))
    return edit(BASE, ("values: [shutdown, ordinary, auxiliary]", f"values: [{values}]"),
                ("map: {shutdown: 25, ordinary: 15, auxiliary: 10}", f"map: {{{points}}}"))


def _many_tiers(count: int) -> str:
    levels = "".join(f"    - {{tier: t{i}, from: {-i - 1}, to: {-i}}}\n" for i in range(count))
    return edit(BASE, ("    - {tier: C, label: C类设备, to: 40}\n",
                       f"    - {{tier: C, label: C类设备, from: 0, to: 40}}\n{levels}    - {{tier: last, to: {-count}}}\n"),
                ("actions:\n  A: {review_cycle: monthly, owner: plant}\n  B: {review_cycle: quarterly, owner: workshop}\n"
                 "  C: {review_cycle: yearly, owner: team}\n", ""))


# Large but sound: these took minutes (lookups in lists, once per value) and now take seconds.
LARGE = {
    "map-of-20k-values": _large_map(20_000),
    "5k-tiers": _many_tiers(5_000),
    "10k-components": edit(BASE, ("    - {name: utilisation,", "".join(
        f"    - {{name: c{i}, input: utilisation_pct, value: true}}\n" for i in range(10_000)) + "    - {name: utilisation,")),
    "20k-passthrough-columns": edit(BASE, ("passthrough: all", "passthrough: [equipment_id, "
                                           + ", ".join(f"c{i}" for i in range(20_000)) + "]")),
}


@pytest.mark.parametrize("name", list(LARGE))
def test_a_large_sound_scorecard_checks_in_the_limits(name: str, tmp_path: Path) -> None:
    path = write(tmp_path, LARGE[name])
    result = tierline("check", str(path))
    assert (result.returncode, result.stderr) == (0, ""), result.stderr[:2000]


def test_a_scorecard_of_exactly_the_limit_is_read(tmp_path: Path) -> None:
    path = tmp_path / "card.yaml"
    path.write_text(BASE + "#" * (MAX_SCORECARD_BYTES - len(BASE.encode()) - 1) + "\n", encoding="utf-8")
    assert path.stat().st_size == MAX_SCORECARD_BYTES
    assert main(["check", str(path)]) == 0


def test_check_reads_a_sound_extra_suite(tmp_path: Path) -> None:
    _suite_text(EXTRA)(tmp_path)
    path = write(tmp_path, BASE + "expectations: suite.json\n")
    assert main(["check", str(path)]) == 0


# ---------------------------------------------------------------- check and run agree


def test_check_refuses_what_the_run_refuses_when_it_plans_validation(tmp_path: Path, capsys) -> None:
    """An atomic group compiles in Python 3.11 but RE2 (the fast checks) lacks it: a run refuses
    it while planning validation, so check must say so too, naming the file."""
    text = edit(BASE, ("equipment_id: {type: string, required: true}",
                       "equipment_id: {type: string, required: true, regex: '^(?>E)\\d+$'}"))
    path = write(tmp_path, text)
    assert main(["check", str(path)]) == 2
    out, err = capsys.readouterr()
    assert out == "" and len(err.splitlines()) == 1 and err.startswith(f"{path}"), err
    assert "RE2" in err


def test_every_shipped_scorecard_checks_and_compiles(capsys) -> None:
    paths = sorted(str(p) for p in (REPO / "scorecards").glob("*.yaml"))
    assert main(["check", *paths]) == 0
    out, err = capsys.readouterr()
    assert err == "" and len(out.splitlines()) == len(paths)


# ---------------------------------------------------------------- passthrough: all (found at run time)


@pytest.mark.parametrize("column", ["points_impact", "tier_rank", "tier", "owner"])
def test_a_register_column_named_like_an_output_column_is_an_input_error(column: str, tmp_path: Path) -> None:
    """With `passthrough: all` the register's columns are known only when it is opened: exit 3."""
    register = write_register(tmp_path / "register", extra_column=column)
    path = write(tmp_path, BASE)
    output = tmp_path / "out"
    result = tierline("run", str(path), "--input", str(register), "--output", str(output), "--period", "p1")
    assert result.returncode == 3, result.stderr[:2000]
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr
    assert lines[0].startswith(f"tierline: {register / 'part-0.parquet'}: column '{column}' clashes with an output column")
    assert not (output / "period=p1").exists()
