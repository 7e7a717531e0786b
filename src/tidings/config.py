"""The community's settings: ``[tool.tidings]`` in pyproject.toml, plus secrets from the environment."""

from __future__ import annotations

import difflib
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from tidings.errors import ContentError, Problem

DEFAULT_SITE_URL = "http://127.0.0.1:8000/"


@dataclass(frozen=True)
class Config:
    """Settings of one community repo."""

    root: Path
    name: str
    description: str = ""
    site_url: str = DEFAULT_SITE_URL
    timezone: ZoneInfo = field(default_factory=lambda: ZoneInfo("UTC"))
    language: str = "en"
    logo: str | None = None
    contact: str = ""
    repo_url: str | None = None
    calendar_months: int = 6
    home_announcements: int = 5
    labels: dict[str, str] = field(default_factory=dict)

    @property
    def host(self) -> str:
        """Host part of ``site_url`` (used in calendar UIDs)."""
        return re.sub(r"^[a-z]+://", "", self.site_url).split("/")[0].split(":")[0] or "localhost"

    def url(self, path: str) -> str:
        """Absolute URL of a site path such as ``announcements/x/``."""
        return self.site_url.rstrip("/") + "/" + path.lstrip("/")


_FIELDS: dict[str, type | tuple[type, ...]] = {
    "name": str,
    "description": str,
    "site_url": str,
    "timezone": str,
    "language": str,
    "logo": str,
    "contact": str,
    "repo_url": str,
    "calendar_months": int,
    "home_announcements": int,
    "labels": dict,
}


def _line_of(text: str, key: str) -> int:
    """Line of ``key = ...`` inside ``[tool.tidings]`` (TOML parsers give no positions)."""
    in_section = False
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if stripped.startswith("["):
            in_section = stripped.startswith("[tool.tidings")
        elif in_section and re.match(rf"{re.escape(key)}\s*=", stripped):
            return number
    return 0


def load_config(root: Path) -> Config:
    """Read ``root/pyproject.toml``; raise ContentError listing every bad setting."""
    path = root / "pyproject.toml"
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    try:
        data: dict[str, Any] = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = int(m.group(1)) if (m := re.search(r"line (\d+)", str(exc))) else 0
        raise ContentError([Problem("pyproject.toml", line, f"TOML syntax error: {exc}")]) from None
    raw = data.get("tool", {}).get("tidings", {})
    problems: list[Problem] = []
    values: dict[str, Any] = {}
    for key, value in raw.items():
        expected = _FIELDS.get(key)
        line = _line_of(text, key)
        if expected is None:
            close = difflib.get_close_matches(key, _FIELDS, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            message = f"[tool.tidings] unknown setting '{key}'{hint}"
            problems.append(Problem("pyproject.toml", line, message, key))
        elif not isinstance(value, expected) or isinstance(value, bool) and expected is int:
            name = getattr(expected, "__name__", str(expected))
            problems.append(Problem("pyproject.toml", line, f"[tool.tidings] '{key}' must be a {name}", key))
        else:
            values[key] = value
    tz = ZoneInfo("UTC")
    if "timezone" in values:
        try:
            tz = ZoneInfo(values["timezone"])
        except (ValueError, KeyError):
            problems.append(
                Problem(
                    "pyproject.toml",
                    _line_of(text, "timezone"),
                    f"[tool.tidings] unknown timezone '{values['timezone']}' "
                    "(expected an IANA name such as 'Europe/Helsinki')",
                    "timezone",
                )
            )
    site_url = values.get("site_url", DEFAULT_SITE_URL)
    if not re.match(r"^https?://[^/]+", site_url):
        problems.append(
            Problem("pyproject.toml", _line_of(text, "site_url"),
                    "[tool.tidings] 'site_url' must be an absolute http(s) URL", "site_url")
        )
    if problems:
        raise ContentError(problems)
    values["timezone"] = tz
    values["site_url"] = site_url.rstrip("/") + "/"
    values.setdefault("name", root.resolve().name)
    return Config(root=root, **values)
