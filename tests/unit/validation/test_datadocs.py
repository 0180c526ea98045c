"""`--data-docs DIR`: a run's validation summary as GX Data Docs (`tierline.validation.datadocs`).

One small register (two files; a failure for nearly every check, a cross-file duplicate key, an
extra `mostly` expectation that passes with failures) is scored once by `tierline run`, and its
manifest's summary becomes the docs. Great Expectations itself, validating the same register as one
frame, is the reference for every count; the pages are read back as a browser would get them.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import re
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml

from tierline.validation.datadocs import build_data_docs, map_result, validation_result
from tierline.validation.suite import suite_for, suite_table
from tierline.cli import main
from registers import CHECKED_SCORECARD
from tierline.scorecard.load import load_scorecard

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

SCORECARD = CHECKED_SCORECARD.replace("key: id\n", "key: id\nexpectations: extra.json\n")
# Passes with 2 of 10 non-null amounts over 100 (200 and inf): a success that still counts failures.
EXTRA_SUITE = {"name": "extra", "expectations": [
    {"type": "expect_column_values_to_be_between", "kwargs": {"column": "amount", "max_value": 100, "mostly": 0.5},
     "meta": {"tierline_code": "amount:at_most_100"}}]}
FILES = [  # (id, amount, kind, level)
    [("K1", 10.0, "a", 1), ("K2", 200.0, "b", None), ("K3", -1.0, "a", 2), ("K4", math.inf, "a", 2),
     ("K5", None, "c", 2), ("X6", 1.0, "a", 2), ("K7", 1.0, "a", 9), ("K8", 1.0, "a", 2),
     ("K9", math.nan, None, 2)],
    [("K8", 5.0, "b", 2), ("K10", 5.0, "b", 4), (None, 5.0, "b", 4)],
]
PERIOD = "p1"
ASSET = f"period={PERIOD}"
SITE = Path("gx", "uncommitted", "data_docs", "local_site")
# what the register breaks, worked out by hand: code → failing rows (every other check passes)
FAILURES = {"id:not_null": 1, "id:unique": 2, "id:regex": 1, "amount:between": 2, "kind:in_set": 1,
            "level:between": 1, "amount:at_most_100": 2}


@dataclass(frozen=True)
class Scored:
    scorecard: Path
    register: Path
    manifest: dict[str, Any]

    @property
    def summary(self) -> list[dict[str, Any]]:
        return self.manifest["validation"]["expectations"]

    @property
    def started(self) -> dt.datetime:
        return dt.datetime.fromisoformat(self.manifest["started"])


@pytest.fixture(scope="module")
def scored(tmp_path_factory: pytest.TempPathFactory) -> Scored:
    root = tmp_path_factory.mktemp("scored")
    scorecard = root / "checked.yaml"
    scorecard.write_text(SCORECARD, encoding="utf-8")
    (root / "extra.json").write_text(json.dumps(EXTRA_SUITE), encoding="utf-8")
    register = root / "register"
    register.mkdir()
    for number, rows in enumerate(FILES):
        pq.write_table(pa.table({
            "id": pa.array([r[0] for r in rows], pa.string()),
            "amount": pa.array([r[1] for r in rows], pa.float64()),
            "kind": pa.array([r[2] for r in rows], pa.string()),
            "level": pa.array([r[3] for r in rows], pa.int64()),
        }), register / f"part-{number}.parquet")
    output = root / "out"
    assert main(["run", str(scorecard), "--input", str(register), "--output", str(output), "--period", PERIOD,
                 "--max-invalid-fraction", "1", "--quiet"]) == 0
    manifest = json.loads((output / "_manifests" / f"period={PERIOD}.json").read_text(encoding="utf-8"))
    return Scored(scorecard, register, manifest)


def _docs(scored: Scored, directory: Path, run_name: str | None = None, started: dt.datetime | None = None) -> Path:
    return build_data_docs(directory, suite_for(load_scorecard(str(scored.scorecard))), scored.summary,
                           run_name=run_name or scored.manifest["run_id"], data_asset=ASSET,
                           started=started or scored.started, batch_markers={"input rows": 12})


# ------------------------------------------------------------------ GX as the reference


def _gx_validate(expectations: list[dict[str, Any]], frame: Any) -> Any:
    """GX's own BASIC result of `expectations` on `frame` as one batch, results in suite order."""
    import great_expectations as gx
    from great_expectations.core import ExpectationSuite
    from great_expectations.data_context.types.base import (
        DataContextConfig, InMemoryStoreBackendDefaults, ProgressBarsConfig)
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

    config = DataContextConfig(analytics_enabled=False, progress_bars=ProgressBarsConfig(globally=False),
                               store_backend_defaults=InMemoryStoreBackendDefaults())
    context = gx.get_context(mode="ephemeral", project_config=config)
    batch = (context.data_sources.add_pandas("reference").add_dataframe_asset("register")
             .add_batch_definition_whole_dataframe("whole").get_batch(batch_parameters={"dataframe": frame}))
    suite = ExpectationSuite(name="reference", expectations=[
        ExpectationConfiguration(type=e["type"], kwargs=dict(e["kwargs"]),
                                 meta={**(e.get("meta") or {}), "position": i}).to_domain_obj()
        for i, e in enumerate(expectations)])
    validation = batch.validate(suite, result_format="BASIC")
    # GX groups results by domain, not in suite order
    validation.results.sort(key=lambda r: r.expectation_config.meta["position"])
    return validation


