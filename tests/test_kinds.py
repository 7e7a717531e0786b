"""One registry of content kinds: the folder names live in one module, and a new kind is one entry."""

from __future__ import annotations

import ast
import dataclasses
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tests.conftest import REPO_ROOT, MakeRepo

SRC = REPO_ROOT / "src" / "tidings"
FOLDER_NAMES = ("announcements", "stories", "events", "topics", "surveys", "guidelines", "newsletters")
# A literal names a kind's folder when it is the name alone or a word with the name next to a slash.
_IN_PATH = re.compile(r"(?:^|/)(" + "|".join(FOLDER_NAMES) + r")/|/(" + "|".join(FOLDER_NAMES) + r")$")
# The registry itself.
ALLOWED = {"content/kinds.py"}
# scaffold/: the files ``init`` copies into a new community repo (its build.py), not package code.
SKIPPED_FOLDERS = ("scaffold/",)
# Literals that are not folders: the mail templates' variables holding an issue's events and topics.
ALLOWED_LITERALS = {"mail/render.py": {"'events'", "'topics'"}}


def _docstrings(tree: ast.AST) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                found.add(id(body[0].value))
    return found


def _folder_literals(path: Path, base: Path = SRC) -> list[str]:
    """String literals (not docstrings) in ``path`` that name a kind's folder, as ``file:line 'text'``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docs = _docstrings(tree)
    return [f"{path.relative_to(base)}:{node.lineno} {node.value!r}" for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs
            and (node.value in FOLDER_NAMES or any(_IN_PATH.search(w) for w in node.value.split()))]


def test_kind_folder_names_are_written_only_in_the_registry() -> None:
    found = []
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC).as_posix()
        if rel in ALLOWED or rel.startswith(SKIPPED_FOLDERS):
            continue
        found += _folder_literals(path)
    assert [f for f in found if f.split(":")[0] not in ALLOWED_LITERALS
            or f.split(" ", 1)[1] not in ALLOWED_LITERALS[f.split(":")[0]]] == []


def test_the_folder_name_finder_sees_paths_and_bare_names(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text('"""In content/events/ docs are fine."""\n'
                      'a = "content/events"\nb = f"events/{a}.ics"\nc = "newsletters"\n'
                      'd = "News, events and stories"\ne = "events.title"\n', encoding="utf-8")
    lines = [line.split(" ")[0].rsplit(":", 1)[1] for line in _folder_literals(sample, tmp_path)]
    assert sorted(lines) == ["2", "3", "4"]



# --- adding a kind is one entry ---------------------------------------------------------------

def _notes_kind() -> Any:
    from tidings.content import kinds, model, schema
    from tidings.content.paths import slugify

    @dataclasses.dataclass(frozen=True, kw_only=True)
    class Note(model.Entry):
        date: datetime

    def build(src: Any, v: dict[str, Any], ctx: schema.Context) -> Note:
        return Note(path=src.path, slug=slugify(Path(src.path).stem), title=v["title"], body=src.body,
                    body_line=src.body_line, date=v["date"])

    spec: schema.Spec = {"title": (schema.text, True), "date": (schema.when, True),
                         "draft": (schema.boolean, False)}
    notes = kinds.Kind(name="note", folder="content/notes", spec=spec, build=build, model=Note,
                       url_folder="notes/", public_date=lambda n: n.date,
                       order=lambda n: (n.date, n.slug), newest_first=True)
    return (*kinds.KINDS, notes)


NOTE = "---\ntitle: {title}\ndate: {date}\n---\nA note.\n"


def test_a_new_kind_is_loaded_checked_and_embargoed_from_one_registry_entry(make_repo: MakeRepo) -> None:
    from tidings.content import check
    from tidings.embargo import public_view

    registry = _notes_kind()
    root = make_repo({
        "content/notes/early.md": NOTE.format(title="Early", date="2026-01-01"),
        "content/notes/later.md": NOTE.format(title="Later", date="2027-06-01"),
        "content/notes/bad.md": "---\ntitle: Bad\ndate: 2026-01-01\ncolour: red\n---\nx\n",
        "content/notes/twin.md": NOTE.format(title="Twin", date="2026-02-01"),
        "content/notes/Twin.md": NOTE.format(title="Twin again", date="2026-02-01"),
    })
    community, problems = check(root, history=False, kinds=registry)
    assert community is not None
    messages = [f"{p.path}:{p.line}: {p.message}" for p in problems]
    assert any(m.startswith("content/notes/bad.md:4: unknown key 'colour'") for m in messages), messages
    assert any("duplicate note slug 'twin'" in m for m in messages), messages
    notes = community.of_kind("note")
    assert {n.slug for n in notes} >= {"early", "later", "twin"}
    view = public_view(community, datetime(2026, 6, 1, tzinfo=UTC), kinds=registry)
    assert [n.slug for n in view.of_kind("note")] == ["twin", "twin", "early", "bad"]  # newest first
    assert "content/notes/early.md" in view.paths and "content/notes/later.md" not in view.paths
    later = public_view(community, datetime(2028, 1, 1, tzinfo=UTC), kinds=registry)
    assert [n.slug for n in later.of_kind("note")][0] == "later"


def test_without_its_registry_entry_a_folder_is_not_content(make_repo: MakeRepo) -> None:
    from tidings.content import check

    root = make_repo({"content/notes/early.md": NOTE.format(title="Early", date="2026-01-01")})
    community, problems = check(root, history=False)
    assert community is not None
    assert "content/notes/early.md" not in community.by_path()


def test_a_page_named_after_a_kinds_section_is_refused_with_its_file_name(make_repo: MakeRepo) -> None:
    from tidings.content import check

    root = make_repo({"content/pages/events.md": "# Events\n", "content/pages/notes.md": "# Notes\n"})
    _, problems = check(root, history=False)
    messages = [f"{p.path}:{p.line}: {p.message}" for p in problems]
    assert ("content/pages/events.md:1: page name 'events' is taken by a section tidings generates; "
            "rename the file") in messages
    assert not any(m.startswith("content/pages/notes.md") for m in messages)
    _, problems = check(root, history=False, kinds=_notes_kind())
    assert any(p.path == "content/pages/notes.md" and "taken by a section" in p.message for p in problems)
