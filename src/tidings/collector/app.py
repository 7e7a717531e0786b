"""The collector as a Starlette app. A GET never changes anything; every write is committed
before the response. The RFC 8058 one-click POST is the one write without a form of ours.
"""

from __future__ import annotations

import functools
import hmac
import html
from dataclasses import dataclass
from datetime import timedelta
from email.utils import parseaddr
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jinja2
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from starlette.applications import Starlette
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from tidings.collector.writer import GroupCommitter
from tidings.content import load
from tidings.content.model import Community, Survey
from tidings.errors import TokenError
from tidings.mail.message import confirmation_message
from tidings.mail.tokens import Signer, load_secret
from tidings.mail.transport import Transport, transport_from_env
from tidings.store import now, open_database
from tidings.store.schema import answers, consent_events, signup_attempts
from tidings.store.subscribers import FINAL_STATES, add, get, get_by_id, normalize_email, record_state

MAX_BODY = 16 * 1024  # forms here are small; anything bigger is refused before it is read
CONFIRM_MAX_AGE = 7 * 24 * 3600
SIGNUPS_PER_HOUR = 5


@dataclass
class Collector:
    root: Path
    community: Community
    engine: sa.Engine
    signer: Signer
    transport: Transport
    pages: jinja2.Environment

    @functools.cached_property
    def save_answer(self) -> sa.Insert:
        """One statement, built once: insert an answer, or replace that person's earlier one."""
        dialect = postgresql if self.engine.dialect.name == "postgresql" else sqlite
        insert = dialect.insert(answers)
        statement: sa.Insert = insert.on_conflict_do_update(
            index_elements=[answers.c.survey, answers.c.question, answers.c.respondent],
            set_={"option": insert.excluded.option, "comment": insert.excluded.comment,
                  "issue": insert.excluded.issue, "answered_at": insert.excluded.answered_at})
        return statement

    @functools.cached_property
    def writer(self) -> GroupCommitter:
        return GroupCommitter(self.engine)

    def respondent(self, survey: str, subscriber_id: str) -> str:
        """The per-survey pseudonym stored with answers (and exported to feedback/)."""
        return self.signer.digest("respondent", survey, subscriber_id, length=16)


def _collector(request: Request) -> Collector:
    state: Collector = request.app.state.collector
    return state


def page(request: Request, template: str, status: int = 200, **values: Any) -> HTMLResponse:
    c = _collector(request)
    config = c.community.config
    body = c.pages.get_template(template).render(
        lang=config.language, community=config.name, brand=config.brand_color, **values)
    return HTMLResponse(body, status_code=status, headers={
        "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer", "X-Frame-Options": "DENY",
        "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
    })


def message(request: Request, title: str, text: str, status: int = 200, detail: str = "") -> HTMLResponse:
    return page(request, "message.html", status, title=title, message=text, detail=detail,
                error=status >= 400)


async def read_form(request: Request) -> FormData:
    """The form, refusing bodies over MAX_BODY (also when no Content-Length is sent)."""
    length = request.headers.get("content-length")
    if length is not None and (not length.isdigit() or int(length) > MAX_BODY):
        raise HTTPException(413, "That is more than this form accepts.")
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            raise HTTPException(413, "That is more than this form accepts.")
    request._body = body  # Starlette's form parser reads the cached body
    try:
        return await request.form(max_files=0, max_fields=50)
    except Exception:  # malformed multipart/urlencoded bodies
        raise HTTPException(400, "That form could not be read.") from None


def csrf_token(c: Collector, scope: str) -> str:
    """The form's anti-CSRF field: a keyed digest of the link it was served for."""
    return c.signer.digest("csrf", scope, length=32)


def check_csrf(c: Collector, form: FormData, scope: str) -> None:
    if not hmac.compare_digest(str(form.get("csrf", "")), csrf_token(c, scope)):
        raise HTTPException(403, "This form did not come from this page. Please open the link again.")


