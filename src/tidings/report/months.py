"""Calendar months in the community's timezone: a month starts at local midnight on its 1st."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from tidings.errors import UsageError


@dataclass(frozen=True, order=True)
class Month:
    """One calendar month, e.g. 2026-10."""

    year: int
    month: int

    @property
    def label(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    def shift(self, months: int) -> Month:
        """The month ``months`` later (earlier when negative)."""
        index = self.year * 12 + self.month - 1 + months
        return Month(index // 12, index % 12 + 1)

    def start(self, zone: ZoneInfo) -> datetime:
        """Local midnight on the 1st (an aware datetime; compare it with UTC times freely)."""
        return datetime.combine(date(self.year, self.month, 1), time(0), tzinfo=zone)

    def end(self, zone: ZoneInfo) -> datetime:
        """Local midnight on the 1st of the next month."""
        return self.shift(1).start(zone)


def parse_month(value: str | None, now: datetime, zone: ZoneInfo) -> Month:
    """``--month YYYY-MM``; without it the last full month in ``zone`` at ``now``."""
    if value is None:
        local = now.astimezone(zone)
        return Month(local.year, local.month).shift(-1)
    found = re.fullmatch(r"(\d{4})-(\d{2})", value.strip())
    if not found or not 1 <= int(found[2]) <= 12:
        raise UsageError(f"--month {value!r}: expected a month such as 2026-10")
    return Month(int(found[1]), int(found[2]))


def edges(last: Month, count: int, zone: ZoneInfo) -> list[datetime]:
    """The starts of the ``count`` months ending with ``last``, and the end of ``last``."""
    months = [last.shift(i - count + 1) for i in range(count)]
    return [m.start(zone) for m in months] + [last.end(zone)]
