"""Machine-written reports about a message we sent: complaints (ARF, RFC 5965) and delivery status
notifications (DSN, RFC 3464). Pure functions over a parsed message."""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.message import Message
from email.parser import HeaderParser
from email.utils import getaddresses

from tidings.mailbox.parse import header, message_ids

STATUS_RE = re.compile(r"\b([245])\.(\d{1,3})\.(\d{1,3})\b")
TOKEN_RE = re.compile(r"/u/([A-Za-z0-9_.=-]{10,2000})")


@dataclass(frozen=True)
class Original:
    """What a report tells of the message it is about (all optional: reports are often redacted)."""

    recipients: tuple[str, ...]  # Original-Rcpt-To / Final-Recipient, then the original's To
    message_id: str | None
    unsubscribe_token: str | None


@dataclass(frozen=True)
class Complaint:
    """An ARF feedback report: ``feedback_type`` abuse, fraud, not-spam, …"""

    feedback_type: str
    original: Original


@dataclass(frozen=True)
class Failure:
    """One recipient of a DSN: ``action`` failed, delayed, …; ``status`` like 5.1.1."""

    recipient: str
    action: str
    status: str


@dataclass(frozen=True)
class Bounce:
    """A delivery status notification: one entry per recipient it reports on."""

    failures: tuple[Failure, ...]
    original: Original


def report_type(message: Message) -> str | None:
    """``feedback-report`` or ``delivery-status`` for a multipart/report (by its parameter, else by
    the parts it holds); None for anything else."""
    if message.get_content_type() != "multipart/report":
        return None
    declared = str(message.get_param("report-type") or "").lower()
    if declared in ("feedback-report", "delivery-status"):
        return declared
    kinds = {part.get_content_type() for part in message.walk()}
    if "message/feedback-report" in kinds:
        return "feedback-report"
    return "delivery-status" if "message/delivery-status" in kinds else None


def _fields(part: Message) -> list[Message]:
    """The header blocks of a report part: the parser gives message/delivery-status as a list of
    blocks, message/feedback-report (and bad ones) as text, parsed here."""
    payload = part.get_payload()
    if isinstance(payload, list):
        return [p for p in payload if isinstance(p, Message)]
    text = part.get_payload(decode=True)
    data = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(payload)
    blocks = re.split(r"\r?\n[ \t]*\r?\n", data.strip())
    return [HeaderParser().parsestr(block) for block in blocks if block.strip()]


def _address(value: str) -> str | None:
    """The address of ``rfc822; user@example.org`` or ``<user@example.org>``."""
    text = value.split(";", 1)[1] if ";" in value else value
    for _, address in getaddresses([text.strip()]):
        if "@" in address:
            return address
    return None


def _original(report: Message, addresses: list[str]) -> Original:
    """The attached original (message/rfc822 or text/rfc822-headers) and the addresses given."""
    attached: Message | None = None
    for part in report.walk():
        kind = part.get_content_type()
        payload = part.get_payload()
        if kind in ("message/rfc822", "message/global") and isinstance(payload, list) and payload:
            attached = payload[0] if isinstance(payload[0], Message) else None
        elif kind in ("text/rfc822-headers", "message/global-headers"):
            raw = part.get_payload(decode=True)
            text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else ""
            attached = HeaderParser().parsestr(text)
    if attached is None:
        return Original(tuple(addresses), None, None)
    to = [a for _, a in getaddresses([header(attached, "To")]) if "@" in a]
    ids = message_ids(header(attached, "Message-ID"))
    token = TOKEN_RE.search(header(attached, "List-Unsubscribe"))
    return Original(tuple(dict.fromkeys(addresses + to)), ids[0] if ids else None,
                    token.group(1) if token else None)


def complaint(message: Message) -> Complaint:
    """The ARF report in ``message`` (a multipart/report; report-type=feedback-report)."""
    feedback_type, addresses = "abuse", []
    for part in message.walk():
        if part.get_content_type() == "message/feedback-report":
            for block in _fields(part):
                feedback_type = (block.get("Feedback-Type") or feedback_type).strip().lower()
                for value in block.get_all("Original-Rcpt-To") or []:
                    address = _address(str(value))
                    if address:
                        addresses.append(address)
    return Complaint(feedback_type, _original(message, addresses))


def bounce(message: Message) -> Bounce:
    """The DSN in ``message``: each recipient block's address, action and status."""
    failures: list[Failure] = []
    for part in message.walk():
        if part.get_content_type() != "message/delivery-status":
            continue
        for block in _fields(part):
            address = _address(str(block.get("Original-Recipient") or "")) or _address(
                str(block.get("Final-Recipient") or ""))
            if address is None:
                continue  # the per-message block, or a recipient block without an address
            status = STATUS_RE.search(str(block.get("Status") or ""))
            failures.append(Failure(address, str(block.get("Action") or "").strip().lower(),
                                    ".".join(status.groups()) if status else ""))
    return Bounce(tuple(failures), _original(message, [f.recipient for f in failures]))
