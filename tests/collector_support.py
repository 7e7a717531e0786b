"""Run the real collector (Starlette under uvicorn) on 127.0.0.1 in a thread, for tests; and a
counting aiosmtpd relay to catch its confirmation mail."""

from __future__ import annotations

import asyncio
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import uvicorn
from aiosmtpd.smtp import SMTP

from tidings.collector.app import Limits, create_app
from tidings.collector.server import uvicorn_config
from tidings.delivery.transport import MaildirTransport, Transport
from tidings.mail.catcher import CatchingHandler, LocalSMTPServer
from tidings.store import open_database
from tidings.store.schema import answers, consent_events, subscribers
from tidings.tokens import Signer

SECRET = "collector-test-secret-" + "c" * 12
PYPROJECT = """\
[tool.tidings]
name = "Canary Club"
site_url = "https://club.example.org/"
collector_url = "https://collect.club.example.org/"
timezone = "Europe/Helsinki"
"""


@contextmanager
def running_collector(root: Path, *, transport: Transport | None = None,
                      limits: Limits | None = None) -> Iterator[str]:
    """Yield the collector's base URL; confirmation mail goes to root/.tidings/outbox by default.

    The server runs with the same uvicorn settings as ``collect`` (header limit, no proxy headers).
    """
    app = create_app(root, transport=transport or MaildirTransport(root / ".tidings" / "outbox"),
                     limits=limits)
    config = uvicorn_config(app, "127.0.0.1", 0, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.01)
    assert server.started, "the collector did not start"
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=20)


def wait_for(condition: Callable[[], bool], seconds: float = 20) -> bool:
    """Poll until ``condition`` holds (mail is sent after the answer); False if it never does."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


def snapshot(root: Path) -> tuple[object, ...]:
    """Every row a member's request could change."""
    engine = open_database(root)
    with engine.connect() as connection:
        rows = tuple(connection.execute(sa.select(table)).all()
                     for table in (subscribers, consent_events, answers))
    engine.dispose()
    return rows


def token(purpose: str, *values: str) -> str:
    return Signer(SECRET).sign(purpose, *values)


def form_csrf(html: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match, html
    return match.group(1)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class CountingSMTP(SMTP):
    """aiosmtpd's session that counts open connections (and the most at once) on its handler."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        handler: CountingHandler = self.event_handler
        with handler.lock:
            handler.open_now += 1
            handler.most_open = max(handler.most_open, handler.open_now)
        super().connection_made(transport)

    def connection_lost(self, exc: Exception | None) -> None:
        handler: CountingHandler = self.event_handler
        with handler.lock:
            handler.open_now -= 1
        super().connection_lost(exc)


class CountingHandler(CatchingHandler):
    def __init__(self) -> None:
        super().__init__()
        self.open_now = 0
        self.most_open = 0


class CountingSMTPServer(LocalSMTPServer):
    """The local catcher with SMTPUTF8 on, counting concurrent connections."""

    def __init__(self, port: int = 0) -> None:
        super().__init__(CountingHandler(), enable_SMTPUTF8=True)
        self.wanted_port = port

    async def _start(self) -> None:
        options: dict[str, Any] = self.smtp_options
        self.server = await self.loop.create_server(
            lambda: CountingSMTP(self.handler, hostname="tidings.localhost", **options),
            host="127.0.0.1", port=self.wanted_port)
        self.port = self.server.sockets[0].getsockname()[1]
