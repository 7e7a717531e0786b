"""``plan``: the team's editorial calendar, week by week, with its gaps.

The same sources and the same start give the same plan."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import icalendar
import markdown
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import MakeRepo
from tidings.cli import main
from tidings.content import load
from tidings.errors import UsageError
from tidings.plan import output, plan, start_day
from tidings.plan.agenda import agenda

NEWS = "---\ntitle: {title}\ndate: {date}\n{extra}---\nBody.\n"
CALL = """---
title: Monthly call
start: 2027-01-07 18:00
duration: PT1H
timezone: Europe/Helsinki
kind: call
hosts: [Aino Virtanen]
repeat: FREQ=MONTHLY;BYDAY=1TH
---
"""
SURVEY = """---
id: pulse
title: Pulse | quick
opens: 2027-01-05 09:00
closes: 2027-01-20 09:00
questions:
  - id: q
    text: Good?
    options: [Yes, No]
---
"""
STORY = "---\ntitle: Waiting story\ndate: 2027-01-06\nmember: Eleni\n---\nText.\n"
ISSUE = "---\nsubject: January news\nsend_at: 2027-01-12 09:00\n{extra}---\nHello.\n"


def repo(make_repo: MakeRepo, **extra: str) -> Path:
    files = {
        "content/announcements/launch.md": NEWS.format(title="Launch", date="2027-01-14 10:00", extra=""),
        "content/announcements/later.md": NEWS.format(title="Later draft", date="2027-01-13",
                                                      extra="draft: true\n"),
        "content/pages/notes.md": "---\ntitle: Undated draft\ndraft: true\n---\nText.\n",
        "content/events/call.md": CALL,
        "content/surveys/pulse.md": SURVEY,
        "content/stories/waiting.md": STORY,
        "newsletters/2027-01.md": ISSUE.format(extra="include: [content/announcements/launch.md]\n"),
    }
    files.update(extra)
    return make_repo(files)


def test_the_plan_lists_every_kind_of_scheduled_thing_in_its_week(make_repo: MakeRepo) -> None:
    root = repo(make_repo)
    built = agenda(load(root), date(2027, 1, 4), 3)
    weeks = {w.label: [(p.what, p.title, p.note) for p in w.items] for w in built.weeks}
    assert weeks["2027-W01"] == [("opens", "Pulse | quick", ""),
                                 ("public", "Waiting story", "awaiting consent"),
                                 ("event", "Monthly call", "call; hosts: Aino Virtanen")]
    assert weeks["2027-W02"] == [("send", "January news", "to everyone"),
                                 ("public", "Later draft", "draft"), ("public", "Launch", "")]
    assert weeks["2027-W03"] == [("closes", "Pulse | quick", "")]
    assert [e.title for e in built.drafts] == ["Undated draft"]
    assert [s.title for s in built.awaiting_consent] == ["Waiting story"]


def test_a_repeating_event_appears_in_every_week_it_takes_place(make_repo: MakeRepo) -> None:
    built = agenda(load(repo(make_repo)), date(2027, 1, 1), 10)
    calls = [p.when.date().isoformat() for w in built.weeks for p in w.items if p.what == "event"]
    assert calls == ["2027-01-07", "2027-02-04", "2027-03-04"]


def test_an_issue_with_nothing_new_to_include_is_a_gap(make_repo: MakeRepo) -> None:
    empty = {"newsletters/2027-01.md": ISSUE.format(extra="")}
    built = agenda(load(repo(make_repo, **empty)), date(2027, 1, 11), 1)
    (week,) = built.weeks
    assert week.gaps == ("issue with nothing new to include: January news (newsletters/2027-01.md)",)


def test_an_issue_that_includes_something_is_no_gap(make_repo: MakeRepo) -> None:
    (week,) = agenda(load(repo(make_repo)), date(2027, 1, 11), 1).weeks
    assert week.gaps == ()


def test_the_same_sources_and_start_give_the_same_plan_in_every_format(make_repo: MakeRepo, tmp_path: Path
                                                                      ) -> None:
    root = repo(make_repo)
    made = []
    for run in range(2):
        ics, md = tmp_path / f"plan{run}.ics", tmp_path / f"plan{run}.md"
        report = plan(root, start="2027-W01", weeks=4, ics=ics, markdown=md)
        made.append(("\n".join(line.text for line in report.lines), ics.read_bytes(), md.read_text()))
    assert made[0][1:] == made[1][1:]
    assert made[0][0].replace("plan0", "plan1") == made[1][0]


def test_the_ics_plan_parses_and_holds_every_item_once(make_repo: MakeRepo, tmp_path: Path) -> None:
    root = repo(make_repo, **{"newsletters/2027-01.md": ISSUE.format(extra="")})
    plan(root, start="2027-01-04", weeks=3, ics=tmp_path / "plan.ics")
    calendar = icalendar.Calendar.from_ical((tmp_path / "plan.ics").read_bytes())
    events = list(calendar.walk("VEVENT"))
    summaries = sorted(str(e["SUMMARY"]) for e in events)
    assert "sent: January news" in summaries and "event: Monthly call" in summaries
    assert "Gap: issue with nothing new to include: January news (newsletters/2027-01.md)" in summaries
    assert len({str(e["UID"]) for e in events}) == len(events)


def test_the_markdown_plan_keeps_a_pipe_in_a_title_inside_its_cell(make_repo: MakeRepo,
                                                                   tmp_path: Path) -> None:
    root = repo(make_repo)
    plan(root, start="2027-01-04", weeks=1, markdown=tmp_path / "plan.md")
    html = markdown.markdown((tmp_path / "plan.md").read_text(encoding="utf-8"), extensions=["tables"])
    rows = re.findall(r"<tr>(.*?)</tr>", html, flags=re.S)
    assert rows and all(row.count("<td>") in (0, 4) for row in rows)
    assert any("Pulse | quick" in row for row in rows)


def test_plan_on_the_command_line_says_what_a_bad_from_should_be(make_repo: MakeRepo,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    root = repo(make_repo)
    assert main(["--root", str(root), "plan", "--from", "next monday"]) == 2
    assert "2027-W03" in capsys.readouterr().err
    assert main(["--root", str(root), "plan", "--from", "2027-W01", "--weeks", "2"]) == 0
    out = capsys.readouterr().out
    assert "2027-W01" in out and "2027-W02" in out and "Monthly call" in out


def test_plan_reports_a_broken_file_as_path_and_line_without_a_traceback(make_repo: MakeRepo,
                                                                         capsys: pytest.CaptureFixture[str]
                                                                         ) -> None:
    root = repo(make_repo, **{"content/announcements/bad.md": "---\ntitle: Bad\ndate: 2027-13-01\n---\n"})
    assert main(["--root", str(root), "plan"]) == 1
    err = capsys.readouterr().err
    assert "content/announcements/bad.md:3" in err and "Traceback" not in err


def test_the_text_plan_marks_each_week_and_its_gaps(make_repo: MakeRepo) -> None:
    root = repo(make_repo, **{"newsletters/2027-01.md": ISSUE.format(extra="")})
    community = load(root)
    text = output.text(agenda(community, date(2027, 1, 11), 1), community.config)
    assert "2027-W02 · Mon 11 Jan – Sun 17 Jan 2027" in text
    assert "  ! issue with nothing new to include: January news" in text


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=30) | st.from_regex(r"\d{4}-W\d{2}", fullmatch=True))
def test_any_from_value_is_a_date_or_a_usage_error(value: str) -> None:
    try:
        day = start_day(value, date(2027, 1, 1))
    except UsageError as exc:
        assert "2027-W03" in str(exc)
    else:
        assert isinstance(day, date)


def test_the_plan_shows_each_occurrence_as_planned_and_a_cancelled_one_as_cancelled(make_repo: MakeRepo
                                                                                    ) -> None:
    planned_call = CALL.replace("repeat: FREQ=MONTHLY;BYDAY=1TH\n", """repeat: FREQ=MONTHLY;BYDAY=1TH
