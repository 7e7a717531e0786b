"""Shared fixtures: small community repos written into tmp_path."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]

PYPROJECT = """\
[tool.tidings]
name = "Canary Club"
description = "A small test community."
site_url = "https://club.example.org/"
timezone = "Europe/Helsinki"
language = "en"
"""

MakeRepo = Callable[..., Path]


def write_files(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")


@pytest.fixture
def make_repo(tmp_path: Path) -> MakeRepo:
    """Write a community repo: pyproject.toml with [tool.tidings] plus the given files."""

    def make(files: dict[str, str], *, pyproject: str = PYPROJECT, name: str = "repo") -> Path:
        root = tmp_path / name
        root.mkdir()
        (root / "pyproject.toml").write_text(pyproject, encoding="utf-8")
        write_files(root, files)
        return root

    return make
