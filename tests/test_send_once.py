"""Sending exactly once, unsubscribes at once: real aiosmtpd, real SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import textwrap
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from tests.conftest import MakeRepo
from tests.test_send import FAST, PYPROJECT, REPO, SECRET, address, make_community, send
from tidings.cli import main as cli_main
from tidings.content import load
from tidings.delivery.transport import SMTPTransport, parse_smtp_url
from tidings.mail.catcher import CatchingHandler, LocalSMTPServer
from tidings.mail.sender import IssueSender, SendOptions
from tidings.store import open_database
from tidings.store.schema import issues_done, send_log
from tidings.store.subscribers import add, get, unsubscribe
from tidings.tokens import Signer


def main(argv: list[str]) -> int:
    """The CLI in a thread of its own: the session's Playwright holds the main thread's event loop."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(cli_main, argv).result()


def unsubscribe_address(engine: sa.Engine, email: str) -> None:
    with engine.begin() as connection:
        found = get(connection, email)
        assert found is not None
        unsubscribe(connection, found.id, source="one-click")


def log_states(engine: sa.Engine) -> dict[int, str]:
    with engine.connect() as connection:
        return {sid: state for sid, state in connection.execute(
            sa.select(send_log.c.subscriber_id, send_log.c.state))}


class OrderedHandler(CatchingHandler):
    """Keeps, in the order the server saw them, every RCPT and every accepted message."""

    def __init__(self) -> None:
        super().__init__()
        self.events: list[tuple[str, str]] = []  # ("rcpt" | "accepted" | "unsubscribed", address)
        self.sessions: set[int] = set()

    def note(self, kind: str, addr: str) -> None:
        with self.lock:
            self.events.append((kind, addr))

    def seen(self) -> set[str]:
        with self.lock:
            return {a for kind, a in self.events if kind == "rcpt"}

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, addr: str,  # noqa: N802
                          options: list[str]) -> str:
        self.note("rcpt", addr)
        envelope.rcpt_tos.append(addr)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.sessions.add(id(session))
        reply = await super().handle_DATA(server, session, envelope)
        self.note("accepted", envelope.rcpt_tos[0])
        return reply

    def accepted_after_unsubscribe(self) -> list[str]:
        """Addresses accepted after the moment they were unsubscribed (must be none)."""
        gone: set[str] = set()
        late = []
        with self.lock:
            for kind, addr in self.events:
                if kind == "unsubscribed":
                    gone.add(addr)
                elif kind == "accepted" and addr in gone:
                    late.append(addr)
        return late


# -- a run never drops the results it holds ------------------------------------------------------
class CutWhileTheLogIsBusy(SMTPTransport):
    """After ``limit`` messages: the send log's thread is kept busy, a flush is handed to it, then
    the run fails; the log's thread is released a while after the run has started to stop."""

    def __init__(self, url: str, limit: int) -> None:
        super().__init__(parse_smtp_url(url))
        self.limit = limit
        self.release = threading.Event()
        self.sender: IssueSender | None = None

    async def send(self, worker: int, sender: str, recipient: str, data: bytes) -> None:
        if self.limit <= 0:
            assert self.sender is not None
            self.sender.log_thread.submit(self.release.wait, 30)
            await asyncio.sleep(0.2)  # a few flush intervals: the results are handed over
            threading.Timer(0.3, self.release.set).start()  # once the stopping run has cancelled
            raise RuntimeError("power cut")
        self.limit -= 1
        await super().send(worker, sender, recipient, data)


def test_results_a_stopping_run_holds_are_written_never_dropped(make_repo: MakeRepo) -> None:
    root, engine = make_community(make_repo, 60)
    community = load(root)
    handler = CatchingHandler()
    with LocalSMTPServer(handler) as server:
        transport = CutWhileTheLogIsBusy(server.url, 20)
        sender = IssueSender(engine, community, community.newsletters[0], transport, Signer(SECRET), FAST)
        transport.sender = sender
        with ThreadPoolExecutor(1) as pool, pytest.raises(RuntimeError, match="power cut"):
            pool.submit(asyncio.run, sender.run()).result()
        delivered = set(handler.received)
        assert len(delivered) == 20
        with engine.connect() as connection:
            ids = {get(connection, a).id for a in delivered}  # type: ignore[union-attr]
        states = log_states(engine)
        assert {states[sid] for sid in ids} == {"sent"}, "a delivered recipient was not logged as sent"
        rest = send(root, engine, server)
    assert rest.complete and rest.sent == 40
    assert max(handler.received.values()) == 1


