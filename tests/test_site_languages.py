"""A multilingual site: each page's <html lang>, hreflang, switcher, nav, search languages, anchors.

Built by a real `mkdocs build` on a docs tree staged the way translations are staged
(other languages under `<lang>/`, `lang` and `alternates` in front matter).
"""

from __future__ import annotations

import json
import posixpath
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import MakeRepo
from tests.site_languages_support import SITE_URL, build_multilingual_site, html_of, links
from tests.test_site import BEFORE
from tidings.site.engine import build_site
from tidings.site.mkdocs_config import search_languages
from tidings.site.mkdocs_hooks import LANGUAGE_TAG, clean_alternates


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_multilingual_site(tmp_path_factory.mktemp("multilingual"))


def resolve(page_url: str, href: str) -> str:
    """The site-relative URL a relative link on ``page_url`` points at."""
    return posixpath.normpath(posixpath.join(page_url, href)).lstrip("./") + "/" if href != "." else page_url


def test_a_greek_page_gets_html_lang_el_and_greek_theme_strings(site: Path) -> None:
    greek = html_of(site, "el/about")
    assert '<html lang="el"' in greek
    assert 'placeholder="Αναζήτηση"' in greek
    english = html_of(site, "about")
    assert '<html lang="en"' in english
    assert 'placeholder="Search"' in english


def test_a_chinese_page_gets_html_lang_zh(site: Path) -> None:
    assert '<html lang="zh"' in html_of(site, "zh/about")
    assert 'placeholder="搜索"' in html_of(site, "zh/about")


def test_every_page_with_alternates_lists_absolute_hreflang_links_and_x_default(site: Path) -> None:
    head = html_of(site, "fi/about").split("</head>")[0]
    found = dict(re.findall(r'<link rel="alternate" hreflang="([^"]+)" href="([^"]+)">', head))
    assert found == {
        "en": SITE_URL + "about/", "fi": SITE_URL + "fi/about/", "de": SITE_URL + "de/about/",
        "el": SITE_URL + "el/about/", "zh": SITE_URL + "zh/about/", "x-default": SITE_URL + "about/",
    }


def test_the_switcher_points_at_the_same_item_in_each_language_named_in_its_own_language(site: Path) -> None:
    switcher = links(html_of(site, "el/about"), "md-select__link")
    targets = {text: resolve("el/about/", href) for href, text in switcher}
    assert targets == {"English": "about/", "Suomi": "fi/about/", "Deutsch": "de/about/",
                       "Ελληνικά": "el/about/", "中文": "zh/about/"}


def test_a_page_without_alternates_gets_a_switcher_to_each_language_home_and_no_hreflang(site: Path) -> None:
    plain = html_of(site, "plain")
    assert 'hreflang="fi" href="http' not in plain
    targets = {text: resolve("plain/", href) for href, text in links(plain, "md-select__link")}
    assert targets == {"English": "/", "Suomi": "fi/", "Ελληνικά": "el/", "中文": "zh/"}


def nav_targets(html: str, page_url: str) -> set[str]:
    hrefs = [href for css in ("md-nav__link", "md-tabs__link") for href, _ in links(html, css)]
    return {resolve(page_url, href) for href in hrefs if not href.startswith("#")}


def test_a_finnish_page_shows_only_the_finnish_navigation(site: Path) -> None:
    targets = nav_targets(html_of(site, "fi/about"), "fi/about/")
    assert targets == {"fi/", "fi/about/"}


def test_default_language_pages_never_list_pages_of_other_languages(site: Path) -> None:
    targets = nav_targets(html_of(site, "about"), "about/")
    assert targets == {"/", "about/", "plain/"}


def test_the_search_index_is_built_for_every_language_lunr_knows(site: Path) -> None:
    index = json.loads((site / "search" / "search_index.json").read_text(encoding="utf-8"))
    assert set(index["config"]["lang"]) == {"en", "fi", "de", "el", "zh"}
    assert "\\u200b" in index["config"]["separator"]
    chinese = " ".join(doc["text"] for doc in index["docs"] if doc["location"].startswith("zh/about/"))
    assert "\u200b观察\u200b" in chinese  # jieba cut the sentence into words


