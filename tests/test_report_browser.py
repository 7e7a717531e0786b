"""The report's SVG charts in a real Chromium: they draw at a real size, and their text follows the
reader's colour scheme (GitHub's dark mode)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.browser_support import ARTIFACTS
from tests.conftest import MakeRepo
from tests.report_support import FILES, PYPROJECT, build_history
from tidings.content import load
from tidings.report import Month, monthly_report, write_report
from tidings.store import open_database

pytestmark = pytest.mark.browser

LIGHT_TEXT, DARK_TEXT = "rgb(87, 96, 106)", "rgb(201, 209, 217)"


@pytest.fixture
def written(make_repo: MakeRepo, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[Path]:
    root = make_repo(FILES, pyproject=PYPROJECT)
    engine = open_database(root)
    build_history(engine, root, monkeypatch)
    figures = monthly_report(engine, load(root, history=False), Month(2026, 10),
                             datetime(2026, 11, 30, tzinfo=UTC))
    engine.dispose()
    return write_report(figures, tmp_path / "reports", with_html=True)


def _drawn(page: Any) -> dict[str, Any]:
    return page.evaluate("""() => {
        const svg = document.querySelector('svg');
        const box = svg.getBoundingClientRect();
        const label = svg.querySelector('.axis text') || svg.querySelector('text');
        return {width: box.width, height: box.height, marks: svg.querySelectorAll('rect, path').length,
                fill: getComputedStyle(label).fill, charts: document.querySelectorAll('svg').length};
    }""")


@pytest.mark.parametrize("scheme, colour", [("light", LIGHT_TEXT), ("dark", DARK_TEXT)])
def test_each_chart_draws_at_a_real_size_with_text_for_the_colour_scheme(
        browser: Any, written: list[Path], scheme: str, colour: str) -> None:
    charts = [p for p in written if p.suffix == ".svg"]
    assert len(charts) == 3
    context = browser.new_context(color_scheme=scheme, viewport={"width": 900, "height": 700})
    try:
        page = context.new_page()
        for chart in charts:
            page.goto(chart.as_uri())
            drawn = _drawn(page)
            assert drawn["width"] > 100 and drawn["height"] > 100, chart.name
            assert drawn["marks"] > 5 and drawn["fill"] == colour, chart.name
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / f"report-{scheme}-{chart.stem}.png"))
    finally:
        context.close()


def test_the_html_page_holds_every_chart_inline(browser: Any, written: list[Path]) -> None:
    (html,) = [p for p in written if p.suffix == ".html"]
    context = browser.new_context(color_scheme="dark")
    try:
        page = context.new_page()
        page.goto(html.as_uri())
        sizes = page.evaluate("() => [...document.querySelectorAll('svg')].map("
                              "s => [s.getBoundingClientRect().width, s.getBoundingClientRect().height])")
        assert len(sizes) == 3 and all(w > 100 and h > 100 for w, h in sizes)
        assert page.locator("table").count() == 3
    finally:
        context.close()
