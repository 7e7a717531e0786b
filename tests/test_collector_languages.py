"""The collector speaks the member's language: pages, the survey's translation, the sign-up form and
its confirmation mail, over real HTTP (uvicorn) and a real SMTP catcher on 127.0.0.1."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import NamedTuple

import httpx
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.collector_support import (
    PYPROJECT,
    SECRET,
    CountingSMTPServer,
    form_csrf,
    running_collector,
    token,
    wait_for,
)
from tests.conftest import PULSE_SURVEY, MakeRepo
from tidings.collector.app import Limits
from tidings.collector.language import match_language, negotiate
from tidings.config import load_config
from tidings.content import load
from tidings.delivery.transport import SMTPTransport, parse_smtp_url
from tidings.embargo import public_view
from tidings.feedback import existing_rows, export_feedback
from tidings.locale_data import BUILTIN
from tidings.mail.catcher import LocalSMTPServer
from tidings.site.stage import Stager
from tidings.store import open_database
from tidings.store.schema import answers, subscribers
from tidings.store.subscribers import add, consent_version, get
from tidings.store.transactions import Engine

LANGUAGES = ("en", "fi", "de", "el", "zh")
MULTI = PYPROJECT + 'languages = ["en", "fi", "de", "el", "zh"]\n'
PULSE_FI = """\
---
title: Syke
questions:
  - id: happy
    text: Oletko tyytyväinen?
    options: [Kyllä, Ei]
  - id: often
    text: Kuinka usein tulet?
    options: [Päivittäin, Viikoittain, Harvoin]
