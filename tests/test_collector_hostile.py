"""The collector under hostile input, over real HTTP against uvicorn: never a 5xx, never a change
made by a request it refuses, and outside text stored inert."""

from __future__ import annotations

import email
import email.policy
import itertools
import re
from collections.abc import Iterator
from pathlib import Path

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
    snapshot,
    token,
    wait_for,
)
from tests.conftest import PULSE_SURVEY, MakeRepo
from tidings.collector.app import Limits
from tidings.delivery.transport import SMTPTransport, parse_smtp_url
from tidings.store import open_database
from tidings.store.schema import answers, signup_attempts, subscribers
from tidings.store.subscribers import add, get

Club = tuple[Path, str, int]
SERIAL = itertools.count()
# Comments keep line breaks and tabs (clean_text); nothing else of C0/C1 survives.
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")


def make_club(make_repo: MakeRepo, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, int]:
    monkeypatch.setenv("TIDINGS_SECRET", SECRET)
    root = make_repo({"content/surveys/pulse.md": PULSE_SURVEY.format(closes="2099-01-01")},
                     pyproject=PYPROJECT)
    engine = open_database(root)
    with engine.begin() as connection:
        member, _ = add(connection, "ann@example.org", name="Ann")
    engine.dispose()
    return root, member.id


@pytest.fixture
def club(make_repo: MakeRepo, monkeypatch: pytest.MonkeyPatch) -> Iterator[Club]:
    root, member = make_club(make_repo, monkeypatch)
    # No minimum answer time for sign-ups here: the property test sends many.
    with running_collector(root, limits=Limits(signup_seconds=0.0)) as url:
        yield root, url, member


@pytest.fixture(params=["sqlite", "postgresql"])
def any_club(request: pytest.FixtureRequest, make_repo: MakeRepo,
             monkeypatch: pytest.MonkeyPatch) -> Iterator[Club]:
    """The club on SQLite, then on PostgreSQL (which refuses NUL in text: a 500 if one got through)."""
    if request.param == "postgresql":
        monkeypatch.setenv("TIDINGS_DATABASE_URL", request.getfixturevalue("postgres_url"))
    root, member = make_club(make_repo, monkeypatch)
    with running_collector(root) as url:
        yield root, url, member


@pytest.fixture
def relay() -> Iterator[CountingSMTPServer]:
    with CountingSMTPServer() as server:
        yield server


def survey_link(url: str, member: int) -> str:
    return f"{url}/s/{token('survey', str(member), 'december', 'pulse')}"


