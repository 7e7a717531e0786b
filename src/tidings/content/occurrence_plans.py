"""``occurrences:`` of a repeating event: what each date is about, moved or cancelled.

Keyed by the local start date of an occurrence, as a list (``- date: 2027-01-07``) or a mapping
(``2027-01-07: {title: …}``); every problem is reported with its line and field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from tidings.content import model, recurrence, schema
from tidings.dates import parse_when
from tidings.inputs import has_control

Keys = tuple[str | int, ...]
_TIME = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
HORIZON_YEARS = 30


def _time_text(value: Any, ctx: schema.Context, keys: Keys) -> str:
    """A start or end as written; YAML reads an unquoted 19:00 as the number 1140."""
    if isinstance(value, int) and not isinstance(value, bool):
        raise ValueError("write the time in quotes, e.g. '19:00' (unquoted, YAML reads it as a number)")
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"expected a time such as '19:00' or a date-time, got {value!r}")
    return value.strip()


def _names(value: Any, ctx: schema.Context, keys: Keys) -> tuple[str, ...]:
    """Hosts, each on one line: a line break would split a calendar line or a list entry."""
    names = schema.text_list(value, ctx, keys)
    if any(has_control(name) for name in names):
        raise ValueError("a host contains a control character (line break, tab, NUL, …): "
                         "write each on one line")
    return names


PLAN: schema.Spec = {
    "date": (schema.text, False), "title": (schema.one_line, False),
    "kind": (schema.one_of(*model.EVENT_KINDS), False), "hosts": (_names, False),
    "description": (schema.text, False), "start": (_time_text, False), "end": (_time_text, False),
    "cancelled": (schema.boolean, False),
}


@dataclass(frozen=True)
class Series:
    """The event the plans belong to: its first start, length, zone, rule and whole-day flag."""

    start: datetime
    length: timedelta
    tz: ZoneInfo
    rule: str
    all_day: bool


def _entries(value: Any, ctx: schema.Context) -> list[tuple[Keys, Any, Any]]:
    """(keys, date as written, fields) for each plan, in the order written."""
    if isinstance(value, dict):
        return [(("occurrences", str(day)), day, fields) for day, fields in value.items()]
    if isinstance(value, list):
        found = []
        for index, item in enumerate(value):
            keys: Keys = ("occurrences", index)
            if not isinstance(item, dict):
                ctx.report(keys, f"'occurrences' item {index + 1}: expected a mapping with 'date' "
                                 f"and what that occurrence is about, got {item!r}")
            elif "date" not in item:
                ctx.report(keys, f"'occurrences' item {index + 1}: missing required key 'date' "
                                 "(the occurrence's start date, e.g. 2027-01-07)")
            else:
                found.append((keys, item["date"], item))
        return found
    ctx.report(("occurrences",), "'occurrences': expected a list of dated plans or a mapping "
                                 f"keyed by date (e.g. 2027-01-07), got {value!r}")
    return []


def _starts_around(series: Series, day: date) -> list[datetime]:
    """Occurrence starts on ``day`` (local), else the nearest before and after it."""
    rule = recurrence.expand(series.rule, series.start, series.tz)
    midnight = datetime.combine(day, time(), tzinfo=series.tz)
    same = [s for s in rule.between(midnight, midnight + timedelta(days=1), inc=True)
            if s.astimezone(series.tz).date() == day]
    if same:
        return same
    return [s for s in (rule.before(midnight), rule.after(midnight)) if s is not None]


def _original(written: Any, series: Series, ctx: schema.Context, keys: Keys) -> datetime | None:
    """The rule's start on the date written, or None after reporting why there is none."""
    text = str(written).strip()
    if not _DAY.match(text):
        ctx.report(keys, f"'{'.'.join(map(str, keys))}': expected an occurrence date such as "
                         f"2027-01-07, got {written!r}")
        return None
    try:
        day = parse_when(text, series.tz).date()
    except ValueError as exc:
        ctx.report(keys, f"'{'.'.join(map(str, keys))}': {exc}")
        return None
    first_day = series.start.astimezone(series.tz).date()
    if day > first_day + timedelta(days=366 * HORIZON_YEARS):
        # Bounded: finding the nearest dates walks the rule from its start, one by one.
        ctx.report(keys, f"{day.isoformat()} is more than {HORIZON_YEARS} years after the series "
                         f"starts ({first_day.isoformat()}): plan nearer dates")
        return None
    starts = _starts_around(series, day)
    if starts and starts[0].astimezone(series.tz).date() == day:
        return starts[0]
    nearest = " or ".join(f"{s.astimezone(series.tz):%A %Y-%m-%d}" for s in starts)
    hint = f" (nearest: {nearest})" if nearest else ""
    ctx.report(keys, f"{day.isoformat()} is not a date this event takes place on{hint}")
    return None


def _moment(text: str, day: date, series: Series) -> datetime:
    """A moved start or end: a time on the occurrence's day, a date-time, or (all-day) a date."""
    if series.all_day:
        if not _DAY.match(text):
            raise ValueError(f"an all-day event moves to a date such as 2027-03-11, got '{text}'")
        return parse_when(text, series.tz)
    match = _TIME.match(text)
    if match:
        hour, minute, second = int(match[1]), int(match[2]), int(match[3] or 0)
        try:
            return datetime.combine(day, time(hour, minute, second), tzinfo=series.tz)
        except ValueError:
            raise ValueError(f"'{text}' is not a time of day (expected e.g. '19:00')") from None
    if _DAY.match(text):
        raise ValueError(f"expected a time such as '19:00' or a date-time, got the date '{text}'")
    return parse_when(text, series.tz)


