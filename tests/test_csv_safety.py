"""Outside text is inert in every CSV tidings writes, and round-trips through it and `check`."""

from __future__ import annotations

import csv
import io
import os
import re
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import PYPROJECT, MakeRepo, write_files
from tests.test_feedback import DAY, SIGNER, SURVEY, make, record
from tidings.content import check, load
from tidings.content.feedback_csv import read_feedback
from tidings.errors import ContentError
from tidings.feedback import export_feedback, import_feedback
from tidings.inputs import clean_text
from tidings.repo_check import check_all
from tidings.site.engine import build_site
from tidings.store import open_database
from tidings.store.importer import import_csv
from tidings.store.schema import answers
from tidings.store.subscribers import add, export_csv, iter_subscribers

# OWASP's list of characters that make a spreadsheet cell a formula (plus LF, NUL, full-width forms).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "\0", "\uff1d", "\uff0b", "\uff0d", "\uff20")
# Text with every character a member could send: full Unicode minus surrogates, controls included.
ANY_TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=300)
CONTROL_HEAVY = st.text(st.sampled_from(list("\r\n\t\0\x1b\x85\u2028\"',;=+-@' aé€😀")), max_size=40)


def raw_cells(path: Path) -> list[list[str]]:
    """Cells as a spreadsheet sees them: the file's bytes parsed without undoing anything."""
    return list(csv.reader(io.StringIO(path.read_bytes().decode("utf-8"), newline="")))


def publish_all(path: Path) -> None:
    path.write_bytes(path.read_bytes().replace(b",email,\n", b",email,yes\n"))


def comments_of(root: Path) -> list[str]:
    return [row.comment for row in read_feedback(root / "feedback/pulse.csv")]


def export_one(root: Path, comment: str) -> None:
    record(root, [("aaa", "happy", 0, comment, DAY)])
    export_feedback(open_database(root), load(root))


AWKWARD = {
    "bare CR": "first\rsecond",
    "CRLF": "first\r\nsecond",
    "LF": "first\nsecond",
    "NUL": "before\0after",
    "quotes and commas": 'She said "yes, please", twice',
    "100 KB": "Long; " * 17_000,
}


@pytest.mark.parametrize("comment", list(AWKWARD.values()), ids=list(AWKWARD))
def test_any_comment_survives_export_and_check_exactly(make_repo: MakeRepo, comment: str) -> None:
    root = make(make_repo)
    export_one(root, comment)
    _, problems = check_all(root)
    assert [str(p) for p in problems] == []
    assert comments_of(root) == [comment]
    assert export_feedback(open_database(root), load(root)) == {}  # the file reads back unchanged


def test_a_bare_cr_never_breaks_the_site_build(make_repo: MakeRepo) -> None:
    root = make(make_repo)
    record(root, [(f"r{i}", "happy", 0, c, DAY) for i, c in enumerate(AWKWARD.values())])
    export_feedback(open_database(root), load(root))
    publish_all(root / "feedback/pulse.csv")
    site = build_site(root, datetime(2026, 11, 23, tzinfo=UTC)).site_dir
    page = (site / "surveys/pulse/index.html").read_text(encoding="utf-8")
    assert "Responses: 6" in page
    assert "She said &quot;yes, please&quot;, twice" in page


@pytest.mark.parametrize("comment", ["=1+2", "+1 from me", "-5 stars", "@admin look", "\tindented",
                                     "\rcarriage", "=HYPERLINK(\"https://evil.example.org\",\"x\")",
                                     "\uff1dSUM(1)"])
def test_a_comment_that_looks_like_a_formula_is_text_in_the_file(make_repo: MakeRepo,
                                                                  comment: str) -> None:
    root = make(make_repo)
    export_one(root, comment)
    cell = raw_cells(root / "feedback/pulse.csv")[1][3]
    assert cell.startswith("'" + comment[0])
    assert comments_of(root) == [comment]


@pytest.mark.parametrize("comment", ["'quoted", "''twice", "'=1+2", "it's fine", "'"])
def test_a_comment_that_starts_with_an_apostrophe_round_trips(make_repo: MakeRepo, comment: str) -> None:
    root = make(make_repo)
    export_one(root, comment)
    assert comments_of(root) == [comment]
    assert not check_all(root)[1]


