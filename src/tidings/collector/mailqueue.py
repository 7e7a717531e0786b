"""Confirmation mail goes out after the answer: an in-process queue drained by a few senders.

The sign-up answers as soon as its row is committed, so its time does not depend on whether a
mail is sent (the answer must not reveal who is on the list), a slow or dead relay never turns
into a 500, and a burst of sign-ups uses at most ``connections`` SMTP connections.
A queued mail lives in memory: a restart loses it (the member can sign up again).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from email.utils import parseaddr

from tidings.config import Config
from tidings.delivery.plain import confirmation_message
from tidings.delivery.transport import Transport
from tidings.errors import DeliveryError
from tidings.store import now

log = logging.getLogger("tidings.collector")

RETRY_PAUSES = (2.0, 10.0, 60.0)  # a relay that is down briefly still gets the mail


@dataclass(frozen=True)
class ConfirmationJob:
    """One confirmation mail: the recipient as SMTP needs it, the signed link, the sign-up's language."""

    recipient: str
    name: str | None
    link: str
    message_id: str
    lang: str | None = None


class ConfirmationQueue:
    """At most ``capacity`` waiting mails, sent by ``connections`` tasks, one connection each."""

    def __init__(self, config: Config, transport: Transport, *, connections: int = 2,
                 capacity: int = 1000) -> None:
        self.config = config
        self.transport = transport
        self.connections = connections
        self.capacity = capacity
        # Unbounded underneath: a job accepted by the check in ``full`` is never refused by ``put``.
        self.queue: asyncio.Queue[ConfirmationJob] = asyncio.Queue()
        self.workers: list[asyncio.Task[None]] = []
        self.started = False

    def full(self) -> bool:
        return self.queue.qsize() >= self.capacity

    async def put(self, job: ConfirmationJob) -> None:
        """Queue a mail (never waits for SMTP); senders start with the first one."""
        if not self.started:
            self.started = True  # before the await: two first sign-ups must not start two pools
            await self.transport.open(self.connections)
            self.workers = [asyncio.create_task(self._work(n)) for n in range(self.connections)]
        self.queue.put_nowait(job)

    async def _work(self, worker: int) -> None:
        while True:
            job = await self.queue.get()
            try:
                await self._send(worker, job)
            except Exception as exc:  # noqa: BLE001 - one bad mail must not stop the sender
                log.warning("a confirmation mail could not be built or sent: %s", type(exc).__name__)
            finally:
                self.queue.task_done()

    async def _send(self, worker: int, job: ConfirmationJob) -> None:
        data = confirmation_message(self.config, job.name, job.recipient, job.link,
                                    message_id=job.message_id, moment=now(),
                                    lang=job.lang)
        sender = parseaddr(self.config.sender)[1]
        for attempt, pause in enumerate((*RETRY_PAUSES, None), start=1):
            try:
                await self.transport.send(worker, sender, job.recipient, data)
                return
            except DeliveryError as exc:
                # The code only: the relay's text may name the recipient, and logs hold no addresses.
                log.warning("confirmation mail not accepted (attempt %d, code %s)", attempt, exc.code)
                if exc.permanent or pause is None:
                    return
            await asyncio.sleep(pause)

    async def close(self, seconds: float) -> None:
        """Send what is queued (for at most ``seconds``), then stop the senders."""
        if not self.workers:
            return
        try:
            await asyncio.wait_for(self.queue.join(), seconds)
        except TimeoutError:
            log.warning("%d confirmation mail(s) not sent at shutdown", self.queue.qsize())
        for task in self.workers:
            task.cancel()
        await asyncio.gather(*self.workers, return_exceptions=True)
        self.workers = []
        await self.transport.close()
