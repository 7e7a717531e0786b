"""What the command line prints: quiet when its reader stops, and honest about dry runs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import MakeRepo
from tests.test_send import SECRET, make_community
from tidings.mail.catcher import CatchingHandler, LocalSMTPServer
from tidings.mail.progress import format_rate
from tidings.mail.sender import SendSummary


def run_into_closed_pipe(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run a command whose reader has already gone, like ``… | head -0``: every write breaks."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        env = {**os.environ, "TIDINGS_SECRET": SECRET}
        env.pop("TIDINGS_SMTP_URL", None)
        env.pop("TIDINGS_DATABASE_URL", None)
        env.pop("CI", None)
        return subprocess.run([sys.executable, "-m", "tidings", "--root", str(root), *args],
                              stdout=write_end, stderr=subprocess.PIPE, text=True, env=env, timeout=120)
    finally:
        os.close(write_end)


@pytest.mark.parametrize("args", [
    ["subscribers", "list"], ["subscribers", "export"], ["subscribers", "stats"], ["check"],
    ["newsletter", "send", "december", "--dry-run"], ["--help"], ["--version"], ["subscribers", "-h"],
])
def test_a_command_piped_into_head_stops_quietly(make_repo: MakeRepo, args: list[str]) -> None:
    root, _ = make_community(make_repo, 30)
    done = run_into_closed_pipe(root, *args)
    assert "Traceback" not in done.stderr and "BrokenPipe" not in done.stderr, done.stderr
    assert "Exception ignored" not in done.stderr, done.stderr
    # 141 as a Unix tool ended by SIGPIPE; argparse swallows the error when it prints help itself
    assert done.returncode == (0 if args[-1] in ("--help", "--version", "-h") else 141)


def test_subscribers_list_into_head_prints_its_first_lines(make_repo: MakeRepo) -> None:
    root, _ = make_community(make_repo, 3000)
    done = subprocess.run(f"{sys.executable} -m tidings --root {root} subscribers list | head -2",
                          shell=True, capture_output=True, text=True, timeout=120)
    assert len(done.stdout.splitlines()) == 2
    assert "Traceback" not in done.stderr and "BrokenPipe" not in done.stderr, done.stderr


def test_a_dry_run_says_rendered_and_never_sent(make_repo: MakeRepo) -> None:
    root, _ = make_community(make_repo, 5)
    env = {**os.environ, "TIDINGS_SECRET": SECRET}
    for name in ("TIDINGS_SMTP_URL", "TIDINGS_DATABASE_URL", "CI"):
        env.pop(name, None)
    done = subprocess.run([sys.executable, "-m", "tidings", "--root", str(root), "newsletter", "send",
                           "december", "--dry-run"], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    said = (done.stdout + done.stderr).lower()
    assert "rendered 5" in said
    assert "sending" not in said and "sent 5" not in said and "through" not in said, said
    assert not list((root / ".tidings" / "outbox").glob("*/*"))


@pytest.mark.parametrize(("per_second", "shown"), [
    (0.25, "0.25 msg/s"), (0.004, "0.004 msg/s"), (3.46, "3.5 msg/s"), (850.4, "850 msg/s"), (0.0, "0 msg/s"),
])
def test_a_slow_rate_is_not_printed_as_zero(per_second: float, shown: str) -> None:
    assert format_rate(per_second) == shown


def test_the_summary_of_a_slow_send_shows_its_rate() -> None:
    summary = SendSummary("december", sent=3, elapsed=12.0)
    assert "0.25 msg/s" in summary.line()


def test_a_dry_run_test_copy_is_rendered_and_not_sent(make_repo: MakeRepo) -> None:
    root, _ = make_community(make_repo, 1)
    handler = CatchingHandler()
    with LocalSMTPServer(handler) as server:
        env = {**os.environ, "TIDINGS_SECRET": SECRET, "TIDINGS_SMTP_URL": server.url}
        env.pop("TIDINGS_DATABASE_URL", None)
        done = subprocess.run([sys.executable, "-m", "tidings", "--root", str(root), "newsletter", "send",
                               "december", "--dry-run", "--to", "someone@example.org"],
                              capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    assert handler.messages == []
    said = (done.stdout + done.stderr).lower()
    assert "rendered" in said and "sent a test copy" not in said, said
