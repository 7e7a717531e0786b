"""Each subscriber gets an issue in their language: real aiosmtpd on 127.0.0.1, parsed by ``email``."""

from __future__ import annotations

import asyncio
import email
import email.policy
import re
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import MakeRepo
from tidings.cli import main as cli_main
from tidings.content import load
from tidings.delivery.transport import SMTPTransport, parse_smtp_url
from tidings.labels import texts_for
from tidings.mail.catcher import CatchingHandler, LocalSMTPServer
from tidings.mail.languages import pick_language
from tidings.mail.sender import IssueSender, SendOptions, SendSummary
from tidings.repo_check import check_all
from tidings.store import open_database
from tidings.store.schema import send_log
from tidings.store.subscribers import add
from tidings.tokens import Signer

SECRET = "languages-test-secret-" + "k" * 16
PYPROJECT = """\
[tool.tidings]
name = "Canary Club"
site_url = "https://club.example.org/"
collector_url = "https://collect.club.example.org/"
timezone = "Europe/Helsinki"
languages = ["en", "fi", "de", "el", "zh"]
newsletter_from = "Canary Club <news@club.example.org>"
"""
ISSUE = """
    ---
    subject: December at the club
    preheader: News, a call and a question
    send_at: 2026-12-03T09:00
    include: [content/announcements/tern.md, content/announcements/early.md, content/events/call.md]
    survey: pulse
    ---
    Hello everyone! Read [the news](../content/announcements/tern.md).
    """
REPO = {
    "content/announcements/tern.md": "---\ntitle: Tern 4.0 is out\ndate: 2026-11-01\n---\nThe new version.\n",
    "content/announcements/tern.fi.md": "---\ntitle: Tern 4.0 on julkaistu\n---\nUusi versio.\n",
    "content/announcements/tern.zh.md": "---\ntitle: Tern 4.0 发布了\n---\n新版本。\n",
    "content/announcements/early.md": "---\ntitle: Big secret\ndate: 2027-01-10\n---\nThe early story.\n",
    "content/announcements/early.fi.md": "---\ntitle: Iso salaisuus\n---\nVarhainen tarina.\n",
    "content/events/call.md": """
        ---
        title: Community call
        start: 2026-12-03T18:00
        duration: PT1H
        repeat: FREQ=MONTHLY;BYDAY=1TH
        ---
        Every month.
        """,
    "content/events/call.fi.md": "---\ntitle: Yhteisöpuhelu\n---\nJoka kuukausi.\n",
    "content/surveys/pulse.md": """
        ---
        id: pulse
        title: Pulse
        questions:
          - id: useful
            text: Was it useful?
            options: [Yes, No]
        ---
        """,
    "content/surveys/pulse.fi.md": """
        ---
        title: Pulssi
        questions:
          - id: useful
            text: Oliko siitä hyötyä?
            options: [Kyllä, Ei]
        ---
        """,
    "newsletters/2026-12.md": ISSUE,
    "newsletters/2026-12.fi.md": """
        ---
        subject: Joulukuu kerhossa
        preheader: Uutisia, puhelu ja kysymys
        ---
        Hei kaikki! Lue [uutiset](../content/announcements/tern.md).
        """,
    "newsletters/2026-12.zh.md": "---\nsubject: 俱乐部的十二月\npreheader: 新闻和问题\n---\n大家好！\n",
}
MEMBERS = {  # address: language
    "aino@example.org": "fi",
    "wang@example.org": "zh-TW",
    "lena@example.org": "de",  # no German version: the default
    "sam@example.org": None,
}
FAST = SendOptions(concurrency=2, max_attempts=2, backoff=(0.05,))


def make_community(make_repo: MakeRepo, members: dict[str, str | None] = MEMBERS,
                   url: str | None = None, **extra: str) -> tuple[Path, sa.Engine]:
    root = make_repo({**REPO, **extra}, pyproject=PYPROJECT)
    engine = open_database(root, url)
    with engine.begin() as connection:
        for address, lang in members.items():
            add(connection, address, lang=lang, timezone="Europe/Helsinki")
    return root, engine


def sender(root: Path, engine: sa.Engine, server: LocalSMTPServer,
           options: SendOptions = FAST) -> IssueSender:
    community = load(root)
    transport = SMTPTransport(parse_smtp_url(server.url))
    return IssueSender(engine, community, community.newsletters[0], transport, Signer(SECRET), options)


def run(issue_sender: IssueSender) -> SendSummary:
    # A thread of its own: Playwright's sync API may hold this thread's event loop (browser tests).
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, issue_sender.run()).result()


