"""The subscriber list: states, consent history and CSV export (the import is in importer.py)."""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from tidings.csvfiles import format_rows, write_csv
from tidings.inputs import clean_name, escape_field
from tidings.store import now
from tidings.store.fields import check_lang, check_timezone
from tidings.store.fields import normalize_email as normalize_email  # where callers find it
from tidings.store.schema import consent_events, subscribers

STATES = ("pending", "confirmed", "unsubscribed", "bounced", "complained")
# People who said no (or whose address is dead) are never re-subscribed by an import or a form.
FINAL_STATES = ("unsubscribed", "bounced", "complained")


@dataclass(frozen=True)
class Subscriber:
    id: int
    email: str
    name: str | None
    lang: str | None
    timezone: str | None
    tags: tuple[str, ...]
    state: str
    created_at: datetime


def parse_tags(value: str | Iterable[str] | None) -> tuple[str, ...]:
    """Tags from text ("a, b;c") or a list: stripped, lower case, sorted, unique."""
    if value is None:
        return ()
    items = re.split(r"[,;|]", value) if isinstance(value, str) else list(value)
    return tuple(sorted({t.strip().lower() for t in items if t.strip()}))


def _row(row: sa.Row[tuple[object, ...]]) -> Subscriber:
    m = row._mapping
    return Subscriber(
        id=int(m["id"]), email=str(m["email"]), name=m["name"], lang=m["lang"], timezone=m["timezone"],
        tags=parse_tags(str(m["tags"] or "")), state=str(m["state"]), created_at=m["created_at"],
    )


def record_state(connection: sa.Connection, subscriber_id: int, from_state: str | None, to_state: str,
                 source: str, detail: str | None = None, at: datetime | None = None) -> None:
    """Change a subscriber's state and keep the consent record of when, how and from where."""
    moment = at or now()
    connection.execute(subscribers.update().where(subscribers.c.id == subscriber_id)
                       .values(state=to_state, updated_at=moment))
    connection.execute(consent_events.insert().values(
        subscriber_id=subscriber_id, at=moment, from_state=from_state, to_state=to_state,
        source=source, detail=detail))


def get(connection: sa.Connection, email: str) -> Subscriber | None:
    try:
        _, key = normalize_email(email)
    except ValueError:
        return None
    row = connection.execute(sa.select(subscribers).where(subscribers.c.email_key == key)).first()
    return _row(row) if row else None


def get_by_id(connection: sa.Connection, subscriber_id: int) -> Subscriber | None:
    row = connection.execute(sa.select(subscribers).where(subscribers.c.id == subscriber_id)).first()
    return _row(row) if row else None


def consent_version(connection: sa.Connection, subscriber_id: int) -> str:
    """The subscriber's last consent event, as text: a confirmation link is good until it changes."""
    last = connection.execute(sa.select(sa.func.max(consent_events.c.id)).where(
        consent_events.c.subscriber_id == subscriber_id)).scalar()
    return str(last or 0)


def confirm(connection: sa.Connection, subscriber_id: int) -> bool:
    """Their own click on a confirmation link: confirmed now; False if there is no such subscriber.

    It is the one way back after an unsubscribe (a link sent to the address, clicked by its owner).
    """
    subscriber = get_by_id(connection, subscriber_id)
    if subscriber is None:
        return False
    if subscriber.state != "confirmed":
        record_state(connection, subscriber_id, subscriber.state, "confirmed", "form:confirm")
    return True


def validate_profile(lang: str | None, timezone: str | None) -> None:
    """ValueError saying what to write when a language code or timezone is not a real one."""
    if lang is not None:
        check_lang(lang)
    if timezone:
        check_timezone(timezone)


def add(connection: sa.Connection, email: str, *, name: str | None = None, lang: str | None = None,
        timezone: str | None = None, tags: Iterable[str] | str | None = None,
        state: str = "confirmed", source: str = "cli") -> tuple[Subscriber, bool]:
    """Add (or update) one subscriber; return it and whether anything changed.

    Someone who unsubscribed, bounced or complained keeps that state: only they can undo it
    (through a new double opt-in), never an admin command or an import. The name is cleaned
    here, so every way into the store (form, CLI, CSV) keeps it one line (InputError if it is
    too long or not text).
    """
    address, key = normalize_email(email)
    name = clean_name(name)
    validate_profile(lang, timezone)
    moment = now()
    existing = connection.execute(sa.select(subscribers).where(subscribers.c.email_key == key)).first()
    new_tags = parse_tags(tags)
    if existing is None:
        result = connection.execute(subscribers.insert().values(
            email=address, email_key=key, name=name, lang=lang, timezone=timezone,
            tags=",".join(new_tags), state=state, created_at=moment, updated_at=moment))
        subscriber_id = int(result.inserted_primary_key[0])  # type: ignore[index]
        connection.execute(consent_events.insert().values(
            subscriber_id=subscriber_id, at=moment, from_state=None, to_state=state, source=source))
        created = get_by_id(connection, subscriber_id)
        assert created is not None
        return created, True
    current = _row(existing)
    merged_tags = tuple(sorted(set(current.tags) | set(new_tags)))
    changes = {k: v for k, v in {"name": name, "lang": lang, "timezone": timezone}.items()
               if v is not None and getattr(current, k) != v}
    if merged_tags != current.tags:
        changes["tags"] = ",".join(merged_tags)
    if changes:
        connection.execute(subscribers.update().where(subscribers.c.id == current.id)
                           .values(updated_at=moment, **changes))
    changed = bool(changes)
    if current.state == "pending" and state == "confirmed":
        record_state(connection, current.id, "pending", "confirmed", source, at=moment)
        changed = True
    updated = get_by_id(connection, current.id)
    assert updated is not None
    return updated, changed


