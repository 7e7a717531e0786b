"""Newsletter checks that need rendering: subject, closed survey, image URLs, size, templates."""

from __future__ import annotations

import re
from datetime import datetime

from tidings.config import Config, _line_of
from tidings.content.loader import body_links, resolve_link
from tidings.content.model import Community, Newsletter
from tidings.errors import ContentError, Problem
from tidings.locale_data import base_language
from tidings.mail.languages import IssueLanguages, issue_versions, pick_language

SUBJECT_WARN = 78  # longer subjects are cut in most inboxes
SUBJECT_MAX = 200
GMAIL_CLIP = 100 * 1024  # Gmail clips messages above ~102 KB of HTML
READABLE = 4.5  # WCAG AA contrast for body-size text
IMG_TAG_RE = re.compile(r"<img\b[^>]*\bsrc=[\"']([^\"']+)[\"']", re.IGNORECASE)


def check_newsletter(community: Community, letter: Newsletter, now: datetime, *,
                     render: bool = True) -> list[Problem]:
    """Problems only a rendered issue shows, in each of its language versions; ``render=False``
    when its template is known missing."""
    problems = overlapping_issues(community, letter)
    survey = next((s for s in community.surveys if s.id == letter.survey), None)
    if survey is not None and not survey.is_open(letter.send_at):
        when = "closed" if survey.closes and survey.closes <= letter.send_at else "not open yet"
        problems.append(Problem(letter.path, letter.line_of("survey"),
                                f"survey '{survey.id}' is {when} at send_at "
                                f"({letter.send_at.isoformat()}): its buttons would not work", "survey"))
    languages = IssueLanguages(community, letter, now) if render else None
    for lang, version in issue_versions(community, letter).items():
        problems += _written(version)
        if languages is None:
            continue
        try:
            rendered = languages.renderer(lang).render()
        except ContentError as exc:
            problems += exc.problems
            continue
        size = len(rendered.html.encode("utf-8"))
        if size > GMAIL_CLIP:
            problems.append(Problem(version.path, 1,
                                    f"the HTML is {size // 1024} KB: Gmail clips messages over about 100 KB "
                                    "(include fewer items, or summaries)", None, "warning"))
    return problems


def _written(letter: Newsletter) -> list[Problem]:
    """What one version says itself: its subject's length, images mail clients can load."""
    problems: list[Problem] = []
    subject_line = letter.line_of("subject")
    if len(letter.subject) > SUBJECT_MAX:
        problems.append(Problem(letter.path, subject_line,
                                f"subject is {len(letter.subject)} characters; keep it under {SUBJECT_WARN}",
                                "subject"))
    elif len(letter.subject) > SUBJECT_WARN:
        problems.append(Problem(letter.path, subject_line,
                                f"subject is {len(letter.subject)} characters: inboxes cut it after "
                                f"about {SUBJECT_WARN}", "subject", "warning"))
    for line, _, target in body_links(letter):
        resolved = resolve_link(letter.path, target)
        if resolved and not resolved[0].startswith("assets/") and _is_image(target):
            problems.append(Problem(letter.path, line,
                                    f"image '{target}' needs an absolute https:// URL (or a file under "
                                    "assets/, published with the site): mail clients cannot load it"))
    for index, body_line in enumerate(letter.body.splitlines()):
        for src in IMG_TAG_RE.findall(body_line):
            if not re.match(r"^https?://", src):
                problems.append(Problem(letter.path, letter.body_line + index,
                                        f"image '{src}' needs an absolute https:// URL"))
    return problems


def overlapping_issues(community: Community, letter: Newsletter) -> list[Problem]:
    """Another issue sent at the same moment to readers of a language this one is for: they
    would get both (the old way to send a translation). Said once, at the narrower issue."""
    problems = []
    mine = letter.audience.lang
    for other in community.newsletters:
        theirs = other.audience.lang
        if other is letter or other.draft or letter.draft or other.send_at != letter.send_at or not mine:
            continue
        if theirs and (base_language(theirs) != base_language(mine) or other.path > letter.path):
            continue  # other languages never overlap; two issues for one language: said at the later file
        suggestion = "" if theirs else _one_issue(community, other, mine)
        problems.append(Problem(letter.path, letter.line_of("audience"),
                                f"sent at the same time as {other.path} to an overlapping audience: "
                                f"subscribers reading {mine} get the news twice{suggestion}",
                                "audience", "warning"))
    return problems


def _one_issue(community: Community, other: Newsletter, lang: str) -> str:
    """How to send ``other`` to readers of ``lang`` once: its translation in that language."""
    versions = issue_versions(community, other)
    written = pick_language(lang, list(versions)[1:], "")  # its translations (a draft is never sent)
    if written:
        version = versions[written]
        return f"; they already get {other.path} in {written} ({version.path}): one of the two is enough"
    return (f"; to send a {lang} version of {other.path}, make this file its translation "
            f"{other.path.removesuffix('.md')}.{lang}.md: each subscriber then gets one copy, "
            "in their language")


def contrast(first: str, second: str) -> float:
    """The WCAG contrast ratio of two #rrggbb colors (1 to 21)."""

    def luminance(color: str) -> float:
        channels = [int(color[i:i + 2], 16) / 255 for i in (1, 3, 5)]
        r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    light, dark = sorted((luminance(first), luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def check_brand_color(config: Config) -> list[Problem]:
    """The email's header and buttons put white text on ``brand_color``: it must stay readable."""
    if not re.fullmatch(r"#[0-9a-fA-F]{6}", config.brand_color):
        return []  # reported by the settings check
    ratio = contrast(config.brand_color, "#ffffff")
    if ratio >= READABLE:
        return []
    try:  # the line of the setting (TOML parsers give no positions)
        line = _line_of((config.root / "pyproject.toml").read_text(encoding="utf-8"), "brand_color")
    except OSError:
        line = 0
    return [Problem("pyproject.toml", line,
                    f"brand_color {config.brand_color} under the email's white text has a contrast of "
                    f"{ratio:.1f}:1; at least {READABLE}:1 keeps the header and buttons readable "
                    "(and spam filters score low-contrast text)", "brand_color", "warning")]


def _is_image(target: str) -> bool:
    return bool(re.search(r"\.(png|jpe?g|gif|webp|svg|avif)(\?|#|$)", target, re.IGNORECASE))
