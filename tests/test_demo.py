"""``demo`` on a community of several languages says where each language lives and who got which."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from tests.conftest import PYPROJECT, MakeRepo
from tidings.demo import run_demo

LANGUAGES = PYPROJECT.replace("[tool.tidings]\n", '[tool.tidings]\nlanguages = ["en", "fi", "de"]\n', 1)
ISSUE = "---\nsubject: {subject}\n{when}---\nHello.\n"


def test_the_demo_names_each_language_of_the_site_and_of_the_issue_sent(make_repo: MakeRepo) -> None:
    root = make_repo({
        "content/announcements/hello.md": "---\ntitle: Hello\ndate: 2026-01-01\n---\nHi.\n",
        "newsletters/2026-01.md": ISSUE.format(subject="January", when="send_at: 2026-01-02 09:00\n"),
        "newsletters/2026-01.fi.md": ISSUE.format(subject="Tammikuu", when=""),
    }, pyproject=LANGUAGES)
    with ThreadPoolExecutor(1) as pool:  # the demo runs asyncio: never on the main thread's loop
        lines = [line.text for line in pool.submit(run_demo, root).result().lines]
    assert "  in en at /, fi at /fi/, de at /de/" in lines
    # the demo list: one Finnish member, the rest (de, el, zh-TW, pt-BR, none) read the default
    assert "  each in their language: 5 in en, 1 in fi" in lines
