"""Reading a message from outside without trusting it: headers, addresses, ids and the text part.

Every accessor here returns plain, one-line (or cleaned multi-line) text and never raises on broken
MIME, 8-bit headers, unknown charsets or missing parts: a hostile message is read as best it can be.
"""

from __future__ import annotations

import re
from contextlib import suppress
from email import message_from_bytes
from email.header import decode_header, make_header
from email.message import Message
from email.utils import getaddresses
from html.parser import HTMLParser

from tidings.inputs import single_line

MSG_ID_RE = re.compile(r"<([^<>\s]{1,500})>")
HEADER_MAX = 998  # a header value longer than a line may be is cut before it is decoded
TEXT_MAX = 20_000  # characters of a reply kept: a follow-up is read by a person
_QUOTE_START = re.compile(
    r"^(?:On\b.{0,300}\bwrote:|Am\b.{0,300}\bschrieb\b.{0,100}:|Le\b.{0,300}\ba écrit\s*:|"
    r".{0,300}\bkirjoitti:|-{2,}\s*(?:Original Message|Alkuperäinen viesti|Ursprüngliche Nachricht)"
    r"\s*-{2,}|_{20,}|-- )\s*$", re.IGNORECASE)


def parse(raw: bytes) -> Message:
    """The message as the lenient compat32 parser reads it (it records defects instead of raising)."""
    return message_from_bytes(raw)


def header(message: Message, name: str) -> str:
    """The first ``name`` header as one line of text, RFC 2047 decoded; "" when absent or unreadable."""
    values = headers(message, name)
    return values[0] if values else ""


def headers(message: Message, name: str) -> list[str]:
    """Every ``name`` header, each as one line of decoded text."""
    out = []
    for key, value in message.raw_items() if hasattr(message, "raw_items") else message.items():
        if key.lower() == name.lower():
            out.append(_decode(str(value)[:HEADER_MAX]))
    return out


def _decode(value: str) -> str:
    """RFC 2047 words decoded; bytes that were not UTF-8 (surrogates) made visible, never kept."""
    text = value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    with suppress(ValueError, LookupError, UnicodeError, AssertionError):  # a broken word stays as written
        text = str(make_header(decode_header(text)))
    return single_line(text)


def sender(message: Message) -> tuple[str | None, str | None]:
    """(display name, address) of ``From``; address None when there is no plausible one."""
    pairs = getaddresses([header(message, "From")])
    for name, address in pairs:
        if "@" in address and " " not in address and len(address) <= 320:
            return (single_line(name) or None), address
    return None, None


def message_ids(value: str) -> list[str]:
    """The ``<id@host>`` ids in a header value, in order."""
    return [f"<{m}>" for m in MSG_ID_RE.findall(value)]


def referenced_ids(message: Message) -> list[str]:
    """The ids a reply refers to, the nearest first: In-Reply-To, then References from the end."""
    ids = message_ids(header(message, "In-Reply-To"))
    for mid in reversed(message_ids(" ".join(headers(message, "References")))):
        if mid not in ids:
            ids.append(mid)
    return ids


class _Text(HTMLParser):
    """The text of an HTML part, block elements as line breaks, scripts and styles dropped."""

    BLOCKS = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "blockquote"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "head"):
            self.skip += 1
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "head") and self.skip:
            self.skip -= 1

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.parts.append(data)


def _part_text(part: Message) -> str:
    """A text part decoded with its charset (UTF-8 when it names none or an unknown one)."""
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return str(part.get_payload()) if not part.is_multipart() else ""
    charset = part.get_content_charset() or "utf-8"
    try:
        return payload.decode(charset, "replace")
    except LookupError:
        return payload.decode("utf-8", "replace")


def body_text(message: Message) -> str:
    """The message's words: the first text/plain part, else the first text/html part as text."""
    html = None
    for part in message.walk():
        if part.get_content_maintype() == "multipart" or part.get_filename():
            continue
        kind = part.get_content_type()
        if kind == "text/plain":
            return _part_text(part)
        if kind == "text/html" and html is None:
            html = part
    if html is None:
        return ""
    parser = _Text()
    parser.feed(_part_text(html))
    parser.close()
    return "".join(parser.parts)


def trim_quoted(text: str) -> str:
    """The member's own words: quoted lines (``>``), the quoted history and the signature cut off.

    When nothing is left (a reply written only inside the quote), the whole text is kept.
    """
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    kept: list[str] = []
    for line in lines:
        if _QUOTE_START.match(line.strip()) or line == "-- ":
            break
        if not line.lstrip().startswith(">"):
            kept.append(line.rstrip())
    own = "\n".join(kept).strip()
    return own if own else text.strip()
