"""Each repeated mechanism has one copy: renames in tidings/files.py, environment writes in
tidings/process_env.py (restored on exit), Markdown code fences tracked in one function."""

from __future__ import annotations

import ast
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.conftest import MakeRepo
from tidings.process_env import scoped_environ
from tidings.site.engine import build_site

SRC = Path(__file__).resolve().parents[1] / "src" / "tidings"
RENAMES = {("os", "replace"), ("os", "rename"), ("os", "renames"), ("shutil", "move")}
ENV_METHODS = {"update", "pop", "popitem", "setdefault", "clear", "__setitem__", "__delitem__"}


def _modules() -> list[tuple[str, ast.Module]]:
    return [(p.relative_to(SRC).as_posix(), ast.parse(p.read_text(encoding="utf-8")))
            for p in sorted(SRC.rglob("*.py"))]


def _dotted(node: ast.expr) -> tuple[str, ...]:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.insert(0, node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.insert(0, node.id)
    return tuple(parts)


def _renames(tree: ast.Module) -> list[int]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            name = _dotted(node.func)
            if name[-2:] in RENAMES or (node.func.attr == "rename" and name[:1] != ("re",)):
                found.append(node.lineno)
    return found


def _environment_writes(tree: ast.Module) -> list[int]:
    found = []
    for node in ast.walk(tree):
        targets: list[ast.expr] = []
        if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        elif isinstance(node, ast.Delete):
            targets = node.targets
        for target in targets:
            if isinstance(target, ast.Subscript) and _dotted(target.value)[-2:] == ("os", "environ"):
                found.append(node.lineno)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            name = _dotted(node.func)
            if (name[-3:-1] == ("os", "environ") and name[-1] in ENV_METHODS) or \
                    name[-2:] in {("os", "putenv"), ("os", "unsetenv")}:
                found.append(node.lineno)
    return found


def test_files_are_renamed_into_place_only_by_the_one_atomic_write_module() -> None:
    found = {name: lines for name, tree in _modules() if (lines := _renames(tree))}
    assert set(found) == {"files.py"}, found


def test_the_environment_is_written_only_by_the_scoped_helper_that_restores_it() -> None:
    found = {name: lines for name, tree in _modules() if (lines := _environment_writes(tree))}
    assert set(found) <= {"process_env.py"}, found


def test_scoped_environ_restores_set_and_unset_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TIDINGS_TEST_KEPT", "before")
    monkeypatch.delenv("TIDINGS_TEST_NEW", raising=False)
    with pytest.raises(RuntimeError), \
            scoped_environ({"TIDINGS_TEST_KEPT": "during", "TIDINGS_TEST_NEW": "during"}):
        assert os.environ["TIDINGS_TEST_KEPT"] == os.environ["TIDINGS_TEST_NEW"] == "during"
        raise RuntimeError("a failed build")
    assert os.environ["TIDINGS_TEST_KEPT"] == "before"
    assert "TIDINGS_TEST_NEW" not in os.environ


def test_code_fences_are_tracked_in_one_function() -> None:
    fence_users = {name for name, tree in _modules() for node in ast.walk(tree)
                   if isinstance(node, ast.Name) and node.id == "FENCE_RE"}
    assert fence_users == {"content/fences.py"}, fence_users


def test_a_site_build_keeps_compiled_templates_and_leaves_the_environment_as_it_was(
        make_repo: MakeRepo) -> None:
    root = make_repo({"content/announcements/hello.md": "---\ntitle: Hello\ndate: 2026-11-01\n---\nHi.\n"})
    environment = dict(os.environ)
    build_site(root, datetime(2026, 11, 23, 12, tzinfo=UTC), root / "site")
    assert dict(os.environ) == environment
    assert list((root / ".tidings" / "cache" / "jinja").glob("*.cache"))  # the hook was given the folder