def test_search_languages_keeps_only_those_lunr_supports() -> None:
    assert search_languages(["fi", "el", "zh", "se", "pt-BR"]) == ["fi", "el", "zh", "pt"]


def test_a_search_lang_the_community_writes_in_mkdocs_yml_is_honoured(make_repo: MakeRepo) -> None:
    root = make_repo({
        "mkdocs.yml": "plugins:\n  - search:\n      lang: [en, el]\n",
        "content/pages/about.md": "---\ntitle: About\n---\nHello.\n",
    })
    site = build_site(root, BEFORE).site_dir
    index = json.loads((site / "search" / "search_index.json").read_text(encoding="utf-8"))
    assert index["config"]["lang"] == ["en", "el"]


def test_greek_and_chinese_headings_get_readable_stable_anchors(site: Path) -> None:
    greek = html_of(site, "el/about")
    assert 'id="καλωσόρισμα-στην-κοινότητα"' in greek
    assert 'href="#καλωσόρισμα-στην-κοινότητα"' in greek
    chinese = html_of(site, "zh/about")
    assert 'id="欢迎来到社区"' in chinese
    assert 'id="_1"' not in greek + chinese


HOSTILE_PAGES = {
    "index.md": "# Home\n",
    "fi/index.md": (
        "---\nlang: 'fi\"><script>alert(1)</script>'\nalternates:\n"
        "  - {lang: 'en\" onload=\"x', url: '\"><script>alert(2)</script>'}\n"
        "  - {lang: fi, url: \"fi/\\r\\nSet-Cookie: a\"}\n---\n# Koti\n"
    ),
}


def test_hostile_lang_and_alternates_never_become_markup(tmp_path: Path) -> None:
    site = build_multilingual_site(tmp_path, pages=HOSTILE_PAGES)
    page = html_of(site, "fi")
    assert "<script>alert" not in page
    assert 'onload="x' not in page
    assert "\r\nSet-Cookie" not in page
    assert '<html lang="en"' in page  # an unusable lang falls back to the default


@settings(max_examples=150, deadline=None)
@given(lang=st.text(max_size=30), url=st.text(max_size=60))
def test_any_alternate_text_comes_out_as_a_language_tag_and_an_inert_url(lang: str, url: str) -> None:
    rows = clean_alternates([{"lang": lang, "url": url}, {"lang": "fi", "url": url}])
    for code, cleaned in rows:
        assert LANGUAGE_TAG.fullmatch(code)
        assert not set(cleaned) & set("\"'<>`: \\") and cleaned.isprintable() and cleaned.isascii()


def test_a_language_written_with_an_underscore_gives_a_valid_html_lang(tmp_path: Path) -> None:
    site = build_multilingual_site(tmp_path, languages=("pt_BR",), pages={"index.md": "# Início\n"})
    page = (site / "index.html").read_text(encoding="utf-8")
    assert '<html lang="pt-BR"' in page
    assert 'placeholder="Buscar"' in page  # Material's pt-BR strings


def test_a_greek_only_page_outside_the_greek_section_still_lists_no_other_language(tmp_path: Path) -> None:
    pages = {"index.md": "# Home\n", "fi/index.md": "---\nlang: fi\n---\n# Koti\n",
             "greek-only.md": "---\nlang: el\n---\n# Μόνο στα ελληνικά\n"}
    nav = [{"Home": "index.md"}, {"Suomi": ["fi/index.md"]}]
    site = build_multilingual_site(tmp_path, pages=pages, nav=nav)
    page = html_of(site, "greek-only")
    assert '<html lang="el"' in page
    assert not {t for t in nav_targets(page, "greek-only/") if t.startswith("fi/")}
