"""The as-of view: what the public may see at a moment T, and the assets held back until then."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from tidings.content.loader import body_links, resolve_link
from tidings.content.model import (
    Announcement,
    Community,
    Entry,
    Event,
    Guideline,
    Newsletter,
    Page,
    Story,
    Survey,
    is_public,
)
from tidings.issue import issue_content


@dataclass(frozen=True)
class PublicView:
    """The community as the public site shows it at ``as_of``; newest announcements first."""

    community: Community
    as_of: datetime
    announcements: tuple[Announcement, ...]
    stories: tuple[Story, ...]
    events: tuple[Event, ...]
    surveys: tuple[Survey, ...]
    pages: tuple[Page, ...]
    guidelines: tuple[Guideline, ...]
    newsletters: tuple[Newsletter, ...] = ()

    @property
    def paths(self) -> frozenset[str]:
        """Source paths of every public item (links to anything else are unlinked)."""
        items: tuple[Entry, ...] = (
            *self.announcements, *self.stories, *self.events, *self.surveys,
            *self.pages, *self.guidelines,
        )
        return frozenset(item.path for item in items)


T = TypeVar("T", bound=Entry)


def _ordered(item: Page | Guideline) -> tuple[bool, int, str]:
    """Explicit ``order`` first, then by title."""
    return (item.order is None, item.order or 0, item.title)


def _public(entries: Iterable[T], at: datetime) -> list[T]:
    return [entry for entry in entries if is_public(entry, at)]


def public_view(community: Community, as_of: datetime) -> PublicView:
    """Filter ``community`` to what is public at ``as_of`` (an aware datetime)."""
    return PublicView(
        community=community,
        as_of=as_of,
        announcements=tuple(sorted(_public(community.announcements, as_of),
                                   key=lambda a: (a.date, a.slug), reverse=True)),
        stories=tuple(sorted(_public(community.stories, as_of),
                             key=lambda s: (s.date, s.slug), reverse=True)),
        events=tuple(sorted(_public(community.events, as_of), key=lambda e: (e.start, e.slug))),
        surveys=tuple(sorted(_public(community.surveys, as_of), key=lambda s: s.slug)),
        pages=tuple(sorted(_public(community.pages, as_of), key=_ordered)),
        guidelines=tuple(sorted(_public(community.guidelines, as_of), key=_ordered)),
        newsletters=tuple(sorted((n for n in community.newsletters
                                  if newsletter_is_public(community, n, as_of)),
                                 key=lambda n: (n.send_at, n.slug), reverse=True)),
    )


def newsletter_is_public(community: Community, newsletter: Newsletter, at: datetime) -> bool:
    """A past issue joins the web archive once everything it told early is public too."""
    if newsletter.hidden or newsletter.send_at > at:
        return False
    return issue_content(community, newsletter, at).public_on is None


def asset_references(entry: Entry) -> set[str]:
    """Repo paths under assets/ an item uses (its image and links or images in its body)."""
    found = set()
    image = getattr(entry, "image", None)
    if isinstance(image, str) and image.startswith("assets/"):
        found.add(image)
    for _, _, target in body_links(entry):
        resolved = resolve_link(entry.path, target)
        if resolved and resolved[0].startswith("assets/"):
            found.add(resolved[0])
    return found


def embargoed_assets(view: PublicView) -> set[str]:
    """Assets used only by items that are not public yet: a picture can give the news away."""
    public = view.paths
    used_publicly: set[str] = set()
    used_privately: set[str] = set()
    for entry in view.community.entries():
        if isinstance(entry, Newsletter):
            continue  # newsletter images are fetched from the site by mail clients
        refs = asset_references(entry)
        (used_publicly if entry.path in public else used_privately).update(refs)
    logo = view.community.config.logo
    if logo:
        used_publicly.add(logo.lstrip("/"))
    return used_privately - used_publicly
