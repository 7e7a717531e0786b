"""Event pages, the events page with upcoming, regular and past events, and the calendar files."""

from __future__ import annotations

from datetime import datetime, timedelta, tzinfo
from typing import NamedTuple

from tidings.calendar import schedule
from tidings.content.kinds import EVENTS
from tidings.content.model import Event
from tidings.site.pages_base import PageWriter, md, rel, staged_path
from tidings.urls import calendar_path, page_url


class RegularEvent(NamedTuple):
    """A repeating event on the events page: link, readable rule and hours."""

    item: Event
    link: str
    repeats: str
    hours: str



class EventPages(PageWriter):
    """A page and an .ics file per event, the events page and ``events.ics``."""

    @property
    def ics_language(self) -> str | None:
        """The calendar files' language in a community of several languages (one: as before)."""
        return self.language if len(self.config.languages) > 1 else None

    def when(self, start: datetime, end: datetime, all_day: bool = False) -> str:
        if all_day:
            last = end - timedelta(days=1)
            days = self.text.day(start)
            if last.date() != start.date():
                days += f" – {self.text.day(last)}"
            return f"{days} ({self.text['events.all_day']})"
        return f"{self.text.day(start)}, {self.text.time_range(start, end)}"


    def event_pages(self) -> None:
        """A page and an .ics file per public event, the events page and the whole calendar."""
        now = self.view.as_of
        events = self.view.events
        for event in (e for e in events if self.own(e)):  # an untranslated one is staged in its language
            page = staged_path(event)
            self.files[page] = self.render("event.md.j2", item=event, front=self.front(event.title),
                                           details=self.event_details(event), body=self.body(event, page))
            self.files[calendar_path(event)] = schedule.build_calendar(
                [event], self.config, now, {event.path: page_url(self.config, event)},
                language=self.ics_language)
        index = self.section(EVENTS)
        regular = []
        for event in (e for e in events if e.repeat):
            assert event.repeat is not None
            first = event.start.astimezone(event.timezone)
            hours = "" if event.all_day else ", " + self.text.time_range(
                first, event.end.astimezone(event.timezone))
            regular.append(RegularEvent(event, rel(index, staged_path(event)),
                                        self.repeats(event.repeat, event.timezone), hours))
        self.files[index] = self.render(
            "calendar.md.j2", front=self.front(self.text["events.title"]), regular=regular,
            upcoming=[self.occurrence_line(o, index)
                      for o in schedule.upcoming(events, now, self.config.calendar_months)],
            past=[self.occurrence_line(o, index) for o in schedule.past(events, now) if not o.event.repeat])
        urls = {e.path: page_url(self.config, e) for e in events}
        self.files[f"{self.prefix}events.ics"] = schedule.build_calendar(events, self.config, now, urls,
                                                                         language=self.ics_language)

    def event_details(self, event: Event) -> list[tuple[str, str]]:
        """The labelled lines under an event's title: when, repeats, where, hosts, link."""
        t = self.text
        details = [(t["events.when"], self.when(event.start, event.end, event.all_day))]
        if event.repeat:
            details.append((t["events.repeats"], self.repeats(event.repeat, event.timezone)))
        if event.location:
            details.append((t["events.where"], md(event.location)))
        if event.hosts:
            details.append((t["events.hosts"], md(", ".join(event.hosts))))
        if event.url:
            details.append((t["events.link"], f"<{event.url}>"))
        return details

    def repeats(self, rule: str, tz: tzinfo) -> str:
        """The recurrence as a sentence in the page's language (never the RRULE itself)."""
        described = md(self.text.repeats(rule, tz))
        return described[0].upper() + described[1:]

    def occurrence_line(self, occurrence: schedule.Occurrence, page: str) -> str:
        event = occurrence.event
        # Title, kind and hosts are the occurrence's own when the event plans them per date.
        kind = f" · {self.text['events.kind.' + occurrence.kind]}" if occurrence.kind else ""
        hosts = f" · {md(', '.join(occurrence.hosts))}" if occurrence.hosts else ""
        where = f" · {md(event.location)}" if event.location else ""
        return (f"- **{self.when(occurrence.start, occurrence.end, event.all_day)}** · "
                f"[{md(occurrence.title)}]({rel(page, staged_path(event))}){self.untranslated_note(event)}"
                f"{kind}{hosts}{where}\n")
