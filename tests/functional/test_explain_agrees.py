"""`tierline explain` says of every row what `tierline run` does with it (issue 9).

For a few shipped scorecards (rules, levels by a score with an override, quantiles, a matrix, a
scale, an aggregating one), a hostile register: the scheme's generated rows, then rows that each
break one input of a template row — null, NaN, ±inf, -0.0, an unmapped or empty text, and every
number the scorecard's file mentions, on it and just either side of it (band, level, rule and
min/max boundaries) — plus repeated keys and a null key. `tierline run` scores it (in small
row-group slices); its output and quarantine are read back as a user reads them, and
`tierline explain --json` for every key must report the same tier (label, rank, scores, points,
override, reasons, actions, derived) for each scored row and the same error codes for each
quarantined row.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tierline.tools import generators
from tierline.cli import main
from registers import tierline
from tierline.scorecard.load import load_scorecard
from tierline.scorecard.model import Scorecard

ROOT = Path(__file__).resolve().parents[2]
PERIOD = "2026-05"
NUMBER = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?(?![\w.])")


def boundaries(path: Path) -> list[float]:
    """Every number the scorecard file writes (its comments too: extra values do no harm)."""
    return sorted({float(text) for text in NUMBER.findall(path.read_text(encoding="utf-8"))})


def hostile_values(spec: Any, numbers: list[float], column_type: pa.DataType) -> list[Any]:
    """The values one input (stored as `column_type`) is set to, each in a row of its own."""
    values: list[Any] = [None]
    if pa.types.is_floating(column_type):
        values += [math.nan, math.inf, -math.inf, -0.0]
        values += [v for n in numbers for v in (np.nextafter(n, -math.inf), n, np.nextafter(n, math.inf))]
    elif pa.types.is_integer(column_type):
        values += [int(n) + step for n in numbers if n == int(n) and abs(n) < 2**53 for step in (-1, 0, 1)]
    elif pa.types.is_boolean(column_type):
        values += [True, False]
    else:  # text: unknown, empty, a listed value in other case
        listed = [v for v in spec.values or () if isinstance(v, str)]
        values += ["not-a-listed-value", ""] + [v.upper() for v in listed[:1] if v.upper() != v]
    return values


def hostile_register(scorecard: Scorecard, path: Path) -> pa.Table:
    base = generators.generator(scorecard.name)(300, np.random.default_rng(20261202))
    rows = base.to_pylist()
    key = scorecard.key
    numbers = boundaries(path)
    hostile = []
    for spec in scorecard.inputs:
        if spec.name == key:
            continue
        for value in hostile_values(spec, numbers, base.schema.field(spec.name).type):
            row = dict(rows[len(hostile) % 60])
            row[spec.name] = float(value) if isinstance(value, np.floating) else value
            row[key] = f"HOSTILE-{len(hostile):05d}"
            hostile.append(row)
    repeated = [dict(rows[i]) for i in (3, 7, 7, 11)]  # one key twice more, two once more
    repeated.append({**rows[20], key: rows[5][key]})  # another row under an existing key
    hostile += repeated + [{**rows[30], key: None}, {**rows[31], key: ""}]
    return pa.Table.from_pylist(rows + hostile, schema=base.schema)


def published(output: Path) -> tuple[pa.Table, pa.Table]:
    """The scored rows with their `tier` from the path, and the quarantine, read file by file."""
    scored = []
    for directory in sorted((output / f"period={PERIOD}").iterdir()):
        tier = directory.name.removeprefix("tier=")
        for part in sorted(directory.glob("*.parquet")):
            table = pq.read_table(part, partitioning=None)
            scored.append(table.append_column("tier", pa.array([tier] * table.num_rows, pa.string())))
    quarantine = [pq.read_table(part, partitioning=None)
                  for part in sorted((output / "_quarantine" / f"period={PERIOD}").glob("*.parquet"))]
    return pa.concat_tables(scored), pa.concat_tables(quarantine)


def explained(scorecard_path: Path, register: Path, keys: list[str], validation: str,
              capsys: pytest.CaptureFixture[str]) -> dict[Any, list[dict]]:
    """`tierline explain --json` for every key at once, its records by key."""
    capsys.readouterr()
    assert main(["explain", str(scorecard_path), "--input", str(register), "--validation", validation, "--json",
                 "--key", *keys]) == 0
    records = defaultdict(list)
    for line in capsys.readouterr().out.splitlines():
        record = json.loads(line)
        records[record["key"]].append(record)
    return records


def scored_fields(scorecard: Scorecard, row: dict) -> dict:
    """What a scored output row says, in the words of explain's JSON."""
    return {"tier": row["tier"], "label": row["tier_label"], "rank": row["tier_rank"], "override": row["override"],
            "reasons": row.get("reasons"),  # explain's null without the column (output: {reasons: false})
            "actions": {a.name: row[a.name] for a in scorecard.actions},
            "derived": {d.name: row[d.name] for d in scorecard.derived}}


