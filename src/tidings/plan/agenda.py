"""What is scheduled, week by week, from the whole model (drafts and held-back items included).

The team's view, never published: it reads the community as loaded, not the as-of view. The
same sources and the same start give the same agenda (nothing here reads the clock).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from tidings.calendar.schedule import occurrences
from tidings.content.kinds import kind_of
from tidings.content.model import Community, Entry, Event, Newsletter, Story, Survey, Topic
from tidings.issue import issue_content


@dataclass(frozen=True, order=True)
class Planned:
    """One thing that happens at one moment: an item going public, an issue sent, an event held."""

    when: datetime
    what: str  # "public", "send", "event", "topic", "opens", "closes"
    title: str
    path: str
    note: str = ""
    all_week: bool = False  # a week's topic: the whole week, no time


@dataclass(frozen=True)
class Week:
    """One ISO week of the plan: its Monday, what happens in it and what is missing."""

    start: datetime
    items: tuple[Planned, ...]
    gaps: tuple[str, ...]

    @property
    def label(self) -> str:
        year, number, _ = self.start.isocalendar()
        return f"{year}-W{number:02d}"


@dataclass(frozen=True)
class Agenda:
    """The plan: its weeks, and what waits without a date (drafts, stories awaiting consent)."""

    start: datetime
    weeks: tuple[Week, ...]
    drafts: tuple[Entry, ...] = ()
    awaiting_consent: tuple[Story, ...] = field(default=())


def monday(day: date, zone: object) -> datetime:
    """00:00 on the Monday of ``day``'s ISO week, in the community's timezone."""
    first = day - timedelta(days=day.weekday())
    return datetime.combine(first, time(0), tzinfo=zone)  # type: ignore[arg-type]


def _state(entry: Entry) -> str:
    if isinstance(entry, Story) and not entry.draft and entry.consent is not True:
        return "awaiting consent"
    return "draft" if entry.draft else ""


def _versions(community: Community, entry: Entry) -> str:
    languages = sorted(community.versions(entry))
    return ", ".join(languages) if len(languages) > 1 else ""


def _notes(*parts: str) -> str:
    return "; ".join(part for part in parts if part)


def _going_public(community: Community, entry: Entry) -> Iterator[Planned]:
    kind = kind_of(entry)
    if entry.public_from is not None and not kind.mailed and not isinstance(entry, Survey):
        yield Planned(entry.public_from, "public", entry.title, entry.path,
                      _notes(_state(entry), _versions(community, entry)))


def _newsletter(community: Community, letter: Newsletter) -> Iterator[Planned]:
    audience = letter.audience
    who = ", ".join([*(f"#{tag}" for tag in audience.tags), *([audience.lang] if audience.lang else [])])
    yield Planned(letter.send_at, "send", letter.subject, letter.path,
                  _notes(_state(letter), f"to {who}" if who else "to everyone",
                         _versions(community, letter)))


def _event(event: Event, since: datetime, until: datetime) -> Iterator[Planned]:
    """Every occurrence as planned (its own title, kind and hosts); a cancelled one says so."""
    for occurrence in occurrences(event, since, until, cancelled=True):
        hosts = f"hosts: {', '.join(occurrence.hosts)}" if occurrence.hosts else ""
        yield Planned(occurrence.start, "event", occurrence.title, event.path,
                      _notes("cancelled" if occurrence.cancelled else "", _state(event),
                             occurrence.kind or "", hosts))


def _survey(survey: Survey) -> Iterator[Planned]:
    if survey.opens is not None:
        yield Planned(survey.opens, "opens", survey.title, survey.path, _state(survey))
    if survey.closes is not None:
        yield Planned(survey.closes, "closes", survey.title, survey.path, _state(survey))


def _topic(topic: Topic) -> Iterator[Planned]:
    yield Planned(topic.week_start, "topic", topic.title, topic.path,
                  _notes(_state(topic), f"host: {topic.host}" if topic.host else "no host yet"),
                  all_week=topic.week is not None)


def planned(community: Community, since: datetime, until: datetime) -> list[Planned]:
    """Everything that happens in [since, until), in time order."""
    found: list[Planned] = []
    for entry in community.entries():
        if isinstance(entry, Newsletter):
            found.extend(_newsletter(community, entry))
        elif isinstance(entry, Event):
            found.extend(_event(entry, since, until))
        elif isinstance(entry, Survey):
            found.extend(_survey(entry))
        if isinstance(entry, Topic):
            found.extend(_topic(entry))
        else:
            found.extend(_going_public(community, entry))
    return sorted(p for p in found if since <= p.when < until)


def _gaps(community: Community, items: Iterable[Planned], has_topics: bool,
          letters: dict[str, Newsletter]) -> list[str]:
    items = list(items)
    gaps = []
    if has_topics and not any(p.what == "topic" and "draft" not in p.note for p in items):
        gaps.append("no topic this week")
    gaps += [f"topic without a host: {p.title} ({p.path})" for p in items
             if p.what == "topic" and "no host yet" in p.note]
    for p in items:
        letter = letters.get(p.path)
        if p.what == "send" and letter is not None and not letter.draft:
            content = issue_content(community, letter, letter.send_at)
            if not (content.included or content.events or content.survey or content.rule_changes):
                gaps.append(f"issue with nothing new to include: {letter.subject} ({letter.path})")
    return gaps


def agenda(community: Community, start: date, weeks: int) -> Agenda:
    """The plan for ``weeks`` weeks from the Monday of ``start``'s week."""
    zone = community.config.timezone
    first = monday(start, zone)
    has_topics = bool(community.topics)
    letters = {n.path: n for n in community.newsletters}
    # Local midnights, so a week stays Monday to Sunday across a DST change.
    starts = [monday((first + timedelta(days=7 * index)).date(), zone) for index in range(weeks + 1)]
    everything = planned(community, starts[0], starts[-1])  # read once, then cut into weeks
    built = []
    for since, until in zip(starts, starts[1:], strict=False):
        items = [p for p in everything if since <= p.when < until]
        built.append(Week(since, tuple(items), tuple(_gaps(community, items, has_topics, letters))))
    undated = [e for e in community.entries() if e.draft and e.public_from is None
               and not isinstance(e, Newsletter | Event | Survey)]
    waiting = [s for s in community.stories if not s.draft and s.consent is not True]
    return Agenda(first, tuple(built), tuple(undated), tuple(waiting))
