"""Front-matter schema: which keys each kind of file takes, and what their values must be.

Every check collects problems instead of stopping, so ``check`` can print all of them at once.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from tidings.content import model, recurrence, weeks
from tidings.content.source import SourceFile
from tidings.dates import parse_duration, parse_when
from tidings.errors import Problem, Severity
from tidings.inputs import has_control
from tidings.locales import check_lang, timezone_hint

SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


@dataclass
class Context:
    """What validators need besides the value: the default timezone and the repo root."""

    tz: ZoneInfo
    root: Path
    source: SourceFile
    problems: list[Problem]

    def report(self, keys: tuple[str | int, ...], message: str, severity: Severity = "error") -> None:
        field_name = ".".join(str(k) for k in keys) or None
        self.problems.append(
            Problem(self.source.path, self.source.line_of(*keys), message, field_name, severity)
        )

    def notice(self, keys: tuple[str | int, ...], message: str) -> None:
        """Worth telling the editor, not wrong: ``check`` still passes."""
        self.report(keys, message, "notice")


Validator = Callable[[Any, Context, tuple[str | int, ...]], Any]
Spec = dict[str, tuple[Validator, bool]]


def _describe(value: Any) -> str:
    if isinstance(value, bool):
        return f"boolean {str(value).lower()}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    if value is None:
        return "nothing"
    return f"{type(value).__name__} {value!r}"


def text(value: Any, ctx: Context, keys: tuple[str | int, ...]) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"expected text, got {_describe(value)}")
    return value.strip()


def one_line(value: Any, ctx: Context, keys: tuple[str | int, ...]) -> str:
    """Text that becomes a mail header (a subject): a line break there would start a new header."""
    result = text(value, ctx, keys)
    if has_control(result):
        raise ValueError("contains a control character (line break, tab, NUL, …): write it on one line")
    return result


def boolean(value: Any, ctx: Context, keys: tuple[str | int, ...]) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"expected true or false, got {_describe(value)}")
    return value


def integer(value: Any, ctx: Context, keys: tuple[str | int, ...]) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"expected a whole number, got {_describe(value)}")
    return value


def when(value: Any, ctx: Context, keys: tuple[str | int, ...]) -> datetime:
    return parse_when(value, ctx.tz)


def duration(value: Any, ctx: Context, keys: tuple[str | int, ...]) -> timedelta:
    result = parse_duration(value)
    if result <= timedelta(0):
        raise ValueError("duration must be longer than zero")
    return result


def text_list(value: Any, ctx: Context, keys: tuple[str | int, ...]) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        raise ValueError(f"expected a list of text, got {_describe(value)}")
    items = []
    for index, item in enumerate(value):
        try:
            items.append(text(item, ctx, keys + (index,)))
        except ValueError as exc:
            ctx.report(keys + (index,), f"'{keys[-1]}' item {index + 1}: {exc}")
    return tuple(items)


def lang(value: Any, ctx: Context, keys: tuple[str | int, ...]) -> str:
    if not isinstance(value, str):
        raise ValueError(f"expected a language code such as en, fi or pt-BR, got {_describe(value)}")
    return check_lang(value)


def slug_id(value: Any, ctx: Context, keys: tuple[str | int, ...]) -> str:
    if not isinstance(value, str) or not SLUG_RE.match(value):
        raise ValueError(
            f"expected an id of lowercase letters, digits and '-' such as 'my-survey', "
            f"got {_describe(value)}"
        )
    return value


def url(value: Any, ctx: Context, keys: tuple[str | int, ...]) -> str:
    if not isinstance(value, str) or not re.match(r"^(https?://|mailto:)\S+$", value):
        raise ValueError(f"expected an absolute https:// URL, got {_describe(value)}")
    return value


def web_url(value: Any, ctx: Context, keys: tuple[str | int, ...]) -> str:
    """A link people open in a browser (a forum thread, a chat channel): http or https only."""
    if (not isinstance(value, str) or has_control(value)
            or not re.fullmatch(r"https?://[^\s/?#]+\S*", value.strip())):
        raise ValueError("expected an http:// or https:// link to the forum thread or chat channel, "
                         f"got {_describe(value)}")
    return value.strip()


def iso_week(value: Any, ctx: Context, keys: tuple[str | int, ...]) -> str:
    """An ISO week such as ``2027-W03`` (a YAML number or date is a mistake worth naming)."""
    day = value.isoformat() if isinstance(value, date) else None
    if isinstance(value, str) and re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
        day = value
    if day is not None:
        raise ValueError(f"expected an ISO week such as {weeks.EXAMPLE}, got date {day} "
                         f"(for a day, write 'date: {day}')")
    if not isinstance(value, str):
        raise ValueError(f"expected an ISO week such as {weeks.EXAMPLE}, got {_describe(value)}")
    weeks.parse_week(value)
    return value


def image(value: Any, ctx: Context, keys: tuple[str | int, ...]) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"expected a URL or a path such as assets/photo.jpg, got {_describe(value)}")
    if re.match(r"^https?://", value):
        return value
    if not (ctx.root / value.lstrip("/")).is_file():
        raise ValueError(f"image '{value}' does not exist (paths are relative to the repo root)")
    return value.lstrip("/")


def timezone(value: Any, ctx: Context, keys: tuple[str | int, ...]) -> ZoneInfo:
    try:
        return ZoneInfo(str(value))
    except (ValueError, KeyError):
        raise ValueError(f"unknown timezone {value!r} ({timezone_hint(str(value))})") from None


def one_of(*choices: str) -> Validator:
    def check(value: Any, ctx: Context, keys: tuple[str | int, ...]) -> str:
        if value not in choices:
            close = difflib.get_close_matches(str(value), choices, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise ValueError(f"expected one of {', '.join(choices)}, got {value!r}{hint}")
        return str(value)

    return check


def rrule(value: Any, ctx: Context, keys: tuple[str | int, ...]) -> str:
    if not isinstance(value, str):
        raise ValueError(f"expected an RRULE such as {recurrence.EXAMPLE}, got {_describe(value)}")
    # Only the form here: UNTIL is read against the event's own start and timezone when it is built.
    return recurrence.check_syntax(value)


def until_when(value: Any, ctx: Context, keys: tuple[str | int, ...]) -> datetime:
    """An end such as ``closes``: a date alone means through the end of that day."""
    moment = parse_when(value, ctx.tz)
    return recurrence.day_after(moment.date(), ctx.tz) if recurrence.is_date_only(value) else moment


def as_written(value: Any, ctx: Context, keys: tuple[str | int, ...]) -> Any:
    """Kept as written: the kind's builder checks it against other keys (``occurrences``)."""
    return value