def test_a_formula_after_a_separator_inside_a_cell_is_neutralised_too(make_repo: MakeRepo) -> None:
    # A spreadsheet opening a comma file with ';' (Finnish, German Excel) splits cells there.
    comment = "fine;=HYPERLINK(\"https://evil.example.org\")\n@SUM(1)\tand, +1"
    root = make(make_repo)
    export_one(root, comment)
    text = (root / "feedback/pulse.csv").read_bytes().decode("utf-8")
    for piece in re.split(r"[,;\t\r\n]", text):
        assert not piece.lstrip('"').startswith(("=", "+", "-", "@")), piece
    assert comments_of(root) == [comment]


def test_published_comments_render_as_inert_text(make_repo: MakeRepo) -> None:
    root = make(make_repo)
    hostile = ['<script>alert("x")</script>', "[link](javascript:alert(1))",
               "one\r\n\r\n# not a heading\r\n\r\n<img src=x onerror=alert(2)>\r\n\r\n**bold**",
               "=HYPERLINK(\"https://evil.example.org\")", "'kept apostrophe"]
    record(root, [(f"r{i}", "happy", 0, c, DAY) for i, c in enumerate(hostile)])
    export_feedback(open_database(root), load(root))
    publish_all(root / "feedback/pulse.csv")
    page = (build_site(root, datetime(2026, 11, 23, tzinfo=UTC)).site_dir
            / "surveys/pulse/index.html").read_text(encoding="utf-8")
    assert "<script>alert" not in page and "<img src=x" not in page
    assert 'href="javascript:' not in page and "<strong>bold" not in page
    assert "[link](javascript:alert(1))" in page
    assert "=HYPERLINK(&quot;https://evil.example.org&quot;)" in page
    assert "&#x27;kept apostrophe" in page or "'kept apostrophe" in page


# feedback import: outside CSVs, maybe from a spreadsheet


def import_text(root: Path, tmp_path: Path, data: bytes) -> int:
    external = tmp_path / "responses.csv"
    external.write_bytes(data)
    return import_feedback(root, load(root), external, "pulse", SIGNER)


def test_import_reads_semicolon_files_from_a_european_spreadsheet(make_repo: MakeRepo,
                                                                   tmp_path: Path) -> None:
    root = make(make_repo)
    count = import_text(root, tmp_path, "\ufeffEmail;happy;often;Comment\n"
                                        "ann@example.org;Yes;Daily;Good, thanks\n".encode())
    assert count == 2
    assert comments_of(root) == ["Good, thanks", "Good, thanks"]


def test_import_of_a_non_utf8_file_names_the_line(make_repo: MakeRepo, tmp_path: Path) -> None:
    root = make(make_repo)
    with pytest.raises(ContentError) as caught:
        import_text(root, tmp_path, b"happy,Comment\nYes,ok\nNo,caf\xe9\n")
    assert [str(p) for p in caught.value.problems] == [
        "responses.csv:3: not UTF-8 text (byte 0xe9): save the file as CSV UTF-8"]
    assert not (root / "feedback").exists()


def test_import_keeps_a_formula_comment_as_inert_text(make_repo: MakeRepo, tmp_path: Path) -> None:
    root = make(make_repo)
    import_text(root, tmp_path, b'happy,Comment\r\nYes,"=cmd|\' /C calc\'!A0"\r\nNo,"a\rb"\r\n')
    assert sorted(comments_of(root)) == ["=cmd|' /C calc'!A0", "a\nb"]  # cleaned as a form comment is
    assert "'=cmd|' /C calc'!A0" in [row[3] for row in raw_cells(root / "feedback/pulse.csv")]
    assert not check_all(root)[1]


def test_import_reports_a_formula_answer_and_a_huge_cell_without_a_traceback(
        make_repo: MakeRepo, tmp_path: Path) -> None:
    root = make(make_repo)
    with pytest.raises(ContentError) as caught:
        import_text(root, tmp_path, ("happy,Comment\n=1+1,\nYes," + "x" * 200_000 + "\n").encode())
    assert [str(p) for p in caught.value.problems] == [
        "responses.csv:2: '=1+1' is not an option of question 'happy' (Yes, No)",
        "responses.csv:3: comment is 200000 characters long; at most 5000 are allowed"]


