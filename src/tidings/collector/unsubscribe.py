"""Unsubscribe: a page whose button POSTs, and the RFC 8058 one-click POST. Takes effect at once.

Pages speak the member's language; a preview's link (no member behind it) the browser's.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from tidings.collector.database import transact
from tidings.collector.web import (
    Collector,
    check_csrf,
    collector_of,
    csrf_token,
    member,
    message,
    page,
    read_form,
    speak_to,
    words,
)
from tidings.errors import TokenError
from tidings.store.subscribers import FINAL_STATES, unsubscribe
from tidings.store.transactions import Connection
from tidings.tokens import Link


def _unsubscribe_link(c: Collector, token: str) -> Link:
    try:
        return c.signer.verify_link("unsubscribe", token, 2)
    except TokenError:
        raise HTTPException(400, "collector.unsubscribe.invalid") from None


def _unsubscribe_token(c: Collector, token: str) -> tuple[int, str]:
    subscriber_id, issue = _unsubscribe_link(c, token).values
    if not subscriber_id.isascii() or not subscriber_id.isdigit():
        raise HTTPException(400, "collector.unsubscribe.not_valid")
    return int(subscriber_id), issue


def _preview_page(request: Request, c: Collector, token: str) -> Response:
    """The page a member would see, its button off: a preview's link never unsubscribes anyone."""
    t = words(request)
    return page(request, "confirm.html", title=t["collector.unsubscribe.title"],
                text=t["collector.unsubscribe.text_preview"].format(name=c.community.config.name),
                action=str(request.url.path), csrf=csrf_token(c, token),
                button=t["collector.unsubscribe.button"], preview=t["collector.unsubscribe.preview_note"])


async def unsubscribe_page(request: Request) -> Response:
    c = collector_of(request)
    token = request.path_params["token"]
    if _unsubscribe_link(c, token).preview:
        return _preview_page(request, c, token)
    subscriber_id, _ = _unsubscribe_token(c, token)
    subscriber = member(c, subscriber_id)
    t = speak_to(request, subscriber)
    if subscriber is None or subscriber.state in FINAL_STATES:
        return message(request, t["collector.unsubscribe.done.title"], t["collector.unsubscribe.already"])
    text = t["collector.unsubscribe.text"].format(name=c.community.config.name, email=subscriber.email)
    return page(request, "confirm.html", title=t["collector.unsubscribe.title"], text=text,
                action=str(request.url.path), csrf=csrf_token(c, token),
                button=t["collector.unsubscribe.button"])


def _unsubscribe(connection: Connection, subscriber_id: int, source: str, issue: str) -> None:
    unsubscribe(connection, subscriber_id, source, f"issue {issue}")  # no change for who already left


async def unsubscribe_post(request: Request) -> Response:
    c = collector_of(request)
    token = request.path_params["token"]
    if _unsubscribe_link(c, token).preview:
        # The RFC 8058 POST a mail provider makes for a test copy, too: answered, nothing changed.
        t = words(request)
        return message(request, t["collector.preview.title"], t["collector.unsubscribe.preview_done"])
    subscriber_id, issue = _unsubscribe_token(c, token)
    form = await read_form(request)
    one_click = form.get("List-Unsubscribe") == "One-Click"
    if not one_click:
        speak_to(request, member(c, subscriber_id))  # a forged form's 403 is in the member's language too
        check_csrf(c, form, token)
    source = "list-unsubscribe-one-click" if one_click else "unsubscribe-page"
    await transact(c.engine, lambda connection: _unsubscribe(connection, subscriber_id, source, issue))
    if one_click:
        return Response(status_code=200)
    t = words(request)
    return message(request, t["collector.unsubscribe.done.title"], t["collector.unsubscribe.done"],
                   detail=t["collector.unsubscribe.again"])
