"""The one registry of content kinds: where each kind's files live, how they are read, where they go.

Adding a kind is one ``Kind`` entry in ``KINDS`` plus its schema, model class and builder (and, for
the site, its page template). The loader, ``check``, the as-of view and the URLs read this table.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from tidings.content import builders, model, schema
from tidings.content.builders import Builder

E = TypeVar("E", bound=model.Entry)


@dataclass(frozen=True, kw_only=True)
class Kind(Generic[E]):
    """One kind of content file, and everything the package needs to know about it."""

    name: str  # singular, as problems name it: "duplicate announcement slug"
    folder: str  # repo-relative folder of its Markdown files
    spec: schema.Spec  # the front-matter keys it takes
    build: Builder  # valid front matter and body → model object
    model: type[E]
    url_folder: str  # its pages' folder in the docs tree ("" = the site root)
    public_date: Callable[[E], datetime | None]  # public from this moment (None: always)
    order: Callable[[E], Any]  # sort key on the public site
    newest_first: bool = False
    slug_key: str | None = None  # front-matter key its slug comes from (None: the file name)
    includable: bool = False  # a newsletter may ``include`` it
    mailed: bool = False  # a newsletter issue: on the site only as an archive copy
    # Keys a translation (``x.fi.md``) may leave out but not change: they make it the same item.
    shared: tuple[str, ...] = ()
    # Keys in words: a translation writes its own, never takes its source's (everything else it may).
    translated: tuple[str, ...] = ("title",)

    @property
    def can_be_draft(self) -> bool:
        """``draft: true`` keeps it in the model and off every public page."""
        return "draft" in self.spec


def _ordered(item: model.Page | model.Guideline) -> tuple[bool, int, str]:
    """Explicit ``order`` first, then by title."""
    return (item.order is None, item.order or 0, item.title)


def _never(item: model.Entry) -> None:
    return None


ANNOUNCEMENTS = Kind[model.Announcement](
    name="announcement", folder="content/announcements", spec=schema.ANNOUNCEMENT,
    build=builders.build_announcement, model=model.Announcement, url_folder="announcements/",
    public_date=lambda a: a.date, order=lambda a: (a.date, a.slug), newest_first=True,
    includable=True, shared=("date",), translated=("title", "summary"))
STORIES = Kind[model.Story](
    name="story", folder="content/stories", spec=schema.STORY, build=builders.build_story,
    model=model.Story, url_folder="stories/", public_date=lambda s: s.date,
    order=lambda s: (s.date, s.slug), newest_first=True, includable=True,
    shared=("date", "member", "consent"), translated=("title", "quote", "role"))
EVENTS = Kind[model.Event](
    name="event", folder="content/events", spec=schema.EVENT, build=builders.build_event,
    model=model.Event, url_folder="events/", public_date=lambda e: e.announced,
    order=lambda e: (e.start, e.slug), includable=True,
    shared=("start", "end", "duration", "timezone", "repeat", "date"), translated=("title", "location"))
SURVEYS = Kind[model.Survey](
    name="survey", folder="content/surveys", spec=schema.SURVEY, build=builders.build_survey,
    model=model.Survey, url_folder="surveys/", public_date=lambda s: s.opens,
    order=lambda s: s.slug, slug_key="id",
    shared=("id", "opens", "closes", "allow_comment", "publish_comments"), translated=("title", "questions"))
PAGES = Kind[model.Page](
    name="page", folder="content/pages", spec=schema.PAGE, build=builders.build_page,
    model=model.Page, url_folder="", public_date=lambda p: p.date, order=_ordered,
    shared=("date",), translated=("title", "description"))
GUIDELINES = Kind[model.Guideline](
    name="guideline", folder="guidelines", spec=schema.GUIDELINE, build=builders.build_guideline,
    model=model.Guideline, url_folder="guidelines/", public_date=_never, order=_ordered,
    shared=("retired",))
NEWSLETTERS = Kind[model.Newsletter](
    name="newsletter", folder="newsletters", spec=schema.NEWSLETTER,
    build=builders.build_newsletter, model=model.Newsletter, url_folder="newsletters/",
    public_date=_never, order=lambda n: (n.send_at, n.slug), newest_first=True, mailed=True,
    shared=("send_at", "audience", "include", "survey"), translated=("subject", "preheader"))
TOPICS = Kind[model.Topic](
    name="topic", folder="content/topics", spec=schema.TOPIC, build=builders.build_topic,
    model=model.Topic, url_folder="topics/", public_date=lambda t: t.week_start,
    order=lambda t: (t.week_start, t.slug), includable=True,
    # The host's name stays, the role may be said in the translation's language: neither list.
    shared=("week", "date", "survey", "discussion"), translated=("title",))

# In this order files are read, problems found and items listed by ``Community.entries``.
KINDS: tuple[Kind[Any], ...] = (ANNOUNCEMENTS, STORIES, EVENTS, TOPICS, SURVEYS, PAGES, GUIDELINES,
                                NEWSLETTERS)
# Where a community overrides the newsletter's email templates.
NEWSLETTER_TEMPLATES = f"{NEWSLETTERS.folder}/templates"

_BY_MODEL: dict[type[model.Entry], Kind[Any]] = {kind.model: kind for kind in KINDS}


def kind_of(entry: model.Entry) -> Kind[Any]:
    """The registered kind of a model object."""
    return _BY_MODEL[type(entry)]