def test_check_reports_a_feedback_file_that_is_not_utf8(make_repo: MakeRepo) -> None:
    root = make(make_repo)
    (root / "feedback").mkdir()
    (root / "feedback/pulse.csv").write_bytes(b"respondent,question,answer,comment\n"
                                              b"a,happy,Yes,ok\nb,happy,No,\xff\n")
    _, problems = check_all(root)
    assert [str(p) for p in problems] == [
        "feedback/pulse.csv:3: not UTF-8 text (byte 0xff): save the file as CSV UTF-8"]


def test_check_reads_a_feedback_file_with_a_huge_cell(make_repo: MakeRepo) -> None:
    root = make(make_repo)
    (root / "feedback").mkdir()
    (root / "feedback/pulse.csv").write_text("respondent,question,answer,comment\n"
                                             "a,happy,Yes," + "x" * 200_000 + "\n", encoding="utf-8")
    _, problems = check_all(root)
    assert problems == []
    assert comments_of(root) == ["x" * 200_000]


def test_check_reads_a_feedback_file_saved_with_a_bom_and_crlf(make_repo: MakeRepo) -> None:
    root = make(make_repo)
    (root / "feedback").mkdir()
    (root / "feedback/pulse.csv").write_bytes("\ufeffrespondent,question,answer,comment\r\n"
                                              "a,happy,Yes,'=1\r\n".encode())
    _, problems = check_all(root)
    assert problems == [] and comments_of(root) == ["=1"]


# generated text


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(comment=st.one_of(ANY_TEXT, CONTROL_HEAVY))
def test_generated_comments_round_trip_through_export_and_check(comment: str) -> None:
    stored = clean_text(comment)
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "pyproject.toml").write_text(PYPROJECT, encoding="utf-8")
        write_files(root, {"content/surveys/pulse.md": SURVEY})
        export_one(root, stored or "")
        assert comments_of(root) == [stored or ""]
        assert [str(p) for p in check_all(root)[1]] == []
        for row in raw_cells(root / "feedback/pulse.csv"):
            assert not any(cell.startswith(FORMULA_STARTS) for cell in row)


def front_matter(title: str, summary: str) -> str:
    import yaml

    meta = yaml.safe_dump({"title": title, "date": "2026-11-20", "summary": summary},
                          allow_unicode=True, sort_keys=False)
    return f"---\n{meta}---\nBody.\n"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(title=st.one_of(ANY_TEXT, CONTROL_HEAVY), summary=st.one_of(ANY_TEXT, CONTROL_HEAVY))
def test_generated_front_matter_strings_give_a_clear_problem_or_none(title: str, summary: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "pyproject.toml").write_text(PYPROJECT, encoding="utf-8")
        (root / "content/announcements").mkdir(parents=True)
        text = front_matter(title, summary)
        (root / "content/announcements/news.md").write_text(text, encoding="utf-8")
        _, problems = check_all(root)
        # YAML counts NEL, LS and PS as line breaks too (PyYAML writes them raw in quoted scalars).
        closing = re.split("\r\n|[\r\n\x85\u2028\u2029]", text).index("---", 1) + 1
        for problem in problems:  # clear: the file, a line inside the front matter, the key named
            assert problem.path == "content/announcements/news.md"
            assert 1 < problem.line < closing and problem.message.startswith(("'title':", "'summary':"))


# subscribers export


def test_subscriber_export_neutralises_formulas_and_round_trips_through_import(tmp_path: Path) -> None:
    engine = open_database(tmp_path / "one")
    people = [("a@example.org", "=cmd|' /C calc'!A0", "-team,@ops"), ("b@example.org", "+Ann", "x"),
              ("c@example.org", "'Tis Me", "+1,y"), ("d@example.org", "Ann; =1+1", None),
              ("e@example.org", "O'Brien, Pat \"P\"", "\uff1dx")]
    with engine.begin() as connection:
        for email, name, tags in people:
            add(connection, email, name=name, tags=tags)
    out = tmp_path / "subscribers.csv"
    with engine.connect() as connection:
        export_csv(connection, path=out)
    for row in raw_cells(out):
        assert not any(cell.startswith(FORMULA_STARTS) for cell in row), row
    again = open_database(tmp_path / "two")
    import_csv(again, out)
    with engine.connect() as one, again.connect() as two:
        before = [(s.email, s.name, s.tags) for s in iter_subscribers(one)]
        after = [(s.email, s.name, s.tags) for s in iter_subscribers(two)]
    assert after == before


