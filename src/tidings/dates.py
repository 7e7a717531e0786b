"""ISO 8601 dates, date-times and durations as editors write them in front matter."""

from __future__ import annotations

import calendar
import re
from datetime import date, datetime, time, timedelta, tzinfo

_DATE_TIME = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2}))?")
_DURATION = re.compile(
    r"^P(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+)S)?)?$"
)


def parse_when(value: object, tz: tzinfo) -> datetime:
    """An aware datetime from ``2026-11-23``, ``2026-11-23T18:00`` or ``…+02:00``.

    A date alone is midnight in ``tz``; a date-time without offset is wall time in ``tz``.
    Raises ValueError with a message an editor understands.
    """
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, date):
        parsed = datetime.combine(value, time())
    elif isinstance(value, str):
        text = value.strip()
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        try:
            parsed = datetime.fromisoformat(text.replace(" ", "T", 1) if len(text) > 10 else text)
        except ValueError:
            raise ValueError(impossible_date(value) or f"'{value}' is not an ISO 8601 date "
                             "(expected e.g. 2026-11-23 or 2026-11-23T18:00)") from None
    else:
        raise ValueError(
            f"expected an ISO 8601 date such as 2026-11-23, got {type(value).__name__} {value!r}"
        )
    if not 1000 <= parsed.year <= 9000:
        raise ValueError(f"'{value}' has an unlikely year {parsed.year} (expected e.g. 2026-11-23)")
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=tz)
    return parsed


def impossible_date(value: str) -> str | None:
    """Which part of a date-like text cannot exist (day 31 of a 30-day month, hour 25), or None."""
    match = _DATE_TIME.match(value.strip())
    if not match:
        return None
    year, month, day = (int(match.group(i)) for i in (1, 2, 3))
    if not 1 <= month <= 12:
        return f"'{value}' has no month {month} (a year has 12 months)"
    days = calendar.monthrange(year, month)[1] if year else 31
    if not 1 <= day <= days:
        return f"there is no day {match.group(0)[:10]}: {calendar.month_name[month]} {year} has {days} days"
    if match.group(4) and int(match.group(4)) > 23:
        return f"'{value}' has no hour {int(match.group(4))} (hours run 0 to 23)"
    if match.group(5) and int(match.group(5)) > 59:
        return f"'{value}' has no minute {int(match.group(5))} (minutes run 0 to 59)"
    return None


def parse_duration(value: object) -> timedelta:
    """A timedelta from an ISO 8601 duration such as ``PT1H30M`` or ``P1D``."""
    match = _DURATION.match(value.strip().upper()) if isinstance(value, str) else None
    if not match or value in ("P", "PT") or str(value).upper().endswith("T"):
        raise ValueError(f"'{value}' is not an ISO 8601 duration (expected e.g. PT1H or PT90M)")
    parts = {k: int(v) for k, v in match.groupdict().items() if v}
    if not parts:
        raise ValueError(f"'{value}' is not an ISO 8601 duration (expected e.g. PT1H or PT90M)")
    return timedelta(**parts)
