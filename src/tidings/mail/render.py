"""Render a newsletter issue: jinja2 -> MJML -> HTML (mjml-python) and a plain-text part.

The templates are rendered and compiled once per issue and timezone; what differs per
subscriber (unsubscribe and survey links) is left as ``%%tidings:key%%`` placeholders that
``message.MessageTemplate`` splices in per recipient.
"""

from __future__ import annotations

import functools
import re
import sys
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any
from zoneinfo import ZoneInfo

import jinja2
import markdown
from markupsafe import Markup, escape
from mjml import mjml2html

from tidings.calendar.schedule import Occurrence
from tidings.content.excerpt import first_paragraph
from tidings.content.kinds import NEWSLETTER_TEMPLATES
from tidings.content.links import KEEP, rewrite_links
from tidings.content.model import Announcement, Community, Entry, Newsletter, Story, is_public
from tidings.content.topic_weeks import topic_end
from tidings.embargo import embargoed_assets, public_view
from tidings.errors import ContentError, Problem, template_problem
from tidings.issue import IncludedItem, IncludedTopic, IssueContent, content_in_language, issue_content
from tidings.labels import texts_for
from tidings.mail.plaintext import html_to_text, link_line, wrap_text
from tidings.urls import calendar_url, page_url

UNSUBSCRIBE = "%%tidings:unsubscribe%%"
SURVEY = "%%tidings:survey%%"
PLACEHOLDER_RE = re.compile(r"%%tidings:([a-z_]+)%%")
MD_EXTENSIONS = ["attr_list", "tables", "fenced_code", "sane_lists"]
KNOWN_MJML_TAGS = {
    "mjml", "mj-head", "mj-body", "mj-attributes", "mj-all", "mj-class", "mj-breakpoint",
    "mj-font", "mj-preview", "mj-style", "mj-title", "mj-include", "mj-accordion",
    "mj-accordion-element", "mj-accordion-title", "mj-accordion-text", "mj-button",
    "mj-carousel", "mj-carousel-image", "mj-column", "mj-divider", "mj-group", "mj-hero",
    "mj-image", "mj-navbar", "mj-navbar-link", "mj-raw", "mj-section", "mj-social",
    "mj-social-element", "mj-spacer", "mj-table", "mj-text", "mj-wrapper",
}


@dataclass(frozen=True)
class RenderedIssue:
    """An issue as every subscriber of one timezone gets it, before personal links."""

    newsletter: Newsletter
    content: IssueContent
    subject: str
    html: str
    text: str
    lang: str = "en"  # its Content-Language, and the html element's lang


def template_environment(root: Path) -> jinja2.Environment:
    """Templates from ``newsletters/templates/`` first, then tidings' defaults."""
    loaders: list[jinja2.BaseLoader] = []
    overrides = root / NEWSLETTER_TEMPLATES
    if overrides.is_dir():
        loaders.append(jinja2.FileSystemLoader(str(overrides)))
    loaders.append(jinja2.PackageLoader("tidings", "templates/mail"))
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        autoescape=jinja2.select_autoescape(enabled_extensions=("mjml.j2", "html.j2"),
                                            default_for_string=False),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )
    # For the text part: wrapped lines, and links written "label: <url>".
    env.filters["wrap"] = wrap_text
    env.filters["link"] = link_line
    return env


def _template_problem(root: Path, exc: Exception, tb: TracebackType | None) -> Problem:
    """Where in which newsletter template a jinja error happened (file relative to the repo, line)."""
    return template_problem(root, exc, tb, unknown="newsletter template", builtin_prefix="tidings:")


