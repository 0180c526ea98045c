"""`tierline run --json` and `tierline --version`: what a scheduler reads from the command (SPEC §3)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from registers import EQUIPMENT_ABC, assert_one_line_failure, equipment_register, manifest, tierline, write_register


@pytest.fixture(scope="module")
def register(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    return write_register(equipment_register(rows=2000), tmp_path_factory.mktemp("json") / "register")


def test_json_is_the_only_thing_on_stdout_and_matches_the_manifest(register: list[Path], tmp_path: Path) -> None:
    output = tmp_path / "out"

    result = tierline("run", EQUIPMENT_ABC, "--input", *register, "--output", output, "--period", "p1", "--json")

    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)  # one object and nothing else, or this fails
    assert result.stdout.count("\n") == 1
    record = manifest(output, "p1")
    counts = record["counts"]
    assert summary["run_id"] == record["run_id"] and summary["period"] == "p1"
    assert summary["manifest"] == str(output / "_manifests" / "period=p1.json")
    assert summary["quarantine"] == str(output / "_quarantine" / "period=p1")
    assert summary["data"] == str(output / "period=p1") and summary["output"] == str(output)
    assert summary["scorecard"] == {"name": "equipment_abc", "version": record["scorecard"]["version"]}
    assert summary["counts"] == {"input": counts["input"], "valid": counts["scored"], "scored": counts["scored"],
                                 "quarantined": counts["quarantined"], "errors": counts["errors"]}
    assert {t["tier"]: t["rows"] for t in summary["tiers"]} == counts["tiers"]
    assert [t["label"] for t in summary["tiers"]] == ["A类设备", "B类设备", "C类设备"]


def test_a_failing_json_run_prints_nothing_on_stdout(register: list[Path], tmp_path: Path) -> None:
    result = tierline("run", EQUIPMENT_ABC, "--input", *register, "--output", tmp_path / "out", "--period", "p",
                      "--max-invalid-fraction", "0", "--json", "--quiet")

    assert_one_line_failure(result, 1)
    assert result.stdout == ""


def test_the_human_summary_names_the_manifest(register: list[Path], tmp_path: Path) -> None:
    output = tmp_path / "out"

    result = tierline("run", EQUIPMENT_ABC, "--input", register[0], "--output", output, "--period", "p2")

    assert result.returncode == 0, result.stderr
    assert f"manifest: {output / '_manifests' / 'period=p2.json'}" in result.stdout.splitlines()


def test_version() -> None:
    import tierline as package

    result = tierline("--version")

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"tierline {package.__version__}"
