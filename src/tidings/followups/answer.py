"""The team's answer to a follow-up: a plain-text mail to the member, threaded to what they wrote.

Built with the same header code as newsletters (``tidings.delivery.headers``): the member's name,
subject and message ids are outside text, so each is made one line, encoded, or left out when it
is not well formed. The fixed words (the quote line, a subject for a survey comment) are in the
member's language.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import datetime
from email.utils import format_datetime, parseaddr

from tidings.config import Config
from tidings.delivery.headers import (
    CRLF,
    address_header,
    header,
    message_id_header,
    message_ids_header,
    valid_message_id,
)
from tidings.delivery.plain import SOFT_BREAK, qp
from tidings.inputs import CONTROL_RE, single_line
from tidings.labels import texts_for
from tidings.locale_data import base_language
from tidings.store.followups import Followup, Message

MAX_REFERENCES = 20  # RFC 5322 lets a long thread's References be trimmed; the newest ids matter


def answer_language(config: Config, stored: str | None) -> str:
    """The member's stored language if the community has it (``fi-FI`` → ``fi``), else the default."""
    if stored:
        for code in config.languages:
            if code.lower() == stored.lower():
                return code
        for code in config.languages:
            if base_language(code) == base_language(stored):
                return code
    return config.language


def answer_sender(config: Config) -> str:
    """The From address: ``reply_to`` (where the member's reply should land), else the sender."""
    return config.reply_to or config.sender


def _subject(config: Config, item: Followup, lang: str) -> str:
    """``Re: `` and the member's subject (once); a survey comment's in the member's words."""
    subject = single_line(item.subject or "")
    if item.source == "survey":
        subject = texts_for(config, lang)["followups.subject"].format(survey=subject or item.survey or "")
    subject = subject or config.name
    return subject if subject.lower().startswith("re:") else f"Re: {subject}"


def _threading(item: Followup, thread: Sequence[Message]) -> tuple[list[str], list[str]]:
    """``In-Reply-To`` (the member's latest message) and ``References`` (the conversation so far)."""
    member_ids = [item.message_id, *(m.message_id for m in thread if m.direction == "in")]
    latest = [checked for checked in map(valid_message_id, member_ids) if checked][-1:]
    everything = [item.message_id, *(m.message_id for m in thread)]
    references = [checked for checked in map(valid_message_id, everything) if checked]
    return latest, references[-MAX_REFERENCES:]


def _inert(text: str) -> str:
    """Member text for a plain-text body: line breaks kept, other control characters dropped."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return CONTROL_RE.sub(lambda m: m.group() if m.group() in "\n\t" else "", text)


def answer_body(config: Config, item: Followup, thread: Sequence[Message], text: str, *, lang: str) -> str:
    """The answer, the community's signature, and the member's latest words quoted below."""
    words = texts_for(config, lang)
    latest = next((m for m in reversed(thread) if m.direction == "in"), None)
    quoted_at, quoted = (latest.at, latest.body) if latest else (item.received_at, item.body)
    when = words.short_day(quoted_at.astimezone(config.timezone))
    quote = "\n".join(f"> {line}".rstrip() for line in _inert(quoted).split("\n"))
    signature = "\n".join(part for part in (config.name, config.contact) if part)
    wrote = words["followups.wrote"].format(date=when)
    return f"{_inert(text).strip()}\n\n-- \n{signature}\n\n{wrote}\n{quote}\n"


def answer_message(config: Config, item: Followup, thread: Sequence[Message], text: str, *,
                   lang: str, moment: datetime) -> tuple[bytes, str]:
    """The answer as RFC 5322 bytes (plain text, quoted-printable) and its Message-ID."""
    sender_name, sender_email = parseaddr(answer_sender(config))
    message_id = f"<followup-{item.id}-{secrets.token_hex(8)}@{config.host}>"
    in_reply_to, references = _threading(item, thread)
    body = answer_body(config, item, thread, text, lang=lang)
    data = b"".join([
        address_header("From", sender_name, sender_email),
        address_header("To", item.name, item.email or ""),
        header("Subject", _subject(config, item, lang)),
        f"Date: {format_datetime(moment)}".encode() + CRLF,
        message_id_header(message_id),
        message_ids_header("In-Reply-To", in_reply_to),
        message_ids_header("References", references),
        header("Content-Language", lang),
        b"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n",
        b"Content-Transfer-Encoding: quoted-printable" + CRLF + CRLF,
        qp(body).removesuffix(SOFT_BREAK),
    ])
    return data, message_id
