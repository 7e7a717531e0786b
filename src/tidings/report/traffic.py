"""Site traffic from a privacy-friendly analytics tool's CSV export (Plausible, GoatCounter, …):
page views per day of the month and the top pages. Never tidings' own tracking (it has none).

Columns are found by their header: a date (``date``, ``day``, ``time``), optionally a page
(``page``, ``path``, ``name``, ``url``) and optionally a count (``pageviews``, ``views``,
``visits``, ``hits``); without a count each row is one view (GoatCounter's export has a row per
hit). Every bad row is reported with its line; nothing is written then.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from tidings.csvfiles import find_columns, read_rows
from tidings.errors import ContentError, Problem
from tidings.report.months import Month

COLUMNS = {
    "date": ("date", "day", "time", "timestamp"),
    "page": ("page", "path", "name", "url", "pathname"),
    "views": ("pageviews", "page views", "views", "visits", "hits", "count"),
}
TOP = 10


@dataclass(frozen=True)
class Traffic:
    """One month of page views: per day (every day of the month) and the most viewed pages."""

    days: tuple[tuple[date, int], ...]
    top_pages: tuple[tuple[str, int], ...]

    @property
    def total(self) -> int:
        return sum(n for _, n in self.days)


def _day(value: str) -> date:
    text = value.strip()
    if len(text) > 10:  # a time of day too: the export's own day is the date part
        return datetime.fromisoformat(text.replace("Z", "+00:00")).date()
    return date.fromisoformat(text)


def _views(value: str) -> int:
    number = int(value.strip().replace(",", "").replace("_", ""))
    if number < 0:
        raise ValueError(number)
    return number


def read_traffic(path: Path, shown: str, month: Month) -> Traffic:
    """Page views of ``month`` in the export at ``path``; ContentError listing every bad row."""
    rows, problems = read_rows(path, shown)
    if not rows and not problems:
        problems.append(Problem(shown, 1, "the file is empty: expected a header with a 'date' column"))
    columns = find_columns(rows[0][1], COLUMNS) if rows else {}
    if rows and "date" not in columns:
        problems.append(Problem(shown, rows[0][0], "no date column: expected one of "
                                + ", ".join(COLUMNS["date"]), "date"))
    per_day: Counter[date] = Counter()
    per_page: Counter[str] = Counter()
    first = date(month.year, month.month, 1)
    after = date(month.shift(1).year, month.shift(1).month, 1)
    for line, cells in rows[1:] if "date" in columns else []:
        if not any(cell.strip() for cell in cells):
            continue
        try:
            day = _day(cells[columns["date"]])
        except (ValueError, IndexError):
            problems.append(Problem(shown, line, "date: expected a date such as 2026-10-31", "date"))
            continue
        try:
            views = _views(cells[columns["views"]]) if "views" in columns else 1
        except (ValueError, IndexError):
            problems.append(Problem(shown, line, "views: expected a whole number", "views"))
            continue
        if first <= day < after:
            per_day[day] += views
            if "page" in columns and len(cells) > columns["page"] and cells[columns["page"]].strip():
                per_page[cells[columns["page"]].strip()] += views
    if problems:
        raise ContentError(problems)
    days = [first + timedelta(days=i) for i in range((after - first).days)]
    return Traffic(tuple((d, per_day[d]) for d in days),
                   tuple(sorted(per_page.items(), key=lambda item: (-item[1], item[0]))[:TOP]))
