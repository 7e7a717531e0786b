"""One month's report as Markdown (charts beside it as SVG files) and as a standalone HTML page."""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Iterator

import markdown

from tidings.report import charts
from tidings.report.figures import Members, MonthlyReport, SurveyResult

MD_EXTENSIONS = ["tables", "sane_lists"]  # the ones the site and the newsletters use too
# What the editorial calendar's items are, in the words of the report's "next month" line.
PLAN_WORDS = {"public": "going public", "send": "issues to send", "event": "event dates",
              "topic": "weekly topics", "opens": "surveys opening", "closes": "surveys closing"}
LEFT_LABELS = {"unsubscribed": "unsubscribed", "bounced": "bounced", "complained": "complained"}


def text(value: str) -> str:
    """Content text (a title, an option) made inert in Markdown and in a table cell."""
    escaped = html.escape(" ".join(value.split()), quote=False)
    return re.sub(r"([\\`*_\[\]|#!{}])", r"\\\1", escaped)


def percent(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.1f} %"


def hours(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:.1f} h" if value < 48 else f"{value / 24:.1f} days"


def chart_files(report: MonthlyReport) -> list[charts.Chart]:
    """Every chart of the report, named ``YYYY-MM-….svg``."""
    m, label = report.members, report.month.label
    months = [p.label for p in m.history]
    found = [
        charts.line(f"{label}-members", "Members at the end of each month", months,
                    {"members": [p.members_at_end for p in m.history]}),
        charts.bars(f"{label}-joins-leaves", "Joins and leaves per month", months,
                    {"joined": [p.joined for p in m.history], "left": [p.left for p in m.history]}),
    ]
    if report.traffic is not None:
        days = report.traffic.days
        found.append(charts.line(f"{label}-traffic", "Page views per day", [f"{d:%d}" for d, _ in days],
                                 {"page views": [n for _, n in days]}))
    for issue in report.issues:
        c = issue.counts
        found.append(charts.bars(
            f"{label}-issue-{c.issue}", f"Issue: {issue.subject}", ["messages"],
            {"delivered": [c.delivered], "failed": [c.failed], "bounced": [c.bounced],
             "unsubscribes": [c.unsubscribes]}, horizontal=True))
    return found


def _table(head: str, column: str, rows: Iterable[tuple[str, object]]) -> Iterator[str]:
    """A two-column table: names (already Markdown) and figures aligned right."""
    yield f"| {head} | {column} |"
    yield "|---|---:|"
    for name, figure in rows:
        yield f"| {name} | {figure} |"
    yield ""


def _members(m: Members, label: str) -> Iterator[str]:
    yield "## Members"
    yield ""
    yield from _table("", "members", [
        ("at the start", m.at_start), ("joined (confirmed)", m.joined),
        *((f"left: {name}", m.left.get(state, 0)) for state, name in LEFT_LABELS.items()),
        ("at the end", m.at_end), ("growth", percent(m.growth)), ("churn", percent(m.churn))])
    if m.sources:
        shown = ", ".join(f"{name} {count}" for name, count in sorted(m.sources.items()))
        yield f"Joins came from: {shown}."
        yield ""
    yield f"![Members at the end of each month]({label}-members.svg)"
    yield ""
    yield f"![Joins and leaves per month]({label}-joins-leaves.svg)"
    yield ""


def _issues(report: MonthlyReport) -> Iterator[str]:
    yield "## Newsletters"
    yield ""
    if not report.issues:
        yield "No issue was sent this month."
        yield ""
        return
    yield "| issue | recipients | delivered | failed | bounced | unsubscribes |"
    yield "|---|---:|---:|---:|---:|---:|"
    for issue in report.issues:
        c = issue.counts
        yield (f"| {text(issue.subject)} | {c.recipients} | {c.delivered} | {c.failed} | {c.bounced} "
               f"| {c.unsubscribes} |")
    yield ""
    yield "Unsubscribes are the issue's own unsubscribe links used before the month ended."
    yield ""
    for issue in report.issues:
        yield f"![Issue: {text(issue.subject)}]({report.month.label}-issue-{issue.counts.issue}.svg)"
        yield ""


