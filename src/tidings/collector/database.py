"""The collector's writes: in a worker thread (a wait on a lock never blocks the event loop) and
retried briefly, with jitter, while SQLite says the database is locked or busy."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import TypeVar

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from tidings.store.transactions import Connection, DatabaseBusy, Engine, run_once, writer_lock

T = TypeVar("T")

ATTEMPT_BUSY_MS = 1000  # SQLite's own wait per attempt; then the connection goes back to the pool
BUSY = "collector.busy_minute"  # a label: the error page shows it in the community's language
BUSY_BUDGET = 20.0  # seconds: longer than a short import batch, shorter than a client's patience


def transact_now(engine: Engine, work: Callable[[Connection], T]) -> T:
    """Run ``work`` in one transaction, retrying while the database is busy (blocking call)."""
    budget = BUSY_BUDGET
    deadline = time.monotonic() + budget
    lock = writer_lock(engine)
    if lock is None:
        return _attempts(engine, work, deadline)
    if not lock.acquire(timeout=budget):
        raise HTTPException(503, BUSY)
    try:
        return _attempts(engine, work, deadline)
    finally:
        lock.release()


def _attempts(engine: Engine, work: Callable[[Connection], T], deadline: float) -> T:
    pause = 0.05
    while True:
        try:
            return run_once(engine, work, ATTEMPT_BUSY_MS)
        except DatabaseBusy:
            if time.monotonic() + pause > deadline:
                raise HTTPException(503, BUSY) from None
        # Jitter: writers that met the same lock do not all come back at the same moment.
        time.sleep(pause * random.uniform(0.5, 1.5))
        pause = min(pause * 2, 0.5)


async def transact(engine: Engine, work: Callable[[Connection], T]) -> T:
    """``transact_now`` in a worker thread: the event loop keeps serving other requests."""
    return await run_in_threadpool(transact_now, engine, work)
