"""Outside text never becomes a header: names, subjects and addresses in every message we build."""

from __future__ import annotations

import email
import email.policy
import re
from dataclasses import replace
from email.header import decode_header, make_header
from email.message import EmailMessage
from pathlib import Path

import idna
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import MakeRepo, run_coroutine
from tests.test_newsletter import NOW, PYPROJECT, REPO, SECRET
from tidings.cli import main
from tidings.config import Config, load_config
from tidings.content import load
from tidings.delivery.headers import address_header
from tidings.delivery.plain import confirmation_message
from tidings.delivery.transport import SMTPTransport, parse_smtp_url
from tidings.errors import DeliveryError, InputError
from tidings.inputs import has_control, single_line
from tidings.mail.catcher import CatchingHandler, LocalSMTPServer
from tidings.mail.message import MessageTemplate, Recipient
from tidings.mail.render import IssueRenderer, RenderedIssue
from tidings.mail.sender import recipient_of
from tidings.repo_check import check_all
from tidings.store import open_database
from tidings.store.importer import import_csv
from tidings.store.schema import subscribers
from tidings.store.subscribers import add, get, normalize_email
from tidings.tokens import Signer

INJECTED = "Eve\r\nBcc: victim@example.org\r\n\r\nYou won a prize"
ISSUE_HEADERS = {"To", "Date", "Message-ID", "List-Unsubscribe", "From", "Subject", "List-Id",
                 "List-Unsubscribe-Post", "Reply-To", "MIME-Version", "Content-Type", "Content-Language"}
CONFIRMATION_HEADERS = {"From", "To", "Subject", "Date", "Message-ID", "MIME-Version", "Content-Type",
                        "Content-Transfer-Encoding", "Content-Language"}
ENCODED_WORD_RE = re.compile(rb"=\?[^?\s]+\?[bBqQ]\?[^?\s]*\?=")