occurrences:
  2027-01-07:
    title: January Q&A with the CTO
    kind: qa
    hosts: [Ilkka Rautio, CTO]
  2027-03-04:
    cancelled: true
""")
    built = agenda(load(repo(make_repo, **{"content/events/call.md": planned_call})), date(2027, 1, 1), 10)
    calls = [(p.when.date().isoformat(), p.title, p.note) for w in built.weeks for p in w.items
             if p.what == "event"]
    assert calls == [("2027-01-07", "January Q&A with the CTO", "qa; hosts: Ilkka Rautio, CTO"),
                     ("2027-02-04", "Monthly call", "call; hosts: Aino Virtanen"),
                     ("2027-03-04", "Monthly call", "cancelled; call; hosts: Aino Virtanen")]


def test_weeks_without_a_topic_and_topics_without_a_host_are_gaps(make_repo: MakeRepo) -> None:
    topics = {
        "content/topics/offline.md": ("---\ntitle: Offline packs\nweek: 2027-W01\n"
                                      "host: Aino Virtanen, CTO\n---\n"),
        "content/topics/routing.md": "---\ntitle: Routing\nweek: 2027-W03\n---\n",
    }
    built = agenda(load(repo(make_repo, **topics)), date(2027, 1, 4), 3)
    first, second, third = built.weeks
    assert [(p.what, p.title, p.note, p.all_week) for p in first.items if p.what == "topic"] == [
        ("topic", "Offline packs", "host: Aino Virtanen, CTO", True)]
    assert first.gaps == ()
    assert second.gaps == ("no topic this week",)
    assert third.gaps == ("topic without a host: Routing (content/topics/routing.md)",)
