"""Event occurrences (recurring events expanded) and the subscribable iCalendar file."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import icalendar
from dateutil.relativedelta import relativedelta

from tidings.calendar.vtimezone import build_vtimezone
from tidings.config import Config
from tidings.content import recurrence
from tidings.content.excerpt import first_paragraph
from tidings.content.model import Event
from tidings.locale_data import BUILTIN


@dataclass(frozen=True)
class Occurrence:
    """One time an event takes place, in the event's own timezone."""

    event: Event
    start: datetime
    end: datetime


def occurrences(event: Event, since: datetime, until: datetime) -> list[Occurrence]:
    """Occurrences of ``event`` overlapping [since, until); a recurring event is expanded."""
    length = event.duration
    if not event.repeat:
        starts: Iterable[datetime] = [event.start]
    else:
        # Wall-clock recurrence in the event's zone: 18:00 stays 18:00 across DST changes.
        rule = recurrence.expand(event.repeat, event.start, event.timezone)
        starts = rule.between(since - length, until, inc=True)
    found = []
    for start in starts:
        local = start.astimezone(event.timezone)
        end = local + length
        if end > since and local < until:
            found.append(Occurrence(event, local, end.astimezone(event.timezone)))
    return found


def upcoming(events: Iterable[Event], now: datetime, months: int) -> list[Occurrence]:
    """Every occurrence from ``now`` for ``months`` months, soonest first."""
    until = now + relativedelta(months=months)
    found = [o for e in events for o in occurrences(e, now, until)]
    return sorted(found, key=lambda o: (o.start, o.event.slug))


def past(events: Iterable[Event], now: datetime, months: int = 12) -> list[Occurrence]:
    """Occurrences that ended before ``now`` (the last ``months`` months), latest first."""
    since = now - relativedelta(months=months)
    found = [o for e in events for o in occurrences(e, since, now) if o.end <= now]
    return sorted(found, key=lambda o: (o.start, o.event.slug), reverse=True)


def event_uid(event: Event, config: Config) -> str:
    """Stable UID: the same event keeps it across builds, so calendar apps update it in place."""
    return f"{event.slug}@{config.host}"


def build_calendar(events: Iterable[Event], config: Config, stamp: datetime,
                   event_url: dict[str, str], language: str | None = None) -> bytes:
    """An RFC 5545 calendar of ``events`` (RRULEs kept, VTIMEZONEs included).

    ``language``: the calendar of one language of a multilingual site: its labels, and each
    event's text marked with the event's own language (``SUMMARY;LANGUAGE=fi``).
    """
    cal = icalendar.Calendar()
    cal.add("prodid", "-//tidings//community calendar//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    marked = {"LANGUAGE": language} if language else {}
    cal.add("x-wr-calname", config.name, parameters=marked)
    cal.add("x-wr-timezone", str(config.timezone))
    events = sorted(events, key=lambda e: e.slug)
    hosts = _label(config, "calendar.hosts", language)
    for event in events:
        vevent = icalendar.Event()
        vevent.add("uid", event_uid(event, config))
        vevent.add("dtstamp", stamp.astimezone(UTC))
        own = {"LANGUAGE": event.lang or language} if language else {}
        vevent.add("summary", event.title, parameters=own)
        if event.all_day:
            vevent.add("dtstart", event.start.astimezone(event.timezone).date())
            vevent.add("dtend", event.end.astimezone(event.timezone).date())
        else:
            vevent.add("dtstart", event.start.astimezone(event.timezone))
            vevent.add("dtend", event.end.astimezone(event.timezone))
        if event.repeat:
            vevent.add("rrule", icalendar.vRecur.from_ical(event.repeat))
        if event.location:
            vevent.add("location", event.location)
        page = event_url.get(event.path)
        if event.url or page:
            vevent.add("url", event.url or page)
        description = "\n".join(filter(None, [
            first_paragraph(event.body),
            hosts.format(hosts=", ".join(event.hosts)) if event.hosts else "",
            page or "",
        ]))
        if description:
            vevent.add("description", description, parameters=own)
        if event.kind:
            vevent.add("categories", [event.kind])
        cal.add_component(vevent)
    for block in timezones(events):
        cal.add_component(block)
    return bytes(cal.to_ical())


def _label(config: Config, key: str, language: str | None = None) -> str:
    """A label of ``language`` (default: the community's; a calendar file has one language)."""
    language = language or config.language
    base = language.replace("_", "-").split("-")[0].lower()
    return config.label_overrides(language).get(key) or BUILTIN.get(base, BUILTIN["en"])[key]


def timezones(events: Iterable[Event]) -> list[icalendar.Timezone]:
    """One VTIMEZONE per zone of the timed events, sorted by name, covering every occurrence."""
    spans: dict[str, tuple[date, date | None]] = {}
    for event in events:
        if event.all_day:
            continue  # DATE values carry no TZID
        key = str(event.timezone)
        first = event.start.astimezone(event.timezone).date()
        last: date | None = (event.end.astimezone(event.timezone).date() if not event.repeat
                             else _last_day(event))
        if key in spans:
            known_first, known_last = spans[key]
            first = min(first, known_first)
            last = None if last is None or known_last is None else max(last, known_last)
        spans[key] = (first, last)
    # Sorted: the same sources give the same bytes whatever the hash seed.
    return [build_vtimezone(key, *spans[key]) for key in sorted(spans)]


def _last_day(event: Event) -> date | None:
    assert event.repeat is not None
    last = recurrence.last_start(event.repeat, event.start, event.timezone)
    return None if last is None else (last + event.duration).astimezone(event.timezone).date()


def format_offset(moment: datetime) -> str:
    """``UTC+02:00`` for a moment, as shown next to event times."""
    offset = moment.utcoffset() or timedelta(0)
    sign = "-" if offset < timedelta(0) else "+"
    minutes = abs(int(offset.total_seconds())) // 60
    return f"UTC{sign}{minutes // 60:02d}:{minutes % 60:02d}"