def parse(data: bytes) -> EmailMessage:
    message = email.message_from_bytes(data, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def head_of(data: bytes) -> bytes:
    return data.split(b"\r\n\r\n", 1)[0]


def display_name(data: bytes, message: EmailMessage, name: str = "To") -> str:
    """The display name as RFC 2047 (6.2) and mail clients read it.

    Python 3.11's parser keeps the space between two adjacent encoded-words of a display name
    (CPython gh-128110), which RFC 2047 says is ignored; for those, decode the raw phrase.
    """
    parsed = message[name].addresses[0].display_name
    lines = head_of(data).decode("utf-8").replace("\r\n ", " ").split("\r\n")
    value = next(line for line in lines if line.startswith(f"{name}: "))[len(name) + 2:]
    raw_phrase = value.rpartition(" <")[0]
    if "=?" not in raw_phrase:
        return parsed
    decoded = str(make_header(decode_header(raw_phrase)))
    assert decoded.replace(" ", "") == parsed.replace(" ", "")  # the same text either way
    return decoded


def assert_clean(data: bytes, expected_headers: set[str], *, line_limit: int = 998) -> EmailMessage:
    """Parses with no defect anywhere, has exactly the expected headers, no overlong line."""
    message = parse(data)
    assert set(message.keys()) == expected_headers
    assert len(message.keys()) == len(expected_headers)  # no header twice
    assert message.defects == []
    for name in message:
        assert message[name].defects == (), (name, message[name].defects)
    for part in message.walk():
        assert part.defects == []
    assert all(len(line) <= 998 for line in data.split(b"\r\n"))
    head = head_of(data)
    for line in head.split(b"\r\n"):
        if b"<https://" not in line and b"<mailto:" not in line:  # a URL cannot be folded
            assert len(line) <= line_limit, line
    for word in ENCODED_WORD_RE.findall(head):
        assert len(word) <= 75, word
    return message


@pytest.fixture
def repo(make_repo: MakeRepo) -> Path:
    files = {**REPO}
    files["newsletters/december.md"] = files["newsletters/december.md"].replace("{subject}", "December news")
    return make_repo(files, pyproject=PYPROJECT)


@pytest.fixture
def issue(repo: Path) -> tuple[RenderedIssue, Config]:
    community = load(repo)
    return IssueRenderer(community, community.newsletters[0], NOW).render(), community.config


def build(issue: tuple[RenderedIssue, Config], recipient: Recipient) -> bytes:
    rendered, config = issue
    return MessageTemplate(rendered, config, Signer(SECRET)).build(recipient, NOW)


def confirmation(config: Config, name: str | None, address: str = "eve@example.org") -> bytes:
    return confirmation_message(config, name, address, "https://collect.club.example.org/confirm/TOKEN",
                                message_id="<confirm.1@club.example.org>", moment=NOW)


# -- CR/LF in a name ----------------------------------------------------------------------------

def test_a_name_with_a_line_break_never_becomes_a_header_in_a_newsletter(
        repo: Path, issue: tuple[RenderedIssue, Config]) -> None:
    engine = open_database(repo)
    with engine.begin() as connection:
        add(connection, "eve@example.org", name=INJECTED)
        subscriber = get(connection, "eve@example.org")
    assert subscriber is not None and subscriber.name == "Eve Bcc: victim@example.org You won a prize"
    data = build(issue, recipient_of(subscriber))
    message = assert_clean(data, ISSUE_HEADERS)
    assert display_name(data, message) == subscriber.name
    assert message["To"].addresses[0].addr_spec == "eve@example.org"


def test_a_stored_name_with_a_line_break_is_made_one_line_by_the_builder(
        issue: tuple[RenderedIssue, Config]) -> None:
    # Rows stored before names were cleaned still reach the builder.
    data = build(issue, Recipient("9", "eve@example.org", INJECTED))
    message = assert_clean(data, ISSUE_HEADERS)
    assert display_name(data, message) == single_line(INJECTED)
    assert b"\r\nBcc:" not in data and "You won a prize" not in message.get_body(("plain",)).get_content()


def test_a_name_with_a_line_break_never_becomes_a_header_in_the_confirmation_mail(repo: Path) -> None:
    data = confirmation(load_config(repo), INJECTED)
    message = assert_clean(data, CONFIRMATION_HEADERS)
    assert display_name(data, message) == single_line(INJECTED)
    assert "You won a prize" not in message.get_content()


@pytest.mark.parametrize("address", ["eve@example.org\r\nBcc: x@example.org", "eve@exam\x00ple.org",
                                     "Eve <eve@example.org>"])
def test_an_address_with_a_control_character_or_markup_is_refused(
        issue: tuple[RenderedIssue, Config], address: str) -> None:
    with pytest.raises(InputError):
        build(issue, Recipient("9", address, "Eve"))


def test_render_to_an_address_with_a_line_break_is_refused_with_a_clear_error(
        repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TIDINGS_SECRET", SECRET)
    code = main(["--root", str(repo), "newsletter", "render", "december",
                 "--to", "eve@example.org\r\nBcc: victim@example.org"])
    assert code == 1
    assert "not a single email address" in capsys.readouterr().err
    assert not list((repo / ".tidings" / "preview").glob("*.eml"))


@pytest.mark.parametrize(("key", "value"), [
    ("unsubscribe_mailto", "leave@club.example.org\r\nBcc: x@example.org"),
    ("collector_url", "https://collect.example.org/\r\nBcc: x@example.org"),
])
def test_a_setting_with_a_line_break_never_becomes_a_header(
        make_repo: MakeRepo, key: str, value: str) -> None:
    # check refuses such a setting; the builder refuses it again if a Config is made some other way.
    files = {**REPO}
    files["newsletters/december.md"] = files["newsletters/december.md"].replace("{subject}", "News")
    community = load(make_repo(files, pyproject=PYPROJECT))
    community = replace(community, config=replace(community.config, **{key: value}))
    rendered = IssueRenderer(community, community.newsletters[0], NOW).render()
    with pytest.raises(InputError):
        build((rendered, community.config), Recipient("5", "m@example.org"))


@pytest.mark.parametrize("setting", [
    'unsubscribe_mailto = "leave@club.example.org\\r\\nBcc: x@example.org"',
    'collector_url = "https://collect.example.org/\\nBcc: x@example.org"',
    'newsletter_from = "Club <news@club.example.org>\\r\\nBcc: x@example.org"',
    'list_id = "Club\\u0000 <club.example.org>"',
    'name = "Club\\rBcc: x@example.org"',
])
def test_check_reports_a_header_setting_with_a_control_character(make_repo: MakeRepo, setting: str) -> None:
    key = setting.split(" ")[0]
    pyproject = "\n".join(line for line in PYPROJECT.splitlines() if not line.startswith(key))
    _, problems = check_all(make_repo({**REPO}, pyproject=f"{pyproject}\n{setting}\n"))
    found = [p for p in problems if p.field == key]
    assert found and found[0].path == "pyproject.toml" and found[0].line > 0
    assert "control character" in found[0].message


# -- subjects -----------------------------------------------------------------------------------

def test_a_subject_with_a_line_break_is_reported_by_check(make_repo: MakeRepo) -> None:
    files = {**REPO}
    files["newsletters/december.md"] = files["newsletters/december.md"].replace(
        '"{subject}"', '"News\\r\\nBcc: victim@example.org"')
    _, problems = check_all(make_repo(files, pyproject=PYPROJECT))
    found = [p for p in problems if p.field == "subject"]
    assert found and found[0].path == "newsletters/december.md" and found[0].line == 2
    assert "control character" in found[0].message


@pytest.mark.parametrize("subject", ["News\r\nBcc: victim@example.org", "News\x00", "Tab\there", "N\x85L"])
def test_the_builder_refuses_a_subject_with_a_control_character(
        issue: tuple[RenderedIssue, Config], subject: str) -> None:
    rendered, config = issue
    with pytest.raises(InputError) as raised:
        MessageTemplate(replace(rendered, subject=subject), config, Signer(SECRET))
    assert raised.value.field == "Subject"


# -- long and non-ASCII -------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["Ελένη" * 16, "林宇辰" * 27, "Ä" + "x" * 150, "Jyrki " * 30 + "Määttä",
                                  "a" * 190, "O'Brien, Seán " * 12, "Dr. J. R. \"Bob\" Dobbs " * 8])
