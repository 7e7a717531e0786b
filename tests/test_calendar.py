"""The calendar: recurring events end when an editor says, the ICS is deterministic and right for
every year it reaches, and a date alone in an end means through the end of that day."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import pytest
import recurring_ical_events
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import tidings
from tests.conftest import PULSE_SURVEY, PYPROJECT, REPO_ROOT, MakeRepo, write_files
from tidings.calendar import schedule
from tidings.calendar.sentence import describe_repeat
from tidings.content import check
from tidings.content.model import Community
from tidings.issue import issue_content
from tidings.site.engine import build_site

HELSINKI = ZoneInfo("Europe/Helsinki")
STAMP = datetime(2026, 12, 1, 12, tzinfo=UTC)


def event_file(start: str, repeat: str, *, end: str = "", timezone: str = "") -> str:
    lines = ["---", "title: Weekly call", f"start: {start}", end or "duration: PT1H",
             f"repeat: {repeat}"]
    if timezone:
        lines.append(f"timezone: {timezone}")
    return "\n".join([*lines, "---", "We talk.", ""])


def load(root: Path) -> Community:
    community, problems = check(root, history=False)
    assert [str(p) for p in problems] == []
    assert community is not None
    return community


def ics_of(community: Community) -> bytes:
    return schedule.build_calendar(community.events, community.config, STAMP, {})


def ics_starts(ics: bytes, since: date, until: date) -> list[datetime | date]:
    calendar = icalendar.Calendar.from_ical(ics)
    found = recurring_ical_events.of(calendar).between(since, until)
    return sorted(e.decoded("dtstart") for e in found)


UNTIL_FORMS = ["20270331T235959Z", "20270331T235959", "20270331", "2027-03-31",
               "2027-03-31T23:59:59", "2027-03-31T23:59:59Z"]


@pytest.mark.parametrize("until", UNTIL_FORMS)
def test_a_timed_weekly_call_ends_on_the_until_day_in_every_form_an_editor_writes(
        make_repo: MakeRepo, until: str) -> None:
    root = make_repo({"content/events/call.md": event_file(
        "2027-01-06T18:00", f"FREQ=WEEKLY;BYDAY=WE;UNTIL={until}")})
    community = load(root)
    event = community.events[0]
    found = schedule.occurrences(event, datetime(2027, 1, 1, tzinfo=UTC), datetime(2028, 1, 1, tzinfo=UTC))
    assert len(found) == 13
    assert found[-1].start == datetime(2027, 3, 31, 18, tzinfo=HELSINKI)
    # The subscribable file says the same as the calendar page (and the email, which shares it).
    assert ics_starts(ics_of(community), date(2027, 1, 1), date(2028, 1, 1)) == [o.start for o in found]


@pytest.mark.parametrize("until", UNTIL_FORMS)
def test_an_all_day_series_ends_on_the_until_day_in_every_form_an_editor_writes(
        make_repo: MakeRepo, until: str) -> None:
    root = make_repo({"content/events/day.md": event_file(
        "2027-01-06", f"FREQ=WEEKLY;BYDAY=WE;UNTIL={until}", end="end: 2027-01-06")})
    community = load(root)
    event = community.events[0]
    assert event.all_day
    found = schedule.occurrences(event, datetime(2027, 1, 1, tzinfo=UTC), datetime(2028, 1, 1, tzinfo=UTC))
    assert [o.start.date() for o in found][-1] == date(2027, 3, 31) and len(found) == 13
    assert ics_starts(ics_of(community), date(2027, 1, 1), date(2028, 1, 1)) == [
        o.start.date() for o in found]


def test_until_is_utc_for_a_timed_event_and_a_date_for_an_all_day_event_in_the_ics(
        make_repo: MakeRepo) -> None:
    root = make_repo({
        "content/events/call.md": event_file("2027-01-06T18:00", "FREQ=WEEKLY;UNTIL=20270331"),
        "content/events/day.md": event_file("2027-01-06", "FREQ=WEEKLY;UNTIL=20270331T235959Z",
                                            end="end: 2027-01-06"),
    })
    calendar = icalendar.Calendar.from_ical(ics_of(load(root)))
    until = {str(e["uid"]).split("@")[0]: e["rrule"]["UNTIL"][0] for e in calendar.walk("VEVENT")}
    # RFC 5545: UNTIL is UTC when DTSTART has a TZID, and a DATE when DTSTART is a DATE.
    assert until["call"] == datetime(2027, 3, 31, 20, 59, 59, tzinfo=UTC)  # 23:59:59 EEST
    assert until["day"] == date(2027, 3, 31)


def test_a_date_until_on_a_timed_event_is_described_as_that_day_in_the_events_zone(
        make_repo: MakeRepo) -> None:
    root = make_repo({"content/events/call.md": event_file(
        "2027-01-06T18:00", "FREQ=WEEKLY;BYDAY=WE;UNTIL=20270331", timezone="America/Los_Angeles")})
    event = load(root).events[0]
    assert event.repeat is not None
    sentence = describe_repeat(event.repeat, "en", event.timezone)
    assert sentence == "every week on Wednesday, until March 31, 2027"


@pytest.mark.parametrize(("repeat", "message"), [
    ("FREQ=WEEKLY;UNTIL=31.03.2027", "UNTIL=31.03.2027 is not a date such as 20270331"),
    ("FREQ=WEEKLY;UNTIL=20270231", "UNTIL=20270231: day is out of range"),
    ("FREQ=WEEKLY;COUNT=3;UNTIL=20270331", "give either COUNT or UNTIL, not both"),
    ("FREQ=WEEKLY;UNTIL=20261231", "UNTIL=20261231 is before 'start'"),
    ("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=31", "no day in the 30 years from 'start' matches the rule"),
    ("FREQ=MINUTELY", "FREQ=MINUTELY: events repeat at most daily"),
])
def test_a_repeat_that_cannot_work_is_reported_on_its_line(
        make_repo: MakeRepo, repeat: str, message: str) -> None:
    root = make_repo({"content/events/call.md": event_file("2027-01-06T18:00", repeat)})
    _, problems = check(root, history=False)
    assert len(problems) == 1 and problems[0].line == 5 and message in problems[0].message, problems


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(st.characters(codec="utf-8"), max_size=60))
def test_any_repeat_text_is_a_problem_or_a_series_never_a_traceback(tmp_path: Path, text: str) -> None:
    root = tmp_path / f"r{abs(hash(text))}"
    write_files(root, {"pyproject.toml": PYPROJECT})
    (root / "content/events").mkdir(parents=True, exist_ok=True)
    quoted = text.replace("\\", "\\\\").replace('"', '\\"')
    (root / "content/events/e.md").write_text(
        f'---\ntitle: E\nstart: 2027-01-06T18:00\nduration: PT1H\nrepeat: "{quoted}"\n---\n', "utf-8")
    community, problems = check(root, history=False)
    if not problems:
        assert community is not None
        ics_of(community)


ZONES = ["Europe/Helsinki", "America/New_York", "Australia/Sydney", "Asia/Jerusalem",
         "America/Santiago", "Africa/Casablanca", "Asia/Tokyo", "Pacific/Auckland"]


def test_vtimezones_follow_the_zone_database_in_2026_2033_2040_and_2050(make_repo: MakeRepo) -> None:
    files = {f"content/events/call-{i}.md": event_file("2026-01-07T18:00", "FREQ=WEEKLY", timezone=zone)
             for i, zone in enumerate(ZONES)}
    calendar = icalendar.Calendar.from_ical(ics_of(load(make_repo(files))))
    blocks = {str(b["tzid"]): b.to_tz(lookup_tzid=False) for b in calendar.walk("VTIMEZONE")}
    assert sorted(blocks) == sorted(ZONES)
    events = [e for e in calendar.walk("VEVENT")]
    for year in (2026, 2033, 2040, 2050):
        for occurrence in recurring_ical_events.of(calendar).between(date(year, 1, 1), date(year + 1, 1, 1)):
            start = occurrence.decoded("dtstart")
            zone = str(start.tzinfo)
            wall = start.replace(tzinfo=None)
            # The offset a calendar app reads from the file is the one the zone database gives.
            assert wall.replace(tzinfo=blocks[zone]).utcoffset() == start.utcoffset(), (zone, wall)
    assert len(events) == len(ZONES)


def test_a_finished_series_gets_a_vtimezone_for_its_own_years(make_repo: MakeRepo) -> None:
    root = make_repo({"content/events/call.md": event_file(
        "2030-01-02T18:00", "FREQ=WEEKLY;COUNT=104", timezone="America/New_York")})
    community = load(root)
    calendar = icalendar.Calendar.from_ical(ics_of(community))
    block = calendar.walk("VTIMEZONE")[0].to_tz(lookup_tzid=False)
    event = community.events[0]
    found = schedule.occurrences(event, datetime(2029, 1, 1, tzinfo=UTC), datetime(2033, 1, 1, tzinfo=UTC))
    assert len(found) == 104
    for o in found:
        assert o.start.replace(tzinfo=block).utcoffset() == o.start.utcoffset()


HASH_SCRIPT = """
import sys
from datetime import UTC, datetime
from pathlib import Path
from tidings.content import check
from tidings.calendar import schedule
community, _ = check(Path(sys.argv[1]), history=False)
sys.stdout.buffer.write(schedule.build_calendar(
    community.events, community.config, datetime(2026, 12, 1, tzinfo=UTC), {}))
