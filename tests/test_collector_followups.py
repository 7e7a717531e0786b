"""The survey page's "I'd like an answer" over real HTTP: ticked with a comment, the answer is stored
and a follow-up is opened with the member's address; unticked, no address is kept anywhere."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.collector_support import PYPROJECT, SECRET, form_csrf, running_collector, token
from tests.conftest import PULSE_SURVEY
from tidings.errors import InputError
from tidings.inputs import clean_text
from tidings.store import followups, open_database
from tidings.store.schema import answers
from tidings.store.subscribers import add

FINNISH = PYPROJECT + 'languages = ["en", "fi"]\n'
CLOSED_COMMENTS = PULSE_SURVEY.format(closes="2099-01-01").replace("id: pulse", "id: quiet").replace(
    "allow_comment: true\npublish_comments: true\n", "")


@pytest.fixture(scope="module")
def club(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str, dict[str, int]]]:
    monkeypatch = pytest.MonkeyPatch()
    monkeypatch.setenv("TIDINGS_SECRET", SECRET)
    monkeypatch.delenv("TIDINGS_DATABASE_URL", raising=False)
    root = tmp_path_factory.mktemp("club")
    (root / "content" / "surveys").mkdir(parents=True)
    (root / "content" / "surveys" / "pulse.md").write_text(PULSE_SURVEY.format(closes="2099-01-01"),
                                                           encoding="utf-8")
    (root / "content" / "surveys" / "quiet.md").write_text(CLOSED_COMMENTS, encoding="utf-8")
    (root / "pyproject.toml").write_text(FINNISH, encoding="utf-8")
    engine = open_database(root)
    with engine.begin() as connection:
        ann, _ = add(connection, "ann@example.org", name="Ann")
        aino, _ = add(connection, "aino@example.org", name="Aino", lang="fi")
    engine.dispose()
    with running_collector(root) as url:
        yield root, url, {"ann": ann.id, "aino": aino.id}
    monkeypatch.undo()


def all_followups(root: Path) -> list[followups.Followup]:
    engine = open_database(root)
    with engine.connect() as connection:
        found = followups.listing(connection, followups.STATES)
    engine.dispose()
    return found


def clear(root: Path) -> None:
    engine = open_database(root)
    with engine.begin() as connection:
        connection.execute(sa.text("DELETE FROM followup_messages"))
        connection.execute(sa.text("DELETE FROM followups"))
        connection.execute(sa.delete(answers))
    engine.dispose()


def post(url: str, member: int, data: dict[str, str], *, preview: bool = False) -> httpx.Response:
    values = [str(member), "december", "pulse", *(["preview"] if preview else [])]
    link = f"{url}/s/{token('survey', *values)}"
    csrf = form_csrf(httpx.get(link + "?q=happy&a=0").text)
    return httpx.post(link, data={"csrf": csrf, "q:happy": "1", **data})


def test_the_form_offers_an_answer_only_where_comments_are_allowed_in_the_members_language(
        club: tuple[Path, str, dict[str, int]]) -> None:
    _, url, members = club
    english = httpx.get(f"{url}/s/{token('survey', str(members['ann']), 'december', 'pulse')}").text
    assert 'type="checkbox" name="answer_me"' in english and "I’d like an answer" in english
    finnish = httpx.get(f"{url}/s/{token('survey', str(members['aino']), 'december', 'pulse')}").text
    assert 'name="answer_me"' in finnish and "Haluan vastauksen" in finnish
    quiet = httpx.get(f"{url}/s/{token('survey', str(members['ann']), 'december', 'quiet')}").text
    assert 'name="answer_me"' not in quiet


def test_ticked_with_a_comment_the_answer_is_stored_and_a_followup_opened(
        club: tuple[Path, str, dict[str, int]]) -> None:
    root, url, members = club
    clear(root)
    response = post(url, members["ann"], {"comment": "Why are calls so late?", "answer_me": "1"})
    assert response.status_code == 200
    (item,) = all_followups(root)
    assert (item.source, item.kind, item.survey, item.issue, item.state) == (
        "survey", "question", "pulse", "december", "open")
    assert (item.subscriber_id, item.email, item.name) == (members["ann"], "ann@example.org", "Ann")
    assert item.body == "Why are calls so late?" and item.subject == "Pulse"
    engine = open_database(root)
    with engine.connect() as connection:
        stored = connection.execute(sa.select(answers.c.comment)).scalars().all()
    engine.dispose()
    assert stored == ["Why are calls so late?"]


def test_unticked_or_without_a_comment_no_followup_and_no_address_is_kept(
        club: tuple[Path, str, dict[str, int]]) -> None:
    root, url, members = club
    clear(root)
    assert post(url, members["ann"], {"comment": "Nice club"}).status_code == 200
    assert post(url, members["aino"], {"comment": "  ", "answer_me": "1"}).status_code == 200
    assert all_followups(root) == []
    with open_database(root).connect() as connection:
        rows = connection.execute(sa.select(answers)).all()
    assert rows and not any("example.org" in str(value) for row in rows for value in row)


def test_a_preview_link_never_files_a_followup(club: tuple[Path, str, dict[str, int]]) -> None:
    root, url, members = club
    clear(root)
    response = post(url, members["ann"], {"comment": "Test copy", "answer_me": "1"}, preview=True)
    assert response.status_code == 200
    assert all_followups(root) == []


HOSTILE = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1,
                  max_size=600) | st.sampled_from(["=HYPERLINK(\"http://x\")", "\r\nBcc: x@example.org",
                                                   "<script>alert(1)</script>", "\x00\x85\u2028", "é" * 5001])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(comment=HOSTILE)
def test_a_hostile_comment_asking_for_an_answer_is_filed_inert_or_refused_clearly(
        club: tuple[Path, str, dict[str, int]], comment: str) -> None:
    root, url, members = club
    clear(root)
    response = post(url, members["aino"], {"comment": comment, "answer_me": "1"})
    expected = None
    try:
        expected = clean_text(comment)
    except InputError:  # too long: the page (or the body limit) says so, and nothing is stored
        assert response.status_code in (400, 413)
        assert all_followups(root) == []
        return
    assert response.status_code == 200
    found = all_followups(root)
    if expected is None:
        assert found == []
    else:
        (item,) = found
        assert item.body == expected and item.email == "aino@example.org"


def test_a_resubmitted_form_files_once_and_a_new_comment_joins_the_members_thread(
        club: tuple[Path, str, dict[str, int]]) -> None:
    root, url, members = club
    clear(root)
    for _ in range(2):  # the browser sends the form again on reload
        assert post(url, members["ann"], {"comment": "Why so late?", "answer_me": "1"}).status_code == 200
    assert post(url, members["ann"], {"comment": "And so long?", "answer_me": "1"}).status_code == 200
    (item,) = all_followups(root)
    engine = open_database(root)
    with engine.begin() as connection:
        later = followups.thread(connection, item.id)
        followups.resolve(connection, item.id, item.received_at)
    engine.dispose()
    assert item.body == "Why so late?"
    assert [(m.direction, m.body) for m in later] == [("in", "And so long?")]
    assert post(url, members["ann"], {"comment": "Still late.", "answer_me": "1"}).status_code == 200
    assert [f.body for f in all_followups(root)] == ["Why so late?", "Still late."]
