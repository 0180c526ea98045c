"""Great Expectations' own test definitions through `tierline run`, in both validation modes (SPEC §5).

`tests/data/gx_test_definitions` (a copy of `../shared/conformance/gx_test_definitions`; its README
and `convert.py` say how it was made) holds GX 1.2.0's JSON test definitions of the expectation types tierline supports,
converted into cases: a scorecard that declares the tested column without checks, a one-expectation
extra suite (code `<column>:gx_<check>`), a register with a `rid` column (the row's position, GX's
pk_index) and `expect`: the rows that must be quarantined and the exit code, or for a failure GX
decides on the whole column or an expectation GX cannot evaluate, that nothing is published.

Every case runs `tierline run` with `--validation fast` and with `--validation gx`, in this process
(`tierline.cli.main`: GX imports once), with `--max-invalid-fraction 1` so that only `mostly`
decides the exit code, as in GX. Both modes must give the case's expected rows and exit code, and
the same ones.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from tierline.cli import main

ROOT = Path(__file__).resolve().parents[2]
# A copy of `../shared/conformance/gx_test_definitions`, unchanged, so that CI runs it wherever the
# checkout is; `test_the_copy_matches_the_shared_one` catches a newer conversion beside the checkout.
CONFORMANCE = Path(__file__).resolve().parents[1] / "data" / "gx_test_definitions"
SHARED = ROOT.parent / "shared" / "conformance" / "gx_test_definitions"
MODES = ("fast", "gx")

# Cases where the SPEC deliberately differs from GX, and why; each is checked to do what the SPEC says.
DELIBERATE_DIFFERENCES = {
    "in_set/test_empty_column_should_be_vacuously_true":
        "the register has no rows: GX finds the expectation vacuously true, but SPEC §3 makes an input "
        "that holds no rows an input error (exit 3, nothing published), since there is nothing to score",
}
DELIBERATE_EXIT_CODE = 3

CASES = {case["id"]: case for case in json.loads((CONFORMANCE / "cases.json").read_text(encoding="utf-8"))["cases"]}


def run_case(case: dict[str, Any], mode: str, directory: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, list[int], str]:
    """The exit code, the quarantined `rid`s (of the run's one version: published, or kept for
    inspection when its policy failed) and stderr."""
    directory.mkdir()
    (directory / "scorecard.yaml").write_text(case["scorecard"], encoding="utf-8")
    (directory / "suite.json").write_text(json.dumps(case["suite"]), encoding="utf-8")  # the scorecard names it
    register = directory / Path(case["register"]).name
    shutil.copyfile(CONFORMANCE / case["register"], register)
    output = directory / "out"
    capsys.readouterr()
    code = main(["run", str(directory / "scorecard.yaml"), "--input", str(register), "--output", str(output),
                 "--period", "p", "--validation", mode, "--max-invalid-fraction", "1", "--quiet"])
    err = capsys.readouterr().err
    places = [place for place in output.glob("_versions/period=p/*/quarantine")  # a fresh output: one run,
              if place.parent.name not in ("current", "previous")]                # so one version
    rids = sorted(rid for place in places if any(place.glob("*.parquet"))
                  for rid in pq.read_table(place, columns=["rid"]).column("rid").to_pylist())
    return code, rids, err


def assert_one_line(err: str) -> None:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("tierline: ") and "Traceback" not in err, err


@pytest.mark.parametrize("case_id", list(CASES))
def test_gx_test_definition(case_id: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    case = CASES[case_id]
    expect = case["expect"]
    outcomes = {mode: run_case(case, mode, tmp_path / mode, capsys) for mode in MODES}
    for mode, (code, rids, err) in outcomes.items():
        where = f"{case_id} ({case['expectation_type']} {case['kwargs']}) with --validation {mode}: {err.strip()}"
        published = (tmp_path / mode / "out" / "period=p").exists()
        if case_id in DELIBERATE_DIFFERENCES:
            assert code == DELIBERATE_EXIT_CODE and not published, where
            assert_one_line(err)
        elif expect["rc"] is None:  # GX fails the column itself, or cannot evaluate: nothing published
            assert code != 0 and not published, where
            assert_one_line(err)
        else:
            assert (code, rids) == (expect["rc"], expect["rows"] or []), where
            if code == 0 and expect["success"] is not None:
                manifest = json.loads((tmp_path / mode / "out" / "_manifests" / "period=p.json").read_text())
                [entry] = [e for e in manifest["validation"]["expectations"] if e["code"] == case["code"]]
                assert entry["success"] == expect["success"], where  # GX's verdict on the expectation
    (fast_code, fast_rows, _), (gx_code, gx_rows, _) = outcomes["fast"], outcomes["gx"]
    assert (fast_code, fast_rows) == (gx_code, gx_rows), f"{case_id}: the modes disagree"


def test_every_deliberate_difference_names_a_case() -> None:
    assert set(DELIBERATE_DIFFERENCES) <= set(CASES)
    assert len(CASES) == json.loads((CONFORMANCE / "cases.json").read_text())["summary"]["converted"]


def test_the_copy_matches_the_shared_one() -> None:
    if not (SHARED / "cases.json").exists():
        pytest.skip(f"no shared conversion at {SHARED} to compare the copy with")
    assert (SHARED / "cases.json").read_bytes() == (CONFORMANCE / "cases.json").read_bytes(), (
        f"{SHARED} was converted again: copy it into {CONFORMANCE}")