# -- the 5xx of the issue, one by one ----------------------------------------------------------
@pytest.mark.parametrize("answer", ["%C2%B2", "1" * 4301, "-1", "%EF%BC%91", "1e3", " 1"])
def test_a_survey_answer_that_is_not_a_plain_small_number_gets_a_400(club: Club, answer: str) -> None:
    root, url, member = club
    link = survey_link(url, member)
    csrf = form_csrf(httpx.get(link).text)
    before = snapshot(root)
    got = httpx.get(f"{link}?q=happy&a={answer}")
    assert got.status_code == 400, got.text
    posted = httpx.post(link, content=f"csrf={csrf}&q:happy={answer}".encode(),
                        headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert posted.status_code == 400, posted.text
    assert snapshot(root) == before


@pytest.mark.parametrize("address", ["user@bücher.example", "üser@example.org"])
def test_an_internationalised_address_signs_up_and_gets_its_confirmation(
        make_repo: MakeRepo, monkeypatch: pytest.MonkeyPatch, relay: CountingSMTPServer,
        address: str) -> None:
    root, _ = make_club(make_repo, monkeypatch)
    transport = SMTPTransport(parse_smtp_url(relay.url))
    with running_collector(root, transport=transport) as url:
        response = httpx.post(f"{url}/subscribe", data={"email": address, "name": "Ünä"})
        assert response.status_code == 200 and "Check your inbox" in response.text
        with open_database(root).connect() as connection:
            assert get(connection, address).state == "pending"  # type: ignore[union-attr]
        assert wait_for(lambda: len(relay.handler.messages) == 1)
    recipients, data = relay.handler.messages[0]
    local, domain = address.split("@")
    # The domain travels in its ASCII (IDNA) form, so a relay without SMTPUTF8 takes it too.
    assert recipients == [f"{local}@{domain.encode('idna').decode()}"]
    parsed = email.message_from_bytes(data, policy=email.policy.default)
    assert "/confirm/" in parsed.get_content()  # type: ignore[attr-defined]


def test_a_nul_or_line_break_in_a_name_or_comment_on_postgresql_is_stored_clean(
        make_repo: MakeRepo, monkeypatch: pytest.MonkeyPatch, postgres_url: str) -> None:
    monkeypatch.setenv("TIDINGS_DATABASE_URL", postgres_url)
    root, member = make_club(make_repo, monkeypatch)
    with running_collector(root) as url:
        signup = httpx.post(f"{url}/subscribe", data={"email": "nul@example.org",
                                                      "name": "Eve\x00\r\nBcc: x@example.org"})
        assert signup.status_code == 200
        link = survey_link(url, member)
        csrf = form_csrf(httpx.get(link).text)
        answer = httpx.post(link, data={"csrf": csrf, "q:happy": "0",
                                        "comment": "line one\r\nline\x00two\x85"})
        assert answer.status_code == 200
    with open_database(root).connect() as connection:
        assert get(connection, "nul@example.org").name == "Eve Bcc: x@example.org"  # type: ignore[union-attr]
        assert connection.execute(sa.select(answers.c.comment)).scalar() == "line one\nlinetwo"


# -- every route, hostile input, nothing changes -------------------------------------------------
def hostile_requests(url: str, member: int, csrf: str) -> dict[str, httpx.Request]:
    survey = survey_link(url, member)
    unsubscribe = f"{url}/u/{token('unsubscribe', str(member), 'december')}"
    confirm = f"{url}/confirm/{token('confirm', 'subscribe', str(member), '999')}"
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    huge = "x" * 200_000
    requests = {
        "survey: superscript two": ("GET", f"{survey}?q=happy&a=%C2%B2", b"", {}),
        "survey: 4,301 digits": ("GET", f"{survey}?q=happy&a={'9' * 4301}", b"", {}),
        "survey: non-UTF-8 query": ("GET", f"{survey}?q=%FF%FE&a=%80", b"", {}),
        "survey: CR LF NUL in the question": ("GET", f"{survey}?q=happy%0D%0A%00&a=0", b"", {}),
        "survey: huge query": ("GET", f"{survey}?q={'h' * 6000}&a=0", b"", {}),
        "survey: forged token": ("GET", f"{url}/s/%00%0D%0Aforged?q=happy&a=0", b"", {}),
        "survey post: non-UTF-8 body": ("POST", survey, b"csrf=" + csrf.encode() + b"&q:happy=%FF\xff", form),
        "survey post: 4,301 digits": ("POST", survey, f"csrf={csrf}&q:happy={'7' * 4301}".encode(), form),
        "survey post: C1 in a key": ("POST", survey, f"csrf={csrf}&q:%C2%85happy=0".encode(), form),
        "survey post: comment too long": (
            "POST", survey, f"csrf={csrf}&q:happy=0&comment={'c' * 6000}".encode(), form),
        "survey post: JSON": ("POST", survey, b'{"q:happy": 0}', {"Content-Type": "application/json"}),
        "survey post: multipart with a file": (
            "POST", survey,
            b'--b\r\nContent-Disposition: form-data; name="f"; filename="a"\r\n\r\nx\r\n--b--\r\n',
            {"Content-Type": "multipart/form-data; boundary=b"}),
        "survey post: broken multipart": ("POST", survey, b"--nope", {"Content-Type": "multipart/form-data"}),
        "survey post: huge": ("POST", survey, huge.encode(), form),
        "signup: CR LF in the address": ("POST", f"{url}/subscribe", b"email=a%0D%0ABcc%3Ab@x.org", form),
        "signup: NUL in the address": ("POST", f"{url}/subscribe", b"email=a%00b@example.org", form),
        "signup: non-UTF-8 address": ("POST", f"{url}/subscribe", b"email=\xff\xfe@example.org", form),
        "signup: huge address": ("POST", f"{url}/subscribe", f"email={'a' * 9000}@x.org".encode(), form),
        "signup: name too long": ("POST", f"{url}/subscribe",
                                  f"email=long@example.org&name={'n' * 5000}".encode(), form),
        "signup: formula as address": ("POST", f"{url}/subscribe", b"email=%3DHYPERLINK(1)", form),
        "signup: no address": ("POST", f"{url}/subscribe", b"name=x", form),
        "signup: JSON": ("POST", f"{url}/subscribe", b'{"email": "j@example.org"}',
                         {"Content-Type": "application/json"}),
        "confirm: forged": ("GET", f"{url}/confirm/forged%0D%0A", b"", {}),
        "confirm: wrong version": ("POST", confirm, f"csrf={csrf}".encode(), form),
        "unsubscribe: forged": ("POST", f"{url}/u/x.y.z", b"List-Unsubscribe=One-Click", form),
        "unsubscribe: no csrf": ("POST", unsubscribe, b"List-Unsubscribe=Two-Click", form),
        "unsubscribe: non-UTF-8": ("POST", unsubscribe, b"csrf=\xff", form),
        "health: a body": ("POST", f"{url}/health", b"x", form),
        "unknown path": ("GET", f"{url}/%FF%00/../../etc/passwd", b"", {}),
    }
    return {what: httpx.Request(method, link, content=body, headers=headers)
            for what, (method, link, body, headers) in requests.items()}


def test_every_route_answers_hostile_input_with_a_4xx_and_changes_nothing(any_club: Club) -> None:
    root, url, member = any_club
    csrf = form_csrf(httpx.get(survey_link(url, member)).text)
    before = snapshot(root)
    with httpx.Client(timeout=20) as client:
        for what, request in hostile_requests(url, member, csrf).items():
            response = client.send(request)
            assert 400 <= response.status_code < 500, (what, response.status_code, response.text[:300])
            assert "Traceback" not in response.text, what
    assert snapshot(root) == before


TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=300) | st.sampled_from(
    ["\x00", "\r\nBcc: x@example.org", "=SUM(A1)", "\u2028", "\x85\x9f", "ä" * 190, "<b>&amp;</b>"])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=TEXT, comment=TEXT)
def test_any_name_or_comment_gets_no_5xx_and_is_stored_without_control_characters(
        club: Club, name: str, comment: str) -> None:
    root, url, member = club
    link = survey_link(url, member)
    csrf = form_csrf(httpx.get(link).text)
    answer = httpx.post(link, data={"csrf": csrf, "q:happy": "1", "comment": comment})
    assert answer.status_code < 500
    signup = httpx.post(f"{url}/subscribe", data={"email": f"h{next(SERIAL)}@example.org", "name": name})
    assert signup.status_code < 500
    engine = open_database(root)
    with engine.begin() as connection:
        stored = connection.execute(sa.select(answers.c.comment)).scalars().all()
        names = connection.execute(sa.select(subscribers.c.name)).scalars().all()
        connection.execute(signup_attempts.delete())  # the per-client limit is tested elsewhere
    engine.dispose()
    for text in stored:
        assert text is None or not CONTROL.search(text)
    for text in names:
        assert text is None or not (CONTROL.search(text) or "\n" in text or "\t" in text)
