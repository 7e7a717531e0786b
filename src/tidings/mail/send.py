"""Send an issue to its audience: a send log makes it idempotent, resumable and exclusive.

For every recipient the log goes ``sending`` (claimed by this run, committed before the message
leaves) -> ``sent`` | ``bounced`` | ``failed`` | ``skipped``. The claim is an INSERT on the
(issue, subscriber) primary key, so two runs at once can never both claim someone. A run that
died leaves ``sending`` rows; the next run takes them over and sends them again: nobody misses
the issue, and only messages accepted but not yet logged at the crash can arrive twice.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
import random
import socket
import sys
import time
import uuid
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parseaddr
from typing import Any, NamedTuple, TypeVar
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from tidings.content.model import Audience, Community, Newsletter
from tidings.errors import DeliveryError
from tidings.mail.message import MessageTemplate, Recipient
from tidings.mail.render import IssueRenderer
from tidings.mail.tokens import Signer
from tidings.mail.transport import Transport
from tidings.store import now
from tidings.store.schema import consent_events, issues_done, send_log, send_runs, subscribers
from tidings.store.subscribers import Subscriber, parse_tags, record_state

log = logging.getLogger("tidings.send")
T = TypeVar("T")
LEASE = timedelta(seconds=120)  # a run silent for this long is considered dead
FLUSH_EVERY = 0.05  # seconds between send-log commits: bounds the duplicates after a crash
CLAIM_BATCH = 200
RESULT_CHUNK = 500  # ids per UPDATE: well under any database's limit on parameters


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
                    f"audience), sent none ({self.elapsed:.1f} s, {rate:.0f} msg/s)")
        return (f"{self.issue}: sent {self.sent}, failed {self.failed}, bounced {self.bounced}, "
                f"skipped {self.skipped}, already sent {self.already} "
                f"({self.elapsed:.1f} s, {rate:.0f} msg/s)")


class Claim(NamedTuple):
    mine: list[tuple[int, Recipient]]  # claimed by this run: send to them now
    skipped: int  # left the list since the audience was read
    already: int  # sent (or bounced, or skipped) by an earlier run


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
        self.summary = SendSummary(letter.slug, dry_run=options.dry_run)
        self.results: list[tuple[int, str, int, str | None]] = []
        self.bounces: list[tuple[int, str]] = []
        self.log_thread = ThreadPoolExecutor(1, thread_name_prefix="tidings-send-log")
        self.ledger: sa.Connection | None = None  # held for the run, used in log_thread only

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

    # The hot path runs on one connection held for the whole run, in one thread of its own, with
    # plain SQL: a few set-based statements per batch or per flush, whatever their size. Row by
    # row, the log cost a quarter to a third of the CPU a message takes: from a thread, every
    # row's statement handed the GIL back and forth with the event loop.
    def sql(self, text: str, *lists: int) -> str:
        """``text`` with ``?`` as the driver's placeholder and ``{0}``, ``{1}``... as IN lists."""
        p = "?" if self.engine.dialect.name == "sqlite" else "%s"
        return text.replace("?", p).format(*(", ".join([p] * n) for n in lists))

    def claim(self, batch: list[tuple[int, Recipient]]) -> Claim:
        """Claim a batch for this run: those it must send to now, and the others' counts.

        Runs in the send log's thread; the counts go into the summary on the event loop's.
        """
        assert self.ledger is not None
        ids = [sid for sid, _ in batch]
        n = len(ids)
        issue, run = self.letter.slug, self.run_id
        stamp = self.db_stamp(self.clock())
        run_sql = self.ledger.exec_driver_sql
        with self.ledger.begin():
            # The INSERT is the claim: on the (issue, subscriber) key, so nobody twice.
            run_sql(self.sql("INSERT INTO send_log (issue, subscriber_id, state, run_id, attempts, "
                             "updated_at) SELECT ?, id, 'sending', ?, 0, ? FROM subscribers "
                             "WHERE id IN ({0}) ON CONFLICT DO NOTHING", n), (issue, run, stamp, *ids))
            # Earlier transient failures are tried again by the next run.
            run_sql(self.sql("UPDATE send_log SET state = 'sending', run_id = ?, updated_at = ? "
                             "WHERE issue = ? AND state = 'failed' AND subscriber_id IN ({0})", n),
                    (run, stamp, issue, *ids))
            # Whoever left since the audience was read is not sent to.
            left = {r[0] for r in run_sql(self.sql(
                "SELECT id FROM subscribers WHERE state <> 'confirmed' AND id IN ({0})", n), tuple(ids))}
            skipped = 0
            if left:
                skipped = run_sql(self.sql(
                    "UPDATE send_log SET state = 'skipped', last_error = 'unsubscribed during the send', "
                    "updated_at = ? WHERE issue = ? AND run_id = ? AND state = 'sending' "
                    "AND subscriber_id IN ({0})", len(left)), (stamp, issue, run, *left)).rowcount
            claimed = run_sql(self.sql("SELECT count(*) FROM send_log WHERE issue = ? AND run_id = ? "
                                       "AND state = 'sending' AND subscriber_id IN ({0})", n),
                              (issue, run, *ids)).scalar()
            if claimed == n:  # the usual case: all of them, no rows to read back
                return Claim(batch, skipped=skipped, already=0)
            rows = run_sql(self.sql("SELECT subscriber_id, state, run_id FROM send_log "
                                    "WHERE issue = ? AND subscriber_id IN ({0})", n), (issue, *ids)).all()
        mine = {sid for sid, state, owner in rows if state == "sending" and owner == run}
        return Claim([item for item in batch if item[0] in mine],
                     skipped=sum(1 for _, state, owner in rows if state == "skipped" and owner == run),
                     already=sum(1 for _, state, owner in rows
                                 if state in ("sent", "bounced", "skipped") and owner != run))

    def consent_mark(self) -> int:
        assert self.ledger is not None
        with self.ledger.begin():
            return int(self.ledger.execute(sa.select(sa.func.max(consent_events.c.id))).scalar() or 0)

    def take_results(self) -> tuple[list[tuple[int, str, int, str | None]], list[tuple[int, str]]]:
        """Hand the pending results over (on the event loop thread, so none is lost)."""
        results, self.results = self.results, []
        bounces, self.bounces = self.bounces, []
        return results, bounces

    def sync(self, results: list[tuple[int, str, int, str | None]], bounces: list[tuple[int, str]],
             mark: int) -> tuple[int, set[int]]:
        """Commit results to the send log, beat the heart, and read who left since ``mark``.

        Runs in the send log's thread (a commit waits for the disk). Returns the new mark and
        the subscribers who unsubscribed, bounced or complained since the last call.
        """
        assert self.ledger is not None
        issue = self.letter.slug
        moment = self.clock()
        stamp = self.db_stamp(moment)
        run_sql = self.ledger.exec_driver_sql
        # Sent at the first attempt is nearly everyone: one UPDATE per chunk of ids.
        first_time = [sid for sid, state, attempts, _ in results if state == "sent" and attempts == 1]
        others = [(state, attempts, error, stamp, issue, sid)
                  for sid, state, attempts, error in results if not (state == "sent" and attempts == 1)]
        with self.ledger.begin():
            for start in range(0, len(first_time), RESULT_CHUNK):
                chunk = first_time[start:start + RESULT_CHUNK]
                run_sql(self.sql("UPDATE send_log SET state = 'sent', attempts = 1, last_error = NULL, "
                                 "updated_at = ? WHERE issue = ? AND subscriber_id IN ({0})", len(chunk)),
                        (stamp, issue, *chunk))
            if others:
                run_sql(self.sql("UPDATE send_log SET state = ?, attempts = ?, last_error = ?, "
                                 "updated_at = ? WHERE issue = ? AND subscriber_id = ?"), others)
            for sid, detail in bounces:
                current = self.ledger.execute(sa.select(subscribers.c.state).where(
                    subscribers.c.id == sid)).scalar()
                if current == "confirmed":
                    record_state(self.ledger, sid, "confirmed", "bounced", "smtp", detail, at=moment)
            run_sql(self.sql("UPDATE send_runs SET heartbeat_at = ? WHERE id = ?"), (stamp, self.run_id))
            # Unsubscribes the collector recorded: one indexed query.
            rows = run_sql(self.sql("SELECT id, subscriber_id FROM consent_events "
                                    "WHERE id > ? AND to_state <> 'confirmed'"), (mark,)).all()
        return max((r[0] for r in rows), default=mark), {r[1] for r in rows}

    def finish(self) -> None:
        moment = self.clock()
        with self.engine.begin() as connection:
            # Claimed but never tried (the run stopped early): the next run sends them.
            connection.execute(send_log.update().where(
                send_log.c.issue == self.letter.slug, send_log.c.run_id == self.run_id,
                send_log.c.state == "sending").values(
                state="failed", last_error="not sent: the run stopped early", updated_at=moment))
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
    def audience(self) -> Iterator[list[tuple[int, Recipient]]]:
        """The audience in id order, in batches: only the columns a message needs."""
        audience = self.letter.audience
        c = subscribers.c
        last = 0
        with self.engine.connect() as connection:
            while rows := connection.execute(
                    sa.select(c.id, c.email, c.name, c.lang, c.timezone, c.tags)
                    .where(c.id > last, c.state == "confirmed").order_by(c.id).limit(CLAIM_BATCH)).all():
                last = rows[-1][0]
                batch = []
                for sid, email, name, lang, zone, text in rows:
                    tags = parse_tags(text or "")
                    if matches(audience, lang, tags):
                        batch.append((sid, Recipient(id=str(sid), email=email, name=name, lang=lang,
                                                     timezone=zone_named(zone), tags=tags)))
                if batch:
                    yield batch

    def count_audience(self) -> int:
        """How many will get it (for the progress bar): a count, not a read of the whole list."""
        audience = self.letter.audience
        confirmed = subscribers.c.state == "confirmed"
        with self.engine.connect() as connection:
            if not audience.lang and not audience.tags:
                return int(connection.execute(sa.select(sa.func.count()).where(confirmed)).scalar() or 0)
            rows = connection.execute(sa.select(subscribers.c.lang, subscribers.c.tags).where(confirmed))
            return sum(1 for lang, tags in rows if matches(audience, lang, parse_tags(tags or "")))

    async def run(self) -> SendSummary:
        started = time.monotonic()
        options = self.options
        self.summary.audience = self.count_audience()
        if not options.dry_run:
            self.start_run()
        progress = Progress(self.summary.audience, f"sending {self.letter.slug}")
        # Claimed batches wait here for the workers; each worker builds its own next message, so
        # at most one built message per worker exists at a time: memory stays flat in N.
        batches: asyncio.Queue[list[tuple[int, Recipient]] | None] = asyncio.Queue(maxsize=2)
        ready: deque[tuple[int, Recipient]] = deque()
        limiter = RateLimiter(options.rate)
        departed: set[int] = set()
        self.ledger = await self.in_log(self.engine.connect)
        mark = await self.in_log(self.consent_mark)
        await self.transport.open(options.concurrency)

        async def next_recipient() -> tuple[int, Recipient] | None:
            while not ready:
                batch = await batches.get()
                if batch is None:
                    batches.put_nowait(None)  # the end, for the other workers too
                    return None
                ready.extend(batch)
            return ready.popleft()

        async def worker(index: int) -> None:
            while (item := await next_recipient()) is not None:
                sid, recipient = item
                if sid in departed:  # unsubscribed since the batch was claimed
                    self.results.append((sid, "skipped", 0, "unsubscribed during the send"))
                    self.summary.skipped += 1
                    progress.advance()
                    continue
                data = self.template_for(recipient).build(recipient, self.clock())
                if options.dry_run:
                    self.summary.sent += 1
                    progress.advance()
                    continue
                state, attempts, error = await self.deliver(index, recipient.email, data, limiter)
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

        async def feeder() -> None:
            async for claimed in self.claimed_batches():
                await batches.put(claimed)
            await batches.put(None)

        async def flusher() -> None:
            nonlocal mark
            while True:
                await asyncio.sleep(FLUSH_EVERY)
                # Unsubscribes recorded by the collector reach the workers within FLUSH_EVERY.
                mark, gone = await self.in_log(self.sync, *self.take_results(), mark)
                departed.update(gone)

        workers = [asyncio.create_task(worker(i)) for i in range(options.concurrency)]
        feeding = asyncio.create_task(feeder())
        flushing = asyncio.create_task(flusher()) if not options.dry_run else None
        try:
            await asyncio.gather(feeding, *workers)
        finally:
            for task in (feeding, *workers):
                task.cancel()
            if flushing is not None:
                flushing.cancel()
            await self.transport.close()
            progress.close()
            # In the log's thread, after whatever it is still doing (a cancelled await does not
            # stop a thread): the connection is never used by two threads at once.
            if not options.dry_run:
                self.log_thread.submit(self.sync, *self.take_results(), mark).result()
                self.log_thread.submit(self.finish).result()
            self.log_thread.submit(self.ledger.close).result()
            self.log_thread.shutdown()
        self.summary.elapsed = time.monotonic() - started
        return self.summary

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

    async def in_log(self, function: Callable[..., T], *args: Any) -> T:
        """Run ``function`` in the send log's own thread (one at a time, in order)."""
        return await asyncio.get_running_loop().run_in_executor(self.log_thread, function, *args)

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
