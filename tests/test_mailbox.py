"""The reply mailbox against a real IMAP server (Dovecot on 127.0.0.1): replies become follow-ups
threaded by issue, ARF complaints and DSN bounces set the subscriber's state, and nothing is filed
twice. The newsletters replied to are real ones, sent by the real sender through aiosmtpd."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from imapclient import IMAPClient

from tests.conftest import MakeRepo
from tests.imap_support import PASSWORD, Dovecot, DovecotMissing, free_port, throwaway_dovecot
from tests.test_send import SECRET, address, make_community, send
from tidings.cli import main
from tidings.mail.catcher import CatchingHandler, LocalSMTPServer
from tidings.mail.preview import render_preview
from tidings.mailbox import fetch_mailbox
from tidings.mailbox.client import ImapMailbox, open_mailbox
from tidings.mailbox.settings import ImapSettings
from tidings.store import followups
from tidings.store.report_queries import issue_counts
from tidings.store.schema import consent_events, send_log
from tidings.store.subscribers import get

SLUG = "december"


@pytest.fixture(scope="module")
def dovecot() -> Iterator[Dovecot]:
    try:
        with throwaway_dovecot() as server:
            yield server
    except DovecotMissing as exc:
        pytest.skip(str(exc))


@dataclass
class Community:
    root: Path
    engine: sa.Engine
    sent: dict[str, bytes]  # each member's newsletter as the relay received it
    box: IMAPClient  # the test's own connection to the mailbox, to deliver and to look

    def deliver(self, *messages: bytes) -> None:
        for message in messages:
            self.box.append("INBOX", message)

    def unseen(self) -> int:
        self.box.select_folder("INBOX")
        return len(self.box.search(["UNSEEN"]))

    def fetch(self, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
        status = main(["--root", str(self.root), "followups", "fetch"])
        out, err = capsys.readouterr()
        return status, out + err

    def state(self, member: int) -> str:
        with self.engine.connect() as c:
            found = get(c, address(member))
            assert found is not None
            return found.state

    def followups(self) -> list[followups.Followup]:
        with self.engine.connect() as c:
            return followups.listing(c, states=followups.STATES)


@pytest.fixture
def community(make_repo: MakeRepo, dovecot: Dovecot, monkeypatch: pytest.MonkeyPatch,
              request: pytest.FixtureRequest) -> Iterator[Community]:
    monkeypatch.delenv("TIDINGS_DATABASE_URL", raising=False)
    monkeypatch.setenv("TIDINGS_SECRET", SECRET)
    user = f"news-{request.node.name[:40]}-{free_port()}"
    monkeypatch.setenv("TIDINGS_IMAP_URL", dovecot.url(user))
    root, engine = make_community(make_repo, 4)
    handler = CatchingHandler()
    with LocalSMTPServer(handler) as server:
        send(root, engine, server)
    sent = {rcpts[0]: data for rcpts, data in handler.messages}
    box = IMAPClient(dovecot.host, port=dovecot.port, ssl=False, timeout=10)
    box.login(user, PASSWORD)
    box.select_folder("INBOX")
    try:
        yield Community(root, engine, sent, box)
    finally:
        box.logout()


def header_of(message: bytes, name: str) -> str:
    head = message.split(b"\r\n\r\n", 1)[0].decode("utf-8").replace("\r\n ", " ").replace("\r\n\t", " ")
    prefix = name.lower() + ":"
    return next(line.split(": ", 1)[1] for line in head.split("\r\n") if line.lower().startswith(prefix))


def crlf(text: str) -> bytes:
    return text.strip("\n").replace("\n", "\r\n").encode("utf-8") + b"\r\n"


def reply(to: bytes, *, sender: str, body: str, mid: str, extra: str = "") -> bytes:
    """A member's reply to one of our messages, as a mail client writes it (quote included)."""
    return crlf(f"""From: Member <{sender}>
To: Canary Club <news@club.example.org>
Subject: Re: December at the club
Date: Tue, 01 Dec 2026 10:00:00 +0200
Message-ID: {mid}
In-Reply-To: {header_of(to, "Message-ID")}
References: {header_of(to, "Message-ID")}
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8
{extra}
{body}

On Mon, 30 Nov 2026 at 09:00, Canary Club <news@club.example.org> wrote:
> Hello!
> Some news.
""")