def _without_values(result: dict[str, Any]) -> dict[str, Any]:
    """GX's result less the failing values, which a run's summary does not keep."""
    return {key: value for key, value in result.items() if not key.startswith("partial_unexpected")}


def test_the_result_is_what_gx_reports_on_the_whole_register(scored: Scored) -> None:
    scorecard = load_scorecard(str(scored.scorecard))
    suite = suite_for(scorecard).to_json_dict()
    ours = validation_result(suite, scored.summary, run_name="r1", data_asset=ASSET, started=scored.started)
    table = pa.concat_tables([pq.read_table(path) for path in sorted(scored.register.glob("*.parquet"))])
    theirs = _gx_validate(suite["expectations"], suite_table(table, scorecard).to_pandas(ignore_metadata=True))

    assert len(ours.results) == len(theirs.results) == len(suite["expectations"]) == 15
    compared = 0
    for entry, mine, reference in zip(suite["expectations"], ours.results, theirs.results):
        code = entry["meta"]["tierline_code"]
        assert mine.success is reference.success, code
        assert mine.success is (code not in FAILURES or code == "amount:at_most_100"), code
        assert {k: v for k, v in mine.expectation_config.kwargs.items() if k != "batch_id"} == entry["kwargs"]
        assert mine.expectation_config.meta == entry["meta"]
        if "observed_value" in reference.result:
            continue  # a type check GX decided on the column's dtype: no counts
        assert mine.result == _without_values(reference.result), code
        if mine.result:
            assert mine.result["unexpected_count"] == FAILURES.get(code, 0), code
        compared += 1
    assert compared == 11  # the four type checks are decided on dtypes (str, float64, int64)
    assert ours.statistics == theirs.statistics
    assert ours.success is theirs.success is False


@pytest.mark.parametrize("values", [[], [None, None], ["a", None, "x"]], ids=["no rows", "all null", "mixed"])
def test_map_result_matches_gx_without_rows_or_values(values: list[str | None]) -> None:
    import pandas as pd

    frame = pd.DataFrame({"kind": pd.Series(values, dtype=object)})
    expectations = [{"type": "expect_column_values_to_be_in_set", "kwargs": {"column": "kind", "value_set": ["a"]}},
                    {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "kind"}}]
    in_set, not_null = _gx_validate(expectations, frame).results
    rows, nonnull = len(values), sum(v is not None for v in values)
    unexpected = sum(v is not None and v != "a" for v in values)
    assert map_result(rows, unexpected, nonnull) == _without_values(in_set.result)
    assert map_result(rows, rows - nonnull, None) == _without_values(not_null.result)


# ------------------------------------------------------------------ the site


