"""An event's repeat rule reaches members as a sentence in their language, never as RRULE text."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import PYPROJECT, MakeRepo
from tidings.calendar.sentence import describe_repeat
from tidings.content import load
from tidings.content.recurrence import check_syntax
from tidings.embargo import public_view
from tidings.locale_data import LANGUAGES
from tidings.site.stage import Stager

HELSINKI = ZoneInfo("Europe/Helsinki")
LANGS = ("en", "fi", "de", "el", "zh")

SENTENCES = {
    "FREQ=MONTHLY;BYDAY=1TH": (
        "every month on the first Thursday", "joka kuukausi ensimmäisenä torstaina",
        "jeden Monat am ersten Donnerstag", "κάθε μήνα την πρώτη Πέμπτη", "每月第一个星期四"),
    "FREQ=WEEKLY;BYDAY=TU,TH": (
        "every week on Tuesday and Thursday", "joka viikko tiistaisin ja torstaisin",
        "jede Woche am Dienstag und Donnerstag", "κάθε εβδομάδα την Τρίτη και την Πέμπτη",
        "每周星期二和星期四"),
    "FREQ=WEEKLY;BYDAY=MO,WE,FR": (
        "every week on Monday, Wednesday and Friday",
        "joka viikko maanantaisin, keskiviikkoisin ja perjantaisin",
        "jede Woche am Montag, Mittwoch und Freitag",
        "κάθε εβδομάδα τη Δευτέρα, την Τετάρτη και την Παρασκευή", "每周星期一、星期三和星期五"),
    "FREQ=WEEKLY;INTERVAL=2": (
        "every 2 weeks", "2 viikon välein", "alle 2 Wochen", "κάθε 2 εβδομάδες", "每2周"),
    "FREQ=WEEKLY;BYDAY=WE;UNTIL=20270630T205959Z": (
        "every week on Wednesday, until June 30, 2027",
        "joka viikko keskiviikkoisin, 30. kesäkuuta 2027 asti",
        "jede Woche am Mittwoch, bis 30. Juni 2027",
        "κάθε εβδομάδα την Τετάρτη, έως τις 30 Ιουνίου 2027", "每周星期三，直到2027年6月30日"),
    "FREQ=DAILY;COUNT=3": (
        "every day, 3 times", "joka päivä, 3 kertaa", "jeden Tag, 3-mal", "κάθε μέρα, 3 φορές",
        "每天，共3次"),
    "FREQ=YEARLY": ("every year", "joka vuosi", "jedes Jahr", "κάθε χρόνο", "每年"),
    "FREQ=YEARLY;BYMONTH=6;BYMONTHDAY=3": (
        "every year on June 3", "joka vuosi 3. kesäkuuta", "jedes Jahr am 3. Juni",
        "κάθε χρόνο στις 3 Ιουνίου", "每年6月3日"),
    "FREQ=YEARLY;BYMONTH=6": (
        "every year in June", "joka vuosi kesäkuussa", "jedes Jahr im Juni", "κάθε χρόνο τον Ιούνιο",
        "每年6月"),
    "FREQ=MONTHLY;BYMONTHDAY=15": (
        "every month on day 15", "joka kuukausi 15. päivänä", "jeden Monat am 15.",
        "κάθε μήνα στις 15", "每月15日"),
    "FREQ=MONTHLY;BYMONTHDAY=-1": (
        "every month on the last day", "joka kuukausi viimeisenä päivänä", "jeden Monat am letzten Tag",
        "κάθε μήνα την τελευταία ημέρα", "每月最后一天"),
    "FREQ=MONTHLY;BYDAY=FR;BYSETPOS=-1": (
        "every month on the last Friday", "joka kuukausi viimeisenä perjantaina",
        "jeden Monat am letzten Freitag", "κάθε μήνα την τελευταία Παρασκευή", "每月最后一个星期五"),
    "FREQ=MONTHLY;BYDAY=-1SA": (
        "every month on the last Saturday", "joka kuukausi viimeisenä lauantaina",
        "jeden Monat am letzten Samstag", "κάθε μήνα το τελευταίο Σάββατο", "每月最后一个星期六"),
    "FREQ=DAILY;BYHOUR=9,17": (
        "repeats regularly", "toistuu säännöllisesti", "wiederholt sich regelmäßig",
        "επαναλαμβάνεται τακτικά", "定期重复"),
}


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("rule", sorted(SENTENCES))
def test_the_repeat_sentence_reads_naturally_in_each_language(rule: str, lang: str) -> None:
    assert describe_repeat(rule, lang, HELSINKI) == SENTENCES[rule][LANGS.index(lang)]


def test_the_sentence_languages_are_the_languages_with_built_in_labels() -> None:
    assert set(LANGS) == set(LANGUAGES)


WEEKDAY = st.sampled_from(["MO", "TU", "WE", "TH", "FR", "SA", "SU"])
PARTS = st.fixed_dictionaries({"FREQ": st.sampled_from(["DAILY", "WEEKLY", "MONTHLY", "YEARLY"])}, optional={
    "INTERVAL": st.integers(1, 12).map(str),
    "COUNT": st.integers(1, 60).map(str),
    "UNTIL": st.dates(date(2027, 1, 1), date(2040, 1, 1)).map(lambda d: d.strftime("%Y%m%d")),
    "BYDAY": st.lists(st.tuples(st.sampled_from(["", "1", "2", "-1", "+3", "-2", "5", "-5"]), WEEKDAY),
                      min_size=1, max_size=4).map(lambda ds: ",".join(o + d for o, d in ds)),
    "BYMONTHDAY": st.lists(st.sampled_from([1, 2, 15, 28, 31, -1, -3]), min_size=1, max_size=3).map(
        lambda ns: ",".join(map(str, ns))),
    "BYMONTH": st.lists(st.integers(1, 12), min_size=1, max_size=3).map(lambda ns: ",".join(map(str, ns))),
    "BYSETPOS": st.sampled_from(["1", "-1", "2", "1,-1"]),
    "BYHOUR": st.integers(0, 23).map(str),
    "WKST": WEEKDAY,
})


def _rule(parts: dict[str, str]) -> str | None:
    if "COUNT" in parts and "UNTIL" in parts:
        del parts["COUNT"]
    rule = ";".join(f"{k}={v}" for k, v in parts.items())
    try:
        return check_syntax(rule)
    except ValueError:
        return None


@settings(max_examples=200, deadline=None)
@given(parts=PARTS, lang=st.sampled_from(LANGS))
def test_no_generated_rule_ever_shows_rrule_text_in_any_language(parts: dict[str, str], lang: str) -> None:
    rule = _rule(parts)
    if rule is None:
        return
    sentence = describe_repeat(rule, lang, HELSINKI)
    assert sentence
    for raw in ("FREQ", "BYDAY", "=", ";"):
        assert raw not in sentence, (rule, sentence)


def test_an_unreadable_rule_gets_the_generic_phrase_not_its_text() -> None:
    assert describe_repeat("FREQ=FORTNIGHTLY;X-FOO=1", "de", UTC) == "wiederholt sich regelmäßig"


EVENT = """\
---
title: Monthly call
start: 2027-01-07T18:00
duration: PT1H
repeat: FREQ=MONTHLY;BYDAY=1TH
---
We talk.
"""


@pytest.mark.parametrize(("lang", "sentence"), [("de", "Jeden Monat am ersten Donnerstag"),
                                                ("el", "Κάθε μήνα την πρώτη Πέμπτη"),
                                                ("zh", "每月第一个星期四")])
def test_the_event_and_calendar_pages_show_the_sentence_not_the_rrule(
        make_repo: MakeRepo, lang: str, sentence: str) -> None:
    root: Path = make_repo({"content/events/monthly.md": EVENT},
                           pyproject=PYPROJECT.replace('language = "en"', f'language = "{lang}"'))
    files = Stager(public_view(load(root), datetime(2027, 1, 1, tzinfo=UTC))).build()
    pages = {name: text for name, text in files.items() if isinstance(text, str) and name.endswith(".md")}
    event_page = next(text for name, text in pages.items() if "monthly" in name)
    assert sentence in event_page and sentence in pages["events/index.md"]
    assert not any("FREQ=" in text or "BYDAY" in text for text in pages.values())


def test_a_day_counted_from_the_end_other_than_the_last_gets_the_generic_phrase() -> None:
    assert describe_repeat("FREQ=MONTHLY;BYMONTHDAY=-3", "en", UTC) == "repeats regularly"
    assert describe_repeat("FREQ=MONTHLY;BYMONTHDAY=-1", "fi", UTC) == "joka kuukausi viimeisenä päivänä"


def test_every_tuesday_of_every_month_is_said_as_every_week() -> None:
    assert describe_repeat("FREQ=MONTHLY;BYDAY=TU", "en", UTC) == "every week on Tuesday"
    assert describe_repeat("FREQ=DAILY;BYDAY=TU,TH", "de", UTC) == "jede Woche am Dienstag und Donnerstag"
    assert describe_repeat("FREQ=YEARLY;BYMONTH=6;BYDAY=MO", "en", UTC) == "repeats regularly"
