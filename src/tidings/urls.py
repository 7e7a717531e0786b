"""Where each item lives on the public site: one place, used by the site and by email."""

from __future__ import annotations

from urllib.parse import quote, unquote

from tidings.config import Config
from tidings.content.kinds import EVENTS, kind_of
from tidings.content.model import Entry, Event


def page_path(entry: Entry) -> str:
    """The item's page in the docs tree, e.g. ``announcements/hello.md`` (``fi/announcements/…``)."""
    return f"{entry.site_prefix}{kind_of(entry).url_folder}{entry.slug}.md"


def page_url(config: Config, entry: Entry, anchor: str = "") -> str:
    """Absolute URL of the item's page on the published site (directory URLs), percent-encoded.

    Encoded the way MkDocs writes the sitemap, so feeds, calendars and emails name one URL.
    """
    path = page_path(entry).removesuffix(".md")
    path = path.removesuffix("index")
    # An anchor may arrive as written ("#να-είστε") or already encoded: encode it exactly once.
    fragment = f"#{quote(unquote(anchor))}" if anchor else ""
    return config.url(quote(f"{path}/" if path else "")) + fragment


def calendar_path(event: Event) -> str:
    """The event's own ``.ics`` file in the docs tree, e.g. ``events/meetup.ics`` (``fi/events/…``)."""
    return f"{event.site_prefix}{EVENTS.url_folder}{event.slug}.ics"


def calendar_url(config: Config, event: Event) -> str:
    """The event's own ``.ics`` file on the site."""
    return config.url(quote(calendar_path(event)))
