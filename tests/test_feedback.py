"""Answers come home as files: pseudonymous, stable, then onto the site as of T."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.conftest import PULSE_SURVEY, MakeRepo
from tidings.content import load
from tidings.errors import ContentError
from tidings.feedback import export_feedback, import_feedback
from tidings.repo_check import check_all
from tidings.site.engine import build_site
from tidings.store import open_database
from tidings.store.schema import answers
from tidings.tokens import Signer

SURVEY = PULSE_SURVEY.format(closes="2099-01-01")
SIGNER = Signer("feedback-test-secret-" + "f" * 12)


def make(make_repo: MakeRepo) -> Path:
    return make_repo({"content/surveys/pulse.md": SURVEY})


def record(root: Path, rows: list[tuple[str, str, int, str | None, datetime]]) -> None:
    with open_database(root).begin() as connection:
        for respondent, question, option, comment, at in rows:
            connection.execute(answers.insert().values(
                survey="pulse", question=question, respondent=respondent, option=option,
                comment=comment, issue="december", answered_at=at))


DAY = datetime(2026, 11, 20, 12, tzinfo=UTC)


def test_export_writes_pseudonymous_rows_in_a_stable_order(make_repo: MakeRepo) -> None:
    root = make(make_repo)
    record(root, [("bbb", "often", 1, None, DAY), ("aaa", "happy", 0, "Great <b>fun</b>", DAY),
                  ("aaa", "often", 2, None, DAY + timedelta(days=1))])
    changed = export_feedback(open_database(root), load(root))
    assert changed == {"pulse": 3}
    text = (root / "feedback/pulse.csv").read_text()
    assert text == ("respondent,question,answer,comment,date,source,publish\n"
                    "aaa,happy,Yes,Great <b>fun</b>,2026-11-20,email,\n"
                    "bbb,often,Weekly,,2026-11-20,email,\n"
                    "aaa,often,Rarely,,2026-11-21,email,\n")
    assert export_feedback(open_database(root), load(root)) == {}  # idempotent: nothing rewritten
    assert "@" not in text


def test_editors_publish_flags_survive_a_new_export(make_repo: MakeRepo) -> None:
    root = make(make_repo)
    record(root, [("aaa", "happy", 0, "Lovely", DAY)])
    export_feedback(open_database(root), load(root))
    path = root / "feedback/pulse.csv"
    path.write_text(path.read_text().replace("email,\n", "email,yes\n"))
    record(root, [("ccc", "happy", 1, None, DAY)])
    export_feedback(open_database(root), load(root))
    assert "Lovely,2026-11-20,email,yes" in path.read_text()


def test_import_from_another_form_tool_into_the_same_shape(make_repo: MakeRepo, tmp_path: Path) -> None:
    root = make(make_repo)
    external = tmp_path / "responses.csv"
    external.write_text("Timestamp,Email,Are you happy?,often,Comment\n"
                        "2026-11-21 10:00,ann@example.org,No,Daily,From the form\n"
                        "2026-11-22 09:00,bob@example.org,Yes,,\n")
    assert import_feedback(root, load(root), external, "pulse", SIGNER) == 3
    rows = list(csv.DictReader(io.StringIO((root / "feedback/pulse.csv").read_text())))
    assert [(r["question"], r["answer"], r["source"]) for r in rows] == [
        ("happy", "No", "import"), ("often", "Daily", "import"), ("happy", "Yes", "import")]
    assert "example.org" not in (root / "feedback/pulse.csv").read_text()
    record(root, [("zzz", "happy", 0, None, DAY)])
    export_feedback(open_database(root), load(root))  # the collector's answers join, imports stay
    assert len(list(csv.DictReader(io.StringIO((root / "feedback/pulse.csv").read_text())))) == 4


def test_import_with_a_bad_answer_writes_nothing(make_repo: MakeRepo, tmp_path: Path) -> None:
    root = make(make_repo)
    external = tmp_path / "responses.csv"
    external.write_text("happy\nYes\nMaybe\n")
    with pytest.raises(ContentError) as caught:
        import_feedback(root, load(root), external, "pulse", SIGNER)
    assert str(caught.value.problems[0]) == ("responses.csv:3: 'Maybe' is not an option of question "
                                             "'happy' (Yes, No)")
    assert not (root / "feedback/pulse.csv").exists()


def test_check_validates_feedback_files(make_repo: MakeRepo) -> None:
    root = make(make_repo)
    (root / "feedback").mkdir()
    (root / "feedback/pulse.csv").write_text("respondent,question,answer,comment,date,source,publish\n"
                                             "a,happy,Maybe,,2026-11-20,email,\n"
                                             "b,nope,Yes,,2026-11-20,email,\n"
                                             "c,happy,Yes,,yesterday,email,\n")
    (root / "feedback/ghost.csv").write_text("respondent,question,answer\n")
    _, problems = check_all(root)
    assert [str(p) for p in problems] == [
        "feedback/ghost.csv:1: no survey 'ghost' in content/surveys/ for this file",
        "feedback/pulse.csv:2: 'Maybe' is not an option of question 'happy'",
        "feedback/pulse.csv:3: question 'nope' is not in survey 'pulse'",
        "feedback/pulse.csv:4: 'yesterday' is not a date (2026-11-23)",
    ]


def test_results_page_counts_answers_as_of_t_and_escapes_comments(make_repo: MakeRepo) -> None:
    root = make(make_repo)
    record(root, [("a", "happy", 0, '<script>alert("x")</script>', DAY), ("b", "happy", 0, None, DAY),
                  ("c", "happy", 1, None, DAY), ("d", "happy", 1, "Late answer", DAY + timedelta(days=5))])
    export_feedback(open_database(root), load(root))
    path = root / "feedback/pulse.csv"
    path.write_text(path.read_text().replace("email,\n", "email,yes\n"))
    site = build_site(root, datetime(2026, 11, 23, tzinfo=UTC)).site_dir
    page = (site / "surveys/pulse/index.html").read_text()
    assert "Responses: 3" in page
    assert "2 · 67%" in page and "1 · 33%" in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page or "&lt;script&gt;" in page
    assert "<script>alert" not in page
    assert "Late answer" not in page  # answered after T
    later = build_site(root, datetime(2026, 12, 31, tzinfo=UTC), root / "later").site_dir
    assert "Responses: 4" in (later / "surveys/pulse/index.html").read_text()
    with open_database(root).connect() as connection:
        assert connection.execute(sa.select(sa.func.count()).select_from(answers)).scalar() == 4