def test_a_long_name_folds_into_short_encoded_words_and_lines(
        issue: tuple[RenderedIssue, Config], repo: Path, name: str) -> None:
    for data, headers in ((build(issue, Recipient("5", "m@example.org", name)), ISSUE_HEADERS),
                          (confirmation(load_config(repo), name, "m@example.org"), CONFIRMATION_HEADERS)):
        assert head_of(data).isascii()
        message = assert_clean(data, headers, line_limit=78)
        assert display_name(data, message) == name.strip()


def test_a_long_non_ascii_subject_folds_into_short_encoded_words(
        issue: tuple[RenderedIssue, Config]) -> None:
    rendered, config = issue
    subject = "Νέα του Δεκεμβρίου: η κοινότητα μεγαλώνει και " * 4
    data = MessageTemplate(replace(rendered, subject=subject.strip()), config, Signer(SECRET)).build(
        Recipient("5", "m@example.org", "Ann"), NOW)
    message = assert_clean(data, ISSUE_HEADERS, line_limit=78)
    assert message["Subject"] == subject.strip()


def test_the_confirmation_subject_is_rfc2047_encoded_for_a_non_ascii_community_name(
        make_repo: MakeRepo) -> None:
    community = 'name = "Kanarialintuyhdistys ry – Ääni"'
    root = make_repo({}, pyproject=PYPROJECT.replace('name = "Canary Club"', community))
    data = confirmation(load_config(root), "Äijä Öhman")
    assert head_of(data).isascii()
    message = assert_clean(data, CONFIRMATION_HEADERS, line_limit=78)
    assert message["Subject"] == "Please confirm your subscription to Kanarialintuyhdistys ry – Ääni"
    assert display_name(data, message) == "Äijä Öhman"
    assert "Kanarialintuyhdistys ry – Ääni" in message.get_content()
    assert message["Content-Transfer-Encoding"] != "8bit"
    assert all(len(line) <= 78 for line in data.split(b"\r\n"))


