"""Measure the duplicate window of a send: from the server's acceptance to the send log's commit.

A message accepted by the relay but not yet recorded ``sent`` when the sender dies is sent
again by the next run. This script sends an issue to N subscribers through a local aiosmtpd
server (127.0.0.1, a free port, in this process) and records, per recipient:

- the moment the server accepted the message (``time.monotonic()`` in its DATA handler, right
  before it answers 250), and
- the moment the send log's commit holding that result returned (after ``COMMIT``).

It prints the median, p99 and maximum of the difference, for SQLite (a file in a temporary
folder, WAL, synchronous=FULL) and, with ``--postgres URL``, for PostgreSQL too.

    python benchmarks/send_window.py                    # N = 2000, concurrency 4, SQLite
    python benchmarks/send_window.py --messages 5000 --concurrency 8
    python benchmarks/send_window.py --postgres postgresql+psycopg://postgres@127.0.0.1:5432/db
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from statistics import median
from typing import Any

import sqlalchemy as sa

from tidings.content import load
from tidings.delivery.transport import SMTPTransport, parse_smtp_url
from tidings.mail.catcher import CatchingHandler, LocalSMTPServer
from tidings.mail.sender import IssueSender, SendOptions
from tidings.store import open_database
from tidings.store.schema import subscribers
from tidings.store.send_log import Result
from tidings.tokens import Signer

PYPROJECT = """\
[tool.tidings]
name = "Window Club"
site_url = "https://window.example.org/"
timezone = "Europe/Helsinki"
newsletter_from = "Window Club <news@window.example.org>"
"""
NEWSLETTER = "---\nsubject: The window issue\nsend_at: 2026-12-03T09:00\n---\nHello!\n"


class StampingHandler(CatchingHandler):
    """Notes when each message was accepted."""

    def __init__(self) -> None:
        super().__init__()
        self.accepted: dict[str, float] = {}

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        reply = await super().handle_DATA(server, session, envelope)
        self.accepted[envelope.rcpt_tos[0]] = time.monotonic()
        return reply


class StampingSender(IssueSender):
    """Notes when each result's commit returned."""

    committed: dict[int, float]
    stamp_lock = threading.Lock()

    def flush(self, results: list[Result], bounces: list[tuple[int, str]]) -> None:
        super().flush(results, bounces)
        moment = time.monotonic()
        with self.stamp_lock:
            for sid, *_ in results:
                self.committed[sid] = moment


def community(root: Path, url: str, members: int) -> sa.Engine:
    (root / "newsletters").mkdir(parents=True)
    (root / "pyproject.toml").write_text(PYPROJECT, encoding="utf-8")
    (root / "newsletters" / "window.md").write_text(NEWSLETTER, encoding="utf-8")
    engine = open_database(url=url)
    moment = datetime.now(UTC)
    with engine.begin() as connection:
        connection.execute(subscribers.insert(), [
            {"email": f"m{i}@example.org", "email_key": f"m{i}@example.org", "state": "confirmed",
             "created_at": moment, "updated_at": moment} for i in range(members)])
    return engine


def measure(label: str, url: str, root: Path, members: int, concurrency: int) -> None:
    engine = community(root, url, members)
    handler = StampingHandler()
    with LocalSMTPServer(handler) as server:
        loaded = load(root)
        sender = StampingSender(engine, loaded, loaded.newsletters[0],
                                SMTPTransport(parse_smtp_url(server.url)), Signer("w" * 32),
                                SendOptions(concurrency=concurrency))
        sender.committed = {}
        summary = asyncio.run(sender.run())
    with engine.connect() as connection:
        emails = dict(connection.execute(sa.select(subscribers.c.id, subscribers.c.email)).all())
    engine.dispose()
    windows = sorted((sender.committed[sid] - handler.accepted[emails[sid]]) * 1000
                     for sid in sender.committed if emails[sid] in handler.accepted)
    p99 = windows[int(len(windows) * 0.99) - 1]
    print(f"{label:<10} {summary.sent} sent at {summary.sent / summary.elapsed:.0f} msg/s, concurrency "
          f"{concurrency}: acceptance -> log commit median {median(windows):.1f} ms, p99 {p99:.1f} ms, "
          f"max {windows[-1]:.1f} ms (load average {os.getloadavg()[0]:.1f})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--postgres", metavar="URL", help="also measure on this (empty) PostgreSQL database")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tidings-window-") as folder:
        measure("SQLite", f"sqlite:///{Path(folder) / 'window.sqlite'}", Path(folder) / "sqlite",
                args.messages, args.concurrency)
        if args.postgres:
            measure("PostgreSQL", args.postgres, Path(folder) / "postgres", args.messages, args.concurrency)


if __name__ == "__main__":
    main()
