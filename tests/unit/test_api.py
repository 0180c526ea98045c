"""The Python API (`tierline.run`, `check`, `explain`): the result matches the manifest the run
wrote, and failures raise the one exception family with the command's exit codes (SPEC §1, §3)."""

from __future__ import annotations

import inspect
import json
from pathlib import Path

import pytest

import tierline
from registers import CASES, EQUIPMENT_ABC, equipment_register, write_register, write_scorecard
from tierline import errors


@pytest.fixture(scope="module")
def register(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    return write_register(equipment_register(rows=2000), tmp_path_factory.mktemp("api") / "register")


def test_run_returns_what_the_manifest_records(register: list[Path], tmp_path: Path) -> None:
    output = tmp_path / "out"

    result = tierline.run(EQUIPMENT_ABC, register, output, period="2026-11")

    on_disk = json.loads((output / "_manifests" / "period=2026-11.json").read_text(encoding="utf-8"))
    counts = on_disk["counts"]
    assert result.manifest_path == output / "_manifests" / "period=2026-11.json"
    assert result.quarantine_path == output / "_quarantine" / "period=2026-11"
    assert result.data_path == output / "period=2026-11"
    assert result.quarantine_path.is_dir() and result.data_path.is_dir()
    assert (result.run_id, result.period) == (on_disk["run_id"], "2026-11")
    assert (result.scorecard, result.scorecard_version) == (on_disk["scorecard"]["name"], on_disk["scorecard"]["version"])
    assert (result.input_rows, result.valid_rows, result.scored, result.quarantined_rows) == (
        counts["input"], counts["scored"], counts["scored"], counts["quarantined"])
    assert result.input_rows == result.valid_rows + result.quarantined_rows > 0
    assert dict(result.tiers) == counts["tiers"] and list(result.tiers) == ["A", "B", "C"]
    assert dict(result.errors) == counts["errors"]
    assert dict(result.manifest) == on_disk
    assert json.loads(json.dumps(result.to_json()))["counts"]["input"] == counts["input"]


def test_the_result_is_frozen(register: list[Path], tmp_path: Path) -> None:
    result = tierline.run(EQUIPMENT_ABC, str(register[0]), tmp_path / "out", period="p")

    with pytest.raises(AttributeError):
        result.period = "other"  # type: ignore[misc]
    with pytest.raises(TypeError):
        result.tiers["A"] = 0  # type: ignore[index]


@pytest.mark.parametrize(("call", "error", "exit_code"), [
    (lambda out: tierline.run(EQUIPMENT_ABC, [out / "missing.parquet"], out / "o"), errors.InputError, 3),
    (lambda out: tierline.run(EQUIPMENT_ABC, [out], out / "o", period="no/slash"), errors.UsageError, 2),
    (lambda out: tierline.run(EQUIPMENT_ABC, [out], out / "o", validation="slow"), errors.UsageError, 2),
    (lambda out: tierline.run(out / "none.yaml", [out], out / "o"), errors.ScorecardError, 2),
])
def test_failures_raise_the_family_with_the_exit_code(call, error, exit_code, tmp_path: Path) -> None:  # noqa: ANN001
    with pytest.raises(error) as raised:
        call(tmp_path)

    assert isinstance(raised.value, tierline.TierlineError)
    assert raised.value.exit_code == exit_code
    assert not (tmp_path / "o").exists()


def test_a_policy_failure_is_exit_code_1(register: list[Path], tmp_path: Path) -> None:
    with pytest.raises(tierline.ValidationPolicyError) as raised:
        tierline.run(EQUIPMENT_ABC, register, tmp_path / "out", period="p", max_invalid_fraction=0.0)

    assert raised.value.exit_code == 1
    assert not (tmp_path / "out" / "period=p").exists()


def test_every_error_of_the_family_has_an_exit_code() -> None:
    family = [c for _, c in inspect.getmembers(errors, inspect.isclass) if issubclass(c, errors.TierlineError)]

    assert len(family) >= 6
    assert all(isinstance(c.exit_code, int) and 1 <= c.exit_code <= 4 for c in family)
    assert errors.Interrupted(15).exit_code == 143


def test_check_returns_the_scorecard_or_raises_with_its_line(tmp_path: Path) -> None:
    assert tierline.check(EQUIPMENT_ABC).name == "equipment_abc"
    bad = write_scorecard(tmp_path / "bad.yaml", EQUIPMENT_ABC.read_text(encoding="utf-8").replace(
        "combine: sum", "combine: average", 1))

    with pytest.raises(tierline.ScorecardError) as raised:
        tierline.check(bad)

    assert raised.value.exit_code == 2
    assert str(bad) in str(raised.value)


def test_explain_returns_one_record_per_row(register: list[Path]) -> None:
    case = CASES[0]

    records = tierline.explain(EQUIPMENT_ABC, register, case.key)

    assert len(records) == 1
    assert records[0]["key"] == case.key
    assert records[0]["quarantined"] == (case.tier is None)
    assert records[0].get("tier") == case.tier


def test_the_api_is_documented() -> None:
    assert tierline.__version__
    for function in (tierline.run, tierline.check, tierline.explain):
        assert "raise" in (function.__doc__ or "").lower()
    assert "exit_code" in (tierline.run.__doc__ or "")
    assert "manifest_path" in (tierline.RunResult.__doc__ or "")


def test_paths_are_absolute_for_a_relative_output(register: list[Path], tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)

    result = tierline.run(EQUIPMENT_ABC, register, "out", period="p")

    assert result.output_dir == tmp_path / "out"
    assert result.manifest_path.is_absolute() and result.manifest_path.is_file()


def test_diff_and_report_read_two_published_periods(register: list[Path], tmp_path: Path) -> None:
    output = tmp_path / "out"
    tierline.run(EQUIPMENT_ABC, register[:2], output, period="2026-10")
    tierline.run(EQUIPMENT_ABC, register[1:], output, period="2026-11")

    migration = tierline.diff(output, "2026-10", "2026-11", entities_to=tmp_path / "moves.csv")
    assert migration.to_json()["directions"]["new"] > 0 and migration.to_json()["directions"]["gone"] > 0
    assert (tmp_path / "moves.csv").read_text(encoding="utf-8").startswith("equipment_id,from_state,")
    page = tierline.report(output, "2026-11", target=tmp_path / "r.html")
    assert page == tmp_path / "r.html" and 'data-chart="migration"' in page.read_text(encoding="utf-8")
    with pytest.raises(errors.InputError) as missing:
        tierline.diff(output, "2026-09", "2026-11")
    assert missing.value.exit_code == 3
    for function in (tierline.diff, tierline.report):
        assert function.__doc__
