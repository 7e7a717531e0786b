"""Every built-in label, date and time exists in en, fi, de, el and zh, and a community overrides any."""

from __future__ import annotations

import email
import email.policy
import re
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest

from tests.collector_support import SECRET, running_collector, wait_for
from tests.conftest import PYPROJECT, MakeRepo
from tidings.calendar.schedule import build_calendar
from tidings.config import load_config
from tidings.content import load
from tidings.labels import Text, texts_for
from tidings.locale_data import BUILTIN

LANGS = ("en", "fi", "de", "el", "zh")
PLACEHOLDER = re.compile(r"{\w*}")
TEMPLATES = Path(__file__).resolve().parents[1] / "src" / "tidings" / "templates"


@pytest.mark.parametrize("lang", LANGS)
def test_every_language_has_every_label_of_english_with_the_same_placeholders(lang: str) -> None:
    table = BUILTIN[lang]
    assert set(table) == set(BUILTIN["en"])
    for key, english in BUILTIN["en"].items():
        assert sorted(PLACEHOLDER.findall(table[key])) == sorted(PLACEHOLDER.findall(english)), key
        assert table[key].strip(), key


@pytest.mark.parametrize("lang", ["fi", "de", "el", "zh"])
def test_a_translated_language_shares_no_sentence_with_english(lang: str) -> None:
    # Short words may match (Webinar, Newsletter, Tutorial); a sentence left in English is a miss.
    same = [key for key, english in BUILTIN["en"].items()
            if BUILTIN[lang][key] == english and len(english.split()) > 2]
    assert same == []


def test_every_label_the_collector_templates_read_is_in_the_table() -> None:
    used = set()
    for page in (TEMPLATES / "collector").glob("*.html"):
        used |= set(re.findall(r"""t\[["']([a-z_.]+)["']\]""", page.read_text(encoding="utf-8")))
    assert used and used <= set(BUILTIN["en"])


MOMENT = datetime(2026, 12, 3, 18, 0, tzinfo=ZoneInfo("Europe/Helsinki"))
END = datetime(2026, 12, 3, 19, 30, tzinfo=ZoneInfo("Europe/Helsinki"))


@pytest.mark.parametrize(("lang", "day", "hours"), [
    ("en", "Thursday, December 3, 2026", "18:00–19:30 EET (UTC+02:00)"),
    ("fi", "torstai 3. joulukuuta 2026", "18.00–19.30 (UTC+02:00)"),
    ("de", "Donnerstag, 3. Dezember 2026", "18:00–19:30 (UTC+02:00)"),
    ("el", "Πέμπτη 3 Δεκεμβρίου 2026", "18:00–19:30 (UTC+02:00)"),
    ("zh", "2026年12月3日星期四", "18:00–19:30 (UTC+02:00)"),
])
def test_dates_and_times_follow_babel_in_each_language(lang: str, day: str, hours: str) -> None:
    text = Text(lang)
    assert text.day(MOMENT) == day
    assert text.time_range(MOMENT, END) == hours


def test_an_event_over_midnight_names_its_end_day_in_the_language() -> None:
    late = datetime(2026, 12, 4, 1, 0, tzinfo=ZoneInfo("Europe/Helsinki"))
    assert Text("de").time_range(MOMENT, late) == "18:00–04.12.2026 01:00 (UTC+02:00)"
    assert "Dec" not in Text("el").time_range(MOMENT, late)


LANGUAGES = PYPROJECT.replace('language = "en"', 'languages = ["en", "fi", "de", "el", "zh"]')


def test_labels_are_overridden_per_language_and_a_flat_table_means_the_default(make_repo: MakeRepo) -> None:
    root = make_repo({}, pyproject=LANGUAGES + """\

[tool.tidings.labels]
"home.latest" = "Fresh from the club"

[tool.tidings.labels.fi]
"home.latest" = "Tuoreimmat"
"mail.why" = "Tilasit yhteisön {name} uutiset."
""")
    config = load_config(root)
    assert texts_for(config)["home.latest"] == "Fresh from the club"
    assert texts_for(config, "fi")["home.latest"] == "Tuoreimmat"
    assert texts_for(config, "fi")["mail.why"] == "Tilasit yhteisön {name} uutiset."
    assert texts_for(config, "de")["home.latest"] == BUILTIN["de"]["home.latest"]
    assert texts_for(config, "zh")["events.title"] == "活动"


def test_the_collector_pages_and_confirmation_mail_speak_the_communitys_language(
        make_repo: MakeRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TIDINGS_SECRET", SECRET)
    root = make_repo({}, pyproject=PYPROJECT.replace('language = "en"', 'language = "de"'))
    with running_collector(root) as url:
        form = httpx.get(f"{url}/subscribe").text
        assert "E-Mail-Adresse" in form and "Name (freiwillig)" in form and "Email address" not in form
        forged = httpx.get(f"{url}/confirm/not-a-token")
        assert forged.status_code == 400 and "Dieser Link funktioniert nicht" in forged.text
        assert "Dieser Bestätigungslink ist ungültig oder abgelaufen" in forged.text
        assert "collector." not in forged.text
        answer = httpx.post(f"{url}/subscribe", data={"email": "neu@example.org", "name": "Neu"})
        assert answer.status_code == 200 and "Schau in dein Postfach" in answer.text
        new = root / ".tidings/outbox/new"
        assert wait_for(lambda: new.exists() and any(new.iterdir()))
    [mail] = list(new.iterdir())
    message = email.message_from_bytes(mail.read_bytes(), policy=email.policy.default)
    assert str(message["Subject"]) == "Bitte bestätige dein Abonnement von Canary Club"
    body = message.get_body(("plain",))
    assert body is not None and "bitte bestätige, dass du Neuigkeiten" in body.get_content()


def test_the_calendar_file_names_the_hosts_in_the_communitys_language(make_repo: MakeRepo) -> None:
    event = "---\ntitle: Call\nstart: 2027-01-07T18:00\nduration: PT1H\nhosts: [Aino]\n---\nWe talk.\n"
    root = make_repo({"content/events/call.md": event},
                     pyproject=PYPROJECT.replace('language = "en"', 'language = "fi"'))
    community = load(root)
    ics = build_calendar(community.events, community.config, datetime(2027, 1, 1, tzinfo=UTC), {})
    assert b"Vet\xc3\xa4j\xc3\xa4t: Aino" in ics and b"Hosts:" not in ics
