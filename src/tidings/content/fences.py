"""Which lines of a Markdown body are prose and which are fenced code (```` ``` ```` or ``~~~``)."""

from __future__ import annotations

import re
from collections.abc import Iterator

FENCE_RE = re.compile(r"^\s*(```|~~~)")


def classify_lines(body: str) -> Iterator[tuple[int, str, bool]]:
    """Each line of ``body`` with its 0-based index and whether it is prose.

    A fence line and the lines inside a fence are not prose; a fence is closed by the same marker.
    """
    fence: str | None = None
    for index, line in enumerate(body.splitlines()):
        match = FENCE_RE.match(line)
        if match:
            fence = None if fence == match.group(1) else (fence or match.group(1))
            yield index, line, False
        else:
            yield index, line, fence is None


def markdown_lines(body: str) -> list[tuple[int, str]]:
    """Body lines outside fenced code blocks, with 0-based index."""
    return [(index, line) for index, line, prose in classify_lines(body) if prose]