# -- every connection works ----------------------------------------------------------------------
@pytest.mark.parametrize("members", [150, 350])
def test_every_connection_of_the_pool_is_used(make_repo: MakeRepo, members: int) -> None:
    root, engine = make_community(make_repo, members)
    handler = OrderedHandler()
    with LocalSMTPServer(handler) as server:
        summary = send(root, engine, server, SendOptions(concurrency=4))
    assert summary.sent == members
    assert len(handler.sessions) == 4


# -- unsubscribes take effect right before the SMTP transaction ----------------------------------
class UnsubscribeTheWaiting(OrderedHandler):
    """When the ``at``-th message arrives, unsubscribes everyone the server has not seen yet
    (they are waiting for the rate limit) except ``keep`` of them, and notes the commit."""

    def __init__(self, engine: sa.Engine, everyone: list[str], at: int, keep: int) -> None:
        super().__init__()
        self.engine, self.everyone, self.at, self.keep = engine, everyone, at, keep
        self.victims: list[str] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        reply = await super().handle_DATA(server, session, envelope)
        if sum(self.received.values()) == self.at:
            unseen = [a for a in self.everyone if a not in self.seen()]
            self.victims = unseen[:-self.keep] if self.keep else unseen
            for victim in self.victims:
                unsubscribe_address(self.engine, victim)
                self.note("unsubscribed", victim)
        return reply


def test_nobody_unsubscribed_while_waiting_for_the_rate_limit_gets_the_issue(make_repo: MakeRepo) -> None:
    root, engine = make_community(make_repo, 12)
    everyone = [address(i) for i in range(12)]
    handler = UnsubscribeTheWaiting(engine, everyone, at=2, keep=3)
    with LocalSMTPServer(handler) as server:
        summary = send(root, engine, server, SendOptions(concurrency=4, rate=8))
    assert handler.victims, "the unsubscribes happened"
    assert handler.accepted_after_unsubscribe() == []
    assert summary.skipped == len(handler.victims)
    assert summary.sent == 12 - len(handler.victims)


class RefuseThenUnsubscribe(OrderedHandler):
    """451 for ``victim``'s first try; the unsubscribe commits before the server answers."""

    def __init__(self, engine: sa.Engine, victim: str) -> None:
        super().__init__()
        self.engine, self.victim = engine, victim
        self.refused = 0

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, addr: str,  # noqa: N802
                          options: list[str]) -> str:
        if addr == self.victim and not self.refused:
            self.refused += 1
            self.note("rcpt", addr)
            unsubscribe_address(self.engine, addr)
            self.note("unsubscribed", addr)
            return "451 4.7.1 Try again later"
        return await super().handle_RCPT(server, session, envelope, addr, options)


def test_a_retry_checks_the_subscriber_again(make_repo: MakeRepo) -> None:
    root, engine = make_community(make_repo, 6)
    handler = RefuseThenUnsubscribe(engine, address(2))
    with LocalSMTPServer(handler) as server:
        summary = send(root, engine, server)
    assert handler.refused == 1
    assert address(2) not in handler.received
    assert handler.accepted_after_unsubscribe() == []
    assert (summary.sent, summary.skipped, summary.failed) == (5, 1, 0)


class LowerIdCommitsLater(OrderedHandler):
    """PostgreSQL: an unsubscribe that takes a lower consent-event id commits after a higher one."""

    def __init__(self, engine: sa.Engine) -> None:
        super().__init__()
        self.engine = engine
        self.open: sa.Connection | None = None
        self.transaction: sa.RootTransaction | None = None

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        reply = await super().handle_DATA(server, session, envelope)
        count = sum(self.received.values())
        if count == 1:
            self.open = self.engine.connect()
            self.transaction = self.open.begin()
            unsubscribe(self.open, get(self.open, address(8)).id, source="one-click")  # type: ignore[union-attr]
            unsubscribe_address(self.engine, address(5))  # a higher id, committed first
            self.note("unsubscribed", address(5))
            await asyncio.sleep(0.2)  # the sender reads the higher id meanwhile
        elif count == 3:
            assert self.transaction is not None and self.open is not None
            self.transaction.commit()
            self.open.close()
            self.note("unsubscribed", address(8))
        return reply


