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
from tidings.locale_data import BUILTIN, KEYS
from tidings.locales import check_language_setting, timezone_hint

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
    # Every language of the community, the default (``language``) first.
    languages: tuple[str, ...] = ()
    logo: str | None = None
    contact: str = ""
    repo_url: str | None = None
    calendar_months: int = 6
    home_announcements: int = 5
    # An item without a version in a reader's language: "show" it in its own language, or "hide" it.
    untranslated: str = "show"
    # Label overrides of the default language, and of every language by its code.
    labels: dict[str, str] = field(default_factory=dict)
    language_labels: dict[str, dict[str, str]] = field(default_factory=dict)
    newsletter_from: str | None = None
    reply_to: str | None = None
    collector_url: str = DEFAULT_COLLECTOR_URL
    unsubscribe_mailto: str | None = None
    list_id: str | None = None
    brand_color: str = "#3f51b5"
    # The collector believes X-Forwarded-For only from these addresses/networks (its proxies).
    trusted_proxies: tuple[str, ...] = ()
    # A page-views export of a privacy-friendly analytics tool, for the monthly report (repo-relative).
    analytics_csv: str | None = None

    def __post_init__(self) -> None:
        if not self.languages:  # built with one ``language`` only (tests, scaffolds)
            object.__setattr__(self, "languages", (self.language,))

    def label_overrides(self, language: str) -> dict[str, str]:
        """The community's own labels for ``language`` (the flat ``labels`` for the default)."""
        own = self.language_labels.get(language, {})
        return {**self.labels, **own} if language == self.language else dict(own)

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

# What the site does with an item that has no version in a reader's language.
UNTRANSLATED = ("show", "hide")

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
    "untranslated": str,
    "labels": dict,
    "newsletter_from": str,
    "reply_to": str,
    "collector_url": str,
    "unsubscribe_mailto": str,
    "list_id": str,
    "brand_color": str,
    "trusted_proxies": list,
    "analytics_csv": str,
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


def _timezone(values: dict[str, Any], text: str, problems: list[Problem]) -> ZoneInfo:
    """The community's timezone (UTC when unset or wrong)."""
    tz = ZoneInfo("UTC")
    if "timezone" in values:
        try:
            tz = ZoneInfo(values["timezone"])
        except (ValueError, KeyError):
            problems.append(Problem("pyproject.toml", _line_of(text, "timezone"),
                                    f"[tool.tidings] unknown timezone '{values['timezone']}' "
                                    f"({timezone_hint(values['timezone'])})", "timezone"))
    return tz


def _language_list(listed: list[Any], text: str, problems: list[Problem]) -> list[str]:
    """The valid, distinct codes of ``languages``; a problem for each other entry."""
    line, found, seen = _line_of(text, "languages"), [], set()
    if not listed:
        problems.append(Problem("pyproject.toml", line, "[tool.tidings] 'languages' is empty: list "
                                'at least one, the default first, e.g. ["en", "fi"]', "languages"))
    for code in listed:
        if not isinstance(code, str):
            problems.append(Problem("pyproject.toml", line, "[tool.tidings] 'languages' must list "
                                    f'language codes such as "en", not {code!r}', "languages"))
            continue
        try:
            check_language_setting(code)
        except ValueError as exc:
            problems.append(Problem("pyproject.toml", line, f"[tool.tidings] 'languages': {exc}",
                                    "languages"))
            continue
        key = code.lower().replace("_", "-")
        if key in seen:
            problems.append(Problem("pyproject.toml", line,
                                    f"[tool.tidings] 'languages' lists '{code}' twice", "languages"))
            continue
        seen.add(key)
        found.append(code)
    return found


def _languages(values: dict[str, Any], text: str, problems: list[Problem]) -> tuple[str, ...]:
    """``languages`` (the first is the default) or the one ``language``; problems with either."""
    listed = _language_list(values["languages"], text, problems) if "languages" in values else None
    one = values.get("language")
    if one is not None:
        try:
            check_language_setting(one)
        except ValueError as exc:
            problems.append(Problem("pyproject.toml", _line_of(text, "language"),
                                    f"[tool.tidings] 'language': {exc}", "language"))
            one = None
    if one is not None and listed and one != listed[0]:
        problems.append(Problem("pyproject.toml", _line_of(text, "language"),
                                f"[tool.tidings] 'language' is '{one}' but 'languages' starts with "
                                f"'{listed[0]}': the first of 'languages' is the default, so give "
                                "only 'languages' (or make both agree)", "language"))
    return tuple(listed or ([one] if one else ["en"]))


