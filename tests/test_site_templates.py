"""Site pages come from jinja2 templates a community can override; front matter is real YAML."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import MakeRepo
from tidings.cli import main
from tidings.content import load
from tidings.embargo import public_view
from tidings.errors import ContentError
from tidings.site.serve import Preview
from tidings.site.stage import Stager

AS_OF = datetime(2026, 11, 23, 12, tzinfo=UTC)

REPO = {
    "content/announcements/first.md": """
        ---
        title: First news
        date: 2026-11-01
        summary: The first summary.
        tags: [news]
        ---
        First body.
        """,
    "content/announcements/second.md": """
        ---
        title: Second news
        date: 2026-11-02
        ---
        Second body.
        """,
    "content/events/call.md": """
        ---
        title: Monthly call
        start: 2026-12-03T18:00
        duration: PT1H
        ---
        Join us.
        """,
}


def staged(root: Path) -> dict[str, str | bytes]:
    """The docs tree a build of ``root`` would stage, as of AS_OF."""
    return Stager(public_view(load(root), AS_OF)).build()


def front_matter(page: str) -> object:
    """The YAML between the page's opening and closing ``---`` lines, loaded safely."""
    assert page.startswith("---\n")
    return yaml.safe_load(page[4:].split("\n---\n", 1)[0])


def test_a_community_override_of_the_announcement_footer_changes_that_page_and_nothing_else(
    make_repo: MakeRepo,
) -> None:
    plain = staged(make_repo(REPO, name="plain"))
    override = {"templates/site/announcement.md.j2": """
        {% extends "tidings/announcement.md.j2" %}
        {% block footer %}Questions? Write to the editors.
        {% endblock %}
        """}
    custom = staged(make_repo({**REPO, **override}, name="custom"))
    changed = sorted(path for path in plain.keys() | custom.keys() if plain.get(path) != custom.get(path))
    assert changed == ["announcements/first.md", "announcements/second.md"]
    for path in changed:
        text = custom[path]
        assert isinstance(text, str) and text.endswith("Questions? Write to the editors.\n")
        assert text.removesuffix("Questions? Write to the editors.\n") == plain[path]


titles = st.text(
    st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=60,
).map(str.strip).filter(bool)


@settings(max_examples=60, deadline=None)
@given(title=st.one_of(titles, st.sampled_from([
    "Tern 4.0: what's new", "#1 in the #channel", "- a leading dash", '"Quoted" \'twice\'',
    "Καλωσόρισμα: 欢迎 ✓", "yes", "null", "2026-11-01", "key: value # comment", "[a, b]", "{x: 1}",
    "next\x85line", "tab\there",
])))
def test_front_matter_of_staged_pages_round_trips_any_title_through_yaml(title: str) -> None:
    from tidings.site.pages_base import front_matter_text

    page = front_matter_text({"title": title, "description": title})
    assert front_matter(page) == {"title": title, "description": title}


def test_staged_announcement_front_matter_is_yaml_a_title_with_colon_hash_quotes_and_dash(
    make_repo: MakeRepo,
) -> None:
    title = "- Tern 4.0: the \"#1\" release, ça va ✓"
    root = make_repo({"content/announcements/odd.md": f"""
        ---
        title: '{title.replace("'", "''")}'
        date: 2026-11-01
        summary: "Summary: with # and 'quotes'"
        ---
        Body.
        """})
    pages = staged(root)
    page = next(text for path, text in pages.items() if path == "announcements/odd.md")
    assert isinstance(page, str)
    assert front_matter(page) == {"title": title, "description": "Summary: with # and 'quotes'"}


