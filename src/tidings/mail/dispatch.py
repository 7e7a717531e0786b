"""How recipients reach the connections: a work queue with retries, a rate limit, a last check.

- ``WorkQueue``: fresh recipients in claim order, and temporarily refused ones again once their
  not-before time has come; a connection never sits out a backoff.
- ``RateLimiter``: at most R messages per second, all connections together.
- ``DepartureCheck``: right before each SMTP transaction, whether the recipient is still
  confirmed, read from the database; connections asking at once share one query.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Generic, TypeVar

T = TypeVar("T")


class WorkQueue(Generic[T]):
    """Work for a pool of connections; ``get`` says None only when nothing can come any more.

    An item taken is *busy* until ``done``: it may come back as a retry, so a connection that
    finds the queue empty waits rather than stopping while others still hold work.
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit  # fresh items held at most (memory stays flat in the audience)
        self.fresh: deque[T] = deque()
        self.later: list[tuple[float, int, T]] = []  # (not before, order, item), a heap
        self.order = itertools.count()
        self.busy = 0
        self.closed = False
        self.changed = asyncio.Condition()

    async def put(self, items: Iterable[T]) -> None:
        """Add fresh items, waiting while the queue holds more than half of ``limit``."""
        async with self.changed:
            await self.changed.wait_for(lambda: len(self.fresh) <= self.limit // 2)
            self.fresh.extend(items)
            self.changed.notify_all()

    async def close(self) -> None:
        """No fresh items will come."""
        async with self.changed:
            self.closed = True
            self.changed.notify_all()

    async def get(self) -> T | None:
        """The next item whose time has come (retries first); None when all work is done."""
        async with self.changed:
            while True:
                moment = time.monotonic()
                if self.later and self.later[0][0] <= moment:
                    item = heapq.heappop(self.later)[2]
                elif self.fresh:
                    item = self.fresh.popleft()
                elif self.closed and not self.later and not self.busy:
                    return None
                else:
                    try:
                        async with asyncio.timeout(self.later[0][0] - moment if self.later else None):
                            await self.changed.wait()
                    except TimeoutError:
                        pass
                    continue
                self.busy += 1
                if len(self.fresh) == self.limit // 2:
                    self.changed.notify_all()  # room for the feeder (once, not per item)
                return item

    async def done(self, item: T, retry_at: float | None = None) -> None:
        """``item`` is settled, or comes back at ``retry_at`` (a ``time.monotonic()`` value)."""
        async with self.changed:
            if retry_at is not None:
                heapq.heappush(self.later, (retry_at, next(self.order), item))
            self.busy -= 1
            # Only a retry or the very end concerns a waiting worker.
            if retry_at is not None or (self.closed and not self.busy and not self.fresh and not self.later):
                self.changed.notify_all()


class RateLimiter:
    """At most ``rate`` acquisitions per second, shared by all workers."""

    def __init__(self, rate: float | None) -> None:
        self.interval = 1.0 / rate if rate else 0.0
        self.next = 0.0
        self.lock = asyncio.Lock()

    async def wait(self) -> None:
        """Wait for the next slot."""
        if not self.interval:
            return
        async with self.lock:
            moment = time.monotonic()
            if self.next > moment:
                await asyncio.sleep(self.next - moment)
            self.next = max(self.next, moment) + self.interval


class DepartureCheck:
    """Whether a recipient has left the list, asked right before their SMTP transaction.

    ``read(ids)`` returns those who left; it runs in ``thread`` (questions asked meanwhile share
    the next read), or on the event loop itself when ``thread`` is None (a read that is cheaper
    than the hand-over). Every read starts after each question it answers was asked, so a change
    committed before the question is never missed (nothing is cached or watched by id or time).
    """

    def __init__(self, read: Callable[[Sequence[int]], set[int]], thread: ThreadPoolExecutor | None) -> None:
        self.read = read
        self.thread = thread
        self.asked: dict[int, list[asyncio.Future[bool]]] = {}
        self.reader: asyncio.Task[None] | None = None

    async def has_left(self, subscriber_id: int) -> bool:
        """True if the subscriber is no longer confirmed now."""
        if self.thread is None:
            return subscriber_id in self.read([subscriber_id])
        answer: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self.asked.setdefault(subscriber_id, []).append(answer)
        if self.reader is None or self.reader.done():
            self.reader = asyncio.create_task(self._answer())
        return await answer

    async def _answer(self) -> None:
        loop = asyncio.get_running_loop()
        while self.asked:
            asked, self.asked = self.asked, {}
            try:
                gone = await loop.run_in_executor(self.thread, self.read, list(asked))
            except Exception as exc:  # the askers fail with it (a lost database connection)
                for answers in asked.values():
                    for answer in answers:
                        if not answer.done():
                            answer.set_exception(exc)
                continue
            for subscriber_id, answers in asked.items():
                for answer in answers:
                    if not answer.done():
                        answer.set_result(subscriber_id in gone)
