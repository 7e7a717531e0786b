"""Send an issue to its audience: a send log makes it idempotent, resumable and exclusive.

For every recipient the log goes ``sending`` (claimed by this run, committed before the message
leaves) -> ``sent`` | ``bounced`` | ``failed`` | ``skipped``. The claim is an INSERT on the
(issue, subscriber) primary key, so two runs at once can never both claim someone. A run that
died leaves ``sending`` rows; the next run takes them over and sends them again: nobody misses
the issue, and only messages accepted but not yet logged at the crash can arrive twice.
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import socket
import sys
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parseaddr
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from tidings.content.model import Community, Newsletter
from tidings.mail.message import MessageTemplate, Recipient
from tidings.mail.render import IssueRenderer
from tidings.mail.tokens import Signer
from tidings.mail.transport import DeliveryError, Transport
from tidings.store import now
from tidings.store.schema import consent_events, issues_done, send_log, send_runs, subscribers
from tidings.store.subscribers import Subscriber, iter_subscribers, record_state

log = logging.getLogger("tidings.send")
LEASE = timedelta(seconds=120)  # a run silent for this long is considered dead
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
    errors: list[str] = field(default_factory=list)

    def line(self) -> str:
        rate = self.sent / self.elapsed if self.elapsed else 0.0
        return (f"{self.issue}: sent {self.sent}, failed {self.failed}, bounced {self.bounced}, "
                f"skipped {self.skipped}, already sent {self.already} "
                f"({self.elapsed:.1f} s, {rate:.0f} msg/s)")


@dataclass(frozen=True)
class SendOptions:
    concurrency: int = 4
    rate: float | None = None  # messages per second, all workers together
    dry_run: bool = False
    max_attempts: int = 4
    backoff: tuple[float, ...] = (2.0, 10.0, 30.0)  # waits between attempts (with jitter)


def in_audience(subscriber: Subscriber, letter: Newsletter) -> bool:
    audience = letter.audience
    if audience.lang and (subscriber.lang or "").split("-")[0] != audience.lang.split("-")[0]:
        return False
    return not audience.tags or bool(set(audience.tags) & set(subscriber.tags))


def recipient_of(subscriber: Subscriber) -> Recipient:
    zone = None
    if subscriber.timezone:
        try:
            zone = ZoneInfo(subscriber.timezone)
        except (ValueError, KeyError):
            zone = None
    return Recipient(id=str(subscriber.id), email=subscriber.email, name=subscriber.name,
                     timezone=zone, lang=subscriber.lang, tags=subscriber.tags)


def _insert(engine: sa.Engine) -> Callable[..., sa.Insert]:
    if engine.dialect.name == "postgresql":
        return lambda table: postgresql.insert(table).on_conflict_do_nothing()
    if engine.dialect.name == "sqlite":
        return lambda table: sqlite.insert(table).on_conflict_do_nothing()
    raise NotImplementedError(f"database {engine.dialect.name} is not supported")


def _alive(host: str, pid: int) -> bool:
    if host != socket.gethostname():
        return True  # cannot tell: rely on the heartbeat lease
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class RateLimiter:
    """At most ``rate`` acquisitions per second, shared by all workers."""

    def __init__(self, rate: float | None) -> None:
        self.interval = 1.0 / rate if rate else 0.0
        self.next = 0.0
        self.lock = asyncio.Lock()

    async def wait(self) -> None:
        if not self.interval:
            return
        async with self.lock:
            moment = time.monotonic()
            if self.next > moment:
                await asyncio.sleep(self.next - moment)
            self.next = max(self.next, moment) + self.interval


class Progress:
    """A rich progress bar on a terminal; a plain log line every few seconds elsewhere (CI)."""

    def __init__(self, total: int, label: str) -> None:
        self.total = total
        self.done = 0
        self.started = time.monotonic()
        self.last_line = self.started
        self.bar = None
        if sys.stderr.isatty() and os.environ.get("CI") != "true":
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                TextColumn,
                TimeRemainingColumn,
                TransferSpeedColumn,
            )
            from rich.progress import Progress as RichProgress

            self.bar = RichProgress(TextColumn("[bold]{task.description}"), BarColumn(),
                                    MofNCompleteColumn(), TransferSpeedColumn(), TimeRemainingColumn(),
                                    transient=False)
            self.bar.start()
            self.task = self.bar.add_task(label, total=total)

    def advance(self, count: int = 1) -> None:
        self.done += count
        if self.bar is not None:
            self.bar.update(self.task, advance=count)
            return
        moment = time.monotonic()
        if moment - self.last_line >= 5 or self.done == self.total:
            self.last_line = moment
            rate = self.done / max(moment - self.started, 1e-9)
            eta = (self.total - self.done) / rate if rate else 0
            print(f"sent {self.done}/{self.total} ({rate:.0f} msg/s, about {eta:.0f} s left)",
                  file=sys.stderr, flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()


class IssueSender:
    """One run of ``newsletter send`` for one issue."""

    def __init__(self, engine: sa.Engine, community: Community, letter: Newsletter,
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
        self.insert = _insert(engine)
        self.renderer = IssueRenderer(community, letter, clock())
        self.templates: dict[str, MessageTemplate] = {}
        self.envelope_from = parseaddr(community.config.sender)[1]
        self.summary = SendSummary(letter.slug)
        self.results: list[tuple[int, str, int, str | None]] = []
        self.bounces: list[tuple[int, str]] = []

    @property
    def claim_sql(self) -> str:
        p = self.placeholder
        return (f"INSERT INTO send_log (issue, subscriber_id, state, run_id, attempts, updated_at) "
                f"VALUES ({p}, {p}, 'sending', {p}, 0, {p}) ON CONFLICT DO NOTHING")

    @property
    def result_sql(self) -> str:
        p = self.placeholder
        return (f"UPDATE send_log SET state = {p}, attempts = {p}, last_error = {p}, updated_at = {p} "
                f"WHERE issue = {p} AND subscriber_id = {p}")

    @property
    def placeholder(self) -> str:
        return "?" if self.engine.dialect.name == "sqlite" else "%s"

    def db_stamp(self, moment: datetime) -> object:
        """A moment as the store's UTCDateTime column keeps it (naive UTC; text on SQLite)."""
        value = sa.DateTime().bind_processor(self.engine.dialect)
        naive = moment.astimezone(UTC).replace(tzinfo=None)
        return value(naive) if value else naive

    def template_for(self, recipient: Recipient) -> MessageTemplate:
        key = str(recipient.timezone)
        if key not in self.templates:
            rendered = self.renderer.render(recipient.timezone)
            self.templates[key] = MessageTemplate(rendered, self.community.config, self.signer)
        return self.templates[key]

    # -- the send log ------------------------------------------------------------------------
    def start_run(self) -> None:
        moment = self.clock()
        with self.engine.begin() as connection:
            connection.execute(send_runs.insert().values(
                id=self.run_id, issue=self.letter.slug, host=socket.gethostname(), pid=os.getpid(),
                started_at=moment, heartbeat_at=moment))
            runs = connection.execute(sa.select(send_runs).where(
                send_runs.c.issue == self.letter.slug, send_runs.c.finished_at.is_(None),
                send_runs.c.id != self.run_id)).all()
            dead = [r.id for r in runs
                    if r.heartbeat_at < moment - LEASE or not _alive(r.host, r.pid)]
            if dead:
                # Their claimed recipients may not have received it: this run sends them again.
                connection.execute(send_log.update().where(
                    send_log.c.issue == self.letter.slug, send_log.c.run_id.in_(dead),
                    send_log.c.state == "sending").values(run_id=self.run_id, updated_at=moment))
                connection.execute(send_runs.update().where(send_runs.c.id.in_(dead))
                                   .values(finished_at=moment))

    def claim(self, batch: list[Subscriber]) -> list[Subscriber]:
        """Claim a batch for this run; return those this run must send to now."""
        ids = [s.id for s in batch]
        moment = self.clock()
        issue = self.letter.slug
        with self.engine.begin() as connection:
            # Plain DBAPI executemany: the per-row work of SQLAlchemy's insert cost more than
            # sending a message's share of SMTP (the INSERT is the claim: ON CONFLICT, nobody twice).
            stamp = self.db_stamp(moment)
            connection.exec_driver_sql(self.claim_sql, [(issue, i, self.run_id, stamp) for i in ids])
            # Earlier transient failures are tried again by the next run.
            connection.execute(send_log.update().where(
                send_log.c.issue == issue, send_log.c.subscriber_id.in_(ids),
                send_log.c.state == "failed").values(state="sending", run_id=self.run_id,
                                                     updated_at=moment))
            rows = connection.execute(sa.select(send_log.c.subscriber_id, send_log.c.state,
                                                send_log.c.run_id).where(
                send_log.c.issue == issue, send_log.c.subscriber_id.in_(ids))).all()
            # Whoever left since the audience was read is not claimed for sending.
            left = set(connection.execute(sa.select(subscribers.c.id).where(
                subscribers.c.id.in_(ids), subscribers.c.state != "confirmed")).scalars())
            if left:
                connection.execute(send_log.update().where(
                    send_log.c.issue == issue, send_log.c.subscriber_id.in_(left),
                    send_log.c.run_id == self.run_id, send_log.c.state == "sending").values(
                    state="skipped", last_error="unsubscribed during the send", updated_at=moment))
        self.summary.skipped += len(left)
        mine = {r.subscriber_id for r in rows
                if r.state == "sending" and r.run_id == self.run_id and r.subscriber_id not in left}
        self.summary.already += sum(1 for r in rows if r.state in ("sent", "bounced", "skipped"))
        return [s for s in batch if s.id in mine]

    def consent_mark(self) -> int:
        with self.engine.connect() as connection:
            return int(connection.execute(sa.select(sa.func.max(consent_events.c.id))).scalar() or 0)

    def poll_departures(self, mark: int) -> tuple[int, set[int]]:
        """Who unsubscribed (or bounced, or complained) since ``mark``: one indexed query."""
        with self.engine.connect() as connection:
            rows = connection.execute(sa.select(consent_events.c.id, consent_events.c.subscriber_id).where(
                consent_events.c.id > mark, consent_events.c.to_state != "confirmed")).all()
        return max((r.id for r in rows), default=mark), {r.subscriber_id for r in rows}

    def take_results(self) -> tuple[list[tuple[int, str, int, str | None]], list[tuple[int, str]]]:
        """Hand the pending results over (on the event loop thread, so none is lost)."""
        results, self.results = self.results, []
        bounces, self.bounces = self.bounces, []
        return results, bounces

    def flush(self, results: list[tuple[int, str, int, str | None]],
              bounces: list[tuple[int, str]]) -> None:
        """Commit results to the send log (called in a thread: a commit waits for the disk)."""
        moment = self.clock()
        with self.engine.begin() as connection:
            if results:
                stamp = self.db_stamp(moment)
                connection.exec_driver_sql(self.result_sql, [
                    (state, attempts, error, stamp, self.letter.slug, sid)
                    for sid, state, attempts, error in results])
            for sid, detail in bounces:
                current = connection.execute(sa.select(subscribers.c.state).where(
                    subscribers.c.id == sid)).scalar()
                if current == "confirmed":
                    record_state(connection, sid, "confirmed", "bounced", "smtp", detail, at=moment)
            connection.execute(send_runs.update().where(send_runs.c.id == self.run_id)
                               .values(heartbeat_at=moment))

    def finish(self) -> None:
        moment = self.clock()
        with self.engine.begin() as connection:
            open_rows = connection.execute(sa.select(sa.func.count()).select_from(send_log).where(
                send_log.c.issue == self.letter.slug,
                send_log.c.state.in_(("sending", "failed")))).scalar()
            connection.execute(send_runs.update().where(send_runs.c.id == self.run_id)
                               .values(finished_at=moment, heartbeat_at=moment))
            if not open_rows and not self.options.dry_run:
                total = connection.execute(sa.select(sa.func.count()).select_from(send_log).where(
                    send_log.c.issue == self.letter.slug, send_log.c.state == "sent")).scalar()
                connection.execute(self.insert(issues_done).values(
                    issue=self.letter.slug, finished_at=moment, sent=int(total or 0)))
                self.summary.complete = True

    # -- the pipeline ------------------------------------------------------------------------
    def audience(self) -> Iterator[list[Subscriber]]:
        batch: list[Subscriber] = []
        with self.engine.connect() as connection:
            for subscriber in iter_subscribers(connection, states=("confirmed",)):
                if in_audience(subscriber, self.letter):
                    batch.append(subscriber)
                    if len(batch) == CLAIM_BATCH:
                        yield batch
                        batch = []
        if batch:
            yield batch

    def count_audience(self) -> int:
        with self.engine.connect() as connection:
            return sum(1 for s in iter_subscribers(connection, states=("confirmed",))
                       if in_audience(s, self.letter))

    async def run(self) -> SendSummary:
        started = time.monotonic()
        options = self.options
        self.summary.audience = self.count_audience()
        if not options.dry_run:
            self.start_run()
        progress = Progress(self.summary.audience, f"sending {self.letter.slug}")
        # Bounded: memory stays flat whatever the audience (a few dozen built messages at most).
        queue: asyncio.Queue[tuple[int, str, bytes] | None] = asyncio.Queue(
            maxsize=max(32, options.concurrency * 4))
        limiter = RateLimiter(options.rate)
        departed: set[int] = set()
        mark = await asyncio.to_thread(self.consent_mark)
        await self.transport.open(options.concurrency)

        async def worker(index: int) -> None:
            while (item := await queue.get()) is not None:
                sid, address, data = item
                if sid in departed:  # unsubscribed since the batch was claimed
                    self.results.append((sid, "skipped", 0, "unsubscribed during the send"))
                    self.summary.skipped += 1
                    progress.advance()
                    continue
                state, attempts, error = await self.deliver(index, address, data, limiter)
                self.results.append((sid, state, attempts, error))
                if state == "sent":
                    self.summary.sent += 1
                elif state == "bounced":
                    self.summary.bounced += 1
                    self.bounces.append((sid, error or "bounced"))
                else:
                    self.summary.failed += 1
                    self.summary.errors.append(f"subscriber {sid}: {error}")
                progress.advance()

        async def flusher() -> None:
            nonlocal mark
            while True:
                await asyncio.sleep(FLUSH_EVERY)
                # Unsubscribes recorded by the collector reach the workers within FLUSH_EVERY.
                mark, gone = await asyncio.to_thread(self.poll_departures, mark)
                departed.update(gone)
                await asyncio.to_thread(self.flush, *self.take_results())

        workers = [asyncio.create_task(worker(i)) for i in range(options.concurrency)]
        flushing = asyncio.create_task(flusher()) if not options.dry_run else None
        try:
            async for claimed in self.claimed_batches():
                for subscriber in claimed:
                    recipient = recipient_of(subscriber)
                    data = self.template_for(recipient).build(recipient, self.clock())
                    if options.dry_run:
                        self.summary.sent += 1
                        progress.advance()
                        continue
                    await queue.put((subscriber.id, subscriber.email, data))
            for _ in workers:
                await queue.put(None)
            await asyncio.gather(*workers)
        finally:
            for task in workers:
                task.cancel()
            if flushing is not None:
                flushing.cancel()
            await self.transport.close()
            progress.close()
            if not options.dry_run:
                self.flush(*self.take_results())
                self.finish()
        self.summary.elapsed = time.monotonic() - started
        return self.summary

    async def claimed_batches(self) -> AsyncIterator[list[Subscriber]]:
        """Audience batches, claimed one batch ahead so a commit never leaves the workers idle."""
        if self.options.dry_run:
            for batch in self.audience():
                yield batch
            return
        pending: asyncio.Task[list[Subscriber]] | None = None
        for batch in self.audience():
            claiming = asyncio.create_task(asyncio.to_thread(self.claim, batch))
            if pending is not None:
                yield await pending
            pending = claiming
        if pending is not None:
            yield await pending

    async def deliver(self, worker: int, address: str, data: bytes,
                      limiter: RateLimiter) -> tuple[str, int, str | None]:
        """Send with retries: transient failures back off and retry, permanent ones stop."""
        attempts = 0
        while True:
            attempts += 1
            await limiter.wait()
            try:
                await self.transport.send(worker, self.envelope_from, address, data)
                return "sent", attempts, None
            except DeliveryError as exc:
                if exc.permanent:
                    # A refused recipient bounces; a refused message (e.g. at DATA) is not retried.
                    return ("bounced" if exc.recipient_refused else "rejected"), attempts, str(exc)
                if attempts >= self.options.max_attempts:
                    return "failed", attempts, str(exc)
                delay = self.options.backoff[min(attempts - 1, len(self.options.backoff) - 1)]
                await asyncio.sleep(delay * random.uniform(0.8, 1.2))


def send_issue(engine: sa.Engine, community: Community, letter: Newsletter, transport: Transport,
               signer: Signer, options: SendOptions) -> SendSummary:
    """Send ``letter`` to every confirmed subscriber of its audience not yet sent to."""
    return asyncio.run(IssueSender(engine, community, letter, transport, signer, options).run())


def due_issues(engine: sa.Engine, community: Community, at: datetime) -> list[Newsletter]:
    """Issues whose send_at has passed and that are not fully sent, oldest first."""
    with engine.connect() as connection:
        done = {row.issue for row in connection.execute(sa.select(issues_done.c.issue))}
    return sorted((n for n in community.newsletters if n.send_at <= at and n.slug not in done),
                  key=lambda n: n.send_at)
