"""Words and date formats of the generated pages, in any of the community's languages."""

from __future__ import annotations

from datetime import date, datetime, tzinfo

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_interval, format_skeleton

from tidings.calendar.schedule import format_offset
from tidings.calendar.sentence import describe_repeat
from tidings.config import Config
from tidings.locale_data import BUILTIN, base_language

EN = BUILTIN["en"]


class Text:
    """Labels and date formats for one language; ``overrides`` (from the settings) win."""

    def __init__(self, language: str, overrides: dict[str, str] | None = None) -> None:
        self.language = language
        self.labels = {**EN, **BUILTIN.get(base_language(language), {}), **(overrides or {})}
        try:
            self.locale = Locale.parse(language.replace("-", "_"))
        except (ValueError, UnknownLocaleError):
            self.locale = Locale.parse("en")

    def __getitem__(self, key: str) -> str:
        return self.labels.get(key, key)

    def day(self, moment: datetime | date) -> str:
        """``Thursday, December 3, 2026`` in this language."""
        return format_date(moment, format="full", locale=self.locale)

    def short_day(self, moment: datetime | date) -> str:
        """``Dec 3, 2026`` in this language."""
        return format_date(moment, format="medium", locale=self.locale)

    def days(self, first: date, last: date) -> str:
        """``Jan 18 – 24, 2027`` (``18.–24. tammikuuta 2027``): a span of whole days in this language."""
        return format_interval(first, last, "yMMMd", locale=self.locale)

    def clock(self, moment: datetime) -> str:
        """``18:00`` (``18.00`` in Finnish): babel's 24-hour pattern of the locale."""
        return format_skeleton("Hm", moment, tzinfo=moment.tzinfo, locale=self.locale)

    def time_range(self, start: datetime, end: datetime) -> str:
        """``18:00–19:00 EET (UTC+02:00)``; the end date is named when it differs."""
        until = self.clock(end)
        if end.date() != start.date():
            until = f"{self.short_day(end)} {until}"
        zone = start.tzname() or ""
        # Zone abbreviations (EET, CST) are English; other languages get the UTC offset alone.
        english = self.locale.language == "en"
        label = f"{zone} " if english and zone and not zone.startswith(("+", "-")) else ""
        return f"{self.clock(start)}–{until} {label}({format_offset(start)})"

    def repeats(self, rule: str, tz: tzinfo) -> str:
        """The event's repeat rule as a sentence in this language, never the RRULE itself."""
        return describe_repeat(rule, self.locale.language, tz, generic=self["repeat.generic"])


def texts_for(config: Config, language: str | None = None) -> Text:
    """The labels of ``language`` (default: the community's) with the community's overrides."""
    language = language or config.language
    return Text(language, config.label_overrides(language))
