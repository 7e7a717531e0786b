"""What ``new`` writes for each kind: front matter that passes ``check``, and a short body to fill in.

Each skeleton takes the title, the moment the editor gave (or a sensible default) and the slug,
and returns the front matter in the order an editor reads it, plus the body.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from tidings.content.kinds import (
    ANNOUNCEMENTS,
    EVENTS,
    GUIDELINES,
    NEWSLETTERS,
    PAGES,
    STORIES,
    SURVEYS,
    TOPICS,
)


@dataclass(frozen=True)
class Draft:
    """What the editor asked for, resolved: the moment is written as ``when`` (ISO text)."""

    title: str
    slug: str
    today: date
    when: str | None = None  # --date as given (validated), None when absent
    week: str | None = None  # topics: the ISO week
    host: str | None = None  # topics: who opens the discussion


Skeleton = Callable[[Draft], tuple[dict[str, Any], str]]


def _at(draft: Draft, hour: int, days_ahead: int) -> str:
    """A date-time: the one given (a date alone gets ``hour``), else ``days_ahead`` from today."""
    if draft.when is not None and len(draft.when) > 10:
        return draft.when
    day = date.fromisoformat(draft.when) if draft.when else draft.today + timedelta(days=days_ahead)
    return datetime.combine(day, time(hour)).isoformat(timespec="minutes")


def announcement(d: Draft) -> tuple[dict[str, Any], str]:
    return ({"title": d.title, "date": d.when or d.today.isoformat()},
            "What is new, in a few sentences: what changed, who it is for, where to read more.")


def story(d: Draft) -> tuple[dict[str, Any], str]:
    # consent stays false until the member has agreed in writing: check shows it as awaiting consent.
    return ({"title": d.title, "date": d.when or d.today.isoformat(), "member": "Their display name",
             "consent": False},
            "The member's story, in their words: what they do, and what the community changed for them.")


def event(d: Draft) -> tuple[dict[str, Any], str]:
    return ({"title": d.title, "start": _at(d, 18, 7), "duration": "PT1H", "kind": "call"},
            "What happens, who it is for, and how to join.")


def survey(d: Draft) -> tuple[dict[str, Any], str]:
    meta: dict[str, Any] = {"id": d.slug, "title": d.title}
    if d.when:
        meta["opens"] = d.when
    meta["questions"] = [{"id": "first-question", "text": "Is this a useful question?",
                          "options": ["Yes", "No"]}]
    return meta, "Why we ask, and what we will do with the answers."


def page(d: Draft) -> tuple[dict[str, Any], str]:
    meta: dict[str, Any] = {"title": d.title}
    if d.when:
        meta["date"] = d.when
    return meta, "What this page is for."


def guideline(d: Draft) -> tuple[dict[str, Any], str]:
    meta: dict[str, Any] = {"title": d.title}
    if d.when:
        meta["updated"] = d.when
    # Every rule is a heading with a permanent id: its permalink never changes meaning.
    return meta, "## First rule {#first-rule}\n\nWhat members agree to, in a sentence or two."


def newsletter(d: Draft) -> tuple[dict[str, Any], str]:
    return ({"subject": d.title, "send_at": _at(d, 9, 7), "include": "auto"},
            "Hello,\n\nWhat this issue is about, in a few lines.")


def topic(d: Draft) -> tuple[dict[str, Any], str]:
    meta: dict[str, Any] = {"title": d.title}
    if d.week:
        meta["week"] = d.week
    else:
        meta["date"] = d.when
    if d.host:
        meta["host"] = d.host
    return meta, "The opening post: the question the host asks, and why it matters now."


SKELETONS: dict[str, Skeleton] = {
    ANNOUNCEMENTS.name: announcement, STORIES.name: story, EVENTS.name: event,
    SURVEYS.name: survey, PAGES.name: page, GUIDELINES.name: guideline,
    NEWSLETTERS.name: newsletter, TOPICS.name: topic,
}
