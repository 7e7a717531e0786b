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
from tidings.content.model import Event, OccurrencePlan
from tidings.locale_data import BUILTIN, base_language


@dataclass(frozen=True)
class Occurrence:
    """One time an event takes place, in the event's own timezone, with its plan if any."""

    event: Event
    start: datetime
    end: datetime
    plan: OccurrencePlan | None = None

    @property
    def title(self) -> str:
        return self.plan.title if self.plan and self.plan.title else self.event.title

    @property
    def kind(self) -> str | None:
        return self.plan.kind if self.plan and self.plan.kind else self.event.kind

    @property
    def hosts(self) -> tuple[str, ...]:
        return self.plan.hosts if self.plan and self.plan.hosts is not None else self.event.hosts

    @property
    def description(self) -> str | None:
        """What this occurrence is about (None: the event's own text says it)."""
        return self.plan.description if self.plan else None

    @property
    def cancelled(self) -> bool:
        return bool(self.plan and self.plan.cancelled)


def occurrences(event: Event, since: datetime, until: datetime, *,
                cancelled: bool = False) -> list[Occurrence]:
    """Occurrences of ``event`` overlapping [since, until); a recurring event is expanded.

    Each carries its plan (title, kind, hosts, a moved time); cancelled ones are left out
    unless ``cancelled`` is true.
    """
    length = event.duration
    plans = {plan.original: plan for plan in event.plans}
    if not event.repeat:
        starts: Iterable[datetime] = [event.start]
    else:
        # A moved occurrence may land in the window from a rule start outside it.
        shift = max((abs(p.start - p.original) + abs(p.end - p.start - length) for p in plans.values()
                     if p.start is not None and p.end is not None), default=timedelta(0))
        # Wall-clock recurrence in the event's zone: 18:00 stays 18:00 across DST changes.
        rule = recurrence.expand(event.repeat, event.start, event.timezone)
        starts = rule.between(since - length - shift, until + shift, inc=True)
    found = []
    for start in starts:
        plan = plans.get(start)
        if plan is not None and plan.cancelled and not cancelled:
            continue
        begin, end = start, start + length
        if plan is not None and plan.start is not None and plan.end is not None:
            begin, end = plan.start, plan.end
        local = begin.astimezone(event.timezone)
        if end > since and local < until:
            found.append(Occurrence(event, local, end.astimezone(event.timezone), plan))
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
    A cancelled occurrence is an EXDATE of its series; a planned or moved one is a VEVENT of its
    own with the series' UID and a RECURRENCE-ID, after the series, sorted by date.
    """
    cal = icalendar.Calendar()
    cal.add("prodid", "-//tidings//community calendar//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    marked = {"LANGUAGE": language} if language else {}
    cal.add("x-wr-calname", config.name, parameters=marked)
    cal.add("x-wr-timezone", str(config.timezone))
    events = sorted(events, key=lambda e: e.slug)
    for event in events:
        page = event_url.get(event.path)
        master = _vevent(event, Occurrence(event, event.start, event.end), config, stamp, page, language)
        if event.repeat:
            master.add("rrule", icalendar.vRecur.from_ical(event.repeat))
        cancelled = [_ical_time(event, p.original) for p in event.plans if p.cancelled]
        if cancelled:
            master.add("exdate", cancelled)
        cal.add_component(master)
        for plan in (p for p in event.plans if not p.cancelled):
            start = plan.start or plan.original
            occurrence = Occurrence(event, start, plan.end or start + event.duration, plan)
            override = _vevent(event, occurrence, config, stamp, page, language)
            override.add("recurrence-id", _ical_time(event, plan.original))
            cal.add_component(override)
    for block in timezones(events):
        cal.add_component(block)
    return bytes(cal.to_ical())


def _ical_time(event: Event, moment: datetime) -> date | datetime:
    """A DATE for an all-day event, else the local time with the event's TZID."""
    local = moment.astimezone(event.timezone)
    return local.date() if event.all_day else local


def _vevent(event: Event, occurrence: Occurrence, config: Config, stamp: datetime,
            page: str | None, language: str | None = None) -> icalendar.Event:
    """A VEVENT for the series (its first occurrence) or for one planned occurrence; with a
    ``language``, its text is marked with the event's own language (``SUMMARY;LANGUAGE=fi``)."""
    own = {"LANGUAGE": event.lang or language} if language else {}
    vevent = icalendar.Event()
    vevent.add("uid", event_uid(event, config))
    vevent.add("dtstamp", stamp.astimezone(UTC))
    vevent.add("summary", occurrence.title, parameters=own)
    vevent.add("dtstart", _ical_time(event, occurrence.start))
    vevent.add("dtend", _ical_time(event, occurrence.end))
    if event.location:
        vevent.add("location", event.location)
    if event.url or page:
        vevent.add("url", event.url or page)
    hosts = _label(config, "calendar.hosts", language)
    description = "\n".join(filter(None, [
        occurrence.description or first_paragraph(event.body),
        hosts.format(hosts=", ".join(occurrence.hosts)) if occurrence.hosts else "",
        page or "",
    ]))
    if description:
        vevent.add("description", description, parameters=own)
    if occurrence.kind:
        vevent.add("categories", [occurrence.kind])
    return vevent


def _label(config: Config, key: str, language: str | None = None) -> str:
    """A label of ``language`` (default: the community's; a calendar file has one language)."""
    language = language or config.language
    built_in = BUILTIN.get(base_language(language), BUILTIN["en"])
    return config.label_overrides(language).get(key) or built_in[key]


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
        moved = [m.astimezone(event.timezone).date() for p in event.plans if p.start and p.end
                 for m in (p.start, p.end)]
        first = min([first, *moved])
        last = None if last is None else max([last, *moved])
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
