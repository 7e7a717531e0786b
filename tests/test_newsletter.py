"""A newsletter issue as a subscriber gets it: headers, parts, personal links, and its checks."""

from __future__ import annotations

import email
import email.policy
import hashlib
import re
import subprocess
import sys
import time
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from itsdangerous import TimestampSigner

from tests.conftest import REPO_ROOT, MakeRepo
from tidings.content import load
from tidings.errors import TokenError
from tidings.mail.message import MessageTemplate, Recipient
from tidings.mail.render import IssueRenderer
from tidings.repo_check import check_all
from tidings.tokens import Signer

NOW = datetime(2026, 11, 23, 12, tzinfo=UTC)
SECRET = "test-secret-" + "x" * 20

PYPROJECT = """\
[tool.tidings]
name = "Canary Club"
site_url = "https://club.example.org/"
timezone = "Europe/Helsinki"
collector_url = "https://collect.club.example.org/"
newsletter_from = "Canary Club <news@club.example.org>"
reply_to = "Club team <team@club.example.org>"
unsubscribe_mailto = "leave@club.example.org"
"""

REPO = {
    "content/announcements/public.md": """
        ---
        title: Public news
        date: 2026-11-01
        summary: A summary of public news.
        ---
        Public body with [a rule](../../guidelines/rules.md#be-kind).
        """,
    "content/announcements/secret.md": """
        ---
        title: Big release
        date: 2027-01-14T10:00
        ---
        The whole early story.
        """,
    "content/events/call.md": """
        ---
        title: Monthly call
        start: 2026-12-03T18:00
        duration: PT1H
        timezone: Europe/Helsinki
        repeat: FREQ=MONTHLY;BYDAY=1TH
        ---
        """,
    "content/surveys/pulse.md": """
        ---
        id: pulse
        title: Pulse
        closes: 2027-01-31
        questions:
          - id: happy
            text: Are you happy?
            options: [Yes, No]
        ---
        """,
    "guidelines/rules.md": "---\ntitle: Rules\n---\n## Be kind {#be-kind}\n\nText.\n",
    "newsletters/december.md": """
        ---
        subject: "{subject}"
        send_at: 2026-12-03T09:00
        preheader: What is new.
        include:
          - content/announcements/public.md
          - content/announcements/secret.md
          - content/events/call.md
        survey: pulse
        ---
        Hello everyone, this is the **intro**.
        """,
}


def make(make_repo: MakeRepo, subject: str = "December news", **extra: str) -> Path:
    files = {**REPO, **extra}
    files["newsletters/december.md"] = files["newsletters/december.md"].replace("{subject}", subject)
    return make_repo(files, pyproject=PYPROJECT)


def build(root: Path, recipient: Recipient) -> tuple[bytes, EmailMessage]:
    community = load(root)
    rendered = IssueRenderer(community, community.newsletters[0], NOW).render(recipient.timezone)
    data = MessageTemplate(rendered, community.config, Signer(SECRET)).build(recipient, NOW)
    message = email.message_from_bytes(data, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return data, message


ANN = Recipient(id="17", email="ann@example.org", name="Ann Example")


def test_message_is_multipart_alternative_with_readable_text_and_html(make_repo: MakeRepo) -> None:
    _, message = build(make(make_repo), ANN)
    assert message.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in message.iter_parts()] == ["text/plain", "text/html"]
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "Hello everyone, this is the intro." in text  # Markdown rendered, not dumped
    assert "<" not in text.replace("<https://", "")  # no markup in the text part
    assert "Big release" in text and "The whole early story." in text
    assert "<strong>intro</strong>" in html


def test_headers_date_message_id_list_headers_and_reply_to(make_repo: MakeRepo) -> None:
    _, message = build(make(make_repo), ANN)
    assert message["From"] == "Canary Club <news@club.example.org>"
    assert message["To"] == "Ann Example <ann@example.org>"
    assert message["Reply-To"] == "Club team <team@club.example.org>"
    assert message["Date"].datetime == NOW
    assert re.fullmatch(r"<december\.[0-9a-f]{20}@club\.example\.org>", message["Message-ID"])
    assert message["List-Id"] == "Canary Club <canary-club.club.example.org>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    https, mailto = [u.strip(" <>") for u in str(message["List-Unsubscribe"]).split(",")]
    assert https.startswith("https://collect.club.example.org/u/")
    assert mailto.startswith("mailto:leave@club.example.org?subject=unsubscribe%20")


