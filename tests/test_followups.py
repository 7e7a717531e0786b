"""`followups`: list, show, assign, resolve and answer on a real SQLite file; answers go out over a
real aiosmtpd on 127.0.0.1, threaded to the member's message and in the member's language."""

from __future__ import annotations

import email
import email.policy
import io
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import MakeRepo
from tidings.cli import main
from tidings.config import load_config
from tidings.followups.answer import answer_message
from tidings.mail.catcher import CatchingHandler, LocalSMTPServer
from tidings.store import followups, open_database
from tidings.store.subscribers import add

PYPROJECT = """\
[tool.tidings]
name = "Canary Club"
site_url = "https://club.example.org/"
timezone = "Europe/Helsinki"
languages = ["en", "fi"]
newsletter_from = "Canary Club <news@club.example.org>"
reply_to = "Canary Club team <team@club.example.org>"
"""
T0 = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)
MEMBER_ID = "<CAF1=member.1@mail.example.org>"


@pytest.fixture
def club(make_repo: MakeRepo, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.delenv("TIDINGS_DATABASE_URL", raising=False)
    monkeypatch.delenv("TIDINGS_SMTP_URL", raising=False)
    yield make_repo({}, pyproject=PYPROJECT)


def file_some(root: Path) -> dict[str, int]:
    """A question by mail from a Finnish member, a survey complaint, and one without an address."""
    engine = open_database(root)
    with engine.begin() as c:
        aino, _ = add(c, "aino@example.org", name="Aino Virtanen", lang="fi")
        ann, _ = add(c, "ann@example.org", name="Ann")
        ids = {
            "reply": followups.open_followup(
                c, source="reply", body="Milloin seuraava tapaaminen on?\nKiitos!", received_at=T0,
                kind="question", issue="december", subscriber_id=aino.id, email=aino.email,
                name=aino.name, subject="Re: December at the club", message_id=MEMBER_ID),
            "survey": followups.open_followup(
                c, source="survey", body="\x1b[31mThe\tcalls are too late\nfor me", kind="complaint",
                received_at=T0 + timedelta(hours=1), issue="december", survey="pulse",
                subscriber_id=ann.id, email=ann.email, name=ann.name, subject="Pulse"),
            "anonymous": followups.open_followup(
                c, source="survey", body="Please call me", received_at=T0 + timedelta(hours=2),
                survey="pulse"),
        }
    engine.dispose()
    return {k: v for k, v in ids.items() if v is not None}


def run(root: Path, *args: str, stdin: str | None = None,
        monkeypatch: pytest.MonkeyPatch | None = None) -> int:
    """The command in a thread of its own (``answer`` runs an event loop)."""
    if stdin is not None and monkeypatch is not None:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(main, ["--root", str(root), "followups", *args]).result()


def caught(handler: CatchingHandler) -> EmailMessage:
    (_, data), = handler.messages
    message = email.message_from_bytes(data, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def test_followups_with_no_database_yet_is_an_empty_list(club: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    assert not (club / ".tidings").exists()
    assert run(club) == 0
    out, err = capsys.readouterr()
    assert out == "" and "no follow-ups" in err.lower()


def test_list_shows_open_and_answered_oldest_first_one_escaped_line_each(
        club: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ids = file_some(club)
    engine = open_database(club)
    with engine.begin() as c:
        followups.add_message(c, ids["survey"], direction="out", body="Sorry!", at=T0 + timedelta(days=1))
        followups.resolve(c, ids["anonymous"], T0 + timedelta(days=1))
    assert run(club, "list") == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split("\t")[:2] for line in lines] == [[str(ids["reply"]), "open"],
                                                        [str(ids["survey"]), "answered"]]
    fields = lines[1].split("\t")
    assert len(fields) == 7
    assert fields[4:] == ["survey", "december/pulse", "\\u001b[31mThe\\tcalls are too late"]
    assert lines[0].split("\t")[6] == "Milloin seuraava tapaaminen on?"
    assert "\x1b" not in "".join(lines)
    assert run(club, "list", "--all") == 0
    assert len(capsys.readouterr().out.splitlines()) == 3
    assert run(club, "--state", "resolved") == 0
    assert [line.split("\t")[0] for line in capsys.readouterr().out.splitlines()] == [str(ids["anonymous"])]


def test_assign_and_resolve_change_the_followup_and_unknown_ids_are_clear_errors(
        club: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ids = file_some(club)
    assert run(club, "assign", str(ids["reply"]), "Mia") == 0
    assert run(club, "resolve", str(ids["survey"])) == 0
    with open_database(club).connect() as c:
        assert followups.get(c, ids["reply"]).owner == "Mia"  # type: ignore[union-attr]
        assert followups.get(c, ids["survey"]).state == "resolved"  # type: ignore[union-attr]
    capsys.readouterr()
    for args in (("show", "99"), ("resolve", "99"), ("assign", "99", "Mia"), ("answer", "99", "--text", "x")):
        assert run(club, *args) == 1
        err = capsys.readouterr().err
        assert "no follow-up 99" in err and "Traceback" not in err
    assert run(club, "show", "seven") == 2
    assert "Traceback" not in capsys.readouterr().err
    assert run(club, "assign", str(ids["reply"]), "Mia\nBcc: x") == 1
    assert "control character" in capsys.readouterr().err


def test_show_prints_the_whole_thread_with_member_text_made_inert(
        club: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ids = file_some(club)
    with open_database(club).begin() as c:
        followups.add_message(c, ids["survey"], direction="out", body="We will move one call.",
                              at=T0 + timedelta(days=1), author="Mia")
        followups.add_message(c, ids["survey"], direction="in", body="Thanks\x07!",
                              at=T0 + timedelta(days=2))
    assert run(club, "show", str(ids["survey"])) == 0
    out = capsys.readouterr().out
    assert "ann@example.org" in out and "complaint" in out and "pulse" in out
    assert "calls are too late" in out and "for me" in out
    assert out.index("calls are too late") < out.index("We will move one call.") < out.index("Thanks")
    assert "\x1b" not in out and "\x07" not in out and "\\u001b" in out


def test_an_answer_goes_to_the_member_threaded_in_their_language_and_is_recorded(
        club: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    ids = file_some(club)
    handler = CatchingHandler()
    with LocalSMTPServer(handler) as server:
        monkeypatch.setenv("TIDINGS_SMTP_URL", server.url)
        assert run(club, "answer", str(ids["reply"]), "--text", "Tammikuun 14. päivänä.\nTervetuloa!") == 0
    message = caught(handler)
    assert handler.messages[0][0] == ["aino@example.org"]
    assert message["To"].addresses[0].addr_spec == "aino@example.org"
    assert message["From"].addresses[0].addr_spec == "team@club.example.org"
    assert message["Subject"] == "Re: December at the club"  # not "Re: Re: …"
    assert message["In-Reply-To"] == MEMBER_ID
    assert message["References"] == MEMBER_ID
    assert message["Content-Language"] == "fi"
    assert message["Message-ID"] and message["Date"]
    body = message.get_content()
    assert "Tammikuun 14. päivänä." in body and "Tervetuloa!" in body
    assert "kirjoitit" in body  # the quote's fixed words are Finnish
    assert "> Milloin seuraava tapaaminen on?" in body
    assert "aino@example.org" not in capsys.readouterr().out  # the command says who by id only
    with open_database(club).connect() as c:
        item = followups.get(c, ids["reply"])
        (answer,) = followups.thread(c, ids["reply"])
    assert item is not None and item.state == "answered" and item.answered_at is not None
    assert (answer.direction, answer.message_id) == ("out", message["Message-ID"])
    assert run(club, "show", str(ids["reply"])) == 0
    assert "Tervetuloa!" in capsys.readouterr().out


def test_the_state_machine_answered_reopened_resolved(club: Path, monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    ids = file_some(club)
    handler = CatchingHandler()
    with LocalSMTPServer(handler) as server:
        monkeypatch.setenv("TIDINGS_SMTP_URL", server.url)
        assert run(club, "answer", str(ids["survey"]), "--text", "Sorry, we will move one.") == 0
        with open_database(club).begin() as c:
            assert followups.get(c, ids["survey"]).state == "answered"  # type: ignore[union-attr]
            followups.add_message(c, ids["survey"], direction="in", body="When?", at=datetime.now(UTC),
                                  message_id="<again@mail.example.org>")
            assert followups.get(c, ids["survey"]).state == "open"  # type: ignore[union-attr]
        assert run(club, "answer", str(ids["survey"]), "--text", "In February.") == 0
        assert run(club, "resolve", str(ids["survey"])) == 0
        assert run(club, "answer", str(ids["survey"]), "--text", "Again?") == 1
    assert "resolved" in capsys.readouterr().err
    assert len(handler.messages) == 2
    second = email.message_from_bytes(handler.messages[1][1], policy=email.policy.default)
    first = email.message_from_bytes(handler.messages[0][1], policy=email.policy.default)
    # Threaded to the member's latest message, after the whole conversation so far.
    assert second["In-Reply-To"] == "<again@mail.example.org>"
    assert second["References"].split() == [first["Message-ID"], "<again@mail.example.org>"]
    assert first["In-Reply-To"] is None  # a survey comment has no message id to answer
    assert first["Subject"] == "Re: Your comment on “Pulse”" and first["Content-Language"] == "en"
    with open_database(club).connect() as c:
        assert followups.get(c, ids["survey"]).state == "resolved"  # type: ignore[union-attr]
        assert [m.direction for m in followups.thread(c, ids["survey"])] == ["out", "in", "out"]


def test_a_followup_without_an_address_cannot_be_answered_by_mail_but_can_be_resolved(
        club: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    ids = file_some(club)
    handler = CatchingHandler()
    with LocalSMTPServer(handler) as server:
        monkeypatch.setenv("TIDINGS_SMTP_URL", server.url)
        assert run(club, "answer", str(ids["anonymous"]), "--text", "Hello") == 1
    assert "no address" in capsys.readouterr().err
    assert handler.messages == []
    assert run(club, "resolve", str(ids["anonymous"])) == 0
    with open_database(club).connect() as c:
        assert followups.thread(c, ids["anonymous"]) == []
        assert followups.get(c, ids["anonymous"]).state == "resolved"  # type: ignore[union-attr]


def test_the_answer_text_comes_from_a_file_or_stdin_and_an_empty_one_sends_nothing(
        club: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    ids = file_some(club)
    answer_file = tmp_path / "answer.txt"
    answer_file.write_text("From a file.\n", encoding="utf-8")
    handler = CatchingHandler()
    with LocalSMTPServer(handler) as server:
        monkeypatch.setenv("TIDINGS_SMTP_URL", server.url)
        assert run(club, "answer", str(ids["reply"]), "--file", str(answer_file)) == 0
        assert run(club, "answer", str(ids["survey"]), stdin="From stdin.\n", monkeypatch=monkeypatch) == 0
        assert run(club, "answer", str(ids["survey"]), "--text", "  \n ") == 2
        assert run(club, "answer", str(ids["survey"]), "--file", str(tmp_path / "missing.txt")) == 2
    assert "Traceback" not in capsys.readouterr().err
    assert len(handler.messages) == 2
    assert "From a file." in caught_at(handler, 0).get_content()
    assert "From stdin." in caught_at(handler, 1).get_content()


def caught_at(handler: CatchingHandler, index: int) -> EmailMessage:
    message = email.message_from_bytes(handler.messages[index][1], policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def test_without_an_smtp_url_the_answer_goes_to_the_local_outbox(
        club: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ids = file_some(club)
    assert run(club, "answer", str(ids["reply"]), "--text", "Soon.") == 0
    assert len(list((club / ".tidings" / "outbox" / "new").iterdir())) == 1
    assert "outbox" in capsys.readouterr().out


HOSTILE = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=300)


@settings(max_examples=150, deadline=None)
@given(name=HOSTILE, subject=HOSTILE, member_id=HOSTILE, body=HOSTILE, answer=HOSTILE)
def test_member_text_never_becomes_a_header_of_the_answer(tmp_path_factory: pytest.TempPathFactory,
                                                          name: str, subject: str, member_id: str,
                                                          body: str, answer: str) -> None:
    root = tmp_path_factory.getbasetemp() / "hostile-answer"
    root.mkdir(exist_ok=True)
    (root / "pyproject.toml").write_text(PYPROJECT, encoding="utf-8")
    config = load_config(root)
    item = followups.Followup(
        id=7, source="reply", kind=None, issue="december", survey=None, subscriber_id=None,
        email="member@example.org", name=name, subject=subject, body=body, message_id=member_id,
        state="open", owner=None, received_at=T0, answered_at=None, resolved_at=None)
    data, message_id = answer_message(config, item, [], answer or "ok", lang="en", moment=T0)
    message = email.message_from_bytes(data, policy=email.policy.default)
    assert sorted(message.keys()) == sorted(
        {"From", "To", "Subject", "Date", "Message-ID", "Content-Language", "MIME-Version", "Content-Type",
         "Content-Transfer-Encoding"} | ({"In-Reply-To", "References"} if message["In-Reply-To"] else set()))
    assert message["To"].addresses[0].addr_spec == "member@example.org"
    assert message["Message-ID"] == message_id
    assert all(len(line) <= 998 for line in data.split(b"\r\n"))
    assert message.defects == []


class RefusingHandler(CatchingHandler):
    """A relay that knows no such mailbox."""

    async def handle_RCPT(self, server: object, session: object, envelope: object,  # noqa: N802
                          address: str, options: list[str]) -> str:
        return "550 5.1.1 mailbox unavailable"


def test_an_answer_the_relay_refuses_is_a_clear_error_and_is_not_recorded(
        club: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    ids = file_some(club)
    with LocalSMTPServer(RefusingHandler()) as server:
        monkeypatch.setenv("TIDINGS_SMTP_URL", server.url)
        assert run(club, "answer", str(ids["reply"]), "--text", "Soon.") == 1
    err = capsys.readouterr().err
    assert "550" in err and "Traceback" not in err
    with open_database(club).connect() as c:
        assert followups.get(c, ids["reply"]).state == "open"  # type: ignore[union-attr]
        assert followups.thread(c, ids["reply"]) == []


def test_the_same_commands_work_on_postgresql(club: Path, monkeypatch: pytest.MonkeyPatch,
                                              postgres_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("TIDINGS_DATABASE_URL", postgres_url)
    assert run(club) == 0
    ids = file_some(club)
    handler = CatchingHandler()
    with LocalSMTPServer(handler) as server:
        monkeypatch.setenv("TIDINGS_SMTP_URL", server.url)
        assert run(club, "assign", str(ids["survey"]), "Mia") == 0
        assert run(club, "answer", str(ids["reply"]), "--text", "Pian.") == 0
        assert run(club, "resolve", str(ids["anonymous"])) == 0
    capsys.readouterr()
    assert run(club, "list") == 0
    lines = [line.split("\t") for line in capsys.readouterr().out.splitlines()]
    assert [(f[0], f[1], f[3]) for f in lines] == [(str(ids["reply"]), "answered", ""),
                                                 (str(ids["survey"]), "open", "Mia")]
    assert caught(handler)["In-Reply-To"] == MEMBER_ID
    assert not (club / ".tidings" / "tidings.sqlite").exists()


def test_a_stored_address_with_a_line_break_is_refused_not_mailed(
        club: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    with open_database(club).begin() as c:
        key = followups.open_followup(c, source="reply", body="Hi", received_at=T0,
                                      email="member@example.org\r\nBcc: other@example.org")
    assert key is not None
    handler = CatchingHandler()
    with LocalSMTPServer(handler) as server:
        monkeypatch.setenv("TIDINGS_SMTP_URL", server.url)
        assert run(club, "answer", str(key), "--text", "Hello") == 1
    err = capsys.readouterr().err
    assert "not a single email address" in err and "Traceback" not in err
    assert handler.messages == []
    with open_database(club).connect() as c:
        assert followups.get(c, key).state == "open"  # type: ignore[union-attr]
