"""Translations: ``tern-4-0.fi.md`` is the Finnish version of ``tern-4-0.md``, with the same slug.

The convention is the one mkdocs-static-i18n's suffix structure and Hugo use. The file without a
language suffix is an item's source; when there is none, the item is written only in the
language(s) its files name, and the one earliest in ``[tool.tidings] languages`` is the source.
A translation takes every front-matter key it leaves out from its source and may not change the
keys that make it the same item (its kind's ``shared`` keys: a date, a survey's id, a send time).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from tidings.content import model, occurrence_plans
from tidings.content.kinds import Kind
from tidings.content.source import SourceFile
from tidings.errors import Problem
from tidings.locales import check_lang

_SUFFIX_RE = re.compile(r"^(?P<base>.+)\.(?P<lang>[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})?)$")


@dataclass(frozen=True)
class Variant:
    """One file of an item: its kind, where it is, and the language its name gives (if any)."""

    kind: Kind[Any]
    rel: str
    file: Path
    base: str  # the path without the language suffix: content/announcements/tern-4-0.md
    suffix: str | None

    @property
    def stem(self) -> str:
        """The file name without language suffix and ``.md``: what the slug is made of."""
        return Path(self.base).stem


def name_language(stem: str) -> tuple[str, str | None, str | None]:
    """(stem without suffix, language suffix, problem with it) of a file stem such as ``x.fi``.

    A suffix counts when it is a language code, or a country code written for one (``gr``):
    ``release.final`` or ``meet.ama`` stay names.
    """
    match = _SUFFIX_RE.match(stem)
    if not match:
        return stem, None, None
    code = match["lang"]
    try:
        check_lang(code)
    except ValueError as exc:
        if "country code" not in str(exc):
            return stem, None, None
        return match["base"], code, str(exc)
    return match["base"], code, None


def group_variants(found: Iterable[tuple[Kind[Any], str, Path]], languages: Sequence[str]
                   ) -> tuple[list[tuple[Variant, list[Variant]]], list[Problem]]:
    """Content files grouped per item: (its source, its translations), plus suffix problems."""
    groups: dict[tuple[str, str], list[Variant]] = {}
    problems: list[Problem] = []
    for kind, rel, file in found:
        stem, suffix, problem = name_language(file.stem)
        if problem is None and suffix is not None and suffix not in languages:
            problem = (f"'{suffix}' is not one of the community's languages ([tool.tidings] languages = "
                       f"{list(languages)}): add it there, or rename the file")
        if problem is not None:
            problems.append(Problem(rel, 1, f"the file name ends in '.{suffix}.md': {problem}", "lang"))
            continue
        base = f"{Path(rel).parent.as_posix()}/{stem}.md"
        groups.setdefault((kind.name, base), []).append(Variant(kind, rel, file, base, suffix))
    order = {code: index for index, code in enumerate(languages)}
    grouped = []
    for variants in groups.values():
        variants.sort(key=lambda v: (v.suffix is not None, order.get(v.suffix or "", len(order)), v.rel))
        grouped.append((variants[0], variants[1:]))
    grouped.sort(key=lambda group: group[0].rel)
    return grouped, problems


def resolve_language(variant: Variant, source: SourceFile, default: str) -> tuple[str, list[Problem]]:
    """The language of one file: its name's suffix, else its ``lang`` key, else the default."""
    written = source.meta.get("lang")
    if variant.suffix is None:
        return (written if isinstance(written, str) else default), []
    if isinstance(written, str) and written.split("-")[0].lower() != variant.suffix.split("-")[0].lower():
        return variant.suffix, [Problem(variant.rel, source.line_of("lang"),
                                        f"lang '{written}' contradicts the file name, which says "
                                        f"'{variant.suffix}': remove the key or rename the file", "lang")]
    return variant.suffix, []


