"""The monthly report: every figure equals a direct count of a known history; no personal data out."""

from __future__ import annotations

import re
import statistics
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import markdown
import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.collector_support import SECRET, running_collector, token
from tests.conftest import MakeRepo
from tests.report_support import (
    FILES,
    MONTH_END,
    MONTH_START,
    PEOPLE,
    PYPROJECT,
    SECRET_TEXTS,
    build_history,
    state_at,
    utc,
)
from tidings.cli import main
from tidings.content import load
from tidings.errors import UsageError
from tidings.report import monthly_report, write_report
from tidings.report.figures import MonthlyReport
from tidings.report.months import Month, parse_month
from tidings.report.render import MD_EXTENSIONS, text
from tidings.store import open_database
from tidings.store import report_queries as q
from tidings.store.schema import consent_events, send_log
from tidings.store.subscribers import add

HELSINKI = ZoneInfo("Europe/Helsinki")
NOW = datetime(2026, 11, 30, 12, tzinfo=UTC)


def figures_of(engine: sa.Engine, root: Path) -> MonthlyReport:
    return monthly_report(engine, load(root, history=False), Month(2026, 10), NOW)


@pytest.fixture
def history_repo(make_repo: MakeRepo, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, sa.Engine]:
    root = make_repo(FILES, pyproject=PYPROJECT)
    engine = open_database(root)
    build_history(engine, root, monkeypatch)
    return root, engine


def _count_left(engine: sa.Engine, state: str) -> int:
    e = consent_events.c
    with engine.connect() as connection:
        query = sa.select(sa.func.count()).select_from(consent_events).where(
            e.at >= MONTH_START, e.at < MONTH_END, e.from_state == "confirmed", e.to_state == state)
        return int(connection.execute(query).scalar_one())


def test_month_boundaries_are_local_midnights_and_the_default_is_the_last_full_month() -> None:
    october = Month(2026, 10)
    assert october.start(HELSINKI) == MONTH_START and october.end(HELSINKI) == MONTH_END
    # 00:30 on 1 November in Helsinki is still 31 October in UTC: October is already complete.
    assert parse_month(None, utc(2026, 10, 31, 22, 30), HELSINKI) == october
    assert parse_month(None, utc(2026, 10, 31, 21, 30), HELSINKI) == Month(2026, 9)
    assert parse_month(None, utc(2027, 1, 5), HELSINKI) == Month(2026, 12)
    with pytest.raises(UsageError, match="2026-10"):
        parse_month("2026-13", NOW, HELSINKI)


def test_every_member_figure_equals_a_direct_count_of_the_consent_log(
        history_repo: tuple[Path, sa.Engine]) -> None:
    root, engine = history_repo
    m = figures_of(engine, root).members
    at_start = sum(1 for s in state_at(engine, MONTH_START).values() if s == "confirmed")
    at_end = sum(1 for s in state_at(engine, MONTH_END).values() if s == "confirmed")
    assert (m.at_start, m.at_end) == (at_start, at_end) == (4, 5)
    # Dmitri (00:30 local on 1 Oct), Elspeth (the first instant), Hamish (import), Bertil (back),
    # Fionnuala (23:30 local on 31 Oct); not Gudrun (00:30 local on 1 Nov, UTC still October).
    assert m.joined == 5
    assert m.left == {state: _count_left(engine, state) for state in q.LEAVE_STATES} == {
        "unsubscribed": 2, "bounced": 1, "complained": 1}
    assert m.at_start + m.joined - m.left_total == m.at_end
    assert m.sources == {"sign-up form": 2, "command line": 2, "import": 1}
    assert m.growth == pytest.approx(1 / 4) and m.churn == pytest.approx(4 / 4)
    september = m.history[-2]
    assert (september.label, september.members_at_end, september.left) == ("2026-09", 4, 1)
    assert [p.label for p in m.history][0] == "2025-11" and len(m.history) == 12


