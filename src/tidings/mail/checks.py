"""Newsletter checks that need rendering: subject, closed survey, image URLs, size, templates."""

from __future__ import annotations

import re
from datetime import datetime

from tidings.content.loader import body_links, resolve_link
from tidings.content.model import Community, Newsletter
from tidings.errors import ContentError, Problem
from tidings.mail.render import IssueRenderer

SUBJECT_WARN = 78  # longer subjects are cut in most inboxes
SUBJECT_MAX = 200
GMAIL_CLIP = 100 * 1024  # Gmail clips messages above ~102 KB of HTML
IMG_TAG_RE = re.compile(r"<img\b[^>]*\bsrc=[\"']([^\"']+)[\"']", re.IGNORECASE)


def check_newsletter(community: Community, letter: Newsletter, now: datetime, *,
                     render: bool = True) -> list[Problem]:
    """Problems only a rendered issue shows; ``render=False`` when its template is known missing."""
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
    survey = next((s for s in community.surveys if s.id == letter.survey), None)
    if survey is not None and not survey.is_open(letter.send_at):
        when = "closed" if survey.closes and survey.closes <= letter.send_at else "not open yet"
        problems.append(Problem(letter.path, letter.line_of("survey"),
                                f"survey '{survey.id}' is {when} at send_at "
                                f"({letter.send_at.isoformat()}): its buttons would not work", "survey"))
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
    if not render:
        return problems
    try:
        rendered = IssueRenderer(community, letter, now).render()
    except ContentError as exc:
        return problems + exc.problems
    size = len(rendered.html.encode("utf-8"))
    if size > GMAIL_CLIP:
        problems.append(Problem(letter.path, 1,
                                f"the HTML is {size // 1024} KB: Gmail clips messages over about 100 KB "
                                "(include fewer items, or summaries)", None, "warning"))
    return problems


def _is_image(target: str) -> bool:
    return bool(re.search(r"\.(png|jpe?g|gif|webp|svg|avif)(\?|#|$)", target, re.IGNORECASE))
