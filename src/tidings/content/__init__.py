"""The content model and its loader: ``load`` a repo, or ``check`` it for problems."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tidings.config import Config, load_config
from tidings.content.kinds import KINDS, Kind
from tidings.content.loader import EntryCache, load_community
from tidings.content.model import (
    Announcement,
    Community,
    Entry,
    Event,
    Guideline,
    Newsletter,
    Page,
    Rule,
    Story,
    Survey,
    Topic,
)
from tidings.content.translation_status import history_problems, missing_translations
from tidings.errors import ConfigError, ContentError, Problem

__all__ = [
    "Announcement", "Community", "Entry", "Event", "Guideline", "Newsletter", "Page", "Rule",
    "Story", "Survey", "Topic", "check", "load",
]


def check(root: Path, *, history: bool = True, cache: EntryCache | None = None,
          kinds: Sequence[Kind[Any]] = KINDS) -> tuple[Community | None, list[Problem]]:
    """Every problem in the repo at ``root`` (config included), and the model if config loads.

    ``cache`` (a dict kept by the caller) skips re-parsing files that did not change; ``kinds``
    is the registry of content kinds to read.
    """
    try:
        config: Config = load_config(root)
    except ConfigError as exc:
        # Bad settings must not hide the content's own problems: check it with the defaults.
        _, problems = load_community(root, Config(root=root, name=root.resolve().name),
                                     history=history, kinds=kinds)
        return None, sorted(exc.problems + problems)
    community, problems = load_community(root, config, history=history, cache=cache, kinds=kinds)
    if len(config.languages) > 1:
        problems.extend(missing_translations(community))
        if history:
            problems.extend(history_problems(community, root, kinds))
    return community, sorted(problems)


def load(root: Path, *, history: bool = True) -> Community:
    """The validated community at ``root``; raise ContentError listing every error."""
    community, problems = check(root, history=history)
    errors = [p for p in problems if p.severity == "error"]
    if errors or community is None:
        raise ContentError(problems)
    return community