def test_subscriber_export_to_a_stream_is_neutralised_too(tmp_path: Path) -> None:
    engine = open_database(tmp_path)
    with engine.begin() as connection:
        add(connection, "a@example.org", name="@everyone")
    stream = io.StringIO()
    with engine.connect() as connection:
        assert export_csv(connection, out=stream) == 1  # type: ignore[arg-type]
    assert "'@everyone" in stream.getvalue()


def test_answers_table_is_untouched_by_a_bad_import(make_repo: MakeRepo, tmp_path: Path) -> None:
    root = make(make_repo)
    record(root, [("aaa", "happy", 0, "kept", DAY)])
    export_feedback(open_database(root), load(root))
    before = (root / "feedback/pulse.csv").read_bytes()
    with pytest.raises(ContentError):
        import_text(root, tmp_path, b"happy;often\nMaybe;Daily\n")
    assert (root / "feedback/pulse.csv").read_bytes() == before
    with open_database(root).connect() as connection:
        assert connection.execute(sa.select(sa.func.count()).select_from(answers)).scalar() == 1


# the shared writer and reader


CELLS = st.lists(st.lists(st.one_of(ANY_TEXT, CONTROL_HEAVY), min_size=1, max_size=5), min_size=1, max_size=5)


@settings(max_examples=200, deadline=None)
@given(text=st.one_of(ANY_TEXT, CONTROL_HEAVY))
def test_restore_undoes_neutralise_for_any_text(text: str) -> None:
    from tidings.csvfiles import neutralise, restore

    assert restore(neutralise(text)) == text


@settings(max_examples=150, deadline=None)
@given(rows=CELLS)
def test_any_cells_round_trip_through_a_file_and_no_piece_is_a_formula(rows: list[list[str]]) -> None:
    from tidings.csvfiles import parse_rows, read_rows, write_csv

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "cells.csv"
        write_csv(path, rows)
        read, problems = read_rows(path, "cells.csv", delimiter=",")
        text = path.read_bytes().decode("utf-8")
    assert problems == [] and [cells for _, cells in read] == rows
    assert [cells for _, cells in parse_rows(text, "cells.csv", delimiter=",")[0]] == rows
    formulas = FORMULA_STARTS[:4] + FORMULA_STARTS[8:]
    for row in csv.reader(io.StringIO(text, newline="")):
        for cell in row:
            assert not cell.startswith(FORMULA_STARTS), cell
            # Wherever a spreadsheet might start a cell inside it, no formula (or quote) starts.
            for piece in re.split(r"[,;\t\r\n]", cell)[1:]:
                assert not piece.startswith(formulas + ('"',)), cell


def test_the_line_of_a_record_is_where_it_starts() -> None:
    from tidings.csvfiles import parse_rows

    rows, _ = parse_rows('a,b\n"one\ntwo\rthree",x\nlast,y\n', "f.csv")
    assert [(line, cells) for line, cells in rows] == [
        (1, ["a", "b"]), (2, ["one\ntwo\rthree", "x"]), (5, ["last", "y"])]


def test_a_cell_typed_with_an_apostrophe_by_hand_stays_as_typed() -> None:
    from tidings.csvfiles import restore

    assert [restore(c) for c in ["'Tis", "rock 'n' roll", "'=1", "a;'-b", "a;'b"]] == [
        "'Tis", "rock 'n' roll", "=1", "a;-b", "a;'b"]


def test_a_failed_write_leaves_what_was_there_and_no_temporary_file(tmp_path: Path) -> None:
    from tidings.csvfiles import write_csv

    target = tmp_path / "taken.csv"
    (target / "inside").mkdir(parents=True)  # a folder in the way: the rename fails
    with pytest.raises(OSError):
        write_csv(target, [["a"], ["b"]])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["taken.csv"] and target.is_dir()