def test_issue_figures_equal_the_send_log_and_the_issues_own_unsubscribe_links(
        history_repo: tuple[Path, sa.Engine]) -> None:
    root, engine = history_repo
    (issue,) = figures_of(engine, root).issues
    with engine.connect() as connection:
        states = dict(connection.execute(sa.select(send_log.c.state, sa.func.count()).where(
            send_log.c.issue == "oct-news").group_by(send_log.c.state)).all())
    c = issue.counts
    assert issue.subject == "October news"
    assert (c.recipients, c.delivered, c.failed, c.bounced) == (
        sum(states.values()), states["sent"], states["failed"], states["bounced"]) == (6, 4, 1, 1)
    assert c.unsubscribes == 1  # Aurelia, through the link of this issue


def test_the_collectors_one_click_unsubscribe_records_the_issue_the_report_counts(
        make_repo: MakeRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TIDINGS_SECRET", SECRET)
    root = make_repo({}, pyproject=PYPROJECT)
    engine = open_database(root)
    with engine.begin() as connection:
        member, _ = add(connection, PEOPLE["a"][0])
    with running_collector(root) as url:
        response = httpx.post(f"{url}/u/{token('unsubscribe', str(member.id), 'december')}",
                              data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    with engine.connect() as connection:
        counted = q.unsubscribes_by_issue(connection, ["december", "november"], utc(2099, 1, 1))
    assert counted == {"december": 1}


def test_survey_response_rate_is_respondents_over_members_the_carrying_issues_reached(
        history_repo: tuple[Path, sa.Engine]) -> None:
    root, engine = history_repo
    (survey,) = figures_of(engine, root).surveys
    assert (survey.id, survey.respondents, survey.reached) == ("pulse", 2, 4)
    assert survey.response_rate == pytest.approx(0.5)
    assert survey.questions[0].options == (("Yes", 1), ("No", 1))
    assert survey.new_comments == 1  # the one after the month is not counted


def test_follow_up_figures_are_counts_and_ages_only(history_repo: tuple[Path, sa.Engine]) -> None:
    root, engine = history_repo
    a = figures_of(engine, root).followups
    assert (a.open, a.answered, a.resolved) == (2, 0, 1)
    assert a.median_hours_to_answer == pytest.approx(4.0)
    assert a.median_hours_to_resolve == pytest.approx(72.0)
    assert a.oldest_open_days == pytest.approx((NOW - utc(2026, 10, 18, 10)).total_seconds() / 86400)
    assert statistics.median([4.0]) == a.median_hours_to_answer


def test_content_counts_what_was_published_or_held_in_the_month(
        history_repo: tuple[Path, sa.Engine]) -> None:
    root, engine = history_repo
    published = figures_of(engine, root).content.published
    assert published["announcements"] == ("Autumn release",)
    assert published["stories"] == ()  # no consent yet: not published, and not named
    assert [t.split(" (")[0] for t in published["events"]] == ["Community call"]


def test_report_files_hold_no_address_name_or_comment_and_render_with_the_sites_markdown(
        history_repo: tuple[Path, sa.Engine], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root, engine = history_repo
    engine.dispose()
    out = tmp_path / "reports"
    assert main(["--root", str(root), "report", "--month", "2026-10", "--out", str(out), "--html"]) == 0
    printed = capsys.readouterr().out
    assert "4 → 5 members" in printed
    files = sorted(p.name for p in out.iterdir())
    assert files == ["2026-10-issue-oct-news.svg", "2026-10-joins-leaves.svg", "2026-10-members.svg",
                     "2026-10.html", "2026-10.md"]
    forbidden = [w for email, name in PEOPLE.values() for w in (email, name, *name.split())]
    forbidden += [*SECRET_TEXTS, "Zorbulon", "Quuxley"]
    for path in out.iterdir():
        content = path.read_text(encoding="utf-8")
        assert [w for w in forbidden if w.lower() in content.lower()] == [], path.name
    assert not any(w.lower() in printed.lower() for w in forbidden)
    page = markdown.markdown((out / "2026-10.md").read_text(encoding="utf-8"), extensions=MD_EXTENSIONS)
    assert page.count("<table>") == 3  # members, newsletters, the survey's question
    for image in re.findall(r'<img alt="[^"]*" src="([^"]+)"', page):
        assert (out / image).is_file()
    assert "<script" not in (out / "2026-10.html").read_text(encoding="utf-8")


def test_a_bad_month_is_a_usage_error_without_a_traceback(
        make_repo: MakeRepo, capsys: pytest.CaptureFixture[str]) -> None:
    root = make_repo({}, pyproject=PYPROJECT)
    assert main(["--root", str(root), "report", "--month", "October"]) == 2
    err = capsys.readouterr().err
    assert "expected a month such as 2026-10" in err and "Traceback" not in err


def test_the_same_history_gives_the_same_figures_on_postgresql(
        make_repo: MakeRepo, monkeypatch: pytest.MonkeyPatch, postgres_url: str,
        history_repo: tuple[Path, sa.Engine]) -> None:
    root, sqlite_engine = history_repo
    other = make_repo(FILES, pyproject=PYPROJECT, name="pg")
    engine = open_database(url=postgres_url)
    build_history(engine, other, monkeypatch)
    on_postgres = figures_of(engine, other)
    engine.dispose()
    on_sqlite = figures_of(sqlite_engine, root)
    assert on_postgres.members == on_sqlite.members
    assert on_postgres.issues == on_sqlite.issues
    assert on_postgres.surveys == on_sqlite.surveys
    assert on_postgres.followups == on_sqlite.followups


def test_an_empty_month_writes_a_report_too(make_repo: MakeRepo, tmp_path: Path) -> None:
    root = make_repo({}, pyproject=PYPROJECT)
    figures = monthly_report(open_database(root), load(root, history=False), Month(2026, 10), NOW)
    written = write_report(figures, tmp_path / "r")
    assert figures.members.growth is None and "No issue was sent" in written[-1].read_text(encoding="utf-8")
    again = write_report(figures, tmp_path / "again", with_html=True)
    # The same figures give the same bytes: a report committed to git changes only when a figure does.
    assert [p.read_bytes() for p in written] == [p.read_bytes() for p in again[:-1]]


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=80))
def test_content_text_in_the_report_never_becomes_markup(value: str) -> None:
    rendered = markdown.markdown(f"| {text(value)} |\n|---|\n| x |", extensions=MD_EXTENSIONS)
    tags = set(re.findall(r"</?([a-zA-Z][a-zA-Z0-9]*)", rendered))
    assert tags <= {"table", "thead", "tbody", "tr", "th", "td", "p"}


def test_the_demo_prints_a_report_of_its_list_with_no_address_or_name(make_repo: MakeRepo,
                                                                       tmp_path: Path) -> None:
    from tidings.demo import DEMO_MEMBERS, demo_report

    root = make_repo(FILES, pyproject=PYPROJECT)
    engine = open_database(url=f"sqlite:///{tmp_path / 'demo.sqlite'}")
    with engine.begin() as connection:
        for email, name, lang, zone, tags in DEMO_MEMBERS:
            add(connection, email, name=name, lang=lang, timezone=zone, tags=tags, source="demo")
    lines: list[str] = []
    demo_report(engine, load(root, history=False), datetime.now(UTC), tmp_path / "reports", lines.append)
    assert f"0 → {len(DEMO_MEMBERS)} members" in lines[0] and lines[-1].endswith("(and its charts)")
    written = "".join(p.read_text(encoding="utf-8") for p in (tmp_path / "reports").iterdir())
    assert not [w for member in DEMO_MEMBERS for w in member[:2] if w in written + "".join(lines)]


TRAFFIC_PYPROJECT = PYPROJECT + 'analytics_csv = "analytics/views.csv"\n'


def test_site_traffic_comes_from_the_analytics_export_per_day_with_the_top_pages(
        make_repo: MakeRepo, tmp_path: Path) -> None:
    export = ("date,page,pageviews\n2026-10-01,/,120\n2026-10-01,/events/,30\n2026-10-31,/,80\n"
              "2026-09-30,/,999\n2026-11-01,/,999\n2026-10-15,\"/a|b<script>\",5\n")
    root = make_repo({"analytics/views.csv": export}, pyproject=TRAFFIC_PYPROJECT)
    out = tmp_path / "reports"
    assert main(["--root", str(root), "report", "--month", "2026-10", "--out", str(out)]) == 0
    page = markdown.markdown((out / "2026-10.md").read_text(encoding="utf-8"), extensions=MD_EXTENSIONS)
    assert "235 page views this month" in page
    rows = re.findall(r"<tr>\s*<td>(.*?)</td>\s*<td[^>]*>(\d+)</td>", page.split("Site traffic")[1])
    assert rows == [("/", "200"), ("/events/", "30"), ("/a|b&lt;script&gt;", "5")]
    assert (out / "2026-10-traffic.svg").is_file()


def test_a_goatcounter_export_counts_each_hit_row_as_one_view(make_repo: MakeRepo) -> None:
    from tidings.report.traffic import read_traffic

    export = "2,Path,Title,Date\n1,/,Home,2026-10-02T10:00:00Z\n1,/,Home,2026-10-02T11:00:00Z\n"
    root = make_repo({"hits.csv": export}, pyproject=PYPROJECT)
    traffic = read_traffic(root / "hits.csv", "hits.csv", Month(2026, 10))
    assert traffic.total == 2 and dict(traffic.days)[datetime(2026, 10, 2).date()] == 2
    assert traffic.top_pages == (("/", 2),)


def test_a_bad_analytics_export_names_every_bad_row_and_writes_nothing(
        make_repo: MakeRepo, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    export = "date,page,pageviews\n2026-10-01,/,12\nyesterday,/,3\n2026-10-02,/,many\n"
    root = make_repo({"analytics/views.csv": export}, pyproject=TRAFFIC_PYPROJECT)
    out = tmp_path / "reports"
    assert main(["--root", str(root), "report", "--month", "2026-10", "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert "analytics/views.csv:3: date: expected a date such as 2026-10-31" in err
    assert "analytics/views.csv:4: views: expected a whole number" in err
    assert "Traceback" not in err and not out.exists()


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=60), min_size=1,
                max_size=4))
def test_page_names_from_an_analytics_export_stay_text_in_the_report(tmp_path_factory: pytest.TempPathFactory,
                                                                     pages: list[str]) -> None:
    from tidings.csvfiles import write_csv
    from tidings.report.render import _traffic
    from tidings.report.traffic import read_traffic

    folder = tmp_path_factory.mktemp("traffic")
    write_csv(folder / "views.csv", [["date", "page", "views"], *(["2026-10-05", p, "3"] for p in pages)])
    traffic = read_traffic(folder / "views.csv", "views.csv", Month(2026, 10))
    assert traffic.total == 3 * len(pages)
    figures = type("Figures", (), {"traffic": traffic, "month": Month(2026, 10)})()
    rendered = markdown.markdown("\n".join(_traffic(figures)), extensions=MD_EXTENSIONS)  # type: ignore[arg-type]
    tags = set(re.findall(r"</?([a-zA-Z][a-zA-Z0-9]*)", rendered))
    assert tags <= {"table", "thead", "tbody", "tr", "th", "td", "p", "h2", "img"}


def test_next_month_at_a_glance_comes_from_the_editorial_calendar(make_repo: MakeRepo,
                                                                  tmp_path: Path) -> None:
    from tidings.monthly_report import report

    files = {**FILES, "newsletters/dec-news.md": FILES["newsletters/nov-news.md"].replace(
        "2026-11-05", "2026-12-03").replace("November news", "December news")}
    root = make_repo(files, pyproject=PYPROJECT)
    report(root, month="2026-10", out=tmp_path / "r", now=NOW)
    written = (tmp_path / "r" / "2026-10.md").read_text(encoding="utf-8")
    # November: Winter plans goes public, nov-news is sent; dec-news is December's.
    assert "Next month at a glance (the editorial calendar): going public: 1, issues to send: 1." in written
    assert "Issues: November news." in written and "December news" not in written
