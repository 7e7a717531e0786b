"""Search in every language, in a real Chromium: a Greek word finds the Greek page, a Chinese word
(written without spaces around it) finds the Chinese page.

The multilingual tree of tests/site_languages_support.py is built by a real `mkdocs build`,
served from 127.0.0.1, and searched through Material's own search field.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests import site_staged_support as staged
from tests.browser_support import (  # noqa: F401 - fixtures
    LocalSite,
    context_fixture,
    page_fixture,
    playwright_sync_api,
    serve,
)
from tests.conftest import write_files
from tests.site_languages_support import CHINESE_WORD, GREEK_WORD, build_multilingual_site
from tidings.site.engine import build_site

pytestmark = pytest.mark.browser

playwright_api = playwright_sync_api()
expect = playwright_api.expect

SEARCH_ANSWERED = re.compile(r"No matching documents|\d+ matching documents?")


@pytest.fixture(scope="module", name="site")
def multilingual_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalSite]:
    with serve(build_multilingual_site(tmp_path_factory.mktemp("multilingual"))) as local:
        yield local


@pytest.fixture(name="viewport")
def desktop() -> str:
    return "desktop"


def search_hits(page: Any, query: str) -> list[str]:
    """The result links Material's search shows for ``query`` (typed on the English home page)."""
    page.goto("/")
    field = page.locator("input.md-search__input")
    field.click()
    field.fill(query)
    field.press("End")  # Material reads the query on keyup
    expect(page.locator(".md-search-result__meta")).to_have_text(SEARCH_ANSWERED)
    links = page.locator(".md-search-result__item > a")
    return [str(href) for href in links.evaluate_all("els => els.map(e => e.getAttribute('href'))")]


def test_a_greek_word_finds_the_greek_page(page: Any) -> None:
    hits = search_hits(page, GREEK_WORD)
    assert any("el/about/" in hit for hit in hits), hits


def test_a_chinese_word_without_spaces_finds_the_chinese_page(page: Any) -> None:
    hits = search_hits(page, CHINESE_WORD)
    assert any("zh/about/" in hit for hit in hits), hits


def test_the_chinese_page_is_not_found_by_a_word_it_does_not_hold(page: Any, site: LocalSite) -> None:
    assert not any("zh/about/" in hit for hit in search_hits(page, "飞机")), "a word not on the page"




@pytest.fixture(scope="module")
def site_at_its_own_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalSite]:
    """The tree built with site_url = where it is served, so hreflang URLs are live as in production
    (Material's script fetches a sitemap for each one and may take over clicks on those links)."""
    root = tmp_path_factory.mktemp("multilingual-live")
    (root / "site").mkdir()
    with serve(root / "site") as local:
        build_multilingual_site(root, site_url=local.base_url + "/")
        yield local


def test_the_switcher_takes_the_reader_to_the_same_item_in_finnish(
        browser: Any, site_at_its_own_url: LocalSite) -> None:
    base = site_at_its_own_url.base_url
    context = browser.new_context(base_url=base, viewport={"width": 1280, "height": 900})
    context.route("**/*", lambda route: route.continue_() if route.request.url.startswith(base + "/")
                  else route.abort())
    try:
        page = context.new_page()
        page.goto("/el/about/")
        page.wait_for_load_state("networkidle")  # Material has fetched the sitemaps it wants
        page.locator(".md-header .md-select").hover()
        page.locator(".md-select__link[hreflang='fi']").click()
        expect(page).to_have_url(base + "/fi/about/")
        expect(page.locator("html")).to_have_attribute("lang", "fi")
    finally:
        context.close()


@pytest.fixture(scope="module")
def staged_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalSite]:
    """A site `tidings site` staged from content in five languages (tests/site_staged_support.py)."""
    root = tmp_path_factory.mktemp("staged") / "repo"
    root.mkdir()
    (root / "pyproject.toml").write_text(staged.pyproject(), encoding="utf-8")
    write_files(root, staged.files())
    with serve(build_site(root, staged.T).site_dir) as local:
        yield local


@pytest.mark.parametrize(("word", "where"), [(staged.GREEK_WORD, "el/announcements/tern-4-0/"),
                                             (staged.CHINESE_WORD, "zh/announcements/tern-4-0/")])
def test_a_word_finds_its_language_version_of_the_news_on_a_staged_site(
        browser: Any, staged_site: LocalSite, word: str, where: str) -> None:
    base = staged_site.base_url
    context = browser.new_context(base_url=base, viewport={"width": 1280, "height": 900})
    context.route("**/*", lambda route: route.continue_() if route.request.url.startswith(base + "/")
                  else route.abort())
    try:
        hits = search_hits(context.new_page(), word)
    finally:
        context.close()
    assert any(where in hit for hit in hits), hits
    assert not any(hit.startswith(("announcements/", "fi/", "de/")) for hit in hits), hits
