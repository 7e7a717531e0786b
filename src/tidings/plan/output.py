"""The plan as text for the terminal, as a Markdown table for GitHub, and as an iCalendar file."""

from __future__ import annotations

import hashlib
from datetime import UTC, timedelta

import icalendar

from tidings.config import Config
from tidings.plan.agenda import Agenda, Planned, Week

WHAT = {"public": "goes public", "send": "sent", "event": "event", "topic": "topic",
        "opens": "survey opens", "closes": "survey closes"}


def _span(week: Week) -> str:
    end = week.start + timedelta(days=6)
    return f"{week.start:%a %d %b} – {end:%a %d %b %Y}"


def _when(item: Planned, config: Config) -> str:
    local = item.when.astimezone(config.timezone)
    return f"{local:%a %d %b}" + ("" if item.all_week else f" {local:%H:%M}")


def text(agenda: Agenda, config: Config) -> str:
    """For the terminal: a block per week, one line per item, the gaps marked with '!'."""
    lines = [f"Plan for {config.name}: {len(agenda.weeks)} weeks from {agenda.start:%A %d %B %Y} "
             f"({config.timezone.key})"]
    for week in agenda.weeks:
        lines += ["", f"{week.label} · {_span(week)}"]
        if not week.items and not week.gaps:
            lines.append("  nothing scheduled")
        for item in week.items:
            note = f"  ({item.note})" if item.note else ""
            lines.append(f"  {_when(item, config):<16} {WHAT[item.what]:<13} {item.title}  "
                         f"[{item.path}]{note}")
        lines += [f"  ! {gap}" for gap in week.gaps]
    lines += _waiting(agenda, "  ")
    return "\n".join(lines) + "\n"


def _waiting(agenda: Agenda, indent: str) -> list[str]:
    lines = []
    if agenda.drafts:
        lines += ["", "Drafts without a date:"] + [f"{indent}{e.title}  [{e.path}]" for e in agenda.drafts]
    if agenda.awaiting_consent:
        lines += ["", "Stories awaiting the member's consent:"]
        lines += [f"{indent}{s.title} ({s.member})  [{s.path}]" for s in agenda.awaiting_consent]
    return lines


def _cell(value: str) -> str:
    """A table cell: pipes and line breaks would end the cell or the row."""
    return value.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def markdown(agenda: Agenda, config: Config) -> str:
    """A Markdown table per week, which reads well in GitHub's file view."""
    lines = [f"# Plan for {_cell(config.name)}", "",
             f"{len(agenda.weeks)} weeks from {agenda.start:%A %d %B %Y} ({config.timezone.key}).", ""]
    for week in agenda.weeks:
        lines += [f"## {week.label} · {_span(week)}", ""]
        if week.items:
            lines += ["| When | What | Item | Notes |", "| --- | --- | --- | --- |"]
            lines += [f"| {_when(i, config)} | {WHAT[i.what]} | {_cell(i.title)} (`{_cell(i.path)}`) | "
                      f"{_cell(i.note)} |" for i in week.items]
            lines.append("")
        lines += [f"- ⚠️ {_cell(gap)}" for gap in week.gaps] + ([""] if week.gaps else [])
        if not week.items and not week.gaps:
            lines += ["Nothing scheduled.", ""]
    waiting = _waiting(agenda, "- ")
    return "\n".join(lines + [line.replace("Drafts", "## Drafts").replace("Stories a", "## Stories a")
                              if line.endswith(":") else line for line in waiting]) + "\n"


def _uid(item: Planned | str, config: Config) -> str:
    key = item if isinstance(item, str) else f"{item.what}|{item.path}|{item.when.isoformat()}"
    return f"plan-{hashlib.sha1(key.encode(), usedforsecurity=False).hexdigest()[:16]}@{config.host}"


def ics(agenda: Agenda, config: Config) -> bytes:
    """An iCalendar file the team subscribes to: every item, and each gap as an all-day note."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//tidings//plan//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", f"{config.name}: plan")
    for week in agenda.weeks:
        for item in week.items:
            event = icalendar.Event()
            event.add("uid", _uid(item, config))
            # Not the clock: the same plan gives the same file.
            event.add("dtstamp", agenda.start.astimezone(UTC))
            if item.all_week:
                event.add("dtstart", item.when.date())
                event.add("dtend", item.when.date() + timedelta(days=7))
            else:
                moment = item.when.astimezone(UTC)  # UTC: valid without a VTIMEZONE of its own
                event.add("dtstart", moment)
                event.add("dtend", moment + timedelta(minutes=30))
            event.add("summary", f"{WHAT[item.what]}: {item.title}")
            event.add("description", "\n".join(filter(None, [item.note, item.path])))
            calendar.add_component(event)
        for gap in week.gaps:
            note = icalendar.Event()
            note.add("uid", _uid(f"gap|{week.label}|{gap}", config))
            note.add("dtstamp", agenda.start.astimezone(UTC))
            note.add("dtstart", week.start.date())
            note.add("dtend", week.start.date() + timedelta(days=1))
            note.add("summary", f"Gap: {gap}")
            calendar.add_component(note)
    return bytes(calendar.to_ical())