# -- health ----------------------------------------------------------------------------------
async def health(request: Request) -> Response:
    c = _collector(request)
    with c.engine.connect() as connection:
        connection.execute(sa.text("SELECT 1"))
    return JSONResponse({"ok": True})


# -- unsubscribe ------------------------------------------------------------------------------
def _unsubscribe_token(c: Collector, token: str) -> tuple[int, str]:
    try:
        subscriber_id, issue = c.signer.verify("unsubscribe", token)
    except (TokenError, ValueError):
        raise HTTPException(400, "This unsubscribe link is not valid. "
                                 "Please use the link from a recent email.") from None
    if not subscriber_id.isdigit():
        raise HTTPException(400, "This unsubscribe link is not valid.")
    return int(subscriber_id), issue


async def unsubscribe_page(request: Request) -> Response:
    c = _collector(request)
    token = request.path_params["token"]
    subscriber_id, _ = _unsubscribe_token(c, token)
    with c.engine.connect() as connection:
        subscriber = get_by_id(connection, subscriber_id)
    if subscriber is None or subscriber.state in FINAL_STATES:
        return message(request, "Unsubscribed", "You are not subscribed (any more). Nothing else to do.")
    return page(request, "confirm.html", title="Unsubscribe?",
                text=f"Stop sending {c.community.config.name} emails to {subscriber.email}?",
                action=str(request.url.path), csrf=csrf_token(c, token), button="Unsubscribe")


async def unsubscribe_post(request: Request) -> Response:
    c = _collector(request)
    token = request.path_params["token"]
    subscriber_id, issue = _unsubscribe_token(c, token)
    form = await read_form(request)
    one_click = form.get("List-Unsubscribe") == "One-Click"
    if not one_click:
        check_csrf(c, form, token)
    with c.engine.begin() as connection:
        subscriber = get_by_id(connection, subscriber_id)
        if subscriber is not None and subscriber.state not in FINAL_STATES:
            source = "list-unsubscribe-one-click" if one_click else "unsubscribe-page"
            record_state(connection, subscriber_id, subscriber.state, "unsubscribed", source,
                         f"issue {issue}")
    if one_click:
        return Response(status_code=200)
    return message(request, "Unsubscribed", "Done: you will get no more emails from us.",
                   detail="Changed your mind? Subscribe again on our site.")


# -- sign-up and double opt-in ------------------------------------------------------------------
def _allowed_origin(c: Collector, request: Request) -> bool:
    """Sign-ups come from our own site or this service (a cross-site form is refused)."""
    origin = request.headers.get("origin") or request.headers.get("referer")
    if not origin:
        return True  # plain form posts without the header (old browsers, privacy settings)
    host = urlsplit(origin).hostname
    config = c.community.config
    allowed = {urlsplit(config.site_url).hostname, urlsplit(config.collector_url).hostname,
               request.url.hostname}
    return host in allowed


async def signup_page(request: Request) -> Response:
    c = _collector(request)
    return page(request, "signup.html", title=f"Subscribe to {c.community.config.name}",
                intro="News, events and member stories, in your inbox before they are public.",
                action=str(request.url.path))


async def signup_post(request: Request) -> Response:
    c = _collector(request)
    if not _allowed_origin(c, request):
        raise HTTPException(403, "Please subscribe from our own site.")
    form = await read_form(request)
    client = c.signer.digest("client", request.client.host if request.client else "?", length=24)
    moment = now()
    with c.engine.begin() as connection:
        recent = connection.execute(sa.select(sa.func.count()).select_from(signup_attempts).where(
            signup_attempts.c.client == client, signup_attempts.c.at > moment - timedelta(hours=1))).scalar()
        if (recent or 0) >= SIGNUPS_PER_HOUR:
            raise HTTPException(429, "Too many sign-ups from your network. Please try again in an hour.")
        connection.execute(signup_attempts.insert().values(client=client, at=moment))
    email_address = str(form.get("email", "")).strip()
    name = str(form.get("name", "")).strip()[:200] or None
    try:
        normalize_email(email_address)
    except ValueError as exc:
        return message(request, "Please check the address", f"That address does not look right: {exc}",
                       status=400)
    with c.engine.begin() as connection:
        existing = get(connection, email_address)
        if existing is None:
            subscriber, _ = add(connection, email_address, name=name, state="pending", source="form:signup")
        else:
            subscriber = existing
    # The same answer whatever the list already knows: the page never tells who is subscribed.
    if subscriber.state != "confirmed":
        await send_confirmation(c, subscriber.id, subscriber.email, subscriber.name)
    return message(request, "Check your inbox",
                   "We sent you a link to confirm. Nothing is sent to you until you click it.")


