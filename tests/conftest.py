"""Shared fixtures: small community repos written into tmp_path."""

from __future__ import annotations

import asyncio
import os
import textwrap
import uuid
from collections.abc import Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import pytest
from hypothesis import settings as hypothesis_settings

REPO_ROOT = Path(__file__).resolve().parents[1]

# CI runs the property tests with a fixed seed so that a run is repeatable; local runs explore.
hypothesis_settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI") == "true":
    hypothesis_settings.load_profile("ci")

PYPROJECT = """\
[tool.tidings]
name = "Canary Club"
description = "A small test community."
site_url = "https://club.example.org/"
collector_url = "https://collect.club.example.org/"
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
T = TypeVar("T")


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


# -- PostgreSQL: a throwaway server for the session, a fresh database per test ------------------

@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """A throwaway PostgreSQL cluster on 127.0.0.1 (initdb + pg_ctl), stopped afterwards."""
    from tests.postgres_support import PostgresMissing, throwaway_postgres

    pytest.importorskip("psycopg", reason="the postgres extra (psycopg) is not installed")
    try:
        server = throwaway_postgres()
        url = server.__enter__()
    except PostgresMissing as exc:
        pytest.skip(f"{exc}; the SQLite tests ran")
    try:
        yield url
    finally:
        server.__exit__(None, None, None)


@pytest.fixture
def postgres_url(postgres_server: str) -> Iterator[str]:
    """A fresh, empty database on the session's throwaway PostgreSQL, dropped after the test."""
    import sqlalchemy as sa

    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(postgres_server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f"CREATE DATABASE {name}"))
    try:
        yield postgres_server.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


def run_coroutine(coroutine: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run`` in a thread of its own: the session's Playwright holds the main thread's loop."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()
