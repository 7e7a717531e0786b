"""Run the collector with uvicorn: ``collect`` (one process) or several workers behind a proxy."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

import uvicorn
from starlette.applications import Starlette

from tidings.collector.app import create_app
from tidings.process_env import scoped_environ

ROOT_ENV = "TIDINGS_ROOT"
MAX_HEAD = 16 * 1024  # request line + headers; a browser's are a few KB
HEAD_SECONDS = 10.0  # the request line and headers must arrive within this time (slowloris)

try:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
except ImportError:  # httptools is optional: uvicorn then uses h11, limited below
    HttpToolsProtocol = None  # type: ignore[assignment,misc]

TOO_LARGE = (b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-type: text/plain; charset=utf-8\r\n"
             b"content-length: 32\r\nconnection: close\r\n\r\nThe request headers are too big.")

TOO_SLOW = (b"HTTP/1.1 408 Request Timeout\r\ncontent-type: text/plain; charset=utf-8\r\n"
            b"content-length: 34\r\nconnection: close\r\n\r\nThe request took too long to arrive.")

if HttpToolsProtocol is not None:
    class BoundedHttpTools(HttpToolsProtocol):
        """uvicorn's httptools protocol with limits on the head of each request: 431 above
        ``MAX_HEAD`` bytes, 408 when it takes longer than ``HEAD_SECONDS``.

        httptools itself buffers a header of any size (a 50 MB one was accepted), for any time.
        """

        head_bytes = 0
        head_tail = b""  # the last bytes seen, so a blank line split across chunks is found
        in_head = True
        head_clock: asyncio.TimerHandle | None = None

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._start_head_clock()

        def connection_lost(self, exc: Exception | None) -> None:
            self._stop_head_clock()
            super().connection_lost(exc)

        def _start_head_clock(self) -> None:
            self._stop_head_clock()
            self.head_clock = self.loop.call_later(HEAD_SECONDS, self._head_too_slow)

        def _stop_head_clock(self) -> None:
            if self.head_clock is not None:
                self.head_clock.cancel()
                self.head_clock = None

        def _head_too_slow(self) -> None:
            self.head_clock = None
            if self.in_head and not self.transport.is_closing():
                self.transport.write(TOO_SLOW)
                self.transport.close()

        def data_received(self, data: bytes) -> None:
            if self.in_head:
                # Measured before parsing: a head that arrives whole in one chunk is parsed in one go.
                end = (self.head_tail + data).find(b"\r\n\r\n")
                size = self.head_bytes + (len(data) if end < 0 else end + 4 - len(self.head_tail))
                if size > MAX_HEAD:
                    self._refuse_head()
                    return
                self.head_bytes += len(data)
                self.head_tail = data[-3:]
            super().data_received(data)
            # A pipelined request's head may start inside a chunk the parser already took.
            if self.in_head and self.head_bytes > MAX_HEAD:
                self._refuse_head()

        def _refuse_head(self) -> None:
            if not self.transport.is_closing():
                self.transport.write(TOO_LARGE)
                self.transport.close()
            self.in_head = False

        def on_message_begin(self) -> None:
            self.in_head, self.head_bytes, self.head_tail = True, 0, b""
            self._start_head_clock()
            super().on_message_begin()

        def on_headers_complete(self) -> None:
            self.in_head = False
            self._stop_head_clock()
            super().on_headers_complete()

        def on_message_complete(self) -> None:
            super().on_message_complete()
            # What comes next on a kept-alive connection is the head of the next request.
            self.in_head, self.head_bytes, self.head_tail = True, 0, b""


def server_options() -> dict[str, Any]:
    """The uvicorn settings ``collect`` runs with (tests use the same)."""
    bounded: dict[str, Any] = ({"http": BoundedHttpTools} if HttpToolsProtocol is not None
                               else {"http": "h11", "h11_max_incomplete_event_size": MAX_HEAD})
    # The app decides which X-Forwarded-For to believe (trusted_proxies), not uvicorn.
    return {"proxy_headers": False, "access_log": False, "timeout_keep_alive": 5, **bounded}


def uvicorn_config(app: Starlette, host: str, port: int, **options: Any) -> uvicorn.Config:
    """A uvicorn.Config for ``app`` with the collector's settings (for tests and embedding)."""
    return uvicorn.Config(app, host=host, port=port, **{**server_options(), **options})


def app() -> Starlette:
    """Factory for uvicorn workers: the community repo comes from ``TIDINGS_ROOT``."""
    return create_app(Path(os.environ.get(ROOT_ENV, ".")))


def serve(root: Path, host: str, port: int, workers: int = 1) -> None:
    create_app(root)  # fail early, with a clear message, before uvicorn starts workers
    # uvicorn's worker processes build the app from an import string: the root goes by environment.
    with scoped_environ({ROOT_ENV: str(root.resolve())}):
        uvicorn.run("tidings.collector.server:app", factory=True, host=host, port=port,
                    workers=workers, log_level="info", **server_options())
