"""`tierline report` through the command: its failures (one line, SPEC §3 exit codes), its defaults
(the previous period, the file name), and the scorecard's own text escaped in the page."""

from __future__ import annotations

import re
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from registers import amount_scorecard, assert_one_line_failure, tierline, write_scorecard
from tierline import api

LEVELS = """\
    - {tier: A, label: "<script>alert('甲')</script>", from: 100}
    - {tier: B, label: 乙类 & 丙类, to: 100}
"""


def _publish(root: Path, period: str, name: str = "amounts") -> Path:
    card = write_scorecard(root / f"{name}.yaml", amount_scorecard(LEVELS, name=name))
    pq.write_table(pa.table({"id": ["a", "b", "c"], "amount": [150.0, 20.0, -1.0]}), root / f"{period}.parquet")
    api.run(card, root / f"{period}.parquet", root / "out", period=period, max_invalid_fraction=0.5)
    return root / "out"


@pytest.fixture(scope="module")
def output(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("report")
    _publish(root, "2026-09")
    _publish(root, "2026-10")
    return _publish(root, "2026-11", name="renamed")  # a later period graded by another scorecard


def test_the_default_file_and_the_previous_period(output: Path, tmp_path: Path) -> None:
    result = tierline("report", output, "--period", "2026-10", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    page = tmp_path / "report-amounts-2026-10.html"
    assert result.stdout.startswith(page.name + " (0.")  # the path as given, and its size in MB
    html = page.read_text(encoding="utf-8")
    assert "From 2026-09 (amounts v1" in html and 'data-chart="migration"' in html


def test_labels_are_escaped_and_no_script_reaches_the_page(output: Path, tmp_path: Path) -> None:
    page = tmp_path / "r.html"
    assert tierline("report", output, "--period", "2026-10", "-o", page).returncode == 0
    html = page.read_text(encoding="utf-8")
    assert "<script" not in html
    assert "&lt;script&gt;alert(" in html and "乙类 &amp; 丙类" in html


def test_the_first_period_says_there_is_nothing_to_compare(output: Path, tmp_path: Path) -> None:
    page = tmp_path / "r.html"
    assert tierline("report", output, "--period", "2026-09", "-o", page).returncode == 0
    section = re.search(r'<section id="migration">(.*?)</section>', page.read_text(encoding="utf-8"), re.S)
    assert section is not None and "No period before 2026-09" in section.group(1)


def test_a_previous_period_of_another_scorecard_is_noted_but_compare_refuses_it(output: Path, tmp_path: Path) -> None:
    page = tmp_path / "r.html"
    assert tierline("report", output, "--period", "2026-11", "-o", page).returncode == 0
    assert "was graded by another scorecard" in page.read_text(encoding="utf-8")
    line = assert_one_line_failure(tierline("report", output, "--period", "2026-11", "--compare", "2026-10",
                                            "-o", tmp_path / "x.html"), 2)
    assert "one scorecard" in line and not (tmp_path / "x.html").exists()


@pytest.mark.parametrize(("args", "code", "says"), [
    (["--period", "2030-01"], 3, "'2030-01' is not published"),
    (["--period", "2026-10", "--compare", "2020-01"], 3, "'2020-01' is not published"),
    (["--period", "../x"], 2, "period"),
])
def test_missing_periods_are_one_line(output: Path, tmp_path: Path, args: list[str], code: int, says: str) -> None:
    line = assert_one_line_failure(tierline("report", output, *args, "-o", tmp_path / "r.html"), code)
    assert says in line
    assert list(tmp_path.iterdir()) == []


def test_a_missing_directory_is_exit_3_and_a_missing_target_folder_exit_2(output: Path, tmp_path: Path) -> None:
    line = assert_one_line_failure(tierline("report", tmp_path / "nowhere", "--period", "2026-10"), 3)
    assert "no such output directory" in line
    line = assert_one_line_failure(tierline("report", output, "--period", "2026-10", "-o",
                                            tmp_path / "no" / "r.html"), 2)
    assert "does not exist" in line


def test_a_period_whose_every_row_was_quarantined_still_reports(tmp_path: Path) -> None:
    card = write_scorecard(tmp_path / "card.yaml", amount_scorecard(LEVELS))
    pq.write_table(pa.table({"id": ["a", "b"], "amount": [-1.0, -2.0]}), tmp_path / "r.parquet")
    api.run(card, tmp_path / "r.parquet", tmp_path / "out", period="2026-01", max_invalid_fraction=1.0)
    assert tierline("report", tmp_path / "out", "--period", "2026-01", "-o", tmp_path / "r.html").returncode == 0
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert html.count("No row was scored in this period") == 2  # scores and reasons
    assert 'data-chart="quarantine"' in html
