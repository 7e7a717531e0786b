"""Read a community repo from disk into the content model, collecting every problem on the way."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from tidings.config import Config
from tidings.content import model, recurrence, schema
from tidings.content.crosscheck import (
    Unloaded,
    check_duplicates,
    check_guidelines,
    check_links,
    check_newsletters,
    load_feedback,
)
from tidings.content.paths import CODE_SPAN_RE as CODE_SPAN_RE  # where other modules find them
from tidings.content.paths import LINK_RE as LINK_RE
from tidings.content.paths import body_links as body_links
from tidings.content.paths import resolve_link as resolve_link
from tidings.content.paths import slugify as slugify
from tidings.content.rules import markdown_lines, parse_rules
from tidings.content.source import SourceFile, parse_source
from tidings.dates import parse_when
from tidings.errors import Problem

# (kind, folder relative to the repo root)
KIND_DIRS: tuple[tuple[str, str], ...] = (
    ("announcement", "content/announcements"),
    ("story", "content/stories"),
    ("event", "content/events"),
    ("survey", "content/surveys"),
    ("page", "content/pages"),
    ("guideline", "guidelines"),
    ("newsletter", "newsletters"),
)
# Page slugs that would collide with the sections tidings generates.
RESERVED_PAGE_SLUGS = {
    "index", "announcements", "stories", "events", "guidelines", "surveys", "newsletters",
    "assets", "search", "tags", "feed", "atom", "404", "subscribe",
}


def _title_from_body(body: str) -> str | None:
    for _, line in markdown_lines(body):
        if line.startswith("# "):
            return line[2:].strip()
    return None


def _build_announcement(src: SourceFile, v: dict[str, Any], ctx: schema.Context) -> model.Entry:
    return model.Announcement(
        path=src.path, slug=slugify(Path(src.path).stem), title=v["title"], body=src.body,
        body_line=src.body_line, lang=v.get("lang"), date=v["date"], summary=v.get("summary"),
        tags=v.get("tags", ()), authors=v.get("authors", ()), image=v.get("image"),
    )


def _build_story(src: SourceFile, v: dict[str, Any], ctx: schema.Context) -> model.Entry | None:
    consent = v.get("consent", False)
    if consent is not True and ("consent" not in src.meta or "consent" in v):  # else: reported
        ctx.notice(("consent",), "awaiting consent: not published until the member agrees and "
                                 "'consent: true' is written")
    return model.Story(
        path=src.path, slug=slugify(Path(src.path).stem), title=v["title"], body=src.body,
        body_line=src.body_line, lang=v.get("lang"), date=v["date"], member=v["member"],
        consent=consent, quote=v.get("quote"), image=v.get("image"), role=v.get("role"),
        tags=v.get("tags", ()),
    )


def _build_event(src: SourceFile, v: dict[str, Any], ctx: schema.Context) -> model.Entry | None:
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
    return model.Event(
        path=src.path, slug=slugify(Path(src.path).stem), title=v["title"], body=src.body,
        body_line=src.body_line, lang=v.get("lang"), start=start, end=end, timezone=tz,
        all_day=all_day,
        location=v.get("location"), url=v.get("url"), hosts=v.get("hosts", ()),
        kind=v.get("kind"), repeat=repeat, announced=v.get("date"),
    )


def _build_survey(src: SourceFile, v: dict[str, Any], ctx: schema.Context) -> model.Entry | None:
    if "opens" in v and "closes" in v and v["closes"] <= v["opens"]:
        ctx.report(("closes",), "'closes' must be after 'opens'")
    return model.Survey(
        path=src.path, slug=v["id"], title=v["title"], body=src.body, body_line=src.body_line,
        lang=v.get("lang"), id=v["id"], questions=v["questions"], opens=v.get("opens"),
        closes=v.get("closes"), allow_comment=v.get("allow_comment", False),
        publish_comments=v.get("publish_comments", False),
    )


def _build_page(src: SourceFile, v: dict[str, Any], ctx: schema.Context) -> model.Entry:
    stem = Path(src.path).stem
    title = v.get("title") or _title_from_body(src.body) or stem.replace("-", " ").title()
    slug = slugify(stem)
    if slug in RESERVED_PAGE_SLUGS:
        ctx.report((), f"page name '{stem}' is taken by a section tidings generates; rename the file")
    return model.Page(
        path=src.path, slug=slug, title=title, body=src.body, body_line=src.body_line,
        lang=v.get("lang"), description=v.get("description"), date=v.get("date"),
        hide=v.get("hide", ()), order=v.get("order"),
    )


def _build_guideline(src: SourceFile, v: dict[str, Any], ctx: schema.Context) -> model.Entry:
    return model.Guideline(
        path=src.path, slug=slugify(Path(src.path).stem), title=v["title"], body=src.body,
        body_line=src.body_line, rules=tuple(parse_rules(src.body, src.body_line)),
        order=v.get("order"), updated=v.get("updated"), retired=v.get("retired", ()),
    )


def _build_newsletter(src: SourceFile, v: dict[str, Any], ctx: schema.Context) -> model.Entry:
    return model.Newsletter(
        path=src.path, slug=slugify(Path(src.path).stem), title=v["subject"], body=src.body,
        body_line=src.body_line, subject=v["subject"], send_at=v["send_at"],
        audience=v.get("audience", model.Audience()), include=v.get("include", ()),
        survey=v.get("survey"), preheader=v.get("preheader"), template=v.get("template"),
    )


Builder = Callable[[SourceFile, dict[str, Any], schema.Context], model.Entry | None]
KINDS: dict[str, tuple[schema.Spec, Builder]] = {
    "announcement": (schema.ANNOUNCEMENT, _build_announcement),
    "story": (schema.STORY, _build_story),
    "event": (schema.EVENT, _build_event),
    "survey": (schema.SURVEY, _build_survey),
    "page": (schema.PAGE, _build_page),
    "guideline": (schema.GUIDELINE, _build_guideline),
    "newsletter": (schema.NEWSLETTER, _build_newsletter),
}


def load_entry(kind: str, source: SourceFile, config: Config) -> tuple[model.Entry | None, list[Problem]]:
    """Validate one parsed file of ``kind`` and build its model object."""
    spec, build = KINDS[kind]
    problems: list[Problem] = []
    if not source.has_front_matter and any(required for _, required in spec.values()):
        keys = ", ".join(k for k, (_, required) in spec.items() if required)
        return None, [Problem(source.path, 1, f"no front matter: start the file with '---', "
                                              f"then at least {keys}, then '---'")]
    ctx = schema.Context(config.timezone, config.root, source, problems)
    values = schema.validate_fields(source.meta, spec, ctx)
    required = [k for k, (_, req) in spec.items() if req]
    if any(k not in values for k in required):
        return None, problems
    entry = build(source, values, ctx)
    if entry is not None:  # every kind may be a draft: kept in the model, never public
        entry = dataclasses.replace(entry, lines=source.lines, draft=values.get("draft", False))
    return entry, problems


@dataclasses.dataclass
class EntryCache:
    """Parsed files kept between rebuilds of a live preview, valid for one set of settings."""

    config: Config | None = None
    files: dict[str, tuple[tuple[int, int], model.Entry | Unloaded, list[Problem]]] = dataclasses.field(
        default_factory=dict)


def content_files(root: Path) -> list[tuple[str, str, Path]]:
    """(kind, repo-relative path, file) of every content file, in a stable order."""
    found = []
    for kind, folder in KIND_DIRS:
        directory = root / folder
        if directory.is_dir():
            for file in sorted(directory.glob("*.md")):
                found.append((kind, file.relative_to(root).as_posix(), file))
    return found


def load_file(kind: str, rel: str, file: Path, config: Config
              ) -> tuple[model.Entry | Unloaded, list[Problem]]:
    """One content file: its model object, or (when it has errors) what cross-checks need of it."""
    try:
        text = file.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        return Unloaded(kind, rel), [Problem(rel, 1, f"not UTF-8 text ({exc})")]
    source, problems = parse_source(rel, text)
    if source is None:
        return Unloaded(kind, rel), problems
    entry, found = load_entry(kind, source, config)
    if entry is None:
        return Unloaded(kind, rel, source.body, source.body_line, source.meta), problems + found
    return entry, problems + found


def load_community(
    root: Path, config: Config, *, history: bool = True, cache: EntryCache | None = None
) -> tuple[model.Community, list[Problem]]:
    """Load every content file under ``root``; return the model and every problem found."""
    problems: list[Problem] = []
    entries: dict[str, list[model.Entry]] = {kind: [] for kind, _ in KIND_DIRS}
    unloaded: list[Unloaded] = []
    if cache is not None and cache.config != config:
        cache.config, cache.files = config, {}  # settings changed: validate every file again
    for kind, rel, file in content_files(root):
        if cache is None:
            entry, found = load_file(kind, rel, file, config)
        else:
            info = file.stat()
            stamp = (info.st_mtime_ns, info.st_size)
            cached = cache.files.get(rel)
            if cached is None or cached[0] != stamp:
                cached = (stamp, *load_file(kind, rel, file, config))
                cache.files[rel] = cached
            _, entry, found = cached
        problems.extend(found)
        if isinstance(entry, Unloaded):
            unloaded.append(entry)
        else:
            entries[kind].append(entry)
    community = model.Community(
        config=config,
        announcements=tuple(entries["announcement"]),  # type: ignore[arg-type]
        stories=tuple(entries["story"]),  # type: ignore[arg-type]
        events=tuple(entries["event"]),  # type: ignore[arg-type]
        surveys=tuple(entries["survey"]),  # type: ignore[arg-type]
        pages=tuple(entries["page"]),  # type: ignore[arg-type]
        guidelines=tuple(entries["guideline"]),  # type: ignore[arg-type]
        newsletters=tuple(entries["newsletter"]),  # type: ignore[arg-type]
    )
    feedback, found = load_feedback(root, community, unloaded)
    problems.extend(found)
    community = dataclasses.replace(community, feedback=feedback)
    problems.extend(check_duplicates(community))
    problems.extend(check_links(community, root, unloaded))
    problems.extend(check_guidelines(community, root, history=history))
    problems.extend(check_newsletters(community, root, unloaded))
    return community, problems
