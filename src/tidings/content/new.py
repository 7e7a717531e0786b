"""``new KIND TITLE``: write a new content file with valid front matter, never over an existing one.

The file name is the title's slug in ASCII (accents dropped: ``Café`` → ``cafe``) so it travels
through every file system and URL; a title with no Latin letters or digits (Chinese, Greek, only
punctuation) is named after its kind and date (``topic-2027-w03``), and ``--slug`` names it by hand.
"""

from __future__ import annotations

import difflib
import os
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from tidings.config import Config, load_config
from tidings.content import weeks
from tidings.content.crosscheck import SITE_ROOT_NAMES
from tidings.content.kinds import KINDS, NEWSLETTERS, SURVEYS, TOPICS, Kind
from tidings.content.paths import slugify
from tidings.content.schema import SLUG_RE
from tidings.content.skeletons import SKELETONS, Draft
from tidings.content.source import parse_source
from tidings.content.translations import name_language
from tidings.content.writer import format_content
from tidings.dates import parse_when
from tidings.errors import InputError, UsageError
from tidings.inputs import SURROGATE_RE, single_line
from tidings.locales import check_lang

SLUG_MAX = 60  # characters of a file name made from a title: long enough to say what it is


@dataclass(frozen=True)
class NewFile:
    """What the editor asked ``new`` for (the CLI's arguments, unchecked)."""

    kind: str
    title: str
    date: str | None = None
    week: str | None = None
    lang: str | None = None
    draft: bool = False
    host: str | None = None
    slug: str | None = None
    of: str | None = None  # the source file of a translation: content/announcements/x.md


def find_kind(name: str) -> Kind[Any]:
    """The registered kind called ``name``; UsageError with a did-you-mean otherwise."""
    by_name = {kind.name: kind for kind in KINDS}
    if name in by_name:
        return by_name[name]
    close = difflib.get_close_matches(name, by_name, n=1, cutoff=0.6)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    raise UsageError(f"unknown kind '{name}'{hint}; kinds: {', '.join(by_name)}")


