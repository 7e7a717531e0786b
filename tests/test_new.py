"""``new KIND TITLE``: a correctly named file with valid front matter, never over an existing one."""

from __future__ import annotations

import tempfile
from datetime import date, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import PYPROJECT, MakeRepo
from tidings.cli import main
from tidings.content import check
from tidings.content.kinds import KINDS
from tidings.content.new import NewFile, new_file, propose_week
from tidings.content.paths import slugify
from tidings.errors import InputError, UsageError

LANGUAGES = PYPROJECT.replace('language = "en"\n', 'languages = ["en", "fi"]\n')
DATES = {"event": "2027-01-21T18:00", "newsletter": "2027-01-25T09:00"}


def _by_path(root: Path, rel: str) -> object:
    community, problems = check(root, history=False)
    assert community is not None, problems
    return community.by_path()[rel]


@pytest.mark.parametrize("kind", [k.name for k in KINDS])
def test_every_kind_written_by_new_passes_the_real_check_and_loads_back(
        kind: str, make_repo: MakeRepo, capsys: pytest.CaptureFixture[str]) -> None:
    root = make_repo({}, pyproject=LANGUAGES)
    day = DATES.get(kind, "2027-01-18")
    assert main(["--root", str(root), "new", kind, "Offline packs: what's next?", "--date", day,
                 "--lang", "fi"]) == 0
    rel = capsys.readouterr().out.strip()
    assert rel.startswith(next(k.folder for k in KINDS if k.name == kind) + "/")
    assert rel.endswith("/offline-packs-what-s-next.md")
    assert main(["--root", str(root), "check"]) == 0, capsys.readouterr()
    entry = _by_path(root, rel)
    assert entry.title == "Offline packs: what's next?"  # type: ignore[attr-defined]
    assert entry.lang == "fi"  # type: ignore[attr-defined]
    moment = getattr(entry, {"event": "start", "newsletter": "send_at", "survey": "opens",
                             "guideline": "updated", "topic": "week_start"}.get(kind, "date"))
    assert isinstance(moment, datetime) and moment.date().isoformat() == day[:10]