class _Page(HTMLParser):
    """A Data Docs page as text: its sections ({header: [row, ...]}, a row being the status icon's
    classes and the text of each cell), every img src and every href."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.sections: dict[str, list[tuple[str, list[str]]]] = {}
        self.images: list[str] = []
        self.links: list[str] = []
        self._header: list[str] | None = None
        self._section = ""
        self._row: tuple[list[str], list[str]] | None = None
        self._cell: list[str] | None = None
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "h5":
            self._header = []
        elif tag == "tr":
            self._row = ([], [])
        elif tag == "td" and self._row is not None:
            self._cell = []
        elif tag == "i" and self._row is not None:
            self._row[0].append(attributes.get("class") or "")
        elif tag == "img":
            self.images.append(attributes.get("src") or "")
        elif tag == "a" and attributes.get("href"):
            self.links.append(attributes["href"] or "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "h5" and self._header is not None:
            self._section = " ".join("".join(self._header).split())
            self.sections.setdefault(self._section, [])
            self._header = None
        elif tag == "td" and self._row is not None and self._cell is not None:
            self._row[1].append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            icons, cells = self._row
            if cells and self._section:
                self.sections[self._section].append((" ".join(icons[:1]), cells))
            self._row = None

    def handle_data(self, data: str) -> None:
        if self._header is not None:
            self._header.append(data)
        if self._cell is not None:
            self._cell.append(data)


def _index_links(index: Path) -> list[Path]:
    """The validation pages the index's table links (its rows are a JSON-like list in a script)."""
    paths = re.findall(r"'_table_row_link_path': '(validations/[^']+)'", index.read_text(encoding="utf-8"))
    return [index.parent / unquote(path) for path in paths]


def _percent(observed: str, what: str) -> float:
    """The number in GX's "≈9.0909% unexpected" (≈ when rounded)."""
    found = re.fullmatch(rf"≈?([0-9.]+)% {what}", observed)
    assert found, observed
    return float(found.group(1))


def _files(root: Path) -> dict[Path, bytes]:
    return {path: path.read_bytes() for path in root.rglob("*") if path.is_file()}


def test_the_site_shows_every_expectation_of_the_run(scored: Scored, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))  # whatever GX would keep per user lands here, and is caught
    (tmp_path / "elsewhere.txt").write_text("untouched", encoding="utf-8")
    before = _files(tmp_path)
    docs = tmp_path / "docs"

    index = _docs(scored, docs)

    assert index == docs / SITE / "index.html" and index.is_file()
    assert {p: b for p, b in _files(tmp_path).items() if docs not in p.parents} == before
    config = yaml.safe_load((docs / "gx" / "great_expectations.yml").read_text(encoding="utf-8"))
    assert config["analytics_enabled"] is False
    [page_path] = _index_links(index)
    assert page_path.is_file() and page_path.is_relative_to(docs / SITE / "validations")
    index_text = index.read_text(encoding="utf-8")
    assert scored.manifest["run_id"] in index_text and ASSET in index_text

    page = _Page(page_path.read_text(encoding="utf-8"))
    overview = " ".join(cell for _, cells in page.sections["Overview"] for cell in cells)
    assert "Evaluated Expectations 15" in overview and "Unsuccessful Expectations 6" in overview
    assert "input rows 12" in overview  # the batch markers
    by_column: dict[str, list[dict[str, Any]]] = {}
    for check in scored.summary:
        by_column.setdefault(check["column"], []).append(check)
    for column, checks in by_column.items():
        rows = page.sections[column]  # one section per column, its checks in suite order
        assert len(rows) == len(checks), column
        for check, (icon, (_, statement, observed)) in zip(checks, rows):
            code, unexpected = check["code"], check["unexpected"]
            assert unexpected == FAILURES.get(code, 0), code
            if check["success"]:
                assert "text-success" in icon and "unexpected values found" not in statement, code
            else:
                assert "text-danger" in icon, code
                assert f"{unexpected} unexpected values found" in statement, code
            if check["expectation"] == "expect_column_to_exist":
                assert observed == "--"
            elif check["expectation"] == "expect_column_values_to_not_be_null":  # a share of all rows
                assert _percent(observed, "not null") == pytest.approx(100 - unexpected / check["rows"] * 100, rel=1e-4)
            else:  # nulls are skipped: a share of the non-null values
                assert _percent(observed, "unexpected") == pytest.approx(unexpected / check["nonnull"] * 100, rel=1e-4)
    mostly = next(row for row in page.sections["amount"] if "at least 50 % of the time" in row[1][1])
    assert "text-success" in mostly[0] and mostly[1][2] == "20% unexpected"  # 2 of 10 non-null amounts

    # the page links back home and to the suite's page, and serves GX's logo from the site itself
    built = [index, page_path, *(docs / SITE / "expectations").rglob("*.html")]
    assert len(built) == 3
    for html_file in built:
        text = html_file.read_text(encoding="utf-8")
        assert "dataContextId" not in text and "logo-long.png?" not in text, html_file
        for image in _Page(text).images:
            assert (html_file.parent / image).resolve().is_file(), (html_file, image)
    local = [link for link in page.links if not link.startswith(("http", "#"))]
    assert {(page_path.parent / link).resolve() for link in local} >= {index.resolve(), built[2].resolve()}
    assert all((page_path.parent / link).resolve().is_file() for link in local)