def _mapping(value: Any, ctx: Context, keys: tuple[str | int, ...],
             spec: dict[str, tuple[Validator, bool]], what: str) -> dict[str, Any] | None:
    if not isinstance(value, dict):
        ctx.report(keys, f"'{'.'.join(map(str, keys))}': expected a mapping ({what}), "
                         f"got {_describe(value)}")
        return None
    return validate_fields(value, spec, ctx, keys)


_QUESTION: Spec = {
    "id": (slug_id, True), "text": (text, True), "options": (text_list, True),
}


def questions(value: Any, ctx: Context, keys: tuple[str | int, ...]) -> tuple[model.Question, ...]:
    if not isinstance(value, list) or not value:
        raise ValueError(f"expected a list of questions with id, text and options, got {_describe(value)}")
    result: list[model.Question] = []
    seen: set[str] = set()
    for index, item in enumerate(value):
        fields = _mapping(item, ctx, keys + (index,), _QUESTION, "id, text, options")
        if fields is None or not {"id", "text", "options"} <= fields.keys():
            continue
        if fields["id"] in seen:
            ctx.report(keys + (index, "id"), f"duplicate question id '{fields['id']}'")
        seen.add(fields["id"])
        options = fields["options"]
        if len(options) < 2:
            ctx.report(keys + (index, "options"), "a question needs at least two options")
        elif len(set(options)) != len(options):
            ctx.report(keys + (index, "options"), "options of a question must be different")
        result.append(model.Question(fields["id"], fields["text"], options))
    return tuple(result)