def received(handler: CatchingHandler) -> dict[str, EmailMessage]:
    found = {}
    for recipients, data in handler.messages:
        message = email.message_from_bytes(data, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        found[recipients[0]] = message
    return found


def parts(message: EmailMessage) -> tuple[str, str]:
    """(text, html) of a multipart/alternative message."""
    found = {part.get_content_type(): part.get_content() for part in message.iter_parts()}
    return found["text/plain"], found["text/html"]


@pytest.fixture
def sent(make_repo: MakeRepo) -> tuple[Path, sa.Engine, dict[str, EmailMessage]]:
    root, engine = make_community(make_repo)
    handler = CatchingHandler()
    with LocalSMTPServer(handler) as server:
        summary = run(sender(root, engine, server))
    assert (summary.sent, summary.failed) == (4, 0)
    assert dict(handler.received) == {address: 1 for address in MEMBERS}
    return root, engine, received(handler)


def test_a_finnish_subscriber_gets_the_finnish_version_with_finnish_labels_and_links(
        sent: tuple[Path, sa.Engine, dict[str, EmailMessage]]) -> None:
    root, _, messages = sent
    message = messages["aino@example.org"]
    text, html = parts(message)
    fi = texts_for(load(root).config, "fi")
    assert str(message["Subject"]) == "Joulukuu kerhossa"
    assert message["Content-Language"] == "fi"
    assert re.search(r'<html[^>]*\blang="fi"', html)
    assert "Uutisia, puhelu ja kysymys" in html  # the Finnish preheader
    assert "Hei kaikki!" in html and "Hello everyone" not in html
    for label in ("mail.read_more", "mail.events", "mail.survey", "mail.unsubscribe"):
        assert fi[label] in html, label
    assert fi["mail.unsubscribe_text"].split(" (")[0] in text
    assert "Read more" not in html + text and "Unsubscribe" not in html + text
    # Included items, the event and the survey in Finnish, linking to the Finnish pages.
    assert "Tern 4.0 on julkaistu" in html and "Tern 4.0 is out" not in html
    assert "Iso salaisuus" in html and "Varhainen tarina." in html  # early access, told in full
    assert "Yhteisöpuhelu" in text and "Oliko siitä hyötyä?" in text and "Kyllä" in html
    assert "https://club.example.org/fi/announcements/tern/" in html + text
    assert "https://club.example.org/fi/events/call/" in html
    assert "https://club.example.org/announcements/tern/" not in html + text  # the intro's link too
    helsinki = ZoneInfo("Europe/Helsinki")
    assert fi.repeats("FREQ=MONTHLY;BYDAY=1TH", helsinki) in text  # never the RRULE
    assert fi.day(datetime(2026, 12, 3, 18, tzinfo=helsinki)) in text
    assert fi["mail.early_access"].format(date=fi.day(datetime(2027, 1, 10, tzinfo=helsinki))) in text


def test_a_chinese_subscriber_gets_the_chinese_version_and_untranslated_items_stay_in_their_language(
        sent: tuple[Path, sa.Engine, dict[str, EmailMessage]]) -> None:
    root, _, messages = sent
    message = messages["wang@example.org"]  # zh-TW reads the zh version
    text, html = parts(message)
    zh = texts_for(load(root).config, "zh")
    assert str(message["Subject"]) == "俱乐部的十二月"
    assert message["Content-Language"] == "zh"
    assert re.search(r'<html[^>]*\blang="zh"', html)
    assert zh["mail.read_more"] in html and zh["mail.survey"] in html and "Read more" not in html
    assert "Tern 4.0 发布了" in html and "https://club.example.org/zh/announcements/tern/" in html
    assert "Big secret" in html  # no Chinese version of it: its own
    assert zh.repeats("FREQ=MONTHLY;BYDAY=1TH", ZoneInfo("Europe/Helsinki")) in text


def test_a_subscriber_whose_language_has_no_version_gets_the_default(
        sent: tuple[Path, sa.Engine, dict[str, EmailMessage]]) -> None:
    _, engine, messages = sent
    for address in ("lena@example.org", "sam@example.org"):
        message = messages[address]
        text, html = parts(message)
        assert str(message["Subject"]) == "December at the club"
        assert message["Content-Language"] == "en"
        assert re.search(r'<html[^>]*\blang="en"', html)
        assert "Read more" in html and "Tern 4.0 is out" in html
        assert "every month on the first Thursday" in text
    with engine.connect() as connection:
        rows = Counter(state for (state,) in connection.execute(sa.select(send_log.c.state)))
    assert rows == {"sent": 4}  # one row per (issue, subscriber), whatever the language


@pytest.mark.parametrize(("lang", "expected"), [
    ("fi", "fi"), ("FI", "fi"), ("fi_FI", "fi"), ("zh-TW", "zh"), ("zh-Hant-TW", "zh"),
    ("pt-BR", "pt"), ("pt", "pt-BR"), ("de", "en"), (None, "en"), ("", "en"),
])
def test_a_subscriber_language_is_matched_to_a_version(lang: str | None, expected: str) -> None:
    versions = ["en", "fi", "zh", "pt"] if expected != "pt-BR" else ["en", "pt-BR"]
    assert pick_language(lang, versions, "en") == expected


@settings(max_examples=150, deadline=None)
@given(lang=st.one_of(st.none(), st.text(max_size=40),
                      st.sampled_from(["fi\r\nBcc: x@example.org", "zh\x00", "\x85fi", "pt-BR", "el-GR"])))
def test_any_stored_language_text_picks_one_of_the_versions(lang: str | None) -> None:
    assert pick_language(lang, ["en", "fi", "zh", "pt-BR"], "en") in {"en", "fi", "zh", "pt-BR"}


def test_two_senders_at_once_with_two_language_versions_send_everyone_once(
        make_repo: MakeRepo, postgres_url: str) -> None:
    members: dict[str, str | None] = {f"member{i:03d}@example.org": ("fi" if i % 2 else None)
                                      for i in range(120)}
    root, engine = make_community(make_repo, members, postgres_url)
    handler = CatchingHandler()
    with LocalSMTPServer(handler) as server:
        first, second = sender(root, engine, server), sender(root, engine, server)
        with ThreadPoolExecutor(2) as pool:
            summaries = list(pool.map(lambda s: asyncio.run(s.run()), [first, second]))
    engine_rows: Counter[str] = Counter()
    with engine.connect() as connection:
        engine_rows.update(state for (state,) in connection.execute(sa.select(send_log.c.state)))
    engine.dispose()
    assert dict(handler.received) == {address: 1 for address in members}
    assert sum(s.sent for s in summaries) == 120 and engine_rows == {"sent": 120}
    for address, message in received(handler).items():
        expected = "Joulukuu kerhossa" if members[address] == "fi" else "December at the club"
        assert str(message["Subject"]) == expected, address


# -- previews ------------------------------------------------------------------------------------
def main(argv: list[str]) -> int:
    """The CLI in a thread of its own (the session's Playwright holds the main thread's loop)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(cli_main, argv).result()


@pytest.fixture
def preview_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("TIDINGS_SMTP_URL", "TIDINGS_DATABASE_URL", "CI"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TIDINGS_SECRET", SECRET)


def test_render_lang_shows_any_language_version(make_repo: MakeRepo, preview_env: None,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    root = make_repo(REPO, pyproject=PYPROJECT)
    assert main(["--root", str(root), "newsletter", "render", "2026-12", "--lang", "fi",
                 "--at", "2026-12-03T09:00"]) == 0
    out = capsys.readouterr().out
    eml = root / ".tidings" / "preview" / "2026-12.fi.eml"
    assert "(fi)" in out and str(eml) in out
    message = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    assert str(message["Subject"]) == "Joulukuu kerhossa" and message["Content-Language"] == "fi"
    html = (root / ".tidings" / "preview" / "2026-12.fi.html").read_text(encoding="utf-8")
    assert 'lang="fi"' in html and "Tern 4.0 on julkaistu" in html
    # A language without a version: the copy such a subscriber gets, and a note saying so.
    assert main(["--root", str(root), "newsletter", "render", "2026-12", "--lang", "de",
                 "--at", "2026-12-03T09:00"]) == 0
    captured = capsys.readouterr()
    assert "(en)" in captured.out and "no 'de' version" in captured.err
    assert main(["--root", str(root), "newsletter", "render", "2026-12", "--lang", "gr"]) == 2
    err = capsys.readouterr().err
    assert "did you mean el" in err and "Traceback" not in err


def test_render_to_a_stored_subscriber_shows_their_language(make_repo: MakeRepo, preview_env: None,
                                                            tmp_path: Path) -> None:
    root, engine = make_community(make_repo)
    engine.dispose()
    eml = tmp_path / "wang.eml"
    assert main(["--root", str(root), "newsletter", "render", "2026-12", "--to", "wang@example.org",
                 "--eml", str(eml), "--html", str(tmp_path / "wang.html"), "--at", "2026-12-03T09:00"]) == 0
    message = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
    assert str(message["Subject"]) == "俱乐部的十二月" and message["Content-Language"] == "zh"


# -- check ---------------------------------------------------------------------------------------
def test_check_warns_when_a_second_issue_at_the_same_time_targets_a_language_of_the_first(
        make_repo: MakeRepo) -> None:
    finnish = "---\nsubject: Joulukuu\nsend_at: 2026-12-03T09:00\naudience: {lang: fi}\n---\nHei!\n"
    german = finnish.replace("{lang: fi}", "{lang: de}")
    later = finnish.replace("2026-12-03", "2026-12-10")
    root = make_repo({**REPO, "newsletters/2026-12-fi.md": finnish, "newsletters/later-fi.md": later},
                     pyproject=PYPROJECT, name="overlap")
    _, problems = check_all(root, datetime(2026, 11, 23, tzinfo=UTC))
    (overlap,) = [p for p in problems if "twice" in p.message]
    assert (overlap.path, overlap.severity) == ("newsletters/2026-12-fi.md", "warning")
    assert "newsletters/2026-12.md" in overlap.message and "newsletters/2026-12.fi.md" in overlap.message
    assert "they already get newsletters/2026-12.md in fi" in overlap.message  # its translation exists
    without_translation = {k: v for k, v in REPO.items() if k != "newsletters/2026-12.fi.md"}
    root = make_repo({**without_translation, "newsletters/2026-12-fi.md": finnish}, pyproject=PYPROJECT,
                     name="workaround")
    _, problems = check_all(root, datetime(2026, 11, 23, tzinfo=UTC))
    (overlap,) = [p for p in problems if "twice" in p.message]
    assert "make this file its translation newsletters/2026-12.fi.md" in overlap.message
    # Audiences in different languages, or issues at different times, never overlap.
    only_english = ISSUE.replace("send_at:", "audience: {lang: en}\n    send_at:")
    root = make_repo({**REPO, "newsletters/2026-12.md": only_english, "newsletters/2026-12-fi.md": finnish,
                      "newsletters/2026-12-de.md": german, "newsletters/later-fi.md": later},
                     pyproject=PYPROJECT, name="apart")
    _, problems = check_all(root, datetime(2026, 11, 23, tzinfo=UTC))
    assert [p for p in problems if "twice" in p.message] == []


def test_check_checks_each_language_version_of_an_issue(make_repo: MakeRepo) -> None:
    long_subject = "Joulukuu " + "pitkä " * 15
    root = make_repo({**REPO, "newsletters/2026-12.fi.md": f"""
        ---
        subject: {long_subject}
        ---
        Hei! ![kuva](kuva.png)
        """}, pyproject=PYPROJECT)
    _, problems = check_all(root, datetime(2026, 11, 23, tzinfo=UTC))
    mine = [p for p in problems if p.path == "newsletters/2026-12.fi.md"]
    assert any(p.field == "subject" and p.severity == "warning" and p.line == 2 for p in mine), mine
    assert any("'kuva.png' needs an absolute https:// URL" in p.message for p in mine), mine
    assert not [p for p in problems if p.path == "newsletters/2026-12.md" and p.severity == "error"]


def test_rendering_a_translation_by_its_file_name_says_how_to_ask_for_it(
        make_repo: MakeRepo, preview_env: None, capsys: pytest.CaptureFixture[str]) -> None:
    root = make_repo(REPO, pyproject=PYPROJECT)
    assert main(["--root", str(root), "newsletter", "render", "2026-12.fi"]) == 2
    err = capsys.readouterr().err
    assert "newsletter render 2026-12 --lang fi" in err and "Traceback" not in err


@pytest.mark.parametrize("lang", ["en", "fi"])
def test_a_preview_says_once_at_its_top_that_it_is_a_preview(make_repo: MakeRepo, preview_env: None,
                                                             lang: str) -> None:
    root = make_repo(REPO, pyproject=PYPROJECT)
    eml = root / "copy.eml"
    assert main(["--root", str(root), "newsletter", "render", "2026-12", "--lang", lang,
                 "--eml", str(eml), "--html", str(root / "copy.html")]) == 0
    message = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    text, html = parts(message)
    note = texts_for(load(root).config, lang)["mail.preview"]
    assert " ".join(text.split()).count(" ".join(note.split())) == 1
    assert html.count(note) == 1