"""


def test_events_ics_is_byte_identical_whatever_the_hash_seed(make_repo: MakeRepo) -> None:
    files = {f"content/events/call-{i}.md": event_file("2026-01-07T18:00", "FREQ=WEEKLY", timezone=zone)
             for i, zone in enumerate(ZONES[:5])}
    root = make_repo(files)
    outputs = []
    for seed in ("1", "2", "3"):
        env = {**os.environ, "PYTHONHASHSEED": seed,
               "PYTHONPATH": os.pathsep.join([str(Path(tidings.__file__).parents[1]), str(REPO_ROOT)])}
        outputs.append(subprocess.run([sys.executable, "-c", HASH_SCRIPT, str(root)], env=env,
                                      check=True, capture_output=True).stdout)
    assert outputs[0] == outputs[1] == outputs[2]
    assert outputs[0].count(b"BEGIN:VTIMEZONE") == 5


SURVEY = PULSE_SURVEY.format(closes="2027-01-31")


def test_a_survey_closing_on_a_date_is_open_through_the_end_of_that_day(make_repo: MakeRepo) -> None:
    survey = load(make_repo({"content/surveys/pulse.md": SURVEY})).surveys[0]
    assert survey.is_open(datetime(2027, 1, 31, 23, 59, tzinfo=HELSINKI))
    assert not survey.is_open(datetime(2027, 2, 1, 0, 0, tzinfo=HELSINKI))


def test_a_survey_closing_at_a_time_closes_at_that_time(make_repo: MakeRepo) -> None:
    root = make_repo({"content/surveys/pulse.md": SURVEY.replace("2027-01-31", "2027-01-31T18:00")})
    survey = load(root).surveys[0]
    assert survey.is_open(datetime(2027, 1, 31, 17, 59, tzinfo=HELSINKI))
    assert not survey.is_open(datetime(2027, 1, 31, 18, 0, tzinfo=HELSINKI))


def test_an_all_day_event_ending_on_a_date_includes_that_day(make_repo: MakeRepo) -> None:
    root = make_repo({"content/events/sprint.md": """
        ---
        title: Year-end sprint
        start: 2026-12-28
        end: 2026-12-31
        ---
        Four days.
        """, "content/events/day.md": """
        ---
        title: Open day
        start: 2026-12-29
        end: 2026-12-29
        ---
        One day.
        """})
    community = load(root)
    sprint = next(e for e in community.events if e.slug == "sprint")
    assert sprint.all_day and sprint.end == datetime(2027, 1, 1, tzinfo=HELSINKI)
    events = {str(e["uid"]).split("@")[0]: e for e in
              icalendar.Calendar.from_ical(ics_of(community)).walk("VEVENT")}
    # RFC 5545: an all-day DTEND is the day after the last day.
    assert events["sprint"].decoded("dtend") == date(2027, 1, 1)
    assert events["day"].decoded("dtstart") == date(2026, 12, 29)
    assert events["day"].decoded("dtend") == date(2026, 12, 30)


def test_the_site_says_what_the_editor_wrote_for_date_ends(make_repo: MakeRepo) -> None:
    root = make_repo({"content/surveys/pulse.md": SURVEY, "content/events/sprint.md": """
        ---
        title: Year-end sprint
        start: 2027-01-28
        end: 2027-01-31
        ---
        Four days.
        """})
    site = build_site(root, datetime(2027, 1, 31, 20, tzinfo=HELSINKI)).site_dir
    survey = (site / "surveys/pulse/index.html").read_text()
    assert "Open until: Sunday, January 31, 2027" in survey and "Closed" not in survey
    events = (site / "events/index.html").read_text()
    assert "Thursday, January 28, 2027 – Sunday, January 31, 2027 (all day)" in events


def test_page_ics_and_email_give_the_same_next_time_across_a_dst_change(make_repo: MakeRepo) -> None:
    zones = {"ny": "America/New_York", "syd": "Australia/Sydney", "hel": "Europe/Helsinki"}
    files = {f"content/events/{slug}.md": event_file("2027-02-24T18:00", "FREQ=WEEKLY;UNTIL=2027-04-14",
                                                     timezone=zone) for slug, zone in zones.items()}
    files["newsletters/march.md"] = (
        "---\nsubject: March\nsend_at: 2027-03-26T09:00\ninclude:\n"
        + "".join(f"  - content/events/{slug}.md\n" for slug in zones) + "---\nHello.\n")
    community = load(make_repo(files))
    at = datetime(2027, 3, 26, 9, tzinfo=HELSINKI)
    email = {o.event.slug: o.start for o in issue_content(community, community.newsletters[0], at).events}
    page = {}
    for o in schedule.upcoming(community.events, at, 2):
        page.setdefault(o.event.slug, o.start)
    calendar = icalendar.Calendar.from_ical(ics_of(community))
    ics: dict[str, datetime] = {}
    for e in sorted(recurring_ical_events.of(calendar).between(at, date(2027, 6, 1)),
                    key=lambda e: e.decoded("dtstart")):
        ics.setdefault(str(e["uid"]).split("@")[0], e.decoded("dtstart"))
    assert email == page == ics
    # The next call (Wed 31 March) is after the spring change in New York and Helsinki, and
    # before the autumn change in Sydney.
    assert {slug: start.utcoffset() for slug, start in email.items()} == {
        "ny": timedelta(hours=-4), "syd": timedelta(hours=11), "hel": timedelta(hours=3)}


def _until_text(day: date, form: str) -> str:
    return {"utc": f"{day:%Y%m%d}T235959Z", "local": f"{day:%Y%m%d}T235959", "date": f"{day:%Y%m%d}",
            "iso": day.isoformat(), "iso-time": f"{day.isoformat()}T23:59:59"}[form]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(last=st.dates(date(2027, 1, 6), date(2029, 12, 31)),
       form=st.sampled_from(["utc", "local", "date", "iso", "iso-time"]),
       zone=st.sampled_from(ZONES), all_day=st.booleans(), freq=st.sampled_from(["DAILY", "WEEKLY"]))
def test_any_until_gives_the_same_series_on_the_page_and_in_the_ics(
        tmp_path: Path, last: date, form: str, zone: str, all_day: bool, freq: str) -> None:
    root = tmp_path / f"r{last:%Y%m%d}{form}{zone.replace('/', '')}{all_day}{freq}"
    write_files(root, {"pyproject.toml": PYPROJECT, "content/events/e.md": event_file(
        "2027-01-06" if all_day else "2027-01-06T18:00",
        f"FREQ={freq};INTERVAL=3;UNTIL={_until_text(last, form)}",
        end="end: 2027-01-06" if all_day else "", timezone=zone)})
    community = load(root)
    event = community.events[0]
    found = schedule.occurrences(event, datetime(2027, 1, 1, tzinfo=UTC), datetime(2031, 1, 1, tzinfo=UTC))
    starts = [o.start.date() if all_day else o.start for o in found]
    assert ics_starts(ics_of(community), date(2027, 1, 1), date(2031, 1, 1)) == starts
    # The series ends on the day written (UTC forms: on that day or the next, east of Greenwich).
    assert found[-1].start.date() <= last + (timedelta(days=1) if form == "utc" and not all_day else
                                             timedelta(0))