def arf(original: bytes, *, rcpt_to: str | None, feedback_type: str = "abuse") -> bytes:
    """RFC 5965 Appendix B.2 (the complete example), about ``original``."""
    rcpt = f"Original-Rcpt-To: {rcpt_to}\n" if rcpt_to else ""
    return crlf(f"""From: <abusedesk@mailbox-provider.example.net>
Date: Thu, 8 Mar 2005 17:40:36 EDT
Subject: FW: December at the club
To: <abuse@club.example.org>
Message-ID: <arf-{abs(hash(original)) % 10**9}@mailbox-provider.example.net>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=feedback-report;
     boundary="part1_13d.2e68ed54_boundary"

--part1_13d.2e68ed54_boundary
Content-Type: text/plain; charset="US-ASCII"
Content-Transfer-Encoding: 7bit

This is an email abuse report for an email message received from IP
192.0.2.2 on Thu, 8 Mar 2005 14:00:00 EDT.  For more information
about this format please see http://www.mipassoc.org/arf/.

--part1_13d.2e68ed54_boundary
Content-Type: message/feedback-report

Feedback-Type: {feedback_type}
User-Agent: SomeGenerator/1.0
Version: 1
Original-Mail-From: <news@club.example.org>
{rcpt}Arrival-Date: Thu, 8 Mar 2005 14:00:00 EDT
Reporting-MTA: dns; mail.mailbox-provider.example.net
Source-IP: 192.0.2.2
Authentication-Results: mail.mailbox-provider.example.net;
               spf=fail smtp.mail=news@club.example.org
Reported-Domain: club.example.org
Removal-Recipient: user@mailbox-provider.example.net

--part1_13d.2e68ed54_boundary
Content-Type: message/rfc822
Content-Disposition: inline
""") + b"\r\n" + original + crlf("\n--part1_13d.2e68ed54_boundary--")


def dsn(original: bytes, *, recipient: str, action: str, status: str, part: str = "message/rfc822") -> bytes:
    """RFC 3464 Appendix "Simple DSN", about ``original`` (attached as ``part``), with the given
    action and status."""
    return crlf(f"""Date: Thu, 7 Jul 1994 17:16:05 -0400
From: Mail Delivery Subsystem <MAILER-DAEMON@relay.example.net>
Message-Id: <199407072116.RAA14128-{status}@relay.example.net>
Subject: Returned mail: Cannot send message
To: <news@club.example.org>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status;
     boundary="RAA14128.773615765/relay.example.net"

--RAA14128.773615765/relay.example.net

The original message was received at Sat, 2 Jul 1994 17:10:28 -0400
from root@localhost

   ----- The following addresses had delivery problems -----
<{recipient}>  (unrecoverable error)

--RAA14128.773615765/relay.example.net
content-type: message/delivery-status

Reporting-MTA: dns; relay.example.net

Original-Recipient: rfc822;{recipient}
Final-Recipient: rfc822;{recipient}
Action: {action}
Status: {status}
Diagnostic-Code: smtp; 550 user unknown
Last-Attempt-Date: Thu, 7 Jul 1994 17:15:49 -0400

--RAA14128.773615765/relay.example.net
content-type: {part}
""") + b"\r\n" + original + crlf("\n--RAA14128.773615765/relay.example.net--")


def consent_sources(community: Community, member: int) -> list[tuple[str, str | None]]:
    with community.engine.connect() as c:
        found = get(c, address(member))
        assert found is not None
        rows = c.execute(sa.select(consent_events.c.source, consent_events.c.detail).where(
            consent_events.c.subscriber_id == found.id).order_by(consent_events.c.id)).all()
    return [(r.source, r.detail) for r in rows]


def test_a_reply_to_an_issue_becomes_a_followup_of_that_issue(
        community: Community, capsys: pytest.CaptureFixture[str]) -> None:
    community.deliver(reply(community.sent[address(1)], sender=address(1), mid="<r1@example.org>",
                            body="Will the meetup be online too?"))
    status, out = community.fetch(capsys)
    assert status == 0, out
    assert "1 replies filed" in out and "1 unseen messages read" in out
    assert address(1) not in out  # the output names no member
    (item,) = community.followups()
    assert (item.source, item.issue, item.email, item.state) == ("reply", SLUG, address(1), "open")
    assert item.body == "Will the meetup be online too?"  # the quoted newsletter is cut off
    assert item.subject == "Re: December at the club" and item.message_id == "<r1@example.org>"
    with community.engine.connect() as c:
        member = get(c, address(1))
    assert member is not None and item.subscriber_id == member.id
    assert community.unseen() == 0


