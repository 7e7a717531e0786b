"""Plain-text excerpts of Markdown bodies (feeds, calendar descriptions): no links, no markup."""

from __future__ import annotations

import html
import re

_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_REF_LINK = re.compile(r"\[([^\]]*)\]\[[^\]]*\]")
_TAG = re.compile(r"<[^>]+>")
_MARKUP = re.compile(r"(\*\*|__|\*|_|`)(?=\S)(.+?)(?<=\S)\1")
_ATTRS = re.compile(r"\{[:.#][^}]*\}")


def plain_text(markdown_text: str) -> str:
    """The words of a Markdown snippet: links become their text, markup and HTML go away."""
    text = _IMAGE.sub("", markdown_text)
    text = _LINK.sub(r"\1", text)
    text = _REF_LINK.sub(r"\1", text)
    text = _ATTRS.sub("", text)
    text = _TAG.sub("", text)
    text = _MARKUP.sub(r"\2", text)
    return html.unescape(" ".join(text.split()))


def first_paragraph(body: str, limit: int = 400) -> str:
    """The first prose paragraph of a body as plain text, cut at a word near ``limit``."""
    for block in body.strip().split("\n\n"):
        stripped = block.strip()
        if not stripped or stripped.startswith(("#", "<", "!", "|", "```", "~~~", ">", "-", "*", "1.")):
            continue
        text = plain_text(stripped)
        if text:
            if len(text) > limit:
                text = text[:limit].rsplit(" ", 1)[0] + " …"
            return text
    return ""
