"""Sending over real SMTP (aiosmtpd on 127.0.0.1): who received what, and how often."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from tests.conftest import MakeRepo
from tidings.content import load
from tidings.delivery.transport import SMTPTransport, parse_smtp_url
from tidings.mail.catcher import CatchingHandler, LocalSMTPServer
from tidings.mail.sender import IssueSender, SendOptions, SendSummary, due_issues
from tidings.store import open_database
from tidings.store.schema import consent_events
from tidings.store.subscribers import add, get, unsubscribe
from tidings.tokens import Signer

SECRET = "send-test-secret-" + "k" * 16
PYPROJECT = """\
[tool.tidings]
name = "Canary Club"
site_url = "https://club.example.org/"
timezone = "Europe/Helsinki"
newsletter_from = "Canary Club <news@club.example.org>"
"""
REPO = {
    "content/announcements/news.md": "---\ntitle: News\ndate: 2026-11-01\n---\nSome news.\n",
    "newsletters/december.md": """
        ---
        subject: December at the club
        send_at: 2026-12-03T09:00
        include: [content/announcements/news.md]
        ---
        Hello!
        """,
}
FAST = SendOptions(concurrency=3, max_attempts=3, backoff=(0.05, 0.1))


def address(i: int) -> str:
    return f"member{i:04d}@example.org"


def make_community(make_repo: MakeRepo, members: int, **extra: str) -> tuple[Path, sa.Engine]:
    root = make_repo({**REPO, **extra}, pyproject=PYPROJECT)
    engine = open_database(root)
    with engine.begin() as connection:
        for i in range(members):
            add(connection, address(i), name=f"Member {i}")
    return root, engine


def send(root: Path, engine: sa.Engine, server: LocalSMTPServer,
         options: SendOptions = FAST) -> SendSummary:
    community = load(root)
    transport = SMTPTransport(parse_smtp_url(server.url))
    sender = IssueSender(engine, community, community.newsletters[0], transport, Signer(SECRET), options)
    # A thread of its own: Playwright's sync API may hold this thread's event loop (browser tests).
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, sender.run()).result()


def test_everyone_in_the_audience_gets_the_issue_exactly_once(make_repo: MakeRepo) -> None:
    root, engine = make_community(make_repo, 40)
    with engine.begin() as connection:
        unsubscribe(connection, get(connection, address(7)).id, source="test")  # type: ignore[union-attr]
    handler = CatchingHandler()
    with LocalSMTPServer(handler) as server:
        first = send(root, engine, server)
        again = send(root, engine, server)
    expected = {address(i) for i in range(40)} - {address(7)}
    assert dict(handler.received) == {a: 1 for a in expected}
    assert (first.sent, first.failed, first.bounced, first.complete) == (39, 0, 0, True)
    assert (again.sent, again.already) == (0, 39)
    assert due_issues(engine, load(root), datetime(2030, 1, 1, tzinfo=UTC)) == []  # fully sent
    with engine.connect() as connection:
        assert connection.execute(sa.select(sa.func.count()).select_from(consent_events)).scalar() == 41


class FaultyHandler(CatchingHandler):
    """450 twice for some, 550 for others, a dropped connection once, slow answers for some."""

    def __init__(self) -> None:
        super().__init__()
        self.tempfails: Counter[str] = Counter()
        self.dropped: set[str] = set()

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, addr: str,  # noqa: N802
                          options: list[str]) -> str:
        if addr.startswith("member0001") and self.tempfails[addr] < 2:
            self.tempfails[addr] += 1
            return "450 4.2.1 Mailbox busy, try again later"
        if addr.startswith(("member0002", "member0003")):
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(addr)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        rcpt = envelope.rcpt_tos[0]
        if rcpt.startswith("member0004") and rcpt not in self.dropped:
            self.dropped.add(rcpt)
            server.transport.close()  # the connection drops before the server answers
            return "451 dropped"
        if rcpt.startswith("member0005"):
            await asyncio.sleep(0.5)
        if rcpt.startswith("member0006"):
            return "452 4.3.1 Insufficient system storage"
        return await super().handle_DATA(server, session, envelope)


def test_transient_failures_retry_permanent_ones_bounce_and_the_batch_goes_on(make_repo: MakeRepo) -> None:
    root, engine = make_community(make_repo, 12)
    handler = FaultyHandler()
    with LocalSMTPServer(handler) as server:
        summary = send(root, engine, server)
        assert summary.failed == 1  # member0006: 4xx every time, given up after 3 attempts
        received = dict(handler.received)
        assert received == {address(i): 1 for i in range(12) if i not in (2, 3, 6)}
        assert handler.tempfails[address(1)] == 2  # retried, then delivered once
        assert (summary.sent, summary.bounced) == (9, 2)
        with engine.connect() as connection:
            assert get(connection, address(2)).state == "bounced"  # type: ignore[union-attr]
            assert get(connection, address(6)).state == "confirmed"  # type: ignore[union-attr]
        handler.received.clear()
        rerun = send(root, engine, server)  # bounced people are never retried; failed ones are
    assert dict(handler.received) == {}  # member0006 fails again, nobody else is sent twice
    assert (rerun.sent, rerun.failed, rerun.bounced) == (0, 1, 0)


class UnsubscribeMidway(CatchingHandler):
    """After the 5th message, the collector records an unsubscribe (through the database)."""

    def __init__(self, engine: sa.Engine, victim: str) -> None:
        super().__init__()
        self.engine, self.victim = engine, victim

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        reply = await super().handle_DATA(server, session, envelope)
        if sum(self.received.values()) == 5:
            with self.engine.begin() as connection:
                unsubscribe(connection, get(connection, self.victim).id, source="one-click")  # type: ignore[union-attr]
        return reply


def test_unsubscribe_during_a_send_takes_effect_before_the_next_message(make_repo: MakeRepo) -> None:
    root, engine = make_community(make_repo, 30)
    handler = UnsubscribeMidway(engine, address(29))
    with LocalSMTPServer(handler) as server:
        summary = send(root, engine, server, SendOptions(concurrency=1))
    assert address(29) not in handler.received
    assert summary.skipped == 1 and summary.sent == 29


def test_someone_who_leaves_between_reading_the_audience_and_the_claim_is_skipped(
        make_repo: MakeRepo) -> None:
    root, engine = make_community(make_repo, 5)
    community = load(root)
    sender = IssueSender(engine, community, community.newsletters[0], SMTPTransport(
        parse_smtp_url("smtp://127.0.0.1:1")), Signer(SECRET), FAST)
    sender.start_run()
    batch = next(sender.audience())
    with engine.begin() as connection:
        unsubscribe(connection, batch[2][0], source="test")
    sender.ledger = engine.connect()
    try:
        claim = sender.claim(batch)
    finally:
        sender.ledger.close()
    assert [sid for sid, _ in claim.mine] == [sid for sid, _ in batch if sid != batch[2][0]]
    assert (claim.skipped, claim.already) == (1, 0)
    with engine.connect() as connection:
        state = connection.execute(sa.text("SELECT state FROM send_log WHERE subscriber_id = :i"),
                                   {"i": batch[2][0]}).scalar()
    assert state == "skipped"


def test_audience_tags_and_language_select_who_gets_the_issue(make_repo: MakeRepo) -> None:
    root, engine = make_community(make_repo, 0, **{"newsletters/december.md": """
        ---
        subject: Käännöstalkoot
        send_at: 2026-12-03T09:00
        audience: {tags: [translators], lang: fi}
        ---
        Hei!
        """})
    with engine.begin() as connection:
        add(connection, "a@example.org", lang="fi", tags="translators")
        add(connection, "b@example.org", lang="fi-FI", tags="translators,mappers")
        add(connection, "c@example.org", lang="de", tags="translators")
        add(connection, "d@example.org", lang="fi")
    handler = CatchingHandler()
    with LocalSMTPServer(handler) as server:
        send(root, engine, server)
    assert sorted(handler.received) == ["a@example.org", "b@example.org"]


def test_dry_run_renders_everything_and_sends_nothing(make_repo: MakeRepo) -> None:
    root, engine = make_community(make_repo, 5)
    handler = CatchingHandler()
    with LocalSMTPServer(handler) as server:
        summary = send(root, engine, server, SendOptions(dry_run=True))
        assert summary.sent == 5 and not handler.received
        assert "dry run" in summary.line() and "sent none" in summary.line()
        real = send(root, engine, server)
    assert real.sent == 5 and len(handler.received) == 5


class PowerCut(SMTPTransport):
    """A real SMTP transport whose process "dies" (an unexpected error) after ``limit`` messages."""

    def __init__(self, url: str, limit: int) -> None:
        super().__init__(parse_smtp_url(url))
        self.limit = limit

    async def send(self, worker: int, sender: str, recipient: str, data: bytes) -> None:
        if self.limit <= 0:
            raise RuntimeError("power cut")
        self.limit -= 1
        await super().send(worker, sender, recipient, data)


def test_a_run_that_stops_early_leaves_the_rest_to_the_next_run(make_repo: MakeRepo) -> None:
    root, engine = make_community(make_repo, 450)  # more than one claimed batch ahead
    handler = CatchingHandler()
    community = load(root)
    with LocalSMTPServer(handler) as server:
        cut = IssueSender(engine, community, community.newsletters[0], PowerCut(server.url, 30),
                          Signer(SECRET), FAST)
        with ThreadPoolExecutor(1) as pool, pytest.raises(RuntimeError, match="power cut"):
            pool.submit(asyncio.run, cut.run()).result()
        at_cut = sum(handler.received.values())
        # The other workers' messages in flight at the cut were abandoned half way.
        assert 30 - (FAST.concurrency - 1) <= at_cut <= 30
        rest = send(root, engine, server)
    assert rest.complete and rest.failed == 0 and rest.sent + rest.already == 450
    counts = handler.received
    assert set(counts) == {address(i) for i in range(450)}  # nobody is left out
    assert sum(n - 1 for n in counts.values()) <= FAST.concurrency - 1  # only those in flight twice


SENDER_SCRIPT = """
import sys
from pathlib import Path
from tidings.cli import run_send
sys.exit(run_send(Path(sys.argv[1]), "december", concurrency=2))
"""


class Slow(CatchingHandler):
    """10 ms per message; ``hold()`` stops accepting (messages wait for ``release()``)."""

    def __init__(self) -> None:
        super().__init__()
        self.accepting = True

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        await asyncio.sleep(0.01)
        while True:
            with self.lock:  # the same lock counts: nothing is accepted once hold() returned
                if self.accepting:
                    for rcpt in envelope.rcpt_tos:
                        self.received[rcpt.lower()] += 1
                    self.messages.append((list(envelope.rcpt_tos), envelope.original_content or b""))
                    return "250 Message accepted for delivery"
            await asyncio.sleep(0.005)

    def hold(self) -> int:
        """Stop accepting; how many messages were accepted."""
        with self.lock:
            self.accepting = False
            return sum(self.received.values())

    def release(self) -> None:
        with self.lock:
            self.accepting = True


def _sender(root: Path, server: LocalSMTPServer) -> subprocess.Popen[bytes]:
    env = {**os.environ, "TIDINGS_SECRET": SECRET, "TIDINGS_SMTP_URL": server.url, "CI": "true"}
    return subprocess.Popen([sys.executable, "-c", SENDER_SCRIPT, str(root)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def test_a_send_killed_midway_resumes_and_nobody_misses_it(make_repo: MakeRepo) -> None:
    root, engine = make_community(make_repo, 300)
    handler = Slow()
    with LocalSMTPServer(handler) as server:
        process = _sender(root, server)
        deadline = time.monotonic() + 60
        while sum(handler.received.values()) < 80 and time.monotonic() < deadline:
            time.sleep(0.01)
        # The relay stops accepting, then the sender dies: what it accepted and what the log
        # says is sent at that moment are both known.
        at_kill = handler.hold()
        with engine.connect() as connection:
            logged = connection.execute(sa.text(
                "SELECT count(*) FROM send_log WHERE state = 'sent'")).scalar()
        process.send_signal(signal.SIGKILL)
        process.wait()
        assert 80 <= at_kill < 300, "the send must be killed midway"
        print(f"killed after {at_kill} messages, {logged} of them in the send log")
        handler.release()
        resumed = _sender(root, server)
        assert resumed.wait(timeout=120) == 0
    counts = handler.received
    assert set(counts) == {address(i) for i in range(300)}  # nobody misses the issue
    twice = [a for a, n in counts.items() if n > 1]
    # Only messages accepted but not yet in the send log at the kill can come twice, and those
    # on the wire then (one per connection: the relay had them when the sender died).
    print(f"{len(twice)} messages arrived twice")
    assert len(twice) <= at_kill - int(logged or 0) + 2, twice
    assert max(counts.values()) <= 2


def test_two_runs_at_once_never_send_twice(make_repo: MakeRepo) -> None:
    root, _ = make_community(make_repo, 200)
    handler = Slow()
    with LocalSMTPServer(handler) as server:
        first, second = _sender(root, server), _sender(root, server)
        assert first.wait(timeout=120) == 0 and second.wait(timeout=120) == 0
    assert dict(handler.received) == {address(i): 1 for i in range(200)}


def test_messages_pass_aiosmtpd_line_length_limits_and_parse_back(make_repo: MakeRepo) -> None:
    import email
    import email.policy

    long_paragraph = " ".join(["word"] * 3000)  # one Markdown line far over 998 octets
    root, engine = make_community(make_repo, 1, **{
        "content/announcements/news.md": f"---\ntitle: News\ndate: 2026-11-01\n---\n{long_paragraph}\n"})
    handler = CatchingHandler()
    with LocalSMTPServer(handler) as server:
        assert send(root, engine, server).sent == 1
    message = email.message_from_bytes(handler.messages[0][1], policy=email.policy.default)
    assert message["Subject"] == "December at the club"


@pytest.mark.parametrize("url, expected", [
    ("smtp://user:p%40ss@mail.example.org:587?starttls=1",
     ("mail.example.org", 587, "user", "p@ss", False, True)),
    ("smtps://mail.example.org", ("mail.example.org", 465, None, None, True, None)),
    ("smtp://127.0.0.1:2525?starttls=0", ("127.0.0.1", 2525, None, None, False, False)),
])
def test_smtp_url_settings(url: str, expected: tuple[Any, ...]) -> None:
    s = parse_smtp_url(url)
    assert (s.host, s.port, s.username, s.password, s.use_tls, s.start_tls) == expected
    assert "p@ss" not in s.description
