"""Search on a site `tidings site` staged from content in five languages, in a real Chromium:
a Greek word finds the Greek version of an announcement, a Chinese word (no spaces around it)
the Chinese one.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser_support import (  # noqa: F401 - fixtures
    LocalSite,
    context_fixture,
    page_fixture,
    serve,
)
from tests.conftest import write_files
from tests.site_staged_support import CHINESE_WORD, GREEK_WORD, T, files, pyproject
from tidings.site.engine import build_site

pytestmark = pytest.mark.browser

try:
    import playwright.sync_api as playwright_api
except ImportError:
    if os.environ.get("CI") == "true":
        raise  # CI must run the browser tests
    pytest.skip("browser tests need playwright (pip install -e '.[test]')", allow_module_level=True)
expect = playwright_api.expect

SEARCH_ANSWERED = re.compile(r"No matching documents|\d+ matching documents?")


@pytest.fixture(scope="module", name="site")
def staged_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalSite]:
    root: Path = tmp_path_factory.mktemp("staged") / "repo"
    root.mkdir()
    (root / "pyproject.toml").write_text(pyproject(), encoding="utf-8")
    write_files(root, files())
    with serve(build_site(root, T).site_dir) as local:
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


def test_a_greek_word_finds_the_greek_version_of_the_news(page: Any) -> None:
    hits = search_hits(page, GREEK_WORD)
    assert any("el/announcements/tern-4-0/" in hit for hit in hits), hits
    assert not any(hit.startswith(("announcements/", "fi/", "zh/")) for hit in hits), hits


def test_a_chinese_word_without_spaces_finds_the_chinese_version_of_the_news(page: Any) -> None:
    hits = search_hits(page, CHINESE_WORD)
    assert any("zh/announcements/tern-4-0/" in hit for hit in hits), hits