async def send_confirmation(c: Collector, subscriber_id: int, email_address: str, name: str | None) -> None:
    config = c.community.config
    token = confirmation_token(c, subscriber_id)
    message_id = f"<confirm.{c.signer.digest('confirm', str(subscriber_id), token)}@{config.host}>"
    data = confirmation_message(config, name, email_address, config.collector(f"confirm/{token}"),
                                message_id=message_id, moment=now())
    await c.transport.open(1)
    try:
        await c.transport.send(0, parseaddr(config.sender)[1], email_address, data)
    finally:
        await c.transport.close()


def _consent_version(connection: sa.Connection, subscriber_id: int) -> str:
    last = connection.execute(sa.select(sa.func.max(consent_events.c.id)).where(
        consent_events.c.subscriber_id == subscriber_id)).scalar()
    return str(last or 0)


def confirmation_token(c: Collector, subscriber_id: int) -> str:
    """Single use: bound to the subscriber's latest consent record, which confirming changes."""
    with c.engine.connect() as connection:
        version = _consent_version(connection, subscriber_id)
    return c.signer.sign("confirm", "subscribe", str(subscriber_id), version)


def _confirm_token(c: Collector, token: str) -> int:
    try:
        purpose, subscriber_id, version = c.signer.verify("confirm", token, max_age=CONFIRM_MAX_AGE)
    except (TokenError, ValueError):
        raise HTTPException(400, "This confirmation link is not valid or has expired. "
                                 "Please subscribe again.") from None
    if purpose != "subscribe" or not subscriber_id.isdigit():
        raise HTTPException(400, "This confirmation link is not valid.")
    with c.engine.connect() as connection:
        if _consent_version(connection, int(subscriber_id)) != version:
            raise HTTPException(400, "This confirmation link was already used. To subscribe again, "
                                     "use the form on our site.")
    return int(subscriber_id)


async def confirm_page(request: Request) -> Response:
    c = _collector(request)
    token = request.path_params["token"]
    subscriber_id = _confirm_token(c, token)
    with c.engine.connect() as connection:
        subscriber = get_by_id(connection, subscriber_id)
    if subscriber is None:
        raise HTTPException(400, "This confirmation link is not valid any more.")
    return page(request, "confirm.html", title="Confirm your subscription",
                text=f"Send {c.community.config.name} news to {subscriber.email}?",
                action=str(request.url.path), csrf=csrf_token(c, token), button="Yes, subscribe me")


async def confirm_post(request: Request) -> Response:
    c = _collector(request)
    token = request.path_params["token"]
    subscriber_id = _confirm_token(c, token)
    check_csrf(c, await read_form(request), token)
    with c.engine.begin() as connection:
        subscriber = get_by_id(connection, subscriber_id)
        if subscriber is None:
            raise HTTPException(400, "This confirmation link is not valid any more.")
        if subscriber.state != "confirmed":
            # Their own click on a link sent to them: the one way back after an unsubscribe.
            record_state(connection, subscriber_id, subscriber.state, "confirmed", "form:confirm")
    return message(request, "Subscribed", "Thank you: you will get our next newsletter.")


