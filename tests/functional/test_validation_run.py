"""`tierline run --validation fast`: the suite's checks quarantine rows inside the run (SPEC §5).

Uniqueness is global (duplicates in different files and partitions are all found), defaults apply
before the checks, every failing code is kept, and `mostly` decides the run.
"""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tierline.cli import main
from registers import CHECKED_SCORECARD as SCORECARD


ROWS = [  # (id, amount, kind, level, expected error codes)
    ("K1", 10.0, "a", 1, set()),
    ("K2", 200.0, "b", None, set()),  # level defaults to 3
    ("K3", -1.0, "a", 2, {"amount:between"}),
    ("K4", math.inf, "a", 2, {"amount:between"}),
    ("K5", None, "c", 2, {"kind:in_set"}),
    ("X6", 1.0, "a", 2, {"id:regex"}),
    ("K7", 1.0, "a", 9, {"level:between"}),
    ("K8", 1.0, "a", 2, {"id:unique"}),  # K8 appears again in the second file
    ("K9", float("nan"), None, 2, set()),  # NaN is null; amount has missing: 0
]
SECOND_FILE = [("K8", 5.0, "b", 2, {"id:unique"}), ("K10", 5.0, "b", 4, set()), (None, 5.0, "b", 4, {"id:not_null"})]


def _write(path: Path, rows: list[tuple]) -> None:
    pq.write_table(pa.table({
        "id": pa.array([r[0] for r in rows], pa.string()),
        "amount": pa.array([r[1] for r in rows], pa.float64()),
        "kind": pa.array([r[2] for r in rows], pa.string()),
        "level": pa.array([r[3] for r in rows], pa.int64()),
    }), path, row_group_size=3)


@pytest.fixture()
def register(tmp_path: Path) -> tuple[Path, Path]:
    scorecard = tmp_path / "checked.yaml"
    scorecard.write_text(SCORECARD, encoding="utf-8")
    data = tmp_path / "register"
    data.mkdir()
    _write(data / "a.parquet", ROWS)
    _write(data / "b.parquet", SECOND_FILE)
    return scorecard, data


def _run(scorecard: Path, data: Path, output: Path, *extra: str) -> int:
    return main(["run", str(scorecard), "--input", str(data), "--output", str(output), "--period", "p",
                 "--partition-rows", "3", "--max-invalid-fraction", "0.9", "--quiet", *extra])


def test_fast_validation_quarantines_every_failing_row_with_its_codes(register, tmp_path: Path) -> None:
    scorecard, data = register
    assert _run(scorecard, data, tmp_path / "out") == 0
    quarantine = pq.read_table(tmp_path / "out" / "_quarantine" / "period=p").to_pylist()
    found = {(row["id"], row["level"]): set(row["errors"]) for row in quarantine}
    expected = {(r[0], r[3]): r[4] for r in ROWS + SECOND_FILE if r[4]}
    assert found == expected
    scored = pq.read_table(tmp_path / "out" / "period=p").to_pylist()
    assert sorted(row["id"] for row in scored) == sorted(r[0] for r in ROWS + SECOND_FILE if not r[4])
    manifest = json.loads((tmp_path / "out" / "_manifests" / "period=p.json").read_text())
    counts = manifest["counts"]
    assert counts["input"] == counts["scored"] + counts["quarantined"] == len(ROWS + SECOND_FILE)
    by_code = {e["code"]: e for e in manifest["validation"]["expectations"]}
    assert by_code["id:unique"]["unexpected"] == 2 and not by_code["id:unique"]["success"]
    assert by_code["amount:between"]["unexpected"] == 2
    assert by_code["level:between"]["unexpected"] == 1  # the defaulted null (3) passes
    assert by_code["kind:in_set"]["success"] is False and by_code["id:missing"]["success"] is True


