"""What every generated page needs: links between docs pages, Markdown escaping, front matter."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from typing import Any

from tidings.content.links import KEEP, rewrite_links
from tidings.content.model import Entry
from tidings.embargo import PublicView
from tidings.labels import Text
from tidings.urls import page_path


def staged_path(entry: Entry) -> str:
    """Where an item's page lives in the docs tree."""
    return page_path(entry)


def md(text: str) -> str:
    """Escape text for use inside Markdown (titles, names)."""
    return re.sub(r"([\\`*_\[\]<>#|])", r"\\\1", text)


@functools.lru_cache(maxsize=65536)
def rel(from_page: str, to_path: str) -> str:
    """Relative link from one docs page to another docs path (both clean, docs-relative)."""
    here = from_page.split("/")[:-1]
    there = to_path.split("/")
    common = 0
    while common < len(here) and common < len(there) - 1 and here[common] == there[common]:
        common += 1
    return "/".join([".."] * (len(here) - common) + there[common:])


def yaml_str(text: str) -> str:
    """A double-quoted YAML scalar."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


class PageWriter:
    """The as-of view, the labels and the files written so far; the page kinds build on it."""

    def __init__(self, view: PublicView) -> None:
        self.view = view
        self.config = view.community.config
        self.text = Text(self.config.language, self.config.labels)
        self.public = {e.path: e for e in self._public_entries()}
        self.files: dict[str, str | bytes] = {}

    def _public_entries(self) -> Iterable[Entry]:
        v = self.view
        return (*v.announcements, *v.stories, *v.events, *v.surveys, *v.pages, *v.guidelines)

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
        lines = ["---", f"title: {yaml_str(title)}"]
        if description:
            lines.append(f"description: {yaml_str(description)}")
        for key, value in extra.items():
            lines.append(f"{key}: {value}")
        return "\n".join(lines) + "\n---\n\n"
