"""tierline.periods.migration and `tierline diff`: hand-made periods where every entity's move is known.

Period 2026-01 and 2026-02 of a three-tier scorecard (registers.amount_scorecard) (A ≥ 100 > B ≥ 50 > C; a negative amount is
quarantined as amount:between). Each key below is one case of the matrix.
"""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from registers import amount_scorecard, assert_one_line_failure, tierline, write_scorecard
from tierline import api
from tierline.errors import InputError, UsageError
from tierline.periods.migration import Direction, EntityFormat, LineKind, migrate
from tierline.periods.published import open_period

LEVELS_V1 = """\
    - {tier: A, label: 甲类, from: 100}
    - {tier: B, label: 乙类, from: 50, to: 100}
    - {tier: C, label: 丙类, to: 50}
"""
# v2 adds a tier above A and moves B's lower bound: A keeps its code, so A → AA is up.
LEVELS_V2 = """\
    - {tier: AA, label: 特级, from: 500}
    - {tier: A, label: 甲类, from: 100, to: 500}
    - {tier: B, label: 乙类, from: 40, to: 100}
    - {tier: C, label: 丙类, to: 40}
"""

# key: (amount in 2026-01, amount in 2026-02); None = absent, negative = quarantined
MOVES = {
    "same": (120.0, 130.0),
    "up_b_a": (60.0, 150.0),
    "down_a_c": (120.0, 10.0),
    "up_c_b": (10.0, 70.0),
    "to_quarantine": (70.0, -1.0),
    "from_quarantine": (-5.0, 80.0),
    "quarantined_twice": (-5.0, -5.0),
    "gone": (30.0, None),
    "gone_quarantined": (-2.0, None),
    "new": (None, 200.0),
    "new_quarantined": (None, -3.0),
}
EXPECTED_DIRECTIONS = {"same": 1, "up": 2, "down": 1, "new": 2, "gone": 2, "quarantined": 3}


def _publish(root: Path, period: str, amounts: dict[str, float | None], *, version: int = 1,
             levels: str = LEVELS_V1, name: str = "moves", required: bool = True,
             validation: str = "fast") -> Path:
    card = write_scorecard(root / f"{name}-v{version}.yaml",
                           amount_scorecard(levels, name=name, version=version, required=required))
    present = {key: amount for key, amount in amounts.items()}
    table = pa.table({"id": pa.array(list(present), pa.string()), "amount": pa.array(list(present.values()), pa.float64())})
    register = root / f"register-{period}.parquet"
    pq.write_table(table, register)
    api.run(card, register, root / "out", period=period, max_invalid_fraction=1.0, validation=validation)
    return root / "out"