_PLACEHOLDER = re.compile(r"{([^{}]*)}")


def _label_line(text: str, key: str, language: str) -> int:
    """Line of a label override: in ``[tool.tidings.labels.LANG]`` first, else anywhere in the settings."""
    pattern = re.compile(rf"""(?:^|[{{,\s])["']?{re.escape(key)}["']?\s*=""")
    section, fallback = "", 0
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if stripped.startswith("["):
            section = stripped
        elif section.startswith("[tool.tidings") and pattern.search(stripped):
            if section.strip("[] ") == f"tool.tidings.labels.{language}":
                return number
            fallback = fallback or number
    return fallback or _line_of(text, "labels")


def _check_label(key: str, value: Any, language: str, text: str, problems: list[Problem]) -> bool:
    """Whether an override names a known label, is text, and keeps to the label's placeholders."""
    where = f"labels.{language}.{key}"
    line = _label_line(text, key, language)
    if key not in KEYS:
        close = difflib.get_close_matches(key, sorted(KEYS), n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        problems.append(Problem("pyproject.toml", line, f"[tool.tidings] unknown label '{key}'{hint}", where))
        return False
    if not isinstance(value, str):
        problems.append(Problem("pyproject.toml", line, f"[tool.tidings] label '{key}' must be text", where))
        return False
    allowed = set(_PLACEHOLDER.findall(BUILTIN["en"][key]))
    extra = set(_PLACEHOLDER.findall(value)) - allowed
    if extra:
        known = ", ".join(f"{{{p}}}" for p in sorted(allowed)) or "none"
        used = ", ".join(f"{{{p}}}" for p in sorted(extra))
        problems.append(Problem("pyproject.toml", line,
                                f"[tool.tidings] label '{key}' uses {used}; it can use: {known}", where))
        return False
    return True


def read_labels(raw: dict[str, Any], languages: tuple[str, ...], text: str,
                problems: list[Problem]) -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    """Label overrides: flat keys are the default language's, a table per language code the rest."""
    default: dict[str, str] = {}
    per_language: dict[str, dict[str, str]] = {}
    for key, value in raw.items():
        if not isinstance(value, dict):
            if _check_label(key, value, languages[0], text, problems):
                default[key] = value
            continue
        if key not in languages:
            close = difflib.get_close_matches(key, languages, n=1, cutoff=0.5)
            hint = f"did you mean '{close[0]}'? " if close else ""
            problems.append(Problem("pyproject.toml", _label_line(text, key, key) or _line_of(text, "labels"),
                                    f"[tool.tidings.labels.{key}] '{key}' is not one of 'languages' "
                                    f"({hint}the community's languages are {', '.join(languages)})",
                                    f"labels.{key}"))
            continue
        own = per_language.setdefault(key, {})
        for label, words in value.items():
            if _check_label(label, words, key, text, problems):
                own[label] = words
    return default, per_language


def _check_forms(values: dict[str, Any], text: str, problems: list[Problem]) -> None:
    """Settings that take one of a few forms: a colour, the untranslated-item choice."""
    if "brand_color" in values and not re.fullmatch(r"#[0-9a-fA-F]{6}", values["brand_color"]):
        problems.append(Problem("pyproject.toml", _line_of(text, "brand_color"),
                                "[tool.tidings] 'brand_color' must look like #3f51b5", "brand_color"))
    if values.get("untranslated", "show") not in UNTRANSLATED:
        problems.append(Problem("pyproject.toml", _line_of(text, "untranslated"),
                                f"[tool.tidings] 'untranslated' must be \"show\" or \"hide\", not "
                                f"{values['untranslated']!r}", "untranslated"))


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
    tz = _timezone(values, text, problems)
    languages = _languages(values, text, problems)
    values["labels"], values["language_labels"] = read_labels(values.get("labels", {}), languages, text,
                                                              problems)
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
    _check_forms(values, text, problems)
    site_url = values.get("site_url", DEFAULT_SITE_URL)
    if problems:
        raise ConfigError(problems=problems)
    values["timezone"] = tz
    values["languages"], values["language"] = languages, languages[0]
    values["site_url"] = site_url.rstrip("/") + "/"
    if "collector_url" in values:
        values["collector_url"] = values["collector_url"].rstrip("/") + "/"
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
