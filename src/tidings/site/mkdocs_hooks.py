"""MkDocs hooks of a multilingual site: each page's language, alternates and navigation.

The contract with the staged docs tree (tidings.site.stage writes it):

- a page's front matter may say ``lang: fi``: the page's language; absent means the default
  language, the first of ``extra.tidings.languages`` in the generated mkdocs.yml;
- ``alternates: [{lang: en, url: announcements/tern-4-0/}, {lang: fi, url: fi/announcements/tern-4-0/}]``
  lists the site-relative URLs of the same item in every language it exists in, itself included;
- pages of a language other than the default live under ``<lang>/`` in the docs tree; in the nav
  they sit in one section per language (or in top-level entries whose pages are all under
  ``<lang>/``).

Each page then gets ``<html lang>`` and Material's strings in its language, ``hreflang`` links, a
language switcher (to the same item, or to each language's home when the page has no alternates),
and the navigation of its own language only.
"""

from __future__ import annotations

import logging
import re
import urllib.parse
from typing import Any

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.plugins import event_priority
from mkdocs.structure.files import Files
from mkdocs.structure.nav import Navigation, Section
from mkdocs.structure.pages import Page

from tidings.locales import language_name
from tidings.site.mkdocs_config import theme_language

# A BCP 47 language tag (``fi``, ``pt-BR``, ``zh-Hant``); anything else never reaches the page.
LANGUAGE_TAG = re.compile(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*")
# Characters left as they are in a site-relative URL; the rest is percent-encoded (``%`` is kept,
# so a URL the staging already encoded is not encoded twice).
_URL_SAFE = "/-._~%!$&()*+,;="  # no ":": never a scheme such as javascript:

# Per build: the navigation of each language and the home page URL of each (set by on_nav).
_NAVS: dict[str, Navigation] = {}
_HOMES: dict[str, str] = {}


def _settings(config: MkDocsConfig) -> tuple[list[str], list[str]]:
    settings = config.extra.get("tidings") or {}
    codes = settings.get("languages") or [config.theme["language"]]
    languages = [str(code).replace("_", "-") for code in codes]  # BCP 47 for <html lang>
    return languages, [str(code) for code in settings.get("search_lang") or []]


@event_priority(100)  # before the search plugin builds its index settings from its config
def on_config(config: MkDocsConfig) -> MkDocsConfig:
    """Put back the search languages MkDocs dropped; turn on Material's language switcher slot."""
    languages, search_lang = _settings(config)
    logging.getLogger("jieba").setLevel(logging.WARNING)  # it reports its dictionary load on stderr
    for name in ("material/search", "search"):
        plugin = config.plugins.get(name)
        if plugin is not None and search_lang:
            plugin.config["lang"][:] = search_lang  # in place: the plugin may hold this list
    if len(languages) > 1 and not config.extra.get("alternate"):
        # Not a list: base.html then adds no site-wide hreflang links, but the header keeps
        # the switcher's slot, which partials/alternate.html fills per page.
        config.extra["alternate"] = True
    return config


def page_language(page: Page, default: str) -> str:
    """The page's ``lang`` front matter, else ``default``."""
    lang = page.meta.get("lang")
    return lang if isinstance(lang, str) and LANGUAGE_TAG.fullmatch(lang) else default


def clean_alternates(listed: object) -> list[tuple[str, str]]:
    """(lang, url) of each usable alternate: a language tag and a percent-encoded relative URL.

    The theme's templates do not escape, so front-matter text must be inert before it gets there.
    """
    rows: list[tuple[str, str]] = []
    for alt in listed if isinstance(listed, list) else []:
        lang = alt.get("lang") if isinstance(alt, dict) else None
        url = alt.get("url", "") if isinstance(alt, dict) else None
        if isinstance(lang, str) and LANGUAGE_TAG.fullmatch(lang) and isinstance(url, str):
            rows.append((lang, urllib.parse.quote(url.lstrip("/"), safe=_URL_SAFE)))
    return rows


def _language_of_path(src_uri: str, languages: list[str]) -> str:
    first = src_uri.split("/", 1)[0]
    return first if first in languages[1:] and "/" in src_uri else languages[0]


def _pages_of(item: Any) -> list[Page]:
    if isinstance(item, Page):
        return [item]
    if isinstance(item, Section):
        return [page for child in item.children for page in _pages_of(child)]
    return []


def _item_language(item: Any, languages: list[str]) -> str:
    found = {_language_of_path(page.file.src_uri, languages) for page in _pages_of(item)}
    return found.pop() if len(found) == 1 else languages[0]


def _language_nav(items: list[Any]) -> Navigation:
    if len(items) == 1 and isinstance(items[0], Section):  # one section per language: its children
        items = list(items[0].children)
        for child in items:
            child.parent = None
    pages = [page for item in items for page in _pages_of(item)]
    for previous, page in zip([None, *pages], pages, strict=False):  # prev/next within the language
        page.previous_page = previous
        if previous is not None:
            previous.next_page = page
    if pages:
        pages[-1].next_page = None
    return Navigation(items, pages)


def on_nav(nav: Navigation, config: MkDocsConfig, files: Files) -> Navigation:
    """Split the navigation into one per language (the default language's is the site's own)."""
    languages, _ = _settings(config)
    parts: dict[str, list[Any]] = {code: [] for code in languages}
    for item in nav.items:
        parts[_item_language(item, languages)].append(item)
    _NAVS.clear()
    _HOMES.clear()
    for code, items in parts.items():
        if code != languages[0] and items:
            _NAVS[code] = _language_nav(items)
    _NAVS[languages[0]] = _language_nav(parts[languages[0]])
    for code in languages:
        home = "index.md" if code == languages[0] else f"{code}/index.md"
        if files.get_file_from_path(home) is not None:
            _HOMES[code] = "" if code == languages[0] else f"{code}/"
    for code, language_nav in _NAVS.items():
        home_page = next((p for p in language_nav.pages if p.url == _HOMES.get(code)), None)
        language_nav.homepage = home_page or nav.homepage
    return nav


def _absolute(config: MkDocsConfig, url: str) -> str | None:
    return config.site_url + url if config.site_url else None


def _alternates(page: Page, config: MkDocsConfig, default: str) -> tuple[list[dict[str, Any]], bool]:
    """The page's alternates (lang, url, href, name) and whether they are the page's own."""
    rows = clean_alternates(page.meta.get("alternates"))
    own = bool(rows)
    if not own:  # no translations: the switcher leads to each language's home instead
        rows = list(_HOMES.items()) if len(_HOMES) > 1 else []
    return [{"lang": code, "url": url or ".", "href": _absolute(config, url), "name": language_name(code),
             "default": code == default} for code, url in rows if code], own


def on_page_context(context: dict[str, Any], page: Page, config: MkDocsConfig,
                    nav: Navigation) -> dict[str, Any]:
    """Give the page its language's navigation, Material strings, alternates and switcher."""
    languages, _ = _settings(config)
    lang = page_language(page, languages[0])
    alternates, own = _alternates(page, config, languages[0])
    # A page in a language with no nav of its own gets the nav of the language whose folder it is in.
    where = _language_of_path(page.file.src_uri, languages)
    context["nav"] = _NAVS.get(lang) or _NAVS.get(where) or nav
    context["page_language"] = lang
    context["page_theme_language"] = theme_language(lang)
    context["page_alternates"] = alternates
    context["page_hreflang"] = own
    return context
