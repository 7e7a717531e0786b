"""What ``check`` says about translations as a whole: which are missing, out of date, or orphaned.

Missing translations are a summary per language (a notice: a community translates what it
chooses). Git tells the rest, in one ``git log`` over the content folders: a translation whose
source changed in a later commit than the translation may be out of date (a warning naming both
commits), and a ``x.fi.md`` whose ``x.md`` was deleted has lost its source (an error).
"""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Any

from tidings.content import model
from tidings.content.kinds import KINDS, Kind
from tidings.content.loader import content_files
from tidings.content.translations import name_language
from tidings.errors import Problem
from tidings.locales import language_name


@dataclass(frozen=True)
class Change:
    """The last commit that touched a path."""

    commit: str
    date: datetime
    deleted: bool

    def __str__(self) -> str:
        return f"{self.commit[:10]} ({self.date.date().isoformat()})"


def missing_translations(community: model.Community) -> list[Problem]:
    """Per language other than the default: the default-language items it has no version of."""
    config = community.config
    items = [e for e in community.entries()
             if not e.hidden and (e.lang or config.language) == config.language]
    problems = []
    for lang in config.languages[1:]:
        missing = [e.path for e in items if lang not in community.versions(e)]
        if missing:
            shown = ", ".join(missing[:8]) + (f" and {len(missing) - 8} more" if len(missing) > 8 else "")
            name = language_name(lang, "en")
            problems.append(Problem("pyproject.toml", 0, f"{len(missing)} of {len(items)} items have no "
                                    f"{name} ({lang}) version yet: {shown}", "languages", "notice"))
    return problems


def last_changes(root: Path, folders: Sequence[str]) -> dict[str, Change]:
    """The last commit of every path ever under ``folders``; {} outside a git repo."""
    try:
        log = subprocess.run(
            ["git", "log", "--format=%x00%H %cI", "--name-status", "--no-renames", "--", *folders],
            cwd=root, capture_output=True, text=True, check=True, timeout=60,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return {}
    changes: dict[str, Change] = {}
    for block in log.split("\0")[1:]:
        header, _, files = block.partition("\n")
        commit, stamp = header.split(" ", 1)
        for line in files.splitlines():
            status, _, path = line.partition("\t")
            if path and path not in changes:  # newest first: the first seen is the last change
                changes[path] = Change(commit, datetime.fromisoformat(stamp.strip()), status.startswith("D"))
    return changes


def history_problems(community: model.Community, root: Path, kinds: Sequence[Kind[Any]] = KINDS
                     ) -> list[Problem]:
    """Translations older than their source's last change; single-language files whose source is gone."""
    changes = last_changes(root, [kind.folder for kind in kinds])
    if not changes:
        return []
    problems = []
    for entry in community.entries():
        for version in community.versions(entry).values():
            if version is entry:
                continue
            mine, theirs = changes.get(version.path), changes.get(entry.path)
            if mine and theirs and theirs.date > mine.date:
                problems.append(Problem(version.path, 1,
                                        f"possibly out of date: {entry.path} changed in {theirs} after this "
                                        f"translation's last change in {mine}", "lang", "warning"))
    existing = {rel for _, rel, _ in content_files(root, kinds)}
    for rel in sorted(existing):
        problems.extend(_lost_source(rel, existing, changes))
    return problems


def _lost_source(rel: str, existing: set[str], changes: dict[str, Change]) -> list[Problem]:
    """A ``x.fi.md`` with no other version left, whose ``x.md`` (or another version) git saw deleted."""
    path = PurePosixPath(rel)
    stem, suffix, _ = name_language(path.stem)
    if suffix is None:
        return []
    siblings = {p for p in {*changes, *existing} if p != rel and PurePosixPath(p).parent == path.parent
                and name_language(PurePosixPath(p).stem)[0] == stem}
    if siblings & existing:
        return []
    for sibling in sorted(siblings, key=lambda p: (name_language(PurePosixPath(p).stem)[1] is not None, p)):
        change = changes.get(sibling)
        if change and change.deleted:
            return [Problem(rel, 1, f"the source of this translation, {sibling}, was deleted in "
                                           f"{change}: restore it, or rename this file to {stem}.md if it "
                                           "is now the item's source", "lang")]
    return []
