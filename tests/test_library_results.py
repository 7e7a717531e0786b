"""The library decides and returns results; only the command line prints them."""

from __future__ import annotations

import ast
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.conftest import MakeRepo
from tests.test_send import REPO, SECRET, address
from tidings.store import open_database
from tidings.store.subscribers import add, add_from_cli, get, unsubscribe

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "tidings"


def _prints(path: Path) -> list[int]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [node.lineno for node in ast.walk(tree) if isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name) and node.func.id == "print"]


@pytest.mark.parametrize("module", ["mail/commands.py", "demo.py"])
def test_sending_and_the_demo_return_lines_instead_of_printing(module: str) -> None:
    assert _prints(PACKAGE / module) == []


def test_an_admin_add_never_re_subscribes_someone_who_left(tmp_path: Path) -> None:
    engine = open_database(url=f"sqlite:///{tmp_path / 'list.sqlite'}")
    with engine.begin() as connection:
        member, _ = add(connection, address(1))
        unsubscribe(connection, member.id, source="form")
        result = add_from_cli(connection, address(1), name="Back Again")
        assert result.refused
        assert result.line() == (f"{address(1)} is unsubscribed: only they can subscribe again "
                                 "(through the sign-up form).")
        after = get(connection, address(1))
        assert after is not None and after.state == "unsubscribed" and after.name is None


def test_an_admin_add_says_added_updated_or_unchanged(tmp_path: Path) -> None:
    engine = open_database(url=f"sqlite:///{tmp_path / 'list.sqlite'}")
    with engine.begin() as connection:
        lines = [add_from_cli(connection, address(2), pending=True).line(),
                 add_from_cli(connection, address(2)).line(),
                 add_from_cli(connection, address(2)).line()]
    assert lines == [f"added: {address(2)} (pending)", f"updated: {address(2)} (confirmed)",
                     f"unchanged: {address(2)} (confirmed)"]


def test_a_dry_run_send_returns_its_report_and_prints_nothing(
        make_repo: MakeRepo, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from tidings.mail.commands import send_newsletter

    monkeypatch.setenv("TIDINGS_SECRET", SECRET)
    root = make_repo(REPO)
    with open_database(root).begin() as connection:
        add(connection, address(1))
    told = []
    with ThreadPoolExecutor(1) as pool:  # the session's event loop holds the main thread
        report = pool.submit(send_newsletter, root, "december", dry_run=True, notify=told.append).result()
    printed = capsys.readouterr()  # only the live progress meter writes while it runs
    assert printed.out == "" and not any(line.text in printed.err for line in report.lines)
    assert report.status == 0 and told == report.lines
    assert report.lines[0].text == "dry run: rendering 'december' for its audience; nothing is sent"
    assert report.lines[0].error
    assert report.lines[-1].text.startswith("december:") and not report.lines[-1].error
