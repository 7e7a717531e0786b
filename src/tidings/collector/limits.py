"""Limits on what a client may send: body size and read time (an ASGI middleware), who the client
is behind a proxy (only proxies named in ``trusted_proxies`` are believed), sign-up rates."""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import Callable
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tidings.errors import ConfigError

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class Limits:
    """What one request may cost; the defaults are the ones ``collect`` runs with."""

    max_body: int = 16 * 1024  # forms here are small; anything bigger is refused before it is read
    body_seconds: float = 10.0  # the whole body must arrive within this time (slow-body attacks)
    signups_per_client_hour: int = 5
    # A sign-up is answered no sooner than this: a new address costs a few ms more database work
    # than a known one, and the answer's time must not tell which it was.
    signup_seconds: float = 0.1
    mails_per_address_day: int = 3
    smtp_connections: int = 2  # confirmation mail senders, one connection each
    mail_queue: int = 1000  # confirmation mails waiting; a sign-up beyond gets 503 and stores nothing
    mail_drain_seconds: float = 10.0  # at shutdown, time to send what is queued


class TrustedProxies:
    """The proxies whose ``X-Forwarded-For`` is believed; none unless configured."""

    def __init__(self, entries: list[str]) -> None:
        networks: list[IPNetwork] = []
        for entry in entries:
            try:
                networks.append(ipaddress.ip_network(str(entry), strict=False))
            except ValueError:
                raise ConfigError(f"[tool.tidings] trusted_proxies: '{entry}' is not an IP address "
                                  "or network such as 10.0.0.1 or 10.0.0.0/8") from None
        self.networks = tuple(networks)

    def trusts(self, address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in self.networks)

    def client(self, request: Request) -> str:
        """The client's address: the peer, or the last hop a trusted proxy vouches for."""
        peer = request.client.host if request.client else "?"
        if not self.trusts(peer):
            return peer
        hops = [hop.strip() for value in request.headers.getlist("x-forwarded-for")
                for hop in value.split(",") if hop.strip()]
        # Read from the right: each trusted proxy appended the address it saw.
        for hop in reversed(hops):
            if not self.trusts(hop):
                return hop
        return hops[0] if hops else peer


class BodyTooLarge(Exception):
    pass


class Disconnected(Exception):
    pass


Refusal = Callable[[Scope, int, str], Response]  # the scope tells the language of the page


class RequestLimits:
    """Reads each request body up front, within ``max_body`` bytes and ``body_seconds``.

    A body that is too large gets 413 before it is read, a body that trickles in gets 408, and a
    client that goes away mid-upload just ends the request (no traceback in the log).
    """

    def __init__(self, app: ASGIApp, limits: Limits, refuse: Refusal) -> None:
        self.app = app
        self.limits = limits
        self.refuse = refuse

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.limits.max_body):
            status = 413 if length.isdigit() else 400
            await self._refuse(scope, receive, send, status)
            return
        try:
            async with asyncio.timeout(self.limits.body_seconds):
                body = await self._read(receive)
        except TimeoutError:
            await self._refuse(scope, receive, send, 408)
            return
        except BodyTooLarge:
            await self._refuse(scope, receive, send, 413)
            return
        except Disconnected:
            return
        delivered = False

        async def replay() -> Message:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()  # only a disconnect can come now

        await self.app(scope, replay, send)

    async def _read(self, receive: Receive) -> bytes:
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise Disconnected
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.limits.max_body:
                raise BodyTooLarge
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, status: int) -> None:
        # A label, shown in the language the request's headers ask for.
        response = self.refuse(scope, status, f"collector.request.{status}")
        response.headers["Connection"] = "close"  # the rest of the body is never read
        await response(scope, receive, send)
