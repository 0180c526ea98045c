"""`tierline report` opened in a real browser: Debian's headless Chromium, driven by Playwright, with
the network off.

The page must show every section, one rendered chart (an SVG with drawn marks and a size) in each
chart figure, Chinese labels as text, and the browser must log no error and make no request beyond
the file itself. A screenshot of each page is kept in `test-artifacts/` (or $TIERLINE_TEST_ARTIFACTS)
for a person to look at. `.ci/run` installs `chromium` and `fonts-noto-cjk` when they are missing;
elsewhere the test is skipped without a browser, and fails without one under CI.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from tierline import api
from tierline.cli import main
from tierline.tools.generators import generator

ROOT = Path(__file__).resolve().parents[2]
SCORECARDS = ROOT / "scorecards"
SECTIONS = ["run", "tiers", "scores", "reasons", "quarantine", "expectations", "migration"]
# One scheme per kind of score section: levels with reasons, a matrix, rules read from a numeric column.
SCHEMES = ["equipment_abc", "equipment_matrix", "loan_five_class"]
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-sync",
                  "--disable-background-networking", "--disable-component-update"]


def _chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("no chromium on PATH: .ci/run installs Debian's chromium package")
        pytest.skip("no chromium on PATH (apt-get install chromium fonts-noto-cjk)")
    return found


def _artifacts() -> Path:
    directory = Path(os.environ.get("TIERLINE_TEST_ARTIFACTS", ROOT / "test-artifacts"))
    directory.mkdir(parents=True, exist_ok=True)
    return directory


@pytest.fixture(scope="module", params=SCHEMES)
def report(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    scheme = request.param
    root = tmp_path_factory.mktemp(f"report-{scheme}")
    for period, seed, rows in (("2026-10", 1, 3000), ("2026-11", 2, 3300)):
        table = generator(scheme)(rows, np.random.default_rng(seed))
        pq.write_table(table.slice(seed * 100), root / f"{period}.parquet")  # each period drops other rows
        api.run(SCORECARDS / f"{scheme}.yaml", root / f"{period}.parquet", root / "out", period=period,
                max_invalid_fraction=0.5)
    html = root / "report.html"
    assert main(["report", str(root / "out"), "--period", "2026-11", "-o", str(html)]) == 0
    return scheme, html


def test_the_report_renders_offline_with_every_section_and_chart(report: tuple[str, Path]) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    scheme, html = report
    chromium = _chromium()
    problems: list[str] = []
    requests: list[str] = []
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS)
        try:
            context = browser.new_context(offline=True, viewport={"width": 1200, "height": 900})
            context.route(lambda url: not url.startswith("file:"), lambda route: route.abort())
            page = context.new_page()
            page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type in ("error", "warning") else None)
            page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
            page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url}"))
            page.on("request", lambda r: requests.append(r.url))
            page.goto(html.as_uri(), wait_until="load")

            sections = page.eval_on_selector_all("section[id]", "nodes => nodes.map(n => n.id)")
            figures = page.eval_on_selector_all("figure.chart", """nodes => nodes.map(f => {
                const svg = f.querySelector(':scope > svg');
                const box = svg ? svg.getBoundingClientRect() : {width: 0, height: 0};
                return {chart: f.dataset.chart, svgs: f.querySelectorAll(':scope > svg').length,
                        width: box.width, height: box.height,
                        marks: svg ? svg.querySelectorAll('path, rect, line').length : 0,
                        text: svg ? svg.textContent : ''};
            })""")
            page.screenshot(path=str(_artifacts() / f"report-{scheme}.png"), full_page=True)
        finally:
            browser.close()

    assert sections == SECTIONS
    charts = {f["chart"] for f in figures}
    assert {"tiers", "scores", "quarantine", "migration"} <= charts, charts
    assert len(charts) == len(figures)  # one figure per chart
    for figure in figures:
        assert figure["svgs"] == 1 and figure["width"] > 100 and figure["height"] > 40 and figure["marks"] > 3, figure
    tiers_text = next(f["text"] for f in figures if f["chart"] == "tiers")
    assert any("\u4e00" <= ch <= "\u9fff" for ch in tiers_text), tiers_text  # the Chinese labels are text
    assert problems == []
    assert requests == [html.as_uri()]


def test_the_report_is_one_self_contained_file(report: tuple[str, Path]) -> None:
    _, html = report
    text = html.read_text(encoding="utf-8")
    assert html.stat().st_size < 5_000_000
    assert "<script" not in text and "<link" not in text and "@import" not in text
    assert "http://" not in text.replace("http://www.w3.org/", "") and "https://" not in text