class IssueRenderer:
    """Renders one issue of a community for any timezone (compiled once per timezone)."""

    def __init__(self, community: Community, newsletter: Newsletter, now: datetime, *,
                 lang: str | None = None, content: IssueContent | None = None) -> None:
        """``newsletter`` is the version in ``lang`` (default: its own language, or its audience's);
        ``content`` what the issue contains in that language (default: worked out here)."""
        self.community = community
        self.config = community.config
        self.newsletter = newsletter
        self.lang = lang or newsletter.audience.lang or newsletter.lang or self.config.language
        if content is None:
            content = content_in_language(community, issue_content(community, newsletter, now), self.lang)
        self.content = content
        self.text = texts_for(self.config, self.lang)
        self.env = template_environment(self.config.root)
        self._md = markdown.Markdown(extensions=MD_EXTENSIONS)
        self._cache: dict[str, RenderedIssue] = {}

    # -- content as the templates see it ----------------------------------------------------
    def absolute_links(self, entry: Entry) -> str:
        """A body with links made absolute; links to what is not public at send time unlinked."""
        by_path = self.community.by_path()

        def retarget(path: str, anchor: str) -> str | None:
            if path.startswith("assets/"):
                return None if path in self.held_back else self.config.url(path)
            linked = by_path.get(path)
            if linked is None or not path.endswith(".md"):
                return KEEP
            linked = self.in_language(linked)
            return page_url(self.config, linked, anchor) if is_public(linked, self.content.at) else None

        return rewrite_links(entry, retarget)

    def in_language(self, entry: Entry) -> Entry:
        """The version of ``entry`` in the issue's language, when there is a visible one."""
        version = self.community.versions(entry).get(self.lang)
        return version if version is not None and (not version.hidden or entry.hidden) else entry

    def html_of(self, markdown_text: str) -> Markup:
        self._md.reset()
        return Markup(self._md.convert(markdown_text))  # noqa: S704 - our own Markdown rendering

    @functools.cached_property
    def held_back(self) -> frozenset[str]:
        """Assets the site does not publish yet at send time (used only by early-access items)."""
        if not any(included.public_on for included in self.content.included):
            return frozenset()
        return frozenset(embargoed_assets(public_view(self.community, self.content.at)))

    def image_url(self, image: str | None) -> str | None:
        """Absolute image URL for email; SVG is left out (Gmail and Outlook do not show it), and
        so is an image the site holds back until its item is public (it would not load)."""
        if not image or image.lower().endswith(".svg") or image.lstrip("/") in self.held_back:
            return None
        return image if re.match(r"^https?://", image) else self.config.url(image)

    def day(self, moment: datetime) -> str:
        return self.text.day(moment.astimezone(self.config.timezone))

    def issue_header(self) -> dict[str, Any]:
        """Subject, intro and the "on the web" line of the issue."""
        letter, content, t = self.newsletter, self.content, self.text
        intro = self.html_of(self.absolute_links(letter)) if letter.body.strip() else Markup("")
        # The issue's page is on the site only once all it told early is public (the site's own
        # rule, ``embargo.newsletter_is_public``): until then the line says when, and links nowhere.
        public_on = content.public_on
        return {
            "subject": letter.subject, "preheader": letter.preheader or "",
            "intro_html": intro, "intro_text": html_to_text(intro),
            "view_url": None if public_on else page_url(self.config, letter),
            "view_label": (t["mail.view_online_from"].format(date=self.day(public_on)) if public_on
                           else t["mail.view_online"]),
        }

    def item(self, included: IncludedItem) -> dict[str, Any]:
        entry, early, t = included.entry, included.public_on, self.text
        body = self.absolute_links(entry)
        summary = getattr(entry, "summary", None) if isinstance(entry, Announcement) else None
        # Early-access news is told in full (its page is not on the site yet); the rest is
        # a teaser with a link, which keeps the message under Gmail's clipping size.
        html = self.html_of(body) if early else self.html_of(summary or first_paragraph(body))
        meta = self.day(entry.date)
        if isinstance(entry, Story):
            meta = entry.member + (f", {entry.role}" if entry.role else "")
        return {
            "title": entry.title, "url": None if early else page_url(self.config, entry),
            "early": t["mail.early_access"].format(date=self.day(early)) if early else "",
            "meta": meta, "image_url": self.image_url(entry.image),
            "quote": entry.quote if isinstance(entry, Story) else None,
            "html": html, "text": html_to_text(html),
        }

    def topic(self, included: IncludedTopic) -> dict[str, Any]:
        """A "Topic of the week" block: its days, host, opening post and discussion link."""
        topic, early, t = included.entry, included.public_on, self.text
        body = self.absolute_links(topic)
        # Like early-access news, a topic whose week has not begun is told in full (no page yet).
        html = self.html_of(body) if early else self.html_of(first_paragraph(body))
        first = topic.week_start.astimezone(self.config.timezone)
        last = (topic_end(topic) - timedelta(days=1)).astimezone(self.config.timezone)
        return {
            "title": topic.title, "url": None if early else page_url(self.config, topic),
            "early": t["mail.early_access"].format(date=self.day(early)) if early else "",
            "days": t.days(first.date(), last.date()),
            "host": t["mail.topic_host"].format(host=topic.host) if topic.host else "",
            "discussion_url": topic.discussion, "html": html, "text": html_to_text(html),
        }

    def event(self, occurrence: Occurrence, tz: ZoneInfo | None) -> dict[str, Any]:
        event, t = occurrence.event, self.text
        zone = tz or event.timezone
        start, end = occurrence.start.astimezone(zone), occurrence.end.astimezone(zone)
        when = (f"{t.day(start)} ({t['events.all_day']})" if event.all_day
                else f"{t.day(start)}, {t.time_range(start, end)}")
        # The event's page and .ics are on the site only once it is announced.
        public = is_public(event, self.content.at)
        # The occurrence's own hosts when the event plans them per date.
        hosts = ", ".join(occurrence.hosts)
        return {
            "title": occurrence.title, "when": when, "where": event.location or "",
            # The rule said as a sentence in the reader's language, never the RRULE itself.
            "repeats": t.repeats(event.repeat, zone) if event.repeat else "",
            "hosts": t["calendar.hosts"].format(hosts=hosts) if hosts else "",
            "url": event.url or (page_url(self.config, event) if public else None),
            "calendar_url": calendar_url(self.config, event) if public else None,
        }

    def survey(self) -> dict[str, Any] | None:
        s = self.content.survey
        if s is None:
            return None
        intro_html = self.html_of(self.absolute_links(s)) if s.body.strip() else Markup("")
        return {
            "title": s.title, "intro_html": intro_html, "intro_text": html_to_text(intro_html),
            "questions": [{
                "text": q.text,
                "options": [{"label": option, "url": self.config.collector(f"s/{SURVEY}?q={q.id}&a={index}")}
                            for index, option in enumerate(q.options)],
            } for q in s.questions],
        }

    def context(self, tz: ZoneInfo | None, preview: bool = False) -> dict[str, Any]:
        """What the templates see; ``preview`` adds the note that marks a preview or test copy."""
        c, t, content = self.config, self.text, self.content
        rule_changes = [{
            "title": change.title, "url": page_url(c, change.guideline, change.rule_id),
            "what": t["mail.rule_added"] if change.what == "added" else t["mail.rule_changed"],
        } for change in content.rule_changes]
        labels = dict(t.labels)
        labels["mail.why"] = labels["mail.why"].format(name=c.name)
        return {
            "lang": self.lang,
            "preview": labels["mail.preview"] if preview else "",
            "community": {
                "name": c.name, "site_url": c.site_url, "site_host": c.host, "contact": c.contact,
                "brand_color": c.brand_color, "logo_url": self.image_url(c.logo),
            },
            "issue": self.issue_header(),
            "items": [self.item(included) for included in content.items],
            "events": [self.event(occurrence, tz) for occurrence in content.events],
            "topics": [self.topic(included) for included in content.topics],
            "survey": self.survey(), "rule_changes": rule_changes,
            "unsubscribe_url": c.collector(f"u/{UNSUBSCRIBE}"),
            "labels": labels,
        }

    # -- rendering ---------------------------------------------------------------------------
    def render(self, tz: ZoneInfo | None = None, *, preview: bool = False) -> RenderedIssue:
        """The issue for subscribers in ``tz`` (None: each event in its own timezone).

        ``preview``: a preview or test copy, marked as such at its top.
        """
        key = f"{tz}:{preview}"
        if key not in self._cache:
            self._cache[key] = self._render(tz, preview)
        return self._cache[key]

    def _render(self, tz: ZoneInfo | None, preview: bool) -> RenderedIssue:
        root = self.config.root
        context = self.context(tz, preview)
        template_name = self.newsletter.template or "newsletter.mjml.j2"
        text_name = (template_name.removesuffix(".mjml.j2") + ".txt.j2"
                     if self.newsletter.template else "newsletter.txt.j2")
        try:
            mjml_source = self.env.get_template(template_name).render(context)
            try:
                text_template = self.env.get_template(text_name)
            except jinja2.TemplateNotFound:
                text_template = self.env.get_template("newsletter.txt.j2")
            text = text_template.render(context)
        except jinja2.TemplateError as exc:
            raise ContentError([_template_problem(root, exc, sys.exc_info()[2])]) from None
        problems = validate_mjml(mjml_source, self.newsletter.path)
        if problems:
            raise ContentError(problems)
        try:
            # fonts={}: no web-font <link>s (Google Fonts would see every open).
            html = str(mjml2html(mjml_source, disable_comments=True, fonts={}))
        except ValueError as exc:
            problem = Problem(self.newsletter.path, 1, f"MJML could not be compiled: {exc}")
            raise ContentError([problem]) from None
        text = re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"
        html = quiet_preheader(html)
        if preview:
            html, text = marked(html, text, context["preview"])
        return RenderedIssue(self.newsletter, self.content, self.newsletter.subject, html, text, self.lang)


