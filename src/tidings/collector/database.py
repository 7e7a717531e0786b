"""The collector's writes: in a worker thread (a wait on a lock never blocks the event loop) and
retried briefly, with jitter, while SQLite says the database is locked or busy."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from typing import TypeVar

import sqlalchemy as sa
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

T = TypeVar("T")

ATTEMPT_BUSY_MS = 1000  # SQLite's own wait per attempt; then the connection goes back to the pool
BUSY = "We are busy right now: nothing was saved. Please try again in a minute."
BUSY_BUDGET = 20.0  # seconds: longer than a short import batch, shorter than a client's patience


# SQLite has one writer at a time: this process's writers queue here, in order, instead of
# polling the file lock in SQLite's busy handler (whose sleeps grow to 100 ms under contention).
_writers: dict[int, threading.Lock] = {}
_writers_lock = threading.Lock()


def _writer_lock(engine: sa.Engine) -> threading.Lock | None:
    if engine.dialect.name != "sqlite":
        return None
    with _writers_lock:
        return _writers.setdefault(id(engine), threading.Lock())


def is_busy(exc: sa.exc.OperationalError) -> bool:
    """SQLite's "database is locked" / "database is busy" (another writer holds the lock)."""
    text = str(exc.orig).lower()
    return "locked" in text or "busy" in text


def transact_now(engine: sa.Engine, work: Callable[[sa.Connection], T]) -> T:
    """Run ``work`` in one transaction, retrying while the database is busy (blocking call)."""
    budget = BUSY_BUDGET
    deadline = time.monotonic() + budget
    lock = _writer_lock(engine)
    if lock is None:
        return _attempts(engine, work, deadline)
    if not lock.acquire(timeout=budget):
        raise HTTPException(503, BUSY)
    try:
        return _attempts(engine, work, deadline)
    finally:
        lock.release()


def _attempts(engine: sa.Engine, work: Callable[[sa.Connection], T], deadline: float) -> T:
    pause = 0.05
    while True:
        try:
            with engine.begin() as connection:
                if engine.dialect.name == "sqlite":
                    connection.exec_driver_sql(f"PRAGMA busy_timeout={ATTEMPT_BUSY_MS}")
                return work(connection)
        except sa.exc.OperationalError as exc:
            if not is_busy(exc) or time.monotonic() + pause > deadline:
                if is_busy(exc):
                    raise HTTPException(503, BUSY) from None
                raise
        # Jitter: writers that met the same lock do not all come back at the same moment.
        time.sleep(pause * random.uniform(0.5, 1.5))
        pause = min(pause * 2, 0.5)


async def transact(engine: sa.Engine, work: Callable[[sa.Connection], T]) -> T:
    """``transact_now`` in a worker thread: the event loop keeps serving other requests."""
    return await run_in_threadpool(transact_now, engine, work)
