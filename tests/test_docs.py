"""The README documents every command, and CI runs exactly the README's test command."""

from __future__ import annotations

import argparse
import re

from tests.conftest import REPO_ROOT
from tidings.cli import COMMANDS, build_parser

README = (REPO_ROOT / "README.md").read_text(encoding="utf-8")


def test_readme_documents_every_command() -> None:
    documented = set(re.findall(r"^#{2,4} `python build\.py (\w+)", README, flags=re.M))
    assert documented == set(COMMANDS)


def test_readme_documents_every_subcommand() -> None:
    parser = build_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    missing = []
    for name, command in commands.choices.items():
        for action in command._actions:
            if isinstance(action, argparse._SubParsersAction):
                missing += [f"{name} {sub}" for sub in action.choices
                            if not re.search(rf"`python build\.py {name} [^`]*\b{sub}\b", README)]
    assert missing == []


def test_readme_starts_with_the_demo_and_test_commands() -> None:
    blocks = re.findall(r"```sh\n(.*?)\n```", README, flags=re.S)
    assert "python build.py demo" in blocks[0]
    assert "pytest" in blocks[1] and "'.[test]'" in blocks[1]
    assert "scripts/install-system-deps" in blocks[0] and "scripts/install-system-deps" in blocks[1]


def test_ci_runs_exactly_the_readme_test_command() -> None:
    test_command = re.findall(r"```sh\n(.*?)\n```", README, flags=re.S)[1].strip()
    ci = (REPO_ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert test_command in ci
    assert "ruff check" in ci
    assert '"$rc" -eq 5' in ci  # pytest's "no tests ran" is a failure
