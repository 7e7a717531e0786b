"""Read a community repo from disk into the content model, collecting every problem on the way."""

from __future__ import annotations

import dataclasses
import posixpath
import re
import unicodedata
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from tidings.config import Config
from tidings.content import model, recurrence, schema
from tidings.content.feedback import FeedbackRow, load_feedback_file
from tidings.content.rules import markdown_lines, parse_rules, rule_headings, rule_history
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
LINK_RE = re.compile(r"!?\[(?P<text>[^\]]*)\]\(\s*<?(?P<target>[^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
CODE_SPAN_RE = re.compile(r"`+[^`]*`+")


def slugify(text: str) -> str:
    """A URL slug: lowercase letters (any script), digits, '_' and '-'; 'Café Talk' -> 'café-talk'."""
    slug = re.sub(r"[^\w]+", "-", unicodedata.normalize("NFKC", text).lower()).strip("-_")
    return slug or "item"


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
        draft=v.get("draft", False),
    )


def _build_story(src: SourceFile, v: dict[str, Any], ctx: schema.Context) -> model.Entry | None:
    if v["consent"] is not True:
        ctx.report(("consent",), "a member story needs 'consent: true' (the member agreed to "
                                 "publication) before it can be published")
    return model.Story(
        path=src.path, slug=slugify(Path(src.path).stem), title=v["title"], body=src.body,
        body_line=src.body_line, lang=v.get("lang"), date=v["date"], member=v["member"],
        consent=v["consent"], quote=v.get("quote"), image=v.get("image"), role=v.get("role"),
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
        draft=v.get("draft", False), hide=v.get("hide", ()), order=v.get("order"),
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
    if entry is not None:
        entry = dataclasses.replace(entry, lines=source.lines)
    return entry, problems


@dataclasses.dataclass
class EntryCache:
    """Parsed files kept between rebuilds of a live preview, valid for one set of settings."""

    config: Config | None = None
    files: dict[str, tuple[tuple[int, int], model.Entry | None, list[Problem]]] = dataclasses.field(
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


def load_file(kind: str, rel: str, file: Path, config: Config) -> tuple[model.Entry | None, list[Problem]]:
    try:
        text = file.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        return None, [Problem(rel, 1, f"not UTF-8 text ({exc})")]
    source, problems = parse_source(rel, text)
    if source is None:
        return None, problems
    entry, found = load_entry(kind, source, config)
    return entry, problems + found


def load_community(
    root: Path, config: Config, *, history: bool = True, cache: EntryCache | None = None
) -> tuple[model.Community, list[Problem]]:
    """Load every content file under ``root``; return the model and every problem found."""
    problems: list[Problem] = []
    entries: dict[str, list[model.Entry]] = {kind: [] for kind, _ in KIND_DIRS}
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
        if entry is not None:
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
    feedback, found = load_feedback(root, community)
    problems.extend(found)
    community = dataclasses.replace(community, feedback=feedback)
    problems.extend(check_duplicates(community))
    problems.extend(check_links(community, root))
    problems.extend(check_guidelines(community, root, history=history))
    problems.extend(check_newsletters(community, root))
    return community, problems


def load_feedback(root: Path, community: model.Community
                  ) -> tuple[dict[str, tuple[FeedbackRow, ...]], list[Problem]]:
    """``feedback/*.csv``: each file named after a survey, each answer one of its options."""
    folder = root / "feedback"
    found: dict[str, tuple[FeedbackRow, ...]] = {}
    problems: list[Problem] = []
    surveys = {s.id: s for s in community.surveys}
    for file in sorted(folder.glob("*.csv")) if folder.is_dir() else []:
        path = file.relative_to(root).as_posix()
        survey = surveys.get(file.stem)
        if survey is None:
            problems.append(Problem(path, 1,
                                    f"no survey '{file.stem}' in content/surveys/ for this file"))
            continue
        rows, bad = load_feedback_file(file, path)
        problems.extend(bad)
        options = {q.id: q.options for q in survey.questions}
        good = []
        for line, row in rows:
            if row.question not in options:
                problems.append(Problem(path, line,
                                        f"question '{row.question}' is not in survey '{survey.id}'"))
            elif row.answer not in options[row.question]:
                problems.append(Problem(path, line,
                                        f"'{row.answer}' is not an option of question '{row.question}'"))
            else:
                good.append(row)
        found[survey.id] = tuple(good)
    return found, problems


def check_duplicates(community: model.Community) -> list[Problem]:
    """Two files of one kind must not share a slug (they would share a URL)."""
    problems = []
    groups: list[tuple[str, tuple[model.Entry, ...]]] = [
        ("announcement", community.announcements), ("story", community.stories),
        ("event", community.events), ("survey", community.surveys),
        ("page", community.pages), ("guideline", community.guidelines),
        ("newsletter", community.newsletters),
    ]
    for kind, items in groups:
        seen: dict[str, model.Entry] = {}
        for entry in items:
            if entry.slug in seen:
                what = "id" if kind == "survey" else "slug"
                problems.append(Problem(entry.path, entry.line_of("id") if kind == "survey" else 1,
                                        f"duplicate {kind} {what} '{entry.slug}' "
                                        f"(also used by {seen[entry.slug].path})", what))
            else:
                seen[entry.slug] = entry
    return problems


def body_links(entry: model.Entry) -> list[tuple[int, str, str]]:
    """(file line, link text, target) of every Markdown link and image in the body."""
    links = []
    for index, line in markdown_lines(entry.body):
        if "](" not in line:
            continue
        for match in LINK_RE.finditer(CODE_SPAN_RE.sub("", line)):
            links.append((entry.body_line + index, match.group("text"), match.group("target")))
    return links


def resolve_link(entry_path: str, target: str) -> tuple[str, str] | None:
    """Repo-relative path and anchor of a relative link; None for URLs and pure anchors."""
    if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", target) or target.startswith(("#", "/", "//")):
        return None
    path, _, anchor = target.partition("#")
    path = path.split("?")[0]
    resolved = posixpath.normpath(posixpath.join(posixpath.dirname(entry_path), path))
    return resolved, anchor


def check_links(community: model.Community, root: Path) -> list[Problem]:
    """Relative links must point at files that exist (and rule anchors at rules that exist)."""
    problems = []
    by_path = community.by_path()
    for entry in community.entries():
        for line, _, target in body_links(entry):
            resolved = resolve_link(entry.path, target)
            if resolved is None:
                continue
            path, anchor = resolved
            if path.startswith("../") or path == "..":
                problems.append(Problem(entry.path, line, f"broken link '{target}': points outside the repo"))
            elif path.endswith(".md"):
                linked = by_path.get(path)
                if linked is None:
                    why = "no such file" if not (root / path).exists() else "not a valid content file"
                    problems.append(Problem(entry.path, line, f"broken link '{target}': {why}"))
                elif anchor and isinstance(linked, model.Guideline):
                    ids = {rule.id for rule in linked.rules}
                    if anchor not in ids:
                        problems.append(Problem(entry.path, line,
                                                f"broken link '{target}': {path} has no rule '#{anchor}'"))
            elif not (root / path).exists():
                problems.append(Problem(entry.path, line, f"broken link '{target}': no such file"))
    return problems


def check_guidelines(community: model.Community, root: Path, *, history: bool) -> list[Problem]:
    """Every rule has a permanent id; ids are unique; removed ids must be listed as retired."""
    problems = []
    for guideline in community.guidelines:
        seen: set[str] = set()
        for heading in rule_headings(guideline.body):
            line = guideline.body_line + heading.index
            if heading.id is None:
                suggestion = slugify(heading.title)
                problems.append(Problem(guideline.path, line,
                                        f"rule '{heading.title}' has no permanent id: write "
                                        f"'## {heading.title} {{#{suggestion}}}'"))
            elif heading.id in seen:
                problems.append(Problem(guideline.path, line, f"duplicate rule id '{heading.id}'"))
            elif heading.id in guideline.retired:
                problems.append(Problem(guideline.path, line,
                                        f"rule id '{heading.id}' is listed under 'retired' and "
                                        "must not be used again (ids never change meaning)"))
            if heading.id:
                seen.add(heading.id)
        if not history:
            continue
        current = {rule.id for rule in guideline.rules}
        published: dict[str, str] = {}
        for version in rule_history(root, guideline.path):
            for rule_id in version.rules:
                published.setdefault(rule_id, version.commit[:8])
        for rule_id, commit in sorted(published.items()):
            if rule_id not in current and rule_id not in guideline.retired:
                problems.append(Problem(guideline.path, 1,
                                        f"rule id '{rule_id}' was published (commit {commit}) and is "
                                        f"gone: list it under 'retired' if it was removed on purpose",
                                        "retired"))
    return problems


def check_newsletters(community: model.Community, root: Path) -> list[Problem]:
    """A newsletter's ``include`` and ``survey`` must point at something."""
    problems = []
    includable = {e.path: e for e in (*community.announcements, *community.events, *community.stories)}
    surveys = {s.id for s in community.surveys}
    for letter in community.newsletters:
        if isinstance(letter.include, tuple):
            for index, path in enumerate(letter.include):
                if path.lstrip("./") not in includable:
                    line = letter.line_of("include", index)
                    exists = (root / path).exists()
                    why = "it is not an announcement, event or story" if exists else "no such file"
                    problems.append(Problem(letter.path, line,
                                            f"include '{path}' points at nothing ({why})", "include"))
        if letter.survey and letter.survey not in surveys:
            known = ", ".join(sorted(surveys)) or "none"
            problems.append(Problem(letter.path, letter.line_of("survey"),
                                    f"survey '{letter.survey}' does not exist (known surveys: {known})",
                                    "survey"))
        if letter.template and not (root / "newsletters" / "templates" / letter.template).is_file():
            problems.append(Problem(letter.path, letter.line_of("template"),
                                    f"template '{letter.template}' not found in newsletters/templates/",
                                    "template"))
    return problems
