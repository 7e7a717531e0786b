"""Text that enters from outside (forms, CSV cells, CLI arguments) made inert where it enters.

Every edge calls these before a value is stored or used: a name can never carry a line break
into a header, a NUL into PostgreSQL, or 10 MB into a column of 200 characters. The message
builder refuses control characters again on its own (defence in depth).
"""

from __future__ import annotations

import re

from tidings.errors import InputError

# C0 controls, DEL, C1 controls, and the Unicode line/paragraph separators some clients treat
# as line breaks.
CONTROL_RE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
# Lone surrogates: bytes that were not UTF-8 (a command-line argument) and cannot be stored.
SURROGATE_RE = re.compile("[\ud800-\udfff]")

# Column sizes of the store (store/schema.py): checked here so the database never sees more.
NAME_MAX = 200
EMAIL_MAX = 320
LANG_MAX = 35
TIMEZONE_MAX = 64
COMMENT_MAX = 5000
TAG_MAX = 100


def has_control(value: str) -> bool:
    """True when ``value`` holds a character that could break a header line or a record."""
    return CONTROL_RE.search(value) is not None


def single_line(value: str) -> str:
    """``value`` on one line: control characters become spaces, runs of spaces one; trimmed."""
    return " ".join(CONTROL_RE.sub(" ", value).split())


def clean_name(value: str | None, *, field: str = "name", max_length: int = NAME_MAX) -> str | None:
    """A display name as stored: one line, trimmed, at most ``max_length``; None when empty."""
    if value is None:
        return None
    cleaned = single_line(value)
    if not cleaned.isascii() and SURROGATE_RE.search(cleaned):
        raise InputError(f"{field} is not UTF-8 text", field=field)
    if len(cleaned) > max_length:
        raise InputError(f"{field} is {len(cleaned)} characters long; at most {max_length} are allowed",
                         field=field)
    return cleaned or None


def clean_text(value: str | None, *, field: str = "comment", max_length: int = COMMENT_MAX) -> str | None:
    """Free text (a comment): line breaks kept as ``\\n``, other control characters removed."""
    if value is None:
        return None
    text = value.replace("\r\n", "\n").replace("\r", "\n")
    text = CONTROL_RE.sub(lambda m: m.group() if m.group() in "\n\t" else "", text).strip()
    if len(text) > max_length:
        raise InputError(f"{field} is {len(text)} characters long; at most {max_length} are allowed",
                         field=field)
    return text or None


def escape_field(value: str) -> str:
    r"""``value`` for one field of a tab-separated line: backslash, tab, line breaks and other
    control characters written ``\\``, ``\t``, ``\n``, ``\u001b``…, so no value can look like another
    field or record, or drive a terminal."""
    if not CONTROL_RE.search(value) and "\\" not in value:
        return value
    named = {"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r", "\x00": "\\0"}
    return re.sub(r"[\\\x00-\x1f\x7f-\x9f\u2028\u2029]",
                  lambda m: named.get(m.group(), f"\\u{ord(m.group()):04x}"), value)


def refuse_control(value: str, *, field: str) -> str:
    """``value`` unchanged, or InputError when it holds a control character (headers, ids)."""
    if has_control(value):
        raise InputError(f"{field} contains a control character (line break, NUL, …)", field=field)
    return value
