"""How each kind of content file becomes its model object, once its front matter is valid."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from tidings.content import model, occurrence_plans, recurrence, schema, weeks
from tidings.content.paths import slugify
from tidings.content.rules import markdown_lines, parse_rules
from tidings.content.source import SourceFile
from tidings.dates import parse_when

Builder = Callable[[SourceFile, dict[str, Any], schema.Context], model.Entry | None]


def _title_from_body(body: str) -> str | None:
    for _, line in markdown_lines(body):
        if line.startswith("# "):
            return line[2:].strip()
    return None


def build_announcement(src: SourceFile, v: dict[str, Any], ctx: schema.Context) -> model.Entry:
    return model.Announcement(
        path=src.path, slug=slugify(src.name), title=v["title"], body=src.body,
        body_line=src.body_line, lang=v.get("lang"), date=v["date"], summary=v.get("summary"),
        tags=v.get("tags", ()), authors=v.get("authors", ()), image=v.get("image"),
    )


def build_story(src: SourceFile, v: dict[str, Any], ctx: schema.Context) -> model.Entry | None:
    consent = v.get("consent", False)
    if consent is not True and ("consent" not in src.meta or "consent" in v):  # else: reported
        ctx.notice(("consent",), "awaiting consent: not published until the member agrees and "
                                 "'consent: true' is written")
    return model.Story(
        path=src.path, slug=slugify(src.name), title=v["title"], body=src.body,
        body_line=src.body_line, lang=v.get("lang"), date=v["date"], member=v["member"],
        consent=consent, quote=v.get("quote"), image=v.get("image"), role=v.get("role"),
        tags=v.get("tags", ()),
    )


def build_event(src: SourceFile, v: dict[str, Any], ctx: schema.Context) -> model.Entry | None:
    tz = v.get("timezone", ctx.tz)
    if "timezone" in src.meta and "timezone" not in v:
        return None  # bad timezone already reported; times would be wrong
    try:
        start = parse_when(v["start"], tz)
    except ValueError as exc:
        ctx.report(("start",), f"'start': {exc}")
        return None
    if "end" in v and "duration" in v:
        ctx.report(("duration",), "give either 'end' or 'duration', not both")
        return None
    if "end" in v:
        try:
            end = parse_when(v["end"], tz)
        except ValueError as exc:
            ctx.report(("end",), f"'end': {exc}")
            return None
        if recurrence.is_date_only(v["end"]):
            end = recurrence.day_after(end.date(), tz)  # a date alone: through the end of that day
    elif "duration" in v:
        end = start + v["duration"]
    else:
        if "duration" not in src.meta and "end" not in src.meta:
            ctx.report((), "missing required key 'end' or 'duration'")
        return None
    if end <= start:
        ctx.report(("end",), f"'end' ({end.isoformat()}) must be after 'start' ({start.isoformat()})")
        return None
    # A date without a time, lasting whole days, is an all-day event (a sprint, a conference day).
    all_day = (recurrence.is_date_only(v["start"]) and (end - start) % timedelta(days=1) == timedelta(0)
               and ("end" not in v or recurrence.is_date_only(v["end"])))
    repeat = v.get("repeat")
    if repeat is not None:
        try:
            repeat = recurrence.read_repeat(repeat, start, tz, all_day)
        except ValueError as exc:
            ctx.report(("repeat",), f"'repeat': {exc}")
            return None
    plans = _plans(v, start, end, tz, repeat, all_day, ctx)
    return model.Event(
        path=src.path, slug=slugify(src.name), title=v["title"], body=src.body,
        body_line=src.body_line, lang=v.get("lang"), start=start, end=end, timezone=tz,
        all_day=all_day,
        location=v.get("location"), url=v.get("url"), hosts=v.get("hosts", ()),
        kind=v.get("kind"), repeat=repeat, announced=v.get("date"), plans=plans,
    )


def _plans(v: dict[str, Any], start: datetime, end: datetime, tz: ZoneInfo, repeat: str | None,
           all_day: bool, ctx: schema.Context) -> tuple[model.OccurrencePlan, ...]:
    """The event's ``occurrences``, which only a repeating event can have."""
    if "occurrences" not in v:
        return ()
    if repeat is None:
        ctx.report(("occurrences",), "'occurrences' plans the dates of a repeating event: add "
                                     f"'repeat' ({recurrence.EXAMPLE}) or remove 'occurrences'")
        return ()
    series = occurrence_plans.Series(start, end - start, tz, repeat, all_day)
    return occurrence_plans.read_plans(v["occurrences"], series, ctx)


def build_survey(src: SourceFile, v: dict[str, Any], ctx: schema.Context) -> model.Entry | None:
    if "opens" in v and "closes" in v and v["closes"] <= v["opens"]:
        ctx.report(("closes",), "'closes' must be after 'opens'")
    return model.Survey(
        path=src.path, slug=v["id"], title=v["title"], body=src.body, body_line=src.body_line,
        lang=v.get("lang"), id=v["id"], questions=v["questions"], opens=v.get("opens"),
        closes=v.get("closes"), allow_comment=v.get("allow_comment", False),
        publish_comments=v.get("publish_comments", False),
    )


def build_page(src: SourceFile, v: dict[str, Any], ctx: schema.Context) -> model.Entry:
    stem = src.name
    title = v.get("title") or _title_from_body(src.body) or stem.replace("-", " ").title()
    return model.Page(
        path=src.path, slug=slugify(stem), title=title, body=src.body, body_line=src.body_line,
        lang=v.get("lang"), description=v.get("description"), date=v.get("date"),
        hide=v.get("hide", ()), order=v.get("order"),
    )


def build_guideline(src: SourceFile, v: dict[str, Any], ctx: schema.Context) -> model.Entry:
    return model.Guideline(
        path=src.path, slug=slugify(src.name), title=v["title"], body=src.body,
        body_line=src.body_line, rules=tuple(parse_rules(src.body, src.body_line)),
        order=v.get("order"), updated=v.get("updated"), retired=v.get("retired", ()),
    )


def build_newsletter(src: SourceFile, v: dict[str, Any], ctx: schema.Context) -> model.Entry:
    return model.Newsletter(
        path=src.path, slug=slugify(src.name), title=v["subject"], body=src.body,
        body_line=src.body_line, subject=v["subject"], send_at=v["send_at"],
        audience=v.get("audience", model.Audience()), include=v.get("include", ()),
        survey=v.get("survey"), preheader=v.get("preheader"), template=v.get("template"),
    )


def build_topic(src: SourceFile, v: dict[str, Any], ctx: schema.Context) -> model.Entry | None:
    if "week" in src.meta and "date" in src.meta:
        ctx.report(("date",), "give either 'week' or 'date', not both")
        return None
    if "week" in v:
        start = weeks.week_start(*weeks.parse_week(v["week"]), ctx.tz)
    elif "date" in v:
        start = v["date"]
    else:
        if "week" not in src.meta and "date" not in src.meta:  # else: its value was reported
            ctx.report((), f"missing required key 'week' (an ISO week such as {weeks.EXAMPLE}) or 'date'")
        return None
    if "host" not in src.meta:
        ctx.notice((), "no host yet: write 'host: Name, role' (who opens the discussion)")
    return model.Topic(
        path=src.path, slug=slugify(src.name), title=v["title"], body=src.body,
        body_line=src.body_line, lang=v.get("lang"), week_start=start, week=v.get("week"),
        host=v.get("host"), survey=v.get("survey"), discussion=v.get("discussion"),
    )