# -- surveys --------------------------------------------------------------------------------
def _survey_token(c: Collector, token: str) -> tuple[str, str, Survey]:
    try:
        subscriber_id, issue, survey_id = c.signer.verify("survey", token)
    except (TokenError, ValueError):
        raise HTTPException(400, "This survey link is not valid. "
                                 "Please use the buttons in the email.") from None
    survey = next((s for s in c.community.surveys if s.id == survey_id), None)
    if survey is None:
        raise HTTPException(404, "This survey does not exist (any more).")
    return subscriber_id, issue, survey


def _closed(request: Request, survey: Survey) -> Response | None:
    if survey.is_open(now()):
        return None
    if survey.closes and survey.closes <= now():
        return message(request, "This survey is closed", f"Thank you for wanting to answer “{survey.title}”. "
                       "It closed, and the results will be on our site.", status=410)
    return message(request, "Not open yet", "This survey is not open yet.", status=409)


async def survey_page(request: Request) -> Response:
    c = _collector(request)
    token = request.path_params["token"]
    subscriber_id, _, survey = _survey_token(c, token)
    closed = _closed(request, survey)
    if closed:
        return closed
    chosen_question = request.query_params.get("q")
    chosen = request.query_params.get("a", "")
    questions = []
    for question in survey.questions:
        pick = None
        if question.id == chosen_question:
            if not chosen.isdigit() or int(chosen) >= len(question.options):
                raise HTTPException(400, "That answer is not one of the options.")
            pick = int(chosen)
        questions.append({"id": question.id, "text": question.text, "options": question.options,
                          "chosen": pick})
    if chosen_question and chosen_question not in {q.id for q in survey.questions}:
        raise HTTPException(400, "That question is not part of this survey.")
    return page(request, "survey.html", title=survey.title, intro="", questions=questions,
                allow_comment=survey.allow_comment, action=str(request.url.path), csrf=csrf_token(c, token))


async def survey_post(request: Request) -> Response:
    c = _collector(request)
    token = request.path_params["token"]
    subscriber_id, issue, survey = _survey_token(c, token)
    closed = _closed(request, survey)
    if closed:
        return closed
    form = await read_form(request)
    check_csrf(c, form, token)
    chosen: dict[str, int] = {}
    known = {q.id: q for q in survey.questions}
    for key, value in form.multi_items():
        if not key.startswith("q:"):
            continue
        question = known.get(key[2:])
        if question is None or not str(value).isdigit() or int(str(value)) >= len(question.options):
            raise HTTPException(400, "That answer is not one of the options.")
        chosen[question.id] = int(str(value))
    if not chosen:
        raise HTTPException(400, "Please choose an answer.")
    comment = (str(form.get("comment", "")).strip()[:2000] or None) if survey.allow_comment else None
    respondent = c.respondent(survey.id, subscriber_id)
    moment = now()
    rows = [{"survey": survey.id, "question": question_id, "respondent": respondent, "option": option,
             "comment": comment, "issue": issue, "answered_at": moment}
            for question_id, option in chosen.items()]
    await c.writer.write(c.save_answer, rows)  # returns once committed
    return message(request, "Thank you!", "Your answer is saved. Choosing again later replaces it.")


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    titles = {400: "That link does not work", 403: "Not allowed", 404: "Not found", 405: "Not allowed",
              413: "Too large", 429: "Slow down, please"}
    return message(request, titles.get(exc.status_code, "Sorry"), html.unescape(str(exc.detail)),
                   status=exc.status_code)


def create_app(root: Path, *, transport: Transport | None = None,
               engine: sa.Engine | None = None) -> Starlette:
    """The collector for the community at ``root`` (its content, database and signing key)."""
    root = root.resolve()
    community = load(root, history=False)
    secret, _ = load_secret(root)
    pages = jinja2.Environment(loader=jinja2.PackageLoader("tidings", "templates/collector"),
                               autoescape=True, auto_reload=False)
    collector = Collector(root, community, engine or open_database(root), Signer(secret),
                          transport or transport_from_env(root), pages)
    routes = [
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
    app = Starlette(routes=routes, exception_handlers={HTTPException: http_error})
    app.state.collector = collector
    return app