@pytest.fixture(scope="module")
def periods(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("moves")
    _publish(root, "2026-01", {k: a for k, (a, _) in MOVES.items() if a is not None})
    return _publish(root, "2026-02", {k: b for k, (_, b) in MOVES.items() if b is not None})


def _cell(migration, row: str, col: str) -> int:  # type: ignore[no-untyped-def]
    rows = [line.name for line in migration.rows]
    cols = [line.name for line in migration.cols]
    return migration.counts[rows.index(row)][cols.index(col)]


def test_every_kind_of_move_lands_in_its_cell(periods: Path) -> None:
    migration = migrate(open_period(periods, "2026-01"), open_period(periods, "2026-02"))
    assert [line.name for line in migration.rows] == ["A", "B", "C", "(quarantined)", "(new)"]
    assert [line.name for line in migration.cols] == ["A", "B", "C", "(quarantined)", "(gone)"]
    assert [line.label for line in migration.rows[:3]] == ["甲类", "乙类", "丙类"]
    expected = {("A", "A"): 1, ("B", "A"): 1, ("A", "C"): 1, ("C", "B"): 1, ("B", "(quarantined)"): 1,
                ("(quarantined)", "B"): 1, ("(quarantined)", "(quarantined)"): 1, ("C", "(gone)"): 1,
                ("(quarantined)", "(gone)"): 1, ("(new)", "A"): 1, ("(new)", "(quarantined)"): 1}
    found = {(r.name, c.name): n for r, counts in zip(migration.rows, migration.counts)
             for c, n in zip(migration.cols, counts) if n}
    assert found == expected
    assert {d.value: n for d, n in migration.directions.items()} == EXPECTED_DIRECTIONS
    assert migration.entities == len(MOVES)


def test_the_entity_file_has_one_row_per_key_with_both_periods(periods: Path, tmp_path: Path) -> None:
    target = tmp_path / "moves.parquet"
    migrate(open_period(periods, "2026-01"), open_period(periods, "2026-02"), entities_to=target)
    rows = {row["id"]: row for row in pq.read_table(target).to_pylist()}
    assert set(rows) == set(MOVES)
    assert rows["up_b_a"] == {"id": "up_b_a", "from_state": "scored", "from_tier": "B", "from_rank": 2,
                              "from_score": 60.0, "to_state": "scored", "to_tier": "A", "to_rank": 1,
                              "to_score": 150.0, "direction": "up"}
    assert rows["from_quarantine"]["from_state"] == "quarantined" and rows["from_quarantine"]["from_tier"] is None
    assert rows["new_quarantined"]["from_state"] == "absent" and rows["new_quarantined"]["to_state"] == "quarantined"
    assert rows["gone"]["to_state"] == "absent" and rows["gone"]["to_score"] is None
    directions = {key: row["direction"] for key, row in rows.items()}
    assert directions == {"same": "same", "up_b_a": "up", "down_a_c": "down", "up_c_b": "up",
                          "to_quarantine": "quarantined", "from_quarantine": "quarantined",
                          "quarantined_twice": "quarantined", "gone": "gone", "gone_quarantined": "gone",
                          "new": "new", "new_quarantined": "new"}
    assert [p.name for p in tmp_path.iterdir()] == ["moves.parquet"]  # the temporary file is gone


def test_the_entity_file_as_csv_counts_the_same(periods: Path, tmp_path: Path) -> None:
    target = tmp_path / "moves.csv"
    migration = migrate(open_period(periods, "2026-01"), open_period(periods, "2026-02"), entities_to=target,
                        entity_format=EntityFormat.CSV)
    lines = target.read_text(encoding="utf-8").splitlines()
    assert lines[0].split(",")[:4] == ["id", "from_state", "from_tier", "from_rank"]
    assert len(lines) == 1 + len(MOVES)
    assert {d.value: n for d, n in migration.directions.items()} == EXPECTED_DIRECTIONS


def test_cli_prints_the_matrix_with_labels_and_the_counts(periods: Path) -> None:
    result = tierline("diff", periods, "--from", "2026-01", "--to", "2026-02")
    assert result.returncode == 0, result.stderr
    assert "A 甲类" in result.stdout and "(quarantined)" in result.stdout and "(new)" in result.stdout
    assert "up 2 · down 1 · same 1 · new 2 · gone 2 · quarantined 3" in result.stdout
    assert "moves v1" in result.stdout


def test_cli_json_and_csv_are_the_same_matrix(periods: Path) -> None:
    as_json = json.loads(tierline("diff", periods, "--from", "2026-01", "--to", "2026-02", "--format", "json").stdout)
    assert as_json["directions"] == EXPECTED_DIRECTIONS and as_json["entities"] == len(MOVES)
    assert as_json["rows"][-1] == {"kind": "new", "code": None, "label": "new", "rank": None}
    as_csv = tierline("diff", periods, "--from", "2026-01", "--to", "2026-02", "--format", "csv").stdout.splitlines()
    assert as_csv[0] == "from_kind,from_tier,from_label,to_kind,to_tier,to_label,entities,direction"
    assert "tier,B,乙类,tier,A,甲类,1,up" in as_csv
    assert sum(int(line.split(",")[6]) for line in as_csv[1:]) == len(MOVES)


def test_cli_writes_the_entity_file_in_the_format_asked(periods: Path, tmp_path: Path) -> None:
    target = tmp_path / "entities.data"
    result = tierline("diff", periods, "--from", "2026-01", "--to", "2026-02", "-o", target, "--format", "csv")
    assert result.returncode == 0, result.stderr
    assert target.read_text(encoding="utf-8").startswith("id,from_state,")
    assert "11 entities written to" in result.stderr


def test_a_new_version_of_the_scorecard_is_compared_by_the_later_tier_table(tmp_path: Path) -> None:
    _publish(tmp_path, "2026-01", {"a_to_aa": 120.0, "b_to_b": 60.0, "c_to_b": 45.0, "a_to_a": 200.0}, levels=LEVELS_V1)
    out = _publish(tmp_path, "2026-02", {"a_to_aa": 600.0, "b_to_b": 60.0, "c_to_b": 45.0, "a_to_a": 200.0},
                   version=2, levels=LEVELS_V2)
    # 45 was C under v1 (B from 50) and is B under v2 (B from 40): c_to_b moves up with the same amount.
    migration = migrate(open_period(out, "2026-01"), open_period(out, "2026-02"))
    assert [line.name for line in migration.cols][:4] == ["AA", "A", "B", "C"]
    assert _cell(migration, "A", "AA") == 1 and _cell(migration, "C", "B") == 1 and _cell(migration, "A", "A") == 1
    assert migration.directions[Direction.UP] == 2 and migration.directions[Direction.SAME] == 2
    result = tierline("diff", out, "--from", "2026-01", "--to", "2026-02")
    assert result.returncode == 0, result.stderr
    assert "moves v1 (sha256" in result.stdout and "moves v2 (sha256" in result.stdout


def test_periods_of_different_scorecards_are_refused_in_one_line(tmp_path: Path) -> None:
    _publish(tmp_path, "2026-01", {"k": 1.0}, name="moves")
    out = _publish(tmp_path, "2026-02", {"k": 1.0}, name="other_card")
    with pytest.raises(UsageError, match="moves v1 .* other_card v1 .*one scorecard"):
        migrate(open_period(out, "2026-01"), open_period(out, "2026-02"))
    line = assert_one_line_failure(tierline("diff", out, "--from", "2026-01", "--to", "2026-02"), 2)
    assert "other_card" in line


def test_a_missing_period_or_directory_is_exit_3_in_one_line(periods: Path, tmp_path: Path) -> None:
    line = assert_one_line_failure(tierline("diff", periods, "--from", "2025-12", "--to", "2026-02"), 3)
    assert "'2025-12' is not published" in line and "2026-01, 2026-02" in line
    line = assert_one_line_failure(tierline("diff", tmp_path / "nowhere", "--from", "2026-01", "--to", "2026-02"), 3)
    assert "no such output directory" in line
    assert_one_line_failure(tierline("diff", periods, "--from", "2026-01", "--to", "2026-02", "--format", "parquet"), 2)


def test_rows_without_a_key_are_entities_of_their_own(tmp_path: Path) -> None:
    # A key that is not required may be null; such a row cannot be followed into the other period.
    first = pa.table({"id": pa.array(["k", None, None], pa.string()), "amount": [120.0, 60.0, 10.0]})
    second = pa.table({"id": pa.array(["k", None], pa.string()), "amount": [120.0, 60.0]})
    card = write_scorecard(tmp_path / "card.yaml", amount_scorecard(LEVELS_V1, name="moves", required=False))
    for period, table in (("2026-01", first), ("2026-02", second)):
        pq.write_table(table, tmp_path / f"{period}.parquet")
        api.run(card, tmp_path / f"{period}.parquet", tmp_path / "out", period=period)
    migration = migrate(open_period(tmp_path / "out", "2026-01"), open_period(tmp_path / "out", "2026-02"))
    assert _cell(migration, "A", "A") == 1
    assert _cell(migration, "B", "(gone)") == 1 and _cell(migration, "C", "(gone)") == 1
    assert _cell(migration, "(new)", "B") == 1
    assert migration.entities == 4


def test_a_key_scored_twice_is_refused_rather_than_counted_twice(tmp_path: Path) -> None:
    table = pa.table({"id": ["k", "k", "j"], "amount": [120.0, 10.0, 60.0]})
    card = write_scorecard(tmp_path / "card.yaml", amount_scorecard(LEVELS_V1, name="moves"))
    for period in ("2026-01", "2026-02"):
        pq.write_table(table, tmp_path / f"{period}.parquet")
        api.run(card, tmp_path / f"{period}.parquet", tmp_path / "out", period=period, validation="off")
    with pytest.raises(InputError, match=r"3 rows were scored but they hold 2 keys.*--validation off"):
        migrate(open_period(tmp_path / "out", "2026-01"), open_period(tmp_path / "out", "2026-02"))


def test_a_key_column_of_another_type_in_the_later_period_is_compared_as_text(tmp_path: Path) -> None:
    card = tmp_path / "card.yaml"
    write_scorecard(card, amount_scorecard(LEVELS_V1, name="moves")
                    .replace("id: {type: string", "id: {type: int"))
    pq.write_table(pa.table({"id": pa.array([1, 2], pa.int64()), "amount": [120.0, 10.0]}), tmp_path / "a.parquet")
    api.run(card, tmp_path / "a.parquet", tmp_path / "out", period="2026-01")
    write_scorecard(card, amount_scorecard(LEVELS_V1, name="moves", version=2))
    pq.write_table(pa.table({"id": ["1", "2"], "amount": [10.0, 10.0]}), tmp_path / "b.parquet")
    api.run(card, tmp_path / "b.parquet", tmp_path / "out", period="2026-02")
    migration = migrate(open_period(tmp_path / "out", "2026-01"), open_period(tmp_path / "out", "2026-02"))
    assert _cell(migration, "A", "C") == 1 and _cell(migration, "C", "C") == 1 and migration.entities == 2
    assert all(line.kind is LineKind.TIER or sum(counts) == 0
               for line, counts in zip(migration.rows, migration.counts))


def test_an_entity_file_is_not_left_behind_when_the_diff_is_refused(tmp_path: Path) -> None:
    table = pa.table({"id": ["k", "k"], "amount": [120.0, 10.0]})
    card = write_scorecard(tmp_path / "card.yaml", amount_scorecard(LEVELS_V1, name="moves"))
    for period in ("2026-01", "2026-02"):
        pq.write_table(table, tmp_path / f"{period}.parquet")
        api.run(card, tmp_path / f"{period}.parquet", tmp_path / "out", period=period, validation="off")
    (tmp_path / "moves").mkdir()
    with pytest.raises(InputError, match="scored but they hold"):
        migrate(open_period(tmp_path / "out", "2026-01"), open_period(tmp_path / "out", "2026-02"),
                entities_to=tmp_path / "moves" / "moves.parquet")
    assert list((tmp_path / "moves").iterdir()) == []


def test_an_entity_file_that_cannot_be_written_is_exit_3_naming_it(periods: Path, tmp_path: Path) -> None:
    (tmp_path / "taken.parquet").mkdir()  # a directory where the file should go
    line = assert_one_line_failure(tierline("diff", periods, "--from", "2026-01", "--to", "2026-02",
                                            "-o", tmp_path / "taken.parquet"), 3)
    assert "taken.parquet" in line
    assert sorted(p.name for p in tmp_path.iterdir()) == ["taken.parquet"]


def test_periods_without_scored_rows_or_without_quarantine(tmp_path: Path) -> None:
    _publish(tmp_path, "2026-01", {"a": -1.0, "b": -2.0})  # every row quarantined: no scored file
    _publish(tmp_path, "2026-02", {"a": 120.0, "c": 10.0})  # no quarantined row: no quarantine file
    out = _publish(tmp_path, "2026-03", {"a": -1.0})
    first, second, third = (open_period(out, p) for p in ("2026-01", "2026-02", "2026-03"))
    assert not first.scored_files and not second.quarantine_files
    migration = migrate(first, second, entities_to=tmp_path / "e.parquet")
    assert _cell(migration, "(quarantined)", "A") == 1 and _cell(migration, "(quarantined)", "(gone)") == 1
    assert _cell(migration, "(new)", "C") == 1 and migration.entities == 3
    assert migrate(first, third).counts[3][3] == 1  # quarantined in both, by a scan with no scored file


def test_a_passed_through_column_named_filename_is_no_trouble(tmp_path: Path) -> None:
    card = write_scorecard(tmp_path / "card.yaml", amount_scorecard(LEVELS_V1, name="moves"))
    for period, amount in (("2026-01", 120.0), ("2026-02", 10.0)):
        pq.write_table(pa.table({"id": ["k"], "amount": [amount], "filename": ["scan-2026.csv"]}), tmp_path / "r.parquet")
        api.run(card, tmp_path / "r.parquet", tmp_path / "out", period=period)
    migration = migrate(open_period(tmp_path / "out", "2026-01"), open_period(tmp_path / "out", "2026-02"))
    assert _cell(migration, "A", "C") == 1