def explained_fields(record: dict) -> dict:
    return {name: record[name] for name in ("tier", "label", "rank", "override", "reasons", "actions", "derived")}


CASES = [
    ("loan_five_class", "fast"), ("loan_five_class", "off"), ("loan_five_class", "gx"),
    ("equipment_abc", "fast"), ("customer_top5", "fast"), ("equipment_matrix", "fast"),
    ("postal_key_accounts", "fast"), ("lec_hazard", "fast"), ("lec_hazard", "off"), ("arrears", "fast"),
    ("danger_points", "fast"), ("project_grade", "off"), ("equipment_abc+functions", "fast"),
]

# A shipped scorecard with expression functions in an override and in derived columns (SPEC §2.4).
WITH_FUNCTIONS = {"equipment_abc+functions": ("equipment_abc", [
    ('  - {name: direct_designation, when: "direct_designation", tier: A}',
     '  - {name: direct_designation, when: "direct_designation", tier: A}\n'
     '  - {name: huge, when: "sqrt(coalesce(original_value_10k, 0)) >= 100", tier: A}'),
    ("actions:", 'derived:\n  pd: "1 / (1 + exp((score - 48.71) / 7.213))"\n  odds: "exp((score - 48.71) / 7.213)"\n'
                 '  tenth: "round(clip(log10(max(original_value_10k, 1)), 0, 3), 1)"\nactions:'),
])}


def scorecard_file(scorecard_id: str, tmp_path: Path) -> Path:
    if scorecard_id not in WITH_FUNCTIONS:
        return ROOT / "scorecards" / f"{scorecard_id}.yaml"
    shipped, edits = WITH_FUNCTIONS[scorecard_id]
    text = (ROOT / "scorecards" / f"{shipped}.yaml").read_text(encoding="utf-8")
    for old, new in edits:
        assert old in text
        text = text.replace(old, new, 1)
    path = tmp_path / f"{shipped}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


# equipment_abc with the language of credit cards (SPEC §2.2, §4): base points, `other` on a
# category map (auxiliary and, with validation off, unlisted values take it) and on a bool map,
# an upper-case component name, five reasons; and the lean output profile.
VARIANTS = {
    "credit": (("  combine: sum\n", "  combine: sum\n  base: -5\n"),
               ("map: {shutdown: 25, ordinary: 15, auxiliary: 10}}", "map: {shutdown: 25, ordinary: 15}, other: 10}"),
               ("{name: spare, input: has_backup, map: {false: 5, true: 0}}", "{name: S, input: has_backup, map: {false: 5}, other: 0}"),
               ("\ntiers:\n", "\nreasons: {count: 5}\ntiers:\n")),
    "lean": (("\ntiers:\n", "\noutput: {points: false, reasons: false}\ntiers:\n"),),
}


