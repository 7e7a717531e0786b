"""One transaction at a time, as the collector's retry loop needs it: typed, with the database's
"busy" and "conflict" answers turned into exceptions that name no driver."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeAlias, TypeVar

import sqlalchemy as sa

T = TypeVar("T")

Engine: TypeAlias = sa.Engine
Connection: TypeAlias = sa.Connection

# SQLite has one writer at a time: this process's writers queue here, in order, instead of
# polling the file lock in SQLite's busy handler (whose sleeps grow to 100 ms under contention).
_writers: dict[int, threading.Lock] = {}
_writers_lock = threading.Lock()


class DatabaseBusy(Exception):
    """SQLite's "database is locked" / "database is busy": another writer holds the lock."""


class WriteConflict(Exception):
    """A unique key was taken by a concurrent transaction: running the work again sees its row."""


def writer_lock(engine: Engine) -> threading.Lock | None:
    """The lock this process's writers take in turn (SQLite only; None elsewhere)."""
    if engine.dialect.name != "sqlite":
        return None
    with _writers_lock:
        return _writers.setdefault(id(engine), threading.Lock())


def is_busy(exc: sa.exc.OperationalError) -> bool:
    """SQLite's "database is locked" / "database is busy" (another writer holds the lock)."""
    text = str(exc.orig).lower()
    return "locked" in text or "busy" in text


def _set_busy_timeout(connection: Connection, busy_ms: int) -> int:
    """Set SQLite's wait for the write lock on this connection; return the previous value."""
    previous = int(connection.exec_driver_sql("PRAGMA busy_timeout").scalar_one())
    connection.exec_driver_sql(f"PRAGMA busy_timeout={int(busy_ms)}")
    connection.commit()  # end the autobegun transaction, so that ``work`` gets one of its own
    return previous


def run_once(engine: Engine, work: Callable[[Connection], T], busy_ms: int) -> T:
    """``work`` in one transaction; SQLite waits at most ``busy_ms`` for the write lock."""
    try:
        with engine.connect() as connection:
            sqlite = engine.dialect.name == "sqlite"
            previous = _set_busy_timeout(connection, busy_ms) if sqlite else None
            try:
                with connection.begin():
                    return work(connection)
            finally:
                # The connection goes back to the pool: other users keep their own, longer wait.
                if previous is not None:
                    _set_busy_timeout(connection, previous)
    except sa.exc.OperationalError as exc:
        if is_busy(exc):
            raise DatabaseBusy(str(exc.orig)) from exc
        raise
    except sa.exc.IntegrityError as exc:
        raise WriteConflict(str(exc.orig)) from exc


def ping(engine: Engine) -> None:
    """A round trip to the database (the collector's health check)."""
    with engine.connect() as connection:
        connection.execute(sa.text("SELECT 1"))