def test_an_unsubscribe_committed_late_with_a_lower_id_is_not_missed(postgres_url: str,
                                                                     make_repo: MakeRepo) -> None:
    root = make_repo(REPO, pyproject=PYPROJECT)
    engine = open_database(url=postgres_url)
    with engine.begin() as connection:
        for i in range(10):
            add(connection, address(i))
    handler = LowerIdCommitsLater(engine)
    with LocalSMTPServer(handler) as server:
        summary = send(root, engine, server, SendOptions(concurrency=1))
    engine.dispose()
    assert address(8) not in handler.received and address(5) not in handler.received
    assert (summary.sent, summary.skipped) == (8, 2)


# -- retries never hold a connection -------------------------------------------------------------
class RefuseFirstOnce(OrderedHandler):
    def __init__(self, slow: str) -> None:
        super().__init__()
        self.slow = slow
        self.tries = 0

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, addr: str,  # noqa: N802
                          options: list[str]) -> str:
        if addr == self.slow:
            self.tries += 1
            if self.tries == 1:
                self.note("rcpt", addr)
                return "451 4.7.1 Greylisted, try again later"
        return await super().handle_RCPT(server, session, envelope, addr, options)


def test_a_recipient_waiting_to_retry_does_not_hold_up_the_others(make_repo: MakeRepo) -> None:
    root, engine = make_community(make_repo, 10)
    handler = RefuseFirstOnce(address(0))
    with LocalSMTPServer(handler) as server:
        summary = send(root, engine, server, SendOptions(concurrency=1, backoff=(1.0,)))
    accepted = [a for kind, a in handler.events if kind == "accepted"]
    assert accepted == [address(i) for i in range(1, 10)] + [address(0)]
    assert (summary.sent, summary.failed) == (10, 0)
    assert handler.tries == 2


