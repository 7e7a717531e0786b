"""Survey answers from email buttons: a GET shows the form with the answer chosen, a POST saves it.

The form is the survey's translation in the member's language; answers are stored by survey id,
question id and option number, the same in every translation, so results count across languages.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from tidings.collector.web import (
    Collector,
    check_csrf,
    collector_of,
    csrf_token,
    language_of,
    member,
    message,
    page,
    read_form,
    small_number,
    speak_to,
    words,
)
from tidings.content.model import Survey
from tidings.errors import InputError, TokenError
from tidings.inputs import clean_text
from tidings.store import now


def _survey_token(request: Request, c: Collector, token: str) -> tuple[str, str, Survey, bool]:
    """Whose link, from which issue, and the survey in the member's language (pages speak it)."""
    try:
        link = c.signer.verify_link("survey", token, 3)
    except TokenError:
        raise HTTPException(400, "collector.survey.invalid") from None
    subscriber_id, issue, survey_id = link.values
    if not link.preview and subscriber_id.isascii() and subscriber_id.isdigit():
        speak_to(request, member(c, int(subscriber_id)))
    survey = next((s for s in c.community.surveys if s.id == survey_id), None)
    if survey is None:
        raise HTTPException(404, "collector.survey.unknown")
    translated = c.community.versions(survey).get(language_of(request), survey)
    return subscriber_id, issue, translated, link.preview


def _closed(request: Request, survey: Survey) -> Response | None:
    if survey.is_open(now()):
        return None
    t = words(request)
    if survey.closes and survey.closes <= now():
        return message(request, t["collector.survey.closed.title"],
                       t["collector.survey.closed"].format(title=survey.title), status=410)
    return message(request, t["collector.survey.not_open.title"], t["collector.survey.not_open"], status=409)


class SurveyLink(NamedTuple):
    """An email's survey link to an open survey: whose it is, from which issue, and the survey."""

    collector: Collector
    token: str
    subscriber_id: str
    issue: str
    survey: Survey
    preview: bool


def _open_survey(request: Request) -> SurveyLink | Response:
    """The link's open survey, or the page that says it is closed or not open yet."""
    c = collector_of(request)
    token = request.path_params["token"]
    subscriber_id, issue, survey, preview = _survey_token(request, c, token)
    closed = _closed(request, survey)
    if closed is not None:
        return closed
    return SurveyLink(c, token, subscriber_id, issue, survey, preview)


async def survey_page(request: Request) -> Response:
    link = _open_survey(request)
    if isinstance(link, Response):
        return link
    c, token, survey = link.collector, link.token, link.survey
    chosen_question = request.query_params.get("q")
    if chosen_question and chosen_question not in {q.id for q in survey.questions}:
        raise HTTPException(400, "collector.survey.no_question")
    questions: list[dict[str, Any]] = []
    for question in survey.questions:
        pick = None
        if question.id == chosen_question:
            pick = small_number(request.query_params.get("a", ""))
            if pick is None or pick >= len(question.options):
                raise HTTPException(400, "collector.survey.not_an_option")
        questions.append({"id": question.id, "text": question.text, "options": question.options,
                          "chosen": pick})
    return page(request, "survey.html", title=survey.title, intro="", questions=questions,
                allow_comment=survey.allow_comment, action=str(request.url.path), csrf=csrf_token(c, token),
                preview=words(request)["collector.survey.preview_note"] if link.preview else "")


def _chosen(survey: Survey, form: FormData) -> dict[str, int]:
    chosen: dict[str, int] = {}
    known = {q.id: q for q in survey.questions}
    for key, value in form.multi_items():
        if not key.startswith("q:"):
            continue
        question = known.get(key[2:])
        option = small_number(value)
        if question is None or option is None or option >= len(question.options):
            raise HTTPException(400, "collector.survey.not_an_option")
        chosen[question.id] = option
    if not chosen:
        raise HTTPException(400, "collector.survey.choose")
    return chosen


def _followup(c: Collector, link: SurveyLink, comment: str | None, moment: datetime) -> dict[str, Any] | None:
    """The follow-up to open when the member asked for an answer to a comment: only then is their
    address kept with it (in the database, never in feedback/)."""
    if not comment:
        return None
    subscriber = member(c, int(link.subscriber_id)) if link.subscriber_id.isdigit() else None
    return {"kind": "question", "body": comment, "received_at": moment,
            "issue": link.issue, "survey": link.survey.id, "subject": link.survey.title,
            "subscriber_id": subscriber.id if subscriber else None,
            "email": subscriber.email if subscriber else None,
            "name": subscriber.name if subscriber else None}


async def survey_post(request: Request) -> Response:
    link = _open_survey(request)
    if isinstance(link, Response):
        return link
    c, token, survey = link.collector, link.token, link.survey
    t = words(request)
    if link.preview:  # a preview or test copy shows the form; what is sent from it is never stored
        return message(request, t["collector.preview.title"], t["collector.survey.preview_done"])
    form = await read_form(request)
    check_csrf(c, form, token)
    chosen = _chosen(survey, form)
    try:
        comment = clean_text(str(form.get("comment", ""))) if survey.allow_comment else None
    except InputError as exc:
        return message(request, t["collector.survey.shorten"], str(exc), status=400)
    respondent = c.respondent(survey.id, link.subscriber_id)
    moment = now()
    rows = [{"survey": survey.id, "question": question_id, "respondent": respondent, "option": option,
             "comment": comment, "issue": link.issue, "answered_at": moment}
            for question_id, option in chosen.items()]
    followup = _followup(c, link, comment, moment) if form.get("answer_me") == "1" else None
    await c.writer.write(rows, followup)  # returns once committed
    return message(request, t["collector.survey.done.title"], t["collector.survey.done"])
