"""Run the real collector (Starlette under uvicorn) on 127.0.0.1 in a thread, for tests."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import uvicorn

from tidings.collector.app import create_app
from tidings.mail.transport import MaildirTransport


@contextmanager
def running_collector(root: Path) -> Iterator[str]:
    """Yield the collector's base URL; confirmation mail goes to root/.tidings/outbox."""
    app = create_app(root, transport=MaildirTransport(root / ".tidings" / "outbox"))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning",
                                           lifespan="off"))
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
        thread.join(timeout=10)
