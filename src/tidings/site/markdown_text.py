"""Text written into staged Markdown pages: escaped words and YAML front matter."""

from __future__ import annotations

import re
from typing import Any

import yaml


def md(text: str) -> str:
    """Escape text for use inside Markdown (titles, names): it stays words, never markup."""
    # Python-Markdown has no backslash escape for '<' or '&': "\<script>" would pass the tag
    # through and "&lt;" would become a '<'; an entity-like '&' is written as "&amp;".
    escaped = _ENTITY.sub("&amp;", text).replace("<", "&lt;")
    # Braces too: a title ending in "{: onclick=… }" would be read as attr_list attributes.
    return re.sub(r"([\\`*_\[\]{}>#|])", r"\\\1", escaped)


_ENTITY = re.compile(r"&(?=#?[0-9A-Za-z]+;)")


# The safe dumper in libyaml's C version where installed: the pure-Python one doubled staging time.
SAFE_DUMPER: type[yaml.SafeDumper] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def front_matter_text(data: dict[str, Any]) -> str:
    """A page's front matter block, written by yaml's safe dumper so any text round-trips."""
    # No line folding: a long title stays on one line, readable in the staged tree.
    dumped = yaml.dump(data, Dumper=SAFE_DUMPER, allow_unicode=True, sort_keys=False, width=1_000_000)
    return f"---\n{dumped}---\n\n"