def test_a_non_ascii_community_name_keeps_list_id_and_from_parseable(make_repo: MakeRepo) -> None:
    pyproject = PYPROJECT.replace('name = "Canary Club"', 'name = "Yhteisö ry"').replace(
        "Canary Club <news", "Yhteisö ry <news")
    files = {**REPO}
    files["newsletters/december.md"] = files["newsletters/december.md"].replace("{subject}", "News")
    community = load(make_repo(files, pyproject=pyproject))
    rendered = IssueRenderer(community, community.newsletters[0], NOW).render()
    data = build((rendered, community.config), Recipient("5", "m@example.org", "Ann"))
    message = assert_clean(data, ISSUE_HEADERS, line_limit=78)
    assert message["List-Id"] == "Yhteisö ry <yhteis-ry.club.example.org>"
    assert display_name(data, message, "From") == "Yhteisö ry"


def test_a_non_ascii_site_host_and_file_name_keep_message_id_and_list_id_ascii(
        make_repo: MakeRepo) -> None:
    pyproject = PYPROJECT.replace("https://club.example.org/", "https://yhteisö.example/")
    files = {**REPO}
    files["newsletters/joulukuu-äänestys.md"] = files.pop("newsletters/december.md").replace(
        "{subject}", "News")
    community = load(make_repo(files, pyproject=pyproject))
    rendered = IssueRenderer(community, community.newsletters[0], NOW).render()
    data = build((rendered, community.config), Recipient("5", "m@example.org", "Ann"))
    assert head_of(data).isascii()
    message = assert_clean(data, ISSUE_HEADERS, line_limit=78)
    assert re.fullmatch(r"<joulukuu-+nestys\.[0-9a-f]{20}@xn--yhteis-1xa\.example>", message["Message-ID"])
    assert message["List-Id"] == "Canary Club <canary-club.xn--yhteis-1xa.example>"
    # The collector builds the confirmation's Message-ID from the same host.
    data = confirmation_message(community.config, "Ann", "m@example.org", "https://yhteisö.example/c",
                                message_id="<confirm.1@yhteisö.example>", moment=NOW)
    message = assert_clean(data, CONFIRMATION_HEADERS, line_limit=78)
    assert message["Message-ID"] == "<confirm.1@xn--yhteis-1xa.example>"


@pytest.mark.parametrize("list_id", ["Club<news.club.example.org>", "news.club.example.org",
                                     "  Klubi ry   <news.club.example.org> "])
def test_a_configured_list_id_in_any_usual_form_is_written_as_rfc_2919(make_repo: MakeRepo,
                                                                       list_id: str) -> None:
    files = {**REPO}
    files["newsletters/december.md"] = files["newsletters/december.md"].replace("{subject}", "News")
    community = load(make_repo(files, pyproject=PYPROJECT + f'list_id = "{list_id}"\n'))
    rendered = IssueRenderer(community, community.newsletters[0], NOW).render()
    message = assert_clean(build((rendered, community.config), Recipient("5", "m@example.org")),
                           ISSUE_HEADERS, line_limit=78)
    assert message["List-Id"].endswith("<news.club.example.org>")


# -- the subscriber list ------------------------------------------------------------------------

def test_subscribers_add_stores_a_one_line_name(repo: Path) -> None:
    assert main(["--root", str(repo), "subscribers", "add", "eve@example.org",
                 "--name", "Eve\r\nBcc: x@example.org"]) == 0
    with open_database(repo).connect() as connection:
        subscriber = get(connection, "eve@example.org")
    assert subscriber is not None and subscriber.name == "Eve Bcc: x@example.org"


def test_a_name_with_nul_and_line_breaks_is_stored_cleaned_on_postgresql(postgres_url: str) -> None:
    engine = open_database(url=postgres_url)
    with engine.begin() as connection:
        subscriber, _ = add(connection, "eve@example.org", name="Eve\x00\r\nBcc: x@example.org")
    assert subscriber.name == "Eve Bcc: x@example.org"


