"""What every generated page needs: links between docs pages, Markdown escaping, front matter."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from typing import Any, NamedTuple

from babel import Locale, UnknownLocaleError

from tidings.content.kinds import Kind
from tidings.content.links import KEEP, rewrite_links
from tidings.content.model import Entry
from tidings.embargo import PublicView
from tidings.labels import texts_for
from tidings.site.markdown_text import front_matter_text, md
from tidings.site.page_templates import page_environment, render_page
from tidings.urls import page_path

__all__ = ["Linked", "PageWriter", "front_matter_text", "md", "rel", "section_path", "staged_path"]


def staged_path(entry: Entry) -> str:
    """Where an item's page lives in the docs tree."""
    return page_path(entry)


def section_path(kind: Kind[Any], name: str = "index") -> str:
    """A page of a kind's own section in the docs tree, e.g. ``stories/index.md``."""
    return f"{kind.url_folder}{name}.md"


@functools.lru_cache(maxsize=65536)
def rel(from_page: str, to_path: str) -> str:
    """Relative link from one docs page to another docs path (both clean, docs-relative)."""
    here = from_page.split("/")[:-1]
    there = to_path.split("/")
    common = 0
    while common < len(here) and common < len(there) - 1 and here[common] == there[common]:
        common += 1
    return "/".join([".."] * (len(here) - common) + there[common:])


class Linked(NamedTuple):
    """An item on an index page and the link to it from there."""

    item: Entry
    link: str


class PageWriter:
    """The as-of view, the labels and the files written so far; the page kinds build on it."""

    def __init__(self, view: PublicView, language: str | None = None) -> None:
        self.view = view
        self.config = view.community.config
        self.language = language or self.config.language
        # The default language's pages at the site's root, every other language's under its code.
        self.prefix = "" if self.language == self.config.language else f"{self.language}/"
        self.text = texts_for(self.config, self.language)
        self.public = self._link_targets()
        self.files: dict[str, str | bytes] = {}
        self.env = page_environment(self.config.root)

    def render(self, name: str, **context: Any) -> str:
        """One page from its template (the community's override first), with the labels as ``t``."""
        return render_page(self.env, self.config.root, name,
                           {"t": self.text, "note": self.untranslated_note, **context})

    def section(self, kind: Kind[Any], name: str = "index") -> str:
        """A page of a kind's own section in this language, e.g. ``fi/stories/index.md``."""
        return self.prefix + section_path(kind, name)

    def own(self, entry: Entry) -> bool:
        """Whether this language stages the item's page (an untranslated one keeps its own page)."""
        return entry.site_prefix == self.prefix

    def untranslated_note(self, entry: Entry) -> str:
        """`` (in English)`` after the link to an item shown in another language; else nothing."""
        if self.own(entry) or not entry.lang:
            return ""
        try:  # babel's name as used inside a sentence ("englanti", not "Englanti")
            name = Locale.parse(entry.lang.replace("-", "_")).get_display_name(self.text.locale) or entry.lang
        except (ValueError, UnknownLocaleError):
            name = entry.lang
        return " " + md(self.text["site.in_language"].format(language=name))

    def _link_targets(self) -> dict[str, Entry]:
        """Public items by their path, and by their source's path (a link to ``x.md`` from a
        Finnish page leads to the Finnish version)."""
        found = {e.path: e for e in self._public_entries()}
        for source, versions in self.view.community.translations.items():
            for version in versions.values():
                if version.path in found and source not in found:
                    found[source] = found[version.path]
        return found

    def _public_entries(self) -> Iterable[Entry]:
        # A mailed kind (newsletter issues) is on the site only as an archive copy: never a link target.
        v = self.view
        return (entry for kind in v.kinds if not kind.mailed for entry in v.of_kind(kind.name))

    # -- bodies ---------------------------------------------------------------------------
    def body(self, entry: Entry, page: str) -> str:
        """The item's Markdown with links re-pointed into the docs tree; embargoed ones unlinked."""

        def retarget(path: str, anchor: str) -> str | None:
            suffix = f"#{anchor}" if anchor else ""
            if path.endswith(".md"):
                linked = self.public.get(path)
                # Not public at T (embargoed, draft): keep the words, drop the link.
                return None if linked is None else rel(page, staged_path(linked)) + suffix
            return rel(page, path) + suffix if path.startswith("assets/") else KEEP

        return rewrite_links(entry, retarget)

    def image(self, source: str | None, page: str, alt: str) -> str:
        """A lazily loaded picture, as Markdown, or nothing."""
        if not source:
            return ""
        src = source if re.match(r"^https?://", source) else rel(page, source)
        return f'![{md(alt)}]({src}){{ .tidings-image loading=lazy }}\n\n'

    def front(self, title: str, description: str | None = None, **extra: Any) -> str:
        """The page's YAML front matter (title, description, anything MkDocs or Material reads)."""
        data: dict[str, Any] = {"title": title}
        if description:
            data["description"] = description
        return front_matter_text({**data, **extra})