@pytest.mark.parametrize(("variant", "validation"), [("credit", "fast"), ("credit", "off"), ("lean", "fast")])
def test_explain_agrees_on_base_other_reasons_count_and_output_flags(variant: str, validation: str, tmp_path: Path,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    text = (ROOT / "scorecards" / "equipment_abc.yaml").read_text(encoding="utf-8")
    for old, new in VARIANTS[variant]:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    path = tmp_path / "equipment_abc.yaml"
    path.write_text(text, encoding="utf-8")
    records = explain_agrees_with_run(path, validation, tmp_path, capsys)
    hits = {name for said in records.values() for record in said for name in record["other"]}
    assert hits == ({"impact", "S"} if variant == "credit" else set())


@pytest.mark.parametrize(("scorecard_id", "validation"), CASES)
def test_explain_reports_what_run_does_with_every_row(scorecard_id: str, validation: str, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    explain_agrees_with_run(scorecard_file(scorecard_id, tmp_path), validation, tmp_path, capsys)


def explain_agrees_with_run(scorecard_path: Path, validation: str, tmp_path: Path,
                            capsys: pytest.CaptureFixture[str]) -> dict[Any, list[dict]]:
    """Run and explain the hostile register; every row's story must agree. Returns explain's records."""
    scorecard = load_scorecard(scorecard_path)
    key = scorecard.key
    table = hostile_register(scorecard, scorecard_path)
    register = tmp_path / "register"
    register.mkdir()
    half = table.num_rows // 2
    pq.write_table(table.slice(0, half), register / "part-0.parquet", row_group_size=97)
    pq.write_table(table.slice(half), register / "part-1.parquet", row_group_size=97)
    output = tmp_path / "out"

    result = tierline("run", scorecard_path, "--input", register, "--output", output, "--period", PERIOD,
                      "--validation", validation, "--partition-rows", 40, "--max-invalid-fraction", 1, "--quiet")

    assert result.returncode == 0, result.stderr
    scored, quarantine = published(output)
    assert scored.num_rows and quarantine.num_rows  # the register is hostile, and not only that
    quarantined_errors = defaultdict(list)
    for row in quarantine.select([key, "errors"]).to_pylist():
        quarantined_errors[row[key]].append(row["errors"])
    scored_rows = defaultdict(list)
    for row in scored.to_pylist():
        scored_rows[row[key]].append(row)
    keys = sorted(k for k in set(table.column(key).to_pylist()) if k is not None)

    records = explained(scorecard_path, register, keys, validation, capsys)

    assert set(records) == set(keys)
    for k in keys:
        said = records[k]
        shown_quarantined = sorted(r["errors"] for r in said if r["quarantined"])
        assert shown_quarantined == sorted(quarantined_errors.get(k, [])), k
        kept = [r for r in said if not r["quarantined"]]
        if scorecard.aggregate is None:
            assert len(kept) == len(scored_rows.get(k, [])), k
            for record, row in zip(kept, scored_rows.get(k, [])):
                assert explained_fields(record) == scored_fields(scorecard, row), k
                assert record["scores"] == {s.output_column: row[s.output_column] for s in scorecard.scores}, k
                if scorecard.output.points:
                    assert record["points"] == {c.name: row[c.output_column] for c in scorecard.components}, k
                else:
                    assert not any(c.output_column in row for c in scorecard.components), k
                if "derived odds" in record["calls"]:  # one call that is the whole expression: run's value
                    assert list(record["calls"]["derived odds"].values()) == [row["odds"]], k
        else:  # the entity's one output row, tiered from the group's scores
            assert len(scored_rows.get(k, [])) == (1 if kept else 0), k
            if kept:
                (row,) = scored_rows[k]
                for record in kept:
                    assert explained_fields(record) == scored_fields(scorecard, row), k
                    assert record["entity"] == {"rows": row["rows"], "scores": {
                        s.output_column: row[s.output_column] for s in scorecard.scores}}, k
    # nothing lost (an entity's output row stands for its `rows`)
    assert quarantine.num_rows + sum(row.get("rows", 1) for rows in scored_rows.values() for row in rows) \
        == table.num_rows
    if validation != "off":  # the row explain cannot be asked about, with a null key, is quarantined
        assert quarantine.filter(quarantine.column(key).is_null()).num_rows == table.column(key).null_count == 1
    codes = Counter(code for errors in quarantine.column("errors").to_pylist() for code in errors)
    if validation != "off" and scorecard.aggregate is None:
        assert codes[f"{key}:unique"] >= 2  # repeated keys
    return records
