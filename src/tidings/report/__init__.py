"""The monthly report for the brand — members, newsletters, surveys, content and follow-ups — as
Markdown with SVG charts beside it (and a standalone HTML page). Counts only."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from tidings.content.model import Community
from tidings.files import write_atomic
from tidings.report.figures import Glance, MonthlyReport, gather
from tidings.report.months import Month, parse_month
from tidings.report.render import chart_files, percent, to_html, to_markdown
from tidings.store.transactions import Engine

__all__ = ["Glance", "Month", "MonthlyReport", "monthly_report", "parse_month", "summary", "write_report"]


def monthly_report(engine: Engine, community: Community, month: Month, now: datetime,
                   glance: Glance | None = None) -> MonthlyReport:
    """Every figure of ``month``, read in one transaction (one consistent view of the store)."""
    with engine.connect() as connection, connection.begin():
        return gather(connection, community, month, now, glance or Glance())


def write_report(figures: MonthlyReport, out: Path, *, with_html: bool = False) -> list[Path]:
    """Write ``YYYY-MM.md`` and its charts (and ``YYYY-MM.html``) into ``out``; the paths written."""
    label = figures.month.label
    text = to_markdown(figures)
    found = chart_files(figures)
    written = []
    for chart in found:
        path = out / f"{chart.name}.svg"
        write_atomic(path, chart.file_bytes())
        written.append(path)
    # The Markdown after its charts: it never points at a chart that is not written yet.
    write_atomic(out / f"{label}.md", text.encode("utf-8"))
    written.append(out / f"{label}.md")
    if with_html:
        page = to_html(text, found, f"{figures.community}: report for {label}")
        write_atomic(out / f"{label}.html", page.encode("utf-8"))
        written.append(out / f"{label}.html")
    return written


def summary(figures: MonthlyReport) -> list[str]:
    """The few lines the command prints."""
    m = figures.members
    left = ", ".join(f"{n} {state}" for state, n in m.left.items())
    return [
        f"{figures.community}, {figures.month.label}: {m.at_start} → {m.at_end} members "
        f"(+{m.joined} joined, -{m.left_total} left: {left}; growth {percent(m.growth)}, "
        f"churn {percent(m.churn)})",
        f"  {len(figures.issues)} issue(s) sent, "
        f"{sum(i.counts.delivered for i in figures.issues)} delivered; "
        f"{len(figures.surveys)} survey(s); {figures.followups.open} follow-up(s) open",
    ]
