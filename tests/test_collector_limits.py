"""The collector under load: the confirmation queue and its SMTP bound, rate limits, trusted
proxies, HTTP limits (header, body, slow body), and a busy SQLite database."""

from __future__ import annotations

import asyncio
import logging
import socket
import sqlite3
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from tests.collector_support import (
    PYPROJECT,
    SECRET,
    CountingSMTPServer,
    form_csrf,
    free_port,
    running_collector,
    snapshot,
    token,
    wait_for,
)
from tests.conftest import PULSE_SURVEY, MakeRepo, run_coroutine
from tidings.collector.app import Limits
from tidings.delivery.transport import SMTPTransport, parse_smtp_url
from tidings.store import now, open_database
from tidings.store.schema import answers, signup_attempts, subscribers
from tidings.store.subscribers import add, get, record_state

TRUSTED = PYPROJECT + 'trusted_proxies = ["127.0.0.1"]\n'


def make_club(make_repo: MakeRepo, monkeypatch: pytest.MonkeyPatch, pyproject: str = PYPROJECT) -> Path:
    monkeypatch.setenv("TIDINGS_SECRET", SECRET)
    root = make_repo({"content/surveys/pulse.md": PULSE_SURVEY.format(closes="2099-01-01")},
                     pyproject=pyproject)
    open_database(root).dispose()
    return root


@pytest.fixture
def relay() -> Iterator[CountingSMTPServer]:
    with CountingSMTPServer() as server:
        yield server


def mails_to(relay: CountingSMTPServer, address: str) -> int:
    return relay.handler.received[address]


def signup(url: str, address: str, forwarded_for: str | None = None) -> httpx.Response:
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    return httpx.post(f"{url}/subscribe", data={"email": address}, headers=headers, timeout=30)


# -- the confirmation queue ---------------------------------------------------------------------
def test_many_sign_ups_at_once_use_at_most_two_smtp_connections_and_every_mail_arrives(
        make_repo: MakeRepo, monkeypatch: pytest.MonkeyPatch, relay: CountingSMTPServer) -> None:
    root = make_club(make_repo, monkeypatch, TRUSTED)
    count = 120

    async def sign_up_all(url: str) -> list[int]:
        # One client, a connection per request (verify=False: no CA bundle to load; plain HTTP anyway).
        pool = httpx.Limits(max_connections=count, max_keepalive_connections=0)
        async with httpx.AsyncClient(timeout=60, limits=pool, verify=False) as client:
            async def one(i: int) -> int:
                response = await client.post(f"{url}/subscribe", data={"email": f"m{i}@example.org"},
                                             headers={"X-Forwarded-For": f"198.51.100.{i}"})
                return response.status_code
            return await asyncio.gather(*(one(i) for i in range(count)))

    with running_collector(root, transport=SMTPTransport(parse_smtp_url(relay.url))) as url:
        statuses = run_coroutine(sign_up_all(url))
        assert statuses == [200] * count
        assert wait_for(lambda: len(relay.handler.messages) >= count, 60)
    assert relay.handler.most_open <= 2
    assert sorted(relay.handler.received) == sorted(f"m{i}@example.org" for i in range(count))


