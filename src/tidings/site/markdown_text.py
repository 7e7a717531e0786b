"""Text written into staged Markdown pages: escaped words and YAML front matter."""

from __future__ import annotations

import re
from typing import Any

import yaml


def md(text: str) -> str:
    """Escape text for use inside Markdown (titles, names)."""
    return re.sub(r"([\\`*_\[\]<>#|])", r"\\\1", text)


# The safe dumper in libyaml's C version where installed: the pure-Python one doubled staging time.
SAFE_DUMPER: type[yaml.SafeDumper] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def front_matter_text(data: dict[str, Any]) -> str:
    """A page's front matter block, written by yaml's safe dumper so any text round-trips."""
    # No line folding: a long title stays on one line, readable in the staged tree.
    dumped = yaml.dump(data, Dumper=SAFE_DUMPER, allow_unicode=True, sort_keys=False, width=1_000_000)
    return f"---\n{dumped}---\n\n"