_AUDIENCE: Spec = {"tags": (text_list, False), "lang": (lang, False)}


def audience(value: Any, ctx: Context, keys: tuple[str | int, ...]) -> model.Audience:
    fields = _mapping(value, ctx, keys, _AUDIENCE, "tags, lang") or {}
    return model.Audience(tags=fields.get("tags", ()), lang=fields.get("lang"))


def include(value: Any, ctx: Context, keys: tuple[str | int, ...]) -> tuple[str, ...] | str:
    if value == "auto":
        return "auto"
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        raise ValueError(f"expected 'auto' or a list of paths, got {_describe(value)}")
    return text_list(value, ctx, keys)


def validate_fields(meta: dict[str, Any], spec: dict[str, tuple[Validator, bool]], ctx: Context,
                    prefix: tuple[str | int, ...] = ()) -> dict[str, Any]:
    """Check ``meta`` against ``spec``; report unknown, missing and wrong keys; return good values."""
    values: dict[str, Any] = {}
    for key, value in meta.items():
        keys = prefix + (str(key),)
        name = ".".join(map(str, keys))
        if key not in spec:
            close = difflib.get_close_matches(str(key), spec, n=1, cutoff=0.6)
            hint = f" (did you mean '{close[0]}'?)" if close else f" (expected one of: {', '.join(spec)})"
            ctx.report(keys, f"unknown key '{name}'{hint}")
            continue
        validator, _ = spec[key]
        try:
            values[key] = validator(value, ctx, keys)
        except ValueError as exc:
            ctx.report(keys, f"'{name}': {exc}")
    for key, (_, required) in spec.items():
        if required and key not in meta:
            where = f" in '{'.'.join(map(str, prefix))}'" if prefix else ""
            ctx.report(prefix, f"missing required key '{key}'{where}")
    return values


ANNOUNCEMENT: Spec = {
    "title": (text, True), "date": (when, True), "summary": (text, False),
    "tags": (text_list, False), "authors": (text_list, False), "image": (image, False),
    "draft": (boolean, False), "lang": (lang, False),
}
# Without 'consent: true' a story is not wrong: it is awaiting consent, and not published.
STORY: Spec = {
    "title": (text, True), "date": (when, True), "member": (text, True),
    "consent": (boolean, False), "quote": (text, False), "image": (image, False),
    "role": (text, False), "tags": (text_list, False), "lang": (lang, False),
    "draft": (boolean, False),
}
EVENT: Spec = {
    "title": (text, True), "start": (text, True), "end": (text, False),
    "duration": (duration, False), "timezone": (timezone, False), "location": (text, False),
    "url": (url, False), "hosts": (text_list, False), "kind": (one_of(*model.EVENT_KINDS), False),
    "repeat": (rrule, False), "date": (when, False), "lang": (lang, False),
    "draft": (boolean, False), "occurrences": (as_written, False),
}
SURVEY: Spec = {
    "id": (slug_id, True), "title": (text, True), "questions": (questions, True),
    "opens": (when, False), "closes": (until_when, False), "allow_comment": (boolean, False),
    "publish_comments": (boolean, False), "lang": (lang, False), "draft": (boolean, False),
}
PAGE: Spec = {
    "title": (text, False), "description": (text, False), "date": (when, False),
    "draft": (boolean, False), "lang": (lang, False), "hide": (text_list, False),
    "order": (integer, False),
}
GUIDELINE: Spec = {
    "title": (text, True), "order": (integer, False), "updated": (when, False),
    "retired": (text_list, False), "draft": (boolean, False), "lang": (lang, False),
}
NEWSLETTER: Spec = {
    "subject": (one_line, True), "send_at": (when, True), "audience": (audience, False),
    "include": (include, False), "survey": (slug_id, False), "preheader": (text, False),
    "template": (text, False), "draft": (boolean, False), "lang": (lang, False),
}
TOPIC: Spec = {
    "title": (text, True), "week": (iso_week, False), "date": (when, False),
    "host": (one_line, False), "survey": (slug_id, False), "discussion": (web_url, False),
    "lang": (lang, False), "draft": (boolean, False),
}
