"""Unsubscribe: a page whose button POSTs, and the RFC 8058 one-click POST. Takes effect at once."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from tidings.collector.database import transact
from tidings.collector.web import Collector, check_csrf, collector_of, csrf_token, message, page, read_form
from tidings.errors import TokenError
from tidings.store.subscribers import FINAL_STATES, get_by_id, unsubscribe
from tidings.store.transactions import Connection
from tidings.tokens import Link

PREVIEW_NOTE = ("This link comes from a preview or test copy of the newsletter: members see this "
                "page, and the button is off here. Nothing is changed.")


def _unsubscribe_link(c: Collector, token: str) -> Link:
    try:
        return c.signer.verify_link("unsubscribe", token, 2)
    except TokenError:
        raise HTTPException(400, "This unsubscribe link is not valid. "
                                 "Please use the link from a recent email.") from None


def _unsubscribe_token(c: Collector, token: str) -> tuple[int, str]:
    subscriber_id, issue = _unsubscribe_link(c, token).values
    if not subscriber_id.isascii() or not subscriber_id.isdigit():
        raise HTTPException(400, "This unsubscribe link is not valid.")
    return int(subscriber_id), issue


def _preview_page(request: Request, c: Collector, token: str) -> Response:
    """The page a member would see, its button off: a preview's link never unsubscribes anyone."""
    return page(request, "confirm.html", title="Unsubscribe?",
                text=f"Stop sending {c.community.config.name} emails to this address?",
                action=str(request.url.path), csrf=csrf_token(c, token), button="Unsubscribe",
                preview=PREVIEW_NOTE)


async def unsubscribe_page(request: Request) -> Response:
    c = collector_of(request)
    token = request.path_params["token"]
    if _unsubscribe_link(c, token).preview:
        return _preview_page(request, c, token)
    subscriber_id, _ = _unsubscribe_token(c, token)
    with c.engine.connect() as connection:
        subscriber = get_by_id(connection, subscriber_id)
    if subscriber is None or subscriber.state in FINAL_STATES:
        return message(request, "Unsubscribed", "You are not subscribed (any more). Nothing else to do.")
    return page(request, "confirm.html", title="Unsubscribe?",
                text=f"Stop sending {c.community.config.name} emails to {subscriber.email}?",
                action=str(request.url.path), csrf=csrf_token(c, token), button="Unsubscribe")


def _unsubscribe(connection: Connection, subscriber_id: int, source: str, issue: str) -> None:
    unsubscribe(connection, subscriber_id, source, f"issue {issue}")  # no change for who already left


async def unsubscribe_post(request: Request) -> Response:
    c = collector_of(request)
    token = request.path_params["token"]
    if _unsubscribe_link(c, token).preview:
        # The RFC 8058 POST a mail provider makes for a test copy, too: answered, nothing changed.
        return message(request, "This is a preview", "Nothing was changed: this link comes from a "
                       "preview or test copy of the newsletter.")
    subscriber_id, issue = _unsubscribe_token(c, token)
    form = await read_form(request)
    one_click = form.get("List-Unsubscribe") == "One-Click"
    if not one_click:
        check_csrf(c, form, token)
    source = "list-unsubscribe-one-click" if one_click else "unsubscribe-page"
    await transact(c.engine, lambda connection: _unsubscribe(connection, subscriber_id, source, issue))
    if one_click:
        return Response(status_code=200)
    return message(request, "Unsubscribed", "Done: you will get no more emails from us.",
                   detail="Changed your mind? Subscribe again on our site.")