def test_subscribers_add_refuses_a_name_that_is_not_text(repo: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    # A name given as bytes that are not UTF-8 reaches Python as lone surrogates.
    assert main(["--root", str(repo), "subscribers", "add", "eve@example.org", "--name", "Eve\udcff"]) == 1
    assert "name" in capsys.readouterr().err


def test_a_csv_name_with_a_quoted_newline_is_stored_on_one_line(repo: Path, tmp_path: Path) -> None:
    path = tmp_path / "list.csv"
    path.write_text('email,name\neve@example.org,"Eve\r\nBcc: x@example.org"\n', encoding="utf-8")
    engine = open_database(repo)
    import_csv(engine, path)
    with engine.connect() as connection:
        subscriber = get(connection, "eve@example.org")
    assert subscriber is not None and subscriber.name == "Eve Bcc: x@example.org"


def test_subscribers_list_prints_one_unforgeable_line_per_subscriber(
        repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    engine = open_database(repo)
    with engine.begin() as connection:
        add(connection, "ann@example.org", name="Ann")
        add(connection, "eve@example.org", name="Eve")
        # As rows stored before names were cleaned (or by another tool) may hold.
        connection.execute(subscribers.update().where(subscribers.c.email == "eve@example.org").values(
            name="Eve\tconfirmed\nmallory@example.org\tconfirmed\tMallory\\"))
    assert main(["--root", str(repo), "subscribers", "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2
    assert all(len(line.split("\t")) == 6 for line in lines)
    assert [line.split("\t")[0] for line in lines] == ["ann@example.org", "eve@example.org"]
    assert lines[1].split("\t")[2] == "Eve\\tconfirmed\\nmallory@example.org\\tconfirmed\\tMallory\\\\"


# -- internationalised addresses ----------------------------------------------------------------

def send_to(server: LocalSMTPServer, recipient: str, data: bytes) -> None:
    transport = SMTPTransport(parse_smtp_url(server.url))

    async def go() -> None:
        await transport.open(1)
        try:
            await transport.send(0, "news@club.example.org", recipient, data)
        finally:
            await transport.close()

    run_coroutine(go())


def test_an_idn_domain_goes_out_as_punycode_and_is_accepted(issue: tuple[RenderedIssue, Config]) -> None:
    data = build(issue, Recipient("5", "user@bücher.example", "Jörg Weiß"))
    assert head_of(data).isascii()
    message = assert_clean(data, ISSUE_HEADERS, line_limit=78)
    assert message["To"].addresses[0].addr_spec == "user@xn--bcher-kva.example"
    handler = CatchingHandler()
    with LocalSMTPServer(handler) as server:  # no SMTPUTF8 needed
        send_to(server, "user@bücher.example", data)
    assert handler.messages == [(["user@xn--bcher-kva.example"], data)]


def test_a_non_ascii_local_part_goes_out_with_smtputf8(issue: tuple[RenderedIssue, Config]) -> None:
    data = build(issue, Recipient("5", "üser@example.org", "Jörg"))
    # RFC 6532: the address is UTF-8 in the header; everything else stays ASCII.
    assert head_of(data).replace("üser".encode(), b"user").isascii()
    message = email.message_from_string(data.decode("utf-8"), policy=email.policy.default)
    assert message["To"].addresses[0].addr_spec == "üser@example.org"
    # Python's parser knows only RFC 5322, which has no non-ASCII local part: that one note only.
    assert [type(d).__name__ for d in message["To"].defects] == ["NonASCIILocalPartDefect"]
    assert message.defects == []
    handler = CatchingHandler()
    with LocalSMTPServer(handler, enable_SMTPUTF8=True) as server:
        send_to(server, "üser@example.org", data)
    assert handler.messages == [(["üser@example.org"], data)]


def test_a_relay_without_smtputf8_rejects_a_non_ascii_local_part_without_a_bounce(
        issue: tuple[RenderedIssue, Config]) -> None:
    data = build(issue, Recipient("5", "üser@example.org", None))
    with LocalSMTPServer(CatchingHandler()) as server, pytest.raises(DeliveryError) as raised:
        send_to(server, "üser@example.org", data)
    # Permanent for this relay, but the address is not dead: the subscriber is not marked bounced.
    assert raised.value.permanent and not raised.value.recipient_refused
    assert "SMTPUTF8" in str(raised.value)


# -- whatever text comes in ---------------------------------------------------------------------

TRICKY = st.sampled_from(list("\r\n\x00\t\x0b\x1b\x7f\x85\x9f\u2028\u2029 \xa0\u3000"
                              "ab=?\"\\<>@,;:.()[]'éß中🙂"))
TEXT = st.one_of(
    st.text(st.characters(exclude_categories=("Cs",)), max_size=120),
    st.text(TRICKY, max_size=80),
    st.text(st.characters(exclude_categories=("Cs",)), min_size=400, max_size=1500),
)
QUICK = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@QUICK
@given(name=TEXT)
def test_any_name_parses_back_as_the_cleaned_name_with_no_extra_header(
        issue: tuple[RenderedIssue, Config], name: str) -> None:
    data = build(issue, Recipient("5", "m@example.org", name))
    assert head_of(data).isascii()
    message = assert_clean(data, ISSUE_HEADERS, line_limit=78)
    assert display_name(data, message) == single_line(name)
    assert message["To"].addresses[0].addr_spec == "m@example.org"


@QUICK
@given(name=TEXT, local=st.sampled_from(["m", "first.last", "o'brien", "x+tag"]),
       domain=st.sampled_from(["example.org", "bücher.example", "例え.example"]))
def test_any_name_in_the_confirmation_mail_parses_back(repo: Path, name: str, local: str,
                                                       domain: str) -> None:
    data = confirmation(load_config(repo), name, f"{local}@{domain}")
    message = assert_clean(data, CONFIRMATION_HEADERS, line_limit=78)
    address = message["To"].addresses[0]
    assert display_name(data, message) == single_line(name)
    assert address.username == local and address.domain == domain.encode("idna").decode()


DOMAINS = ["example.org", "bücher.example", "例え.example", "exa mple.org", "ex\nample.org"]
ADDRESSES = st.one_of(
    st.emails(),
    TEXT,
    st.builds("{}@{}".format,
              st.text(st.one_of(TRICKY, st.sampled_from(list("abc.+-_'ü中"))), min_size=1, max_size=20),
              st.sampled_from(DOMAINS)),
)


@QUICK
@given(raw=ADDRESSES)
def test_any_address_is_refused_or_parses_back(issue: tuple[RenderedIssue, Config], raw: str) -> None:
    try:
        stored, _ = normalize_email(raw)
    except ValueError:  # not an address the store keeps: the builder refuses it or keeps it inert
        try:
            data = build(issue, Recipient("5", raw, "Ann"))
        except InputError:
            return
        assert set(parse(data).keys()) == ISSUE_HEADERS
        return
    data = build(issue, Recipient("5", stored, "Ann"))
    message = email.message_from_string(data.decode("utf-8"), policy=email.policy.default)
    assert set(message.keys()) == ISSUE_HEADERS and message.defects == []
    local, _, domain = stored.rpartition("@")
    allowed = [] if local.isascii() else ["NonASCIILocalPartDefect"]  # RFC 6532, unknown to Python
    assert [type(d).__name__ for d in message["To"].defects] == allowed
    assert message["To"].addresses[0].addr_spec == f"{local}@{idna.encode(domain, uts46=True).decode()}"
    assert all(len(line) <= 998 for line in data.split(b"\r\n"))


@QUICK
@given(subject=TEXT)
def test_any_subject_parses_back_or_is_refused(issue: tuple[RenderedIssue, Config], subject: str) -> None:
    rendered, config = issue
    if has_control(subject):
        with pytest.raises(InputError):
            MessageTemplate(replace(rendered, subject=subject), config, Signer(SECRET))
        return
    template = MessageTemplate(replace(rendered, subject=subject), config, Signer(SECRET))
    message = assert_clean(template.build(Recipient("5", "m@example.org"), NOW), ISSUE_HEADERS,
                           line_limit=78)
    assert message["Subject"] == subject.strip()


@QUICK
@given(display=TEXT)
def test_any_sender_display_name_parses_back(display: str) -> None:
    data = address_header("Reply-To", display, "team@club.example.org") + b"Subject: x\r\n\r\nbody\r\n"
    message = parse(data)
    assert set(message.keys()) == {"Reply-To", "Subject"}
    assert message["Reply-To"].defects == ()
    assert display_name(data, message, "Reply-To") == single_line(display)
    assert all(len(line) <= 78 for line in data.split(b"\r\n"))
