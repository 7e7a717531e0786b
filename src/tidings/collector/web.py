"""What every route of the collector shares: its state, its pages, forms and their anti-CSRF field."""

from __future__ import annotations

import functools
import hmac
import html
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Match

from tidings.collector.language import negotiate, subscriber_language
from tidings.collector.limits import Limits, TrustedProxies
from tidings.collector.mailqueue import ConfirmationQueue
from tidings.collector.writer import GroupCommitter
from tidings.content.model import Community
from tidings.labels import Text, texts_for
from tidings.store.subscribers import Subscriber, get_by_id
from tidings.store.transactions import Engine
from tidings.tokens import Signer

SMALL_NUMBER = re.compile(r"[0-9]{1,6}")  # ASCII digits only: int() also takes "²", "１" and 4,301 digits


@dataclass
class Collector:
    root: Path
    community: Community
    engine: Engine
    signer: Signer
    pages: jinja2.Environment
    mails: ConfirmationQueue
    proxies: TrustedProxies
    limits: Limits

    @functools.cached_property
    def _texts(self) -> dict[str, Text]:
        return {}

    def texts(self, language: str) -> Text:
        """The pages' words in one of the community's languages (with its label overrides)."""
        if language not in self._texts:
            self._texts[language] = texts_for(self.community.config, language)
        return self._texts[language]

    @functools.cached_property
    def writer(self) -> GroupCommitter:
        return GroupCommitter(self.engine)

    def respondent(self, survey: str, subscriber_id: str) -> str:
        """The per-survey pseudonym stored with answers (and exported to feedback/)."""
        return self.signer.digest("respondent", survey, subscriber_id, length=16)


def collector_of(request: Request) -> Collector:
    state: Collector = request.app.state.collector
    return state


def language_of(request: Request) -> str:
    """The language this request's pages speak: set by its route, else the browser's choice."""
    chosen: str | None = getattr(request.state, "lang", None)
    if chosen is not None:
        return chosen
    return negotiate(collector_of(request).community.config, request.headers.get("accept-language"))


def speak(request: Request, language: str) -> Text:
    """From here on the request's pages (errors too) are in ``language``; its words."""
    request.state.lang = language
    return collector_of(request).texts(language)


def speak_to(request: Request, subscriber: Subscriber | None) -> Text:
    """Pages for a member: their stored language matched to the community's (``zh-TW`` → ``zh``),
    the default when they have none; the browser's choice when there is no such member."""
    if subscriber is None:
        return words(request)
    return speak(request, subscriber_language(collector_of(request).community.config, subscriber.lang))


def member(c: Collector, subscriber_id: int) -> Subscriber | None:
    """The subscriber a link is for, if still there."""
    with c.engine.connect() as connection:
        return get_by_id(connection, subscriber_id)


def words(request: Request) -> Text:
    """The words of the request's language."""
    return collector_of(request).texts(language_of(request))


def small_number(value: object) -> int | None:
    """A plain non-negative number of at most six ASCII digits, else None."""
    text = str(value)
    return int(text) if SMALL_NUMBER.fullmatch(text) else None


def render(c: Collector, template: str, language: str, status: int = 200, **values: Any) -> HTMLResponse:
    """A page of the collector in ``language`` (``<html lang>`` too) with its security headers."""
    config = c.community.config
    body = c.pages.get_template(template).render(
        lang=language, community=config.name, brand=config.brand_color, t=c.texts(language), **values)
    return HTMLResponse(body, status_code=status, headers={
        "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer", "X-Frame-Options": "DENY",
        "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
    })


def page(request: Request, template: str, status: int = 200, **values: Any) -> HTMLResponse:
    return render(collector_of(request), template, language_of(request), status, **values)


def notice(c: Collector, language: str, title: str, text: str, status: int = 200,
           detail: str = "") -> HTMLResponse:
    """The one-paragraph message page (also used where no request object exists yet)."""
    return render(c, "message.html", language, status, title=title, message=text, detail=detail,
                  error=status >= 400)


def message(request: Request, title: str, text: str, status: int = 200, detail: str = "") -> HTMLResponse:
    return notice(collector_of(request), language_of(request), title, text, status, detail)


async def read_form(request: Request) -> FormData:
    """The form; the body was read (size- and time-limited) by ``RequestLimits`` before the route."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    # Browsers percent-encode every byte outside ASCII; Starlette would read raw ones as Latin-1.
    if kind == "application/x-www-form-urlencoded" and not (await request.body()).isascii():
        raise HTTPException(400, "collector.form_unreadable")
    try:
        return await request.form(max_files=0, max_fields=50)
    except Exception:  # malformed multipart/urlencoded bodies
        raise HTTPException(400, "collector.form_unreadable") from None


def csrf_token(c: Collector, scope: str) -> str:
    """The form's anti-CSRF field: a keyed digest of the link it was served for."""
    return c.signer.digest("csrf", scope, length=32)


def check_csrf(c: Collector, form: FormData, scope: str) -> None:
    if not hmac.compare_digest(str(form.get("csrf", "")).encode(), csrf_token(c, scope).encode()):
        raise HTTPException(403, "collector.csrf")


def refusal(c: Collector, language: str, status: int, detail: str) -> HTMLResponse:
    """An error page in ``language``; a ``detail`` naming a label is shown as that label."""
    labels = c.texts(language).labels
    title = labels.get(f"collector.error.{status}", labels["collector.sorry"])
    return notice(c, language, title, labels.get(detail, detail), status)


def _without_slash(request: Request) -> str | None:
    """``/subscribe`` for ``/subscribe/`` when that is one of our routes; a path, never a host."""
    path = request.url.path
    if not path.endswith("/") or path == "/":
        return None
    target = "/" + path.strip("/")
    scope = {**request.scope, "path": target}
    if any(route.matches(scope)[0] is Match.FULL for route in request.app.router.routes):
        return target + (f"?{request.url.query}" if request.url.query else "")
    return None


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404 and (target := _without_slash(request)):
        # Relative: Starlette's own redirect builds an absolute URL from the request's Host header.
        return RedirectResponse(target, status_code=307)
    return refusal(collector_of(request), language_of(request), exc.status_code,
                   html.unescape(str(exc.detail)))