---
Kerro meille.
"""
PULSE_DE = (PULSE_FI.replace("Syke", "Puls").replace("Oletko tyytyväinen?", "Bist du zufrieden?")
            .replace("[Kyllä, Ei]", "[Ja, Nein]").replace("Kuinka usein tulet?", "Wie oft kommst du?")
            .replace("[Päivittäin, Viikoittain, Harvoin]", "[Täglich, Wöchentlich, Selten]")
            .replace("Kerro meille.", "Erzähl uns."))
FI, ZH, EL = BUILTIN["fi"], BUILTIN["zh"], BUILTIN["el"]
NO_WAIT = Limits(signup_seconds=0.0, signups_per_client_hour=10_000, mails_per_address_day=10_000)


class Club(NamedTuple):
    root: Path
    url: str
    members: dict[str, int]  # stored lang ("" for none) → subscriber id
    relay: LocalSMTPServer
    engine: Engine


@pytest.fixture
def club(make_repo: MakeRepo, monkeypatch: pytest.MonkeyPatch) -> Iterator[Club]:
    monkeypatch.setenv("TIDINGS_SECRET", SECRET)
    root = make_repo({"content/surveys/pulse.md": PULSE_SURVEY.format(closes="2099-01-01"),
                      "content/surveys/pulse.fi.md": PULSE_FI, "content/surveys/pulse.de.md": PULSE_DE},
                     pyproject=MULTI)
    members: dict[str, int] = {}
    engine = open_database(root)
    with engine.begin() as connection:
        for lang in ("fi", "zh-TW", "de", ""):
            who = f"m-{lang or 'none'}@example.org".lower()
            members[lang] = add(connection, who, name="Member", lang=lang or None, state="pending")[0].id
    with CountingSMTPServer() as relay, running_collector(
            root, transport=SMTPTransport(parse_smtp_url(relay.url)), limits=NO_WAIT) as url:
        yield Club(root, url, members, relay, engine)
    engine.dispose()


def html_lang(page: str) -> str:
    match = re.search(r'<html lang="([^"]*)">', page)
    assert match, page[:200]
    return match.group(1)


def stored_lang(club: Club, address: str) -> str | None:
    with club.engine.connect() as connection:
        member = get(connection, address)
    assert member is not None
    return member.lang


@pytest.mark.parametrize(("stored", "shown", "words"), [("fi", "fi", FI), ("zh-TW", "zh", ZH)])
def test_a_members_confirm_unsubscribe_and_survey_pages_are_in_their_language(
        club: Club, stored: str, shown: str, words: dict[str, str]) -> None:
    member = str(club.members[stored])
    with club.engine.connect() as connection:
        version = consent_version(connection, club.members[stored])
    english_browser = {"Accept-Language": "en-US,en;q=0.9"}  # the member's stored choice wins
    confirm = httpx.get(f"{club.url}/confirm/{token('confirm', 'subscribe', member, version)}",
                        headers=english_browser).text
    unsubscribe = httpx.get(f"{club.url}/u/{token('unsubscribe', member, 'december')}",
                            headers=english_browser).text
    survey = httpx.get(f"{club.url}/s/{token('survey', member, 'december', 'pulse')}?q=happy&a=1",
                       headers=english_browser).text
    for page, button in ((confirm, "collector.confirm.button"), (unsubscribe, "collector.unsubscribe.button"),
                         (survey, "collector.survey.button")):
        assert html_lang(page) == shown
        assert words[button] in page
    if shown == "fi":  # the survey's Finnish translation, its answer preselected
        assert "Oletko tyytyväinen?" in survey and "Kyllä" in survey and "Are you happy?" not in survey
        assert re.search(r'value="1" checked> Ei', survey)
    else:  # no Chinese translation: the source survey in Chinese page chrome
        assert "Are you happy?" in survey


def test_done_pages_and_errors_after_the_token_speak_the_members_language(club: Club) -> None:
    member = str(club.members["fi"])
    link = f"{club.url}/u/{token('unsubscribe', member, 'december')}"
    forged = httpx.post(link, data={"csrf": "forged"})
    assert forged.status_code == 403 and html_lang(forged.text) == "fi"
    done = httpx.post(link, data={"csrf": form_csrf(httpx.get(link).text)})
    assert done.status_code == 200 and html_lang(done.text) == "fi"
    assert FI["collector.unsubscribe.done"] in done.text
    survey = f"{club.url}/s/{token('survey', member, 'december', 'pulse')}"
    bad = httpx.get(survey + "?q=happy&a=9")
    assert bad.status_code == 400 and FI["collector.survey.not_an_option"] in bad.text


def test_a_member_without_a_language_gets_the_default(club: Club) -> None:
    link = f"{club.url}/u/{token('unsubscribe', str(club.members['']), 'december')}"
    page = httpx.get(link, headers={"Accept-Language": "fi"}).text
    assert html_lang(page) == "en" and "Unsubscribe" in page


def test_pages_without_a_member_follow_accept_language(club: Club) -> None:
    def lang_of(path: str, header: str) -> str:
        return html_lang(httpx.get(club.url + path, headers={"Accept-Language": header}).text)

    assert lang_of("/subscribe", "de-CH, fi;q=0.5") == "de"
    assert lang_of("/subscribe", "fr-FR, el;q=0.3, fi;q=0.2") == "el"
    assert lang_of("/subscribe", "zh-Hant-TW") == "zh"
    assert lang_of("/subscribe", "fr, ja") == "en"
    assert lang_of("/subscribe", "fi;q=0, de;q=0.1") == "de"
    bad = httpx.get(f"{club.url}/s/not-a-token", headers={"Accept-Language": "el"})
    assert bad.status_code == 400 and html_lang(bad.text) == "el" and EL["collector.error.400"] in bad.text
    big = httpx.post(f"{club.url}/subscribe", content=b"x" * 100_000,
                     headers={"Accept-Language": "zh", "Content-Type": "application/x-www-form-urlencoded"})
    assert big.status_code == 413 and html_lang(big.text) == "zh" and ZH["collector.error.413"] in big.text


def test_the_signup_page_offers_every_language_in_its_own_name_preselected(club: Club) -> None:
    page = httpx.get(f"{club.url}/subscribe?lang=el").text
    assert html_lang(page) == "el"
    options = re.findall(r'<option value="(\w+)" lang="\w+"( selected)?>([^<]+)</option>', page)
    assert [(code, name) for code, _, name in options] == [
        ("en", "English"), ("fi", "Suomi"), ("de", "Deutsch"), ("el", "Ελληνικά"), ("zh", "中文")]
    assert [code for code, selected, _ in options if selected] == ["el"]


def caught(relay: LocalSMTPServer, address: str) -> EmailMessage:
    assert wait_for(lambda: relay.handler.received[address] >= 1)
    data = next(data for rcpts, data in relay.handler.messages if address in rcpts)
    message = message_from_bytes(data, policy=policy.default)
    assert isinstance(message, EmailMessage)
    return message


def test_a_signup_from_the_greek_form_stores_el_and_the_confirmation_mail_is_greek(club: Club) -> None:
    response = httpx.post(f"{club.url}/subscribe",
                          data={"email": "eleni@example.org", "form_lang": "el", "lang": "el"})
    assert response.status_code == 200 and html_lang(response.text) == "el"
    assert EL["collector.signup.sent.title"] in response.text
    assert stored_lang(club, "eleni@example.org") == "el"
    mail = caught(club.relay, "eleni@example.org")
    assert mail["Content-Language"] == "el"
    assert mail["Subject"] == EL["mail.confirm.subject"].format(name="Canary Club")
    body = mail.get_content().replace("\r\n", "\n")
    assert EL["mail.confirm.body"].split("{")[0].strip() in body
    link = re.search(r"https://collect\.club\.example\.org(/confirm/\S+)", body)
    assert link
    confirm = httpx.get(club.url + link.group(1), headers={"Accept-Language": "de"})
    assert html_lang(confirm.text) == "el"  # the link leads to pages in the language chosen


def test_a_choice_on_the_english_page_is_kept_and_the_answer_speaks_the_page(club: Club) -> None:
    response = httpx.post(f"{club.url}/subscribe",
                          data={"email": "wei@example.org", "form_lang": "en", "lang": "zh"})
    assert html_lang(response.text) == "en"
    assert stored_lang(club, "wei@example.org") == "zh"
    assert caught(club.relay, "wei@example.org")["Content-Language"] == "zh"


def test_a_forged_language_falls_back_to_the_pages_language(club: Club) -> None:
    for n, forged in enumerate(["xx", "en\r\nBcc: x@example.org", "gr", "fi" * 40, "../../etc", "zh\x00"]):
        address = f"forged{n}@example.org"
        response = httpx.post(f"{club.url}/subscribe",
                              data={"email": address, "form_lang": "fi", "lang": forged})
        assert response.status_code == 200
        assert stored_lang(club, address) == "fi", forged
    response = httpx.post(f"{club.url}/subscribe", data={"email": "x9@example.org", "form_lang": "<b>",
                                                         "lang": "nope"}, headers={"Accept-Language": "de"})
    assert html_lang(response.text) == "de" and stored_lang(club, "x9@example.org") == "de"


def test_an_existing_members_language_is_not_changed_by_a_signup_form(club: Club) -> None:
    httpx.post(f"{club.url}/subscribe", data={"email": "m-fi@example.org", "form_lang": "de", "lang": "de"})
    assert stored_lang(club, "m-fi@example.org") == "fi"


def answer(club: Club, who: str, option: str) -> None:
    link = f"{club.url}/s/{token('survey', str(club.members[who]), 'december', 'pulse')}"
    page = httpx.get(link).text
    response = httpx.post(link, data={"csrf": form_csrf(page), "q:happy": option})
    assert response.status_code == 200 and html_lang(response.text) == who


def test_survey_answers_from_finnish_and_german_pages_count_together(club: Club) -> None:
    answer(club, "fi", "1")  # "Ei"
    answer(club, "de", "1")  # "Nein"
    with club.engine.connect() as connection:
        rows = connection.execute(sa.select(answers.c.question, answers.c.option)).all()
    assert sorted(rows) == [("happy", 1), ("happy", 1)]
    export_feedback(club.engine, load(club.root, history=False))
    community = load(club.root, history=False)  # with the exported feedback/pulse.csv
    assert [row.answer for row in existing_rows(club.root, "pulse")] == ["No", "No"]
    as_of = datetime(2030, 1, 1, tzinfo=UTC)
    writer = Stager(public_view(community, as_of))
    source = community.surveys[0]
    finnish = community.versions(source)["fi"]
    results = writer.results(finnish)
    assert re.search(r">Ei</span>.*>2 · 100%<", results), results  # counted across languages
    assert re.search(r">No</span>.*>2 · 100%<", writer.results(source))


def test_the_site_form_is_in_the_pages_language_with_its_choice_preselected(club: Club) -> None:
    writer = Stager(public_view(load(club.root, history=False), datetime(2030, 1, 1, tzinfo=UTC)))
    greek = writer.signup_form("el")
    assert 'name="form_lang" value="el"' in greek and EL["signup.email"] in greek
    assert re.findall(r'<option value="(\w+)"[^>]* selected>', greek) == ["el"]
    assert "Suomi" in greek and "中文" in greek
    assert re.findall(r'<option value="(\w+)"[^>]* selected>', writer.signup_form()) == ["en"]


def test_a_one_language_community_shows_no_language_choice(make_repo: MakeRepo) -> None:
    root = make_repo({}, pyproject=PYPROJECT)
    form = Stager(public_view(load(root, history=False), datetime(2030, 1, 1, tzinfo=UTC))).signup_form()
    assert "<select" not in form and 'name="form_lang" value="en"' in form


def test_language_matching_returns_only_the_communitys_codes(make_repo: MakeRepo) -> None:
    config = load_config(make_repo({}, pyproject=MULTI))
    assert [match_language(config, v) for v in ("zh-TW", "FI", "de_AT", "el-GR", "gr", "", "e", None)] == [
        "zh", "fi", "de", "el", None, None, None, None]
    assert negotiate(config, "fr-CA,fr;q=0.9,de-DE;q=0.8") == "de"
    assert negotiate(config, ";;;,,q=1") == "en"


HOSTILE = st.one_of(
    st.sampled_from(["zh-TW", "EL", "fi_FI", "gr", "*", "de;q=2", "en\u0085", "\u00e9l", "zh-Hant-TW-x-yz"]),
    st.text(max_size=80),
    st.text(alphabet="abcdefghijklmnopqrstuvwxyzZH-_;=.,*0123456789 ", max_size=120),
)
HEADER = st.one_of(
    HOSTILE.map(lambda s: s.encode("utf-8", "replace")),
    st.binary(max_size=300),
    st.lists(st.sampled_from(["fi;q=0.5", "zh-TW", "*;q=0.1", "el;q=0", "xx", "q=", ";", "de-DE;q=0.999"]),
             max_size=40).map(lambda parts: ",".join(parts).encode()),
).map(lambda raw: bytes(b for b in raw if b == 9 or 32 <= b != 127))  # what HTTP lets through


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lang=HOSTILE, form_lang=HOSTILE, accept=HEADER, n=st.integers(0, 10**9))
def test_hostile_language_values_never_cause_a_500_or_a_stored_stranger(
        club: Club, lang: str, form_lang: str, accept: bytes, n: int) -> None:
    address = f"h{n}@example.org"
    headers = {b"Accept-Language": accept.strip()}
    form = {"email": address, "lang": lang, "form_lang": form_lang}
    response = httpx.post(f"{club.url}/subscribe", data=form, headers=headers)
    assert response.status_code < 500
    if response.status_code == 200:
        assert html_lang(response.text) in LANGUAGES
    assert response.headers["content-type"].startswith("text/html")  # our page, not the server's refusal
    for path in ("/subscribe", "/s/forged", f"/u/{token('unsubscribe', str(club.members['fi']), 'x')}"):
        page = httpx.get(club.url + path, headers=headers)
        assert page.status_code < 500 and html_lang(page.text) in LANGUAGES
    with club.engine.connect() as connection:
        stored = set(connection.execute(sa.select(subscribers.c.lang)).scalars())
    assert stored <= {*LANGUAGES, "zh-TW", None}  # the fixture's own members plus community codes


def test_a_bad_address_or_name_is_explained_in_the_forms_language(club: Club) -> None:
    bad = httpx.post(f"{club.url}/subscribe", data={"email": "not an address", "form_lang": "fi"})
    assert bad.status_code == 400 and html_lang(bad.text) == "fi"
    assert FI["collector.signup.check_address"] in bad.text and FI["collector.signup.bad_address"] in bad.text
    long = httpx.post(f"{club.url}/subscribe", data={"email": "ok@example.org", "name": "N" * 5000,
                                                      "form_lang": "zh"})
    assert long.status_code == 400 and ZH["collector.signup.bad_name"] in long.text


def test_a_translated_page_puts_the_form_in_its_own_language(make_repo: MakeRepo) -> None:
    page = "---\ntitle: {title}\n---\n{{{{ signup_form }}}}\n"
    root = make_repo({"content/pages/join.md": page.format(title="Join"),
                      "content/pages/join.el.md": page.format(title="Εγγραφή")}, pyproject=MULTI)
    community = load(root, history=False)
    writer = Stager(public_view(community, datetime(2030, 1, 1, tzinfo=UTC)))
    greek = community.versions(community.pages[0])["el"]
    writer.page(greek)
    staged = str(writer.files[next(name for name in writer.files if "join" in name)])
    assert 'name="form_lang" value="el"' in staged and EL["signup.email"] in staged
    assert re.findall(r'<option value="(\w+)"[^>]* selected>', staged) == ["el"]


def test_confirming_a_finnish_signup_answers_in_finnish(club: Club) -> None:
    with club.engine.connect() as connection:
        version = consent_version(connection, club.members["fi"])
    link = f"{club.url}/confirm/{token('confirm', 'subscribe', str(club.members['fi']), version)}"
    csrf = form_csrf(httpx.get(link).text)
    done = httpx.post(link, data={"csrf": csrf}, headers={"Accept-Language": "de"})
    assert done.status_code == 200 and html_lang(done.text) == "fi"
    assert FI["collector.confirm.done"] in done.text
    again = httpx.post(link, data={"csrf": csrf})
    assert again.status_code == 400 and FI["collector.confirm.used"] in again.text
