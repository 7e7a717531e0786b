"""An event's repeat rule (RRULE) as a sentence a member reads, in en, fi, de, el or zh.

"every month on the first Thursday", "joka viikko tiistaisin ja torstaisin", "每月第一个星期四".
A rule the sentence cannot say exactly (BYHOUR, several BYSETPOS, …) becomes the language's
generic phrase ("repeats regularly"): the RRULE text itself never reaches a member.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, tzinfo

from tidings.calendar.grammar import GRAMMARS, Grammar
from tidings.content import recurrence
from tidings.locale_data import BUILTIN

WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
ORDINALS = frozenset({1, 2, 3, 4, 5, -1, -2})
_DAY_RE = re.compile(r"([+-]?\d{1,2})?(MO|TU|WE|TH|FR|SA|SU)")


class Unsayable(ValueError):
    """A rule part the sentence builder has no words for."""


@dataclass
class RuleParts:
    """The parts of an RRULE the sentence can express."""

    freq: str
    interval: int = 1
    days: list[tuple[int | None, int]] = field(default_factory=list)  # (ordinal, 0=Monday)
    month_days: list[int] = field(default_factory=list)
    months: list[int] = field(default_factory=list)
    count: int | None = None
    until: date | None = None


def _numbers(value: str, low: int, high: int) -> list[int]:
    numbers = [int(v) for v in value.split(",")]
    if not numbers or any(not (low <= abs(n) <= high) for n in numbers):
        raise Unsayable(value)
    return numbers


def _days(value: str) -> list[tuple[int | None, int]]:
    found: list[tuple[int | None, int]] = []
    for part in value.split(","):
        match = _DAY_RE.fullmatch(part.strip())
        if not match:
            raise Unsayable(part)
        ordinal = int(match.group(1)) if match.group(1) else None
        if ordinal is not None and ordinal not in ORDINALS:
            raise Unsayable(part)
        found.append((ordinal, WEEKDAYS.index(match.group(2))))
    return found


def parse(rule: str, tz: tzinfo) -> RuleParts:
    """The rule's parts; Unsayable for anything the sentence cannot express exactly."""
    try:
        values = dict(part.split("=", 1) for part in rule.upper().removeprefix("RRULE:").split(";") if part)
        freq = values.pop("FREQ")
        if freq not in ("DAILY", "WEEKLY", "MONTHLY", "YEARLY"):
            raise Unsayable(freq)
        parts = RuleParts(freq, interval=int(values.pop("INTERVAL", "1")))
        values.pop("WKST", None)
        if "COUNT" in values:
            parts.count = int(values.pop("COUNT"))
        if values.pop("UNTIL", None) is not None:
            parts.until = recurrence.until_day(rule, tz)
        parts.days = _days(values.pop("BYDAY", "")) if "BYDAY" in values else []
        parts.month_days = _numbers(values.pop("BYMONTHDAY"), 1, 31) if "BYMONTHDAY" in values else []
        parts.months = _numbers(values.pop("BYMONTH"), 1, 12) if "BYMONTH" in values else []
        positions = _numbers(values.pop("BYSETPOS"), 1, 5) if "BYSETPOS" in values else []
    except (KeyError, ValueError) as exc:  # a malformed part: say nothing rather than guess
        raise Unsayable(str(exc)) from None
    if any(day < -1 for day in parts.month_days):
        raise Unsayable("BYMONTHDAY")  # only "the last day" is said from the end of a month
    if values or parts.interval < 1 or (parts.count is not None and parts.count < 1):
        raise Unsayable(str(values))
    if positions:
        # BYSETPOS=-1 with one weekday is that weekday's ordinal: "the last Friday".
        if len(positions) != 1 or len(parts.days) != 1 or parts.days[0][0] is not None \
                or positions[0] not in ORDINALS or parts.month_days:
            raise Unsayable("BYSETPOS")
        parts.days = [(positions[0], parts.days[0][1])]
    plain = [ordinal is None for ordinal, _ in parts.days]
    if any(plain) and parts.freq != "WEEKLY":
        # Every Tuesday of every month (or day) is every week on Tuesday; anything else is unusual.
        if not all(plain) or parts.interval != 1 or parts.months or parts.freq == "YEARLY":
            raise Unsayable("BYDAY")
        parts.freq = "WEEKLY"
    if parts.freq in ("DAILY", "WEEKLY") and (parts.month_days or parts.months):
        raise Unsayable("BYMONTH")
    if parts.freq != "YEARLY" and parts.months:
        raise Unsayable("BYMONTH")
    if parts.freq == "WEEKLY" and any(ordinal is not None for ordinal, _ in parts.days):
        raise Unsayable("BYDAY")
    if parts.month_days and parts.days:
        raise Unsayable("BYMONTHDAY with BYDAY")
    return parts


def say(parts: RuleParts, g: Grammar) -> str:
    """The sentence for ``parts`` in the grammar of one language."""
    text = g.every(parts.freq, parts.interval)
    if parts.months and parts.month_days and len(parts.months) == 1 and len(parts.month_days) == 1 \
            and parts.month_days[0] > 0:
        text = g.join(text, g.on_date(parts.months[0], parts.month_days[0]))
    else:
        if parts.months:
            text = g.join(text, g.in_months(parts.months))
        if parts.month_days:
            text = g.join(text, g.on_month_days(parts.month_days))
        if parts.days and all(ordinal is None for ordinal, _ in parts.days):
            text = g.join(text, g.on_weekdays([day for _, day in parts.days]))
        elif parts.days:
            text = g.join(text, g.on_nth_weekdays(parts.days))
    if parts.count is not None:
        text += g.times(parts.count)
    if parts.until is not None:
        text += g.until(parts.until)
    return text


def describe_repeat(rule: str, language: str, tz: tzinfo = UTC, generic: str | None = None) -> str:
    """``FREQ=MONTHLY;BYDAY=1TH`` as a sentence in ``language`` (English when it has no grammar).

    A rule the builder cannot express gives ``generic`` (default: the language's "repeats
    regularly"). An UNTIL is shown as its day in ``tz``, the event's timezone.
    """
    grammar = GRAMMARS.get(language, GRAMMARS["en"])
    fallback = generic or BUILTIN.get(grammar.language, BUILTIN["en"])["repeat.generic"]
    try:
        return say(parse(rule, tz), grammar)
    except Unsayable:
        return fallback