@pytest.mark.parametrize("subject", [
    "Joulukuun uutiset: yhteisöpuhelu ja äänestys",
    "Neuigkeiten im Dezember: Größere Übersichtskarten",
    "Νέα του Δεκεμβρίου: η κοινότητα μεγαλώνει",
    "十二月社区通讯：离线地图新功能",
])
def test_non_ascii_subjects_and_names_are_rfc2047_encoded(make_repo: MakeRepo, subject: str) -> None:
    name = {"J": "Äijä Öhman", "N": "Jörg Weiß", "Ν": "Ελένη Καρρά", "十": "林宇辰"}[subject[0]]
    data, message = build(make(make_repo, subject), Recipient("5", "m@example.org", name))
    head = data.split(b"\r\n\r\n", 1)[0]
    assert head.isascii()
    assert b"=?utf-8?" in head
    assert message["Subject"] == subject
    assert message["To"].addresses[0].display_name == name


def test_every_line_is_short_enough_for_smtp(make_repo: MakeRepo) -> None:
    data, _ = build(make(make_repo), ANN)
    assert max(len(line) for line in data.split(b"\r\n")) <= 998
    assert b"\n" not in data.replace(b"\r\n", b"")  # CRLF only


def test_personal_links_differ_per_subscriber_and_verify_with_the_key(make_repo: MakeRepo) -> None:
    root = make(make_repo)
    signer = Signer(SECRET)
    links = {}
    for recipient in (ANN, Recipient("18", "bob@example.org", "Bob")):
        _, message = build(root, recipient)
        html = message.get_body(("html",)).get_content()
        unsubscribe = re.findall(r"https://collect\.club\.example\.org/u/([\w.-]+)", html)
        survey = re.findall(r"https://collect\.club\.example\.org/s/([\w.-]+)\?q=happy&amp;a=(\d)", html)
        assert len(set(unsubscribe)) == 1 and [a for _, a in survey] == ["0", "1"]
        assert signer.verify("unsubscribe", unsubscribe[0]) == [recipient.id, "december"]
        assert signer.verify("survey", survey[0][0]) == [recipient.id, "december", "pulse"]
        links[recipient.id] = (unsubscribe[0], survey[0][0])
    assert links["17"] != links["18"]
    with pytest.raises(TokenError):
        Signer("another-key-" + "y" * 20).verify("unsubscribe", links["17"][0])
    with pytest.raises(TokenError):
        signer.verify("survey", links["17"][0])  # a token for one purpose is useless for another


def test_link_tokens_are_the_tokens_itsdangerous_signs(monkeypatch: pytest.MonkeyPatch) -> None:
    """Signing is sped up, not changed: any itsdangerous TimestampSigner with the key checks them."""
    monkeypatch.setattr(time, "time", lambda: 1_796_000_000.25)
    token = Signer(SECRET).sign("unsubscribe", "17", "december")
    plain = TimestampSigner(SECRET, salt="tidings.unsubscribe", digest_method=hashlib.sha256)
    payload = token.rsplit(".", 2)[0]
    assert plain.sign(payload).decode() == token
    assert plain.unsign(token, max_age=60) == payload.encode()


def test_message_id_is_stable_per_issue_and_subscriber(make_repo: MakeRepo) -> None:
    root = make(make_repo)
    first = build(root, ANN)[1]["Message-ID"]
    assert build(root, ANN)[1]["Message-ID"] == first
    assert build(root, Recipient("18", "bob@example.org"))[1]["Message-ID"] != first


def test_early_access_item_is_marked_and_not_linked_to_the_site(make_repo: MakeRepo) -> None:
    _, message = build(make(make_repo), ANN)
    text = message.get_body(("plain",)).get_content()
    assert "Early access · public on Thursday, January 14, 2027" in text
    html = message.get_body(("html",)).get_content()
    assert "announcements/secret" not in html
    assert 'href="https://club.example.org/announcements/public/"' in html
    assert 'href="https://club.example.org/guidelines/rules/#be-kind"' not in html  # teaser only


def test_events_show_in_the_subscribers_timezone_when_known(make_repo: MakeRepo) -> None:
    root = make(make_repo)
    _, default = build(root, ANN)
    assert "18:00–19:00 EET (UTC+02:00)" in default.get_body(("plain",)).get_content()
    taipei = Recipient("19", "lin@example.org", "Lin", timezone=ZoneInfo("Asia/Taipei"))
    text = build(root, taipei)[1].get_body(("plain",)).get_content()
    assert "Friday, December 4, 2026, 00:00–01:00 CST (UTC+08:00)" in text
    assert "https://club.example.org/events/call.ics" in text


def test_no_tracking_pixel_and_no_click_tracking(make_repo: MakeRepo) -> None:
    _, message = build(make(make_repo), ANN)
    html = message.get_body(("html",)).get_content()
    assert re.findall(r"<img\b", html) == []  # nothing to load at all in this issue
    hosts = set(re.findall(r'href="https?://([^/"]+)', html))
    assert hosts <= {"club.example.org", "collect.club.example.org"}


