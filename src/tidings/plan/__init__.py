"""The editorial calendar for the team: what goes public, is sent, held and hosted, week by week."""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path

from tidings.content import load
from tidings.errors import UsageError
from tidings.files import write_atomic
from tidings.output import Notify, Report, quiet
from tidings.plan import output
from tidings.plan.agenda import agenda

__all__ = ["plan", "start_day"]


def start_day(value: str | None, today: date) -> date:
    """``--from``: a date (2027-01-18) or an ISO week (2027-W03); today when not given."""
    if not value:
        return today
    week = re.fullmatch(r"(\d{4})-W(\d{2})", value)
    try:
        return date.fromisocalendar(int(week[1]), int(week[2]), 1) if week else date.fromisoformat(value)
    except ValueError:
        raise UsageError(f"--from {value!r}: expected a date such as 2027-01-18 or a week such as "
                         "2027-W03") from None


def plan(root: Path, *, start: str | None = None, weeks: int = 8, ics: Path | None = None,
         markdown: Path | None = None, now: datetime | None = None, notify: Notify = quiet) -> Report:
    """The plan as text, and as the files asked for (written atomically)."""
    if not 1 <= weeks <= 260:
        raise UsageError(f"--weeks {weeks}: expected 1 to 260 weeks")
    community = load(root)
    config = community.config
    today = (now or datetime.now(config.timezone)).astimezone(config.timezone).date()
    built = agenda(community, start_day(start, today), weeks)
    report = Report(notify)
    report.say(output.text(built, config).rstrip("\n"))
    if markdown is not None:
        write_atomic(markdown, output.markdown(built, config).encode())
        report.say(f"wrote {markdown}")
    if ics is not None:
        write_atomic(ics, output.ics(built, config))
        report.say(f"wrote {ics}")
    return report
