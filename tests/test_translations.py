"""Translations: ``x.fi.md`` is the Finnish version of ``x.md`` (same slug), one item in every language."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import PYPROJECT
from tidings.config import load_config
from tidings.content.loader import load_community

LANGUAGES = 'languages = ["en", "fi", "de", "el", "zh"]\n'
MULTI = PYPROJECT.replace("[tool.tidings]\n", "[tool.tidings]\n" + LANGUAGES, 1)

NEWS = """---
title: Tern 4.0 is out
date: 2026-12-01 10:00
tags: [release]
---
The new version.
"""
NEWS_FI = """---
title: Tern 4.0 on julkaistu
---
Uusi versio.
"""
GUIDE = """---
title: Code of conduct
---
## Be kind {#be-kind}
Kindness.

## No spam {#no-spam}
None.
"""
SURVEY = """---
id: pulse
title: Pulse
questions:
  - id: useful
    text: Was it useful?
    options: [Yes, No]
---
"""


def load(root: Path):  # type: ignore[no-untyped-def]
    return load_community(root, load_config(root), history=False)


def messages(problems) -> list[str]:  # type: ignore[no-untyped-def]
    return [f"{p.path}:{p.line}: {p.message}" for p in problems if p.severity == "error"]


def test_a_translation_is_the_same_item_in_another_language(make_repo):  # type: ignore[no-untyped-def]
    root = make_repo({"content/announcements/tern-4-0.md": NEWS,
                      "content/announcements/tern-4-0.fi.md": NEWS_FI}, pyproject=MULTI)
    community, problems = load(root)
    assert messages(problems) == []
    (item,) = community.announcements
    assert item.slug == "tern-4-0" and item.lang == "en"
    versions = community.versions(item)
    assert sorted(versions) == ["en", "fi"]
    finnish = versions["fi"]
    assert finnish.slug == "tern-4-0" and finnish.lang == "fi"
    assert finnish.title == "Tern 4.0 on julkaistu"
    # what the translation leaves out it takes from its source: the date and the tags
    assert finnish.date == item.date and finnish.tags == ("release",)
    assert finnish.public_from == item.public_from


def test_the_language_view_takes_each_item_in_that_language(make_repo):  # type: ignore[no-untyped-def]
    root = make_repo({"content/announcements/tern-4-0.md": NEWS,
                      "content/announcements/tern-4-0.fi.md": NEWS_FI,
                      "content/announcements/only-greek.el.md": NEWS.replace("Tern 4.0 is out", "Νέα"),
                      "content/announcements/plain.md": NEWS.replace("Tern 4.0 is out", "Plain")},
                     pyproject=MULTI)
    community, problems = load(root)
    assert messages(problems) == []
    assert sorted(a.slug for a in community.announcements) == ["only-greek", "plain", "tern-4-0"]
    finnish = community.in_language("fi", untranslated="show")
    assert {a.slug: a.lang for a in finnish.announcements} == {
        "tern-4-0": "fi", "only-greek": "el", "plain": "en"}
    hidden = community.in_language("fi", untranslated="hide")
    assert [a.slug for a in hidden.announcements] == ["tern-4-0"]
    greek = community.in_language("el", untranslated="hide")
    assert [(a.slug, a.title) for a in greek.announcements] == [("only-greek", "Νέα")]
    english = community.in_language("en", untranslated="hide")
    assert sorted(a.slug for a in english.announcements) == ["plain", "tern-4-0"]


def test_an_item_written_in_one_language_says_so_by_lang_or_by_its_name(make_repo):  # type: ignore[no-untyped-def]
    root = make_repo({"content/announcements/a.el.md": NEWS,
                      "content/announcements/b.md": NEWS.replace("tags:", "lang: zh\ntags:")},
                     pyproject=MULTI)
    community, problems = load(root)
    assert messages(problems) == []
    assert {a.slug: a.lang for a in community.announcements} == {"a": "el", "b": "zh"}


def test_a_language_suffix_and_a_lang_key_that_disagree_are_an_error(make_repo):  # type: ignore[no-untyped-def]
    root = make_repo({"content/announcements/a.md": NEWS,
                      "content/announcements/a.fi.md": NEWS_FI.replace("title:", "lang: de\ntitle:")},
                     pyproject=MULTI)
    _, problems = load(root)
    (problem,) = messages(problems)
    assert problem.startswith("content/announcements/a.fi.md:2:") and "'fi'" in problem and "'de'" in problem


def test_a_file_named_for_a_language_the_community_does_not_write_is_an_error(make_repo):  # type: ignore[no-untyped-def]
    root = make_repo({"content/announcements/a.md": NEWS, "content/announcements/a.sv.md": NEWS_FI,
                      "content/announcements/b.gr.md": NEWS_FI}, pyproject=MULTI)
    _, problems = load(root)
    found = messages(problems)
    assert len(found) == 2
    assert any("a.sv.md" in p and "not one of" in p and "languages" in p for p in found)
    assert any("b.gr.md" in p and "did you mean el" in p for p in found)


def test_a_translation_may_not_move_the_date_its_source_gives(make_repo):  # type: ignore[no-untyped-def]
    root = make_repo({"content/announcements/a.md": NEWS,
                      "content/announcements/a.fi.md": NEWS_FI.replace("title:", "date: 2026-11-01\ntitle:")},
                     pyproject=MULTI)
    _, problems = load(root)
    (problem,) = messages(problems)
    assert problem.startswith("content/announcements/a.fi.md:2:") and "'date'" in problem


def test_a_guideline_translation_keeps_every_rule_id(make_repo):  # type: ignore[no-untyped-def]
    fi = GUIDE.replace("Code of conduct", "Käytössäännöt").replace("{#no-spam}", "{#ei-roskaa}")
    root = make_repo({"guidelines/code-of-conduct.md": GUIDE, "guidelines/code-of-conduct.fi.md": fi},
                     pyproject=MULTI)
    _, problems = load(root)
    found = messages(problems)
    assert any("code-of-conduct.fi.md" in p and "no-spam" in p and "missing" in p for p in found)
    assert any("code-of-conduct.fi.md" in p and "ei-roskaa" in p for p in found)
    good = GUIDE.replace("Code of conduct", "Käytössäännöt").replace("Kindness.", "Ystävällisyys.")
    root = make_repo({"guidelines/code-of-conduct.md": GUIDE, "guidelines/code-of-conduct.fi.md": good},
                     pyproject=MULTI, name="good")
    community, problems = load(root)
    assert messages(problems) == []
    (guide,) = community.guidelines
    assert [r.id for r in community.versions(guide)["fi"].rules] == ["be-kind", "no-spam"]


def test_a_survey_translation_keeps_question_ids_and_option_counts(make_repo):  # type: ignore[no-untyped-def]
    de = SURVEY.replace("Pulse", "Puls").replace("Was it useful?", "War es nützlich?")
    bad_ids = de.replace("id: useful", "id: nuetzlich")
    bad_options = de.replace("[Yes, No]", "[Ja, Nein, Vielleicht]")
    for name, text, expected in (("ids", bad_ids, "nuetzlich"), ("options", bad_options, "options")):
        root = make_repo({"content/surveys/pulse.md": SURVEY, "content/surveys/pulse.de.md": text},
                         pyproject=MULTI, name=name)
        _, problems = load(root)
        (problem,) = messages(problems)
        assert "pulse.de.md" in problem and expected in problem
    root = make_repo({"content/surveys/pulse.md": SURVEY,
                      "content/surveys/pulse.de.md": de.replace("[Yes, No]", "[Ja, Nein]")},
                     pyproject=MULTI, name="good")
    community, problems = load(root)
    assert messages(problems) == []
    (survey,) = community.surveys
    assert community.versions(survey)["de"].questions[0].options == ("Ja", "Nein")


def test_a_newsletter_translation_is_one_issue_with_its_own_subject(make_repo):  # type: ignore[no-untyped-def]
    issue = "---\nsubject: December news\nsend_at: 2026-12-01 09:00\npreheader: All of it\n---\nHello\n"
    issue_fi = "---\nsubject: Joulukuun uutiset\npreheader: Kaikki\n---\nHei\n"
    root = make_repo({"newsletters/2026-12.md": issue, "newsletters/2026-12.fi.md": issue_fi},
                     pyproject=MULTI)
    community, problems = load(root)
    assert messages(problems) == []
    (letter,) = community.newsletters
    finnish = community.versions(letter)["fi"]
    assert (finnish.slug, finnish.subject, finnish.preheader) == ("2026-12", "Joulukuun uutiset", "Kaikki")
    assert finnish.send_at == letter.send_at


def test_one_language_communities_read_dotted_names_as_before(make_repo):  # type: ignore[no-untyped-def]
    root = make_repo({"content/announcements/a.md": NEWS})
    community, problems = load(root)
    assert messages(problems) == []
    (item,) = community.announcements
    assert item.lang == "en" and community.versions(item) == {"en": item}


def test_a_broken_link_in_a_translation_is_reported_at_the_translation(make_repo):  # type: ignore[no-untyped-def]
    root = make_repo({"content/announcements/a.md": NEWS,
                      "content/announcements/a.fi.md": NEWS_FI + "\n[lue](missing.md)\n"}, pyproject=MULTI)
    _, problems = load(root)
    (problem,) = messages(problems)
    assert problem.startswith("content/announcements/a.fi.md:6:") and "missing.md" in problem


def test_check_lists_missing_translations_per_language_as_a_notice(make_repo):  # type: ignore[no-untyped-def]
    from tidings.content import check

    root = make_repo({"content/announcements/a.md": NEWS, "content/announcements/a.fi.md": NEWS_FI,
                      "content/announcements/b.md": NEWS, "content/announcements/c.el.md": NEWS},
                     pyproject=MULTI)
    _, problems = check(root, history=False)
    notices = {p.message.split(" version")[0]: p.message for p in problems if p.severity == "notice"}
    assert messages(problems) == []
    assert "1 of 2 items have no Finnish (fi)" in notices
    assert "content/announcements/b.md" in notices["1 of 2 items have no Finnish (fi)"]
    assert "2 of 2 items have no German (de)" in notices  # the Greek-only item is not counted


def git(root: Path, *args: str, when: str = "2026-11-01T10:00:00") -> None:
    import os
    import subprocess

    env = {**os.environ, "GIT_AUTHOR_DATE": when, "GIT_COMMITTER_DATE": when,
           "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.org"}
    subprocess.run(["git", *args], cwd=root, check=True, capture_output=True, env=env)


def test_a_translation_older_than_its_sources_last_change_is_possibly_out_of_date(make_repo):  # type: ignore[no-untyped-def]
    from tidings.content import check

    root = make_repo({"content/announcements/a.md": NEWS, "content/announcements/a.fi.md": NEWS_FI},
                     pyproject=MULTI)
    git(root, "init", "-q")
    git(root, "add", ".")
    git(root, "commit", "-qm", "first")
    (root / "content/announcements/a.md").write_text(NEWS + "\nMore.\n", encoding="utf-8")
    git(root, "commit", "-qam", "source changed", when="2026-11-02T10:00:00")
    _, problems = check(root)
    (warning,) = [p for p in problems if p.severity == "warning" and p.field == "lang"]
    assert warning.path == "content/announcements/a.fi.md" and "possibly out of date" in warning.message
    assert "2026-11-02" in warning.message and "2026-11-01" in warning.message
    (root / "content/announcements/a.fi.md").write_text(NEWS_FI + "\nLisää.\n", encoding="utf-8")
    git(root, "commit", "-qam", "translated", when="2026-11-03T10:00:00")
    _, problems = check(root)
    assert [p for p in problems if p.severity == "warning" and p.field == "lang"] == []


def test_a_translation_whose_source_was_deleted_is_an_error(make_repo):  # type: ignore[no-untyped-def]
    from tidings.content import check

    root = make_repo({"content/announcements/a.md": NEWS, "content/announcements/a.fi.md": NEWS_FI,
                      "content/announcements/b.el.md": NEWS}, pyproject=MULTI)
    git(root, "init", "-q")
    git(root, "add", ".")
    git(root, "commit", "-qm", "first")
    git(root, "rm", "-q", "content/announcements/a.md")
    git(root, "commit", "-qm", "gone")
    _, problems = check(root)
    (error,) = [p for p in messages(problems) if "deleted" in p]
    assert error.startswith("content/announcements/a.fi.md:1:") and "content/announcements/a.md" in error
    assert not any("b.el.md" in p for p in messages(problems))  # written in Greek only, never elsewhere


def test_each_language_version_has_its_own_page_and_the_default_is_at_the_root(make_repo):  # type: ignore[no-untyped-def]
    from tidings.urls import page_path, page_url

    root = make_repo({"content/announcements/a.md": NEWS, "content/announcements/a.fi.md": NEWS_FI,
                      "content/announcements/b.el.md": NEWS}, pyproject=MULTI)
    community, problems = load(root)
    assert messages(problems) == []
    a = community.announcements[0]
    assert page_path(a) == "announcements/a.md"
    assert page_path(community.versions(a)["fi"]) == "fi/announcements/a.md"
    greek = community.announcements[1]
    assert page_url(community.config, greek).endswith("/el/announcements/b/")


def test_an_item_in_a_language_the_community_does_not_write_is_an_error(make_repo):  # type: ignore[no-untyped-def]
    swedish = NEWS.replace("tags:", "lang: sv\ntags:")
    root = make_repo({"content/announcements/a.md": swedish}, pyproject=MULTI)
    _, problems = load(root)
    (problem,) = messages(problems)
    assert problem.startswith("content/announcements/a.md:4:") and "'sv'" in problem
    # one language: an item may say it is in another, and stays at the root as before
    root = make_repo({"content/announcements/a.md": swedish}, name="one")
    community, problems = load(root)
    assert messages(problems) == [] and community.announcements[0].site_prefix == ""


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40).filter(lambda s: "/" not in s and "\0" not in s)
       | st.builds("{}.{}".format, st.text(max_size=20),
                   st.sampled_from(["fi", "gr", "el", "zh-TW", "se", "cn", "ama", "x1", "FI", "pt_BR"])))
def test_any_file_stem_is_a_name_or_a_name_with_a_language_never_a_crash(stem: str) -> None:
    from tidings.content.translations import name_language
    from tidings.locales import check_lang

    base, suffix, problem = name_language(stem)
    if suffix is None:
        assert (base, problem) == (stem, None)
    else:
        assert stem == f"{base}.{suffix}"
        if problem is None:
            assert check_lang(suffix) == suffix
        else:
            assert "country code" in problem
