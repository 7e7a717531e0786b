"""The newsletter as a member gets it: `render --to` and `send --to` build the same message, and a
preview or test copy is marked, has its own Message-ID and cannot change anything."""

from __future__ import annotations

import email
import email.policy
import re
import shutil
import subprocess
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.collector_support import SECRET, form_csrf, running_collector, snapshot
from tests.conftest import PULSE_SURVEY, MakeRepo
from tidings.cli import main as cli_main
from tidings.content import load
from tidings.embargo import newsletter_is_public
from tidings.mail.catcher import CatchingHandler, LocalSMTPServer
from tidings.mail.message import MessageTemplate, Recipient
from tidings.mail.preview import render_preview
from tidings.mail.render import IssueRenderer
from tidings.store import open_database
from tidings.store.subscribers import add
from tidings.tokens import Signer

NOW = datetime(2026, 11, 23, 12, tzinfo=UTC)
LONG_QUOTE = ("Tern let me walk the whole coastal path without a single bar of signal, and the "
              "offline routing found the ferry I had forgotten about; I recommend it to everyone.")
PYPROJECT = """\
[tool.tidings]
name = "Canary Club"
site_url = "https://club.example.org/"
timezone = "Europe/Helsinki"
collector_url = "https://collect.club.example.org/"
newsletter_from = "Canary Club <news@club.example.org>"
"""

REPO = {
    "content/announcements/public.md": """
        ---
        title: Public news
        date: 2026-11-01
        summary: A summary of public news.
        ---
        Public body.
        """,
    "content/announcements/secret.md": """
        ---
        title: Big release
        date: 2027-01-14T10:00
        ---
        The whole early story.
        """,
    "content/stories/walk.md": f"""
        ---
        title: A long walk
        date: 2026-11-02
        member: Aino
        consent: true
        quote: "{LONG_QUOTE}"
        ---
        The story.
        """,
    "content/events/call.md": """
        ---
        title: Monthly call
        start: 2026-12-03T18:00
        duration: PT1H
        timezone: Europe/Helsinki
        url: https://meet.example.org/canary-club-monthly-call-with-a-rather-long-room-name
        ---
        """,
    "content/surveys/pulse.md": PULSE_SURVEY.format(closes="2099-01-01"),
    "newsletters/december.md": """
        ---
        subject: December news
        send_at: 2026-12-03T09:00
        preheader: What is new this month.
        include:
          - content/announcements/public.md
          - content/announcements/secret.md
          - content/stories/walk.md
          - content/events/call.md
        survey: pulse
        ---
        Hello everyone. Get the app from <https://apps.example.org/canary> today.
        """,
}


