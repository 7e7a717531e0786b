"""What the reply mailbox needs of the store: which issue a Message-ID belongs to, which follow-up a
reply continues, whether a message was filed before, and a late bounce in the send log."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime

import sqlalchemy as sa

from tidings.store.schema import followup_messages, followups, send_log
from tidings.store.transactions import Connection


def sent_issues(connection: Connection) -> list[str]:
    """Every issue the send log knows (a real send always records there), by name."""
    return sorted(str(r[0]) for r in connection.execute(sa.select(send_log.c.issue).distinct()))


def recipients(connection: Connection, issue: str, batch: int = 1000) -> Iterator[int]:
    """The subscriber ids the send log has for ``issue``, read in batches."""
    last = 0
    while True:
        ids = [int(r[0]) for r in connection.execute(
            sa.select(send_log.c.subscriber_id).where(send_log.c.issue == issue,
                                                      send_log.c.subscriber_id > last)
            .order_by(send_log.c.subscriber_id).limit(batch))]
        if not ids:
            return
        yield from ids
        last = ids[-1]


def was_sent(connection: Connection, issue: str, subscriber_id: int) -> bool:
    """Whether the send log has ``issue`` for this subscriber."""
    return connection.execute(sa.select(send_log.c.state).where(
        send_log.c.issue == issue, send_log.c.subscriber_id == subscriber_id)).first() is not None


def followup_of(connection: Connection, message_ids: Sequence[str]) -> int | None:
    """The follow-up whose thread holds one of ``message_ids`` (the first that does, in order)."""
    for mid in message_ids:
        found = connection.execute(sa.select(followup_messages.c.followup_id).where(
            followup_messages.c.message_id == mid).limit(1)).scalar()
        if found is None:
            found = connection.execute(sa.select(followups.c.id).where(
                followups.c.message_id == mid)).scalar()
        if found is not None:
            return int(found)
    return None


def is_filed(connection: Connection, message_id: str) -> bool:
    """Whether a member's message with this id is already a follow-up or a message of one."""
    return connection.execute(sa.select(followups.c.id).where(
        followups.c.message_id == message_id)).first() is not None or connection.execute(
        sa.select(followup_messages.c.id).where(followup_messages.c.message_id == message_id,
                                                followup_messages.c.direction == "in")
        .limit(1)).first() is not None


def mark_bounced(connection: Connection, issue: str, subscriber_id: int, status: str, at: datetime) -> None:
    """A bounce that came back later: the issue's send log says bounced for this subscriber."""
    connection.execute(send_log.update().where(
        send_log.c.issue == issue, send_log.c.subscriber_id == subscriber_id,
        send_log.c.state == "sent").values(state="bounced", last_error=f"DSN {status}"[:200], updated_at=at))


def open_reply(connection: Connection, issue: str, email: str) -> int | None:
    """The latest unresolved follow-up that this address opened by replying to ``issue``."""
    found = connection.execute(sa.select(followups.c.id).where(
        followups.c.source == "reply", followups.c.issue == issue, followups.c.state != "resolved",
        sa.func.lower(followups.c.email) == email.lower()).order_by(followups.c.id.desc()).limit(1)).scalar()
    return int(found) if found is not None else None
