"""Group commit: answers arriving together share one transaction, so one disk sync acknowledges
many of them. Each request still waits until its own rows are committed before it answers.
"""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from tidings.collector.database import transact_now
from tidings.store.answers import save_answers
from tidings.store.followups import file_comment
from tidings.store.transactions import Connection, Engine

MAX_BATCH = 256

# Survey answers, the follow-up to open with them (when the member asked for an answer), and
# the future the request waits on.
Pending = tuple[list[dict[str, Any]], dict[str, Any] | None, "asyncio.Future[None]"]


class GroupCommitter:
    """One writer task per process; ``write`` returns once the answers are durable."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.queue: asyncio.Queue[Pending] | None = None
        self.task: asyncio.Task[None] | None = None

    async def write(self, rows: list[dict[str, Any]], followup: dict[str, Any] | None = None) -> None:
        """Save survey answers (``tidings.store.answers``) with whatever else is waiting, and open
        ``followup`` (``tidings.store.followups.file_comment`` arguments) in the same transaction."""
        if self.task is None or self.task.done():
            self.queue = asyncio.Queue()
            self.task = asyncio.create_task(self._run())
        assert self.queue is not None
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        await self.queue.put((rows, followup, done))
        await done

    async def _run(self) -> None:
        assert self.queue is not None
        while True:
            batch = [await self.queue.get()]
            while not self.queue.empty() and len(batch) < MAX_BATCH:
                batch.append(self.queue.get_nowait())
            try:
                await run_in_threadpool(self._commit, batch)
            except HTTPException as exc:  # busy past the retry budget: alone, each would wait again
                for *_, done in batch:
                    if not done.done():
                        done.set_exception(exc)
            except Exception:  # noqa: BLE001 - one bad write must not fail the others: retry alone
                for item in batch:
                    try:
                        await run_in_threadpool(self._commit, [item])
                    except Exception as exc:  # noqa: BLE001 - handed to the waiting request
                        if not item[2].done():
                            item[2].set_exception(exc)
            for *_, done in batch:
                if not done.done():
                    done.set_result(None)

    def _commit(self, batch: list[Pending]) -> None:
        def work(connection: Connection) -> None:
            for rows, followup, _ in batch:
                save_answers(connection, rows)
                if followup is not None:
                    file_comment(connection, **followup)

        transact_now(self.engine, work)  # retried while SQLite is busy (a long import elsewhere)