def test_uniqueness_over_many_hash_buckets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The pre-pass spills its hashes by bucket so memory stays flat; with buckets of a few rows the
    duplicates spread over files, partitions and buckets are all found, and the spill is removed."""
    import numpy as np

    from tierline.pipeline.validate import HashSpill

    monkeypatch.setattr(HashSpill, "BUCKET_ROWS", 50)  # 2,000 rows: 64 buckets
    scorecard = tmp_path / "checked.yaml"
    scorecard.write_text(SCORECARD, encoding="utf-8")
    rng = np.random.default_rng(3)
    keys = [f"K{i}" for i in rng.permutation(1_900)] + [f"K{i}" for i in rng.choice(1_900, 100, replace=False)]
    data = tmp_path / "register"
    data.mkdir()
    for part in range(4):
        piece = keys[part * 500:(part + 1) * 500]
        _write(data / f"{part}.parquet", [(k, 1.0, "a", 2, None) for k in piece])
    assert main(["run", str(scorecard), "--input", str(data), "--output", str(tmp_path / "out"), "--period", "p",
                 "--partition-rows", "120", "--max-invalid-fraction", "0.9", "--quiet"]) == 0
    quarantine = pq.read_table(tmp_path / "out" / "_quarantine" / "period=p").to_pylist()
    repeated = {k for k in keys if keys.count(k) > 1}
    assert len(repeated) == 100
    assert sorted(row["id"] for row in quarantine) == sorted(k for k in keys if k in repeated)
    assert all(row["errors"] == ["id:unique"] for row in quarantine)
    # the partitions scored again replaced their first files: no duplicate is left among the scored
    scored = pq.read_table(tmp_path / "out" / "period=p").column("id").to_pylist()
    assert sorted(scored) == sorted(k for k in keys if k not in repeated)
    assert not list((tmp_path / "out").glob("_versions/period=p/*/_hashes"))


def test_validation_off_keeps_only_the_scorecards_own_checks(register, tmp_path: Path) -> None:
    scorecard, data = register
    assert _run(scorecard, data, tmp_path / "out", "--validation", "off") == 0
    # the bands cover every number and nothing else checks: no row is quarantined, the quarantine is empty
    assert list((tmp_path / "out" / "_quarantine" / "period=p").iterdir()) == []
    assert len(pq.read_table(tmp_path / "out" / "period=p")) == len(ROWS + SECOND_FILE)
    manifest = json.loads((tmp_path / "out" / "_manifests" / "period=p.json").read_text())
    assert manifest["validation"]["expectations"] == []


def test_an_expectation_below_its_mostly_fails_the_run_and_publishes_nothing(register, tmp_path: Path,
                                                                              capsys: pytest.CaptureFixture[str]) -> None:
    scorecard, data = register
    suite = {"name": "extra", "expectations": [
        {"type": "expect_column_values_to_be_between", "kwargs": {"column": "amount", "max_value": 100, "mostly": 0.9},
         "meta": {"tierline_code": "amount:too_large"}}]}
    (scorecard.parent / "extra.json").write_text(json.dumps(suite), encoding="utf-8")
    scorecard.write_text(SCORECARD + "expectations: extra.json\n", encoding="utf-8")
    assert _run(scorecard, data, tmp_path / "out") == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "amount:too_large" in err[0] and "mostly 0.9" in err[0], err
    assert not (tmp_path / "out" / "period=p").exists()
    staged = list((tmp_path / "out" / "_versions" / "period=p").glob("*/quarantine/*.parquet"))
    assert staged, "the quarantine of the unpublished version stays for inspection"
    assert str(staged[0].parent) in err[0], "and the message says where"


def test_dates_and_timestamps_pass_their_type_checks(tmp_path: Path) -> None:
    """A date column reaches pandas as datetime.date objects and a tz-aware timestamp as a tz dtype;
    both must pass the suite's type check (they did not: every dated row was quarantined)."""
    import datetime as dt

    scorecard = tmp_path / "dated.yaml"
    scorecard.write_text("""\
scorecard: dated
version: 1
key: id
inputs:
  id: {type: string}
  opened: {type: date}
  seen: {type: timestamp}
  amount: {type: float}
score:
  components: [{name: amount, input: amount, value: true}]
tiers:
  levels: [{tier: high, from: 5}, {tier: low, to: 5}]
""", encoding="utf-8")
    pq.write_table(pa.table({
        "id": ["a", "b"], "opened": pa.array([dt.date(2020, 1, 1), None]),
        "seen": pa.array([dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc), None], pa.timestamp("us", tz="UTC")),
        "amount": [1.0, 7.0]}), tmp_path / "dated.parquet")
    assert main(["run", str(scorecard), "--input", str(tmp_path / "dated.parquet"), "--output", str(tmp_path / "out"),
                 "--period", "p", "--quiet"]) == 0
    assert len(pq.read_table(tmp_path / "out" / "period=p")) == 2



@pytest.mark.parametrize("mode", ["fast", "gx"])
def test_a_register_of_one_partition_finds_its_duplicates(register, tmp_path: Path, mode: str) -> None:
    """With one partition, gx judges `unique` together with the partition's other checks."""
    scorecard, data = register
    single = tmp_path / "single.parquet"
    pq.write_table(pa.concat_tables([pq.read_table(path) for path in sorted(data.iterdir())]), single)
    assert main(["run", str(scorecard), "--input", str(single), "--output", str(tmp_path / "out"), "--period", "p",
                 "--validation", mode, "--max-invalid-fraction", "0.9", "--quiet"]) == 0
    quarantine = pq.read_table(tmp_path / "out" / "_quarantine" / "period=p").to_pylist()
    assert {(row["id"], row["level"]): set(row["errors"]) for row in quarantine} == {
        (r[0], r[3]): r[4] for r in ROWS + SECOND_FILE if r[4]}

# --- failures GX decides on the whole column ----------------------------------------------------

COLUMN_FAILURES = {
    # an expectation of the extra suite, its code, and what the one line must name
    "column_index": ({"type": "expect_column_to_exist", "kwargs": {"column": "kind", "column_index": 1},
                      "meta": {"tierline_code": "kind:gx_missing"}}, "is at index 2, not 1"),
    "type_list": ({"type": "expect_column_values_to_be_in_type_list",
                   "kwargs": {"column": "level", "type_list": ["float32"]},
                   "meta": {"tierline_code": "level:gx_type"}}, "reaches pandas as int64"),
    "of_type": ({"type": "expect_column_values_to_be_of_type", "kwargs": {"column": "amount", "type_": "int"},
                 "meta": {"tierline_code": "amount:gx_type"}}, "reaches pandas as float64"),
}