def _moved(fields: dict[str, Any], original: datetime, series: Series, ctx: schema.Context,
           keys: Keys) -> tuple[datetime | None, datetime | None]:
    """New (start, end) of a moved occurrence; (None, None) when it keeps the rule's time."""
    if "start" not in fields and "end" not in fields:
        return None, None
    day = original.astimezone(series.tz).date()
    start, end = original, original + series.length
    try:
        if "start" in fields:
            start = _moment(fields["start"], day, series)
            end = start + series.length
        if "end" in fields:
            end = _moment(fields["end"], start.astimezone(series.tz).date(), series)
            if series.all_day:
                end = recurrence.day_after(end.date(), series.tz)  # through the end of that day
    except ValueError as exc:
        field = "start" if "start" in fields and "end" not in fields else "end"
        ctx.report(keys + (field,), f"'{'.'.join(map(str, keys + (field,)))}': {exc}")
        return None, None
    if end <= start:
        ctx.report(keys + ("end",), f"the moved occurrence must end after it starts "
                                    f"({start.isoformat()} – {end.isoformat()})")
        return None, None
    return start, end


def _plan(fields: dict[str, Any], original: datetime, series: Series, ctx: schema.Context,
          keys: Keys) -> model.OccurrencePlan | None:
    values = schema.validate_fields(fields, PLAN, ctx, keys)
    cancelled = values.get("cancelled") is True
    others = sorted(k for k in fields if k not in ("date", "cancelled"))
    if cancelled and others:
        ctx.report(keys + ("cancelled",), f"a cancelled occurrence takes no other keys: remove "
                                          f"{', '.join(repr(k) for k in others)} or 'cancelled'")
        return None
    start, end = _moved(values, original, series, ctx, keys)
    if ("start" in fields or "end" in fields) and start is None:
        return None
    return model.OccurrencePlan(
        day=original.astimezone(series.tz).date(), original=original, title=values.get("title"),
        kind=values.get("kind"), hosts=values.get("hosts"), description=values.get("description"),
        start=start, end=end, cancelled=cancelled)


def read_plans(value: Any, series: Series, ctx: schema.Context) -> tuple[model.OccurrencePlan, ...]:
    """Every valid plan of ``occurrences``, sorted by date; problems go to ``ctx``."""
    plans: dict[date, model.OccurrencePlan] = {}
    lines: dict[date, int] = {}
    for keys, written, fields in _entries(value, ctx):
        where = keys + ("date",) if isinstance(keys[1], int) else keys
        original = _original(written, series, ctx, where)
        if not isinstance(fields, dict):
            if original is not None:
                ctx.report(keys, f"'{'.'.join(map(str, keys))}': expected what that occurrence is "
                                 f"about (title, kind, hosts, …) or 'cancelled: true', got {fields!r}")
            continue
        if original is None:
            continue
        day = original.astimezone(series.tz).date()
        if day in plans or day in lines:
            ctx.report(where, f"occurrence {day.isoformat()} is planned twice (first on line "
                              f"{lines[day]}): merge the two")
            continue
        lines[day] = ctx.source.line_of(*where)
        plan = _plan(fields, original, series, ctx, keys)
        if plan is not None:
            plans[day] = plan
    return tuple(plans[day] for day in sorted(plans))


# What a translation (``x.fi.md``) may say about a planned date: words, not times or dates.
TRANSLATED = ("title", "description", "hosts")


def _by_date(value: Any) -> dict[str, Any] | None:
    """Plans keyed by the date as written, from either form (None: neither form)."""
    if isinstance(value, dict):
        return {str(day): fields for day, fields in value.items()}
    if isinstance(value, list) and all(isinstance(item, dict) and "date" in item for item in value):
        return {str(item["date"]): {k: v for k, v in item.items() if k != "date"} for item in value}
    return None


def translated(source: Any, translation: Any) -> tuple[Any, list[tuple[Keys, str]]]:
    """The source's plans with a translation's words for them, and what the translation may not
    change, as (keys, message): dates, times and cancellations stay the source's."""
    theirs, mine = _by_date(source), _by_date(translation)
    if theirs is None or mine is None:
        return source, []  # a malformed block is reported where it is written
    problems: list[tuple[Keys, str]] = []
    merged = dict(theirs)
    for index, (day, fields) in enumerate(mine.items()):
        keys: Keys = ("occurrences", index if isinstance(translation, list) else day)
        planned = theirs.get(day)
        if not isinstance(planned, dict) or not isinstance(fields, dict):
            problems.append((keys, f"occurrence {day} is not planned in the source: a translation "
                                   "gives words (title, description, hosts) for its source's dates"))
            continue
        changed = sorted(k for k in fields if k not in TRANSLATED)
        if changed:
            problems.append((keys + (changed[0],), f"a translation keeps its source's dates, times and "
                                                   f"cancellations: leave {', '.join(changed)} out"))
        merged[day] = {**planned, **{k: v for k, v in fields.items() if k in TRANSLATED}}
    return merged, problems