def test_a_broken_override_is_reported_with_its_file_and_line_and_no_traceback(
    make_repo: MakeRepo, capsys: pytest.CaptureFixture[str],
) -> None:
    root = make_repo({**REPO, "templates/site/announcement.md.j2": """
        {% extends "tidings/announcement.md.j2" %}
        {% block footer %}
        {{ no_such_value }}
        {% endblock %}
        """})
    code = main(["--root", str(root), "site", "--as-of", "2026-11-23T12:00Z", "--out", str(root / "out")])
    err = capsys.readouterr().err
    assert code == 1
    assert "templates/site/announcement.md.j2:3: template error:" in err and "no_such_value" in err
    assert "Traceback" not in err
    assert not (root / "out").exists()


def test_an_override_with_a_syntax_error_names_its_line(make_repo: MakeRepo) -> None:
    root = make_repo({**REPO, "templates/site/news_index.md.j2": "# News\n{% block title %}\n"})
    with pytest.raises(ContentError) as raised:
        staged(root)
    assert [(p.path, p.line) for p in raised.value.problems] == [("templates/site/news_index.md.j2", 2)]


def test_an_override_whose_name_is_no_site_template_is_an_error_naming_the_closest(
    make_repo: MakeRepo,
) -> None:
    root = make_repo({**REPO, "templates/site/anouncement.md.j2": "{% block footer %}x{% endblock %}\n"})
    with pytest.raises(ContentError) as raised:
        staged(root)
    [problem] = raised.value.problems
    assert problem.path == "templates/site/anouncement.md.j2"
    assert "did you mean announcement.md.j2" in problem.message


def test_every_broken_override_is_reported_in_one_run_and_partials_may_be_included(
    make_repo: MakeRepo,
) -> None:
    partial = "{% macro thanks() %}Thanks for reading.{% endmacro %}\n"
    root = make_repo({**REPO, "templates/site/_parts.md.j2": partial,
                      "templates/site/story.md.j2": "{% block title %}\n",
                      "templates/site/event.md.j2": "{{ 1 + }}\n"})
    with pytest.raises(ContentError) as raised:
        staged(root)
    assert sorted(p.path for p in raised.value.problems) == [
        "templates/site/event.md.j2", "templates/site/story.md.j2"]
    (root / "templates/site/story.md.j2").unlink()
    (root / "templates/site/event.md.j2").unlink()
    (root / "templates/site/announcement.md.j2").write_text(
        '{% extends "tidings/announcement.md.j2" %}{% import "_parts.md.j2" as parts %}'
        "{% block footer %}{{ parts.thanks() }}\n{% endblock %}\n", encoding="utf-8")
    page = staged(root)["announcements/first.md"]
    assert isinstance(page, str) and page.endswith("First body.\nThanks for reading.\n")


def test_preview_keeps_the_last_good_site_while_an_override_is_broken_and_shows_the_fix(
    make_repo: MakeRepo, capsys: pytest.CaptureFixture[str],
) -> None:
    root = make_repo(REPO)
    preview = Preview(root, "http://127.0.0.1:8000/", AS_OF)
    preview.rebuild(full=True)
    page = preview.site_dir / "announcements/first/index.html"
    override = root / "templates/site/announcement.md.j2"
    override.parent.mkdir(parents=True)
    override.write_text('{% extends "tidings/announcement.md.j2" %}\n'
                        "{% block footer %}{{ 1 + }}{% endblock %}\n")
    preview.rebuild()
    assert "templates/site/announcement.md.j2:2: template error:" in capsys.readouterr().out
    assert "First body." in page.read_text()
    override.write_text('{% extends "tidings/announcement.md.j2" %}{% block footer %}Footer words.\n'
                        "{% endblock %}\n")
    preview.rebuild()
    assert "Footer words." in page.read_text()


def test_check_reports_a_broken_site_override_before_any_build(make_repo: MakeRepo) -> None:
    from tidings.repo_check import check_all

    root = make_repo({**REPO, "templates/site/anouncement.md.j2": "{% block footer %}x{% endblock %}\n",
                      "templates/site/event.md.j2": "{{ 1 + }}\n"})
    _, problems = check_all(root)
    assert sorted(p.path for p in problems if p.severity == "error") == [
        "templates/site/anouncement.md.j2", "templates/site/event.md.j2"]
