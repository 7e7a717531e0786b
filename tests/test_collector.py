"""The collector over real HTTP: a GET never changes state, and hostile input stores nothing."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from tests.collector_support import (
    PYPROJECT,
    SECRET,
    form_csrf,
    running_collector,
    snapshot,
    token,
    wait_for,
)
from tests.conftest import PULSE_SURVEY, MakeRepo
from tidings.store import open_database
from tidings.store.schema import answers, consent_events, signup_attempts
from tidings.store.subscribers import add, get
from tidings.tokens import Signer

SURVEY = PULSE_SURVEY


@pytest.fixture
def club(make_repo: MakeRepo, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Path, str, int]]:
    monkeypatch.setenv("TIDINGS_SECRET", SECRET)
    old = SURVEY.format(closes="2020-01-01").replace("id: pulse", "id: old")
    root = make_repo({"content/surveys/pulse.md": SURVEY.format(closes="2099-01-01"),
                      "content/surveys/old.md": old}, pyproject=PYPROJECT)
    engine = open_database(root)
    with engine.begin() as connection:
        member, _ = add(connection, "ann@example.org", name="Ann")
    with running_collector(root) as url:
        yield root, url, member.id


def test_health(club: tuple[Path, str, int]) -> None:
    _, url, _ = club
    assert httpx.get(f"{url}/health").json() == {"ok": True}


def test_a_get_on_any_email_link_changes_nothing(club: tuple[Path, str, int]) -> None:
    root, url, member = club
    before = snapshot(root)
    links = [f"/u/{token('unsubscribe', str(member), 'december')}",
             f"/s/{token('survey', str(member), 'december', 'pulse')}?q=happy&a=0",
             f"/confirm/{token('confirm', 'subscribe', str(member), '1')}"]
    for link in links:
        for _ in range(3):  # a link scanner fetching again and again
            assert httpx.get(url + link).status_code == 200
            assert httpx.head(url + link).status_code in (200, 405)
    assert snapshot(root) == before


def test_one_click_unsubscribe_post_takes_effect_at_once(club: tuple[Path, str, int]) -> None:
    root, url, member = club
    response = httpx.post(f"{url}/u/{token('unsubscribe', str(member), 'december')}",
                          data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    with open_database(root).connect() as connection:
        assert get(connection, "ann@example.org").state == "unsubscribed"  # type: ignore[union-attr]
        source = connection.execute(sa.select(consent_events.c.source).order_by(
            consent_events.c.id.desc())).scalar()
    assert source == "list-unsubscribe-one-click"


def test_unsubscribe_page_button_needs_its_form(club: tuple[Path, str, int]) -> None:
    root, url, member = club
    link = f"{url}/u/{token('unsubscribe', str(member), 'december')}"
    before = snapshot(root)
    assert httpx.post(link, data={"csrf": "forged"}).status_code == 403
    assert httpx.post(link, data={}).status_code == 403
    assert snapshot(root) == before
    page = httpx.get(link).text
    assert "ann@example.org" in page
    done = httpx.post(link, data={"csrf": form_csrf(page)})
    assert done.status_code == 200 and "no more emails" in done.text


def test_survey_answer_is_preselected_recorded_and_replaced(club: tuple[Path, str, int]) -> None:
    root, url, member = club
    link = f"{url}/s/{token('survey', str(member), 'december', 'pulse')}"
    page = httpx.get(link + "?q=happy&a=1").text
    assert re.search(r'value="1" checked', page)
    csrf = form_csrf(page)
    assert httpx.post(link, data={"csrf": csrf, "q:happy": "1", "comment": "Fine"}).status_code == 200
    assert httpx.post(link, data={"csrf": csrf, "q:happy": "0", "q:often": "2"}).status_code == 200
    with open_database(root).connect() as connection:
        rows = connection.execute(sa.select(answers.c.question, answers.c.option, answers.c.respondent)
                                  .order_by(answers.c.question)).all()
    assert [(r.question, r.option) for r in rows] == [("happy", 0), ("often", 2)]
    pseudonym = Signer(SECRET).digest("respondent", "pulse", str(member), length=16)
    assert rows[0].respondent == rows[1].respondent == pseudonym  # a keyed digest, no address
    assert pseudonym != Signer(SECRET).digest("respondent", "old", str(member), length=16)


def test_hostile_input_gets_a_clear_4xx_and_stores_nothing(club: tuple[Path, str, int],
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    root, url, member = club
    survey = f"{url}/s/{token('survey', str(member), 'december', 'pulse')}"
    csrf = form_csrf(httpx.get(survey).text)
    monkeypatch.setattr("itsdangerous.timed.time.time", lambda: time.time_ns() / 1e9 - 8 * 24 * 3600)
    expired = token("confirm", "subscribe", str(member), "1")
    monkeypatch.undo()
    before = snapshot(root)
    cases = {
        "forged token": httpx.get(f"{url}/s/not-a-token?q=happy&a=0"),
        "token from another key": httpx.get(
            f"{url}/s/{Signer('other-key-' + 'x' * 20).sign('survey', str(member), 'd', 'pulse')}"),
        "token for another purpose": httpx.post(f"{url}/u/{token('survey', str(member), 'd', 'pulse')}",
                                                data={"List-Unsubscribe": "One-Click"}),
        "expired confirmation": httpx.post(f"{url}/confirm/{expired}", data={"csrf": csrf}),
        "unknown survey": httpx.get(f"{url}/s/{token('survey', str(member), 'd', 'nope')}"),
        "unknown option": httpx.post(survey, data={"csrf": csrf, "q:happy": "7"}),
        "unknown question": httpx.get(survey + "?q=nope&a=0"),
        "no answer": httpx.post(survey, data={"csrf": csrf}),
        "missing csrf": httpx.post(survey, data={"q:happy": "0"}),
        "oversized body": httpx.post(survey, data={"csrf": csrf, "q:happy": "0", "comment": "x" * 100_000}),
        "closed survey": httpx.post(f"{url}/s/{token('survey', str(member), 'd', 'old')}",
                                    data={"csrf": csrf, "q:happy": "0"}),
    }
    for what, response in cases.items():
        assert 400 <= response.status_code < 500, what
        assert "<h1>" in response.text and "Traceback" not in response.text, what
    assert cases["closed survey"].status_code == 410 and "closed" in cases["closed survey"].text
    assert cases["oversized body"].status_code == 413
    assert snapshot(root) == before


def test_comments_are_stored_as_text_and_escaped_when_shown(club: tuple[Path, str, int]) -> None:
    root, url, member = club
    link = f"{url}/s/{token('survey', str(member), 'december', 'pulse')}"
    evil = '<script>alert("x")</script> & <b>bold</b>'
    page = httpx.get(link + "?q=happy&a=0").text
    answer = {"csrf": form_csrf(page), "q:happy": "0", "comment": evil}
    assert httpx.post(link, data=answer).status_code == 200
    with open_database(root).connect() as connection:
        assert connection.execute(sa.select(answers.c.comment)).scalar() == evil


def test_signup_is_double_opt_in_and_floods_are_limited(club: tuple[Path, str, int]) -> None:
    root, url, _ = club
    response = httpx.post(f"{url}/subscribe", data={"email": "new@example.org", "name": "New"})
    assert response.status_code == 200 and "Check your inbox" in response.text
    with open_database(root).connect() as connection:
        assert get(connection, "new@example.org").state == "pending"  # type: ignore[union-attr]
    new = root / ".tidings/outbox/new"
    assert wait_for(lambda: new.exists() and any(new.iterdir()))  # sent after the answer, from a queue
    outbox = list(new.iterdir())
    assert len(outbox) == 1
    link = re.search(rb"(https://collect\.club\.example\.org/confirm/\S+)", outbox[0].read_bytes())
    assert link
    path = link.group(1).decode().replace("https://collect.club.example.org", "")
    page = httpx.get(url + path).text
    with open_database(root).connect() as connection:
        assert get(connection, "new@example.org").state == "pending"  # type: ignore[union-attr]
    assert httpx.post(url + path, data={"csrf": form_csrf(page)}).status_code == 200
    with open_database(root).connect() as connection:
        assert get(connection, "new@example.org").state == "confirmed"  # type: ignore[union-attr]
    before = snapshot(root)
    reused = httpx.post(url + path, data={"csrf": form_csrf(page)})
    assert reused.status_code == 400 and "already used" in reused.text
    assert snapshot(root) == before
    for i in range(4):
        assert httpx.post(f"{url}/subscribe", data={"email": f"f{i}@example.org"}).status_code == 200
    flood = httpx.post(f"{url}/subscribe", data={"email": "f9@example.org"})
    assert flood.status_code == 429
    with open_database(root).connect() as connection:
        assert get(connection, "f9@example.org") is None
        assert connection.execute(sa.select(sa.func.count()).select_from(signup_attempts)).scalar() == 5


def test_signup_from_another_site_is_refused(club: tuple[Path, str, int]) -> None:
    root, url, _ = club
    before = snapshot(root)
    response = httpx.post(f"{url}/subscribe", data={"email": "x@example.org"},
                          headers={"Origin": "https://evil.example.net"})
    assert response.status_code == 403
    assert snapshot(root) == before
    assert httpx.post(f"{url}/subscribe", data={"email": "bad"},
                      headers={"Origin": "https://club.example.org"}).status_code == 400


def test_signup_answer_does_not_reveal_who_is_subscribed(club: tuple[Path, str, int]) -> None:
    _, url, _ = club
    known = httpx.post(f"{url}/subscribe", data={"email": "ann@example.org"}).text
    unknown = httpx.post(f"{url}/subscribe", data={"email": "zed@example.org"}).text
    assert known == unknown
