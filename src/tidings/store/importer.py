"""Import a subscriber CSV: validate the whole file first, then write it in short transactions.

A bad file changes nothing (unless bad rows are to be skipped). The rows are then written a
batch at a time, each batch its own transaction with set-based statements, so the collector
never waits long for the database; importing the same file again changes nothing.

Existing subscribers: a row that says they left (unsubscribed, cleaned, blocklisted) unsubscribes
them, unless the row's time of leaving is older than their latest sign-up or confirmation in
tidings itself (they came back since; an earlier import is not a sign-up). A row that says
subscribed never re-subscribes someone who unsubscribed, bounced or complained; it confirms
someone pending; it never demotes anyone.
"""

from __future__ import annotations

import codecs
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from tidings.errors import ContentError, Problem, UsageError
from tidings.inputs import single_line
from tidings.store import now
from tidings.store.bulk import Memo, execute_many
from tidings.store.import_formats import HEADER_ALIASES, ImportRow, parse_csv, read_export
from tidings.store.schema import consent_events, subscribers
from tidings.store.subscribers import FINAL_STATES

__all__ = ["BATCH", "HEADER_ALIASES", "ImportResult", "ImportRow", "import_csv", "parse_csv", "read_text"]

BATCH = 2000  # rows per transaction: a few tens of milliseconds of write lock on SQLite
SOURCE_MAX = 200  # consent_events.source


@dataclass
class ImportResult:
    """What an import did, row by row of the file."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    kept_out: int = 0  # the file says subscribed; they unsubscribed, bounced or complained here
    left: int = 0  # existing subscribers the file unsubscribed (or marked bounced)
    skipped: list[Problem] = field(default_factory=list)
    tool: str = "csv"
    added_states: Counter[str] = field(default_factory=Counter)

    def add(self, other: ImportResult) -> None:
        for name in ("added", "updated", "unchanged", "kept_out", "left"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.added_states.update(other.added_states)


def read_text(path: Path, shown: str) -> str:
    """The file's text: UTF-8 (with or without BOM) or UTF-16 with BOM (Excel's Unicode text)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror}") from None
    utf16 = data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    try:
        return data.decode("utf-16" if utf16 else "utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ContentError([Problem(shown, line, f"not {'UTF-16' if utf16 else 'UTF-8'} text (byte "
                                                 f"0x{data[exc.start]:02x}): export the file as CSV UTF-8")]
                           ) from None


def import_csv(engine: sa.Engine, path: Path, *, skip_invalid: bool = False,
               source: str | None = None, batch: int = BATCH) -> ImportResult:
    """Import a CSV. Any bad row changes nothing unless ``skip_invalid``; then batches of rows."""
    shown = path.name
    parsed = read_export(read_text(path, shown), shown)
    if parsed.problems and not skip_invalid:
        raise ContentError(parsed.problems)
    result = ImportResult(skipped=parsed.problems, tool=parsed.tool)
    origin = (source or f"import:{single_line(shown)}")[:SOURCE_MAX]
    moment = now()
    for start in range(0, len(parsed.rows), batch):
        rows = parsed.rows[start:start + batch]
        for attempt in range(3):
            try:
                with engine.begin() as connection:
                    done = _write_batch(connection, rows, origin, moment)
                break
            except sa.exc.IntegrityError:  # a sign-up took one of these addresses meanwhile: again
                if attempt == 2:
                    raise
        result.add(done)
    return result


EVENT_KEYS = ("subscriber_id", "at", "from_state", "to_state", "source", "detail")
NEW_KEYS = ("email", "email_key", "name", "lang", "timezone", "tags", "state", "created_at", "updated_at")
UPDATE_KEYS = ("_id", "_name", "_lang", "_timezone", "_tags", "_state", "_updated_at")
Event = tuple[int, datetime, str | None, str, str, str]


def _first_events(row: ImportRow, subscriber_id: int, source: str, moment: datetime) -> list[Event]:
    """The consent record of someone new: their opt-in, and their leaving if they left."""
    if row.state not in FINAL_STATES:
        return [(subscriber_id, row.consent_at or row.joined_at or moment, None, row.state, source,
                 row.detail)]
    detail = row.detail if row.left_at else row.detail + "; time of leaving not in the file"
    if row.consent_at is None:
        return [(subscriber_id, row.left_at or moment, None, row.state, source, detail)]
    return [(subscriber_id, row.consent_at, None, "confirmed", source, row.detail),
            (subscriber_id, row.left_at or moment, "confirmed", row.state, source, detail)]


def _new_values(row: ImportRow, moment: datetime) -> tuple[Any, ...]:
    known = [t for t in (row.consent_at, row.joined_at, row.left_at) if t is not None]
    return (row.email, row.key, row.name, row.lang, row.timezone, ",".join(sorted(row.tags)), row.state,
            min(known, default=moment), moment)


def _next_state(row: ImportRow, state: str, last_at: datetime | None,
                moment: datetime) -> tuple[str, datetime | None]:
    """The state an existing subscriber ends in, and when it changed (None: unchanged)."""
    if row.state in FINAL_STATES:
        if row.left_at is not None and last_at is not None and row.left_at < last_at:
            return state, None  # they came back after leaving the other tool: their consent is newer
        return row.state, row.left_at or moment
    if row.state == "confirmed" and state == "pending":
        fresh = row.consent_at is not None and (last_at is None or row.consent_at >= last_at)
        return "confirmed", row.consent_at if fresh else moment
    return state, None


