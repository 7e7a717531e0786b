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
    check_survey_references,
    load_feedback,
)
from tidings.content.kinds import KINDS, Kind
from tidings.content.paths import CODE_SPAN_RE as CODE_SPAN_RE  # where other modules find them
from tidings.content.paths import LINK_RE as LINK_RE
from tidings.content.paths import body_links as body_links
from tidings.content.paths import resolve_link as resolve_link
from tidings.content.paths import slugify as slugify
from tidings.content.source import SourceFile, parse_source
from tidings.content.translations import (
    Variant,
    compare_with_source,
    foreign_language,
    group_variants,
    merged_source,
    resolve_language,
    with_language,
)
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


Loaded = tuple["model.Entry | Unloaded", list[Problem], SourceFile | None]


@dataclasses.dataclass
class EntryCache:
    """Parsed files kept between rebuilds of a live preview, valid for one set of settings."""

    config: Config | None = None
    files: dict[str, tuple[tuple[int, ...], Loaded]] = dataclasses.field(default_factory=dict)


def content_files(root: Path, kinds: Sequence[Kind[Any]] = KINDS) -> list[tuple[Kind[Any], str, Path]]:
    """(kind, repo-relative path, file) of every content file, in a stable order."""
    found = []
    for kind in kinds:
        directory = root / kind.folder
        if directory.is_dir():
            for file in sorted(directory.glob("*.md")):
                found.append((kind, file.relative_to(root).as_posix(), file))
    return found


def load_file(variant: Variant, config: Config, original: tuple[model.Entry, SourceFile] | None = None
              ) -> Loaded:
    """One content file (a translation over its ``original``): its model object, or what cross-checks
    need of it when it has errors; its problems; its parsed source."""
    kind, rel = variant.kind, variant.rel
    try:
        text = variant.file.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        return Unloaded(kind.name, rel), [Problem(rel, 1, f"not UTF-8 text ({exc})")], None
    source, problems = parse_source(rel, text)
    if source is None:
        return Unloaded(kind.name, rel), problems, None
    lang, found = resolve_language(variant, source, config.language)
    problems += found + foreign_language(variant, lang, config.languages, source.line_of("lang"))
    parsed = source
    if original is not None:
        source, found = merged_source(kind, source, original[1].meta)
        problems += found
    entry, found = load_entry(kind, dataclasses.replace(source, stem=variant.stem), config)
    problems += found
    if entry is None:
        return Unloaded(kind.name, rel, parsed.body, parsed.body_line, parsed.meta), problems, parsed
    entry = with_language(entry, lang, config.languages, original[0].slug if original else None)
    if original is not None:
        problems += compare_with_source(original[0], entry)
    return entry, problems, parsed


def _stamp(*files: Path) -> tuple[int, ...]:
    """Modification time and size of each file, one ``stat`` each."""
    return tuple(n for info in map(Path.stat, files) for n in (info.st_mtime_ns, info.st_size))


def _load(cache: EntryCache | None, variant: Variant, config: Config,
          original: tuple[Variant, model.Entry, SourceFile] | None = None) -> Loaded:
    """``load_file`` through the preview's cache: a translation is read again when its source changes."""
    over = (original[1], original[2]) if original else None
    if cache is None:
        return load_file(variant, config, over)
    stamp = _stamp(variant.file, *([original[0].file] if original else []))
    cached = cache.files.get(variant.rel)
    if cached is None or cached[0] != stamp:
        cached = (stamp, load_file(variant, config, over))
        cache.files[variant.rel] = cached
    return cached[1]


def load_community(
    root: Path, config: Config, *, history: bool = True, cache: EntryCache | None = None,
    kinds: Sequence[Kind[Any]] = KINDS,
) -> tuple[model.Community, list[Problem]]:
    """Load every content file of ``kinds`` under ``root``; return the model and every problem found."""
    entries: dict[str, list[model.Entry]] = {kind.name: [] for kind in kinds}
    translations: dict[str, dict[str, model.Entry]] = {}
    unloaded: list[Unloaded] = []
    if cache is not None and cache.config != config:
        cache.config, cache.files = config, {}  # settings changed: validate every file again
    groups, problems = group_variants(content_files(root, kinds), config.languages)
    for first, others in groups:
        entry, found, source = _load(cache, first, config)
        problems.extend(found)
        if isinstance(entry, Unloaded):  # its translations wait until the source loads
            unloaded.append(entry)
            continue
        entries[first.kind.name].append(entry)
        for variant in others:
            assert source is not None  # a loaded entry always has its parsed source
            version, found, _ = _load(cache, variant, config, (first, entry, source))
            problems.extend(found)
            if isinstance(version, Unloaded):
                unloaded.append(version)
            elif version.lang in translations.get(entry.path, {}) or version.lang == entry.lang:
                problems.append(Problem(variant.rel, 1, f"a second '{version.lang}' version of "
                                                        f"{entry.path}: keep one file per language", "lang"))
            else:
                translations.setdefault(entry.path, {})[version.lang or ""] = version
    community = model.Community(config=config, items={name: tuple(found) for name, found in entries.items()},
                                translations=translations)
    feedback, found = load_feedback(root, community, unloaded)
    problems.extend(found)
    community = dataclasses.replace(community, feedback=feedback)
    problems.extend(check_duplicates(community, kinds))
    problems.extend(check_links(community, root, unloaded))
    problems.extend(check_guidelines(community, root, history=history))
    problems.extend(check_newsletters(community, root, unloaded, kinds))
    problems.extend(check_survey_references(community, unloaded))
    return community, problems
