"""The as-of view: what the public may see at a moment T, and the assets held back until then."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tidings.content.kinds import KINDS, Kind
from tidings.content.loader import body_links, resolve_link
from tidings.content.model import ByKind, Community, Entry, Newsletter, is_public
from tidings.issue import issue_content


@dataclass(frozen=True)
class PublicView(ByKind):
    """The community as the public site shows it at ``as_of``, each kind in its public order."""

    community: Community
    as_of: datetime
    items: Mapping[str, tuple[Entry, ...]]
    kinds: tuple[Kind[Any], ...] = KINDS

    @property
    def paths(self) -> frozenset[str]:
        """Source paths of every public item (links to anything else are unlinked)."""
        return frozenset(item.path for kind in self.kinds if not kind.mailed
                         for item in self.of_kind(kind.name))


def _shown(community: Community, kind: Kind[Any], as_of: datetime) -> tuple[Entry, ...]:
    """The items of ``kind`` public at ``as_of``, in the kind's public order."""
    items = community.of_kind(kind.name)
    public: list[Entry]
    if kind.mailed:
        public = [n for n in items if isinstance(n, Newsletter) and newsletter_is_public(community, n, as_of)]
    else:
        public = [entry for entry in items if is_public(entry, as_of)]
    return tuple(sorted(public, key=kind.order, reverse=kind.newest_first))


def public_view(community: Community, as_of: datetime, kinds: Sequence[Kind[Any]] = KINDS) -> PublicView:
    """Filter ``community`` to what is public at ``as_of`` (an aware datetime)."""
    return PublicView(community=community, as_of=as_of, kinds=tuple(kinds),
                      items={kind.name: _shown(community, kind, as_of) for kind in kinds})


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
    for kind in view.kinds:
        if kind.mailed:
            continue  # newsletter images are fetched from the site by mail clients
        for entry in view.community.of_kind(kind.name):
            refs = asset_references(entry)
            (used_publicly if entry.path in public else used_privately).update(refs)
    logo = view.community.config.logo
    if logo:
        used_publicly.add(logo.lstrip("/"))
    return used_privately - used_publicly
