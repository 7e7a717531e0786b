"""The community's settings: ``[tool.tidings]`` in pyproject.toml, plus secrets from the environment."""

from __future__ import annotations

import difflib
import ipaddress
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from tidings.errors import ConfigError, Problem
from tidings.inputs import has_control
from tidings.locales import check_lang, timezone_hint

DEFAULT_SITE_URL = "http://127.0.0.1:8000/"
DEFAULT_COLLECTOR_URL = "http://127.0.0.1:8080/"
# Settings that end up in mail headers or links: a line break there would forge a header.
_ONE_LINE = ("name", "site_url", "newsletter_from", "reply_to", "collector_url", "unsubscribe_mailto",
             "list_id")


@dataclass(frozen=True)
class Config:
    """Settings of one community repo."""

    root: Path
    name: str
    description: str = ""
    site_url: str = DEFAULT_SITE_URL
    timezone: ZoneInfo = field(default_factory=lambda: ZoneInfo("UTC"))
    language: str = "en"
    # Every language the community writes in; the first is the default (``language``).
    languages: tuple[str, ...] = ()
    logo: str | None = None
    contact: str = ""
    repo_url: str | None = None
    calendar_months: int = 6
    home_announcements: int = 5
    labels: dict[str, str] = field(default_factory=dict)
    newsletter_from: str | None = None
    reply_to: str | None = None
    collector_url: str = DEFAULT_COLLECTOR_URL
    unsubscribe_mailto: str | None = None
    list_id: str | None = None
    brand_color: str = "#3f51b5"
    # The collector believes X-Forwarded-For only from these addresses/networks (its proxies).
    trusted_proxies: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.languages:  # one language: the default
            object.__setattr__(self, "languages", (self.language,))

    @property
    def sender(self) -> str:
        """The From header of newsletters."""
        return self.newsletter_from or f"{self.name} <newsletter@{self.host}>"

    @property
    def list_identifier(self) -> str:
        """RFC 2919 List-Id value, e.g. ``Tern Community <news.community.example.org>``."""
        if self.list_id:
            return self.list_id
        slug = re.sub(r"[^a-z0-9]+", "-", self.name.lower()).strip("-") or "news"
        return f"{self.name} <{slug}.{self.host}>"

    def collector(self, path: str) -> str:
        """Absolute URL of a collector endpoint."""
        return self.collector_url.rstrip("/") + "/" + path.lstrip("/")

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
    "languages": list,
    "logo": str,
    "contact": str,
    "repo_url": str,
    "calendar_months": int,
    "home_announcements": int,
    "labels": dict,
    "newsletter_from": str,
    "reply_to": str,
    "collector_url": str,
    "unsubscribe_mailto": str,
    "list_id": str,
    "brand_color": str,
    "trusted_proxies": list,
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


def _timezone_and_language(values: dict[str, Any], text: str, problems: list[Problem]) -> ZoneInfo:
    """The community's timezone (UTC when unset or wrong); problems with it or the language."""
    tz = ZoneInfo("UTC")
    if "timezone" in values:
        try:
            tz = ZoneInfo(values["timezone"])
        except (ValueError, KeyError):
            problems.append(Problem("pyproject.toml", _line_of(text, "timezone"),
                                    f"[tool.tidings] unknown timezone '{values['timezone']}' "
                                    f"({timezone_hint(values['timezone'])})", "timezone"))
    if "language" in values:
        try:
            check_lang(values["language"])
        except ValueError as exc:
            problems.append(Problem("pyproject.toml", _line_of(text, "language"),
                                    f"[tool.tidings] 'language': {exc}", "language"))
    for code in values.get("languages", ()):
        try:
            check_lang(code if isinstance(code, str) else repr(code))
        except ValueError as exc:
            problems.append(Problem("pyproject.toml", _line_of(text, "languages"),
                                    f"[tool.tidings] 'languages': {exc}", "languages"))
    return tz


def load_config(root: Path) -> Config:
    """Read ``root/pyproject.toml``; raise ConfigError listing every bad setting."""
    path = root / "pyproject.toml"
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    try:
        data: dict[str, Any] = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = int(m.group(1)) if (m := re.search(r"line (\d+)", str(exc))) else 0
        raise ConfigError(problems=[Problem("pyproject.toml", line, f"TOML syntax error: {exc}")]) from None
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
    tz = _timezone_and_language(values, text, problems)
    for key in _ONE_LINE:
        if key in values and has_control(values[key]):
            problems.append(Problem("pyproject.toml", _line_of(text, key),
                                    f"[tool.tidings] '{key}' contains a control character (line break, "
                                    "tab, NUL, …): it must be one line of text", key))
            del values[key]
    for key in ("site_url", "collector_url"):
        if key in values and not re.match(r"^https?://[^/]+", values[key]):
            problems.append(Problem("pyproject.toml", _line_of(text, key),
                                    f"[tool.tidings] '{key}' must be an absolute http(s) URL", key))
    for key in ("newsletter_from", "reply_to"):
        if key in values and not re.search(r"[^@\s<]+@[^@\s>]+\.[^@\s>]+", values[key]):
            problems.append(Problem("pyproject.toml", _line_of(text, key),
                                    f"[tool.tidings] '{key}' must be an address such as "
                                    "'Tern News <news@example.org>'", key))
    if "brand_color" in values and not re.fullmatch(r"#[0-9a-fA-F]{6}", values["brand_color"]):
        problems.append(Problem("pyproject.toml", _line_of(text, "brand_color"),
                                "[tool.tidings] 'brand_color' must look like #3f51b5", "brand_color"))
    site_url = values.get("site_url", DEFAULT_SITE_URL)
    if problems:
        raise ConfigError(problems=problems)
    values["timezone"] = tz
    values["site_url"] = site_url.rstrip("/") + "/"
    if "collector_url" in values:
        values["collector_url"] = values["collector_url"].rstrip("/") + "/"
    languages = tuple(values.get("languages") or ())
    values["language"] = languages[0] if languages else values.get("language", "en")
    values["languages"] = languages or (values["language"],)
    values["trusted_proxies"] = tuple(str(p) for p in values.get("trusted_proxies", ()))
    values.setdefault("name", root.resolve().name)
    return Config(root=root, **values)


def is_local_host(host: str) -> bool:
    """localhost, a loopback or private address, or a name only a local network knows."""
    host = host.strip("[]").lower().rstrip(".")
    if host == "localhost" or "." not in host or host.endswith(
            (".localhost", ".local", ".internal", ".lan", ".home.arpa")):
        return True
    try:
        return not ipaddress.ip_address(host).is_global
    except ValueError:
        return False


def collector_url_warning(config: Config) -> Problem | None:
    """A public site whose collector is not https: its unsubscribe links would not work."""
    if is_local_host(urlsplit(config.site_url).hostname or "") or config.collector_url.startswith("https://"):
        return None
    path = config.root / "pyproject.toml"
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    line = _line_of(text, "collector_url") or _line_of(text, "site_url")
    return Problem("pyproject.toml", line,
                   f"[tool.tidings] 'collector_url' is {config.collector_url} while the site is public at "
                   f"{config.site_url}: every sign-up form, survey button and unsubscribe link would point "
                   "there. Set collector_url to the https address of the collector", "collector_url",
                   "warning")
