"""RSS 2.0 and Atom feeds of the public announcements (latest first)."""

from __future__ import annotations

from collections.abc import Callable
from email.utils import format_datetime
from xml.etree import ElementTree as ET

from tidings.content.excerpt import first_paragraph
from tidings.content.kinds import ANNOUNCEMENTS
from tidings.content.model import Announcement
from tidings.embargo import PublicView

FEED_SIZE = 20
ATOM_NS = "http://www.w3.org/2005/Atom"


def _summary(item: Announcement) -> str:
    return item.summary or first_paragraph(item.body)


def _bytes(root: ET.Element) -> bytes:
    ET.indent(root)
    body: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=False)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + body + b"\n"


def rss(view: PublicView, url: Callable[[Announcement], str], language: str | None = None,
        prefix: str = "") -> bytes:
    """RSS 2.0; dates come from the items, so the same content gives the same bytes.

    ``language``/``prefix``: the feed of one language of the site (``fi``, under ``fi/``).
    """
    config = view.community.config
    items = view.announcements[:FEED_SIZE]
    root = ET.Element("rss", {"version": "2.0", "xmlns:atom": ATOM_NS})
    channel = ET.SubElement(root, "channel")
    ET.SubElement(channel, "title").text = config.name
    ET.SubElement(channel, "link").text = config.url(prefix + ANNOUNCEMENTS.url_folder)
    ET.SubElement(channel, "description").text = config.description or config.name
    ET.SubElement(channel, "language").text = language or config.language
    ET.SubElement(channel, "atom:link", {"href": config.url(f"{prefix}feed.xml"), "rel": "self",
                                         "type": "application/rss+xml"})
    if items:
        ET.SubElement(channel, "lastBuildDate").text = format_datetime(items[0].date)
    for item in items:
        entry = ET.SubElement(channel, "item")
        ET.SubElement(entry, "title").text = item.title
        ET.SubElement(entry, "link").text = url(item)
        ET.SubElement(entry, "guid", {"isPermaLink": "true"}).text = url(item)
        ET.SubElement(entry, "pubDate").text = format_datetime(item.date)
        ET.SubElement(entry, "description").text = _summary(item)
        for tag in item.tags:
            ET.SubElement(entry, "category").text = tag
    return _bytes(root)


def atom(view: PublicView, url: Callable[[Announcement], str], language: str | None = None,
         prefix: str = "") -> bytes:
    """Atom 1.0 (RFC 4287); ``language``/``prefix`` as for :func:`rss`."""
    config = view.community.config
    items = view.announcements[:FEED_SIZE]
    root = ET.Element("feed", {"xmlns": ATOM_NS, "xml:lang": language or config.language})
    ET.SubElement(root, "title").text = config.name
    ET.SubElement(root, "id").text = config.url(prefix)
    ET.SubElement(root, "link", {"href": config.url(f"{prefix}atom.xml"), "rel": "self"})
    ET.SubElement(root, "link", {"href": config.url(prefix + ANNOUNCEMENTS.url_folder)})
    updated = items[0].date if items else view.as_of
    ET.SubElement(root, "updated").text = updated.isoformat()
    for item in items:
        entry = ET.SubElement(root, "entry")
        ET.SubElement(entry, "title").text = item.title
        ET.SubElement(entry, "id").text = url(item)
        ET.SubElement(entry, "link", {"href": url(item)})
        ET.SubElement(entry, "updated").text = item.date.isoformat()
        ET.SubElement(entry, "published").text = item.date.isoformat()
        for name in item.authors or (config.name,):
            ET.SubElement(ET.SubElement(entry, "author"), "name").text = name
        for tag in item.tags:
            ET.SubElement(entry, "category", {"term": tag})
        ET.SubElement(entry, "summary").text = _summary(item)
    return _bytes(root)
