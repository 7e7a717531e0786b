"""Sign-up attempts and confirmation mails: the counts behind the collector's rate limits.

Neither table holds an address or an IP address, only keyed digests; rows older than their
window are pruned on each sign-up.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa

from tidings.store.schema import confirmation_mails, signup_attempts, subscribers
from tidings.store.transactions import Connection

ATTEMPT_WINDOW = timedelta(hours=1)
MAIL_WINDOW = timedelta(days=1)


def prune(connection: Connection, moment: datetime) -> None:
    """Forget attempts and mails older than the windows they are counted in."""
    for table, window in ((signup_attempts, ATTEMPT_WINDOW), (confirmation_mails, MAIL_WINDOW)):
        connection.execute(table.delete().where(table.c.at < moment - window))


def _count(connection: Connection, table: sa.Table, column: sa.Column[str], key: str,
           since: datetime) -> int:
    return int(connection.execute(sa.select(sa.func.count()).select_from(table).where(
        column == key, table.c.at > since)).scalar() or 0)


def attempts_from(connection: Connection, client: str, moment: datetime) -> int:
    """Sign-ups from this client (a keyed digest) within the last hour before ``moment``."""
    return _count(connection, signup_attempts, signup_attempts.c.client, client, moment - ATTEMPT_WINDOW)


def record_attempt(connection: Connection, client: str, moment: datetime) -> None:
    connection.execute(signup_attempts.insert().values(client=client, at=moment))


def hold_subscriber(connection: Connection, subscriber_id: int) -> None:
    """Lock the subscriber's row until commit (PostgreSQL): concurrent sign-ups take turns."""
    connection.execute(sa.select(subscribers.c.id).where(subscribers.c.id == subscriber_id).with_for_update())


def mails_to(connection: Connection, address: str, moment: datetime) -> int:
    """Confirmation mails queued for this address (a keyed digest) within the day before ``moment``."""
    return _count(connection, confirmation_mails, confirmation_mails.c.address, address, moment - MAIL_WINDOW)


def record_mail(connection: Connection, address: str, moment: datetime) -> None:
    connection.execute(confirmation_mails.insert().values(address=address, at=moment))