def parse(data: bytes) -> EmailMessage:
    message = email.message_from_bytes(data, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def text_of(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    assert part is not None
    return str(part.get_content())


def html_of(message: EmailMessage) -> str:
    part = message.get_body(("html",))
    assert part is not None
    return str(part.get_content())


def cli(argv: list[str]) -> int:
    """The CLI in a thread of its own: the session's Playwright holds the main thread's loop."""
    with ThreadPoolExecutor(1) as pool:
        return int(pool.submit(cli_main, argv).result())


@pytest.fixture
def club(make_repo: MakeRepo, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The repo with one stored subscriber: Lin, in Taipei."""
    monkeypatch.setenv("TIDINGS_SECRET", SECRET)
    monkeypatch.delenv("TIDINGS_SMTP_URL", raising=False)
    monkeypatch.delenv("TIDINGS_DATABASE_URL", raising=False)
    monkeypatch.delenv("CI", raising=False)
    root = make_repo(REPO, pyproject=PYPROJECT)
    engine = open_database(root)
    with engine.begin() as connection:
        add(connection, "lin@example.org", name="Lin Yuchen", timezone="Asia/Taipei")
    engine.dispose()
    return root


def without_personal_parts(text: str) -> str:
    """The text with tokens, preview marks and Message-ID-like values taken out."""
    return re.sub(r"/(u|s)/[\w.-]+", "/TOKEN", text)


# -- one code path for render --to and send --to ---------------------------------------------------

def test_render_to_a_subscriber_is_what_send_to_delivers(club: Path, tmp_path: Path) -> None:
    eml = tmp_path / "lin.eml"
    assert cli(["--root", str(club), "newsletter", "render", "december", "--to", "lin@example.org",
                "--eml", str(eml), "--html", str(tmp_path / "lin.html")]) == 0
    rendered = parse(eml.read_bytes())
    handler = CatchingHandler()
    with LocalSMTPServer(handler) as server, pytest.MonkeyPatch.context() as patch:
        patch.setenv("TIDINGS_SMTP_URL", server.url)
        assert cli(["--root", str(club), "newsletter", "send", "december", "--to", "lin@example.org"]) == 0
    [(rcpts, data)] = handler.messages
    assert rcpts == ["lin@example.org"]
    sent = parse(data)
    assert rendered["To"] == sent["To"] == "Lin Yuchen <lin@example.org>"
    # Lin's own timezone (Taipei), not the community's (Helsinki).
    assert "Friday, December 4, 2026, 00:00–01:00 CST (UTC+08:00)" in text_of(rendered)
    assert without_personal_parts(text_of(rendered)) == without_personal_parts(text_of(sent))
    assert without_personal_parts(html_of(rendered)) == without_personal_parts(html_of(sent))


def test_render_to_someone_a_send_would_skip_says_so(club: Path, capsys: pytest.CaptureFixture[str]) -> None:
    engine = open_database(club)
    with engine.begin() as connection:
        add(connection, "gone@example.org", state="unsubscribed")
    engine.dispose()
    letter = club / "newsletters/december.md"
    letter.write_text(letter.read_text().replace("survey: pulse", "survey: pulse\naudience: {lang: fi}"))
    assert cli(["--root", str(club), "newsletter", "render", "december", "--to", "gone@example.org"]) == 0
    assert "gone@example.org is unsubscribed: a send skips them" in capsys.readouterr().err
    assert cli(["--root", str(club), "newsletter", "render", "december", "--to", "lin@example.org"]) == 0
    assert "lin@example.org is not in this issue's audience: a send skips them" in capsys.readouterr().err


def test_render_for_an_unknown_address_or_a_sample_member_never_creates_a_database(
        make_repo: MakeRepo, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("TIDINGS_SECRET", SECRET)
    monkeypatch.delenv("TIDINGS_DATABASE_URL", raising=False)
    root = make_repo(REPO, pyproject=PYPROJECT)
    preview = render_preview(root, "december", NOW, "someone@example.org")
    assert parse(preview.message)["To"] == "someone@example.org"
    assert not (root / ".tidings" / "tidings.sqlite").exists()


# -- a preview or test copy is marked and changes nothing ------------------------------------------

def links(html: str) -> tuple[str, str]:
    """The unsubscribe and first survey link of a message's HTML (path and query)."""
    unsubscribe = re.search(r'href="https://collect\.club\.example\.org(/u/[\w.-]+)"', html)
    survey = re.search(r'href="https://collect\.club\.example\.org(/s/[\w.-]+\?q=happy&amp;a=0)"', html)
    assert unsubscribe and survey, html
    return unsubscribe.group(1), survey.group(1).replace("&amp;", "&")


@pytest.fixture
def previewed(club: Path) -> Iterator[tuple[Path, str, Any]]:
    with running_collector(club) as url:
        yield club, url, render_preview(club, "december", NOW, "lin@example.org")


def test_a_preview_is_visibly_marked_in_both_parts(previewed: tuple[Path, str, Any]) -> None:
    _, _, preview = previewed
    message = parse(preview.message)
    for body in (text_of(message), html_of(message)):
        assert "Preview copy" in body and "nothing you do there is recorded" in body


def test_a_preview_from_a_template_of_its_own_is_marked_too(club: Path) -> None:
    templates = club / "newsletters/templates"
    templates.mkdir(parents=True)
    (templates / "newsletter.mjml.j2").write_text(
        "<mjml><mj-body><mj-section><mj-column><mj-text>{{ issue.subject }} "
        "<a href=\"{{ unsubscribe_url }}\">leave</a></mj-text></mj-column></mj-section></mj-body></mjml>\n")
    (templates / "newsletter.txt.j2").write_text("{{ issue.subject }}\n{{ unsubscribe_url }}\n")
    message = parse(render_preview(club, "december", NOW, "lin@example.org").message)
    for body in (text_of(message), html_of(message)):
        assert "Preview copy" in body


def test_a_preview_unsubscribe_link_shows_the_page_and_changes_nothing(
        previewed: tuple[Path, str, Any]) -> None:
    root, url, preview = previewed
    unsubscribe, _ = links(preview.html)
    before = snapshot(root)
    page = httpx.get(url + unsubscribe)
    assert page.status_code == 200
    assert "Unsubscribe?" in page.text and "preview or test copy" in page.text
    assert re.search(r"<button[^>]*disabled", page.text)
    done = httpx.post(url + unsubscribe, data={"csrf": form_csrf(page.text)})
    assert done.status_code == 200 and "nothing was changed" in done.text.lower()
    one_click = httpx.post(url + unsubscribe, data={"List-Unsubscribe": "One-Click"})
    assert one_click.status_code == 200
    assert snapshot(root) == before


def test_a_sample_previews_unsubscribe_link_does_not_answer_400(club: Path) -> None:
    preview = render_preview(club, "december", NOW)
    unsubscribe, _ = links(preview.html)
    with running_collector(club) as url:
        assert httpx.get(url + unsubscribe).status_code == 200


def test_a_preview_survey_button_shows_the_form_and_records_nothing(
        previewed: tuple[Path, str, Any]) -> None:
    root, url, preview = previewed
    _, survey = links(preview.html)
    before = snapshot(root)
    page = httpx.get(url + survey)
    assert page.status_code == 200
    assert "checked" in page.text and "preview or test copy" in page.text
    assert re.search(r"<button[^>]*disabled", page.text)
    path = survey.split("?")[0]
    done = httpx.post(url + path, data={"csrf": form_csrf(page.text), "q:happy": "0", "comment": "hi"})
    assert done.status_code == 200 and "not recorded" in done.text
    assert snapshot(root) == before


def test_a_real_sends_links_still_record(club: Path) -> None:
    community = load(club)
    rendered = IssueRenderer(community, community.newsletters[0], NOW).render()
    lin = Recipient("1", "lin@example.org", "Lin Yuchen")
    html = html_of(parse(MessageTemplate(rendered, community.config, Signer(SECRET)).build(lin, NOW)))
    unsubscribe, survey = links(html)
    with running_collector(club) as url:
        before = snapshot(club)
        page = httpx.get(url + survey)
        assert "preview or test copy" not in page.text and not re.search(r"<button[^>]*disabled", page.text)
        httpx.post(url + survey.split("?")[0], data={"csrf": form_csrf(page.text), "q:happy": "0"})
        assert snapshot(club)[2] != before[2]  # an answer
        assert httpx.post(url + unsubscribe, data={"List-Unsubscribe": "One-Click"}).status_code == 200
        assert snapshot(club)[0] != before[0]  # unsubscribed


def test_a_test_copy_has_its_own_message_id_and_the_real_one_stays_stable(club: Path) -> None:
    community = load(club)
    renderer = IssueRenderer(community, community.newsletters[0], NOW)
    lin = Recipient("1", "lin@example.org", "Lin Yuchen")
    real = MessageTemplate(renderer.render(), community.config, Signer(SECRET))
    real_id = parse(real.build(lin, NOW))["Message-ID"]
    assert parse(real.build(lin, NOW))["Message-ID"] == real_id
    first = parse(render_preview(club, "december", NOW, "lin@example.org").message)["Message-ID"]
    second = parse(render_preview(club, "december", NOW, "lin@example.org").message)["Message-ID"]
    assert len({real_id, first, second}) == 3
    assert ".test-" in first and ".test-" not in real_id


# -- the text part ---------------------------------------------------------------------------------

def long_lines(text: str) -> list[str]:
    """Lines over 78 columns, unless what makes them long is one unbreakable <URL>."""
    return [line for line in text.splitlines()
            if len(line) > 78 and len(re.sub(r"<https?://\S+>", "<>", line)) > 78]


def test_the_text_part_gives_every_link_as_url_in_brackets_and_wraps_quotes(club: Path) -> None:
    text = text_of(parse(render_preview(club, "december", NOW, "lin@example.org").message))
    assert "<https://meet.example.org/canary-club-monthly-call-with-a-rather-long-room-name>" in text
    assert long_lines(text) == []
    bare = [u for u in re.findall(r"(?<![<\w])https?://\S+", text)]
    assert bare == [], bare
    assert "coastal path" in text and LONG_QUOTE not in text  # wrapped over lines


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(st.characters(blacklist_categories=("Cs",)), max_size=400),
       st.integers(min_value=0, max_value=8))
def test_wrapped_text_keeps_every_word_and_no_line_is_too_long(text: str, indent: int) -> None:
    from tidings.mail.plaintext import wrap_text

    wrapped = wrap_text(text, " " * indent)
    assert wrapped.split() == text.split() or wrapped.split() == " ".join(text.split()).split()
    for line in wrapped.splitlines():
        assert len(line) <= 78 or " " not in line.strip()


# -- the HTML part: preheader, dark mode, honest link labels ---------------------------------------

def test_the_preheader_is_hidden_without_white_on_white_text(club: Path) -> None:
    html = render_preview(club, "december", NOW).html
    hidden = re.search(r'<div style="([^"]*)">What is new this month.', html)
    assert hidden, "the preheader is missing"
    style = hidden.group(1).replace(" ", "").lower()
    assert "display:none" in style
    assert "color:#ffffff" not in style and "font-size:0" not in style and "font-size:1px" not in style


def test_the_html_declares_light_and_dark_and_styles_dark_mode(club: Path) -> None:
    html = render_preview(club, "december", NOW).html
    assert '<meta name="color-scheme" content="light dark"' in html
    assert '<meta name="supported-color-schemes" content="light dark"' in html
    assert "@media (prefers-color-scheme: dark)" in html


def test_links_that_open_a_page_say_what_happens(club: Path) -> None:
    message = parse(render_preview(club, "december", NOW).message)
    text, html = text_of(message), html_of(message)
    for body in (text, html):
        assert "one click" not in body.lower() and "One click" not in body
    assert "opens a page" in text and "opens a page" in html


@pytest.mark.skipif(shutil.which("spamassassin") is None, reason="spamassassin is not installed")
def test_spamassassin_finds_no_low_contrast_text(club: Path) -> None:
    data = render_preview(club, "december", NOW).message
    done = subprocess.run(["spamassassin", "-t", "-L"], input=data, capture_output=True, timeout=120)
    report = done.stdout.decode("utf-8", "replace")
    assert "Content analysis details" in report
    assert "HTML_FONT_LOW_CONTRAST" not in report.split("Content analysis details")[1]


# -- the "on the web" link -------------------------------------------------------------------------

def test_the_web_link_goes_to_the_issue_page_only_when_it_exists_at_sending(
        club: Path) -> None:
    community = load(club)
    letter = community.newsletters[0]
    assert not newsletter_is_public(community, letter, letter.send_at)  # it tells 'Big release' early
    html = render_preview(club, "december", NOW).html
    assert "/newsletters/december/" not in html
    assert "On the web from Thursday, January 14, 2027" in html
    letter_file = club / "newsletters/december.md"
    letter_file.write_text(letter_file.read_text().replace("  - content/announcements/secret.md\n", ""))
    community = load(club)
    assert newsletter_is_public(community, community.newsletters[0], community.newsletters[0].send_at)
    html = render_preview(club, "december", NOW).html
    assert 'href="https://club.example.org/newsletters/december/"' in html


def test_an_early_access_image_the_site_holds_back_is_not_in_the_email(club: Path) -> None:
    (club / "assets").mkdir()
    for name in ("secret.png", "public.png"):
        (club / "assets" / name).write_bytes(b"png")
    for name in ("secret", "public"):
        item = club / f"content/announcements/{name}.md"
        item.write_text(item.read_text().replace("---\n", f"image: assets/{name}.png\n---\n", 2)
                        .replace(f"image: assets/{name}.png\n---\n", "---\n", 1))
    secret = club / "content/announcements/secret.md"
    secret.write_text(secret.read_text() + "\n![the new logo](../../assets/secret.png)\n")
    html = render_preview(club, "december", NOW).html
    assert "Big release" in html and "public.png" in html
    assert "secret.png" not in html  # the site publishes it on January 14, not before


@pytest.mark.parametrize(("color", "warned"), [("#3f51b5", False), ("#00695c", False),
                                               ("#ffd54f", True), ("#8bc34a", True)])
def test_check_warns_of_a_brand_color_too_light_for_white_text(
        make_repo: MakeRepo, color: str, warned: bool) -> None:
    from tidings.repo_check import check_all

    root = make_repo(REPO, pyproject=PYPROJECT + f'brand_color = "{color}"\n')
    _, problems = check_all(root, NOW)
    found = [str(p) for p in problems if "brand_color" in str(p)]
    if warned:
        assert len(found) == 1 and found[0].startswith("pyproject.toml:7: warning: brand_color")
        assert "4.5:1" in found[0]
    else:
        assert found == []


def test_add_to_calendar_links_only_to_a_calendar_file_that_is_published(club: Path) -> None:
    call = club / "content/events/call.md"
    call.write_text(call.read_text().replace("url:", "date: 2027-01-01\nurl:"))  # announced later
    text = text_of(parse(render_preview(club, "december", NOW).message))
    assert "Monthly call" in text and "call.ics" not in text


CONTRAST_JS = """(element) => {
  const rgb = (text) => (text.match(/[\\d.]+/g) || []).map(Number);
  const luminance = ([r, g, b]) => {
    const channel = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
  };
  let node = element, background = null;
  while (node && node.nodeType === 1) {
    const color = rgb(getComputedStyle(node).backgroundColor);
    if (color.length === 3 || (color.length === 4 && color[3] > 0)) { background = color; break; }
    node = node.parentElement;
  }
  background = background || [255, 255, 255];
  const [a, b] = [luminance(rgb(getComputedStyle(element).color)), luminance(background)];
  return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
}"""


@pytest.mark.browser
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_text_stays_readable_in_light_and_dark_clients(
        browser: Any, club: Path, tmp_path: Path, scheme: str) -> None:
    path = tmp_path / "issue.html"
    path.write_text(render_preview(club, "december", NOW).html, encoding="utf-8")
    context = browser.new_context(color_scheme=scheme)
    try:
        page = context.new_page()
        page.goto(path.as_uri())
        # Body text, a title, a quote, the early-access mark, both kinds of button, the footer.
        for text in ("Hello everyone.", "Public news", "coastal path", "Early access", "Read more",
                     "Yes", "You receive this", "On the web from"):
            element = page.get_by_text(text).first.element_handle()
            ratio = element.evaluate(CONTRAST_JS)
            assert ratio >= 4.5, f"{text!r} has a contrast of {ratio:.2f} in {scheme} mode"
        if scheme == "dark":
            body = page.evaluate("getComputedStyle(document.querySelector('.tidings-card')).backgroundColor")
            assert body != "rgb(255, 255, 255)"  # the dark style applies
    finally:
        context.close()
