"""`tierline run` end to end through the real command (SPEC §3, §4).

Most tests read one published output (`registers.published`, run once per session); the ones
that change an output work on a copy of it. Each subprocess costs a second or two, so the
assertions are grouped per run.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import re
from collections import Counter
from pathlib import Path
from typing import Any, Callable

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from registers import (  # noqa: F401 - `published` is a fixture
    ACTIONS,
    CASES,
    COMPONENTS,
    EQUIPMENT_ABC,
    KEY,
    OTHER_PERIOD,
    PERIOD,
    REGISTER_SCHEMA,
    Published,
    assert_one_line_failure,
    equipment_register,
    manifest,
    published,
    quarantine_files,
    read_files,
    snapshot,
    tier_files,
    tierline,
    write_register,
    write_scorecard,
)
from tierline.scorecard.load import load_scorecard

PART_NAME = re.compile(r"part-\d{5}-[A-Za-z0-9_.-]+\.parquet")  # partition, then run id
TIER_RANKS = {"A": 1, "B": 2, "C": 3}
TIER_LABELS = {"A": "A类设备", "B": "B类设备", "C": "C类设备"}


def scored_rows(output: Path, period: str) -> dict[str, pa.Table]:
    return {tier: read_files(paths) for tier, paths in tier_files(output, period).items()}


def rows_by_key(table: pa.Table, drop: tuple[str, ...] = ()) -> dict[Any, dict[str, Any]]:
    """Rows keyed by KEY, NaN made comparable (NaN counts as a value the quarantine must keep)."""
    keyed = {}
    for row in table.drop_columns(list(drop)).to_pylist():
        keyed[row[KEY]] = {k: ("NaN" if isinstance(v, float) and math.isnan(v) else v) for k, v in row.items()}
    assert len(keyed) == table.num_rows, "duplicate keys"
    return keyed


# --- the published output -------------------------------------------------------------------


def test_layout_is_hive_partitioned_with_quarantine_and_manifest(published: Published) -> None:
    output = published.output

    assert sorted(p.name for p in output.iterdir()) == [
        "_manifests", "_quarantine", "_versions", f"period={OTHER_PERIOD}", f"period={PERIOD}"]  # no `_staging`
    assert sorted(p.name for p in (output / "_manifests").iterdir()) == [
        f"period={OTHER_PERIOD}.json", f"period={PERIOD}.json"]
    # SPEC §4's paths are links into the published version (tierline/pipeline/publish.py), one version per period
    run_id = manifest(output, PERIOD)["run_id"]
    for path in (output / f"period={PERIOD}", output / "_quarantine" / f"period={PERIOD}",
                 output / "_manifests" / f"period={PERIOD}.json"):
        assert path.is_symlink() and path.resolve().is_relative_to(output / "_versions" / f"period={PERIOD}" / run_id)
    assert sorted(p.name for p in (output / "_versions" / f"period={PERIOD}").iterdir()) == sorted([".lock", "current", run_id])
    files = tier_files(output, PERIOD)
    assert sorted(files) == ["A", "B", "C"]
    for tier, paths in files.items():
        assert all(p.is_file() and PART_NAME.fullmatch(p.name) for p in paths), paths
        assert len(paths) > 1, f"--partition-rows should have split tier {tier} over several parts"
    quarantine = quarantine_files(output, PERIOD)
    assert quarantine and all(p.is_file() and PART_NAME.fullmatch(p.name) for p in quarantine)
    assert manifest(output, PERIOD)["partitions"] >= 6


def test_scored_columns_and_types(published: Published) -> None:
    run_id = manifest(published.output, PERIOD)["run_id"]
    generated = ([("score", pa.float64())] + [(f"points_{c}", pa.float64()) for c in COMPONENTS]
                 + [("tier_rank", pa.int16()), ("tier_label", pa.string()), ("override", pa.string())])
    after_reasons = [("review_cycle", pa.string()), ("owner", pa.string()), ("scorecard", pa.string())]

    for tier, paths in tier_files(published.output, PERIOD).items():
        for path in paths:
            schema = pq.read_schema(path)
            assert schema.names == (REGISTER_SCHEMA.names + [name for name, _ in generated] + ["reasons"]
                                    + [name for name, _ in after_reasons] + ["scorecard_version", "run_id"])
            assert "tier" not in schema.names and "period" not in schema.names
            for field in REGISTER_SCHEMA:
                assert schema.field(field.name).type == field.type, field.name
            for name, type_ in generated + after_reasons + [("run_id", pa.string())]:
                assert schema.field(name).type == type_, name
            reasons = schema.field("reasons").type
            assert pa.types.is_list(reasons) and reasons.value_type == pa.string()
            assert pa.types.is_integer(schema.field("scorecard_version").type)

        table = read_files(paths)
        assert set(table.column("tier_rank").to_pylist()) == {TIER_RANKS[tier]}
        assert set(table.column("tier_label").to_pylist()) == {TIER_LABELS[tier]}
        assert set(zip(table.column("review_cycle").to_pylist(), table.column("owner").to_pylist())) == {ACTIONS[tier]}
        assert set(table.column("scorecard").to_pylist()) == {"equipment_abc"}
        assert set(table.column("scorecard_version").to_pylist()) == {load_scorecard(EQUIPMENT_ABC).version}
        assert set(table.column("run_id").to_pylist()) == {run_id}
        assert table.column("score").null_count == 0


def test_passthrough_and_quarantine_keep_the_input_unchanged(published: Published) -> None:
    inputs = rows_by_key(published.table)
    quarantine = read_files(quarantine_files(published.output, PERIOD))

    assert quarantine.schema.names == REGISTER_SCHEMA.names + ["errors"]
    for field in REGISTER_SCHEMA:
        assert quarantine.schema.field(field.name).type == field.type, field.name
    errors_type = quarantine.schema.field("errors").type
    assert pa.types.is_list(errors_type) and errors_type.value_type == pa.string()
    for key, row in rows_by_key(quarantine, drop=("errors",)).items():
        assert row == inputs[key]
    assert all(quarantine.column("errors").to_pylist()), "every quarantined row says why"

    for table in scored_rows(published.output, PERIOD).values():
        for key, row in rows_by_key(table.select(REGISTER_SCHEMA.names)).items():
            # SPEC §2.1 leaves open whether a passed-through column shows a declared `default`
            # in place of its null; everything else must be the input's value.
            for column in ("has_backup", "direct_designation"):
                if inputs[key][column] is None:
                    row[column] = None
            assert row == inputs[key]


def test_nothing_is_lost_and_the_manifest_counts_match_the_files(published: Published) -> None:
    output = published.output
    record = manifest(output, PERIOD)
    scored = scored_rows(output, PERIOD)
    quarantine = read_files(quarantine_files(output, PERIOD))
    input_rows = published.table.num_rows
    scored_count = sum(t.num_rows for t in scored.values())

    assert input_rows == scored_count + quarantine.num_rows
    counts = record["counts"]
    assert (counts["input"], counts["scored"], counts["quarantined"]) == (input_rows, scored_count, quarantine.num_rows)
    assert {tier: n for tier, n in counts["tiers"].items() if n} == {t: table.num_rows for t, table in scored.items()}
    assert counts["errors"] == dict(Counter(code for codes in quarantine.column("errors").to_pylist() for code in codes))

    keys = [k for t in scored.values() for k in t.column(KEY).to_pylist()] + quarantine.column(KEY).to_pylist()
    assert sorted(keys) == sorted(published.table.column(KEY).to_pylist())  # each exactly once

    assert record["period"] == PERIOD
    assert record["scorecard"]["name"] == "equipment_abc"
    assert record["scorecard"]["version"] == load_scorecard(EQUIPMENT_ABC).version
    assert record["scorecard"]["sha256"] == hashlib.sha256(EQUIPMENT_ABC.read_bytes()).hexdigest()
    assert sorted((Path(i["path"]).name, i["size"], i["rows"]) for i in record["inputs"]) == sorted(
        (p.name, p.stat().st_size, pq.ParquetFile(p).metadata.num_rows) for p in published.register)
    assert record["started"] <= record["finished"]
    for key in ("run_id", "validation", "scheduler", "tierline_version"):
        assert record[key], key

    other = manifest(output, OTHER_PERIOD)["counts"]
    assert other["input"] == pq.ParquetFile(published.register[0]).metadata.num_rows
    assert other["input"] == sum(t.num_rows for t in scored_rows(output, OTHER_PERIOD).values()) + sum(
        pq.ParquetFile(p).metadata.num_rows for p in quarantine_files(output, OTHER_PERIOD))


def test_hand_computed_rows(published: Published) -> None:
    scored = {k: (tier, row) for tier, table in scored_rows(published.output, PERIOD).items()
              for k, row in rows_by_key(table).items()}
    quarantined = rows_by_key(read_files(quarantine_files(published.output, PERIOD)))

    for case in CASES:
        if case.tier is None:
            assert case.key not in scored, case.key
            assert set(quarantined[case.key]["errors"]) == case.errors, case.key
            continue
        assert case.key not in quarantined, (case.key, quarantined.get(case.key))
        tier, row = scored[case.key]
        assert tier == case.tier, case.key
        assert row["tier_rank"] == TIER_RANKS[case.tier]
        assert row["score"] == pytest.approx(case.score, abs=1e-9), case.key
        assert [row[f"points_{c}"] for c in COMPONENTS] == pytest.approx(case.points, abs=1e-9), case.key
        assert row["override"] == case.override, case.key
        assert row["reasons"] == list(case.reasons), case.key


def test_progress_is_logged_plainly_and_quiet_prints_nothing(published: Published) -> None:
    result = published.result
    progress = [line for line in result.stderr.splitlines() if "rows/s" in line]
    assert progress, result.stderr
    assert "\x1b[" not in result.stderr  # not a terminal: plain lines, no live bar
    assert "\r" not in result.stderr
    for label in TIER_LABELS.values():
        assert label in result.stdout  # the summary's tier table
    assert published.other_result.stdout == ""  # that run was --quiet


# --- reruns ---------------------------------------------------------------------------------


def test_rerun_replaces_the_period_and_leaves_others(published: Published, tmp_path: Path) -> None:
    output = published.copy_output(tmp_path / "out")
    register_dir = published.register[0].parent
    before = {tier: rows_by_key(t, drop=("run_id",)) for tier, t in scored_rows(output, PERIOD).items()}
    quarantine_before = rows_by_key(read_files(quarantine_files(output, PERIOD)))
    first_run_id = manifest(output, PERIOD)["run_id"]
    other_period = {p: b for p, b in snapshot(output).items() if OTHER_PERIOD in p}

    # Same input (as a directory this time), through the console script, quietly.
    result = tierline("run", EQUIPMENT_ABC, "--input", register_dir, "--output", output, "--period", PERIOD,
                      "--partition-rows", 700, "--quiet", console_script=True)

    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    record = manifest(output, PERIOD)
    assert record["run_id"] != first_run_id
    after = scored_rows(output, PERIOD)
    assert {tier: rows_by_key(t, drop=("run_id",)) for tier, t in after.items()} == before
    assert all(set(t.column("run_id").to_pylist()) == {record["run_id"]} for t in after.values())
    assert rows_by_key(read_files(quarantine_files(output, PERIOD))) == quarantine_before

    # A register with only B rows and nothing invalid: tiers A and C and the quarantine must go.
    only_b = equipment_register(rows=600, seed=11, tiers=("B",))
    register_b = write_register(only_b, tmp_path / "register-b", files=2, row_group_size=100)
    # No invalid row is not "over" a fraction of 0.
    result = tierline("run", EQUIPMENT_ABC, "--input", *register_b, "--output", output, "--period", PERIOD,
                      "--partition-rows", 150, "--max-invalid-fraction", 0, "--quiet")

    assert result.returncode == 0, result.stderr
    assert sorted(tier_files(output, PERIOD)) == ["B"]
    assert list((output / "_quarantine" / f"period={PERIOD}").iterdir()) == []  # the old invalid rows are gone
    counts = manifest(output, PERIOD)["counts"]
    assert counts["quarantined"] == 0 and counts["errors"] == {}
    assert counts["scored"] == counts["tiers"]["B"] == only_b.num_rows
    assert counts["tiers"].get("A", 0) == counts["tiers"].get("C", 0) == 0
    assert sorted(read_files(tier_files(output, PERIOD)["B"]).column(KEY).to_pylist()) == sorted(
        only_b.column(KEY).to_pylist())
    assert {p: b for p, b in snapshot(output).items() if OTHER_PERIOD in p} == other_period
    assert not (output / "_staging").exists()


# --- failures -------------------------------------------------------------------------------


def _bad_scorecard(d: Path, published: Published) -> list[Any]:
    text = EQUIPMENT_ABC.read_text(encoding="utf-8").replace(
        "{tier: B, label: B类设备, from: 40, to: 75}", "{tier: B, label: B类设备, from: 40, to: 80}")
    assert "to: 80" in text
    return [write_scorecard(d / "overlapping.yaml", text), "--input", *published.register]


def _table_file(d: Path, name: str, table: pa.Table) -> Path:
    pq.write_table(table, d / name)
    return d / name


def _with_column(table: pa.Table, name: str, column: pa.Array) -> pa.Table:
    return table.set_column(table.schema.get_field_index(name), name, column)


def _not_parquet(d: Path) -> Path:
    (d / "register.parquet").write_text("equipment_id,production_impact\nEQ1,shutdown\n", encoding="utf-8")
    return d / "register.parquet"


SMALL_REGISTER = equipment_register(rows=200, seed=3, cases=())


def _truncated(d: Path) -> Path:
    path = _table_file(d, "truncated.parquet", SMALL_REGISTER)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


def _scorecard_with(d: Path, published: Published, name: str, edit: tuple[str, str], extra_files: dict[str, str] = {}) -> list[Any]:
    """A scorecard of its own (the EQUIPMENT_ABC text with one edit) and the published register."""
    text = EQUIPMENT_ABC.read_text(encoding="utf-8")
    assert edit[0] in text, edit
    for file_name, content in extra_files.items():
        (d / file_name).write_text(content, encoding="utf-8")
    return [write_scorecard(d / name, text.replace(edit[0], edit[1], 1)), "--input", *published.register]


_KEY_LINE = "key: equipment_id\n"
_UNSUPPORTED_SUITE = ('{"name": "x", "expectations": [{"type": "expect_column_mean_to_be_between", '
                      '"kwargs": {"column": "utilisation_pct", "min_value": 0, "max_value": 100}}]}')
_UNKNOWN_COLUMN_SUITE = ('{"name": "x", "expectations": [{"type": "expect_column_values_to_not_be_null", '
                         '"kwargs": {"column": "region"}}]}')

FAILURES: dict[str, tuple[Callable[[Path, Published], list[Any]], int, tuple[str, ...]]] = {
    "bad scorecard": (_bad_scorecard, 2, ("overlapping.yaml:",)),  # file and line
    "bad period": (lambda d, p: ["--input", *p.register, "--period", "../x"], 2, ("--period", "../x")),
    "missing --input": (lambda d, p: [], 2, ("--input",)),
    "--validation bogus": (lambda d, p: ["--input", *p.register, "--validation", "bogus"], 2, ("bogus",)),
    "nonexistent input": (lambda d, p: ["--input", d / "nope.parquet"], 3, ("nope.parquet",)),
    "glob matching nothing": (lambda d, p: ["--input", str(d / "nothing-*.parquet")], 3, ("nothing-*.parquet",)),
    "not Parquet": (lambda d, p: ["--input", _not_parquet(d)], 3, ("register.parquet",)),
    "missing column": (lambda d, p: ["--input", _table_file(d, "no-util.parquet", SMALL_REGISTER.drop_columns(["utilisation_pct"]))],
                       3, ("utilisation_pct", "no-util.parquet")),
    "impossible type": (lambda d, p: ["--input", _table_file(d, "text-points.parquet", _with_column(
        SMALL_REGISTER, "other_items_points", pc.cast(SMALL_REGISTER.column("other_items_points"), pa.string())))],
        3, ("other_items_points", "text-points.parquet")),
    "empty register": (lambda d, p: ["--input", _table_file(d, "empty.parquet", SMALL_REGISTER.slice(0, 0))], 3, ("empty.parquet",)),
    "differing schemas": (lambda d, p: ["--input", _table_file(d, "a.parquet", SMALL_REGISTER), _table_file(
        d, "b.parquet", _with_column(SMALL_REGISTER, "serial_no", pc.cast(SMALL_REGISTER.column("serial_no"), pa.string())))],
        3, ("b.parquet", "serial_no")),
    "truncated Parquet": (lambda d, p: ["--input", _truncated(d)], 3, ("truncated.parquet", "not a readable Parquet")),
    "directory without Parquet": (lambda d, p: ["--input", d], 3, ("matches no Parquet file",)),
    "bool column holds ints": (lambda d, p: ["--input", _table_file(d, "int-flag.parquet", _with_column(
        SMALL_REGISTER, "direct_designation", pc.cast(SMALL_REGISTER.column("direct_designation"), pa.int64())))],
        3, ("direct_designation", "int64")),
    "category column holds numbers": (lambda d, p: ["--input", _table_file(d, "int-impact.parquet", _with_column(
        SMALL_REGISTER, "production_impact", pa.array(range(SMALL_REGISTER.num_rows), pa.int64())))],
        3, ("production_impact",)),
    "column clashes with an output column": (lambda d, p: ["--input", _table_file(
        d, "scored.parquet", SMALL_REGISTER.append_column("score", pa.array([1.0] * SMALL_REGISTER.num_rows)))],
        3, ("'score'", "clashes")),
    "column named like a Hive key": (lambda d, p: ["--input", _table_file(
        d, "tiered.parquet", SMALL_REGISTER.append_column("tier", pa.array(["A"] * SMALL_REGISTER.num_rows)))],
        3, ("'tier'",)),
    "column named like the quarantine's errors": (lambda d, p: ["--input", _table_file(
        d, "errors.parquet", SMALL_REGISTER.append_column("errors", pa.array(["x"] * SMALL_REGISTER.num_rows)))],
        3, ("'errors'", "quarantine")),
    "period too long": (lambda d, p: ["--input", *p.register, "--period", "p" * 65], 2, ("--period",)),
    "period with a slash": (lambda d, p: ["--input", *p.register, "--period", "2026/11"], 2, ("--period", "2026/11")),
    "invalid fraction above 1": (lambda d, p: ["--input", *p.register, "--max-invalid-fraction", "2"], 2,
                                 ("--max-invalid-fraction",)),
    "workers below 1": (lambda d, p: ["--input", *p.register, "--workers", "0"], 2, ("--workers",)),
    "workers and scheduler": (lambda d, p: ["--input", *p.register, "--workers", "2", "--scheduler", "tcp://x:1"], 2,
                              ("--scheduler",)),
    "unknown option": (lambda d, p: ["--input", *p.register, "--turbo"], 2, ("--turbo",)),
    "scorecard: missing file": (lambda d, p: [d / "nowhere.yaml", "--input", *p.register], 2, ("nowhere.yaml",)),
    "scorecard: YAML syntax": (lambda d, p: _scorecard_with(d, p, "syntax.yaml", ("\nversion: ", "\nversion: [")), 2,
                               ("syntax.yaml:", "YAML")),
    "scorecard: extra suite missing": (lambda d, p: _scorecard_with(
        d, p, "extra.yaml", (_KEY_LINE, _KEY_LINE + "expectations: nope.json\n")), 2, ("nope.json",)),
    "scorecard: unsupported expectation": (lambda d, p: _scorecard_with(
        d, p, "mean.yaml", (_KEY_LINE, _KEY_LINE + "expectations: mean.json\n"), {"mean.json": _UNSUPPORTED_SUITE}),
        2, ("expect_column_mean_to_be_between",)),
    "extra suite names a column the register lacks": (lambda d, p: _scorecard_with(
        d, p, "region.yaml", (_KEY_LINE, _KEY_LINE + "expectations: region.json\n"), {"region.json": _UNKNOWN_COLUMN_SUITE}),
        3, ("region",)),
}


@pytest.mark.parametrize("case", list(FAILURES))
def test_failure_exits_with_one_line_and_publishes_nothing(case: str, published: Published, tmp_path: Path) -> None:
    make_args, exit_code, named = FAILURES[case]
    output = published.copy_output(tmp_path / "out")
    before = snapshot(output)
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    args = make_args(inputs, published)
    scorecard = [] if case == "bad scorecard" or args and str(args[0]).endswith(".yaml") else [EQUIPMENT_ABC]
    if "--period" not in args:
        args += ["--period", PERIOD]

    result = tierline("run", *scorecard, *args, "--output", output, "--quiet")

    line = assert_one_line_failure(result, exit_code)
    for text in named:
        assert text in line, (text, line)
    assert result.stdout == ""
    assert snapshot(output) == before  # previous period intact, no `_staging` left


@pytest.mark.parametrize("rows", ["0", "-1"])
def test_partition_rows_below_one_is_a_usage_error(rows: str, published: Published, tmp_path: Path) -> None:
    result = tierline("run", EQUIPMENT_ABC, "--input", published.register[0], "--output", tmp_path / "out",
                      "--period", PERIOD, "--partition-rows", rows, "--quiet")

    assert_one_line_failure(result, 2)
    assert not (tmp_path / "out").exists()


def test_period_defaults_to_todays_utc_date(published: Published, tmp_path: Path) -> None:
    before = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d")
    result = tierline("run", EQUIPMENT_ABC, "--input", published.register[0], "--output", "out", "--quiet",
                      cwd=tmp_path)
    after = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d")

    assert result.returncode == 0, result.stderr
    periods = [p.name for p in (tmp_path / "out").iterdir() if p.name.startswith("period=")]
    assert periods in ([f"period={before}"], [f"period={after}"])


def test_usage_error_creates_nothing(tmp_path: Path, published: Published) -> None:
    result = tierline("run", EQUIPMENT_ABC, "--input", *published.register, "--output", tmp_path / "new",
                      "--period", "a/b")

    assert_one_line_failure(result, 2)
    assert not (tmp_path / "new").exists()


def test_too_many_invalid_rows_exit_1_and_keep_the_unpublished_quarantine(published: Published,
                                                                         tmp_path: Path) -> None:
    output = published.copy_output(tmp_path / "out")
    before = snapshot(output)
    register = equipment_register(rows=400, seed=5, invalid_share=0.3, cases=())
    paths = write_register(register, tmp_path / "register", files=2, row_group_size=100)

    result = tierline("run", EQUIPMENT_ABC, "--input", *paths, "--output", output, "--period", PERIOD,
                      "--max-invalid-fraction", 0.1, "--partition-rows", 100, "--quiet")

    line = assert_one_line_failure(result, 1)
    assert "0.1" in line
    match = re.search(r"(/\S*_versions\S*)", line)
    assert match, line
    kept = Path(match.group(1).rstrip(".,;"))
    assert kept.is_dir() and kept.is_relative_to(output / "_versions" / f"period={PERIOD}")
    quarantined = read_files(sorted(kept.glob("*.parquet")))
    assert 0.1 * register.num_rows < quarantined.num_rows < register.num_rows
    assert all(quarantined.column("errors").to_pylist())
    assert f"{quarantined.num_rows:,}" in line
    # Nothing published: the previous output is byte for byte the same outside the kept version.
    kept_version = str(kept.parent.relative_to(output))
    assert {p: b for p, b in snapshot(output).items() if not p.startswith(kept_version)} == before


# --- demo -----------------------------------------------------------------------------------


def test_demo_prints_a_tier_table_and_a_query_that_works(tmp_path: Path) -> None:
    result = tierline("demo", "--rows", 5000, "--dir", tmp_path / "demo")

    assert result.returncode == 0, result.stderr
    for label in TIER_LABELS.values():
        assert label in result.stdout
    query_start = result.stdout.index("SELECT")
    query = result.stdout[query_start:].strip()
    assert "hive_partitioning = true" in query and "GROUP BY tier" in query
    counts = {tier: n for tier, n, *_ in duckdb.sql(query).fetchall()}
    out = tmp_path / "demo" / "out"
    (period,) = [p.name.removeprefix("period=") for p in out.iterdir() if p.name.startswith("period=")]
    expected = {t: n for t, n in manifest(out, period)["counts"]["tiers"].items() if n}
    assert counts == expected
    assert sum(counts.values()) + manifest(out, period)["counts"]["quarantined"] == 5000
