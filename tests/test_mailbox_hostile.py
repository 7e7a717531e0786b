"""Mail from outside is read without trusting it: any header bytes, any body, never an exception,
never a control character in what is stored. And ``TIDINGS_IMAP_URL`` never shows its password."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tidings.errors import ConfigError
from tidings.inputs import has_control
from tidings.mailbox.classify import classify
from tidings.mailbox.filing import file_incoming
from tidings.mailbox.parse import trim_quoted
from tidings.mailbox.settings import parse_imap_url
from tidings.mailbox.threads import Threads
from tidings.store import followups, open_database
from tidings.store.subscribers import add, iter_subscribers
from tidings.tokens import Signer

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)
SIGNER = Signer("hostile-mail-test-secret-" + "x" * 16)
HEADERS = ("From", "Subject", "Message-ID", "In-Reply-To", "References", "Date", "Content-Type",
           "Auto-Submitted", "Content-Transfer-Encoding")
# Raw header bytes as they may arrive: line breaks, NUL, 8-bit, encoded-words, angle brackets.
header_bytes = st.binary(max_size=300) | st.text(
    alphabet=st.sampled_from(list("ab@<>.=?\"\\:;, \t\r\n\x00\x85\u2028é中")) | st.characters(),
    max_size=200).map(lambda t: t.encode("utf-8", "surrogatepass"))


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> sa.Engine:
    engine = open_database(url=f"sqlite:///{tmp_path_factory.mktemp('hostile') / 'db.sqlite'}")
    with engine.begin() as c:
        add(c, "member@example.org", name="Member")
    return engine


def message(values: dict[str, bytes], body: bytes) -> bytes:
    head = b"".join(name.encode() + b": " + value + b"\r\n" for name, value in values.items())
    return head + b"\r\n" + body


SENDERS = [b"Member <member@example.org>", b"", b"=?utf-8?q?M=C3=A9mber?= <m@example.org>",
           b"x" * 300 + b"@example.org"]
MESSAGES = dict(values=st.dictionaries(st.sampled_from(HEADERS), header_bytes, max_size=len(HEADERS)),
                sender=st.sampled_from(SENDERS), body=st.binary(max_size=2000))


def file_one(engine: sa.Engine, values: dict[str, bytes], sender: bytes, body: bytes) -> None:
    """Classify and file one message; what is stored is one line where it must be, NUL-free."""
    incoming = classify(message({"From": sender, **values}, body), NOW)
    assert not incoming.reason.startswith("unreadable"), incoming.reason
    assert incoming.kind in ("reply", "ignored", "complaint", "bounce")
    with engine.begin() as c:
        outcome = file_incoming(c, incoming, Threads(c, SIGNER), NOW)
        if outcome.followup_id is not None:
            item = followups.get(c, outcome.followup_id)
            assert item is not None
            for one_line in (item.subject, item.name, item.email, item.message_id):
                assert one_line is None or not has_control(one_line)
            assert "\x00" not in item.body and "\r" not in item.body


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(**MESSAGES)
def test_any_header_bytes_are_read_and_filed_without_an_exception(
        engine: sa.Engine, values: dict[str, bytes], sender: bytes, body: bytes) -> None:
    file_one(engine, values, sender, body)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(**MESSAGES)
def test_any_header_bytes_fit_postgresqls_columns(
        postgres_url: str, values: dict[str, bytes], sender: bytes, body: bytes) -> None:
    engine = open_database(url=postgres_url)
    try:
        file_one(engine, values, sender, body)
    finally:
        engine.dispose()


@settings(max_examples=60, deadline=None)
@given(garbage=st.binary(max_size=3000))
def test_any_bytes_at_all_are_classified(garbage: bytes) -> None:
    incoming = classify(garbage, NOW)
    assert incoming.message_id.startswith("<") and incoming.message_id.endswith(">")


def test_quoted_history_and_signature_are_cut_but_inline_answers_stay() -> None:
    text = ("Yes, I can host.\n\n> Can you host in January?\nJanuary 14 works.\n\n-- \nAino\n"
            "Sent from my phone")
    assert trim_quoted(text) == "Yes, I can host.\n\nJanuary 14 works."
    assert trim_quoted("Kiitos!\n\nma 30.11.2026 klo 9.00 Canary Club kirjoitti:\n> Hei") == "Kiitos!"
    assert trim_quoted("> only a quote") == "> only a quote"  # nothing of their own: keep it all


def test_the_imap_url_is_percent_decoded_and_the_password_never_shown() -> None:
    settings_ = parse_imap_url("imaps://news%40club.example.org:p%40ss%2Fw%3Ard@imap.example.org/Replies")
    assert (settings_.username, settings_.password) == ("news@club.example.org", "p@ss/w:rd")
    assert (settings_.host, settings_.port, settings_.folder, settings_.tls) == (
        "imap.example.org", 993, "Replies", True)
    assert "p@ss" not in repr(settings_) and "p@ss" not in settings_.description
    plain = parse_imap_url("imap://u:p@127.0.0.1:1143")
    assert (plain.port, plain.folder, plain.tls) == (1143, "INBOX", False)


@pytest.mark.parametrize("url", ["smtp://u:secret-pw@host", "imaps://host:993", "imaps://u:secret-pw@host:99999",
                                 "imaps://u:secret-pw@", "imaps://u:secret%0Apw@host"])
def test_a_bad_imap_url_is_a_config_error_that_hides_the_password(url: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_imap_url(url)
    assert "secret" not in str(caught.value) and "TIDINGS_IMAP_URL" in str(caught.value)



def test_filing_works_the_same_on_postgresql(postgres_url: str) -> None:
    from tests.test_mailbox import arf, crlf, dsn

    engine = open_database(url=postgres_url)
    with engine.begin() as c:
        member, _ = add(c, "member@example.org")
        gone, _ = add(c, "gone@example.org")
    original = crlf("From: news@club.example.org\nTo: member@example.org\n"
                    "Message-ID: <x@club.example.org>\n\nHi")
    raw = [b"From: Member <member@example.org>\r\nSubject: caf\xe9 \x00\xff\r\n"
           b"Message-ID: <pg1@example.org>\r\n\r\nNUL \x00 and 8-bit \xff here\r\n",
           b"From: member@example.org\r\nIn-Reply-To: <pg1@example.org>\r\n"
           b"Message-ID: <pg2@example.org>\r\n\r\nMore",
           b"From: " + b"x" * 240 + b"@example.org\r\nIn-Reply-To: <pg2@example.org>\r\n"
           b"Message-ID: <pg3@example.org>\r\n\r\nFrom a long address",
           arf(original, rcpt_to="member@example.org"),
           dsn(original.replace(b"member@", b"gone@"), recipient="gone@example.org", action="failed",
               status="5.1.1")]
    with engine.begin() as c:
        outcomes = [file_incoming(c, classify(r, NOW), Threads(c, SIGNER), NOW).kind for r in raw]
        assert outcomes == ["opened", "continued", "continued", "complained", "bounced"]
        (item,) = followups.listing(c)
        assert "\x00" not in item.body
        assert [m.body for m in followups.thread(c, item.id)] == ["More", "From a long address"]
        states = {s.email: s.state for s in iter_subscribers(c)}
    assert states == {"member@example.org": "complained", "gone@example.org": "bounced"}
    assert member.id != gone.id
    engine.dispose()


def test_an_html_only_reply_is_filed_as_its_text() -> None:
    raw = (b"From: m@example.org\r\nMessage-ID: <html@example.org>\r\nMIME-Version: 1.0\r\n"
           b"Content-Type: text/html; charset=iso-8859-1\r\n\r\n<html><head><style>p{}</style></head><body>"
           b"<p>Caf\xe9 on <b>Friday</b>?</p><script>alert(1)</script><blockquote>On Monday you wrote:"
           b"</blockquote></body></html>")
    incoming = classify(raw, NOW)
    assert incoming.kind == "reply" and incoming.text == "Café on Friday?"  # the quote is cut too
