"""The content model: one immutable dataclass per kind of file in a community repo."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from functools import cached_property
from typing import TYPE_CHECKING, TypeVar
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
    # Where its pages live in the site: "" for the default language, "fi/" for a Finnish version.
    site_prefix: str = ""
    draft: bool = False
    # When the item may appear on the public site (None: always); set by its kind's public-date rule.
    public_from: datetime | None = None
    # Line of each front-matter key in the file, for problems found after loading.
    lines: Mapping[tuple[str | int, ...], int] = field(default_factory=dict, compare=False, repr=False)

    def line_of(self, *keys: str | int) -> int:
        """Line of a front-matter key in the file (1, the opening '---', if unknown)."""
        return self.lines.get(keys, 1)

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
    def hidden(self) -> bool:
        return self.draft or self.consent is not True


EVENT_KINDS = ("call", "meetup", "webinar", "qa", "tutorial")


@dataclass(frozen=True, kw_only=True)
class OccurrencePlan:
    """What one occurrence of a repeating event is about, from the event's ``occurrences``."""

    day: date  # the local start date the editor wrote
    original: datetime  # the rule's start that day (the iCalendar RECURRENCE-ID)
    title: str | None = None
    kind: str | None = None
    hosts: tuple[str, ...] | None = None
    description: str | None = None
    # Set together when the occurrence is moved; None keeps the rule's time.
    start: datetime | None = None
    end: datetime | None = None
    cancelled: bool = False


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
    # Per-occurrence plans of a repeating event, sorted by day.
    plans: tuple[OccurrencePlan, ...] = ()

    @property
    def duration(self) -> timedelta:
        return self.end - self.start


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

    def is_open(self, at: datetime) -> bool:
        """Answers are accepted at ``at``."""
        return (self.opens is None or self.opens <= at) and (self.closes is None or at < self.closes)


@dataclass(frozen=True, kw_only=True)
class Page(Entry):
    description: str | None = None
    date: datetime | None = None
    hide: tuple[str, ...] = ()
    order: int | None = None


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


@dataclass(frozen=True, kw_only=True)
class Topic(Entry):
    """A discussion topic for one week (or from one day), opened by its host."""

    week_start: datetime  # Monday 00:00 of its week in the community's timezone, or its date
    week: str | None = None  # "2027-W03" as written; None when the topic gives a date
    host: str | None = None  # "Aino Virtanen, CTO"; None: nobody yet (the plan lists it)
    survey: str | None = None
    discussion: str | None = None


E = TypeVar("E", bound=Entry)


class ByKind:
    """Items grouped by kind name (in registry order), with typed access for the built-in kinds."""

    items: Mapping[str, tuple[Entry, ...]]

    def of_kind(self, name: str) -> tuple[Entry, ...]:
        """The items of the kind called ``name`` (e.g. ``"announcement"``)."""
        return self.items.get(name, ())

    def of(self, model: type[E]) -> tuple[E, ...]:
        """The items that are ``model`` objects, in their kind's order."""
        return tuple(entry for entry in self.entries() if isinstance(entry, model))

    def entries(self) -> tuple[Entry, ...]:
        """Every item of every kind, in a stable order."""
        return tuple(entry for group in self.items.values() for entry in group)

    @cached_property
    def announcements(self) -> tuple[Announcement, ...]:
        return self.of(Announcement)

    @cached_property
    def stories(self) -> tuple[Story, ...]:
        return self.of(Story)

    @cached_property
    def events(self) -> tuple[Event, ...]:
        return self.of(Event)

    @cached_property
    def surveys(self) -> tuple[Survey, ...]:
        return self.of(Survey)

    @cached_property
    def pages(self) -> tuple[Page, ...]:
        return self.of(Page)

    @cached_property
    def guidelines(self) -> tuple[Guideline, ...]:
        return self.of(Guideline)

    @cached_property
    def newsletters(self) -> tuple[Newsletter, ...]:
        return self.of(Newsletter)

    @cached_property
    def topics(self) -> tuple[Topic, ...]:
        return self.of(Topic)


@dataclass(frozen=True)
class Community(ByKind):
    """Everything in one community repo, validated."""

    config: Config
    # Items per kind name, in the registry's order (see tidings.content.kinds).
    items: Mapping[str, tuple[Entry, ...]] = field(default_factory=dict)
    # Answers per survey id, from feedback/<survey>.csv.
    feedback: Mapping[str, tuple[FeedbackRow, ...]] = field(default_factory=dict)
    # Translations per source path and language: content/announcements/x.md -> {"fi": <x.fi.md>}.
    translations: Mapping[str, Mapping[str, Entry]] = field(default_factory=dict)

    def by_path(self) -> dict[str, Entry]:
        """Every file's item by its path, translations included."""
        found = {entry.path: entry for entry in self.entries()}
        found.update((t.path, t) for versions in self.translations.values() for t in versions.values())
        return found

    def versions(self, entry: E) -> dict[str, E]:
        """Every language version of an item (itself included), by language code."""
        found: dict[str, E] = {entry.lang or self.config.language: entry}
        found.update((lang, t) for lang, t in self.translations.get(entry.path, {}).items()
                     if isinstance(t, type(entry)))
        return found

    def in_language(self, lang: str, *, untranslated: str = "show") -> Community:
        """The community as a member reading ``lang`` sees it: each item in that language.

        An item without a (visible) ``lang`` version is kept in its own language when
        ``untranslated`` is ``"show"`` and left out when it is ``"hide"``.
        """
        def pick(entry: Entry) -> Entry | None:
            version = self.versions(entry).get(lang)
            if version is not None and (not version.hidden or entry.hidden):
                return version
            return entry if untranslated == "show" else None

        items = {name: tuple(v for v in map(pick, group) if v is not None)
                 for name, group in self.items.items()}
        return replace(self, items=items)
