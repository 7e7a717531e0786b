"""Write a content file: YAML front matter in the order given, then the Markdown body.

python-frontmatter lays out the file; the YAML is written by ``yaml.safe_dump``, which quotes
every string YAML 1.1 would read as something else (``lang: 'no'``, ``date: '2026-11-23'``), so
the file reads back (tidings.content.source) to the same values.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import frontmatter
import yaml
from frontmatter.default_handlers import YAMLHandler

from tidings.files import write_atomic


class OrderedYAMLHandler(YAMLHandler):
    """Front matter as ``yaml.safe_dump`` writes it, keys in the order given, one line per value."""

    def export(self, metadata: dict[str, object], **kwargs: object) -> str:
        # No line width: a long title stays on one line, as an editor would write it.
        text = yaml.safe_dump(metadata, sort_keys=False, allow_unicode=True,
                              default_flow_style=False, width=2**31 - 1)
        return text.strip()


def format_content(metadata: Mapping[str, Any], body: str) -> str:
    """The text of a content file holding ``metadata`` and ``body``."""
    post = frontmatter.Post(body.strip())
    post.metadata.update(metadata)  # not Post(**metadata): a key may be called 'content'
    return frontmatter.dumps(post, handler=OrderedYAMLHandler()) + "\n"


def write_content(path: Path, metadata: Mapping[str, Any], body: str) -> None:
    """Write a content file atomically (tidings.files.write_atomic) as UTF-8."""
    write_atomic(path, format_content(metadata, body).encode("utf-8"))
