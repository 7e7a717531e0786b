"""Sign-up with double opt-in: the form, the confirmation mail (queued), the confirmation link.

The answer to a sign-up is the same page after the same database work whether or not the address
is known, and it never waits for SMTP: it does not reveal who is on the list.

The form sends the member's choice of language (``lang``) and the language of the page it was on
(``form_lang``); both are matched against the community's languages, never stored as sent.
"""

from __future__ import annotations

import asyncio
import time
from urllib.parse import urlsplit

from email_validator import validate_email
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from tidings.collector.database import transact
from tidings.collector.language import match_language, negotiate
from tidings.collector.mailqueue import ConfirmationJob
from tidings.collector.web import (
    Collector,
    check_csrf,
    collector_of,
    csrf_token,
    member,
    message,
    page,
    read_form,
    speak,
    speak_to,
    words,
)
from tidings.errors import InputError, TokenError
from tidings.inputs import clean_name
from tidings.locales import language_choices
from tidings.store import now, signups
from tidings.store.subscribers import add, confirm, consent_version, get, normalize_email
from tidings.store.transactions import Connection, WriteConflict

CONFIRM_MAX_AGE = 7 * 24 * 3600
NO_MAIL_STATES = ("confirmed", "bounced", "complained")  # already in, or the address must not get mail


def _allowed_origin(c: Collector, request: Request) -> bool:
    """Sign-ups come from our own site or this service (a cross-site form is refused)."""
    origin = request.headers.get("origin") or request.headers.get("referer")
    if not origin:
        return True  # plain form posts without the header (old browsers, privacy settings)
    host = urlsplit(origin).hostname
    config = c.community.config
    # The Host header is the browser's own for a form it posts here (a cross-site page cannot set it).
    return host in {urlsplit(config.site_url).hostname, urlsplit(config.collector_url).hostname,
                    request.url.hostname}


async def signup_page(request: Request) -> Response:
    """The collector's own sign-up form, in ``?lang=`` or the browser's language."""
    c = collector_of(request)
    config = c.community.config
    language = (match_language(config, request.query_params.get("lang"))
                or negotiate(config, request.headers.get("accept-language")))
    t = speak(request, language)
    title = t["collector.signup.title"].format(name=config.name)
    return page(request, "signup.html", title=title, intro=t["collector.signup.intro"],
                action=str(request.url.path), languages=language_choices(config.languages),
                chosen=language)


def _form_languages(request: Request, c: Collector, form: FormData) -> tuple[str, str]:
    """(the language of the page the form was on, the member's choice): community codes only.

    A forged or missing choice falls back to the page's language; the page's to the browser's.
    """
    config = c.community.config
    shown = (match_language(config, form.get("form_lang"))
             or negotiate(config, request.headers.get("accept-language")))
    return shown, match_language(config, form.get("lang")) or shown


def _mail_address(address: str) -> str:
    """The address as SMTP carries it: an internationalised domain in its ASCII (IDNA) form."""
    valid = validate_email(address, check_deliverability=False)
    return valid.ascii_email or valid.normalized


def _signup(c: Collector, connection: Connection, client: str, address: str,
            name: str | None, lang: str) -> ConfirmationJob | None:
    """Record the attempt and the pending member (one transaction); the mail to queue, if any."""
    moment = now()
    signups.prune(connection, moment)
    limits = c.limits
    if signups.attempts_from(connection, client, moment) >= limits.signups_per_client_hour:
        raise HTTPException(429, "collector.signup.too_many")
    signups.record_attempt(connection, client, moment)
    # A known member's language is not changed by a form anyone can send with their address.
    subscriber = get(connection, address) or add(connection, address, name=name, lang=lang, state="pending",
                                                 source="form:signup")[0]
    if subscriber.state in NO_MAIL_STATES:
        return None
    # PostgreSQL: concurrent sign-ups of one address take turns here, so the count below holds.
    signups.hold_subscriber(connection, subscriber.id)
    key = c.signer.digest("address", subscriber.email.casefold(), length=24)
    if signups.mails_to(connection, key, moment) >= limits.mails_per_address_day:
        return None
    signups.record_mail(connection, key, moment)
    token = c.signer.sign("confirm", "subscribe", str(subscriber.id),
                          consent_version(connection, subscriber.id))
    config = c.community.config
    message_id = f"<confirm.{c.signer.digest('confirm', str(subscriber.id), token)}@{config.host}>"
    return ConfirmationJob(_mail_address(subscriber.email), subscriber.name,
                           config.collector(f"confirm/{token}"), message_id, lang)


