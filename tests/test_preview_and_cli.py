"""Live preview rebuilds what changed; the CLI reports user errors without a traceback."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from tests.conftest import MakeRepo
from tidings.site.engine import build_site
from tidings.site.serve import Preview

NEWS = """\
---
title: {title}
date: 2026-11-01
---
{body}
"""


def test_preview_shows_an_edit_and_keeps_the_last_good_site_on_errors(make_repo: MakeRepo) -> None:
    root = make_repo({
        "content/announcements/a.md": NEWS.format(title="First", body="Original words."),
        "content/announcements/b.md": NEWS.format(title="Second", body="Other words."),
    })
    preview = Preview(root, "http://127.0.0.1:8000/", datetime(2026, 11, 23, tzinfo=UTC))
    preview.rebuild(full=True)
    page = preview.site_dir / "announcements/a/index.html"
    assert "Original words." in page.read_text()

    (root / "content/announcements/a.md").write_text(NEWS.format(title="First", body="Edited words."))
    preview.rebuild()
    assert "Edited words." in page.read_text()
    index = (preview.site_dir / "search/search_index.json").read_text()
    assert "Edited words." in index and "Other words." in index  # unchanged pages stay searchable

    (root / "content/announcements/a.md").write_text("---\ntitle: First\ndate: when\n---\nBroken.\n")
    preview.rebuild()
    assert "Edited words." in page.read_text()

    (root / "content/announcements/b.md").unlink()
    (root / "content/announcements/a.md").write_text(NEWS.format(title="First", body="Fixed."))
    preview.rebuild()
    assert not (preview.site_dir / "announcements/b/index.html").exists()
    assert "Other words." not in (preview.site_dir / "search/search_index.json").read_text()


def run(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tidings", "--root", str(root), *args],
                          capture_output=True, text=True)


def test_site_with_bad_content_exits_1_lists_problems_and_keeps_the_site(make_repo: MakeRepo) -> None:
    root = make_repo({"content/announcements/a.md": NEWS.format(title="A", body="Words.")})
    assert run(root, "site").returncode == 0
    index = (root / "site/index.html").read_bytes()
    (root / "content/announcements/b.md").write_text("---\ntitle: B\ndate: 2026-02-30\n---\n")
    (root / "content/events/e.md").parent.mkdir(parents=True)
    (root / "content/events/e.md").write_text("---\ntitle: E\nstart: 2026-12-01T10:00\n---\n")
    done = run(root, "site")
    assert done.returncode == 1
    assert ("content/announcements/b.md:3: 'date': there is no day 2026-02-30: February 2026 "
            "has 28 days") in done.stderr
    assert "content/events/e.md:1: missing required key 'end' or 'duration'" in done.stderr
    assert "Traceback" not in done.stderr
    assert (root / "site/index.html").read_bytes() == index


def test_usage_errors_exit_2_without_traceback(make_repo: MakeRepo) -> None:
    root = make_repo({})
    for args in (["site", "--as-of", "next tuesday"], ["no-such-command"], []):
        done = run(root, *args)
        assert done.returncode == 2, args
        assert "Traceback" not in done.stderr


def test_site_as_of_a_date_uses_the_community_timezone(make_repo: MakeRepo) -> None:
    root = make_repo({"content/announcements/a.md": """
        ---
        title: Midnight news
        date: 2026-12-01
        ---
        At midnight in Helsinki.
        """})
    assert run(root, "site", "--as-of", "2026-11-30T23:59").returncode == 0
    assert not (root / "site/announcements/a/index.html").exists()
    assert run(root, "site", "--as-of", "2026-12-01").returncode == 0
    assert (root / "site/announcements/a/index.html").exists()


def test_user_mkdocs_yml_sets_the_look_and_keeps_python_tags(make_repo: MakeRepo) -> None:
    root = make_repo({
        "content/announcements/a.md": NEWS.format(title="A", body="Words :smile:."),
        "mkdocs.yml": """
            theme:
              name: material
              palette:
                primary: deep orange
            nav:
              - Forum: https://forum.example.org/
            markdown_extensions:
              - pymdownx.emoji:
                  emoji_index: !!python/name:material.extensions.emoji.twemoji
                  emoji_generator: !!python/name:material.extensions.emoji.to_svg
            """,
    })
    site = build_site(root, datetime(2026, 11, 23, tzinfo=UTC)).site_dir
    home = (site / "index.html").read_text()
    assert 'data-md-color-primary="deep-orange"' in home
    assert "https://forum.example.org/" in home
    assert "twemoji" in (site / "announcements/a/index.html").read_text()


def test_guidelines_changelog_lists_added_changed_and_retired_rules(make_repo: MakeRepo) -> None:
    root = make_repo({"guidelines/rules.md": "---\ntitle: Rules\n---\n## Be kind {#be-kind}\n\nOne.\n"})
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.org", "PATH": "/usr/bin:/bin"}

    def commit(text: str, when: str) -> None:
        (root / "guidelines/rules.md").write_text(text)
        dated = {**env, "GIT_AUTHOR_DATE": when, "GIT_COMMITTER_DATE": when}
        subprocess.run(["git", "add", "-A"], cwd=root, check=True, env=dated)
        subprocess.run(["git", "commit", "-qm", "rules"], cwd=root, check=True, env=dated)

    subprocess.run(["git", "init", "-q"], cwd=root, check=True, env=env)
    commit("---\ntitle: Rules\n---\n## Be kind {#be-kind}\n\nOne.\n\n## No spam {#spam}\n",
           "2026-01-10T12:00:00+00:00")
    commit("---\ntitle: Rules\nretired: [spam]\n---\n## Be kind {#be-kind}\n\nOne, clearer.\n",
           "2026-03-05T12:00:00+00:00")
    site = build_site(root, datetime(2026, 11, 23, tzinfo=UTC)).site_dir
    text = (site / "guidelines/changelog/index.html").read_text()
    assert text.index("Mar 5, 2026") < text.index("Jan 10, 2026")  # newest first
    assert "changed: <a href=\"../rules/#be-kind\">Be kind</a>" in text
    assert "retired: No spam (<code>spam</code>)" in text
    assert "added: <a href=\"../rules/#spam\">No spam</a>" in text