def test_new_never_overwrites_a_file_and_says_which(make_repo: MakeRepo,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    hello = "---\ntitle: Hei\ndate: 2026-01-01\n---\nKeep me.\n"
    root = make_repo({"content/announcements/hello.fi.md": hello}, pyproject=LANGUAGES)
    before = (root / "content/announcements/hello.fi.md").read_bytes()
    assert main(["--root", str(root), "new", "announcement", "Hello"]) == 1
    err = capsys.readouterr().err
    assert "content/announcements/hello.fi.md" in err and "--slug" in err and "Traceback" not in err
    assert (root / "content/announcements/hello.fi.md").read_bytes() == before
    assert not (root / "content/announcements/hello.md").exists()
    assert main(["--root", str(root), "new", "announcement", "Hello", "--slug", "hello-again"]) == 0
    assert capsys.readouterr().out.strip() == "content/announcements/hello-again.md"


def test_an_unknown_kind_is_refused_with_a_did_you_mean(make_repo: MakeRepo,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    root = make_repo({})
    assert main(["--root", str(root), "new", "topics", "Hello"]) == 2
    err = capsys.readouterr().err
    assert "unknown kind 'topics' (did you mean 'topic'?)" in err and "announcement" in err
    assert not any((root / "content").glob("**/*.md")) if (root / "content").exists() else True


def test_wrong_options_are_usage_errors_that_write_nothing(make_repo: MakeRepo) -> None:
    root = make_repo({}, pyproject=LANGUAGES)
    for request, message in [
        (NewFile("announcement", "A", week="2027-W03"), "--week is for topics"),
        (NewFile("topic", "A", week="2027-W03", date="2027-01-18"), "either --week or --date"),
        (NewFile("topic", "A", week="2027-W53"), "--week: 2027 has 52 ISO weeks"),
        (NewFile("announcement", "A", date="2027-02-30"), "--date: there is no day 2027-02-30"),
        (NewFile("announcement", "A", lang="gr"), "--lang: 'gr' is not a language code"),
        (NewFile("announcement", "A", lang="de"), "not one of the community's languages"),
        (NewFile("announcement", "A", host="Aino"), "--host is for topics"),
        (NewFile("announcement", "A", slug="Not A Slug"), "--slug"),
        (NewFile("announcement", " \n\t "), "the title is empty"),
    ]:
        with pytest.raises(UsageError, match=message):
            new_file(root, request, today=date(2027, 1, 12))
    assert not (root / "content").exists()


def test_new_topic_proposes_the_next_week_that_has_no_topic(make_repo: MakeRepo) -> None:
    topic = "---\ntitle: T\n{when}\nhost: Aino\n---\nx\n"
    root = make_repo({
        "content/topics/a.md": topic.format(when="week: 2027-W03"),
        "content/topics/b.md": topic.format(when="date: 2027-01-26"),  # a Tuesday of W04
        "content/topics/broken.md": "---\ntitle: [unclosed\n---\n",  # a broken file does not stop `new`
    })
    today = date(2027, 1, 12)  # a Tuesday in W02: next week is W03
    assert propose_week(root, today) == "2027-W05"
    written = new_file(root, NewFile("topic", "Next one", host="Aino Virtanen, CTO"), today=today)
    assert written == "content/topics/next-one.md"
    topic_entry = _by_path(root, written)
    assert topic_entry.week == "2027-W05" and topic_entry.host == "Aino Virtanen, CTO"  # type: ignore[attr-defined]
    assert propose_week(root, today) == "2027-W06"


def test_a_title_without_latin_letters_gets_a_file_name_from_its_kind_and_date(make_repo: MakeRepo) -> None:
    root = make_repo({})
    today = date(2027, 1, 12)
    assert new_file(root, NewFile("topic", "离线地图", week="2027-W03"), today=today) == \
        "content/topics/topic-2027-w03.md"
    assert new_file(root, NewFile("announcement", "离线地图"), today=today) == \
        "content/announcements/announcement-2027-01-12.md"
    assert new_file(root, NewFile("story", "Καλημέρα Café"), today=today) == "content/stories/cafe.md"


def test_new_survey_and_guideline_get_a_question_and_a_rule_with_an_id(make_repo: MakeRepo) -> None:
    root = make_repo({})
    survey = new_file(root, NewFile("survey", "Offline maps 2027"), today=date(2027, 1, 12))
    rules = new_file(root, NewFile("guideline", "Chat rules"), today=date(2027, 1, 12))
    community, problems = check(root, history=False)
    assert community is not None and [p for p in problems if p.severity == "error"] == []
    assert community.surveys[0].id == "offline-maps-2027" and len(community.surveys[0].questions) == 1
    assert [r.id for r in community.guidelines[0].rules] == ["first-rule"]
    assert survey.endswith("offline-maps-2027.md") and rules.endswith("chat-rules.md")


HOSTILE = st.one_of(
    st.sampled_from(["no", "yes", "null", "~", "key: value", "# heading", "- item", "'quoted'", '"dq"',
                     "!!!", "...", "---", "2027-01-18", "Ωμέγα", "地图聚会", "a\nb", "x\r\ny", "tab\there",
                     "nul\x00byte", "é" * 300, "Offline: packs # 2"]),
    st.text(min_size=1, max_size=120),
)


@settings(max_examples=100, deadline=None)
@given(title=HOSTILE, kind=st.sampled_from([k.name for k in KINDS]))
def test_any_title_loads_back_the_same_on_one_line_with_a_usable_file_name(title: str, kind: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "pyproject.toml").write_text(PYPROJECT, encoding="utf-8")
        request = NewFile(kind, title, week="2027-W03" if kind == "topic" else None)
        try:
            rel = new_file(root, request, today=date(2027, 1, 12))
        except (UsageError, InputError) as exc:
            assert "title" in str(exc)  # only an empty or undecodable title is refused
            return
        name = Path(rel).stem
        assert name == slugify(name) and name.isascii() and 0 < len(name) <= 60
        community, problems = check(root, history=False)
        assert community is not None and [p for p in problems if p.severity == "error"] == [], problems
        (entry,) = community.entries()
        assert entry.title == " ".join("".join(" " if ord(c) < 32 or 0x7f <= ord(c) <= 0x9f
                                               or c in "\u2028\u2029" else c for c in title).split())


@pytest.mark.parametrize("kind", [k.name for k in KINDS])
def test_a_translation_written_by_new_of_keeps_its_source_and_passes_check(kind: str,
                                                                            make_repo: MakeRepo) -> None:
    root = make_repo({}, pyproject=LANGUAGES)
    today = date(2027, 1, 12)
    week = "2027-W03" if kind == "topic" else None
    source = new_file(root, NewFile(kind, "Offline packs", week=week), today=today)
    written = new_file(root, NewFile(kind, "Offline-paketit", lang="fi", of=source), today=today)
    assert written == source.removesuffix(".md") + ".fi.md"
    community, problems = check(root, history=False)
    assert community is not None
    assert [str(p) for p in problems if p.severity == "error"] == []
    finnish = community.translations[source]["fi"]
    assert finnish.title == "Offline-paketit" and finnish.lang == "fi"
    assert finnish.slug == community.by_path()[source].slug


def test_new_of_refuses_what_would_not_be_a_translation(make_repo: MakeRepo) -> None:
    root = make_repo({}, pyproject=LANGUAGES)
    today = date(2027, 1, 12)
    source = new_file(root, NewFile("announcement", "Offline packs"), today=today)
    finnish = NewFile("announcement", "Offline-paketit", lang="fi", of=source)
    translation = new_file(root, finnish, today=today)
    for request, error, message in [
        (NewFile("announcement", "Hei", of=source), UsageError, "--of needs --lang"),
        (NewFile("announcement", "Hei", lang="en", of=source), UsageError, "already in en"),
        (NewFile("announcement", "Hei", lang="fi", of="content/announcements/nope.md"), UsageError,
         "--of: no such file"),
        (NewFile("story", "Hei", lang="fi", of=source), UsageError, "--of: .* is not a story"),
        (NewFile("announcement", "Hei", lang="fi", of=translation), UsageError, "name the source file"),
        (NewFile("announcement", "Hei", lang="fi", of=source, date="2027-01-01"), UsageError,
         "a translation takes its --date"),
        (NewFile("announcement", "Hei", lang="fi", of=source), InputError, "exists already"),
    ]:
        with pytest.raises(error, match=message):
            new_file(root, request, today=today)


def test_text_that_was_not_utf8_on_the_command_line_is_refused_without_a_traceback(
        make_repo: MakeRepo, capsys: pytest.CaptureFixture[str]) -> None:
    root = make_repo({})
    not_utf8 = b"Caf\xe9".decode("utf-8", "surrogateescape")  # how Python passes such an argument
    assert main(["--root", str(root), "new", "topic", not_utf8, "--week", "2027-W03"]) == 1
    assert main(["--root", str(root), "new", "topic", "Fine", "--week", "2027-W03", "--host", not_utf8]) == 1
    err = capsys.readouterr().err
    assert "the title is not UTF-8 text" in err and "the host is not UTF-8 text" in err
    assert "Traceback" not in err and not (root / "content").exists()
