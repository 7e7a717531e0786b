"""The whole loop with real parts: email -> Chromium -> collector -> feedback/ -> the site."""

from __future__ import annotations

import asyncio
import email
import email.policy
import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from tests.collector_support import running_collector
from tests.conftest import MakeRepo
from tidings.content import load
from tidings.delivery.transport import SMTPTransport, parse_smtp_url
from tidings.feedback import export_feedback
from tidings.mail.catcher import CatchingHandler, LocalSMTPServer
from tidings.mail.message import MessageTemplate
from tidings.mail.render import IssueRenderer
from tidings.mail.sender import IssueSender, SendOptions, recipient_of
from tidings.site.engine import build_site
from tidings.store import open_database
from tidings.store.schema import answers, consent_events, subscribers
from tidings.store.subscribers import add, get
from tidings.tokens import Signer

pytestmark = pytest.mark.browser
SECRET = "loop-test-secret-" + "l" * 16
SURVEY = """\
---
id: pulse
title: Pulse check
allow_comment: true
questions:
  - id: happy
    text: Are you happy with the community?
    options: [Very, Somewhat, Not really]
---
Three seconds, promise.
"""
LETTER = """\
---
subject: December at the club
send_at: 2026-12-03T09:00
survey: pulse
---
Hello!
"""


@pytest.fixture
def loop(make_repo: MakeRepo, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Path, str]]:
    monkeypatch.setenv("TIDINGS_SECRET", SECRET)
    root = make_repo({"content/surveys/pulse.md": SURVEY, "newsletters/december.md": LETTER})
    with open_database(root).begin() as connection:
        add(connection, "ann@example.org", name="Ann")
        add(connection, "bob@example.org", name="Bob")
    with running_collector(root) as url:
        pyproject = root / "pyproject.toml"
        settings = [line for line in pyproject.read_text().splitlines()
                    if not line.startswith("collector_url")]
        pyproject.write_text("\n".join([*settings, f'collector_url = "{url}/"', ""]))
        yield root, url


def message_for(root: Path, address: str) -> email.message.EmailMessage:
    community = load(root)
    with open_database(root).connect() as connection:
        subscriber = get(connection, address)
    assert subscriber is not None
    recipient = recipient_of(subscriber)
    rendered = IssueRenderer(community, community.newsletters[0], datetime.now(UTC)).render()
    data = MessageTemplate(rendered, community.config, Signer(SECRET)).build(recipient, datetime.now(UTC))
    message = email.message_from_bytes(data, policy=email.policy.default)
    assert isinstance(message, email.message.EmailMessage)
    return message


def links(message: email.message.EmailMessage, url: str) -> list[str]:
    html = message.get_body(("html",)).get_content()
    found = re.findall(rf'href="({re.escape(url)}/[^"]+)"', html)
    return sorted({link.replace("&amp;", "&") for link in found})


def state(root: Path) -> tuple[object, ...]:
    with open_database(root).connect() as connection:
        return tuple(connection.execute(sa.select(t)).all() for t in (subscribers, consent_events, answers))


def test_a_survey_click_in_the_email_ends_up_on_the_results_page(
    loop: tuple[Path, str], browser: Any
) -> None:
    root, url = loop
    message = message_for(root, "ann@example.org")
    found = links(message, url)
    survey_links = [link for link in found if "/s/" in link]
    assert len(survey_links) == 3
    before = state(root)
    for link in found:  # what a mail scanner does: GET every link
        assert httpx.get(link).status_code == 200
    assert state(root) == before
    page = browser.new_page()
    try:
        page.goto(next(link for link in survey_links if link.endswith("a=1")))
        assert page.get_by_label("Somewhat").is_checked()
        page.get_by_label("Anything to add?").fill("More meetups, please")
        page.get_by_role("button", name="Send my answer").click()
        page.get_by_text("Your answer is saved").wait_for()
    finally:
        page.close()
    assert export_feedback(open_database(root), load(root)) == {"pulse": 1}
    site = build_site(root, datetime.now(UTC)).site_dir
    results = (site / "surveys/pulse/index.html").read_text()
    assert "Responses: 1" in results and "Somewhat" in results and "1 · 100%" in results
    assert "More meetups" not in results  # comments are published only when the survey says so


def test_unsubscribing_in_the_browser_stops_the_next_send(loop: tuple[Path, str], browser: Any) -> None:
    root, url = loop
    unsubscribe = next(link for link in links(message_for(root, "bob@example.org"), url) if "/u/" in link)
    page = browser.new_page()
    try:
        page.goto(unsubscribe)
        page.get_by_role("button", name="Unsubscribe").click()
        page.get_by_text("you will get no more emails").wait_for()
    finally:
        page.close()
    handler = CatchingHandler()
    community = load(root)
    with LocalSMTPServer(handler) as server:
        sender = IssueSender(open_database(root), community, community.newsletters[0],
                             SMTPTransport(parse_smtp_url(server.url)), Signer(SECRET), SendOptions())
        with ThreadPoolExecutor(1) as pool:  # Playwright holds this thread's event loop
            summary = pool.submit(asyncio.run, sender.run()).result()
    assert dict(handler.received) == {"ann@example.org": 1}
    assert summary.sent == 1
