"""A local SMTP server (aiosmtpd) on 127.0.0.1 that keeps what it receives: for demo and tests."""

from __future__ import annotations

import asyncio
import mailbox
import threading
from collections import Counter
from pathlib import Path
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session


class CatchingHandler:
    """Stores each message in a Maildir (when given) and counts deliveries per recipient."""

    def __init__(self, maildir: Path | None = None) -> None:
        self.box = None
        if maildir is not None:
            for sub in ("tmp", "new", "cur"):
                (maildir / sub).mkdir(parents=True, exist_ok=True)
            self.box = mailbox.Maildir(str(maildir), create=False)
        self.received: Counter[str] = Counter()
        self.messages: list[tuple[list[str], bytes]] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802
        data = envelope.original_content or b""
        with self.lock:
            for rcpt in envelope.rcpt_tos:
                self.received[rcpt.lower()] += 1
            self.messages.append((list(envelope.rcpt_tos), data))
            if self.box is not None:
                self.box.add(data)
        return "250 Message accepted for delivery"


class LocalSMTPServer:
    """aiosmtpd in a background thread, bound to 127.0.0.1 on a free port (port 0)."""

    def __init__(self, handler: Any, **smtp_options: Any) -> None:
        self.handler = handler
        self.smtp_options = {"data_size_limit": 10 * 1024 * 1024, **smtp_options}
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.server: asyncio.base_events.Server | None = None
        self.port = 0

    def start(self) -> LocalSMTPServer:
        self.thread.start()
        future = asyncio.run_coroutine_threadsafe(self._start(), self.loop)
        future.result(timeout=10)
        return self

    async def _start(self) -> None:
        self.server = await self.loop.create_server(
            lambda: SMTP(self.handler, hostname="tidings.localhost", **self.smtp_options),
            host="127.0.0.1", port=0)
        self.port = self.server.sockets[0].getsockname()[1]

    def stop(self) -> None:
        async def close() -> None:
            if self.server is not None:
                self.server.close()
                await self.server.wait_closed()

        asyncio.run_coroutine_threadsafe(close(), self.loop).result(timeout=10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        self.loop.close()

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}?starttls=0"

    def __enter__(self) -> LocalSMTPServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