@dataclass(frozen=True)
class AddResult:
    """What ``subscribers add`` did: ``added``, ``updated``, ``unchanged`` or ``refused``."""

    subscriber: Subscriber
    outcome: str

    @property
    def refused(self) -> bool:
        return self.outcome == "refused"

    def line(self) -> str:
        """The line the command prints."""
        s = self.subscriber
        if self.refused:
            return f"{s.email} is {s.state}: only they can subscribe again (through the sign-up form)."
        return f"{self.outcome}: {s.email} ({s.state})"


def add_from_cli(connection: sa.Connection, email: str, *, name: str | None = None, lang: str | None = None,
                 timezone: str | None = None, tags: Iterable[str] | str | None = None,
                 pending: bool = False) -> AddResult:
    """An admin's ``subscribers add``: refused for someone who left (only they can come back,
    through the sign-up form); ValueError when the address or profile is not valid."""
    existing = get(connection, email)
    if existing is not None and existing.state in FINAL_STATES:
        return AddResult(existing, "refused")
    subscriber, changed = add(connection, email, name=name, lang=lang, timezone=timezone, tags=tags,
                              state="pending" if pending else "confirmed", source="cli")
    return AddResult(subscriber, "added" if existing is None else ("updated" if changed else "unchanged"))


def unsubscribe(connection: sa.Connection, subscriber_id: int, source: str,
                detail: str | None = None, to_state: str = "unsubscribed") -> bool:
    """Mark someone unsubscribed (or bounced/complained); False if they already were."""
    current = get_by_id(connection, subscriber_id)
    if current is None or current.state in FINAL_STATES:
        return False
    record_state(connection, subscriber_id, current.state, to_state, source, detail)
    return True


def iter_subscribers(connection: sa.Connection, *, states: Iterable[str] | None = None,
                     batch: int = 500) -> Iterator[Subscriber]:
    """Every subscriber (in ``states``, default all) in id order, read in batches (memory does
    not grow with the list)."""
    last = 0
    wanted = list(STATES if states is None else states)
    while True:
        rows = connection.execute(
            sa.select(subscribers).where(subscribers.c.id > last, subscribers.c.state.in_(wanted))
            .order_by(subscribers.c.id).limit(batch)).all()
        if not rows:
            return
        for row in rows:
            yield _row(row)
        last = int(rows[-1]._mapping["id"])


def listing_line(subscriber: Subscriber) -> str:
    """One tab-separated line: email, state, name, lang, timezone, tags; control characters
    escaped (``\\t``, ``\\n``, ``\\\\``), so no value can look like another field or record."""
    s = subscriber
    return "\t".join(escape_field(value) for value in (s.email, s.state, s.name or "", s.lang or "",
                                                    s.timezone or "", ",".join(s.tags)))


def stats(connection: sa.Connection, days: int = 30) -> dict[str, int]:
    """Counts per state, and joins and leaves over the last ``days`` days."""
    counts = {state: 0 for state in STATES}
    for state, count in connection.execute(
            sa.select(subscribers.c.state, sa.func.count()).group_by(subscribers.c.state)):
        counts[str(state)] = int(count)
    since = now() - timedelta(days=days)
    for key, states in (("joined", ("confirmed",)), ("left", FINAL_STATES)):
        counts[f"{key}_{days}d"] = int(connection.execute(
            sa.select(sa.func.count()).select_from(consent_events)
            .where(consent_events.c.at >= since, consent_events.c.to_state.in_(states))).scalar() or 0)
    return counts


EXPORT_COLUMNS = ("email", "name", "lang", "timezone", "tags", "state", "created_at")


def export_csv(connection: sa.Connection, out: io.TextIOBase | None = None,
               path: Path | None = None) -> int:
    """Write every subscriber as CSV to ``path`` (atomically) or ``out``; return the count.

    Cells are neutralised for spreadsheets (tidings.csvfiles); ``import`` reads them back as they were.
    """
    records: list[list[str]] = [list(EXPORT_COLUMNS)]
    for s in iter_subscribers(connection):
        records.append([s.email, s.name or "", s.lang or "", s.timezone or "", ",".join(s.tags),
                        s.state, s.created_at.isoformat()])
    if path is None:
        assert out is not None
        out.write(format_rows(records))
    else:
        write_csv(path, records)
    return len(records) - 1