def test_export_refuses_to_rewrite_a_feedback_file_it_cannot_fully_read(make_repo: MakeRepo) -> None:
    root = make(make_repo)
    (root / "feedback").mkdir()
    path = root / "feedback/pulse.csv"
    path.write_bytes(b"respondent,question,answer,comment,date,source,publish\n"
                     b"iold,happy,Yes,From paper,last week,import,yes\n")
    record(root, [("aaa", "happy", 0, "new", DAY)])
    with pytest.raises(ContentError) as caught:
        export_feedback(open_database(root), check(root)[0])  # type: ignore[arg-type]
    assert [str(p) for p in caught.value.problems] == [
        "feedback/pulse.csv:2: 'last week' is not a date (2026-11-23)"]
    assert b"From paper" in path.read_bytes()


def cli(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    return subprocess.run([sys.executable, "-m", "tidings", "--root", str(root), *args],
                          capture_output=True, text=True, env=env)


def test_the_commands_stay_green_after_exporting_a_bare_cr(make_repo: MakeRepo) -> None:
    root = make(make_repo)
    record(root, [("aaa", "happy", 0, "first\rsecond", DAY), ("bbb", "often", 1, "=1+2", DAY)])
    assert cli(root, "feedback", "export").returncode == 0
    for args in (("check",), ("site", "--as-of", "2026-11-23"), ("feedback", "export")):
        done = cli(root, *args)
        assert done.returncode == 0, (args, done.stderr)
        assert "Traceback" not in done.stderr
    assert sorted(comments_of(root)) == ["=1+2", "first\rsecond"]


def test_feedback_import_of_bad_files_exits_1_with_the_line_and_no_traceback(
        make_repo: MakeRepo, tmp_path: Path) -> None:
    root = make(make_repo)
    latin = tmp_path / "latin1.csv"
    latin.write_bytes(b"happy;Comment\nYes;ok\nNo;d\xe9j\xe0 vu\n")
    done = cli(root, "feedback", "import", str(latin), "--survey", "pulse")
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "latin1.csv:3: not UTF-8 text (byte 0xe9): save the file as CSV UTF-8" in done.stderr
    huge = tmp_path / "huge.csv"
    huge.write_text("happy;Comment\nYes;" + "x" * 200_000 + "\n", encoding="utf-8")
    done = cli(root, "feedback", "import", str(huge), "--survey", "pulse")
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "huge.csv:2: comment is 200000 characters long" in done.stderr


def test_subscriber_import_of_a_huge_cell_is_no_traceback(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(PYPROJECT, encoding="utf-8")
    big = tmp_path / "big.csv"
    big.write_text("email,name\na@example.org," + "x" * 200_000 + "\n", encoding="utf-8")
    done = cli(tmp_path, "subscribers", "import", str(big))
    assert done.returncode in (0, 1) and "Traceback" not in done.stderr, done.stderr[-300:]


def test_comments_stored_in_postgresql_round_trip_through_the_file(make_repo: MakeRepo,
                                                                   postgres_url: str) -> None:
    root = make(make_repo)
    engine = open_database(url=postgres_url)
    stored = [c for c in AWKWARD.values() if "\0" not in c] + ["=1+2", "'quoted", "a;-)"]
    with engine.begin() as connection:  # PostgreSQL text cannot hold NUL: the collector strips it
        for i, comment in enumerate(stored):
            connection.execute(answers.insert().values(
                survey="pulse", question="happy", respondent=f"r{i:02d}", option=0, comment=comment,
                issue="december", answered_at=DAY))
    export_feedback(engine, load(root))
    assert sorted(comments_of(root)) == sorted(stored)
    assert check_all(root)[1] == []
    assert export_feedback(engine, load(root)) == {}


def test_a_stray_quote_typed_by_hand_is_reported_not_swallowing_the_rest(make_repo: MakeRepo) -> None:
    root = make(make_repo)
    (root / "feedback").mkdir()
    path = root / "feedback/pulse.csv"
    path.write_bytes(b"respondent,question,answer,comment,date,source,publish\n"
                     b'a,happy,Yes,"oops,2026-11-20,import,\n'
                     b"b,happy,No,fine,2026-11-20,import,\n")
    _, problems = check_all(root)
    assert [str(p) for p in problems] == [
        "feedback/pulse.csv:2: cannot read this record (unexpected end of data): a cell that starts "
        'with a quote must end with one, and a quote inside it is doubled ("")']
    record(root, [("ccc", "happy", 0, None, DAY)])
    with pytest.raises(ContentError):
        export_feedback(open_database(root), check(root)[0])  # type: ignore[arg-type]
    assert b"b,happy,No,fine" in path.read_bytes()
