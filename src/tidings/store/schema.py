"""Database tables (SQLAlchemy Core) and the migrations that create them, run by themselves."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import sqlalchemy as sa

metadata = sa.MetaData()


class UTCDateTime(sa.TypeDecorator[datetime]):
    """Aware UTC datetimes on every database (SQLite has no timezone type)."""

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


subscribers = sa.Table(
    "subscribers", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("email", sa.String(320), nullable=False),
    # Normalized address used for uniqueness: domain lowercased (email-validator) and casefolded.
    sa.Column("email_key", sa.String(320), nullable=False, unique=True),
    sa.Column("name", sa.String(200)),
    sa.Column("lang", sa.String(35)),
    sa.Column("timezone", sa.String(64)),
    sa.Column("tags", sa.Text, nullable=False, server_default=""),  # comma-separated, sorted
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("updated_at", UTCDateTime(), nullable=False),
)
sa.Index("ix_subscribers_state_id", subscribers.c.state, subscribers.c.id)

consent_events = sa.Table(
    "consent_events", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("subscriber_id", sa.Integer, sa.ForeignKey("subscribers.id", ondelete="CASCADE"),
              nullable=False),
    sa.Column("at", UTCDateTime(), nullable=False),
    sa.Column("from_state", sa.String(16)),
    sa.Column("to_state", sa.String(16), nullable=False),
    sa.Column("source", sa.String(200), nullable=False),  # cli, import:FILE, form:NAME, smtp, …
    sa.Column("detail", sa.Text),
)
sa.Index("ix_consent_events_subscriber", consent_events.c.subscriber_id)
sa.Index("ix_consent_events_at", consent_events.c.at)

send_runs = sa.Table(
    "send_runs", metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("issue", sa.String(200), nullable=False),
    sa.Column("host", sa.String(200), nullable=False),
    sa.Column("pid", sa.Integer, nullable=False),
    sa.Column("started_at", UTCDateTime(), nullable=False),
    sa.Column("heartbeat_at", UTCDateTime(), nullable=False),
    sa.Column("finished_at", UTCDateTime()),
)

send_log = sa.Table(
    "send_log", metadata,
    sa.Column("issue", sa.String(200), primary_key=True),
    sa.Column("subscriber_id", sa.Integer, sa.ForeignKey("subscribers.id", ondelete="CASCADE"),
              primary_key=True),
    # sending: claimed by a run; sent; failed (transient, given up for now); bounced (permanent)
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("run_id", sa.String(40), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("last_error", sa.Text),
    sa.Column("updated_at", UTCDateTime(), nullable=False),
)
sa.Index("ix_send_log_issue_state", send_log.c.issue, send_log.c.state)

issues_done = sa.Table(
    "issues_done", metadata,
    sa.Column("issue", sa.String(200), primary_key=True),
    sa.Column("finished_at", UTCDateTime(), nullable=False),
    sa.Column("sent", sa.Integer, nullable=False),
)

answers = sa.Table(
    "answers", metadata,
    sa.Column("survey", sa.String(200), primary_key=True),
    sa.Column("question", sa.String(200), primary_key=True),
    # A per-survey pseudonym (keyed digest of the subscriber): answers never hold an address.
    sa.Column("respondent", sa.String(64), primary_key=True),
    sa.Column("option", sa.Integer, nullable=False),
    sa.Column("comment", sa.Text),
    sa.Column("issue", sa.String(200)),
    sa.Column("answered_at", UTCDateTime(), nullable=False),
)

signup_attempts = sa.Table(
    "signup_attempts", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("client", sa.String(64), nullable=False),  # keyed digest of the IP address
    sa.Column("at", UTCDateTime(), nullable=False),
)
sa.Index("ix_signup_attempts_client_at", signup_attempts.c.client, signup_attempts.c.at)
# Pruning deletes by time alone.
signup_attempts_at = sa.Index("ix_signup_attempts_at", signup_attempts.c.at)

# One row per confirmation mail queued by the collector: at most a few per address and day.
confirmation_mails = sa.Table(
    "confirmation_mails", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("address", sa.String(64), nullable=False),  # keyed digest of the address, never the address
    sa.Column("at", UTCDateTime(), nullable=False),
)
sa.Index("ix_confirmation_mails_address_at", confirmation_mails.c.address, confirmation_mails.c.at)
sa.Index("ix_confirmation_mails_at", confirmation_mails.c.at)

# A member's question, complaint or reply that somebody on the team must answer. The address and
# the text stay here (never in git or the report); the report reads counts and ages only.
followups = sa.Table(
    "followups", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("source", sa.String(16), nullable=False),  # survey (a comment), reply (to an issue), …
    sa.Column("kind", sa.String(16)),  # question, complaint, … (None: not said)
    sa.Column("issue", sa.String(200)),  # the newsletter it answers or came from: threads by issue
    sa.Column("survey", sa.String(200)),
    sa.Column("subscriber_id", sa.Integer, sa.ForeignKey("subscribers.id", ondelete="SET NULL")),
    sa.Column("email", sa.String(320)),  # kept only when the member asked for an answer or wrote
    sa.Column("name", sa.String(200)),
    sa.Column("subject", sa.Text),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("message_id", sa.String(998)),  # of the member's mail: filing it twice is a no-op
    sa.Column("state", sa.String(16), nullable=False),  # open, answered, resolved
    sa.Column("owner", sa.String(200)),
    sa.Column("received_at", UTCDateTime(), nullable=False),
    sa.Column("answered_at", UTCDateTime()),  # the first answer
    sa.Column("resolved_at", UTCDateTime()),
)
sa.Index("ix_followups_state", followups.c.state)
sa.Index("ix_followups_message_id", followups.c.message_id, unique=True)

# Every message of a follow-up's thread after the first: the team's answers and the member's replies.
followup_messages = sa.Table(
    "followup_messages", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("followup_id", sa.Integer, sa.ForeignKey("followups.id", ondelete="CASCADE"), nullable=False),
    sa.Column("direction", sa.String(8), nullable=False),  # in (from the member), out (our answer)
    sa.Column("at", UTCDateTime(), nullable=False),
    sa.Column("author", sa.String(200)),
    sa.Column("message_id", sa.String(998)),
    sa.Column("body", sa.Text, nullable=False),
)
sa.Index("ix_followup_messages_followup", followup_messages.c.followup_id)

schema_version = sa.Table(
    "tidings_schema", metadata,
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("applied_at", UTCDateTime(), nullable=False),
)


def _create(*tables: sa.Table) -> Callable[[sa.Connection], None]:
    def step(connection: sa.Connection) -> None:
        for table in tables:
            table.create(connection, checkfirst=True)

    return step


def _collector_limits(connection: sa.Connection) -> None:
    signup_attempts_at.create(connection, checkfirst=True)
    confirmation_mails.create(connection, checkfirst=True)


# Each migration runs once, in order, in its own transaction. Append; never edit a released one.
MIGRATIONS: list[Callable[[sa.Connection], None]] = [
    _create(subscribers, consent_events, send_runs, send_log, issues_done),
    _create(answers, signup_attempts),
    _collector_limits,
    _create(followups, followup_messages),
]
