"""Slugs and relative links: how file names and Markdown links map to repo paths."""

from __future__ import annotations

import posixpath
import re
import unicodedata
from typing import Protocol

from tidings.content.rules import markdown_lines

LINK_RE = re.compile(r"!?\[(?P<text>[^\]]*)\]\(\s*<?(?P<target>[^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
CODE_SPAN_RE = re.compile(r"`+[^`]*`+")


class HasBody(Protocol):
    """A Markdown body and the file line it starts on (a loaded entry or a file with errors)."""

    @property
    def body(self) -> str: ...

    @property
    def body_line(self) -> int: ...


def slugify(text: str) -> str:
    """A URL slug: lowercase letters (any script), digits, '_' and '-'; 'Café Talk' -> 'café-talk'."""
    slug = re.sub(r"[^\w]+", "-", unicodedata.normalize("NFKC", text).lower()).strip("-_")
    return slug or "item"


def body_links(entry: HasBody) -> list[tuple[int, str, str]]:
    """(file line, link text, target) of every Markdown link and image in the body."""
    links = []
    for index, line in markdown_lines(entry.body):
        if "](" not in line:
            continue
        for match in LINK_RE.finditer(CODE_SPAN_RE.sub("", line)):
            links.append((entry.body_line + index, match.group("text"), match.group("target")))
    return links


def resolve_link(entry_path: str, target: str) -> tuple[str, str] | None:
    """Repo-relative path and anchor of a relative link; None for URLs and pure anchors."""
    if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", target) or target.startswith(("#", "/", "//")):
        return None
    path, _, anchor = target.partition("#")
    path = path.split("?")[0]
    resolved = posixpath.normpath(posixpath.join(posixpath.dirname(entry_path), path))
    return resolved, anchor
