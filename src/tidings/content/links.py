"""Re-point the relative links of a Markdown body (to site pages, to absolute URLs in email)."""

from __future__ import annotations

import re
from collections.abc import Callable

from tidings.content.fences import classify_lines
from tidings.content.loader import CODE_SPAN_RE, LINK_RE, resolve_link
from tidings.content.model import Entry

# Given the repo path and anchor a link points at: the new target, or None to drop the link
# and keep its words (the target is not public), or "" to leave the link as written.
Retarget = Callable[[str, str], str | None]
KEEP = ""


def rewrite_links(entry: Entry, retarget: Retarget) -> str:
    """The body of ``entry`` with every relative link passed through ``retarget``."""
    out = []
    for _, line, prose in classify_lines(entry.body):
        if prose and "](" in line:
            spans = [m.span() for m in CODE_SPAN_RE.finditer(line)]

            def replace(match: re.Match[str], spans: list[tuple[int, int]] = spans) -> str:
                if any(a <= match.start() < b for a, b in spans):
                    return match.group(0)
                resolved = resolve_link(entry.path, match.group("target"))
                if resolved is None:
                    return match.group(0)
                new = retarget(*resolved)
                if new is None:
                    return match.group("text")
                if new == KEEP:
                    return match.group(0)
                start, end = match.span("target")
                whole, offset = match.group(0), match.start()
                return whole[: start - offset] + new + whole[end - offset :]

            line = LINK_RE.sub(replace, line)
        out.append(line)
    return "\n".join(out).strip() + "\n"
