"""What an incoming message is: a member's reply, a complaint report, a bounce report, or mail to
leave alone (an automatic reply, a message without a sender). Pure: bytes in, ``Incoming`` out."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import Message
from email.utils import parsedate_to_datetime

from tidings.inputs import clean_text, single_line
from tidings.mailbox import parse
from tidings.mailbox.reports import Bounce, Complaint, bounce, complaint, report_type

AUTOMATIC_PRECEDENCE = ("auto_reply", "bulk", "junk", "list")
AUTOMATIC_SUBJECT = re.compile(
    r"^\s*(?:out of (?:the )?office|automatic reply|auto(?:matic)?[- ]?(?:reply|response)|autoreply|"
    r"abwesenheitsnotiz|poissaolo|vacation)\b", re.IGNORECASE)
MAIL_SYSTEM = re.compile(r"^(?:mailer-daemon|postmaster|no-?reply)@", re.IGNORECASE)
SUBJECT_MAX = 300
ID_MAX = 500


@dataclass(frozen=True)
class Incoming:
    """One message as tidings understands it. ``kind``: reply, complaint, bounce or ignored."""

    kind: str
    message_id: str
    reason: str = ""  # why it is ignored
    name: str | None = None
    email: str | None = None
    subject: str | None = None
    text: str = ""
    references: tuple[str, ...] = ()
    date: datetime | None = None
    complaint: Complaint | None = None
    bounce: Bounce | None = None
    notes: tuple[str, ...] = field(default=())


def _message_id(message: Message, raw: bytes) -> str:
    """The message's own id; a digest of its bytes when it has none (so it is still filed once)."""
    ids = parse.message_ids(parse.header(message, "Message-ID"))
    if ids and len(ids[0]) <= ID_MAX:
        return ids[0]
    return f"<{hashlib.sha256(raw).hexdigest()[:40]}@no-message-id.invalid>"


def _date(message: Message, now: datetime) -> datetime:
    """When the member wrote: the Date header, or now when it is missing, broken or in the future."""
    try:
        when = parsedate_to_datetime(parse.header(message, "Date"))
    except (TypeError, ValueError, IndexError, OverflowError):
        return now
    when = when if when.tzinfo else when.replace(tzinfo=UTC)
    return now if when > now + timedelta(days=1) else when.astimezone(UTC)


def automatic(message: Message) -> str | None:
    """Why the message was written by a program (RFC 3834 Auto-Submitted, Precedence, an
    out-of-office subject, a mail system's address), or None for a person's message."""
    submitted = parse.header(message, "Auto-Submitted").lower()
    if submitted and submitted != "no":
        return f"an automatic reply (Auto-Submitted: {submitted[:40]})"
    precedence = parse.header(message, "Precedence").lower()
    if precedence in AUTOMATIC_PRECEDENCE:
        return f"automatic or bulk mail (Precedence: {precedence})"
    if parse.header(message, "X-Autoreply") or parse.header(message, "X-Autorespond"):
        return "an automatic reply (X-Autoreply)"
    if AUTOMATIC_SUBJECT.match(parse.header(message, "Subject")):
        return "an automatic reply (out of office)"
    _, address = parse.sender(message)
    if address and MAIL_SYSTEM.match(address):
        return "a mail system's message that is not a report"
    return None


def _reply(message: Message, mid: str, now: datetime, truncated: bool, ours: Collection[str]) -> Incoming:
    name, address = parse.sender(message)
    if address is None:
        return Incoming("ignored", mid, reason="no sender address (From) to answer")
    if address.lower() in ours:
        return Incoming("ignored", mid, reason="our own message (a copy of an issue or of an answer)")
    text = parse.trim_quoted(parse.body_text(message))
    notes: tuple[str, ...] = ()
    if truncated or len(text) > parse.TEXT_MAX:
        text = text[:parse.TEXT_MAX].rstrip() + "\n[… the rest of this message was cut]"
        notes = ("the message was longer than a follow-up keeps: its start was filed",)
    subject = single_line(parse.header(message, "Subject"))[:SUBJECT_MAX] or None
    return Incoming("reply", mid, name=(name or "")[:200] or None, email=address, subject=subject,
                    text=clean_text(text, max_length=parse.TEXT_MAX + 100) or "(no text)",
                    references=tuple(parse.referenced_ids(message)), date=_date(message, now), notes=notes)


def classify(raw: bytes, now: datetime, truncated: bool = False, ours: Collection[str] = ()) -> Incoming:
    """What ``raw`` is; never raises (a message that cannot be read at all is ignored, with why).

    ``ours``: the community's own addresses (lower case); mail from them is never a member's reply.
    """
    try:
        message = parse.parse(raw)
        mid = _message_id(message, raw)
    except Exception as exc:  # noqa: BLE001 - outside bytes must never stop the run
        return Incoming("ignored", f"<{hashlib.sha256(raw).hexdigest()[:40]}@no-message-id.invalid>",
                        reason=f"unreadable ({type(exc).__name__})")
    try:
        kind = report_type(message)
        if kind == "feedback-report":
            return Incoming("complaint", mid, complaint=complaint(message))
        if kind == "delivery-status":
            return Incoming("bounce", mid, bounce=bounce(message))
        reason = automatic(message)
        if reason:
            return Incoming("ignored", mid, reason=reason)
        return _reply(message, mid, now, truncated, ours)
    except Exception as exc:  # noqa: BLE001 - the email package has corners that raise on bad MIME
        return Incoming("ignored", mid, reason=f"unreadable MIME ({type(exc).__name__})")