async def signup_post(request: Request) -> Response:
    c = collector_of(request)
    started = time.monotonic()
    if not _allowed_origin(c, request):
        raise HTTPException(403, "collector.signup.own_site")
    form = await read_form(request)
    shown, lang = _form_languages(request, c, form)
    t = speak(request, shown)
    try:
        name = clean_name(str(form.get("name", "")))
        raw = str(form.get("email", ""))
        if "\ufffd" in raw:  # bytes that were not UTF-8: no address is spelled like that
            raise ValueError("it is not readable text")
        address, _ = normalize_email(raw)
    except InputError as exc:  # the reason's words come from the checks, in English: a detail
        return message(request, t["collector.signup.check_name"], t["collector.signup.bad_name"],
                       status=400, detail=str(exc))
    except ValueError as exc:
        return message(request, t["collector.signup.check_address"], t["collector.signup.bad_address"],
                       status=400, detail=str(exc))
    if c.mails.full():
        raise HTTPException(503, "collector.busy")
    client = c.signer.digest("client", c.proxies.client(request), length=24)
    try:
        job = await transact(c.engine, lambda connection: _signup(c, connection, client, address, name, lang))
    except WriteConflict:  # the same new address signed up at the same moment: it exists now
        job = await transact(c.engine, lambda connection: _signup(c, connection, client, address, name, lang))
    if job is not None:
        await c.mails.put(job)
    await asyncio.sleep(max(0.0, started + c.limits.signup_seconds - time.monotonic()))
    # The same answer whatever the list already knows: the page never tells who is subscribed.
    return message(request, t["collector.signup.sent.title"], t["collector.signup.sent"])


def _confirm_token(request: Request, c: Collector, token: str) -> int:
    """The subscriber a confirmation link is for (pages then speak their language); 400 when
    forged, expired or already used."""
    try:
        purpose, subscriber_id, version = c.signer.verify("confirm", token, max_age=CONFIRM_MAX_AGE)
    except (TokenError, ValueError):
        raise HTTPException(400, "collector.confirm.expired") from None
    if purpose != "subscribe" or not subscriber_id.isascii() or not subscriber_id.isdigit():
        raise HTTPException(400, "collector.confirm.not_valid")
    subscriber = member(c, int(subscriber_id))
    speak_to(request, subscriber)
    if subscriber is None:
        raise HTTPException(400, "collector.confirm.invalid")
    with c.engine.connect() as connection:
        if consent_version(connection, subscriber.id) != version:
            raise HTTPException(400, "collector.confirm.used")
    return subscriber.id


async def confirm_page(request: Request) -> Response:
    c = collector_of(request)
    token = request.path_params["token"]
    subscriber = member(c, _confirm_token(request, c, token))
    if subscriber is None:
        raise HTTPException(400, "collector.confirm.invalid")
    t = speak_to(request, subscriber)
    return page(request, "confirm.html", title=t["collector.confirm.title"],
                text=t["collector.confirm.text"].format(name=c.community.config.name, email=subscriber.email),
                action=str(request.url.path), csrf=csrf_token(c, token), button=t["collector.confirm.button"])


def _confirm(connection: Connection, subscriber_id: int) -> None:
    if not confirm(connection, subscriber_id):
        raise HTTPException(400, "collector.confirm.invalid")


async def confirm_post(request: Request) -> Response:
    c = collector_of(request)
    token = request.path_params["token"]
    subscriber_id = _confirm_token(request, c, token)
    check_csrf(c, await read_form(request), token)
    await transact(c.engine, lambda connection: _confirm(connection, subscriber_id))
    t = words(request)  # the member's language, set by _confirm_token
    return message(request, t["collector.confirm.done.title"], t["collector.confirm.done"])
