"""Read a community repo from disk into the content model, collecting every problem on the way."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tidings.config import Config
from tidings.content import model, schema
from tidings.content.crosscheck import (
    Unloaded,
    check_duplicates,
    check_guidelines,
    check_links,
    check_newsletters,
    load_feedback,
)
from tidings.content.kinds import KINDS, Kind
from tidings.content.paths import CODE_SPAN_RE as CODE_SPAN_RE  # where other modules find them
from tidings.content.paths import LINK_RE as LINK_RE
from tidings.content.paths import body_links as body_links
from tidings.content.paths import resolve_link as resolve_link
from tidings.content.paths import slugify as slugify
from tidings.content.source import SourceFile, parse_source
from tidings.errors import Problem


def load_entry(kind: Kind[Any], source: SourceFile, config: Config
               ) -> tuple[model.Entry | None, list[Problem]]:
    """Validate one parsed file of ``kind`` and build its model object."""
    spec = kind.spec
    problems: list[Problem] = []
    if not source.has_front_matter and any(required for _, required in spec.values()):
        keys = ", ".join(k for k, (_, required) in spec.items() if required)
        return None, [Problem(source.path, 1, f"no front matter: start the file with '---', "
                                              f"then at least {keys}, then '---'")]
    ctx = schema.Context(config.timezone, config.root, source, problems)
    values = schema.validate_fields(source.meta, spec, ctx)
    required = [k for k, (_, req) in spec.items() if req]
    if any(k not in values for k in required):
        return None, problems
    entry = kind.build(source, values, ctx)
    if entry is not None:  # a draft is kept in the model, never public
        entry = dataclasses.replace(entry, lines=source.lines, public_from=kind.public_date(entry),
                                    draft=kind.can_be_draft and values.get("draft", False))
    return entry, problems


@dataclasses.dataclass
class EntryCache:
    """Parsed files kept between rebuilds of a live preview, valid for one set of settings."""

    config: Config | None = None
    files: dict[str, tuple[tuple[int, int], model.Entry | Unloaded, list[Problem]]] = dataclasses.field(
        default_factory=dict)


def content_files(root: Path, kinds: Sequence[Kind[Any]] = KINDS) -> list[tuple[Kind[Any], str, Path]]:
    """(kind, repo-relative path, file) of every content file, in a stable order."""
    found = []
    for kind in kinds:
        directory = root / kind.folder
        if directory.is_dir():
            for file in sorted(directory.glob("*.md")):
                found.append((kind, file.relative_to(root).as_posix(), file))
    return found


def load_file(kind: Kind[Any], rel: str, file: Path, config: Config
              ) -> tuple[model.Entry | Unloaded, list[Problem]]:
    """One content file: its model object, or (when it has errors) what cross-checks need of it."""
    try:
        text = file.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        return Unloaded(kind.name, rel), [Problem(rel, 1, f"not UTF-8 text ({exc})")]
    source, problems = parse_source(rel, text)
    if source is None:
        return Unloaded(kind.name, rel), problems
    entry, found = load_entry(kind, source, config)
    if entry is None:
        return Unloaded(kind.name, rel, source.body, source.body_line, source.meta), problems + found
    return entry, problems + found


def load_community(
    root: Path, config: Config, *, history: bool = True, cache: EntryCache | None = None,
    kinds: Sequence[Kind[Any]] = KINDS,
) -> tuple[model.Community, list[Problem]]:
    """Load every content file of ``kinds`` under ``root``; return the model and every problem found."""
    problems: list[Problem] = []
    entries: dict[str, list[model.Entry]] = {kind.name: [] for kind in kinds}
    unloaded: list[Unloaded] = []
    if cache is not None and cache.config != config:
        cache.config, cache.files = config, {}  # settings changed: validate every file again
    for kind, rel, file in content_files(root, kinds):
        if cache is None:
            entry, found = load_file(kind, rel, file, config)
        else:
            info = file.stat()
            stamp = (info.st_mtime_ns, info.st_size)
            cached = cache.files.get(rel)
            if cached is None or cached[0] != stamp:
                cached = (stamp, *load_file(kind, rel, file, config))
                cache.files[rel] = cached
            _, entry, found = cached
        problems.extend(found)
        if isinstance(entry, Unloaded):
            unloaded.append(entry)
        else:
            entries[kind.name].append(entry)
    community = model.Community(config=config, items={name: tuple(found) for name, found in entries.items()})
    feedback, found = load_feedback(root, community, unloaded)
    problems.extend(found)
    community = dataclasses.replace(community, feedback=feedback)
    problems.extend(check_duplicates(community, kinds))
    problems.extend(check_links(community, root, unloaded))
    problems.extend(check_guidelines(community, root, history=history))
    problems.extend(check_newsletters(community, root, unloaded, kinds))
    return community, problems