# -- where the messages go -----------------------------------------------------------------------
@pytest.fixture
def sending_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in ("TIDINGS_SMTP_URL", "TIDINGS_DATABASE_URL", "CI"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TIDINGS_SECRET", SECRET)
    return monkeypatch


def outbox_files(root: Path) -> list[Path]:
    return list((root / ".tidings" / "outbox").glob("*/*"))


def test_an_empty_smtp_url_is_an_error_and_nothing_is_marked_sent(
        make_repo: MakeRepo, sending_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    root, engine = make_community(make_repo, 3)
    sending_env.setenv("TIDINGS_SMTP_URL", "")
    assert main(["--root", str(root), "newsletter", "send", "december"]) == 1
    assert main(["--root", str(root), "newsletter", "due"]) == 1
    err = capsys.readouterr().err
    assert "TIDINGS_SMTP_URL" in err and "empty" in err and "Traceback" not in err
    assert outbox_files(root) == [] and log_states(engine) == {}


@pytest.mark.parametrize("variable", ["CI", "TIDINGS_DATABASE_URL"])
def test_the_outbox_needs_outbox_in_ci_or_with_a_shared_database(
        make_repo: MakeRepo, sending_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        variable: str) -> None:
    root = make_repo(REPO, pyproject=PYPROJECT)
    value = f"sqlite:///{root / 'shared.sqlite'}" if variable == "TIDINGS_DATABASE_URL" else "true"
    sending_env.setenv(variable, value)
    engine = open_database(root)
    with engine.begin() as connection:
        add(connection, address(1))
    assert main(["--root", str(root), "newsletter", "send", "december"]) == 1
    assert main(["--root", str(root), "newsletter", "due"]) == 1
    err = capsys.readouterr().err
    assert "--outbox" in err and "Traceback" not in err
    assert outbox_files(root) == [] and log_states(engine) == {}
    assert main(["--root", str(root), "newsletter", "send", "december", "--dry-run"]) == 0  # sends nothing
    assert main(["--root", str(root), "newsletter", "send", "december", "--outbox"]) == 0
    assert len(outbox_files(root)) == 1 and set(log_states(engine).values()) == {"sent"}


def test_a_test_copy_with_the_relay_down_is_one_clear_line(make_repo: MakeRepo) -> None:
    root, _ = make_community(make_repo, 1)
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "TIDINGS_SECRET": SECRET, "TIDINGS_SMTP_URL": f"smtp://127.0.0.1:{port}?starttls=0"}
    done = subprocess.run([sys.executable, "-m", "tidings", "--root", str(root), "newsletter", "send",
                           "december", "--to", "someone@example.org"],
                          env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "cannot connect" in lines[0], done.stderr


# -- three senders at once -----------------------------------------------------------------------
class PerIssue(CatchingHandler):
    """Counts deliveries per (recipient, subject)."""

    def __init__(self) -> None:
        super().__init__()
        self.per_issue: Counter[tuple[str, str]] = Counter()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        import email
        import email.policy

        subject = str(email.message_from_bytes(envelope.original_content or b"",
                                               policy=email.policy.default)["Subject"])
        with self.lock:
            for rcpt in envelope.rcpt_tos:
                self.per_issue[(rcpt.lower(), subject)] += 1
        return await super().handle_DATA(server, session, envelope)


def three_senders_at_once(make_repo: MakeRepo, url: str | None) -> None:
    root = make_repo({"content/announcements/news.md": REPO["content/announcements/news.md"]},
                     pyproject=PYPROJECT)
    engine = open_database(root, url)
    members = 300
    with engine.begin() as connection:
        for i in range(members):
            add(connection, address(i))
    handler = PerIssue()
    env = {**os.environ, "TIDINGS_SECRET": SECRET, "CI": "true"}
    if url:
        env["TIDINGS_DATABASE_URL"] = url
    with LocalSMTPServer(handler) as server:
        env["TIDINGS_SMTP_URL"] = server.url
        for round_ in range(3):
            (root / "newsletters" / f"issue-{round_}.md").parent.mkdir(exist_ok=True)
            (root / "newsletters" / f"issue-{round_}.md").write_text(textwrap.dedent(f"""\
                ---
                subject: Issue {round_}
                send_at: 2026-01-0{round_ + 1}T09:00
                ---
                Hello {round_}!
                """), encoding="utf-8")
            runs = [subprocess.Popen([sys.executable, "-m", "tidings", "--root", str(root), "newsletter",
                                      "due", "--concurrency", "3"], env=env, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE) for _ in range(3)]
            outputs = [run.communicate(timeout=180) for run in runs]
            assert [run.returncode for run in runs] == [0, 0, 0], outputs
            got = Counter({a: n for (a, s), n in handler.per_issue.items() if s == f"Issue {round_}"})
            assert got == {address(i): 1 for i in range(members)}, f"round {round_}"
            with engine.connect() as connection:
                states = Counter(state for (state,) in connection.execute(
                    sa.select(send_log.c.state).where(send_log.c.issue == f"issue-{round_}")))
                done = connection.execute(sa.select(issues_done.c.sent).where(
                    issues_done.c.issue == f"issue-{round_}")).scalar()
            assert states == {"sent": members} and done == members, f"round {round_}"
    engine.dispose()


def test_three_senders_at_once_send_everyone_exactly_once_sqlite(make_repo: MakeRepo) -> None:
    three_senders_at_once(make_repo, None)


def test_three_senders_at_once_send_everyone_exactly_once_postgres(make_repo: MakeRepo,
                                                                   postgres_url: str) -> None:
    three_senders_at_once(make_repo, postgres_url)


def test_three_senders_at_once_with_two_language_versions_send_everyone_once(make_repo: MakeRepo) -> None:
    pyproject = PYPROJECT.replace("[tool.tidings]\n", '[tool.tidings]\nlanguages = ["en", "fi"]\n', 1)
    root = make_repo({
        "newsletters/issue.md": "---\nsubject: Issue\nsend_at: 2026-01-01T09:00\n---\nHello!\n",
        "newsletters/issue.fi.md": "---\nsubject: Numero\n---\nHei!\n",
    }, pyproject=pyproject)
    engine = open_database(root)
    members = 240
    with engine.begin() as connection:
        for i in range(members):
            add(connection, address(i), lang="fi" if i % 2 else None)
    handler = PerIssue()
    env = {**os.environ, "TIDINGS_SECRET": SECRET, "CI": "true"}
    with LocalSMTPServer(handler) as server:
        env["TIDINGS_SMTP_URL"] = server.url
        command = [sys.executable, "-m", "tidings", "--root", str(root), "newsletter", "due",
                   "--concurrency", "3"]
        runs = [subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                for _ in range(3)]
        outputs = [run.communicate(timeout=180) for run in runs]
    assert [run.returncode for run in runs] == [0, 0, 0], outputs
    expected = {(address(i), "Numero" if i % 2 else "Issue"): 1 for i in range(members)}
    assert dict(handler.per_issue) == expected  # each once, in their language, never both versions
    with engine.connect() as connection:
        states = Counter(state for (state,) in connection.execute(sa.select(send_log.c.state)))
    engine.dispose()
    assert states == {"sent": members}  # one send-log row per (issue, subscriber)
