"""A site in several languages: one as-of view per language, each page's alternates, the embargo.

Every language's pages are staged into one docs tree (one engine build for all languages): the
default language at the root, each other language under its code (``fi/``). A page then carries
the front matter the theme's hooks read (tidings.site.mkdocs_hooks): ``lang`` and ``alternates``,
the site-relative URL of the same item or index in every language it is staged in (a page staged
in one language only gets no alternates, so its switcher leads to each language's home).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from tidings.content.kinds import kind_of
from tidings.embargo import PublicView, asset_references, embargoed_assets, public_view
from tidings.site.markdown_text import front_matter_text

__all__ = ["held_back_assets", "language_views", "with_alternates"]


def language_views(view: PublicView) -> list[tuple[str, PublicView]]:
    """(language, the view a reader of it gets) for every language; the default first.

    A one-language community keeps its view as it is.
    """
    community = view.community
    config = community.config
    if len(config.languages) < 2:
        return [(config.language, view)]
    return [(lang, public_view(community.in_language(lang, untranslated=config.untranslated),
                               view.as_of, view.kinds))
            for lang in config.languages]


def held_back_assets(views: Sequence[PublicView]) -> set[str]:
    """Assets held back in any language's view, and those only a not-public translation uses.

    An asset stays out until every language version that uses it is public (a Finnish picture can
    give the news away as well as an English one).
    """
    held: set[str] = set()
    for view in views:
        held |= embargoed_assets(view)
    if len(views) < 2:
        return held
    public = set().union(*(view.paths for view in views))
    used_publicly: set[str] = set()
    for view in views:
        for entry in _site_entries(view):
            used_publicly |= asset_references(entry)
    for versions in views[0].community.translations.values():
        for version in versions.values():
            # Newsletter images are fetched from the site by mail clients: never held back.
            if version.path not in public and not kind_of(version).mailed:
                held |= asset_references(version) - used_publicly
    return held


def _site_entries(view: PublicView) -> Iterable[Any]:
    return (entry for kind in view.kinds if not kind.mailed for entry in view.of_kind(kind.name))


def _url(page: str) -> str:
    """``fi/announcements/x.md`` → ``fi/announcements/x/`` (directory URLs); ``index.md`` → ``""``."""
    path = page.removesuffix(".md").removesuffix("index")
    return path if not path or path.endswith("/") else f"{path}/"


def _split(page: str, languages: Sequence[str]) -> tuple[str, str]:
    """(language, the page's path without its language folder)."""
    first, _, rest = page.partition("/")
    if rest and first in languages[1:]:
        return first, rest
    return languages[0], page


def with_alternates(files: dict[str, str | bytes], languages: Sequence[str]) -> dict[str, str | bytes]:
    """Every staged page with ``lang`` and, when it exists in more than one language, ``alternates``
    (itself included) in its front matter."""
    versions: dict[str, dict[str, str]] = {}
    for name, content in files.items():
        if name.endswith(".md") and isinstance(content, str) and not name.startswith("assets/"):
            lang, logical = _split(name, languages)
            versions.setdefault(logical, {})[lang] = name
    out = dict(files)
    for found in versions.values():
        alternates = [{"lang": lang, "url": _url(found[lang])} for lang in languages if lang in found]
        # A page in one language only has no equivalent to announce: without alternates the
        # theme's switcher leads to each language's home instead of offering the page itself.
        extra = {"alternates": alternates} if len(alternates) > 1 else {}
        for lang, name in found.items():
            text = files[name]
            assert isinstance(text, str)
            head = front_matter_text({"lang": lang, **extra})
            # The page's own front matter goes on after these two keys (one YAML block).
            out[name] = head[: -len("---\n\n")] + text.removeprefix("---\n") if text.startswith("---\n") \
                else head + text
    return out