def file_slug(title: str) -> str | None:
    """The ASCII slug of a title, at most SLUG_MAX characters; None when nothing of it is ASCII."""
    folded = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode("ascii")
    if not any(c.isalnum() for c in folded):
        return None
    slug = slugify(folded)
    if len(slug) > SLUG_MAX:
        cut = slug[:SLUG_MAX]
        slug = (cut.rsplit("-", 1)[0] if "-" in cut[SLUG_MAX // 2:] else cut).strip("-_")
    return slug


def _line(text: str, what: str) -> str:
    """A command-line text on one line (a pasted line break must not end up in a subject)."""
    if SURROGATE_RE.search(text):
        raise InputError(f"the {what} is not UTF-8 text: write it again in a UTF-8 terminal", field=what)
    return single_line(text)


def _title(text: str) -> str:
    title = _line(text, "title")
    if not title:
        raise UsageError("the title is empty: write what the item is called, e.g. new topic \"Offline maps\"")
    return title


def _moment(request: NewFile, kind: Kind[Any], config: Config) -> tuple[str | None, str | None]:
    """(--date as written, --week) after checking them against the kind."""
    if request.week is not None and kind is not TOPICS:
        raise UsageError(f"--week is for topics; a {kind.name} takes --date")
    if request.week is not None and request.date is not None:
        raise UsageError("give either --week or --date, not both")
    if request.week is not None:
        try:
            weeks.parse_week(request.week)
        except ValueError as exc:
            raise UsageError(f"--week: {exc}") from None
    if request.date is not None:
        try:
            parse_when(request.date, config.timezone)
        except ValueError as exc:
            raise UsageError(f"--date: {exc}") from None
    return (request.date.strip() if request.date else None), request.week


def _lang(request: NewFile, config: Config) -> str | None:
    if request.lang is None:
        return None
    try:
        check_lang(request.lang)
    except ValueError as exc:
        raise UsageError(f"--lang: {exc}") from None
    if len(config.languages) > 1 and request.lang not in config.languages:
        raise UsageError(f"--lang: '{request.lang}' is not one of the community's languages "
                         f"([tool.tidings] languages = {list(config.languages)})")
    return request.lang


def _name(request: NewFile, kind: Kind[Any], title: str, moment: str) -> str:
    if request.slug is not None:
        if not SLUG_RE.match(request.slug) or len(request.slug) > 100:
            raise UsageError(f"--slug: expected lowercase letters, digits and '-' such as 'my-item', "
                             f"got {request.slug!r}")
        return request.slug
    slug = file_slug(title) or slugify(f"{kind.name}-{moment}")
    if not kind.url_folder and slug in SITE_ROOT_NAMES | {k.url_folder.rstrip("/") for k in KINDS}:
        raise UsageError(f"a {kind.name} called '{slug}' would take the place of a section tidings "
                         "generates: choose a file name with --slug")
    return slug


def taken_by(root: Path, kind: Kind[Any], slug: str) -> str | None:
    """The existing file that already uses ``slug`` in ``kind`` (any language, any case), if any."""
    folder = root / kind.folder
    for file in sorted(folder.glob("*.md")) if folder.is_dir() else []:
        if slugify(name_language(file.stem)[0]) == slug:
            return file.relative_to(root).as_posix()
        if kind is SURVEYS:
            source, _ = parse_source(file.name, file.read_text(encoding="utf-8", errors="replace"))
            if source is not None and source.meta.get("id") == slug:
                return file.relative_to(root).as_posix()
    return None


def propose_week(root: Path, today: date) -> str:
    """The first week after ``today``'s that no topic (of any language) covers yet."""
    taken: set[str] = set()
    tz = load_config(root).timezone
    folder = root / TOPICS.folder
    for file in sorted(folder.glob("*.md")) if folder.is_dir() else []:
        source, _ = parse_source(file.name, file.read_text(encoding="utf-8", errors="replace"))
        if source is None:
            continue  # a broken file is check's business; it does not stop a new one
        written, day = source.meta.get("week"), source.meta.get("date")
        if isinstance(written, str):
            taken.add(written)
        elif isinstance(day, date | str):
            try:
                taken.add(weeks.week_of(parse_when(day, tz).date()))
            except ValueError:
                continue
    week = weeks.next_week(weeks.week_of(today))
    while week in taken:
        week = weeks.next_week(week)
    return week


def new_file(root: Path, request: NewFile, today: date | None = None) -> str:
    """Write the file ``request`` asks for under ``root``; return its repo-relative path.

    ``today`` defaults to the date in the community's timezone. UsageError for a wrong request,
    InputError when the file (or its slug) exists already: nothing is overwritten.
    """
    kind = find_kind(request.kind)
    config = load_config(root)
    today = today or datetime.now(config.timezone).date()
    title = _title(request.title)
    when, week = _moment(request, kind, config)
    if request.host is not None and kind is not TOPICS:
        raise UsageError(f"--host is for topics; a {kind.name} has no host key")
    if request.draft and not kind.can_be_draft:
        raise UsageError(f"a {kind.name} cannot be a draft")
    if request.of is not None:
        rel, meta, body = _translation(root, request, kind, config, title)
        create_exclusive(root / rel, format_content(meta, body).encode("utf-8"))
        return rel
    lang = _lang(request, config)
    if kind is TOPICS and when is None and week is None:
        week = propose_week(root, today)
    slug = _name(request, kind, title, week or (when or today.isoformat())[:10])
    host = _line(request.host, "host") if request.host else None
    meta, body = SKELETONS[kind.name](Draft(title, slug, today, when, week, host or None))
    if lang:
        meta["lang"] = lang
    if request.draft:
        meta["draft"] = True
    rel = f"{kind.folder}/{slug}.md"
    existing = taken_by(root, kind, slug)
    if existing is not None:
        raise InputError(f"{existing} already uses the name '{slug}': nothing was written "
                         "(choose another with --slug)", field="slug")
    create_exclusive(root / rel, format_content(meta, body).encode("utf-8"))
    return rel


def _translation(root: Path, request: NewFile, kind: Kind[Any], config: Config, title: str
                 ) -> tuple[str, dict[str, Any], str]:
    """(path, front matter, body) of the ``request.lang`` version of ``request.of``: its words to
    translate (the kind's ``translated`` keys and the body), everything else taken from the source."""
    assert request.of is not None
    if request.lang is None:
        raise UsageError("--of needs --lang: the language of the translation, e.g. --lang fi")
    lang = _lang(request, config)
    if lang not in config.languages:
        raise UsageError(f"--lang: a translation is in one of the community's languages "
                         f"([tool.tidings] languages = {list(config.languages)}), not '{lang}'")
    if request.date or request.week or request.slug:
        raise UsageError("a translation takes its --date, --week and file name from its source: "
                         "leave them out")
    rel = request.of.strip().removeprefix("./")
    file = root / rel
    if not file.is_file():
        raise UsageError(f"--of: no such file {rel}")
    if Path(rel).parent.as_posix() != kind.folder or file.suffix != ".md":
        raise UsageError(f"--of: {rel} is not a {kind.name} (those are in {kind.folder}/)")
    stem, suffix, _ = name_language(file.stem)
    if suffix is not None:
        raise UsageError(f"--of: {rel} is a translation; name the source file ({kind.folder}/{stem}.md)")
    source, problems = parse_source(rel, file.read_text(encoding="utf-8", errors="replace"))
    if source is None:
        raise UsageError(f"--of: {rel} cannot be read ({problems[0].message}): run check")
    written = source.meta.get("lang")
    if lang == (written if isinstance(written, str) else config.language):
        raise UsageError(f"--of: {rel} is already in {lang}: a translation is in another language")
    meta: dict[str, Any] = {"subject" if kind is NEWSLETTERS else "title": title}
    meta.update((key, source.meta[key]) for key in kind.translated if key in source.meta and key not in meta)
    if request.host and _line(request.host, "host"):
        meta["host"] = _line(request.host, "host")
    if request.draft:
        meta["draft"] = True
    target = f"{kind.folder}/{stem}.{lang}.md"
    if (root / target).exists():
        raise InputError(f"{target} exists already: nothing was written", field="lang")
    return target, meta, source.body


def create_exclusive(path: Path, data: bytes) -> None:
    """Write a whole new file at ``path``, failing if it exists (no half-written file is ever seen)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.new")
    try:
        with open(tmp, "xb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.link(tmp, path)  # link, unlike rename, refuses to replace an existing file
    except FileExistsError:
        if path.exists():
            raise InputError(f"{path.name} exists already: nothing was written", field="slug") from None
        raise
    finally:
        tmp.unlink(missing_ok=True)
