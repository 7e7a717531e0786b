"""Follow-ups: a member's question, complaint or reply, until somebody on the team has answered it.

States: ``open`` (nobody answered yet), ``answered`` (an answer went out; the member may write
again), ``resolved`` (nothing left to do). Addresses and texts stay in the database; what leaves
it for git or the monthly report is counts and ages (``ages``).
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from tidings.store.schema import followup_messages, followups
from tidings.store.transactions import Connection

STATES = ("open", "answered", "resolved")


@dataclass(frozen=True)
class Followup:
    """One follow-up as stored."""

    id: int
    source: str
    kind: str | None
    issue: str | None
    survey: str | None
    subscriber_id: int | None
    email: str | None
    name: str | None
    subject: str | None
    body: str
    message_id: str | None
    state: str
    owner: str | None
    received_at: datetime
    answered_at: datetime | None
    resolved_at: datetime | None


@dataclass(frozen=True)
class Message:
    """A later message of a follow-up's thread: ``in`` from the member, ``out`` the team's answer."""

    followup_id: int
    direction: str
    at: datetime
    author: str | None
    message_id: str | None
    body: str


def open_followup(connection: Connection, *, source: str, body: str, received_at: datetime,
                  kind: str | None = None, issue: str | None = None, survey: str | None = None,
                  subscriber_id: int | None = None, email: str | None = None, name: str | None = None,
                  subject: str | None = None, message_id: str | None = None) -> int | None:
    """File a new follow-up (state ``open``); its id, or None when ``message_id`` was filed before."""
    if message_id is not None and connection.execute(
            sa.select(followups.c.id).where(followups.c.message_id == message_id)).first():
        return None
    result = connection.execute(followups.insert().values(
        source=source, kind=kind, issue=issue, survey=survey, subscriber_id=subscriber_id, email=email,
        name=name, subject=subject, body=body, message_id=message_id, state="open",
        received_at=received_at))
    key = result.inserted_primary_key
    return int(key[0]) if key else None


def _followup(row: sa.Row[tuple[object, ...]]) -> Followup:
    return Followup(**row._mapping)


def get(connection: Connection, followup_id: int) -> Followup | None:
    """One follow-up by id."""
    row = connection.execute(sa.select(followups).where(followups.c.id == followup_id)).first()
    return _followup(row) if row else None


def listing(connection: Connection, states: tuple[str, ...] = ("open", "answered")) -> list[Followup]:
    """Follow-ups in ``states``, oldest first (the ones waiting longest come first)."""
    query = sa.select(followups).where(followups.c.state.in_(states)).order_by(
        followups.c.received_at, followups.c.id)
    return [_followup(row) for row in connection.execute(query)]


def thread(connection: Connection, followup_id: int) -> list[Message]:
    """The later messages of a follow-up, in order."""
    query = sa.select(followup_messages).where(followup_messages.c.followup_id == followup_id).order_by(
        followup_messages.c.at, followup_messages.c.id)
    return [Message(r.followup_id, r.direction, r.at, r.author, r.message_id, r.body)
            for r in connection.execute(query)]


def add_message(connection: Connection, followup_id: int, *, direction: str, body: str, at: datetime,
                author: str | None = None, message_id: str | None = None) -> None:
    """Add a message to the thread; an answer (``out``) marks the follow-up answered, and a member's
    new message (``in``) on an answered or resolved one opens it again."""
    connection.execute(followup_messages.insert().values(
        followup_id=followup_id, direction=direction, body=body, at=at, author=author,
        message_id=message_id))
    if direction == "out":
        connection.execute(followups.update().where(followups.c.id == followup_id).values(
            state="answered", answered_at=sa.func.coalesce(followups.c.answered_at, at)))
    else:
        connection.execute(followups.update().where(followups.c.id == followup_id).values(
            state="open", resolved_at=None))


def assign(connection: Connection, followup_id: int, owner: str) -> bool:
    """Give the follow-up to ``owner``; False when there is no such follow-up."""
    result = connection.execute(followups.update().where(followups.c.id == followup_id).values(owner=owner))
    return result.rowcount == 1


def resolve(connection: Connection, followup_id: int, at: datetime) -> bool:
    """Nothing left to do; False when there is no such follow-up."""
    result = connection.execute(followups.update().where(followups.c.id == followup_id).values(
        state="resolved", resolved_at=at))
    return result.rowcount == 1


@dataclass(frozen=True)
class Ages:
    """What the report may say about follow-ups: counts and durations, never who or what."""

    open: int
    answered: int
    resolved: int
    oldest_open_days: float | None
    median_hours_to_answer: float | None
    median_hours_to_resolve: float | None


def ages(connection: Connection, now: datetime, since: datetime | None = None) -> Ages:
    """Counts per state now, the oldest open one's age, and the medians over follow-ups received
    since ``since`` (all when None)."""
    rows = connection.execute(sa.select(followups.c.state, followups.c.received_at,
                                        followups.c.answered_at, followups.c.resolved_at)).all()
    counts = {state: sum(1 for r in rows if r.state == state) for state in STATES}
    waiting = [now - r.received_at for r in rows if r.state == "open"]
    recent = [r for r in rows if since is None or r.received_at >= since]
    to_answer = [(r.answered_at - r.received_at).total_seconds() / 3600 for r in recent if r.answered_at]
    to_resolve = [(r.resolved_at - r.received_at).total_seconds() / 3600 for r in recent if r.resolved_at]
    return Ages(counts["open"], counts["answered"], counts["resolved"],
                max(waiting).total_seconds() / 86400 if waiting else None,
                statistics.median(to_answer) if to_answer else None,
                statistics.median(to_resolve) if to_resolve else None)


def file_comment(connection: Connection, *, survey: str, subscriber_id: int | None, body: str,
                 received_at: datetime, kind: str | None = None, issue: str | None = None,
                 email: str | None = None, name: str | None = None, subject: str | None = None) -> int | None:
    """A survey comment that asked for an answer: a new follow-up, or a message on the member's
    unresolved one for the same survey; the same text sent again (a form resubmitted) is filed once.
    The follow-up's id, None when nothing was filed."""
    if subscriber_id is not None:
        earlier = connection.execute(
            sa.select(followups.c.id, followups.c.body, followups.c.state)
            .where(followups.c.source == "survey", followups.c.survey == survey,
                   followups.c.subscriber_id == subscriber_id)
            .order_by(followups.c.id.desc()).limit(1)).first()
        if earlier is not None:
            said = [earlier.body, *(m.body for m in thread(connection, earlier.id) if m.direction == "in")]
            if said[-1] == body:
                return None
            if earlier.state != "resolved":
                add_message(connection, earlier.id, direction="in", body=body, at=received_at)
                return int(earlier.id)
    return open_followup(connection, source="survey", survey=survey, subscriber_id=subscriber_id, body=body,
                         received_at=received_at, kind=kind, issue=issue, email=email, name=name,
                         subject=subject)
