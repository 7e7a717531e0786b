"""Recurrence rules (``repeat:``) and date-only ends, read the way an editor means them.

An editor may end a rule with ``UNTIL`` in UTC (``20270331T235959Z``), as a local date-time
(``20270331T235959``, in the event's timezone) or as a date (``20270331``: through the end of that
day); a whole-day series ends on the day written. RFC 5545 wants UNTIL in UTC when DTSTART has a
TZID and a DATE when DTSTART is a DATE, and dateutil refuses a mismatch, so the rule is kept
normalised to those two forms.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from dateutil.rrule import rrule, rrulestr

# 20270331, 2027-03-31, 20270331T2359[59], 2027-03-31T23:59:59, each with an optional Z.
_UNTIL = re.compile(
    r"^(?P<y>\d{4})-?(?P<m>\d{2})-?(?P<d>\d{2})"
    r"(?:T(?P<H>\d{2}):?(?P<M>\d{2})(?::?(?P<S>\d{2}))?)?(?P<z>Z)?$", re.IGNORECASE)
EXAMPLE = "e.g. FREQ=WEEKLY;BYDAY=WE;UNTIL=2027-03-31"


def is_date_only(value: object) -> bool:
    """``2027-01-31`` (a YAML date or its text) rather than a date-time."""
    if isinstance(value, datetime):
        return False
    return isinstance(value, date) or (isinstance(value, str) and len(value.strip()) == 10)


def day_after(day: date, tz: tzinfo) -> datetime:
    """The first moment after ``day`` in ``tz``: where "through the end of that day" stops."""
    return datetime.combine(day + timedelta(days=1), time(), tzinfo=tz)


def _split(rule: str) -> tuple[list[str], str | None]:
    """The rule's parts without UNTIL, and the UNTIL value (None if absent)."""
    parts, until = [], None
    for part in rule.strip().removeprefix("RRULE:").split(";"):
        name, _, value = part.partition("=")
        if name.strip().upper() == "UNTIL":
            until = value.strip()
        elif part.strip():
            parts.append(part.strip())
    return parts, until


def _parse_until(value: str) -> tuple[date | datetime, bool]:
    """UNTIL as a date, or a naive date-time and whether it was in UTC (``Z``)."""
    match = _UNTIL.match(value)
    if not match:
        raise ValueError(f"UNTIL={value} is not a date such as 20270331, 2027-03-31 or "
                         "20270331T235959Z")
    g = match.groupdict()
    try:
        day = date(int(g["y"]), int(g["m"]), int(g["d"]))
        if g["H"] is None:
            if g["z"]:
                raise ValueError(f"UNTIL={value}: a date alone takes no Z (write 20270331 or "
                                 "20270331T235959Z)")
            return day, False
        moment = datetime.combine(day, time(int(g["H"]), int(g["M"]), int(g["S"] or 0)))
    except ValueError as exc:
        raise ValueError(f"UNTIL={value}: {exc}") from None
    return moment, bool(g["z"])


def _until_moment(until: str, tz: tzinfo) -> datetime:
    """UNTIL as an instant in UTC; a date means through the end of that day in ``tz``."""
    value, utc = _parse_until(until)
    if not isinstance(value, datetime):
        value = day_after(value, tz) - timedelta(seconds=1)
    return value.replace(tzinfo=UTC if utc else tz).astimezone(UTC)


def check_syntax(text: str) -> str:
    """The rule text without a leading ``RRULE:``; ValueError if it is not an RRULE at all."""
    rule = text.strip().removeprefix("RRULE:")
    parts, until = _split(rule)
    if until is not None:
        _parse_until(until)
        if any(p.upper().startswith("COUNT=") for p in parts):
            raise ValueError("give either COUNT or UNTIL, not both")
    freq = next((p.split("=", 1)[1].strip().upper() for p in parts if p.upper().startswith("FREQ=")), "")
    if freq in ("SECONDLY", "MINUTELY", "HOURLY"):
        raise ValueError(f"FREQ={freq}: events repeat at most daily (FREQ=DAILY, WEEKLY, MONTHLY "
                         "or YEARLY)")
    try:
        # Checked without UNTIL: its form is checked above, its meaning needs the event's start.
        rrulestr(";".join(parts), dtstart=datetime(2000, 1, 1))
    except (ValueError, TypeError) as exc:
        raise ValueError(f"not a valid RRULE ({exc}); expected {EXAMPLE}") from None
    return rule


def normalise(text: str, tz: tzinfo, all_day: bool) -> str:
    """The rule with UNTIL in UTC (``…Z``) for a timed event, as a DATE for an all-day one."""
    parts, until = _split(check_syntax(text))
    if until is None:
        return ";".join(parts)
    if all_day:
        # A whole-day series ends on the day written, whatever the time.
        written = _parse_until(until)[0].strftime("%Y%m%d")
    else:
        written = _until_moment(until, tz).strftime("%Y%m%dT%H%M%SZ")
    return ";".join([*parts, f"UNTIL={written}"])


def expand(rule: str, start: datetime, tz: tzinfo) -> rrule:
    """A dateutil rule for a normalised ``rule`` starting at ``start`` (wall-clock in ``tz``)."""
    parts, until = _split(rule)
    if until is not None:
        parts.append(f"UNTIL={_until_moment(until, tz).strftime('%Y%m%dT%H%M%SZ')}")
    result = rrulestr(";".join(parts), dtstart=start.astimezone(tz))
    assert isinstance(result, rrule)
    return result


def first_start(rule: str, start: datetime, tz: tzinfo, years: int = 30) -> datetime | None:
    """The first occurrence within ``years`` of ``start`` (None: the rule matches no day there)."""
    parts, until = _split(rule)
    horizon = start.astimezone(UTC) + timedelta(days=366 * years)
    if until is not None:
        horizon = min(horizon, _until_moment(until, tz))
    # Bounded: dateutil searches to year 9999 for a rule no day matches (seconds per call).
    kept = [p for p in parts if not p.upper().startswith("COUNT=")]
    return expand(";".join([*kept, f"UNTIL={horizon.strftime('%Y%m%dT%H%M%SZ')}"]), start, tz).after(
        start, inc=True)


def read_repeat(text: str, start: datetime, tz: tzinfo, all_day: bool) -> str:
    """The normalised rule of an event; ValueError saying why it cannot be used."""
    try:
        rule = normalise(text, tz, all_day)
        first = first_start(rule, start, tz)
    except ValueError as exc:
        raise ValueError(f"{exc} ({EXAMPLE})") from None
    if first is None:
        until = _split(text)[1]
        never = first_start(";".join(_split(rule)[0]), start, tz) is None
        why = ("no day in the 30 years from 'start' matches the rule" if never or until is None
               else f"UNTIL={until} is before 'start' ({start.isoformat()})")
        raise ValueError(f"{why}: the event would never take place")
    return rule


def until_day(rule: str, tz: tzinfo) -> date | None:
    """The last day of a normalised rule, in ``tz`` (None without UNTIL)."""
    _, until = _split(rule)
    if until is None:
        return None
    value, _ = _parse_until(until)
    return _until_moment(until, tz).astimezone(tz).date() if isinstance(value, datetime) else value


def last_start(rule: str, start: datetime, tz: tzinfo) -> datetime | None:
    """The last occurrence's start, or None when the rule never ends."""
    expanded = expand(rule, start, tz)
    parts, until = _split(rule)
    if until is None and not any(p.upper().startswith("COUNT=") for p in parts):
        return None
    last = None
    for last in expanded:  # noqa: B007 - bounded by COUNT or UNTIL
        pass
    return last
