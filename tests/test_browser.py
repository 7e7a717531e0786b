"""The built example site, driven in a real Chromium at phone and desktop sizes.

The site is built once per session from this repository (the example community) as it must look
at a fixed instant, served from 127.0.0.1, and every test opens it in a fresh browser context.
Screenshots land in test-artifacts/browser/ (git-ignored), named after the test and the viewport.
Any request that is not for the local server is aborted: these tests never touch the network.
"""

from __future__ import annotations

import contextlib
import re
import urllib.parse
from typing import Any

import pytest

from tests.browser_support import (  # noqa: F401 - fixtures
    ARTIFACTS,
    AS_OF,
    REPO_ROOT,
    UTC_OFFSET,
    VIEWPORTS,
    LocalSite,
    all_viewports,
    as_datetime,
    context_fixture,
    front_matter,
    has_no_horizontal_scroll,
    page_fixture,
    playwright_sync_api,
    serve,
    site_fixture,
    wider_than_viewport,
)
from tests.conftest import MakeRepo

pytestmark = pytest.mark.browser

playwright_api = playwright_sync_api()
expect = playwright_api.expect

GUIDELINE = REPO_ROOT / "guidelines" / "code-of-conduct.md"
RULE_ID = "report-concerns"  # the last rule of the code of conduct, so the page must scroll to it
PUBLIC_ANNOUNCEMENT = REPO_ROOT / "content" / "announcements" / "tern-3-8-smaller-offline-packs.md"
PUBLIC_WORD = "contour"  # a word of its title that no other public title has
EMBARGOED_ANNOUNCEMENT = REPO_ROOT / "content" / "announcements" / "tern-4-0.md"
EMBARGOED_QUERY = "4.0"  # the distinctive part of its title, "Tern 4.0 is here"

# What Material's search shows once it has answered a query (as opposed to "Initializing search"
# or "Type to start searching").
SEARCH_ANSWERED = re.compile(r"No matching documents|\d+ matching documents?")

def full_page_screenshot(page: Any, request: pytest.FixtureRequest, viewport: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    name = f"{request.node.originalname}-{viewport}-full.png"
    page.screenshot(path=str(ARTIFACTS / name), full_page=True)


def assert_no_horizontal_scroll(page: Any, viewport: str) -> None:
    ok, scroll_width, inner_width = has_no_horizontal_scroll(page)
    assert ok, (
        f"{page.url} scrolls sideways at {viewport} size: scrollWidth {scroll_width}px > "
        f"innerWidth {inner_width}px; wider elements: {wider_than_viewport(page)}"
    )


def open_search(page: Any) -> Any:
    """Open Material's search (header field on desktop, header button on phones); its input."""
    field = page.locator("input.md-search__input")
    button = page.locator(".md-header label.md-header__button[for='__search']")
    if button.is_visible():
        button.click()
    else:
        field.click()
    expect(field).to_be_visible()
    expect(field).to_be_focused()
    return field


def search_for(page: Any, query: str) -> Any:
    """Run one query (typed at once, so no partial queries race) and wait for its answer."""
    field = open_search(page)
    field.fill(query)
    field.press("End")  # Material reads the query on keyup
    meta = page.locator(".md-search-result__meta")
    expect(meta).to_have_text(SEARCH_ANSWERED)
    return page.locator(".md-search-result__item")


# --- tests ---------------------------------------------------------------------------------------


@all_viewports
def test_home_page_shows_latest_news_next_events_and_a_member_story(
    page: Any, viewport: str, request: pytest.FixtureRequest
) -> None:
    page.goto("/")
    content = page.locator("article.md-content__inner")
    for label in ("Latest news", "Next events", "Member story"):
        expect(content.get_by_role("heading", name=re.compile(rf"^{label}"))).to_be_visible()

    announcement_paths = content.locator("a[href]").evaluate_all(
        "links => links.map(a => new URL(a.href).pathname)"
    )
    into_announcements = [
        p for p in announcement_paths
        if re.fullmatch(r"/announcements/(?!tags/|authors/|archive/)[^/]+/", p)
    ]
    assert into_announcements, f"no link to an announcement on the home page: {announcement_paths}"

    full_page_screenshot(page, request, viewport)
    assert_no_horizontal_scroll(page, viewport)


@all_viewports
def test_calendar_lists_upcoming_events_with_utc_offset(
    page: Any, site: LocalSite, viewport: str, request: pytest.FixtureRequest
) -> None:
    page.goto("/events/")
    upcoming = page.get_by_role("heading", name=re.compile(r"^Upcoming"))
    expect(upcoming).to_be_visible()
    items = upcoming.locator("xpath=following-sibling::*[1][self::ul or self::ol]/li")
    expect(items.first).to_be_visible()
    texts = items.all_inner_texts()
    without_offset = [t for t in texts if not UTC_OFFSET.search(t)]
    assert not without_offset, f"upcoming events without a UTC offset: {without_offset}"

    feed = page.locator("a[href$='events.ics']").first
    expect(feed).to_be_visible()
    feed_url = feed.evaluate("a => a.href")
    assert feed_url.startswith(site.base_url + "/"), feed_url
    status, body = site.get(feed_url.removeprefix(site.base_url))
    assert status == 200, f"GET {feed_url} -> {status}"
    assert body.decode("utf-8").startswith("BEGIN:VCALENDAR"), body[:80]

    full_page_screenshot(page, request, viewport)
    assert_no_horizontal_scroll(page, viewport)


@all_viewports
def test_guideline_permalink_scrolls_to_the_rule(
    page: Any, context: Any, site: LocalSite, viewport: str
) -> None:
    rules = re.findall(r"^##\s+.*\{#([\w-]+)\}\s*$", GUIDELINE.read_text(encoding="utf-8"), re.M)
    assert rules and rules[-1] == RULE_ID, f"expected #{RULE_ID} as the last rule, got {rules}"
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=site.base_url)

    page.goto(f"/guidelines/code-of-conduct/#{RULE_ID}", wait_until="load")
    rule = page.locator(f"#{RULE_ID}")
    expect(rule).to_be_attached()
    in_view = """id => {
        const r = document.getElementById(id).getBoundingClientRect();
        return r.top >= -1 && r.top < window.innerHeight && window.scrollY > 0;
    }"""
    with contextlib.suppress(playwright_api.TimeoutError):  # the assertions below say what is wrong
        page.wait_for_function(in_view, arg=RULE_ID, timeout=5_000)
    top, height, scroll_y = page.evaluate(
        """id => [document.getElementById(id).getBoundingClientRect().top,
                  window.innerHeight, window.scrollY]""",
        RULE_ID,
    )
    assert -1 <= top < height, f"#{RULE_ID} is not in view: top={top}, innerHeight={height}"
    assert scroll_y > 0, f"the page did not scroll to #{RULE_ID} (scrollY={scroll_y})"

    button = rule.locator("button.tidings-copy")
    expect(button).to_have_count(1)
    expect(button).to_have_attribute(
        "data-url", re.compile(rf"/guidelines/code-of-conduct/#{RULE_ID}$")
    )
    expect(button).to_have_text("Copy link")
    if viewport != "desktop":
        button.tap()  # a phone copies on a tap too
        expect(button).to_have_text("Link copied")
        return
    button.click()
    expect(button).to_have_text("Link copied")  # shown once the clipboard write has resolved
    try:
        copied = page.evaluate("() => navigator.clipboard.readText()")
    except playwright_api.Error:
        return  # no clipboard read in this headless browser: "Link copied" is all we can see
    assert copied == f"{site.base_url}/guidelines/code-of-conduct/#{RULE_ID}"


