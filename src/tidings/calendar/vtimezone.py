"""VTIMEZONE blocks written from the zone database, for every year a calendar can reach.

icalendar's own generator covers a bounded span of years, so a weekly call that never ends would
get summer time wrong once its transitions run out. Here transitions are read from zoneinfo from
the first event on; when a zone's rules settle into a yearly pattern (the usual case) the pattern
is written once as an RRULE pair, so the block is right for every later year too. A zone whose
future is irregular gets explicit transitions through ``HORIZON``.
"""

from __future__ import annotations

import calendar as monthdays
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import icalendar

HORIZON = 2100
# Years a pattern must hold before it is trusted to hold forever.
PATTERN_YEARS = 25
_WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


@dataclass(frozen=True)
class Transition:
    """A change of UTC offset: ``at`` is the wall time just before it, in the old offset."""

    at: datetime
    offset_from: timedelta
    offset_to: timedelta
    name: str
    daylight: bool


def _state(zone: ZoneInfo, moment: datetime) -> tuple[timedelta, str, bool]:
    local = moment.astimezone(zone)
    return (local.utcoffset() or timedelta(0), local.tzname() or "", bool(local.dst()))


@lru_cache(maxsize=64)
def transitions(key: str, first_year: int, last_year: int) -> tuple[Transition, ...]:
    """Every change of UTC offset in ``key`` from ``first_year`` through ``last_year``."""
    zone = ZoneInfo(key)
    second = int(datetime(first_year, 1, 1, tzinfo=UTC).timestamp())
    stop = int(datetime(last_year + 1, 1, 1, tzinfo=UTC).timestamp())
    found: list[Transition] = []
    offset = datetime.fromtimestamp(second, zone).utcoffset()
    step = 86400  # no zone changes its offset twice within a day
    while second < stop:
        following = second + step
        if datetime.fromtimestamp(following, zone).utcoffset() != offset:
            low, high = second, following
            while high - low > 1:
                middle = (low + high) // 2
                low, high = (middle, high) if datetime.fromtimestamp(
                    middle, zone).utcoffset() == offset else (low, middle)
            moment = datetime.fromtimestamp(high, UTC)
            new, name, daylight = _state(zone, moment)
            assert offset is not None
            found.append(Transition((moment + offset).replace(tzinfo=None), offset, new, name, daylight))
            offset = new
        second = following
    return tuple(found)


def _by_day(at: datetime) -> set[str]:
    """The ways an RRULE can name this day of its month (``2SU``, ``-1SU``, a window of days)."""
    day, weekday = at.day, _WEEKDAYS[at.weekday()]
    length = monthdays.monthrange(at.year, at.month)[1]
    names = {f"BYDAY={(day - 1) // 7 + 1}{weekday}"}
    if day > length - 7:
        names.add(f"BYDAY=-1{weekday}")
    for first in range(max(1, day - 6), day + 1):
        if first + 6 <= length:  # a window of days (Israel: the Friday before the last Sunday)
            days = ",".join(str(d) for d in range(first, first + 7))
            names.add(f"BYDAY={weekday};BYMONTHDAY={days}")
    return names


def _rule_of(group: list[Transition]) -> str | None:
    """One yearly RRULE matching every transition in ``group`` (same month, weekday, time)."""
    shape = {(t.at.month, t.at.time(), t.offset_from, t.offset_to, t.name, t.daylight) for t in group}
    if len(shape) != 1:
        return None
    common = set.intersection(*(_by_day(t.at) for t in group))
    if not common:
        return None
    # Prefer the short forms calendar apps know best: 2SU, then -1SU, then a window.
    best = sorted(common, key=lambda name: (";" in name, name.startswith("BYDAY=-"), name))[0]
    return f"FREQ=YEARLY;BYMONTH={group[0].at.month};{best}"


def _fits(t: Transition, model: Transition, rule: str) -> bool:
    """``t`` is the same change as ``model`` on a day ``rule`` names."""
    same = (t.at.month, t.at.time(), t.offset_from, t.offset_to, t.name, t.daylight) == (
        model.at.month, model.at.time(), model.offset_from, model.offset_to, model.name, model.daylight)
    return same and rule.split(";", 2)[2] in _by_day(t.at)


def _pattern(found: tuple[Transition, ...], horizon: int) -> list[tuple[Transition, str]] | None:
    """The yearly rules the zone follows through ``horizon``, each with its first transition."""
    by_year: dict[int, list[Transition]] = {}
    for t in found:
        by_year.setdefault(t.at.year, []).append(t)
    tail = [by_year.get(year, []) for year in range(horizon - PATTERN_YEARS, horizon + 1)]
    if not tail[0] or any(len(year) != len(tail[0]) for year in tail):
        return None
    rules: list[tuple[Transition, str]] = []
    for index in range(len(tail[0])):
        rule = _rule_of([year[index] for year in tail])
        if rule is None:
            return None
        rules.append((tail[0][index], rule))
    year = horizon - PATTERN_YEARS
    # Walk back while earlier years follow the same rules.
    while len(by_year.get(year - 1, [])) == len(rules) and all(
            _fits(t, model, rule) for t, (model, rule) in zip(by_year[year - 1], rules, strict=True)):
        year -= 1
    return [(t, rule) for t, (_, rule) in zip(by_year[year], rules, strict=True)]


def _observance(t: Transition, *, rule: str | None = None) -> icalendar.cal.Component:
    part = icalendar.TimezoneDaylight() if t.daylight else icalendar.TimezoneStandard()
    part.add("tzname", t.name)
    part.add("tzoffsetfrom", t.offset_from)
    part.add("tzoffsetto", t.offset_to)
    part.add("dtstart", t.at)
    if rule is not None:
        part.add("rrule", icalendar.vRecur.from_ical(rule))
    return part


def build_vtimezone(key: str, first: date, last: date | None) -> icalendar.Timezone:
    """A VTIMEZONE for ``key`` valid from ``first`` through ``last`` (None: for ever)."""
    zone = ZoneInfo(key)
    begin = datetime(first.year - 1, 1, 1, tzinfo=UTC)
    offset, name, daylight = _state(zone, begin)
    block = icalendar.Timezone()
    block.add("tzid", key)
    # The observance in force before the first event, so every DTSTART has an offset.
    block.add_component(_observance(Transition(
        (begin + offset).replace(tzinfo=None), offset, offset, name, daylight)))
    # Far enough to see the zone's yearly pattern after the first event, whenever that is.
    horizon = max(HORIZON, begin.year + 2 * PATTERN_YEARS)
    final = horizon if last is None else min(last.year + 1, horizon)
    # Scanned from the decade's start, so the per-event files of one site share the scan.
    found = tuple(t for t in transitions(key, begin.year // 10 * 10, horizon)
                  if t.at >= (begin + offset).replace(tzinfo=None))
    pattern = _pattern(found, horizon) if last is None or last.year >= horizon else None
    pattern_from = pattern[0][0].at.year if pattern else final + 1
    for t in found:
        if t.at.year < pattern_from and t.at.year <= final:
            block.add_component(_observance(t))
    for t, rule in pattern or []:
        block.add_component(_observance(t, rule=rule))
    return block