def merged_source(kind: Kind[Any], translation: SourceFile, original: Mapping[str, Any]
                  ) -> tuple[SourceFile, list[Problem]]:
    """The translation's front matter over its source's; a changed shared key is a problem."""
    problems = [
        Problem(translation.path, translation.line_of(key),
                f"a translation keeps its source's '{key}' ({original.get(key)!r} there, "
                f"{translation.meta[key]!r} here): leave '{key}' out, it is taken from the source", key)
        for key in kind.shared if key in translation.meta and translation.meta[key] != original.get(key)
    ]
    inherited = {k: v for k, v in original.items() if k != "lang" and k not in kind.translated}
    meta = {**inherited, **translation.meta}
    if "occurrences" in translation.meta and "occurrences" not in original:
        problems.append(Problem(translation.path, translation.line_of("occurrences"),
                                "'occurrences' is not in the source: plan the dates there, a "
                                "translation only words them", "occurrences"))
    elif "occurrences" in translation.meta:
        # Plans are merged per date: the translation words them, the source times them.
        meta["occurrences"], found = occurrence_plans.translated(original["occurrences"],
                                                                 translation.meta["occurrences"])
        problems += [Problem(translation.path, translation.line_of(*keys), message,
                             ".".join(map(str, keys))) for keys, message in found]
    return replace(translation, meta=meta), problems


def compare_with_source(source: model.Entry, translation: model.Entry) -> list[Problem]:
    """What a translation must keep of its source beyond front matter: rule ids, questions."""
    if isinstance(source, model.Guideline) and isinstance(translation, model.Guideline):
        return _rule_ids(source, translation)
    if isinstance(source, model.Survey) and isinstance(translation, model.Survey):
        return _questions(source, translation)
    return []


def _rule_ids(source: model.Guideline, translation: model.Guideline) -> list[Problem]:
    mine = {rule.id: rule for rule in translation.rules}
    theirs = [rule.id for rule in source.rules]
    problems = []
    missing = [rule_id for rule_id in theirs if rule_id not in mine]
    if missing:
        problems.append(Problem(translation.path, translation.body_line,
                                f"rule ids missing from this translation: {', '.join(missing)} (every rule "
                                f"of {source.path} keeps its id, so its permalink works in every language)",
                                "rules"))
    for rule in translation.rules:
        if rule.id not in theirs:
            problems.append(Problem(translation.path, rule.line,
                                    f"rule id '{rule.id}' is not in {source.path}: a translation keeps its "
                                    "source's rule ids (translate the heading, not the id)", "rules"))
    return problems


def _questions(source: model.Survey, translation: model.Survey) -> list[Problem]:
    line = translation.line_of("questions")
    ids, theirs = [q.id for q in translation.questions], [q.id for q in source.questions]
    if ids != theirs:
        return [Problem(translation.path, line, f"question ids {ids} differ from {source.path}'s {theirs}: a "
                                                "translation keeps every question id, in order", "questions")]
    return [
        Problem(translation.path, translation.line_of("questions", index, "options"),
                f"question '{mine.id}' has {len(mine.options)} options here and {len(other.options)} in "
                f"{source.path}: a translation translates each option, in the same order", "questions")
        for index, (mine, other) in enumerate(zip(translation.questions, source.questions, strict=True))
        if len(mine.options) != len(other.options)
    ]


def with_language(entry: model.Entry, lang: str, languages: Sequence[str], slug: str | None = None
                  ) -> model.Entry:
    """The entry with its resolved language, where its pages live (the default language at the
    site's root, another of ``languages`` under its code) and, for a translation, its source's slug."""
    prefix = f"{lang}/" if lang in languages[1:] else ""
    return replace(entry, lang=lang, site_prefix=prefix, slug=slug if slug is not None else entry.slug)


def foreign_language(variant: Variant, lang: str, languages: Sequence[str], line: int) -> list[Problem]:
    """In a community of several languages, an item's language must be one of them."""
    if len(languages) < 2 or lang in languages:
        return []
    return [Problem(variant.rel, line, f"lang '{lang}' is not one of the community's languages "
                                       f"([tool.tidings] languages = {list(languages)})", "lang")]