# MJML hides the preheader as 1px white text: spam filters score that as hidden text
# (SpamAssassin's HTML_FONT_LOW_CONTRAST). display:none hides it just as well in every client.
MJML_PREHEADER = ('<div style="display:none;font-size:1px;color:#ffffff;line-height:1px;'
                  'max-height:0px;max-width:0px;opacity:0;overflow:hidden;">')
PREHEADER = '<div style="display:none;max-height:0px;max-width:0px;overflow:hidden;mso-hide:all;">'


def quiet_preheader(html: str) -> str:
    """The compiled HTML with ``mj-preview``'s text hidden without a low-contrast font."""
    return html.replace(MJML_PREHEADER, PREHEADER, 1)


def marked(html: str, text: str, note: str) -> tuple[str, str]:
    """A preview's parts with its note at the top, also when a template of one's own left it out."""
    if " ".join(note.split()) not in " ".join(text.split()):  # the text template wraps it over lines
        text = f"*** {wrap_text(note)} ***\n\n{text}"
    if str(escape(note)) not in html:  # the templates write it HTML-escaped
        banner = ('<div style="background:#fff8c5;color:#3b2300;padding:10px 16px;font:600 14px/1.4 '
                  f'sans-serif">{escape(note)}</div>')
        html = re.sub(r"(<body\b[^>]*>)", lambda m: m.group(1) + banner, html, count=1)
    return html, text


def validate_mjml(source: str, path: str) -> list[Problem]:
    """mjml-python accepts unknown tags silently: name them (with the line of the MJML output)."""
    problems = []
    for number, line in enumerate(source.splitlines(), start=1):
        for tag in re.findall(r"<(mj-[a-z-]+|mjml)\b", line):
            if tag not in KNOWN_MJML_TAGS:
                problems.append(Problem(path, 0, f"unknown MJML tag <{tag}> (line {number} of the "
                                                 "rendered template)"))
    return problems