def _survey(s: SurveyResult) -> Iterator[str]:
    yield f"### {text(s.title)}"
    yield ""
    yield (f"{s.respondents} respondents of {s.reached} members reached: response rate "
           f"{percent(s.response_rate)}. New comments this month: {s.new_comments} "
           f"({'published on the site' if s.comments_published else 'kept private'}).")
    yield ""
    for question in s.questions:
        yield f"**{text(question.text)}**"
        yield ""
        yield from _table("option", "answers", ((text(option), count) for option, count in question.options))


def _content(report: MonthlyReport) -> Iterator[str]:
    c = report.content
    yield "## Content"
    yield ""
    for kind, titles in c.published.items():
        listed = "; ".join(text(t) for t in titles)
        yield f"- **{kind}**: {len(titles)}" + (f" — {listed}" if titles else "")
    yield ""
    glance = c.next_month
    coming = ", ".join(f"{PLAN_WORDS.get(what, what)}: {n}" for what, n in sorted(glance.counts.items()))
    coming = coming or "nothing planned yet"
    yield f"Next month at a glance (the editorial calendar): {coming}."
    if glance.issues:
        yield f"Issues: {'; '.join(text(s) for s in glance.issues)}."
    yield ""


def _followups(report: MonthlyReport) -> Iterator[str]:
    a = report.followups
    yield "## Follow-ups"
    yield ""
    oldest = "–" if a.oldest_open_days is None else f"{a.oldest_open_days:.1f} days"
    yield f"- open: {a.open} (the oldest waits {oldest}); answered: {a.answered}; resolved: {a.resolved}"
    yield (f"- median time to answer: {hours(a.median_hours_to_answer)}; to resolve: "
           f"{hours(a.median_hours_to_resolve)} (those received since {report.start:%Y-%m-%d})")
    yield ""


def _traffic(report: MonthlyReport) -> Iterator[str]:
    t = report.traffic
    if t is None:
        return
    yield "## Site traffic"
    yield ""
    yield (f"{t.total} page views this month, from the analytics export (a privacy-friendly tool's "
           "counts; tidings itself tracks nothing).")
    yield ""
    yield f"![Page views per day]({report.month.label}-traffic.svg)"
    yield ""
    if t.top_pages:
        yield from _table("page", "views", ((text(page), views) for page, views in t.top_pages))


def to_markdown(report: MonthlyReport) -> str:
    """The report as Markdown; its images are the chart files beside it."""
    lines = [f"# {text(report.community)}: report for {report.month.label}", "",
             f"From {report.start.isoformat()} to {report.end.isoformat()} (local time). Counts only: "
             "no address, name or message of any member.", ""]
    lines += _members(report.members, report.month.label)
    lines += _issues(report)
    lines += ["## Surveys", ""]
    if not report.surveys:
        lines += ["No survey was carried or answered this month.", ""]
    for survey in report.surveys:
        lines += _survey(survey)
    lines += _content(report)
    lines += _followups(report)
    lines += _traffic(report)
    return "\n".join(lines)


PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<meta name="color-scheme" content="light dark"><title>{title}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:50rem;margin:2rem auto;padding:0 1rem}}
table{{border-collapse:collapse}}td,th{{border:1px solid #8c959f;padding:.2rem .6rem}}
svg{{max-width:100%;height:auto}}</style></head>
<body>
{body}
</body></html>
"""


def to_html(markdown_text: str, chart_list: list[charts.Chart], title: str) -> str:
    """A standalone page: the Markdown rendered, each chart inline instead of its image link."""
    body = markdown.markdown(markdown_text, extensions=MD_EXTENSIONS)
    inline = {f"{c.name}.svg": c.svg for c in chart_list}

    def swap(found: re.Match[str]) -> str:
        return inline.get(html.unescape(found.group(1)), found.group(0))

    body = re.sub(r'<img alt="[^"]*" src="([^"]+)" ?/?>', swap, body)
    return PAGE.format(title=html.escape(title), body=body)
