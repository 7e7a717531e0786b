"""The content model: one immutable dataclass per kind of file in a community repo."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from tidings.config import Config
    from tidings.content.feedback_csv import FeedbackRow


@dataclass(frozen=True, kw_only=True)
class Entry:
    """What every content file has: where it came from, its slug, title and Markdown body."""

    path: str
    slug: str
    title: str
    body: str
    body_line: int
    lang: str | None = None
    draft: bool = False
    # Line of each front-matter key in the file, for problems found after loading.
    lines: Mapping[tuple[str | int, ...], int] = field(default_factory=dict, compare=False, repr=False)

    def line_of(self, *keys: str | int) -> int:
        """Line of a front-matter key in the file (1, the opening '---', if unknown)."""
        return self.lines.get(keys, 1)

    @property
    def public_from(self) -> datetime | None:
        """When the item may appear on the public site (None: always)."""
        return None

    @property
    def hidden(self) -> bool:
        """Never public, whatever the date (drafts, stories awaiting consent)."""
        return self.draft


def is_public(entry: Entry, at: datetime) -> bool:
    """An item is public at ``at`` unless hidden (draft, no consent) or dated later."""
    if entry.hidden:
        return False
    public_from = entry.public_from
    return public_from is None or public_from <= at


@dataclass(frozen=True, kw_only=True)
class Announcement(Entry):
    date: datetime
    summary: str | None = None
    tags: tuple[str, ...] = ()
    authors: tuple[str, ...] = ()
    image: str | None = None

    @property
    def public_from(self) -> datetime | None:
        return self.date


@dataclass(frozen=True, kw_only=True)
class Story(Entry):
    date: datetime
    member: str
    consent: bool
    quote: str | None = None
    image: str | None = None
    role: str | None = None
    tags: tuple[str, ...] = ()

    @property
    def public_from(self) -> datetime | None:
        return self.date

    @property
    def hidden(self) -> bool:
        return self.draft or self.consent is not True


EVENT_KINDS = ("call", "meetup", "webinar", "qa", "tutorial")


@dataclass(frozen=True, kw_only=True)
class Event(Entry):
    start: datetime
    end: datetime
    timezone: ZoneInfo
    location: str | None = None
    url: str | None = None
    hosts: tuple[str, ...] = ()
    kind: str | None = None
    repeat: str | None = None
    announced: datetime | None = None
    all_day: bool = False

    @property
    def duration(self) -> timedelta:
        return self.end - self.start

    @property
    def public_from(self) -> datetime | None:
        return self.announced


@dataclass(frozen=True)
class Question:
    id: str
    text: str
    options: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class Survey(Entry):
    id: str
    questions: tuple[Question, ...]
    opens: datetime | None = None
    closes: datetime | None = None
    allow_comment: bool = False
    publish_comments: bool = False

    @property
    def public_from(self) -> datetime | None:
        return self.opens

    def is_open(self, at: datetime) -> bool:
        """Answers are accepted at ``at``."""
        return (self.opens is None or self.opens <= at) and (self.closes is None or at < self.closes)


@dataclass(frozen=True, kw_only=True)
class Page(Entry):
    description: str | None = None
    date: datetime | None = None
    hide: tuple[str, ...] = ()
    order: int | None = None

    @property
    def public_from(self) -> datetime | None:
        return self.date


@dataclass(frozen=True)
class Rule:
    """One community rule: a ``##`` heading with an explicit, permanent id."""

    id: str
    title: str
    line: int
    text: str


@dataclass(frozen=True, kw_only=True)
class Guideline(Entry):
    rules: tuple[Rule, ...]
    order: int | None = None
    updated: datetime | None = None
    retired: tuple[str, ...] = ()


@dataclass(frozen=True)
class Audience:
    tags: tuple[str, ...] = ()
    lang: str | None = None


@dataclass(frozen=True, kw_only=True)
class Newsletter(Entry):
    subject: str
    send_at: datetime
    audience: Audience = field(default_factory=Audience)
    include: tuple[str, ...] | str = ()
    survey: str | None = None
    preheader: str | None = None
    template: str | None = None


@dataclass(frozen=True)
class Community:
    """Everything in one community repo, validated."""

    config: Config
    announcements: tuple[Announcement, ...] = ()
    stories: tuple[Story, ...] = ()
    events: tuple[Event, ...] = ()
    surveys: tuple[Survey, ...] = ()
    pages: tuple[Page, ...] = ()
    guidelines: tuple[Guideline, ...] = ()
    newsletters: tuple[Newsletter, ...] = ()
    # Answers per survey id, from feedback/<survey>.csv.
    feedback: Mapping[str, tuple[FeedbackRow, ...]] = field(default_factory=dict)

    def entries(self) -> tuple[Entry, ...]:
        """Every item of every kind, in a stable order."""
        return (
            *self.announcements, *self.stories, *self.events, *self.surveys,
            *self.pages, *self.guidelines, *self.newsletters,
        )

    def by_path(self) -> dict[str, Entry]:
        return {entry.path: entry for entry in self.entries()}
