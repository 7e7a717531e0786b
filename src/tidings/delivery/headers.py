"""Header lines built from data: RFC 2047 encoded-words, folding, display names, addresses.

Every header value that comes from data (names, subjects, addresses, the community's name) is
written here. A value holding a control character is refused with ``InputError``, so text a
caller forgot to clean can never start a header line of its own. Display names are made one line
first: rows stored before names were cleaned at the edges still reach the builder.
"""

from __future__ import annotations

import base64
import re
from functools import lru_cache

import idna

from tidings.errors import InputError
from tidings.inputs import CONTROL_RE, single_line

CRLF = b"\r\n"
LINE = 78  # RFC 5322: lines SHOULD be at most 78 characters; 998 octets is the hard limit
WORD_BYTES = 45  # 45 UTF-8 octets -> 60 base64 characters -> an encoded-word of 72 (RFC 2047: 75)
WORD_OVERHEAD = len("=?utf-8?b??=")
LONGEST_WORD = 60  # an ASCII word longer than this is encoded instead, so that it can be split
ATOMS_RE = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~ -]+")  # atext and spaces: needs no quoting
ADDR_SPEC_RE = re.compile(r'[^\s<>()\[\],;:"\\@\ud800-\udfff]+@[^\s<>()\[\],;:"\\@\ud800-\udfff]+')
DOT_ATOM_RE = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")
NOT_ATOM_RE = re.compile(r"[^A-Za-z0-9_.-]+")
LIST_ID_RE = re.compile(r"\s*([^<>]*?)\s*<([^<>]*)>\s*")
MSG_ID_RE = re.compile(r"<([!-;=?-~]+)@([^\s<>@\x00-\x1f\x7f-\x9f\u2028\u2029]+)>")


def refuse_control(name: str, value: str) -> None:
    """InputError when ``value`` holds a character that could end the header line ``name``."""
    if CONTROL_RE.search(value):
        raise InputError(f"the {name} header would contain a control character (line break, tab, "
                         "NUL, …)", field=name)


def first_word_bytes(name: str) -> int:
    """Octets the first encoded-word may hold so that ``Name: word`` fits in one line."""
    room = (LINE - len(name) - 2 - WORD_OVERHEAD) // 4 * 3
    return max(4, min(WORD_BYTES, room))  # 4: the longest UTF-8 character


def encoded_words(text: str, first: int = WORD_BYTES) -> list[str]:
    """``text`` as RFC 2047 'B' encoded-words of whole characters, each at most 75 long."""
    data = text.encode("utf-8", "replace")  # a lone surrogate becomes "?", never an exception
    words: list[str] = []
    start, budget = 0, first
    while start < len(data):
        end = min(start + budget, len(data))
        while end < len(data) and data[end] & 0xC0 == 0x80:  # never split a character
            end -= 1
        words.append(f"=?utf-8?b?{base64.b64encode(data[start:end]).decode('ascii')}?=")
        start, budget = end, WORD_BYTES
    return words


def fold(name: str, value: str) -> bytes:
    """``Name: value`` as CRLF-ended lines, folded before spaces to stay within 78 characters."""
    line = f"{name}: {value}"
    if len(line) <= LINE:
        return line.encode("utf-8") + CRLF
    lines: list[str] = []
    current = f"{name}:"
    for word in value.split(" "):
        # A line is never left empty or blank: folding only ever happens before a space.
        if len(current) + 1 + len(word) > LINE and current.strip() and current != f"{name}:":
            lines.append(current)
            current = ""
        current += " " + word
    lines.append(current)
    return "\r\n".join(lines).encode("utf-8") + CRLF


def _plain(text: str) -> bool:
    """Whether ASCII ``text`` can go out as it is: no encoded-word look-alike, no unfoldable word."""
    return text.isascii() and "=?" not in text and max(map(len, text.split(" "))) <= LONGEST_WORD


def header(name: str, value: str) -> bytes:
    """An unstructured header line (a subject): RFC 2047-encoded unless plain ASCII, folded."""
    if (len(name) + len(value) < LINE - 1 and value.isascii() and value.isprintable()
            and "=?" not in value and not value.startswith(" ") and not value.endswith(" ")):
        return f"{name}: {value}".encode("ascii") + CRLF  # the common case, kept fast
    refuse_control(name, value)
    text = value.strip()
    if not text or _plain(text):
        return fold(name, text)
    return fold(name, " ".join(encoded_words(text, first_word_bytes(name))))


