"""Send an issue to its audience: the send log makes it idempotent, resumable and exclusive.

A feeder claims the audience batch by batch in the send log (``tidings.store.send_log``) and
hands the recipients to a pool of connections (``tidings.mail.dispatch``). Right before each
SMTP transaction, retries included, the recipient is checked against the database: whoever left
the list is not sent to. Results are committed every ``FLUSH_EVERY`` seconds and at the end,
whatever ends the run: log work handed to the log's thread always runs to its end.
"""

from __future__ import annotations

import asyncio
import itertools
import random
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import parseaddr
from typing import Any, NamedTuple, TypeVar
from zoneinfo import ZoneInfo

from tidings.content.model import Audience, Community, Newsletter
from tidings.delivery.transport import Transport
from tidings.errors import DeliveryError
from tidings.mail.dispatch import DepartureCheck, RateLimiter, WorkQueue
from tidings.mail.languages import IssueLanguages
from tidings.mail.message import MessageTemplate, Recipient
from tidings.mail.progress import Progress, format_rate
from tidings.mail.render import IssueRenderer
from tidings.store import now
from tidings.store.audience import confirmed_batches, confirmed_profiles, count_confirmed
from tidings.store.send_log import Lookout, Result, SendLog, finished_issues
from tidings.store.subscribers import Subscriber
from tidings.store.transactions import Connection, Engine
from tidings.tokens import Signer

T = TypeVar("T")
FLUSH_EVERY = 0.05  # seconds between send-log commits: bounds the duplicates after a crash
CLAIM_BATCH = 200


@dataclass
class SendSummary:
    issue: str
    audience: int = 0
    sent: int = 0
    failed: int = 0
    bounced: int = 0
    skipped: int = 0  # unsubscribed during the send
    already: int = 0  # sent by an earlier run
    elapsed: float = 0.0
    complete: bool = False
    dry_run: bool = False  # rendered everything, sent nothing
    errors: list[str] = field(default_factory=list)

    def line(self) -> str:
        rate = self.sent / self.elapsed if self.elapsed else 0.0
        if self.dry_run:
            return (f"{self.issue}: dry run: rendered {self.sent} messages (one per subscriber in the "
                    f"audience), sent none ({self.elapsed:.1f} s, {format_rate(rate)})")
        return (f"{self.issue}: sent {self.sent}, failed {self.failed}, bounced {self.bounced}, "
                f"skipped {self.skipped}, already sent {self.already} "
                f"({self.elapsed:.1f} s, {format_rate(rate)})")


class Claim(NamedTuple):
    mine: list[tuple[int, Recipient]]  # claimed by this run: send to them now
    skipped: int  # left the list since the audience was read
    already: int  # sent (or bounced, or skipped) by an earlier run


@dataclass
class Job:
    """One recipient on its way: tried ``attempts`` times so far."""

    sid: int
    recipient: Recipient
    attempts: int = 0


@dataclass(frozen=True)
class SendOptions:
    concurrency: int = 4
    rate: float | None = None  # messages per second, all workers together
    dry_run: bool = False
    max_attempts: int = 4
    backoff: tuple[float, ...] = (2.0, 10.0, 30.0)  # waits between attempts (with jitter)


def matches(audience: Audience, lang: str | None, tags: Iterable[str]) -> bool:
    """Whether a subscriber with this language and these tags is in the audience."""
    if audience.lang and (lang or "").split("-")[0] != audience.lang.split("-")[0]:
        return False
    return not audience.tags or bool(set(audience.tags) & set(tags))


def zone_named(name: str | None) -> ZoneInfo | None:
    """The subscriber's timezone; None (the event's own zone) when unset or unknown."""
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ValueError, KeyError):
        return None


def recipient_of(subscriber: Subscriber) -> Recipient:
    return Recipient(id=str(subscriber.id), email=subscriber.email, name=subscriber.name,
                     timezone=zone_named(subscriber.timezone), lang=subscriber.lang,
                     tags=subscriber.tags)