def test_a_relay_that_is_down_still_answers_check_your_inbox_and_the_mail_follows_when_it_is_back(
        make_repo: MakeRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    root = make_club(make_repo, monkeypatch)
    port = free_port()
    down = SMTPTransport(parse_smtp_url(f"smtp://127.0.0.1:{port}?starttls=0&timeout=2"))
    with running_collector(root, transport=down) as url:
        response = signup(url, "down@example.org")
        assert response.status_code == 200 and "Check your inbox" in response.text
        with open_database(root).connect() as connection:
            assert get(connection, "down@example.org").state == "pending"  # type: ignore[union-attr]
        with CountingSMTPServer(port) as relay:  # the relay is back
            assert wait_for(lambda: mails_to(relay, "down@example.org") == 1)


def test_when_the_mail_queue_is_full_a_sign_up_gets_503_and_stores_nothing(
        make_repo: MakeRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    root = make_club(make_repo, monkeypatch, TRUSTED)
    down = SMTPTransport(parse_smtp_url(f"smtp://127.0.0.1:{free_port()}?starttls=0&timeout=2"))
    with running_collector(root, transport=down, limits=Limits(mail_queue=1, smtp_connections=1,
                                                                 mail_drain_seconds=0.1)) as url:
        assert signup(url, "q1@example.org", "192.0.2.1").status_code == 200  # taken by the sender
        assert signup(url, "q2@example.org", "192.0.2.2").status_code == 200  # waits in the queue
        before = snapshot(root)
        full = signup(url, "q3@example.org", "192.0.2.3")
        assert full.status_code == 503 and "try again" in full.text
        assert snapshot(root) == before


def test_one_address_gets_at_most_three_confirmation_mails_a_day(
        make_repo: MakeRepo, monkeypatch: pytest.MonkeyPatch, relay: CountingSMTPServer) -> None:
    root = make_club(make_repo, monkeypatch, TRUSTED)
    with running_collector(root, transport=SMTPTransport(parse_smtp_url(relay.url))) as url:
        pages = {signup(url, "target@example.org", f"203.0.113.{i}").text for i in range(6)}
        assert signup(url, "sentinel@example.org", "203.0.113.99").status_code == 200
        assert wait_for(lambda: mails_to(relay, "sentinel@example.org") == 1
                        and mails_to(relay, "target@example.org") >= 3)
    assert len(pages) == 1
    assert mails_to(relay, "target@example.org") == 3


@pytest.mark.parametrize("state", ["bounced", "complained", "confirmed"])
def test_an_address_that_bounced_or_complained_gets_no_mail_and_the_same_page(
        make_repo: MakeRepo, monkeypatch: pytest.MonkeyPatch, relay: CountingSMTPServer, state: str) -> None:
    root = make_club(make_repo, monkeypatch)
    with open_database(root).begin() as connection:
        known, _ = add(connection, "known@example.org")
        if state != "confirmed":
            record_state(connection, known.id, "confirmed", state, "smtp")
    with running_collector(root, transport=SMTPTransport(parse_smtp_url(relay.url))) as url:
        known_page = signup(url, "known@example.org").text
        unknown_page = signup(url, "sentinel@example.org").text
        assert wait_for(lambda: mails_to(relay, "sentinel@example.org") == 1)
    assert known_page == unknown_page
    assert mails_to(relay, "known@example.org") == 0


# -- rate limits and proxies ---------------------------------------------------------------------
def test_x_forwarded_for_is_ignored_unless_the_proxy_is_trusted(
        make_repo: MakeRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    root = make_club(make_repo, monkeypatch)
    with running_collector(root) as url:
        statuses = [signup(url, f"a{i}@example.org", f"192.0.2.{i}").status_code for i in range(6)]
    assert statuses == [200] * 5 + [429]  # all from 127.0.0.1: the header is not believed
    trusted = make_repo({}, pyproject=TRUSTED, name="trusted")
    with running_collector(trusted) as url:
        spread = [signup(url, f"b{i}@example.org", f"192.0.2.{i}").status_code for i in range(6)]
        same = [signup(url, f"c{i}@example.org", "10.9.9.9, 192.0.2.200").status_code for i in range(6)]
    assert spread == [200] * 6
    assert same == [200] * 5 + [429]


def test_old_sign_up_attempts_are_pruned(make_repo: MakeRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    root = make_club(make_repo, monkeypatch)
    with open_database(root).begin() as connection:
        connection.execute(signup_attempts.insert(), [{"client": f"old{i}", "at": now() - timedelta(days=2)}
                                                      for i in range(50)])
    with running_collector(root) as url:
        assert signup(url, "p@example.org").status_code == 200
    with open_database(root).connect() as connection:
        clients = connection.execute(sa.select(signup_attempts.c.client)).scalars().all()
    assert len(clients) == 1 and not clients[0].startswith("old")


def test_the_trailing_slash_redirect_never_points_at_the_requests_host(
        make_repo: MakeRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    root = make_club(make_repo, monkeypatch)
    with running_collector(root) as url:
        for path in ("/subscribe/", "//evil.example.net/", "/subscribe//", "/health/?x=1"):
            response = httpx.get(url + path, headers={"Host": "evil.example.net"})
            location = response.headers.get("location", "")
            assert "evil" not in location, (path, location)
            assert response.status_code < 500
            if location:
                assert location.startswith("/") and not location.startswith("//")
        followed = httpx.get(f"{url}/subscribe/", follow_redirects=True)
        assert followed.status_code == 200 and "Subscribe" in followed.text


# -- HTTP limits ---------------------------------------------------------------------------------
def raw_exchange(url: str, head: bytes, body_chunks: list[bytes], pause: float = 0,
                 close_early: bool = False) -> bytes:
    """Send a request by hand (sizes and timing a client library would not allow); the reply."""
    port = int(url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=20) as sock:
        try:
            sock.sendall(head)
            for chunk in body_chunks:
                sock.sendall(chunk)
                time.sleep(pause)
        except OSError:
            pass  # the server may close before everything is sent: read what it answered
        if close_early:
            return b""
        reply = b""
        try:
            while chunk := sock.recv(65536):
                reply += chunk
        except OSError:
            pass
        return reply


def test_a_huge_header_gets_431_and_is_not_read_to_the_end(
        make_repo: MakeRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    root = make_club(make_repo, monkeypatch)
    with running_collector(root) as url:
        head = b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: "
        reply = raw_exchange(url, head, [b"a" * 65536] * 160 + [b"\r\n\r\n"])  # 10 MB
        assert httpx.get(f"{url}/health").status_code == 200
    assert reply.startswith(b"HTTP/1.1 431"), reply[:200]


def test_a_header_over_the_limit_sent_in_one_piece_gets_431(
        make_repo: MakeRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    root = make_club(make_repo, monkeypatch)
    with running_collector(root) as url:
        # 20 KB in one write: the whole head reaches the parser in one chunk.
        head = b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + b"a" * 20_000 + b"\r\n\r\n"
        reply = raw_exchange(url, head, [])
        assert httpx.get(f"{url}/health").status_code == 200
    assert reply.startswith(b"HTTP/1.1 431"), reply[:200]


def test_a_header_over_the_limit_on_a_kept_alive_connection_gets_431(
        make_repo: MakeRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    root = make_club(make_repo, monkeypatch)
    with running_collector(root) as url, socket.create_connection(
            ("127.0.0.1", int(url.rsplit(":", 1)[1])), timeout=20) as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        first = sock.recv(65536)
        big = b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + b"a" * 20_000 + b"\r\n\r\n"
        sock.sendall(big)
        second = b""
        while chunk := sock.recv(65536):
            second += chunk
    assert first.startswith(b"HTTP/1.1 200")
    assert second.startswith(b"HTTP/1.1 431"), second[:200]


def test_a_body_that_trickles_in_gets_408(make_repo: MakeRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    root = make_club(make_repo, monkeypatch)
    with running_collector(root, limits=Limits(body_seconds=1.0)) as url:
        head = (b"POST /subscribe HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 200\r\n\r\n")
        reply = raw_exchange(url, head, [b"email=slow"], pause=0)
    assert reply.startswith(b"HTTP/1.1 408"), reply[:200]


def test_a_request_head_that_trickles_in_gets_408(make_repo: MakeRepo,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    root = make_club(make_repo, monkeypatch)
    monkeypatch.setattr("tidings.collector.server.HEAD_SECONDS", 1.0)
    with running_collector(root) as url:
        reply = raw_exchange(url, b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ", [b"a"])
        idle = raw_exchange(url, b"", [])  # a connection that never sends anything
    assert reply.startswith(b"HTTP/1.1 408"), reply[:200]
    assert idle.startswith(b"HTTP/1.1 408"), idle[:200]


class Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def test_an_aborted_upload_logs_no_traceback(make_repo: MakeRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    root = make_club(make_repo, monkeypatch)
    records = Records()
    logger = logging.getLogger("uvicorn.error")
    try:
        with running_collector(root) as url:
            logger.addHandler(records)  # after uvicorn configured its logging (which drops handlers)
            member = token("survey", "1", "d", "pulse")
            head = (f"POST /s/{member} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5000\r\n"
                    "Content-Type: application/x-www-form-urlencoded\r\n\r\n").encode()
            for _ in range(3):
                raw_exchange(url, head, [b"csrf=abc&comment=" + b"x" * 100], close_early=True)
            assert httpx.get(f"{url}/health").status_code == 200
    finally:
        logger.removeHandler(records)  # the server has stopped: every request was handled
    assert [r.getMessage() for r in records.records if r.exc_info] == []


# -- a busy SQLite database ----------------------------------------------------------------------
def hold_write_lock(database: Path, seconds: float, started: threading.Event) -> None:
    """Another process's long write transaction (an import), as SQLite sees it."""
    connection = sqlite3.connect(database, isolation_level=None)
    connection.execute("BEGIN IMMEDIATE")
    connection.execute("INSERT INTO signup_attempts (client, at) VALUES ('import', '2020-01-01 00:00:00')")
    started.set()
    time.sleep(seconds)
    connection.execute("COMMIT")
    connection.close()


def test_writes_during_a_long_write_lock_are_kept_and_the_service_keeps_answering(
        make_repo: MakeRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    root = make_club(make_repo, monkeypatch)
    with open_database(root).begin() as connection:
        member, _ = add(connection, "ann@example.org")
    finished: list[str] = []
    with running_collector(root) as url:
        survey = f"{url}/s/{token('survey', str(member.id), 'd', 'pulse')}"
        csrf = form_csrf(httpx.get(survey).text)
        started = threading.Event()
        lock = threading.Thread(target=hold_write_lock,
                                args=(root / ".tidings" / "tidings.sqlite", 3.0, started))
        lock.start()
        started.wait()
        results: dict[str, int] = {}

        def post(name: str, link: str, data: dict[str, str]) -> None:
            results[name] = httpx.post(link, data=data, timeout=60).status_code
            finished.append(name)

        writes = [threading.Thread(target=post, args=args) for args in (
            ("unsubscribe", f"{url}/u/{token('unsubscribe', str(member.id), 'd')}",
             {"List-Unsubscribe": "One-Click"}),
            ("answer", survey, {"csrf": csrf, "q:happy": "0"}))]
        for thread in writes:
            thread.start()
        time.sleep(0.3)  # both writes are now waiting for the lock
        assert httpx.get(f"{url}/health", timeout=60).status_code == 200
        finished.append("health")
        for thread in [*writes, lock]:
            thread.join()
    assert results == {"unsubscribe": 200, "answer": 200}
    assert finished[0] == "health"  # the event loop was not blocked by the waiting writes
    with open_database(root).connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert get(connection, "ann@example.org").state == "unsubscribed"  # type: ignore[union-attr]
        assert connection.execute(sa.select(sa.func.count()).select_from(answers)).scalar() == 1


def test_a_write_that_waits_past_the_retry_budget_gets_503_and_stores_nothing(
        make_repo: MakeRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    root = make_club(make_repo, monkeypatch)
    with open_database(root).begin() as connection:
        member, _ = add(connection, "ann@example.org")
    monkeypatch.setattr("tidings.collector.database.BUSY_BUDGET", 1.0)
    monkeypatch.setattr("tidings.collector.database.ATTEMPT_BUSY_MS", 200)
    with running_collector(root) as url:
        survey = f"{url}/s/{token('survey', str(member.id), 'd', 'pulse')}"
        csrf = form_csrf(httpx.get(survey).text)
        started = threading.Event()
        lock = threading.Thread(target=hold_write_lock,
                                args=(root / ".tidings" / "tidings.sqlite", 5.0, started))
        lock.start()
        started.wait()
        before = snapshot(root)
        unsubscribe = f"{url}/u/{token('unsubscribe', str(member.id), 'd')}"
        busy = [httpx.post(unsubscribe, data={"List-Unsubscribe": "One-Click"}, timeout=60),
                httpx.post(survey, data={"csrf": csrf, "q:happy": "0"}, timeout=60),
                signup(url, "busy@example.org")]
        assert [r.status_code for r in busy] == [503, 503, 503]
        assert all("try again" in r.text for r in busy[1:])
        assert snapshot(root) == before
        lock.join()
        assert httpx.post(unsubscribe, data={"List-Unsubscribe": "One-Click"}).status_code == 200


def test_the_same_new_address_signed_up_many_times_at_once_on_postgresql_is_one_row_and_no_5xx(
        make_repo: MakeRepo, monkeypatch: pytest.MonkeyPatch, postgres_url: str) -> None:
    monkeypatch.setenv("TIDINGS_DATABASE_URL", postgres_url)
    root = make_club(make_repo, monkeypatch, TRUSTED)

    async def sign_up_all(url: str) -> list[int]:
        pool = httpx.Limits(max_connections=30, max_keepalive_connections=0)
        async with httpx.AsyncClient(timeout=60, limits=pool, verify=False) as client:
            async def one(i: int) -> int:
                response = await client.post(f"{url}/subscribe", data={"email": "twin@example.org"},
                                             headers={"X-Forwarded-For": f"198.51.100.{i}"})
                return response.status_code
            return await asyncio.gather(*(one(i) for i in range(30)))

    outbox = root / ".tidings" / "outbox" / "new"
    with running_collector(root) as url:
        statuses = run_coroutine(sign_up_all(url))
        assert wait_for(lambda: outbox.exists() and len(list(outbox.iterdir())) >= 3)
    assert statuses == [200] * 30
    assert len(list(outbox.iterdir())) == 3  # the per-address limit holds under concurrency too
    with open_database(root).connect() as connection:
        assert connection.execute(sa.select(sa.func.count()).select_from(subscribers)).scalar() == 1
