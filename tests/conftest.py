"""Shared fixtures: small community repos written into tmp_path."""

from __future__ import annotations

import os
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

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


# A survey used by the collector and feedback tests.
PULSE_SURVEY = """\
---
id: pulse
title: Pulse
closes: {closes}
allow_comment: true
publish_comments: true
questions:
  - id: happy
    text: Are you happy?
    options: [Yes, No]
  - id: often
    text: How often do you come?
    options: [Daily, Weekly, Rarely]
---
Tell us.
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


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One headless Debian Chromium for the whole session (never a downloaded one)."""
    from tests.browser_support import CHROMIUM_ARGS, chromium_path

    executable = chromium_path()
    try:
        import playwright.sync_api as playwright_api
    except ImportError:
        if os.environ.get("CI") == "true":
            raise  # CI must run the browser tests
        pytest.skip("browser tests need playwright (pip install -e '.[test]')")
    with playwright_api.sync_playwright() as p:
        launched = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()
