"""Split a Markdown file into YAML front matter and body, keeping line numbers of the whole file.

python-frontmatter strips leading blank lines and silently drops a front matter that is not a
mapping, so this module does the split itself and reports positions in the file as written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

import yaml

from tidings.errors import Problem

_BaseLoader: type[Any] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _FrontMatterLoader(_BaseLoader):  # type: ignore[misc]
    """YAML 1.2-ish: dates stay strings (validated by the schema), only true/false are booleans.

    YAML 1.1 turns ``lang: no`` into False and ``date: 2026-11-23`` into a date object.
    """


_FrontMatterLoader.yaml_implicit_resolvers = {
    first: [
        (tag, rx)
        for tag, rx in resolvers
        if tag not in ("tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:bool")
    ]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_FrontMatterLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)

KeyPath = tuple[str | int, ...]


@dataclass(frozen=True)
class SourceFile:
    """A content file read from disk: its front matter, where each key is, and its body."""

    path: str
    meta: dict[str, Any]
    body: str
    body_line: int
    lines: dict[KeyPath, int] = field(default_factory=dict)
    has_front_matter: bool = True
    # The file name without language suffix and ``.md`` (``x`` for ``x.fi.md``): the slug's source.
    stem: str = ""

    @property
    def name(self) -> str:
        """What the item is called in URLs before slugifying: ``stem``, else the file's name."""
        return self.stem or PurePosixPath(self.path).stem

    def line_of(self, *keys: str | int) -> int:
        """Line of a key (or nested key) in the whole file; the opening ``---`` if unknown."""
        while keys:
            if keys in self.lines:
                return self.lines[keys]
            keys = keys[:-1]
        return 1


def _walk(node: yaml.Node, path: KeyPath, offset: int, lines: dict[KeyPath, int],
          problems: list[Problem], source: str) -> None:
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            where = path + (key,)
            line = key_node.start_mark.line + offset
            if key in seen:
                problems.append(Problem(source, line, f"duplicate key '{key}'", key))
            seen.add(key)
            lines[where] = line
            _walk(value_node, where, offset, lines, problems, source)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            lines[path + (index,)] = item.start_mark.line + offset
            _walk(item, path + (index,), offset, lines, problems, source)


def parse_source(path: str, text: str) -> tuple[SourceFile | None, list[Problem]]:
    """Parse ``text`` (the content of ``path``); return the file and every problem found."""
    text = text.removeprefix("\ufeff")
    all_lines = text.splitlines(keepends=True)
    if not all_lines or all_lines[0].rstrip() != "---":
        return SourceFile(path, {}, text, 1, has_front_matter=False), []
    end = next(
        (i for i in range(1, len(all_lines)) if all_lines[i].rstrip() in ("---", "...")), None
    )
    if end is None:
        return None, [Problem(path, 1, "front matter is not closed (expected a line '---')")]
    yaml_text = "".join(all_lines[1:end])
    body = "".join(all_lines[end + 1 :])
    offset = 2  # the YAML block starts on line 2 of the file; marks are 0-based
    problems: list[Problem] = []
    loader = _FrontMatterLoader(yaml_text)
    try:
        node = loader.get_single_node()
        if node is not None and not isinstance(node, yaml.MappingNode):
            what = "a list" if isinstance(node, yaml.SequenceNode) else f"'{node.value}'"
            return None, [
                Problem(path, node.start_mark.line + offset,
                        f"front matter must be a mapping of 'key: value' lines, got {what}")
            ]
        lines: dict[KeyPath, int] = {}
        if node is not None:
            _walk(node, (), offset, lines, problems, path)
        meta = loader.construct_document(node) if node is not None else {}
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + offset if mark else 1
        what = exc.problem or "invalid YAML"
        return None, [Problem(path, line, f"YAML syntax error in front matter: {what}")]
    except yaml.YAMLError as exc:
        return None, [Problem(path, 1, f"YAML error in front matter: {exc}")]
    finally:
        loader.dispose()
    return SourceFile(path, meta or {}, body, end + 2, lines), problems