def test_render_command_writes_eml_and_html_for_one_subscriber(make_repo: MakeRepo, tmp_path: Path) -> None:
    root = make(make_repo)
    done = subprocess.run(
        [sys.executable, "-m", "tidings", "--root", str(root), "newsletter", "render", "december",
         "--to", "someone@example.org", "--html", str(tmp_path / "o.html"), "--eml", str(tmp_path / "o.eml")],
        capture_output=True, text=True, env={"TIDINGS_SECRET": SECRET, "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 0, done.stderr
    assert "file://" in done.stdout
    message = email.message_from_bytes((tmp_path / "o.eml").read_bytes(), policy=email.policy.default)
    assert message["To"] == "someone@example.org"
    html = (tmp_path / "o.html").read_text()
    assert "%%tidings" not in html and "/u/" in html


def test_example_newsletter_renders_and_checks_clean() -> None:
    community, problems = check_all(REPO_ROOT, NOW)
    # the example translates some items only: the missing ones are a notice, by design
    assert [p for p in problems if p.severity != "notice"] == []
    assert community is not None
    rendered = IssueRenderer(community, community.newsletters[0], NOW).render()
    assert len(rendered.html.encode()) < 100 * 1024


def test_check_reports_closed_survey_long_subject_and_relative_images(make_repo: MakeRepo) -> None:
    root = make(make_repo,
                "A subject that goes on and on and on, far longer than any inbox would show it, really")
    letter = root / "newsletters/december.md"
    letter.write_text(letter.read_text().replace("survey: pulse", "survey: pulse\n")
                      + "\n![team photo](../photos/team.jpg)\n<img src=\"/img/x.png\">\n")
    (root / "content/surveys/pulse.md").write_text(
        (root / "content/surveys/pulse.md").read_text().replace("closes: 2027-01-31", "closes: 2026-12-01"))
    (root / "photos").mkdir()
    (root / "photos/team.jpg").write_bytes(b"jpg")
    _, problems = check_all(root, NOW)
    found = [str(p) for p in problems]
    assert found == [
        "newsletters/december.md:2: warning: subject is 85 characters: inboxes cut it after about 78",
        "newsletters/december.md:9: survey 'pulse' is closed at send_at (2026-12-03T09:00:00+02:00): "
        "its buttons would not work",
        "newsletters/december.md:14: image '../photos/team.jpg' needs an absolute https:// URL (or a "
        "file under assets/, published with the site): mail clients cannot load it",
        "newsletters/december.md:15: image '/img/x.png' needs an absolute https:// URL",
    ]


def test_template_override_and_template_errors_name_file_and_line(make_repo: MakeRepo) -> None:
    root = make(make_repo, **{"newsletters/templates/newsletter.mjml.j2": """
        {% extends "base.mjml.j2" %}
        {% block footer %}<mj-section><mj-column>
        <mj-text>Custom footer {{ unsubscribe_url }}</mj-text>
        </mj-column></mj-section>{% endblock %}
        """})
    _, message = build(root, ANN)
    assert "Custom footer https://collect.club.example.org/u/" in message.get_body(("html",)).get_content()
    (root / "newsletters/templates/newsletter.mjml.j2").write_text(
        '{% extends "base.mjml.j2" %}\n{% block footer %}\n{{ no_such_thing.x }}\n{% endblock %}\n')
    _, problems = check_all(root, NOW)
    assert [str(p) for p in problems] == [
        "newsletters/templates/newsletter.mjml.j2:3: template error: 'no_such_thing' is undefined"]
    (root / "newsletters/templates/newsletter.mjml.j2").write_text(
        '{% extends "base.mjml.j2" %}\n{% block footer %}<mj-sektion></mj-sektion>{% endblock %}\n')
    _, problems = check_all(root, NOW)
    assert "unknown MJML tag <mj-sektion>" in str(problems[0])


def test_past_issue_joins_the_web_archive_only_when_all_its_news_is_public(make_repo: MakeRepo) -> None:
    from tidings.site.engine import build_site

    root = make(make_repo)
    after_send = build_site(root, datetime(2026, 12, 10, tzinfo=UTC), root / "a").site_dir
    assert not (after_send / "newsletters").exists()  # it told 'Big release' early: not yet
    assert "Big release" not in (after_send / "search/search_index.json").read_text()
    later = build_site(root, datetime(2027, 1, 15, tzinfo=UTC), root / "b").site_dir
    page = (later / "newsletters/december/index.html").read_text()
    assert "December news" in page and "Big release" in page and "Hello everyone" in page
    assert "%%tidings" not in page and "/u/" not in page and "collect.club" not in page
    assert "newsletters/" in (later / "index.html").read_text()  # in the navigation