def test_a_members_second_reply_to_the_same_issue_joins_their_open_followup(
        community: Community, capsys: pytest.CaptureFixture[str]) -> None:
    issue = community.sent[address(1)]
    community.deliver(reply(issue, sender=address(1), mid="<first@example.org>", body="Great news!"),
                      reply(issue, sender=address(1).upper(), mid="<second@example.org>",
                            body="PS: the link to the call is missing."),
                      reply(community.sent[address(2)], sender=address(2), mid="<other@example.org>",
                            body="Me too."))
    status, out = community.fetch(capsys)
    assert status == 0, out
    assert "3 replies filed (2 new follow-ups, 1 added to a follow-up's thread" in out
    first, other = community.followups()
    assert (first.email, other.email) == (address(1), address(2))
    with community.engine.connect() as c:
        assert [m.body for m in followups.thread(c, first.id)] == ["PS: the link to the call is missing."]


def test_a_reply_to_our_answer_joins_that_followups_thread(
        community: Community, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    community.deliver(reply(community.sent[address(2)], sender=address(2), mid="<r1@example.org>",
                            body="Is there a Finnish version?"))
    assert community.fetch(capsys)[0] == 0
    (item,) = community.followups()
    handler = CatchingHandler()
    with LocalSMTPServer(handler) as server:  # the team answers with the real command
        monkeypatch.setenv("TIDINGS_SMTP_URL", server.url)
        with ThreadPoolExecutor(1) as pool:  # ``answer`` runs an event loop of its own
            args = ["--root", str(community.root), "followups", "answer", str(item.id), "--text", "Soon."]
            assert pool.submit(main, args).result() == 0
    ((_, answer),) = handler.messages
    community.deliver(reply(answer, sender=address(2), mid="<r2@example.org>", body="When exactly?"))
    status, out = community.fetch(capsys)
    assert status == 0, out
    assert f"1 added to a follow-up's thread: #{item.id}" in out
    (again,) = community.followups()
    assert again.id == item.id and again.state == "open"  # reopened by the member's new message
    with community.engine.connect() as c:
        thread = followups.thread(c, item.id)
    assert [(m.direction, m.body) for m in thread] == [("out", "Soon."), ("in", "When exactly?")]
    assert thread[-1].message_id == "<r2@example.org>"


def test_an_arf_complaint_marks_the_subscriber_complained(
        community: Community, capsys: pytest.CaptureFixture[str]) -> None:
    community.deliver(arf(community.sent[address(0)], rcpt_to=address(0)))
    status, out = community.fetch(capsys)
    assert status == 0, out
    assert "1 complaints" in out
    assert community.state(0) == "complained"
    assert {community.state(i) for i in (1, 2, 3)} == {"confirmed"}
    source, detail = consent_sources(community, 0)[-1]
    assert source == "arf" and detail is not None and "abuse report <arf-" in detail and SLUG in detail
    assert community.followups() == []


def test_a_redacted_arf_finds_the_subscriber_by_the_unsubscribe_link(
        community: Community, capsys: pytest.CaptureFixture[str]) -> None:
    original = community.sent[address(3)].replace(address(3).encode(), b"redacted@example.net")
    community.deliver(arf(original, rcpt_to=None))
    status, out = community.fetch(capsys)
    assert status == 0, out
    assert community.state(3) == "complained"


def test_reports_and_replies_about_a_preview_copy_change_nobody(
        community: Community, capsys: pytest.CaptureFixture[str]) -> None:
    preview = render_preview(community.root, SLUG, datetime.now(UTC), address(0)).message
    community.deliver(arf(preview, rcpt_to=address(0)),
                      dsn(preview, recipient=address(1), action="failed", status="5.1.1"),
                      reply(preview, sender=address(2), mid="<about-the-test@example.org>", body="Typo!"))
    status, out = community.fetch(capsys)
    assert status == 0, out
    assert "a complaint about a preview or test copy" in out and "a bounce of a preview or test copy" in out
    assert "a reply to a test copy of an issue" in out and community.followups() == []
    assert community.state(0) == community.state(1) == "confirmed"


def test_a_dsn_with_a_permanent_failure_marks_the_subscriber_bounced(
        community: Community, capsys: pytest.CaptureFixture[str]) -> None:
    community.deliver(dsn(community.sent[address(2)], recipient=address(2), action="failed", status="5.1.1"))
    status, out = community.fetch(capsys)
    assert status == 0, out
    assert "1 bounces" in out
    assert community.state(2) == "bounced"
    source, detail = consent_sources(community, 2)[-1]
    assert source == "dsn" and detail is not None and detail.startswith("5.1.1 report <199407072116")
    with community.engine.connect() as c:
        states = dict(c.execute(sa.select(send_log.c.subscriber_id, send_log.c.state)).all())
        (counts,) = issue_counts(c, [SLUG], datetime(2100, 1, 1, tzinfo=UTC))
    assert sorted(states.values()) == ["bounced", "sent", "sent", "sent"]
    assert (counts.recipients, counts.delivered, counts.bounced) == (4, 3, 1)  # as the monthly report says


def test_a_dsn_for_a_forwarded_address_finds_the_subscriber_by_the_message_id(
        community: Community, capsys: pytest.CaptureFixture[str]) -> None:
    head = community.sent[address(1)].split(b"\r\n\r\n", 1)[0] + b"\r\n"
    head = b"\r\n".join(line for line in head.split(b"\r\n") if not line.startswith(b"List-Unsubscribe"))
    community.deliver(dsn(head, recipient="old-alias@forwarder.example.net", action="failed",
                          status="5.1.1", part="text/rfc822-headers"))
    status, out = community.fetch(capsys)
    assert status == 0, out
    assert community.state(1) == "bounced" and {community.state(i) for i in (0, 2, 3)} == {"confirmed"}


def test_a_dsn_with_a_delay_or_a_4xx_status_changes_nothing(
        community: Community, capsys: pytest.CaptureFixture[str]) -> None:
    community.deliver(dsn(community.sent[address(2)], recipient=address(2), action="delayed", status="4.4.7"),
                      dsn(community.sent[address(3)], recipient=address(3), action="failed", status="4.0.0"))
    status, out = community.fetch(capsys)
    assert status == 0, out
    assert "2 × a delayed or temporary failure (4.x.x): nothing changes" in out
    assert community.state(2) == community.state(3) == "confirmed"
    assert community.unseen() == 0


def test_automatic_replies_are_ignored(community: Community, capsys: pytest.CaptureFixture[str]) -> None:
    to = community.sent[address(1)]
    community.deliver(
        reply(to, sender=address(1), mid="<ooo1@example.org>", body="I am away.",
              extra="Auto-Submitted: auto-replied"),
        reply(to, sender=address(2), mid="<ooo2@example.org>", body="Out of office until Monday.",
              extra="Precedence: auto_reply").replace(b"Subject: Re:", b"Subject: Out of office: Re:"),
        reply(to, sender=address(3), mid="<ooo3@example.org>", body="Away.", extra="Precedence: bulk"))
    status, out = community.fetch(capsys)
    assert status == 0, out
    assert "3 ignored" in out and "automatic reply (Auto-Submitted: auto-replied)" in out
    assert community.followups() == []


def test_a_copy_of_our_own_issue_is_not_a_members_reply(
        community: Community, capsys: pytest.CaptureFixture[str]) -> None:
    community.deliver(community.sent[address(0)])  # the reply address was on the list itself
    status, out = community.fetch(capsys)
    assert status == 0, out
    assert "our own message" in out and community.followups() == []


class CrashAfterFiling(ImapMailbox):
    """The run stops (power cut, kill) after a message is filed, before it is marked seen."""

    def mark_seen(self, uid: int) -> None:
        raise KeyboardInterrupt


@contextmanager
def crashing_mailbox(settings: ImapSettings) -> Iterator[Any]:
    with open_mailbox(settings) as mailbox:
        yield CrashAfterFiling(mailbox.client, settings)


def test_a_message_read_again_after_a_crash_is_filed_once(
        community: Community, capsys: pytest.CaptureFixture[str]) -> None:
    community.deliver(reply(community.sent[address(1)], sender=address(1), mid="<once@example.org>",
                            body="Just once, please."))
    with pytest.raises(KeyboardInterrupt):
        fetch_mailbox(community.root, opener=crashing_mailbox)
    assert len(community.followups()) == 1
    assert community.unseen() == 1  # the server still has it unseen
    status, out = community.fetch(capsys)
    assert status == 0, out
    assert "1 filed by an earlier run" in out and "0 replies filed" in out
    assert len(community.followups()) == 1
    assert community.unseen() == 0


def test_hostile_mail_never_stops_the_run(community: Community, capsys: pytest.CaptureFixture[str]) -> None:
    huge = "A long story. " * 300_000  # ~4 MB: read in part, filed cut
    community.deliver(
        crlf("To: news@club.example.org\nSubject: no sender\nMessage-ID: <h1@example.org>\n\nWho am I?"),
        crlf("From: a@example.org\nMessage-ID: <h2@example.org>\nMIME-Version: 1.0\n"
             "Content-Type: multipart/mixed; boundary=\"never-closed\"\n\n--never-closed\n"
             "Content-Type: text/plain; charset=x-unknown-charset\nContent-Transfer-Encoding: base64\n\n"
             "!!!not base64!!!"),
        b"From: =?utf-8?b?\xff\xfe?= <b@example.org>\r\nSubject: caf\xe9 \xff\x00 bar\r\n"
        b"Message-ID: <h3@example.org>\r\nIn-Reply-To: <\r\n\r\nbody \xff\xfe latin-1: caf\xe9\r\n",
        crlf(f"From: c@example.org\nMessage-ID: <h4@example.org>\nSubject: long\n\n{huge}"))
    status, out = community.fetch(capsys)
    assert status == 0, out
    assert "4 unseen messages read" in out
    assert "no sender address (From) to answer" in out
    items = {item.message_id: item for item in community.followups()}
    assert set(items) == {"<h2@example.org>", "<h3@example.org>", "<h4@example.org>"}
    assert "\x00" not in items["<h3@example.org>"].subject  # type: ignore[operator]
    long = items["<h4@example.org>"].body
    assert len(long) < 21_000 and long.endswith("[… the rest of this message was cut]")
    assert "the message was longer than a follow-up keeps" in out
    assert community.unseen() == 0


def test_an_unreachable_mailbox_is_one_clear_error(make_repo: MakeRepo, monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    root = make_repo({})
    monkeypatch.setenv("TIDINGS_SECRET", SECRET)
    monkeypatch.delenv("TIDINGS_DATABASE_URL", raising=False)
    port = free_port()  # nothing listens there
    monkeypatch.setenv("TIDINGS_IMAP_URL", Dovecot("127.0.0.1", port).url("news"))
    assert main(["--root", str(root), "followups", "fetch"]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"error: cannot reach the mailbox imap://127.0.0.1:{port}/INBOX")
    assert "Traceback" not in err and "s3cret" not in err and "news:" not in err


def test_a_wrong_password_is_one_clear_error(dovecot: Dovecot, make_repo: MakeRepo,
                                             monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    root = make_repo({})
    monkeypatch.setenv("TIDINGS_SECRET", SECRET)
    monkeypatch.delenv("TIDINGS_DATABASE_URL", raising=False)
    monkeypatch.setenv("TIDINGS_IMAP_URL", dovecot.url("news", password="wrong-one"))
    assert main(["--root", str(root), "followups", "fetch"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: cannot open the mailbox imap://127.0.0.1") and "wrong-one" not in err


def test_no_imap_setting_says_what_to_set(make_repo: MakeRepo, monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("TIDINGS_IMAP_URL", raising=False)
    assert main(["--root", str(make_repo({})), "followups", "fetch"]) == 1
    assert "TIDINGS_IMAP_URL is not set" in capsys.readouterr().err


def test_plain_text_imap_is_refused_beyond_loopback() -> None:
    from tidings.mailbox.client import is_loopback

    assert is_loopback("127.0.0.1") and is_loopback("localhost") and is_loopback("::1")
    assert not is_loopback("imap.example.org") and not is_loopback("192.0.2.1")



@pytest.fixture(scope="module")
def dovecot_tls() -> Iterator[Dovecot]:
    try:
        with throwaway_dovecot(tls=True) as server:
            yield server
    except DovecotMissing as exc:
        pytest.skip(str(exc))


def _reply_over(server: Dovecot, scheme: str, make_repo: MakeRepo, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A community whose mailbox on ``server`` holds one reply, read over ``scheme``."""
    monkeypatch.delenv("TIDINGS_DATABASE_URL", raising=False)
    monkeypatch.setenv("TIDINGS_SECRET", SECRET)
    user = f"tls-{scheme}-{free_port()}"
    monkeypatch.setenv("TIDINGS_IMAP_URL", server.url(user, scheme=scheme))
    box = IMAPClient(server.host, port=server.port, ssl=False, timeout=10)
    box.login(user, PASSWORD)
    box.append("INBOX", crlf("From: m@example.org\nSubject: Hello\nMessage-ID: <tls@example.org>\n\nHi!"))
    box.logout()
    return make_repo({})


@pytest.mark.parametrize("scheme", ["imaps", "imap"])
def test_tls_and_starttls_check_the_servers_certificate(
        scheme: str, dovecot_tls: Dovecot, make_repo: MakeRepo, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    root = _reply_over(dovecot_tls, scheme, make_repo, monkeypatch)
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    assert main(["--root", str(root), "followups", "fetch"]) == 1  # an authority nobody trusts
    err = capsys.readouterr().err
    assert "certificate verify failed" in err and "Traceback" not in err
    assert dovecot_tls.ca is not None
    monkeypatch.setenv("SSL_CERT_FILE", str(dovecot_tls.ca))  # now the system trusts it
    assert main(["--root", str(root), "followups", "fetch"]) == 0
    assert "1 replies filed" in capsys.readouterr().out