def phrase(display: str, first: int = WORD_BYTES) -> str:
    """A one-line display name as RFC 5322 words: atoms, a quoted string, or encoded-words."""
    if _plain(display):
        if ATOMS_RE.fullmatch(display):
            return display
        return '"' + display.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return " ".join(encoded_words(display, first))


@lru_cache(maxsize=4096)
def ascii_domain(domain: str, field: str = "email") -> str:
    """The domain as IDNA A-labels (``xn--…``): plain ASCII that every server accepts."""
    if domain.isascii():
        return domain
    try:
        return idna.encode(domain, uts46=True).decode("ascii")
    except idna.IDNAError:
        raise InputError(f"'{domain}' is not a valid domain name", field=field) from None


def mailbox(email: str) -> str:
    """An addr-spec for a header or the envelope; InputError if it is not one plain address.

    The domain goes out as IDNA: plain ASCII, so every server takes it without SMTPUTF8. A
    non-ASCII local part has no ASCII form at all: it stays UTF-8 (RFC 6532) and the transport
    asks for SMTPUTF8 (RFC 6531); a relay without it refuses that one message.
    """
    if CONTROL_RE.search(email) or not ADDR_SPEC_RE.fullmatch(email):
        raise InputError("not a single email address (user@example.org)", field="email")
    if email.isascii():
        return email
    local, _, domain = email.rpartition("@")
    return f"{local}@{ascii_domain(domain)}"


def envelope_address(email: str) -> tuple[str, bool]:
    """The address for ``MAIL FROM``/``RCPT TO`` and whether it needs SMTPUTF8 (RFC 6531)."""
    spec = mailbox(email)
    return spec, not spec.isascii()


def address(display: str | None, email: str, *, header_name: str = "To") -> str:
    """``Name <addr>`` on one line (``fold`` folds it), the name made inert; the bare address
    when there is no name."""
    spec = mailbox(email)
    name = single_line(display) if display else ""
    return f"{phrase(name, first_word_bytes(header_name))} <{spec}>" if name else spec


def address_header(name: str, display: str | None, email: str) -> bytes:
    """A ``From``/``To``/``Reply-To`` line for one mailbox."""
    return fold(name, address(display, email, header_name=name))


def list_id_header(value: str) -> bytes:
    """``List-Id: Name <id>`` (RFC 2919) from ``Name <id>`` or a bare id; the id in ASCII (IDNA)."""
    match = LIST_ID_RE.fullmatch(value)
    display, identifier = match.groups() if match else ("", value.strip())
    identifier = ascii_domain(identifier, field="List-Id")
    if not DOT_ATOM_RE.fullmatch(identifier):
        raise InputError(f"'{identifier}' is not a list id (a dot-atom such as news.example.org)",
                         field="List-Id")
    name = single_line(display)
    return fold("List-Id", f"{phrase(name, first_word_bytes('List-Id'))} <{identifier}>" if name
                else f"<{identifier}>")


def message_id_header(value: str) -> bytes:
    """``Message-ID: <left@right>`` on one line, the right side in ASCII (IDNA)."""
    match = MSG_ID_RE.fullmatch(value)
    if match is None:
        raise InputError("not a Message-ID such as <id@example.org>", field="Message-ID")
    left, right = match.groups()
    return f"Message-ID: <{left}@{ascii_domain(right, field='Message-ID')}>".encode("ascii") + CRLF


def message_id_left(text: str) -> str:
    """``text`` (a slug, which may be non-ASCII) as the ASCII left side of a Message-ID."""
    return text if DOT_ATOM_RE.fullmatch(text) else NOT_ATOM_RE.sub("-", text) or "id"


def valid_message_id(value: str | None) -> str | None:
    """``value`` as ``<left@right>`` (the right side in ASCII) when it is one message id, else None:
    ids from a member's mail are outside text and are only ever copied when well formed."""
    match = MSG_ID_RE.fullmatch(value.strip()) if value and len(value) <= 900 else None
    if match is None:
        return None
    left, right = match.groups()
    try:
        return f"<{left}@{ascii_domain(right, field='Message-ID')}>"
    except InputError:
        return None


def message_ids_header(name: str, ids: list[str]) -> bytes:
    """``In-Reply-To``/``References`` (RFC 5322 3.6.4): well-formed ids only, folded between them;
    nothing when none is left."""
    kept = [checked for checked in map(valid_message_id, ids) if checked]
    return fold(name, " ".join(kept)) if kept else b""
