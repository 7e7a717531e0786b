"""``report``: joins the store's counts, the content model and the editorial calendar into one
month's report files, and says what they hold."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from tidings.content import load
from tidings.content.model import Community
from tidings.output import Notify, Report, quiet
from tidings.plan.agenda import planned
from tidings.report import Glance, Month, monthly_report, parse_month, summary, write_report
from tidings.report.traffic import read_traffic
from tidings.store import open_database


def glance(community: Community, month: Month) -> Glance:
    """``month`` at a glance from the editorial calendar: how many of each thing, which issues."""
    zone = community.config.timezone
    coming = planned(community, month.start(zone), month.end(zone))
    letters = {n.path for n in community.newsletters}
    return Glance(dict(Counter(p.what for p in coming)),
                  tuple(p.title for p in coming if p.what == "send" and p.path in letters))


def report(root: Path, *, month: str | None = None, out: Path | None = None, html: bool = False,
           now: datetime | None = None, database_url: str | None = None, notify: Notify = quiet) -> Report:
    """Write the month's report into ``out`` (default ``reports/``) and say what it holds."""
    community = load(root, history=False)
    moment = now or datetime.now(UTC)
    chosen = parse_month(month, moment, community.config.timezone)
    engine = open_database(root, url=database_url)
    try:
        figures = monthly_report(engine, community, chosen, moment, glance(community, chosen.shift(1)))
    finally:
        engine.dispose()
    export = community.config.analytics_csv
    if export:
        figures = replace(figures, traffic=read_traffic(root / export, export, chosen))
    target = out if out is not None else root / "reports"
    written = write_report(figures, target, with_html=html)
    result = Report(notify)
    for line in summary(figures):
        result.say(line)
    charts = sum(1 for p in written if p.suffix == ".svg")
    result.say(f"  wrote {', '.join(p.name for p in written if p.suffix != '.svg')} and {charts} "
               f"chart(s) in {target}")
    return result
