"""``site --if-changed``: embargoed news goes public within one schedule tick, and a tick that
would change nothing builds nothing."""

from __future__ import annotations

import functools
import http.server
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from tests.conftest import MakeRepo
from tidings.site.engine import build_site
from tidings.site.fingerprint import FINGERPRINT_FILE, view_fingerprint

FILES = {
    "content/announcements/old.md": "---\ntitle: Old news\ndate: 2026-11-01\n---\nAlready out.\n",
    "content/announcements/embargoed.md": "---\ntitle: Big news\ndate: 2026-12-01T10:00\n---\nSecret.\n",
    "content/events/call.md": "---\ntitle: Call\nstart: 2026-12-10T18:00\nduration: PT1H\n---\nTalk.\n",
}
BEFORE = "2026-11-30T23:00"  # Helsinki
AFTER = "2026-12-01T10:05"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text + "+02:00")


def site(root: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tidings", "--root", str(root), "site", *args],
                          capture_output=True, text=True, env=env, timeout=300)


def test_the_fingerprint_ignores_the_moment_but_not_the_view(make_repo: MakeRepo) -> None:
    root = make_repo(FILES)
    first = view_fingerprint(root, at("2026-11-30T09:00"))
    assert view_fingerprint(root, at(BEFORE)) == first  # nothing went public in between
    assert view_fingerprint(root, at(AFTER)) != first  # the embargo ended
    (root / "content/announcements/old.md").write_text(
        "---\ntitle: Old news\ndate: 2026-11-01\n---\nA typo fixed.\n")
    assert view_fingerprint(root, at(BEFORE)) != first


def test_an_unchanged_view_is_not_rebuilt_and_an_ended_embargo_is(make_repo: MakeRepo) -> None:
    root = make_repo(FILES)
    published = build_site(root, at("2026-11-30T09:00")).site_dir
    fingerprint = published / FINGERPRINT_FILE
    assert fingerprint.read_text().strip() == view_fingerprint(root, at("2026-11-30T09:00"))
    keep = published.parent / "published.fingerprint"
    keep.write_bytes(fingerprint.read_bytes())
    (published / "marker.txt").write_text("the previous build")

    skipped = site(root, "--as-of", BEFORE, "--if-changed", str(keep))
    assert skipped.returncode == 0, skipped.stderr
    assert "not rebuilt" in skipped.stdout
    assert (published / "marker.txt").exists()

    built = site(root, "--as-of", AFTER, "--if-changed", str(keep))
    assert built.returncode == 0, built.stderr
    assert "Built" in built.stdout and not (published / "marker.txt").exists()
    assert "Secret." in (published / "announcements/embargoed/index.html").read_text()
    assert (published / FINGERPRINT_FILE).read_text() != keep.read_text()


@pytest.fixture
def static_host(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """The public site: a real HTTP server on 127.0.0.1 serving a folder."""
    folder = tmp_path / "host"
    folder.mkdir()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}/", folder
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_a_scheduled_build_compares_with_the_published_site(
        make_repo: MakeRepo, static_host: tuple[str, Path], tmp_path: Path) -> None:
    url, host = static_host
    root = make_repo(FILES, pyproject=f'[tool.tidings]\nname = "Club"\nsite_url = "{url}"\n'
                                        'timezone = "Europe/Helsinki"\n')
    outputs = tmp_path / "github_output"
    env = {**os.environ, "GITHUB_OUTPUT": str(outputs)}

    first = site(root, "--as-of", BEFORE, "--if-changed", env=env)  # nothing published yet: build
    assert first.returncode == 0 and "Built" in first.stdout, first.stderr
    (host / FINGERPRINT_FILE).write_bytes((root / "site" / FINGERPRINT_FILE).read_bytes())  # deploy

    again = site(root, "--as-of", BEFORE, "--if-changed", env=env)
    assert again.returncode == 0 and "not rebuilt" in again.stdout, again.stdout + again.stderr
    later = site(root, "--as-of", AFTER, "--if-changed", env=env)
    assert later.returncode == 0 and "Built" in later.stdout, later.stderr
    assert outputs.read_text().split() == ["built=true", "built=false", "built=true"]


def test_the_fingerprint_is_the_same_in_every_process(make_repo: MakeRepo) -> None:
    """Events in several timezones: nothing staged may follow PYTHONHASHSEED, or no build is skipped."""
    root = make_repo({
        **FILES,
        "content/events/sao-paulo.md": "---\ntitle: São Paulo meetup\nstart: 2026-12-12T18:00\n"
                                       "duration: PT2H\ntimezone: America/Sao_Paulo\n---\nMeet.\n",
        "content/events/berlin.md": "---\ntitle: Berlin meetup\nstart: 2026-12-14T18:00\nduration: PT2H\n"
                                    "timezone: Europe/Berlin\nrepeat: FREQ=MONTHLY;BYDAY=2MO\n---\nMeet.\n",
    })
    code = ("import sys; from datetime import datetime; from pathlib import Path; "
            "from tidings.site.fingerprint import view_fingerprint; "
            "print(view_fingerprint(Path(sys.argv[1]), datetime.fromisoformat(sys.argv[2])))")
    found = {subprocess.run([sys.executable, "-c", code, str(root), at(BEFORE).isoformat()],
                            env={**os.environ, "PYTHONHASHSEED": seed}, capture_output=True, text=True,
                            check=True).stdout.strip() for seed in ("1", "2", "3")}
    assert len(found) == 1, found
