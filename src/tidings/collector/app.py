"""The collector as a Starlette app. A GET never changes anything; every write is committed
before the response. The RFC 8058 one-click POST is the one write without a form of ours.
Confirmation mail is queued and sent after the answer (``mailqueue``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import jinja2
from starlette.applications import Starlette
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Scope

from tidings.collector.language import negotiate
from tidings.collector.limits import Limits, RequestLimits, TrustedProxies
from tidings.collector.mailqueue import ConfirmationQueue
from tidings.collector.signup import confirm_page, confirm_post, signup_page, signup_post
from tidings.collector.survey import survey_page, survey_post
from tidings.collector.unsubscribe import unsubscribe_page, unsubscribe_post
from tidings.collector.web import Collector, collector_of, http_error, refusal
from tidings.content import load
from tidings.delivery.transport import Transport, transport_from_env
from tidings.store import open_database
from tidings.store.transactions import Engine, ping
from tidings.tokens import Signer, load_secret

__all__ = ["Limits", "create_app"]


async def health(request: Request) -> Response:
    c = collector_of(request)
    ping(c.engine)
    return JSONResponse({"ok": True})


ROUTES = [
    Route("/health", health),
    Route("/subscribe", signup_page, methods=["GET"]),
    Route("/subscribe", signup_post, methods=["POST"]),
    Route("/confirm/{token}", confirm_page, methods=["GET"]),
    Route("/confirm/{token}", confirm_post, methods=["POST"]),
    Route("/u/{token}", unsubscribe_page, methods=["GET"]),
    Route("/u/{token}", unsubscribe_post, methods=["POST"]),
    Route("/s/{token}", survey_page, methods=["GET"]),
    Route("/s/{token}", survey_post, methods=["POST"]),
]


def create_app(root: Path, *, transport: Transport | None = None, engine: Engine | None = None,
               limits: Limits | None = None) -> Starlette:
    """The collector for the community at ``root`` (its content, database and signing key)."""
    root = root.resolve()
    community = load(root, history=False)
    secret, _ = load_secret(root)
    pages = jinja2.Environment(loader=jinja2.PackageLoader("tidings", "templates/collector"),
                               autoescape=True, auto_reload=False)
    config = community.config
    limits = limits or Limits()
    mails = ConfirmationQueue(config, transport or transport_from_env(root),
                              connections=limits.smtp_connections, capacity=limits.mail_queue)
    collector = Collector(root, community, engine or open_database(root), Signer(secret), pages, mails,
                          TrustedProxies(list(config.trusted_proxies)), limits)

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        yield
        await mails.close(limits.mail_drain_seconds)  # what is queued is sent before the process ends

    def refuse(scope: Scope, status: int, text: str) -> Response:
        language = negotiate(config, Headers(scope=scope).get("accept-language"))
        return refusal(collector, language, status, text)

    app = Starlette(routes=ROUTES, exception_handlers={HTTPException: http_error}, lifespan=lifespan,
                    middleware=[Middleware(RequestLimits, limits=limits, refuse=refuse)])
    app.router.redirect_slashes = False  # Starlette's builds its URL from the request's Host header
    app.state.collector = collector
    return app
