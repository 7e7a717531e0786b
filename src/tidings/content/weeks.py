"""ISO 8601 weeks as editors write them (``2027-W03``): parse, name, and find their Monday."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, tzinfo

_WEEK_RE = re.compile(r"([0-9]{4})-W([0-9]{2})")  # ASCII digits only; used with fullmatch
# Near misses worth a precise hint: lowercase 'w', one digit, a space, a day number after the week.
_LOOSE_RE = re.compile(r"\s*([0-9]{4})\s*-?\s*[Ww]\s*([0-9]{1,2})(?:-[0-9])?\s*")
EXAMPLE = "2027-W03"


def weeks_in_year(year: int) -> int:
    """52 or 53: an ISO year has 53 weeks when its 28 December falls in week 53."""
    return date(year, 12, 28).isocalendar()[1]


def parse_week(text: str) -> tuple[int, int]:
    """(year, week) of ``2027-W03``; ValueError with a message an editor understands."""
    match = _WEEK_RE.fullmatch(text)
    if match is None:
        loose = _LOOSE_RE.fullmatch(text)
        if loose is not None:
            suggestion = week_name(int(loose[1]), int(loose[2]))
            parse_week(suggestion)  # an impossible week gets its own message
            raise ValueError(f"{text!r} is not an ISO week: write {suggestion}")
        raise ValueError(f"{text!r} is not an ISO week (expected e.g. {EXAMPLE})")
    year, week = int(match[1]), int(match[2])
    if not 1000 <= year <= 9000:
        raise ValueError(f"{text!r} has an unlikely year {year} (expected e.g. {EXAMPLE})")
    if week == 0:
        raise ValueError(f"weeks are numbered from W01: there is no {text}")
    last = weeks_in_year(year)
    if week > last:
        raise ValueError(f"{year} has {last} ISO weeks: there is no {text}")
    return year, week


def week_name(year: int, week: int) -> str:
    """``2027-W03``: the ISO form, zero-padded."""
    return f"{year:04d}-W{week:02d}"


def week_of(day: date) -> str:
    """The ISO week a day falls in (``2027-01-20`` is in ``2027-W03``)."""
    year, week, _ = day.isocalendar()
    return week_name(year, week)


def week_start(year: int, week: int, tz: tzinfo) -> datetime:
    """Monday 00:00 of the week, wall time in ``tz``."""
    return datetime.combine(date.fromisocalendar(year, week, 1), time(), tzinfo=tz)


def next_week(name: str) -> str:
    """The week after ``name``."""
    year, week = parse_week(name)
    return week_of(date.fromisocalendar(year, week, 1) + timedelta(days=7))
