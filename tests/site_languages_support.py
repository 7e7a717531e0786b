"""A small multilingual docs tree, staged the way tidings stages translations, built by real MkDocs."""

from __future__ import annotations

import re
import textwrap
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tidings.site.engine import run_mkdocs
from tidings.site.mkdocs_config import dump_config, theme_overrides, with_languages
from tidings.site.stage import TOC

LANGUAGES = ("en", "fi", "de", "el", "zh")
SITE_URL = "https://club.example.org/"
GREEK_WORD = "θαλασσοπούλια"  # "seabirds": only on the Greek page
CHINESE_WORD = "观察"  # "observe": a word inside a sentence with no spaces, only on the Chinese page


def _alternates(path: str, langs: tuple[str, ...]) -> str:
    rows = [f"  - {{lang: {lang}, url: '{path if lang == 'en' else lang + '/' + path}'}}" for lang in langs]
    return "alternates:\n" + "\n".join(rows) + "\n"


HOMES = ("en", "fi", "el", "zh")  # the languages that have a home page


def _page(lang: str | None, path: str, langs: tuple[str, ...], body: str) -> str:
    head = f"lang: {lang}\n" if lang else ""
    return "---\n" + head + _alternates(path, langs) + "---\n" + body


PAGES: dict[str, str] = {
    "index.md": _page(None, "", HOMES, "# Canary Club\n\nWelcome.\n"),
    "about.md": _page(None, "about/", LANGUAGES, "# About us\n\nWe watch birds.\n"),
    "plain.md": "# Plain page\n\nOnly in English.\n",
    "fi/index.md": _page("fi", "", HOMES, "# Kanarialintukerho\n\nTervetuloa.\n"),
    "fi/about.md": _page("fi", "about/", LANGUAGES, "# Meistä\n\nKatselemme lintuja.\n"),
    "de/about.md": _page("de", "about/", LANGUAGES, "# Über uns\n\nWir beobachten Vögel.\n"),
    "el/index.md": _page("el", "", HOMES, "# Λέσχη\n\nΚαλώς ήρθατε.\n"),
    "el/about.md": _page("el", "about/", LANGUAGES, "# Σχετικά με εμάς\n\n## Καλωσόρισμα στην κοινότητα\n\n"
                         f"Παρατηρούμε {GREEK_WORD} κάθε μήνα.\n"),
    "zh/index.md": _page("zh", "", HOMES, "# 金丝雀俱乐部\n\n欢迎。\n"),
    "zh/about.md": _page("zh", "about/", LANGUAGES, "# 关于我们\n\n## 欢迎来到社区\n\n"
                         "我们的社区欢迎所有人。海鸟观察活动每个月举行。\n"),
}

NAV: list[Any] = [
    {"Home": "index.md"}, {"About": "about.md"}, {"Plain": "plain.md"},
    {"Suomi": ["fi/index.md", "fi/about.md"]},
    {"Deutsch": ["de/about.md"]},
    {"Ελληνικά": ["el/index.md", "el/about.md"]},
    {"中文": ["zh/index.md", "zh/about.md"]},
]


def build_multilingual_site(root: Path, *, languages: tuple[str, ...] = LANGUAGES,
                            pages: dict[str, str] | None = None, site_url: str = SITE_URL,
                            nav: list[Any] | None = None) -> Path:
    """Write the docs tree, the theme overrides and mkdocs.yml under ``root``; build; the site dir."""
    for name, text in (pages or PAGES).items():
        path = root / "docs" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    for name, text in theme_overrides().items():
        path = root / "overrides" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    config: dict[str, Any] = {
        "site_name": "Canary Club", "site_url": site_url, "docs_dir": "docs",
        "site_dir": str(root / "site"), "use_directory_urls": True,
        "theme": {"name": "material", "language": "en", "custom_dir": str(root / "overrides"),
                  "features": ["navigation.tabs"], "font": False},
        "nav": NAV if nav is None else nav, "plugins": ["search"],
        "markdown_extensions": ["attr_list", {"toc": TOC}],
    }
    (root / "mkdocs.yml").write_text(dump_config(with_languages(config, languages)), encoding="utf-8")
    run_mkdocs(root / "mkdocs.yml", datetime(2026, 11, 23, tzinfo=UTC))
    return root / "site"


def html_of(site: Path, url: str) -> str:
    return (site / url / "index.html").read_text(encoding="utf-8")


def links(html: str, css_class: str) -> list[tuple[str, str]]:
    """(href, text) of every <a> whose class list holds ``css_class``."""
    found = []
    for match in re.finditer(r"<a\b([^>]*)>(.*?)</a>", html, re.S):
        attrs, inner = match.group(1), match.group(2)
        classes = re.search(r'class="([^"]*)"', attrs)
        href = re.search(r'href="([^"]*)"', attrs)
        if classes and href and css_class in classes.group(1).split():
            found.append((href.group(1), re.sub(r"<[^>]+>|\s+", " ", inner).strip()))
    return found