@all_viewports
def test_search_finds_a_public_announcement(page: Any, viewport: str) -> None:
    meta = front_matter(PUBLIC_ANNOUNCEMENT)
    assert as_datetime(meta["date"]) < AS_OF, f"{PUBLIC_ANNOUNCEMENT.name} is not public at AS_OF"
    assert PUBLIC_WORD in meta["title"].lower(), meta["title"]

    page.goto("/")
    results = search_for(page, PUBLIC_WORD)
    hit = results.locator(f"a[href*='{PUBLIC_ANNOUNCEMENT.stem}']")
    expect(hit.first).to_be_visible()


@all_viewports
def test_embargoed_announcement_is_not_found_by_search(
    page: Any, site: LocalSite, viewport: str
) -> None:
    meta = front_matter(EMBARGOED_ANNOUNCEMENT)
    assert as_datetime(meta["date"]) > AS_OF, f"{EMBARGOED_ANNOUNCEMENT.name} is not embargoed"
    assert EMBARGOED_QUERY in meta["title"], meta["title"]
    slug = EMBARGOED_ANNOUNCEMENT.stem

    page.goto("/")
    results = search_for(page, EMBARGOED_QUERY)
    expect(results.locator(f"a[href*='{slug}']")).to_have_count(0)

    status, index = site.get("/search/search_index.json")
    assert status == 200
    assert slug.encode() not in index, f"the search index mentions {slug}"
    assert meta["title"].encode() not in index, "the search index holds the embargoed title"

    status, _ = site.get(f"/announcements/{slug}/")
    assert status == 404, f"/announcements/{slug}/ answered {status} before its date"


@pytest.mark.parametrize("viewport", ["desktop"])
def test_copy_link_of_a_greek_rule_is_percent_encoded_like_the_feeds(
    browser: Any, make_repo: MakeRepo, viewport: str
) -> None:
    from tidings.site.engine import build_site

    rules = "---\ntitle: Κανόνες\n---\n## Να είστε ευγενικοί {#ευγένεια}\n"
    root = make_repo({"guidelines/κανόνες.md": rules})
    built = build_site(root, AS_OF, root / "site").site_dir
    encoded = "/guidelines/" + urllib.parse.quote("κανόνες") + "/#" + urllib.parse.quote("ευγένεια")
    with serve(built) as local:
        ctx = browser.new_context(base_url=local.base_url, **VIEWPORTS[viewport])
        try:
            ctx.route("**/*", lambda route: route.continue_() if route.request.url.startswith(
                local.base_url + "/") else route.abort())
            tab = ctx.new_page()
            tab.goto(encoded.split("#")[0], wait_until="load")
            button = tab.locator("#ευγένεια button.tidings-copy")
            expect(button).to_have_attribute("data-url", local.base_url + encoded)
        finally:
            ctx.close()