def _update(row: ImportRow, current: sa.RowMapping, last_at: datetime | None, source: str,
            moment: datetime, result: ImportResult) -> tuple[tuple[Any, ...] | None, Event | None]:
    """The new values of an existing subscriber and the consent event, if anything changes."""
    state = str(current["state"])
    if state in FINAL_STATES:
        if row.state in FINAL_STATES:
            result.unchanged += 1
        else:
            result.kept_out += 1
        return None, None
    new_state, at = _next_state(row, state, last_at, moment)
    tags = sorted(set(filter(None, str(current["tags"] or "").split(","))) | row.tags)
    values = {"name": row.name or current["name"], "lang": row.lang or current["lang"],
              "timezone": row.timezone or current["timezone"], "tags": ",".join(tags), "state": new_state}
    if all(values[k] == current[k] for k in values):
        result.unchanged += 1
        return None, None
    event = None
    if at is not None:
        event = (int(current["id"]), at, state, new_state, source, row.detail)
        if new_state in FINAL_STATES:
            result.left += 1
        else:
            result.updated += 1
    else:
        result.updated += 1
    return (current["id"], values["name"], values["lang"], values["timezone"], values["tags"], new_state,
            moment), event


UPDATE = subscribers.update().where(subscribers.c.id == sa.bindparam("_id")).values(
    **{k: sa.bindparam(f"_{k}") for k in ("name", "lang", "timezone", "tags", "state")},
    updated_at=sa.bindparam("_updated_at"))

PROFILE = (subscribers.c.id, subscribers.c.email_key, subscribers.c.name, subscribers.c.lang,
           subscribers.c.timezone, subscribers.c.tags, subscribers.c.state)


@lru_cache(maxsize=4)
def _with_keys(dialect: str) -> sa.ColumnElement[bool]:
    """``email_key`` in a list given as one parameter (2,000 placeholders cost more to parse)."""
    key = subscribers.c.email_key
    if dialect == "postgresql":
        return key == sa.any_(sa.bindparam("keys", type_=postgresql.ARRAY(sa.String)))
    if dialect == "sqlite":
        return key.in_(sa.select(sa.column("value")).select_from(
            sa.func.json_each(sa.bindparam("keys", type_=sa.JSON))))
    return key.in_(sa.bindparam("keys", expanding=True))


def _keyed(connection: sa.Connection, columns: Sequence[sa.ColumnElement[Any]],
           keys: list[str]) -> sa.CursorResult[Any]:
    """The subscribers whose ``email_key`` is in ``keys``: one statement."""
    where = _with_keys(connection.dialect.name)
    return connection.execute(sa.select(*columns).where(where), {"keys": keys})


def _last_consents(connection: sa.Connection, ids: Sequence[int]) -> dict[int, datetime]:
    """When each of them last signed up or confirmed here (a form, a link, the CLI; not an import)."""
    if not ids:
        return {}
    events = consent_events.c
    rows = connection.execute(sa.select(events.subscriber_id, sa.func.max(events.at))
                              .where(events.subscriber_id.in_(ids),
                                     events.to_state.in_(("pending", "confirmed")),
                                     events.source.not_like("import:%"))
                              .group_by(events.subscriber_id))
    return {int(i): at for i, at in rows}


def _write_batch(connection: sa.Connection, rows: Sequence[ImportRow], source: str,
                 moment: datetime) -> ImportResult:
    """Write one batch with set-based statements: one read, one insert, one update, one event insert."""
    result = ImportResult()
    memo: Memo = {}
    found = {str(m["email_key"]): m for m in _keyed(connection, PROFILE, [r.key for r in rows]).mappings()}
    fresh = [r for r in rows if r.key not in found]
    events: list[Event] = []
    if fresh:
        execute_many(connection, subscribers.insert(), NEW_KEYS, [_new_values(r, moment) for r in fresh],
                     subscribers, memo)
        # One read for the new ids: RETURNING in order costs one statement per row on SQLite.
        ids: dict[str, int] = dict(cast(Iterable[tuple[str, int]], _keyed(
            connection, (subscribers.c.email_key, subscribers.c.id), [r.key for r in fresh]).all()))
        for row in fresh:
            events += _first_events(row, ids[row.key], source, moment)
            result.added_states[row.state] += 1
        result.added = len(fresh)
    last = _last_consents(connection, [int(found[r.key]["id"]) for r in rows if r.key in found and (
        r.state in FINAL_STATES or found[r.key]["state"] == "pending")])
    updates = []
    for row in rows:
        if row.key in found:
            current = found[row.key]
            values, event = _update(row, current, last.get(int(current["id"])), source, moment, result)
            if values:
                updates.append(values)
            if event:
                events.append(event)
    execute_many(connection, UPDATE, UPDATE_KEYS, updates, subscribers, memo)
    execute_many(connection, consent_events.insert(), EVENT_KEYS, events, consent_events, memo)
    return result
