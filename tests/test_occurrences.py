"""A repeating event plans each occurrence: its own title, kind and hosts, moved or cancelled,
the same on the calendar page, in events.ics and in the newsletter; bad plans are reported."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import recurring_ical_events
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import PYPROJECT, MakeRepo, write_files
from tidings.calendar import schedule
from tidings.content import check
from tidings.content.model import Community
from tidings.errors import Problem
from tidings.mail.render import IssueRenderer
from tidings.site.engine import build_site

HELSINKI = ZoneInfo("Europe/Helsinki")
STAMP = datetime(2026, 12, 1, 12, tzinfo=UTC)

# "First Thursday monthly: January Q&A with the CTO, February tutorial on offline packs,
# March cancelled" is one event; April's call starts later, after the change to summer time.
MONTHLY = """
    ---
    title: Monthly community call
    start: 2027-01-07T18:00
    duration: PT1H
    repeat: FREQ=MONTHLY;BYDAY=1TH
    kind: call
    hosts: Mika Laine
    occurrences:
      2027-01-07:
        title: January Q&A with the CTO
        kind: qa
        hosts: ["Aino Virtanen, CTO"]
      2027-02-04:
        title: Tutorial on offline packs
        kind: tutorial
        description: Download a region once and map without a connection.
      2027-03-04:
        cancelled: true
      2027-04-01:
        start: "19:30"
    ---
    Our monthly call.
    """


def load(root: Path) -> Community:
    community, problems = check(root, history=False)
    assert [str(p) for p in problems] == []
    assert community is not None
    return community


def expanded(community: Community, since: date, until: date) -> list[icalendar.Event]:
    ics = schedule.build_calendar(community.events, community.config, STAMP, {})
    found = recurring_ical_events.of(icalendar.Calendar.from_ical(ics)).between(since, until)
    return sorted(found, key=lambda e: e.decoded("dtstart"))


def problems_of(make_repo: MakeRepo, front: str) -> list[Problem]:
    root = make_repo({"content/events/call.md": front})
    _, problems = check(root, history=False)
    return problems


def test_the_planned_monthly_call_expands_to_exactly_the_planned_year(make_repo: MakeRepo) -> None:
    community = load(make_repo({"content/events/monthly.md": MONTHLY}))
    year = expanded(community, date(2027, 1, 1), date(2028, 1, 1))
    assert [(e.decoded("dtstart").date(), str(e["summary"])) for e in year[:4]] == [
        (date(2027, 1, 7), "January Q&A with the CTO"),
        (date(2027, 2, 4), "Tutorial on offline packs"),
        (date(2027, 4, 1), "Monthly community call"),
        (date(2027, 5, 6), "Monthly community call"),
    ]
    assert len(year) == 11 and date(2027, 3, 4) not in {e.decoded("dtstart").date() for e in year}
    assert "Hosts: Aino Virtanen, CTO" in str(year[0]["description"])
    assert [str(c) for c in year[0]["categories"].cats] == ["qa"]
    assert str(year[1]["description"]).startswith("Download a region once")
    # Every occurrence is the same event to a calendar app: one UID.
    assert {str(e["uid"]) for e in year} == {"monthly@club.example.org"}
    # The schedule (page and email) says the same as the file.
    found = schedule.occurrences(community.events[0], datetime(2027, 1, 1, tzinfo=UTC),
                                 datetime(2028, 1, 1, tzinfo=UTC))
    assert [(o.start, o.title) for o in found] == [(e.decoded("dtstart"), str(e["summary"])) for e in year]
    assert found[0].hosts == ("Aino Virtanen, CTO",) and found[0].kind == "qa"
    assert found[2].hosts == ("Mika Laine",) and found[2].kind == "call"


def test_the_ics_keeps_the_rule_with_an_exdate_and_recurrence_id_overrides(make_repo: MakeRepo) -> None:
    community = load(make_repo({"content/events/monthly.md": MONTHLY}))
    ics = schedule.build_calendar(community.events, community.config, STAMP, {})
    text = ics.decode()
    assert text.count("RRULE:FREQ=MONTHLY;BYDAY=1TH") == 1
    assert "EXDATE;TZID=Europe/Helsinki:20270304T180000" in text
    assert "RECURRENCE-ID;TZID=Europe/Helsinki:20270401T180000" in text
    assert "DTSTART;TZID=Europe/Helsinki:20270401T193000" in text
    assert text.count("BEGIN:VEVENT") == 4  # the series and three planned dates


def test_plans_written_in_any_order_give_the_same_bytes(make_repo: MakeRepo) -> None:
    head, _, rest = MONTHLY.partition("    occurrences:\n")
    plans, _, tail = rest.partition("    ---\n")
    blocks = plans.split("      2027-")[1:]
    reordered = "".join("      2027-" + block for block in reversed(blocks))
    shuffled = f"{head}    occurrences:\n{reordered}    ---\n{tail}"
    first = load(make_repo({"content/events/monthly.md": MONTHLY}, name="a"))
    second = load(make_repo({"content/events/monthly.md": shuffled}, name="b"))
    assert first.events[0].plans == second.events[0].plans
    assert (schedule.build_calendar(first.events, first.config, STAMP, {})
            == schedule.build_calendar(second.events, second.config, STAMP, {}))


def test_a_moved_occurrence_is_at_its_new_time_across_a_dst_change(make_repo: MakeRepo) -> None:
    # Helsinki moves to summer time on 28 March 2027: the call of Wednesday 31 March (EEST) is
    # moved to Friday 26 March at 17:00 (still EET), the one of 24 March later that evening.
    community = load(make_repo({"content/events/weekly.md": """
        ---
        title: Weekly call
        start: 2027-03-03T18:00
        duration: PT1H
        repeat: FREQ=WEEKLY;BYDAY=WE;UNTIL=2027-04-14
        occurrences:
          - date: 2027-03-31
            start: 2027-03-26T17:00
            end: 2027-03-26T18:30
          - date: 2027-03-24
            start: "20:00"
        ---
        """}))
    starts = [(e.decoded("dtstart"), e.decoded("dtend"))
              for e in expanded(community, date(2027, 3, 1), date(2027, 5, 1))]
    schedule_starts = [(o.start, o.end) for o in schedule.occurrences(
        community.events[0], datetime(2027, 3, 1, tzinfo=UTC), datetime(2027, 5, 1, tzinfo=UTC))]
    assert starts == schedule_starts
    assert [s for s, _ in starts] == [datetime(2027, 3, d, h, tzinfo=HELSINKI) for d, h in
                                      [(3, 18), (10, 18), (17, 18), (24, 20), (26, 17)]] + [
        datetime(2027, 4, 7, 18, tzinfo=HELSINKI), datetime(2027, 4, 14, 18, tzinfo=HELSINKI)]
    assert starts[4][0].utcoffset() == timedelta(hours=2)  # before the change
    assert starts[4][1] - starts[4][0] == timedelta(minutes=90)
    assert starts[5][0].utcoffset() == timedelta(hours=3)  # after it, still 18:00 local


def test_an_all_day_series_cancels_with_a_date_exdate_and_moves_by_date(make_repo: MakeRepo) -> None:
    community = load(make_repo({"content/events/sprint.md": """
        ---
        title: Mapping day
        start: 2027-03-03
        end: 2027-03-03
        repeat: FREQ=WEEKLY;UNTIL=2027-03-31
        occurrences:
          2027-03-10:
            cancelled: true
          2027-03-17:
            title: Mapping day in Tampere
            start: 2027-03-19
            end: 2027-03-20
        ---
        """}))
    text = schedule.build_calendar(community.events, community.config, STAMP, {}).decode()
    assert "EXDATE;VALUE=DATE:20270310" in text
    assert "RECURRENCE-ID;VALUE=DATE:20270317" in text
    found = expanded(community, date(2027, 3, 1), date(2027, 5, 1))
    assert [(e.decoded("dtstart"), e.decoded("dtend"), str(e["summary"])) for e in found] == [
        (date(2027, 3, 3), date(2027, 3, 4), "Mapping day"),
        (date(2027, 3, 19), date(2027, 3, 21), "Mapping day in Tampere"),
        (date(2027, 3, 24), date(2027, 3, 25), "Mapping day"),
        (date(2027, 3, 31), date(2027, 4, 1), "Mapping day"),
    ]


def test_the_calendar_page_lists_each_occurrence_with_its_own_title_and_hosts(
        make_repo: MakeRepo) -> None:
    root = make_repo({"content/events/monthly.md": MONTHLY})
    site = build_site(root, datetime(2026, 12, 15, 12, tzinfo=HELSINKI)).site_dir
    page = (site / "events/index.html").read_text(encoding="utf-8")
    upcoming = page.split('<h2 id="regular-events"')[0]
    assert "January Q&amp;A with the CTO" in upcoming and "Aino Virtanen, CTO" in upcoming
    assert "Tutorial on offline packs" in upcoming
    assert "Thursday, March 4, 2027" not in page  # cancelled: left out
    assert "Thursday, April 1, 2027, 19:30" in upcoming
    home = (site / "index.html").read_text(encoding="utf-8")
    assert "January Q&amp;A with the CTO" in home


def test_the_newsletter_shows_the_next_planned_occurrence(make_repo: MakeRepo) -> None:
    issue = "---\nsubject: {}\nsend_at: {}\ninclude: [content/events/monthly.md]\n---\nHello.\n"
    root = make_repo({"content/events/monthly.md": MONTHLY,
                      "newsletters/jan.md": issue.format("January", "2027-01-04T09:00"),
                      "newsletters/mar.md": issue.format("March", "2027-03-01T09:00")})
    community = load(root)
    by_slug = {n.slug: n for n in community.newsletters}
    now = datetime(2026, 12, 1, tzinfo=UTC)
    january = IssueRenderer(community, by_slug["jan"], now).render(None)
    march = IssueRenderer(community, by_slug["mar"], now).render(None)
    assert "January Q&A with the CTO" in january.text and "Hosts: Aino Virtanen, CTO" in january.text
    assert "January Q&amp;A with the CTO" in january.html and "Aino Virtanen, CTO" in january.html
    # March is cancelled: the next call is April's, at its moved time.
    assert "Thursday, April 1, 2027, 19:30" in march.text and "March 4" not in march.text
    assert "Monthly community call" in march.text and "Hosts: Mika Laine" in march.text


CALL = """---
title: Call
start: 2027-01-07T18:00
duration: PT1H
repeat: FREQ=MONTHLY;BYDAY=1TH
occurrences:
{plans}---
"""


def test_a_date_that_is_not_an_occurrence_names_the_nearest_ones(make_repo: MakeRepo) -> None:
    problems = problems_of(make_repo, CALL.format(plans="  2027-02-05:\n    title: Oops\n"))
    assert [(p.line, p.message) for p in problems] == [(7, (
        "2027-02-05 is not a date this event takes place on "
        "(nearest: Thursday 2027-02-04 or Thursday 2027-03-04)"))]


def test_a_date_before_the_first_occurrence_is_refused(make_repo: MakeRepo) -> None:
    problems = problems_of(make_repo, CALL.format(plans="  - date: 2026-12-03\n    title: Early\n"))
    assert [(p.line, p.message) for p in problems] == [(7, (
        "2026-12-03 is not a date this event takes place on (nearest: Thursday 2027-01-07)"))]


def test_a_date_planned_twice_is_reported_on_the_second(make_repo: MakeRepo) -> None:
    plans = "  - date: 2027-02-04\n    title: A\n  - date: 2027-02-04\n    title: B\n"
    problems = problems_of(make_repo, CALL.format(plans=plans))
    assert [(p.line, p.message) for p in problems] == [
        (9, "occurrence 2027-02-04 is planned twice (first on line 7): merge the two")]


def test_an_unknown_key_in_a_plan_gets_a_did_you_mean(make_repo: MakeRepo) -> None:
    problems = problems_of(make_repo, CALL.format(plans="  2027-02-04:\n    titel: Typo\n"))
    assert [(p.line, p.message) for p in problems] == [
        (8, "unknown key 'occurrences.2027-02-04.titel' (did you mean 'title'?)")]


def test_cancelled_with_other_changes_is_refused(make_repo: MakeRepo) -> None:
    problems = problems_of(make_repo, CALL.format(
        plans="  2027-02-04:\n    cancelled: true\n    title: Still on?\n"))
    assert [(p.line, p.message) for p in problems] == [
        (8, "a cancelled occurrence takes no other keys: remove 'title' or 'cancelled'")]


def test_occurrences_on_an_event_that_does_not_repeat_are_refused(make_repo: MakeRepo) -> None:
    front = CALL.replace("repeat: FREQ=MONTHLY;BYDAY=1TH\n", "").format(plans="  2027-01-07:\n    title: X\n")
    problems = problems_of(make_repo, front)
    assert [(p.line, p.field) for p in problems] == [(5, "occurrences")]
    assert "add 'repeat'" in problems[0].message


def test_an_unquoted_time_and_a_bad_kind_are_reported_with_their_fields(make_repo: MakeRepo) -> None:
    problems = problems_of(make_repo, CALL.format(plans="  2027-02-04:\n    start: 19:30\n    kind: party\n"))
    assert [(p.line, p.field) for p in problems] == [
        (8, "occurrences.2027-02-04.start"), (9, "occurrences.2027-02-04.kind")]
    assert "write the time in quotes" in problems[0].message


def test_a_plan_that_is_not_a_mapping_or_list_is_reported(make_repo: MakeRepo) -> None:
    problems = problems_of(make_repo, CALL.replace("occurrences:\n{plans}", "occurrences: soon\n"))
    assert [(p.line, p.field) for p in problems] == [(6, "occurrences")]
    assert "expected a list of dated plans or a mapping keyed by date" in problems[0].message


def _is_first_thursday(day: date) -> bool:
    return day.weekday() == 3 and day.day <= 7 and day >= date(2027, 1, 7)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(day=st.one_of(st.dates(date(2026, 11, 1), date(2029, 12, 31)),
                     st.sampled_from([date(2027, 1, 7), date(2027, 5, 6), date(2028, 6, 1)])))
def test_only_real_occurrences_are_accepted(tmp_path: Path, day: date) -> None:
    root = tmp_path / day.isoformat()
    write_files(root, {"pyproject.toml": PYPROJECT, "content/events/call.md": CALL.format(
        plans=f"  {day.isoformat()}:\n    title: Planned\n")})
    community, problems = check(root, history=False)
    if _is_first_thursday(day):
        assert problems == []
        assert community is not None and [p.day for p in community.events[0].plans] == [day]
    else:
        assert [p.line for p in problems] == [7]
        assert "not a date this event takes place" in problems[0].message


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(title=st.one_of(st.text(max_size=80), st.text(st.characters(codec="utf-8"), min_size=1000,
                                                      max_size=3000)))
def test_any_planned_title_is_a_problem_or_round_trips_through_the_ics(tmp_path: Path, title: str) -> None:
    root = tmp_path / f"t{abs(hash(title))}"
    write_files(root, {"pyproject.toml": PYPROJECT, "content/events/call.md": CALL.format(
        plans=f"  2027-02-04:\n    title: {json.dumps(title)}\n    hosts: [{json.dumps(title)}]\n")})
    community, problems = check(root, history=False)
    if problems:
        assert all(p.path == "content/events/call.md" and p.line >= 1 for p in problems)
        return
    assert community is not None
    found = expanded(community, date(2027, 2, 1), date(2027, 2, 28))
    assert [str(e["summary"]) for e in found] == [title.strip()]
    assert f"Hosts: {title.strip()}" in str(found[0]["description"])


LANGUAGES = PYPROJECT.replace('language = "en"', 'languages = ["en", "fi"]')


def test_a_translation_words_the_plans_and_keeps_the_sources_dates(make_repo: MakeRepo) -> None:
    root = make_repo({"content/events/monthly.md": MONTHLY, "content/events/monthly.fi.md": """
        ---
        title: Kuukausipuhelu
        occurrences:
          2027-01-07:
            title: Tammikuun kysymystunti teknologiajohtajan kanssa
        ---
        Kuukausipuhelumme.
        """}, pyproject=LANGUAGES)
    community = load(root)
    finnish = community.versions(community.events[0])["fi"]
    assert isinstance(finnish, type(community.events[0]))
    found = schedule.occurrences(finnish, datetime(2027, 1, 1, tzinfo=UTC), datetime(2027, 5, 1, tzinfo=UTC))
    assert [(o.start.date(), o.title) for o in found] == [
        (date(2027, 1, 7), "Tammikuun kysymystunti teknologiajohtajan kanssa"),
        (date(2027, 2, 4), "Tutorial on offline packs"),  # not yet worded in Finnish
        (date(2027, 4, 1), "Kuukausipuhelu"),
    ]
    assert found[0].hosts == ("Aino Virtanen, CTO",) and found[2].start.hour == 19


def test_a_translation_may_not_cancel_move_or_add_a_date(make_repo: MakeRepo) -> None:
    root = make_repo({"content/events/monthly.md": MONTHLY, "content/events/monthly.fi.md": """
        ---
        title: Kuukausipuhelu
        occurrences:
          2027-01-07:
            cancelled: true
          2027-05-06:
            title: Toukokuu
        ---
        """}, pyproject=LANGUAGES)
    _, problems = check(root, history=False)
    assert [(p.path, p.line, p.field) for p in problems] == [
        ("content/events/monthly.fi.md", 5, "occurrences.2027-01-07.cancelled"),
        ("content/events/monthly.fi.md", 6, "occurrences.2027-05-06")]
    assert "keeps its source's dates, times and cancellations" in problems[0].message
    assert "not planned in the source" in problems[1].message


def test_a_translation_may_not_plan_dates_its_source_does_not(make_repo: MakeRepo) -> None:
    source = MONTHLY[:MONTHLY.index("    occurrences:")] + "    ---\n"
    root = make_repo({"content/events/monthly.md": source, "content/events/monthly.fi.md": """
        ---
        title: Kuukausipuhelu
        occurrences:
          2027-01-07:
            title: Tammikuu
        ---
        """}, pyproject=LANGUAGES)
    _, problems = check(root, history=False)
    assert [(p.path, p.line, p.field) for p in problems] == [
        ("content/events/monthly.fi.md", 3, "occurrences")]
    assert "plan the dates there" in problems[0].message


def test_a_date_far_beyond_the_series_is_refused_without_walking_to_it(make_repo: MakeRepo) -> None:
    daily = CALL.replace("FREQ=MONTHLY;BYDAY=1TH", "FREQ=DAILY")
    problems = problems_of(make_repo, daily.format(plans="  8999-01-01:\n    title: Far\n"))
    assert [(p.line, p.message) for p in problems] == [(7, (
        "8999-01-01 is more than 30 years after the series starts (2027-01-07): plan nearer dates"))]
