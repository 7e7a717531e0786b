"""HTML (rendered from Markdown) to plain text written for reading, not a dump of the markup."""

from __future__ import annotations

import re
import textwrap
from html.parser import HTMLParser

WIDTH = 72


class _TextWriter(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[str] = []
        self.current: list[str] = []
        self.prefix: list[str] = []
        self.lists: list[list[int]] = []  # [counter] per open list; counter -1 for bullets
        self.links: list[str | None] = []
        self.link_text: list[str] = []
        self.pre = 0
        self.heading: int | None = None
        self.skip = 0

    def _flush(self) -> None:
        text = "".join(self.current)
        self.current = []
        body = text.strip("\n") if self.pre else " ".join(text.split())
        if not body:
            return
        lead = "".join(self.prefix)
        if self.heading is not None:
            body = body.upper() if self.heading <= 2 else body
            underline = ("=" if self.heading <= 1 else "-") * min(len(body), WIDTH)
            self.blocks.append(f"{body}\n{underline}")
            return
        if self.pre:
            self.blocks.append("\n".join("    " + line for line in body.splitlines()))
            return
        bullet = ""
        if self.lists and lead.endswith("\0"):
            lead = lead[:-1]
            counter = self.lists[-1]
            bullet = "- " if counter[0] < 0 else f"{counter[0]}. "
        indent = lead.replace("\0", "")
        wrapped = textwrap.fill(body, WIDTH - len(indent) - len(bullet), break_long_words=False,
                                break_on_hyphens=False)
        lines = wrapped.splitlines()
        out = [indent + bullet + lines[0]] + [indent + " " * len(bullet) + line for line in lines[1:]]
        self.blocks.append("\n".join(out))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = dict(attrs)
        if tag in ("style", "script", "head", "title"):
            self.skip += 1
        elif tag in ("p", "div", "table", "tr", "section", "header", "footer"):
            self._flush()
        elif tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
            self._flush()
            self.heading = int(tag[1])
        elif tag == "br":
            self.current.append("\n" if self.pre else " ")
        elif tag in ("ul", "ol"):
            self._flush()
            self.lists.append([-1 if tag == "ul" else 0])
        elif tag == "li":
            self._flush()
            if self.lists and self.lists[-1][0] >= 0:
                self.lists[-1][0] += 1
            self.prefix.append("  " * (len(self.lists) - 1) + "\0")
        elif tag == "blockquote":
            self._flush()
            self.prefix.append("> ")
        elif tag == "pre":
            self._flush()
            self.pre += 1
        elif tag == "a":
            self.links.append(attr.get("href"))
            self.link_text.append("")
        elif tag == "img":
            alt = attr.get("alt") or ""
            if alt:
                self.current.append(f"[{alt}]")
        elif tag == "hr":
            self._flush()
            self.blocks.append("-" * 24)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "script", "head", "title"):
            self.skip = max(0, self.skip - 1)
        elif tag in ("p", "div", "table", "tr", "section", "header", "footer"):
            self._flush()
        elif tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
            self._flush()
            self.heading = None
        elif tag in ("ul", "ol"):
            self._flush()
            if self.lists:
                self.lists.pop()
        elif tag == "li" or tag == "blockquote":
            self._flush()
            if self.prefix:
                self.prefix.pop()
        elif tag == "pre":
            self._flush()
            self.pre = max(0, self.pre - 1)
        elif tag == "a" and self.links:
            href = self.links.pop()
            raw = self.link_text.pop() if self.link_text else ""
            text = raw.strip()
            if not href or href.startswith("#"):
                return
            if href == text:  # a bare link: written <url> like every other link
                written = "".join(self.current)
                self.current = [written.removesuffix(raw) + f"<{href}>"]
            else:
                self.current.append(f" <{href}>" if text else f"<{href}>")

    def handle_data(self, data: str) -> None:
        if self.skip:
            return
        self.current.append(data)
        if self.link_text:
            self.link_text[-1] += data

    def text(self) -> str:
        self._flush()
        return "\n\n".join(self.blocks)


def html_to_text(html: str) -> str:
    """Readable plain text: wrapped paragraphs, '- ' lists, '> ' quotes, links as <url>."""
    writer = _TextWriter()
    writer.feed(html)
    writer.close()
    return re.sub(r"\n{3,}", "\n\n", writer.text()).strip()


def wrap_text(text: object, indent: str = "", first: str | None = None, width: int = WIDTH) -> str:
    """One paragraph wrapped at ``width`` columns, lines after the first starting with ``indent``
    (the first with ``first``, else ``indent``); a word longer than a line (a URL) stays whole."""
    words = " ".join(str(text).split())
    if not words:
        return ""
    return textwrap.fill(words, width, initial_indent=indent if first is None else first,
                         subsequent_indent=indent, break_long_words=False, break_on_hyphens=False)


def link_line(label: object, url: object, indent: str = "", first: str | None = None) -> str:
    """``label: <url>`` wrapped like ``wrap_text`` (the URL goes whole to the next line if need be)."""
    return wrap_text(f"{label}: <{url}>", indent, first)