@pytest.mark.parametrize("mode", ["fast", "gx"])
@pytest.mark.parametrize("case", list(COLUMN_FAILURES))
def test_a_failure_of_the_whole_column_is_an_input_error_in_both_modes(register, tmp_path: Path, mode: str,
                                                                      case: str, capsys) -> None:
    """GX fails these expectations on the column (success false, no row listed). `gx` used to
    record the failure in the manifest, quarantine nothing and exit 0; both modes now refuse the
    register (exit 3) with one line naming the file, the column and the check."""
    scorecard, data = register
    expectation, words = COLUMN_FAILURES[case]
    (scorecard.parent / "extra.json").write_text(json.dumps({"name": "extra", "expectations": [expectation]}),
                                                 encoding="utf-8")
    scorecard.write_text(SCORECARD + "expectations: extra.json\n", encoding="utf-8")
    assert _run(scorecard, data, tmp_path / "out", "--validation", mode) == 3
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and ".parquet" in err[0] and expectation["meta"]["tierline_code"] in err[0], err
    assert words in err[0] and f"{expectation['kwargs']['column']!r}" in err[0], err[0]
    assert not (tmp_path / "out" / "period=p").exists()
    assert not list((tmp_path / "out").glob("_versions/period=p/[!.]*"))  # staging removed: nothing to inspect


# --- regular expressions that backtrack without end -------------------------------------------

CATASTROPHIC = "a" * 40 + "!"  # (a+)+ tries every way to split the a's before giving up


def _regex_run(tmp_path: Path, regex: str, values: list[str], mode: str) -> subprocess.CompletedProcess:
    """`tierline run` in a child process: were the bound gone, the test would hang, not the suite."""
    scorecard = tmp_path / "regex.yaml"
    scorecard.write_text(f"""\
scorecard: regex
version: 1
key: id
inputs:
  id: {{type: string, required: true}}
  code: {{type: string, regex: {json.dumps(regex)}}}
tiers:
  rules: {{hit: first, levels: [{{tier: all}}]}}
""", encoding="utf-8")
    pq.write_table(pa.table({"id": [f"r{i}" for i in range(len(values))], "code": values}), tmp_path / "r.parquet")
    return subprocess.run([sys.executable, "-m", "tierline", "run", str(scorecard), "--input", str(tmp_path / "r.parquet"),
                           "--output", str(tmp_path / "out"), "--period", "p", "--validation", mode, "--quiet",
                           "--max-invalid-fraction", "1"], capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("mode", ["fast", "gx"])
def test_a_regex_python_cannot_finish_fails_the_run_with_exit_2(tmp_path: Path, mode: str) -> None:
    """A lookahead keeps the pattern off RE2, so Python's re (GX's engine) must run it, under a
    time bound per value: the run ends at the bound with one line naming the check and column."""
    done = _regex_run(tmp_path, "^(?=a)(a+)+$", ["aaa", CATASTROPHIC], mode)
    assert done.returncode == 2, done.stderr
    err = done.stderr.strip().splitlines()
    assert len(err) == 1 and "Traceback" not in done.stderr, done.stderr
    assert "code:regex" in err[0] and "'code'" in err[0] and "regex.yaml" in err[0], err[0]
    assert "Rewrite it without nested or overlapping repeats" in err[0] and "nothing was published" in err[0]
    assert not (tmp_path / "out" / "period=p").exists() and not list((tmp_path / "out").glob("_versions/period=p/[!.]*"))


def test_a_final_dollar_on_text_with_newlines_runs_in_re2(tmp_path: Path) -> None:
    """`$` at the very end of a pattern is "the rest is empty or one newline" in Python, which RE2
    can say; `^(a+)+$` on newline-holding data used to go to Python's re and run for hours."""
    small = ["aaa", "aaa\n", "aaa\n\n", "a\nb"]
    done = _regex_run(tmp_path, "^(a+)+$", small + [CATASTROPHIC + "\n"], "fast")
    assert done.returncode == 0, done.stderr
    failing = pq.read_table(tmp_path / "out" / "_quarantine" / "period=p").column("code").to_pylist()
    # Python's answers (re itself only on the values it can finish)
    assert [v for v in small if re.search("^(a+)+$", v) is None] == ["aaa\n\n", "a\nb"]
    assert sorted(failing) == sorted(["aaa\n\n", "a\nb", CATASTROPHIC + "\n"])


def test_gx_mode_bounds_the_same_pattern_that_fast_mode_runs_in_re2(tmp_path: Path) -> None:
    """GX searches object text with Python's re whatever the pattern: `--validation gx` cannot
    finish where fast mode answers through RE2, and says so (exit 2) instead of hanging."""
    done = _regex_run(tmp_path, "^(a+)+$", ["aaa", CATASTROPHIC], "gx")
    assert done.returncode == 2, done.stderr
    assert "code:regex" in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert "--validation fast answers it through RE2" in done.stderr
