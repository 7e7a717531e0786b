"""``init DIR``: scaffold a new community repo that builds right away."""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

from tidings import __version__
from tidings.errors import UsageError
from tidings.hints import build_command
from tidings.install_source import Requirement, running_requirement
from tidings.locales import check_timezone

# Files named without their leading dot in the package (setuptools skips dotfiles).
RENAMED = {"gitignore": ".gitignore", "github": ".github"}


def _first_thursday_after(day: date) -> date:
    first = day.replace(day=1)
    while True:
        thursday = first + timedelta(days=(3 - first.weekday()) % 7)
        if thursday >= day:
            return thursday
        first = (first + timedelta(days=32)).replace(day=1)


def _walk(node: Traversable, prefix: str = "") -> list[tuple[str, Traversable]]:
    found = []
    for child in sorted(node.iterdir(), key=lambda c: c.name):
        name = f"{prefix}{child.name}"
        if child.is_dir():
            found.extend(_walk(child, name + "/"))
        elif not child.name.endswith((".pyc",)):
            found.append((name, child))
    return found


def init(target: Path, *, name: str | None = None, timezone: str = "UTC",
         today: date | None = None, requirement: Requirement | None = None) -> list[Path]:
    """Create a community repo in ``target`` (which must be empty or absent); return its files.

    ``requirement`` is how its workflows install tidings (default: the source of this one).
    """
    if target.exists() and any(target.iterdir()):
        raise UsageError(f"{target} is not empty; choose a new folder")
    try:
        check_timezone(timezone)
    except ValueError as exc:
        raise UsageError(f"--timezone: {exc}") from None
    today = today or datetime.now().date()
    name = name or target.resolve().name.replace("-", " ").replace("_", " ").title()
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "community"
    next_month = (today.replace(day=1) + timedelta(days=32)).replace(day=1)
    values = {
        "__NAME__": name, "__SLUG__": slug, "__TODAY__": today.isoformat(),
        "__FIRST_THURSDAY__": _first_thursday_after(today).isoformat(),
        "__NEXT_MONTH__": next_month.isoformat(), "__VERSION__": __version__,
        "__TIMEZONE__": timezone,
        "__REQUIREMENT__": (requirement or running_requirement()).line,
    }
    written = []
    for rel, source in _walk(resources.files("tidings") / "scaffold"):
        parts = rel.split("/")
        parts = [RENAMED.get(part, part) for part in parts]
        path = target.joinpath(*parts)
        path.parent.mkdir(parents=True, exist_ok=True)
        text = source.read_text(encoding="utf-8")
        for key, value in values.items():
            text = text.replace(key, value)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


@dataclass
class Scaffolded:
    """What ``init`` made, and what to tell the person who ran it."""

    files: list[Path]
    next_step: str  # a shell line that works as printed
    notes: list[str] = field(default_factory=list)


def create(target: Path, *, name: str | None = None, timezone: str = "UTC") -> Scaffolded:
    """``init DIR``: the files, a git repository with them committed, and the next step."""
    requirement = running_requirement()
    files = init(target, name=name, timezone=timezone, requirement=requirement)
    notes = [requirement.note] if requirement.note else []
    notes.extend(git_init(target))
    return Scaffolded(files, build_command(target, "site"), notes)


def git_init(target: Path) -> list[str]:
    """Make ``target`` a git repository on ``main`` with a first commit (the rule history needs git)."""
    if shutil.which("git") is None:
        return ["git was not found: run `git init` in the new folder, since the guidelines' rule "
                "history (which rules changed or were removed) is read from git"]

    def git(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["git", *args], cwd=target, capture_output=True, text=True, timeout=60)

    if git("init", "-q").returncode != 0:
        return ["`git init` failed: make the new folder a git repository yourself"]
    git("symbolic-ref", "HEAD", "refs/heads/main")  # the site workflow publishes from main
    git("add", "-A")
    committed = git("commit", "-q", "-m", "New community repo")
    if committed.returncode != 0:
        return ["the files are not committed yet (git could not commit: "
                f"{committed.stderr.strip().splitlines()[-1] if committed.stderr.strip() else 'unknown'}"
                "): commit them with `git add -A && git commit -m 'New community repo'`"]
    return []
