"""Filing one classified message in the store: a follow-up (or a message of one), a complaint or a
bounce on the subscriber, or nothing (with the reason). Each call runs in the caller's transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tidings.mailbox.classify import Incoming
from tidings.mailbox.reports import Original
from tidings.mailbox.threads import Sent, Threads
from tidings.store import followups, inbox
from tidings.store import subscribers as people
from tidings.store.transactions import Connection

AUTHOR_MAX = 200  # followup_messages.author holds 200 characters: a longer address is cut there


@dataclass(frozen=True)
class Outcome:
    """What happened to one message. ``kind``: opened, continued, complained, bounced, already,
    left (the subscriber had already left), ignored."""

    kind: str
    detail: str = ""
    followup_id: int | None = None


def file_reply(connection: Connection, incoming: Incoming, threads: Threads) -> Outcome:
    """A member's reply: a message of the follow-up it answers, else a new follow-up by issue."""
    if inbox.is_filed(connection, incoming.message_id):
        return Outcome("already")
    date = incoming.date
    assert date is not None and incoming.email is not None
    existing = inbox.followup_of(connection, incoming.references)
    issue = None
    for ref in incoming.references if existing is None else ():
        sent = threads.by_message_id(connection, ref, find_subscriber=False)
        if sent is not None and sent.preview:
            return Outcome("ignored", "a reply to a test copy of an issue (sent with --to)")
        if sent is not None:
            issue = sent.issue
            break
    if existing is None and issue is not None:
        # The same member writing again about the same issue continues their open conversation.
        existing = inbox.open_reply(connection, issue, incoming.email)
    if existing is not None:
        followups.add_message(connection, existing, direction="in", body=incoming.text, at=date,
                              author=(incoming.name or incoming.email)[:AUTHOR_MAX],
                              message_id=incoming.message_id)
        return Outcome("continued", followup_id=existing)
    member = people.get(connection, incoming.email)
    followup_id = followups.open_followup(
        connection, source="reply", body=incoming.text, received_at=date, issue=issue,
        subscriber_id=member.id if member else None, email=incoming.email, name=incoming.name,
        subject=incoming.subject, message_id=incoming.message_id)
    return Outcome("opened", issue or "", followup_id) if followup_id else Outcome("already")


def _sent(connection: Connection, original: Original, threads: Threads) -> Sent | None:
    """The message a report is about: by its unsubscribe token, else by its Message-ID."""
    return threads.by_token(original.unsubscribe_token) or threads.by_message_id(
        connection, original.message_id, find_subscriber=True)


def _subscriber(connection: Connection, addresses: tuple[str, ...] | list[str],
                sent: Sent | None) -> int | None:
    """The subscriber by the addresses a report gives, else by the message's token or digest."""
    for address in addresses:
        found = people.get(connection, address)
        if found is not None:
            return found.id
    return sent.subscriber_id if sent else None


def file_complaint(connection: Connection, incoming: Incoming, threads: Threads) -> Outcome:
    """An ARF report: the subscriber it is about becomes ``complained`` (consent source "arf")."""
    report = incoming.complaint
    assert report is not None
    if report.feedback_type == "not-spam":
        return Outcome("ignored", "a not-spam feedback report")
    sent = _sent(connection, report.original, threads)
    if sent is not None and sent.preview:
        return Outcome("ignored", "a complaint about a preview or test copy")
    subscriber_id = _subscriber(connection, report.original.recipients, sent)
    if subscriber_id is None:
        return Outcome("ignored", "a complaint about an address that is not on the list")
    detail = f"{report.feedback_type} report {incoming.message_id}" + (
        f" about {sent.issue}" if sent and sent.issue else "")
    if people.unsubscribe(connection, subscriber_id, source="arf", detail=detail, to_state="complained"):
        return Outcome("complained")
    return Outcome("left")


def file_bounce(connection: Connection, incoming: Incoming, threads: Threads, now: datetime) -> Outcome:
    """A DSN: each recipient that failed for good (5.x.x) becomes ``bounced`` (source "dsn");
    a delay or a 4.x.x status changes nothing."""
    report = incoming.bounce
    assert report is not None
    sent = _sent(connection, report.original, threads)
    if sent is not None and sent.preview:
        return Outcome("ignored", "a bounce of a preview or test copy")
    permanent = [f for f in report.failures if f.action == "failed" and f.status.startswith("5.")]
    if not permanent:
        if any(f.action in ("failed", "delayed") for f in report.failures):
            status = next((f.status for f in report.failures if f.status), "4.x.x")
            return Outcome("ignored", f"a delayed or temporary failure ({status[:1]}.x.x): nothing changes")
        return Outcome("ignored", "a delivery report that reports no failure")
    changed = already_left = 0
    for failure in permanent:
        # The token names one subscriber: it stands in only for a report about one recipient.
        subscriber_id = _subscriber(connection, [failure.recipient], sent if len(permanent) == 1 else None)
        if subscriber_id is None:
            continue
        detail = f"{failure.status} report {incoming.message_id}"
        if people.unsubscribe(connection, subscriber_id, source="dsn", detail=detail, to_state="bounced"):
            changed += 1
        else:
            already_left += 1
        if sent is not None and sent.issue:
            inbox.mark_bounced(connection, sent.issue, subscriber_id, failure.status, now)
    if changed:
        return Outcome("bounced", str(changed))
    if already_left:
        return Outcome("left")
    return Outcome("ignored", "a bounce for an address that is not on the list")


def file_incoming(connection: Connection, incoming: Incoming, threads: Threads, now: datetime) -> Outcome:
    """File one classified message; what happened to it."""
    if incoming.kind == "reply":
        return file_reply(connection, incoming, threads)
    if incoming.kind == "complaint":
        return file_complaint(connection, incoming, threads)
    if incoming.kind == "bounce":
        return file_bounce(connection, incoming, threads, now)
    return Outcome("ignored", incoming.reason)
