"""Discussion topics (``content/topics/*.md``): a week or a date, a host, public from its week's start."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import PULSE_SURVEY, MakeRepo
from tidings.content import check
from tidings.content.weeks import parse_week, week_name

HELSINKI = ZoneInfo("Europe/Helsinki")  # the timezone of tests.conftest.PYPROJECT

TOPIC = """\
---
title: {title}
{when}
host: Aino Virtanen, CTO
discussion: https://forum.example.org/t/offline-packs
---
What would make offline packs easier for you?
"""


def _problems(root: Path) -> list[str]:
    _, problems = check(root, history=False)
    return [f"{p.path}:{p.line}: {p.message}" for p in problems if p.severity == "error"]


def test_a_topic_is_public_from_monday_midnight_of_its_week_in_the_communitys_timezone(
        make_repo: MakeRepo) -> None:
    from tidings.content.model import Topic
    from tidings.embargo import public_view

    root = make_repo({"content/topics/offline-packs.md": TOPIC.format(title="Offline packs",
                                                                       when="week: 2027-W03")})
    community, problems = check(root, history=False)
    assert community is not None and problems == []
    (topic,) = community.topics
    assert isinstance(topic, Topic)
    assert topic.week == "2027-W03" and topic.host == "Aino Virtanen, CTO"
    assert topic.week_start == datetime(2027, 1, 18, tzinfo=HELSINKI)
    assert topic.public_from == topic.week_start
    assert topic.discussion == "https://forum.example.org/t/offline-packs"
    just_before = datetime(2027, 1, 17, 21, 59, tzinfo=UTC)  # 23:59 in Helsinki, Sunday
    assert public_view(community, just_before).topics == ()
    assert public_view(community, datetime(2027, 1, 17, 22, 0, tzinfo=UTC)).topics == (topic,)


def test_a_topic_with_a_date_starts_on_that_date_and_topics_are_sorted_by_their_start(
        make_repo: MakeRepo) -> None:
    root = make_repo({
        "content/topics/b.md": TOPIC.format(title="B", when="week: 2027-W05"),
        "content/topics/a.md": TOPIC.format(title="A", when="date: 2027-02-10"),
        "content/topics/c.md": TOPIC.format(title="C", when="week: 2027-W01"),
    })
    community, problems = check(root, history=False)
    assert community is not None and problems == []
    from tidings.content.kinds import TOPICS
    from tidings.embargo import public_view

    later = public_view(community, datetime(2028, 1, 1, tzinfo=UTC))
    assert [t.title for t in later.topics] == ["C", "B", "A"]
    dated = next(t for t in community.topics if t.title == "A")
    assert dated.week is None and dated.week_start == datetime(2027, 2, 10, tzinfo=HELSINKI)
    assert TOPICS.shared == ("week", "date", "survey", "discussion")


def test_a_topic_needs_exactly_one_of_week_and_date(make_repo: MakeRepo) -> None:
    root = make_repo({
        "content/topics/both.md": TOPIC.format(title="Both", when="week: 2027-W03\ndate: 2027-01-18"),
        "content/topics/neither.md": TOPIC.format(title="Neither", when=""),
    })
    found = _problems(root)
    assert "content/topics/both.md:4: give either 'week' or 'date', not both" in found, found
    assert ("content/topics/neither.md:1: missing required key 'week' (an ISO week such as 2027-W03) "
            "or 'date'") in found, found


def test_impossible_or_misspelt_weeks_get_a_clear_error_on_their_line(make_repo: MakeRepo) -> None:
    cases = {
        "w53": ("2027-W53", "'week': 2027 has 52 ISO weeks: there is no 2027-W53"),
        "w00": ("2027-W00", "'week': weeks are numbered from W01: there is no 2027-W00"),
        "lower": ("2027-w3", "'week': '2027-w3' is not an ISO week: write 2027-W03"),
        "int": ("3", "'week': expected an ISO week such as 2027-W03, got int 3"),
        "day": ("2027-01-18", "'week': expected an ISO week such as 2027-W03, got date 2027-01-18 "
                              "(for a day, write 'date: 2027-01-18')"),
    }
    root = make_repo({f"content/topics/{name}.md": TOPIC.format(title="T", when=f"week: {week}")
                      for name, (week, _) in cases.items()})
    found = _problems(root)
    for name, (_, message) in cases.items():
        assert f"content/topics/{name}.md:3: {message}" in found, found
    assert not any("Traceback" in line for line in found)


def test_week_53_is_accepted_in_a_year_that_has_one(make_repo: MakeRepo) -> None:
    root = make_repo({"content/topics/w53.md": TOPIC.format(title="T", when="week: 2026-W53")})
    community, problems = check(root, history=False)
    assert problems == [] and community is not None
    assert community.topics[0].week_start == datetime(2026, 12, 28, tzinfo=HELSINKI)


def test_a_topics_survey_must_exist_and_its_discussion_must_be_a_web_link(make_repo: MakeRepo) -> None:
    root = make_repo({
        "content/surveys/pulse.md": PULSE_SURVEY.format(closes="2027-12-01"),
        "content/topics/good.md": TOPIC.format(title="Good", when="week: 2027-W03\nsurvey: pulse"),
        "content/topics/bad.md": "---\ntitle: Bad\nweek: 2027-W04\nhost: Aino\nsurvey: nope\n"
                                 "discussion: mailto:x@example.org\n---\nBody\n",
    })
    found = _problems(root)
    assert "content/topics/bad.md:5: survey 'nope' does not exist (known surveys: pulse)" in found, found
    assert ("content/topics/bad.md:6: 'discussion': expected an http:// or https:// link to the forum "
            "thread or chat channel, got str 'mailto:x@example.org'") in found, found
    assert not any(line.startswith("content/topics/good.md") for line in found)


def test_a_topic_without_a_host_is_a_notice_not_an_error(make_repo: MakeRepo) -> None:
    root = make_repo({"content/topics/t.md": "---\ntitle: T\nweek: 2027-W03\n---\nBody\n"})
    community, problems = check(root, history=False)
    assert community is not None and community.topics[0].host is None
    assert [(p.severity, p.message) for p in problems] == [
        ("notice", "no host yet: write 'host: Name, role' (who opens the discussion)")]


def test_a_topic_translation_keeps_the_week_and_may_name_the_hosts_role_in_its_language(
        make_repo: MakeRepo) -> None:
    pyproject = ('[tool.tidings]\nname = "Club"\nsite_url = "https://club.example.org/"\n'
                 'timezone = "Europe/Helsinki"\nlanguages = ["en", "fi"]\n')
    root = make_repo({
        "content/topics/packs.md": TOPIC.format(title="Offline packs", when="week: 2027-W03"),
        "content/topics/packs.fi.md": "---\ntitle: Offline-paketit\nhost: Aino Virtanen, teknologiajohtaja\n"
                                      "---\nMikä helpottaisi?\n",
        "content/topics/moved.md": TOPIC.format(title="Moved", when="week: 2027-W04"),
        "content/topics/moved.fi.md": "---\ntitle: Siirretty\nweek: 2027-W05\n---\nx\n",
    }, pyproject=pyproject)
    community, problems = check(root, history=False)
    assert community is not None
    errors = [f"{p.path}:{p.line}: {p.message}" for p in problems if p.severity == "error"]
    assert len(errors) == 1 and errors[0].startswith("content/topics/moved.fi.md:3: a translation keeps "
                                                     "its source's 'week'"), errors
    finnish = community.translations["content/topics/packs.md"]["fi"]
    assert finnish.week == "2027-W03" and finnish.host == "Aino Virtanen, teknologiajohtaja"  # type: ignore[attr-defined]


WEEKISH = st.one_of(
    st.builds(lambda y, w: f"{y:04d}-W{w:02d}", st.integers(0, 9999), st.integers(0, 60)),
    st.text(alphabet="0123456789-Ww ", max_size=12),
    st.text(max_size=12),
)


@settings(max_examples=200, deadline=None)
@given(text=WEEKISH)
def test_a_week_text_is_accepted_or_refused_with_a_message_and_accepted_weeks_round_trip(text: str) -> None:
    try:
        year, week = parse_week(text)
    except ValueError as exc:
        assert str(exc)
        return
    assert week_name(year, week) == text
    monday = date.fromisocalendar(year, week, 1)
    assert monday.isocalendar()[:2] == (year, week)
