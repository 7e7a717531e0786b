"""The newsletter's HTML in a real Chromium: readable on a phone (375 px) and a desktop (800 px)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.browser_support import ARTIFACTS, REPO_ROOT
from tidings.mail.preview import render_preview

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def email_html(tmp_path_factory: pytest.TempPathFactory, monkeypatch_module: Any) -> Path:
    preview = render_preview(REPO_ROOT, "2026-12", datetime(2026, 11, 23, 12, tzinfo=UTC),
                             "eleni@example.org")
    path = tmp_path_factory.mktemp("email") / "issue.html"
    path.write_text(preview.html, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def monkeypatch_module() -> Any:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TIDINGS_SECRET", "browser-test-secret-" + "z" * 16)
        yield patch


@pytest.mark.parametrize("width", [375, 800])
def test_newsletter_html_fits_the_screen_without_horizontal_scroll(
    browser: Any, email_html: Path, width: int
) -> None:
    context = browser.new_context(viewport={"width": width, "height": 900})
    # Nothing may be fetched from the network: no tracking pixel, no web fonts.
    requested: list[str] = []

    def no_network(route: Any) -> None:
        requested.append(route.request.url)
        if route.request.url.startswith("file://"):
            route.continue_()
        else:
            route.abort()

    context.route("**/*", no_network)
    page = context.new_page()
    try:
        page.goto(email_html.as_uri())
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"newsletter-{width}px.png"), full_page=True)
        scroll_width = page.evaluate("document.documentElement.scrollWidth")
        assert scroll_width <= width + 1, f"page is {scroll_width}px wide at {width}px"
        assert page.get_by_text("Tern 4.0 is here").first.is_visible()
        button = page.get_by_role("link", name="Just the area I am visiting")
        assert button.is_visible()
        assert button.bounding_box()["width"] <= width
        assert [url for url in requested if not url.startswith("file://")] == []
    finally:
        context.close()
