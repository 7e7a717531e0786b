"""``init DIR``: scaffold a new community repo that builds right away."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

from tidings import __version__
from tidings.errors import UsageError
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
         today: date | None = None) -> list[Path]:
    """Create a community repo in ``target`` (which must be empty or absent); return its files."""
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
