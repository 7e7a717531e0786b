"""The example community's topics in a real Chromium at phone size (375 px): the home page's
"This week's topic" block and the topics page, without sideways scrolling and axe-core clean in
tidings' own markup. The site is built as of a moment inside 2027-W03 and served from 127.0.0.1.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.browser_support import (  # noqa: F401 - fixtures
    REPO_ROOT,
    LocalSite,
    context_fixture,
    has_no_horizontal_scroll,
    page_fixture,
    playwright_sync_api,
    serve,
    wider_than_viewport,
)
from tests.test_accessibility import RUN_AXE, axe_script, describe, fails

pytestmark = pytest.mark.browser

playwright_api = playwright_sync_api()
expect = playwright_api.expect

IN_WEEK_3 = datetime(2027, 1, 19, 12, tzinfo=UTC)  # Tuesday of 2027-W03 in the example community
THIS_WEEK = "Tern 4.0 first impressions"  # content/topics/tern-4-0-first-impressions.md
PHONE = pytest.mark.parametrize("viewport", ["phone"])


@pytest.fixture(scope="module", name="site")
def topics_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalSite]:
    """The example community's site as of a Tuesday in 2027-W03 (replaces the session's site)."""
    from tidings.site.engine import build_site

    result = build_site(REPO_ROOT, IN_WEEK_3, tmp_path_factory.mktemp("topics-browser") / "site")
    with serve(result.site_dir) as local:
        yield local


def _no_sideways_scroll(page: Any) -> None:
    ok, scroll_width, inner_width = has_no_horizontal_scroll(page)
    assert ok, (f"{page.url} scrolls sideways: scrollWidth {scroll_width}px > innerWidth "
                f"{inner_width}px; wider elements: {wider_than_viewport(page)}")


def _own_violations(page: Any) -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    page.add_script_tag(path=str(axe_script()))
    found = []
    for violation in page.evaluate(RUN_AXE):
        if fails(violation):
            found.extend((page.url, violation, node) for node in violation["nodes"] if node["own"])
    return found


@PHONE
def test_the_home_pages_topic_block_is_visible_at_375_px_without_sideways_scroll(
        page: Any, viewport: str) -> None:
    page.goto("/", wait_until="load")
    heading = page.locator("h2.tidings-topic")
    expect(heading).to_be_visible()
    expect(heading).to_contain_text("This week's topic")
    title = page.locator("article a", has_text=THIS_WEEK).first
    expect(title).to_be_visible()
    discussion = page.locator("article a.md-button", has_text="Join the discussion")
    expect(discussion).to_be_visible()
    assert discussion.get_attribute("href") == "https://forum.tern.example.org/t/tern-4-0-first-impressions"
    _no_sideways_scroll(page)
    title.click()
    expect(page.locator("article h1")).to_contain_text(THIS_WEEK)


@PHONE
def test_the_topics_page_lists_this_weeks_and_past_topics_at_375_px_without_sideways_scroll(
        page: Any, viewport: str) -> None:
    page.goto("/topics/", wait_until="load")
    expect(page.locator("article h1")).to_contain_text("Discussion topics")
    current = page.locator("article a", has_text=THIS_WEEK).first
    expect(current).to_be_visible()
    expect(page.locator("article a", has_text="Translating Tern: which words are hardest?")).to_be_visible()
    expect(page.locator("article a", has_text="Elevation profiles")).to_have_count(0)  # 2027-W04
    _no_sideways_scroll(page)


@PHONE
def test_a_topic_page_at_375_px_has_no_sideways_scroll(page: Any, viewport: str) -> None:
    page.goto("/topics/offline-maps-habits/", wait_until="load")
    expect(page.locator("article")).to_contain_text("Ilkka Rautio, lead maintainer")
    expect(page.locator("article a", has_text="How do you use offline maps?").first).to_be_visible()
    _no_sideways_scroll(page)


@PHONE
def test_the_topic_pages_have_no_serious_accessibility_violations_in_tidings_markup_at_375_px(
        page: Any, viewport: str) -> None:
    found = []
    for path in ("/", "/topics/", "/topics/offline-maps-habits/", "/fi/topics/"):
        page.goto(path, wait_until="load")
        found += _own_violations(page)
    assert not found, f"axe-core at 375 px, in tidings' own markup:\n{describe(found)}"