def test_a_second_run_adds_its_page_and_keeps_the_first(scored: Scored, tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    first = _docs(scored, docs, "first-run", scored.started)
    [first_page] = _index_links(first)
    first_text = first_page.read_text(encoding="utf-8")

    second = _docs(scored, docs, "second-run", scored.started + dt.timedelta(hours=1))
    again = _docs(scored, docs, "second-run", scored.started + dt.timedelta(hours=1))  # same run: same page

    assert first == second == again
    pages = _index_links(second)
    assert len(pages) == 2 and first_page in pages and all(page.is_file() for page in pages)
    assert first_page.read_text(encoding="utf-8") == first_text
    index_text = second.read_text(encoding="utf-8")
    assert "first-run" in index_text and "second-run" in index_text
    assert len(list((docs / "gx" / "uncommitted" / "validations").rglob("*.json"))) == 2


def test_a_summary_that_does_not_answer_the_suite_is_refused(scored: Scored, tmp_path: Path) -> None:
    suite = suite_for(load_scorecard(str(scored.scorecard)))
    docs = tmp_path / "docs"
    shorter = scored.summary[:-1]
    swapped = [scored.summary[1], scored.summary[0], *scored.summary[2:]]
    for summary, message in ((shorter, "the summary has 14 checks but suite"), (swapped, "does not answer")):
        with pytest.raises(ValueError, match=message):
            build_data_docs(docs, suite, summary, run_name="r", data_asset=ASSET, started=scored.started)
    with pytest.raises(ValueError, match="run name 'a/b'"):
        build_data_docs(docs, suite, scored.summary, run_name="a/b", data_asset=ASSET, started=scored.started)
    assert not docs.exists()  # refused before anything is written


# ------------------------------------------------------------------ `tierline run --data-docs`


@pytest.mark.parametrize("mode", ["fast", "gx"])
def test_run_with_data_docs(scored: Scored, mode: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The flag builds the site in both modes, the manifest records its index, and a run that fails
    its policy (nothing published) still builds it and says where."""
    docs, output = tmp_path / "docs", tmp_path / "out"
    common = ["run", str(scored.scorecard), "--input", str(scored.register), "--output", str(output),
              "--validation", mode, "--data-docs", str(docs)]
    assert main([*common, "--period", "ok", "--max-invalid-fraction", "1"]) == 0
    index = docs / SITE / "index.html"
    assert f"data docs: {index}" in capsys.readouterr().out
    manifest = json.loads((output / "_manifests" / "period=ok.json").read_text(encoding="utf-8"))
    assert manifest["data_docs"] == str(index) and index.is_file()

    assert main([*common, "--period", "failing", "--max-invalid-fraction", "0"]) == 1
    assert f"Data Docs: {index}" in capsys.readouterr().err
    assert not (output / "period=failing").exists()
    assert len(_index_links(index)) >= 2  # both runs' validation pages


def test_data_docs_need_validation(scored: Scored, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", str(scored.scorecard), "--input", str(scored.register), "--output", str(tmp_path / "out"),
                 "--validation", "off", "--data-docs", str(tmp_path / "docs")]) == 2
    assert "needs --validation fast or gx" in capsys.readouterr().err
    assert not (tmp_path / "docs").exists() and not (tmp_path / "out").exists()