class IssueSender:
    """One run of ``newsletter send`` for one issue."""

    def __init__(self, engine: Engine, community: Community, letter: Newsletter,
                 transport: Transport, signer: Signer, options: SendOptions,
                 clock: Callable[[], datetime] = now) -> None:
        self.engine = engine
        self.community = community
        self.letter = letter
        self.transport = transport
        self.signer = signer
        self.options = options
        self.clock = clock
        self.run_id = uuid.uuid4().hex
        self.log = SendLog(engine, letter.slug, self.run_id, clock)
        self.languages = IssueLanguages(community, letter, clock())
        self.templates: dict[tuple[str, str], MessageTemplate] = {}  # by (language, timezone)
        self.envelope_from = parseaddr(community.config.sender)[1]
        self.summary = SendSummary(letter.slug, dry_run=options.dry_run)
        self.results: list[Result] = []
        self.bounces: list[tuple[int, str]] = []
        # One thread and connection for the log's writes, another connection for the departure
        # check's reads: a commit waiting for the disk never holds up a check. SQLite reads it
        # on the event loop (cheaper than a hand-over); others in a thread of their own.
        self.log_thread = ThreadPoolExecutor(1, thread_name_prefix="tidings-send-log")
        self.check_thread = (None if engine.dialect.name == "sqlite"
                             else ThreadPoolExecutor(1, thread_name_prefix="tidings-send-check"))
        self.ledger: Connection | None = None  # used in log_thread only
        self.lookout: Lookout | None = None  # used in check_thread (or the loop's) only
        self.departures = DepartureCheck(self.read_departed, self.check_thread)

    @property
    def renderer(self) -> IssueRenderer:
        """The renderer of the issue's default version (what it contains is the same in each)."""
        return self.languages.renderer(self.languages.default)

    def template_for(self, recipient: Recipient) -> MessageTemplate:
        """The issue in the recipient's language and timezone, rendered once per send."""
        lang = self.languages.language_for(recipient.lang)
        key = (lang, str(recipient.timezone))
        if key not in self.templates:
            rendered = self.languages.renderer(lang).render(recipient.timezone)
            self.templates[key] = MessageTemplate(rendered, self.community.config, self.signer)
        return self.templates[key]

    # -- the send log (each call in the log's thread) ------------------------------------------
    def start_run(self) -> None:
        self.log.start()

    def claim(self, batch: list[tuple[int, Recipient]]) -> Claim:
        """Claim a batch for this run: those it must send to now, and the others' counts."""
        assert self.ledger is not None
        claim = self.log.claim(self.ledger, [sid for sid, _ in batch])
        if len(claim.mine) == len(batch):
            return Claim(batch, claim.skipped, claim.already)
        mine = set(claim.mine)
        return Claim([item for item in batch if item[0] in mine], claim.skipped, claim.already)

    def read_departed(self, ids: Sequence[int]) -> set[int]:
        assert self.lookout is not None
        return self.lookout.departed(ids)

    def take_results(self) -> tuple[list[Result], list[tuple[int, str]]]:
        """Hand the pending results over (on the event loop thread, so none is lost)."""
        results, self.results = self.results, []
        bounces, self.bounces = self.bounces, []
        return results, bounces

    def flush(self, results: list[Result], bounces: list[tuple[int, str]]) -> None:
        assert self.ledger is not None
        self.log.record(self.ledger, results, bounces)

    def close_log(self) -> None:
        """The last flush and the end of the run, then the connections (in the log's thread)."""
        if self.ledger is not None:
            self.flush(*self.take_results())
            self.summary.complete = self.log.finish(self.ledger)
            self.ledger.close()

    async def in_log(self, function: Callable[..., T], *args: Any) -> T:
        """Run ``function`` in the send log's own thread (one at a time, in order).

        Once handed over it runs to its end: a cancelled caller stops waiting, the work does
        not stop (asyncio would otherwise drop a job that has not started yet).
        """
        job = self.log_thread.submit(function, *args)
        return await asyncio.shield(asyncio.wrap_future(job))

    async def in_check(self, function: Callable[..., T], *args: Any) -> T:
        """Run ``function`` where the departure check reads (its thread, or right here)."""
        if self.check_thread is None:
            return function(*args)
        return await asyncio.get_running_loop().run_in_executor(self.check_thread, function, *args)

    # -- the audience ------------------------------------------------------------------------
    def audience(self) -> Iterator[list[tuple[int, Recipient]]]:
        """The audience in id order, in batches: only the columns a message needs."""
        audience = self.letter.audience
        for members in confirmed_batches(self.engine, CLAIM_BATCH):
            batch = [(m.id, Recipient(id=str(m.id), email=m.email, name=m.name, lang=m.lang,
                                      timezone=zone_named(m.timezone), tags=m.tags))
                     for m in members if matches(audience, m.lang, m.tags)]
            if batch:
                yield batch

    def count_audience(self) -> int:
        """How many will get it (for the progress bar): a count, not a read of the whole list."""
        audience = self.letter.audience
        if not audience.lang and not audience.tags:
            return count_confirmed(self.engine)
        return sum(1 for lang, tags in confirmed_profiles(self.engine) if matches(audience, lang, tags))

    async def claimed_batches(self) -> AsyncIterator[list[tuple[int, Recipient]]]:
        """Audience batches, claimed one batch ahead so a commit never leaves the workers idle."""
        if self.options.dry_run:
            for batch in self.audience():
                yield batch
            return
        pending: asyncio.Task[Claim] | None = None
        for next_batch in itertools.chain(self.audience(), [None]):
            claiming = asyncio.create_task(self.in_log(self.claim, next_batch)) if next_batch else None
            if pending is not None:
                claim = await pending
                self.summary.skipped += claim.skipped
                self.summary.already += claim.already
                yield claim.mine
            pending = claiming

    # -- the run -----------------------------------------------------------------------------
    async def run(self) -> SendSummary:
        """Send to everyone claimed; the results are in the log however the run ends."""
        started = time.monotonic()
        self.summary.audience = self.count_audience()
        if not self.options.dry_run:
            self.start_run()
            self.ledger = await self.in_log(self.engine.connect)
            self.lookout = await self.in_check(Lookout, self.engine)
        if self.options.dry_run:
            progress = Progress(self.summary.audience, f"{self.letter.slug}: dry run", "rendered")
        else:
            progress = Progress(self.summary.audience, f"sending {self.letter.slug}")
        try:
            await self.transport.open(self.options.concurrency)
            await self.pump(progress)
        finally:
            # Blocking on purpose: nothing may cancel the last flush. The log's thread runs it
            # after whatever it was handed before, so every result held is written.
            self.log_thread.submit(self.close_log).result()
            self.log_thread.shutdown()
            if self.lookout is not None and self.check_thread is not None:
                self.check_thread.submit(self.lookout.close).result()
            elif self.lookout is not None:
                self.lookout.close()
            if self.check_thread is not None:
                self.check_thread.shutdown()
            progress.close()
            await self.transport.close()
        self.summary.elapsed = time.monotonic() - started
        return self.summary

    async def pump(self, progress: Progress) -> None:
        """Feed claimed recipients to one worker per connection until all are settled."""
        queue: WorkQueue[Job] = WorkQueue(CLAIM_BATCH)
        limiter = RateLimiter(self.options.rate)

        async def feeder() -> None:
            async for claimed in self.claimed_batches():
                await queue.put([Job(sid, recipient) for sid, recipient in claimed])
            await queue.close()

        async def worker(index: int) -> None:
            while (job := await queue.get()) is not None:
                retry_at = await self.attempt(index, job, limiter)
                await queue.done(job, retry_at)
                if retry_at is None:
                    progress.advance()

        async def flusher() -> None:
            clock = asyncio.get_running_loop().time
            while True:
                # Every FLUSH_EVERY from one flush's start to the next: the wait for a commit
                # is that interval plus one commit, not plus two.
                began = clock()
                await self.in_log(self.flush, *self.take_results())
                await asyncio.sleep(max(0.0, FLUSH_EVERY - (clock() - began)))

        tasks = [asyncio.create_task(feeder()), *(asyncio.create_task(worker(i))
                                                  for i in range(self.options.concurrency))]
        flushing = asyncio.create_task(flusher()) if not self.options.dry_run else None
        try:
            await asyncio.gather(*tasks)
        finally:
            # Stops the waiting, never the log work already handed over (see ``in_log``).
            for task in (*tasks, flushing):
                if task is not None:
                    task.cancel()

    async def attempt(self, worker: int, job: Job, limiter: RateLimiter) -> float | None:
        """One try for one recipient: None when settled, else when to try again (monotonic)."""
        data = self.template_for(job.recipient).build(job.recipient, self.clock())
        if self.options.dry_run:
            self.summary.sent += 1
            return None
        await limiter.wait()
        # Right before the transaction (after the rate limit's wait, and on every retry).
        if await self.departures.has_left(job.sid):
            self.settle(job, "skipped", "unsubscribed during the send")
            return None
        job.attempts += 1
        try:
            await self.transport.send(worker, self.envelope_from, job.recipient.email, data)
        except DeliveryError as exc:
            if exc.permanent:
                # A refused recipient bounces; a refused message (e.g. at DATA) is not retried.
                self.settle(job, "bounced" if exc.recipient_refused else "rejected", str(exc))
            elif job.attempts >= self.options.max_attempts:
                self.settle(job, "failed", str(exc))
            else:
                backoff = self.options.backoff
                delay = backoff[min(job.attempts - 1, len(backoff) - 1)] * random.uniform(0.8, 1.2)
                return time.monotonic() + delay
            return None
        self.settle(job, "sent", None)
        return None

    def settle(self, job: Job, state: str, error: str | None) -> None:
        """Keep the outcome for the next flush and count it."""
        self.results.append((job.sid, state, job.attempts, error))
        if state == "sent":
            self.summary.sent += 1
        elif state == "skipped":
            self.summary.skipped += 1
        elif state == "bounced":
            self.summary.bounced += 1
            self.bounces.append((job.sid, error or "bounced"))
        else:
            self.summary.failed += 1
            self.summary.errors.append(f"subscriber {job.sid}: {error}")


def due_issues(engine: Engine, community: Community, at: datetime) -> list[Newsletter]:
    """Issues whose send_at has passed and that are not fully sent, oldest first (never drafts)."""
    done = finished_issues(engine)
    return sorted((n for n in community.newsletters
                   if not n.draft and n.send_at <= at and n.slug not in done),
                  key=lambda n: n.send_at)
