"""``languages`` and ``language`` settings, and label overrides: every problem with file, line and field."""

from __future__ import annotations

import itertools

import pytest

from tests.conftest import PYPROJECT, MakeRepo
from tidings.config import load_config
from tidings.errors import ConfigError

BASE = PYPROJECT.replace('language = "en"\n', "")
_REPOS = itertools.count()


def problems_of(make_repo: MakeRepo, settings: str) -> list[tuple[int, str | None, str]]:
    root = make_repo({}, pyproject=BASE + settings, name=f"repo{next(_REPOS)}")
    with pytest.raises(ConfigError) as caught:
        load_config(root)
    return [(p.line, p.field, p.message) for p in caught.value.problems]


def test_languages_set_the_list_and_the_first_is_the_default(make_repo: MakeRepo) -> None:
    config = load_config(make_repo({}, pyproject=BASE + 'languages = ["fi", "en", "de", "el", "zh"]\n'))
    assert config.languages == ("fi", "en", "de", "el", "zh") and config.language == "fi"


def test_one_language_keeps_working_as_the_one_language_case(make_repo: MakeRepo) -> None:
    config = load_config(make_repo({}, pyproject=BASE + 'language = "de"\n'))
    assert config.languages == ("de",) and config.language == "de"
    unset = load_config(make_repo({}, pyproject=BASE, name="unset"))
    assert unset.languages == ("en",) and unset.language == "en"


def test_language_and_languages_that_agree_are_fine_and_that_disagree_are_an_error(
        make_repo: MakeRepo) -> None:
    agree = load_config(make_repo({}, pyproject=BASE + 'language = "en"\nlanguages = ["en", "fi"]\n'))
    assert agree.languages == ("en", "fi")
    [(line, field, message)] = problems_of(make_repo, 'language = "fi"\nlanguages = ["en", "fi"]\n')
    assert (line, field) == (BASE.count("\n") + 1, "language")
    assert "'language' is 'fi' but 'languages' starts with 'en'" in message


@pytest.mark.parametrize(("code", "meant"), [("gr", "el"), ("cn", "zh"), ("se", "sv"), ("dk", "da"),
                                             ("jp", "ja")])
def test_a_country_code_written_for_a_language_gets_a_did_you_mean(
        make_repo: MakeRepo, code: str, meant: str) -> None:
    [(line, field, message)] = problems_of(make_repo, f'languages = ["en", "{code}"]\n')
    assert (line, field) == (BASE.count("\n") + 1, "languages")
    assert f"did you mean {meant}?" in message
    [(_, field, message)] = problems_of(make_repo, f'language = "{code}"\n')
    assert field == "language" and f"did you mean {meant}?" in message


def test_every_bad_entry_of_languages_is_reported_in_one_run(make_repo: MakeRepo) -> None:
    found = problems_of(make_repo, 'languages = ["en", "fi", "en", "gr", 7, "xx-"]\n')
    messages = [m for _, _, m in found]
    assert len(found) == 4 and all(f == "languages" for _, f, _ in found)
    assert any("lists 'en' twice" in m for m in messages)
    assert any("did you mean el?" in m for m in messages)
    assert problems_of(make_repo, "languages = []\n")[0][2].startswith("[tool.tidings] 'languages' is empty")


def test_an_unknown_label_key_is_an_error_with_a_did_you_mean_and_its_line(make_repo: MakeRepo) -> None:
    found = problems_of(make_repo, 'languages = ["en", "fi"]\n\n[tool.tidings.labels]\n'
                                   '"home.latst" = "Fresh"\n\n[tool.tidings.labels.fi]\n'
                                   '"events.titel" = "Menoja"\n"mail.why" = "Tilasit {nimi}"\n')
    first = BASE.count("\n") + 1
    assert found[0][:2] == (first + 3, "labels.en.home.latst")
    assert "unknown label 'home.latst' (did you mean 'home.latest'?)" in found[0][2]
    assert found[1][:2] == (first + 6, "labels.fi.events.titel")
    assert "did you mean 'events.title'?" in found[1][2]
    assert found[2][:2] == (first + 7, "labels.fi.mail.why") and "{nimi}" in found[2][2]


def test_labels_for_a_language_the_community_does_not_have_are_an_error(make_repo: MakeRepo) -> None:
    [(_, field, message)] = problems_of(make_repo, 'languages = ["en", "fi"]\n\n[tool.tidings.labels.fl]\n'
                                                   '"home.latest" = "x"\n')
    assert field == "labels.fl" and "did you mean 'fi'?" in message


def test_an_inline_label_table_keeps_meaning_the_default_language(make_repo: MakeRepo) -> None:
    settings = 'language = "fi"\nlabels = {"home.latest" = "Uutta"}\n'
    config = load_config(make_repo({}, pyproject=BASE + settings))
    assert config.label_overrides("fi") == {"home.latest": "Uutta"}
