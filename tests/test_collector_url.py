"""A public site never sends its members to a collector on localhost or over plain http."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import MakeRepo
from tests.test_send import REPO, SECRET, address
from tidings.cli import run_due, run_send
from tidings.delivery.transport import SMTPSettings, SMTPTransport
from tidings.errors import ConfigError
from tidings.repo_check import check_all
from tidings.store import open_database
from tidings.store.subscribers import add

PUBLIC = """\
[tool.tidings]
name = "Canary Club"
site_url = "https://club.example.org/"
timezone = "Europe/Helsinki"
newsletter_from = "Canary Club <news@club.example.org>"
"""


def warnings_of(root: Path) -> list[str]:
    _, problems = check_all(root)
    return [str(p) for p in problems if p.severity == "warning" and p.field == "collector_url"]


@pytest.mark.parametrize(("settings", "warned"), [
    ("", True),  # the default: http://127.0.0.1:8080/
    ('collector_url = "http://collect.club.example.org/"\n', True),
    ('collector_url = "https://collect.club.example.org/"\n', False),
])
def test_check_warns_when_a_public_site_has_a_collector_without_https(
        make_repo: MakeRepo, settings: str, warned: bool) -> None:
    root = make_repo({}, pyproject=PUBLIC + settings)
    found = warnings_of(root)
    assert bool(found) == warned, found
    if warned:
        line = "6" if settings else "3"  # the collector_url line, else the site_url one
        assert found[0].startswith(f"pyproject.toml:{line}: warning: ") and "collector_url" in found[0]


def test_a_local_site_may_use_the_local_collector(make_repo: MakeRepo) -> None:
    root = make_repo({}, pyproject='[tool.tidings]\nname = "Local"\nsite_url = "http://127.0.0.1:8000/"\n')
    assert warnings_of(root) == []


class RelayStandIn(SMTPTransport):
    """A relay out on the internet (the outside world): it only notes that it was used."""

    def __init__(self) -> None:
        super().__init__(SMTPSettings(host="relay.example.org", port=587))
        self.used = False

    async def open(self, workers: int) -> None:
        self.used = True

    async def send(self, *args: Any) -> None:
        self.used = True


def in_thread(function: Any, *args: Any, **kwargs: Any) -> Any:
    """In-process sends run off the main thread (the session's Playwright holds its loop)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(function, *args, **kwargs).result()


@pytest.mark.parametrize("command", ["send", "due"])
def test_a_real_send_refuses_unsubscribe_links_to_localhost(
        make_repo: MakeRepo, monkeypatch: pytest.MonkeyPatch, command: str) -> None:
    monkeypatch.setenv("TIDINGS_SECRET", SECRET)
    letter = REPO["newsletters/december.md"].replace("2026-12-03T09:00", "2020-12-03T09:00")
    root = make_repo({**REPO, "newsletters/december.md": letter}, pyproject=PUBLIC)
    with open_database(root).begin() as connection:
        add(connection, address(1))
    relay = RelayStandIn()
    with pytest.raises(ConfigError, match="collector_url"):
        if command == "send":
            in_thread(run_send, root, "december", transport=relay)
        else:
            in_thread(run_due, root, transport=relay)
    assert not relay.used


def test_a_dry_run_or_a_local_relay_still_works_with_the_local_collector(
        make_repo: MakeRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TIDINGS_SECRET", SECRET)
    root = make_repo(REPO, pyproject=PUBLIC)
    with open_database(root).begin() as connection:
        add(connection, address(1))
    assert in_thread(run_send, root, "december", dry_run=True, transport=RelayStandIn()) == 0
