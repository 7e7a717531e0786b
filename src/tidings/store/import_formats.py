"""Subscriber CSV files from other tools, read into clean rows that keep consent honestly.

A file is recognised by its header: a Mailchimp audience export (``Email Address``,
``OPTIN_TIME``, ``LEID``…; the unsubscribed and cleaned files add ``UNSUB_TIME`` or
``CLEAN_TIME``), a listmonk subscriber export (``uuid,email,name,attributes,status,…``), a
Substack export (``email,active_subscription,…,email_disabled,created_at``) or any other CSV
with an email column. A row's state comes from what the tool says; a row whose state cannot be
told is refused, and a row that did not consent never becomes ``confirmed``.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache

from tidings.csvfiles import find_columns, normalize_title, restore, sniff_delimiter
from tidings.errors import ContentError, InputError, Problem
from tidings.inputs import clean_name
from tidings.store import now as utc_now
from tidings.store.fields import (
    check_lang,
    check_timezone,
    fast_normalize_email,
    parse_tag_cell,
    parse_time,
    show,
)

# Header titles are compared lower case, with `_` and runs of spaces as one space. For each
# column the first alias in this order that the file has wins (`Email Address` over `Address`).
HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "email": ("email", "e-mail", "email address", "e-mail address", "mail", "sähköposti", "address"),
    "name": ("name", "full name", "display name", "nimi", "member"),
    "first_name": ("first name", "firstname", "given name", "fname"),
    "last_name": ("last name", "lastname", "surname", "family name", "lname"),
    "lang": ("lang", "language", "locale", "kieli"),
    "timezone": ("timezone", "time zone", "tz"),
    "tags": ("tags", "groups", "segments", "lists"),
    "status": ("status", "state", "subscriber status", "member status", "email marketing"),
    "list_status": ("subscription status", "list status", "list subscription status"),
    "email_disabled": ("email disabled",),
    "confirm_time": ("confirm time", "confirmed at", "consent time", "consent at"),
    "optin_time": ("optin time", "opt-in time", "opted in at", "subscribed at", "signup date"),
    "created_at": ("created at", "created", "date added", "created date"),
    "updated_at": ("updated at", "last changed"),
    "unsub_time": ("unsub time", "unsubscribed at", "unsubscribe time"),
    "clean_time": ("clean time", "cleaned at", "bounced at"),
}

# What other tools call a state, and the tidings state it becomes. tidings has no state for
# "blocklisted" or "never subscribed": they become `unsubscribed`, which is never sent to and
# never re-subscribed by an import (the detail of the consent record keeps the tool's word).
STATE_WORDS: dict[str, str] = {
    **dict.fromkeys(("subscribed", "confirmed", "enabled", "active", "opted in", "opt-in"), "confirmed"),
    **dict.fromkeys(("pending", "unconfirmed"), "pending"),
    **dict.fromkeys(("unsubscribed", "opted out", "opt-out", "disabled", "blocklisted", "blacklisted",
                     "blocked", "non-subscribed", "nonsubscribed", "not subscribed", "transactional",
                     "inactive"), "unsubscribed"),
    **dict.fromkeys(("cleaned", "bounced", "hard bounce"), "bounced"),
    **dict.fromkeys(("complained", "spam", "spam complaint", "abuse"), "complained"),
}
# When two sources disagree (two columns, or the same address twice), the least sending wins.
RANK = {"confirmed": 0, "pending": 1, "unsubscribed": 2, "bounced": 3, "complained": 4}
STATE_COLUMNS = {"status", "list_status", "email_disabled", "unsub_time", "clean_time"}
BOOLEAN = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}
# Mailchimp names the files of its audience export by state.
MAILCHIMP_FILES = {"subscribed": "confirmed", "unsubscribed": "unsubscribed", "cleaned": "bounced",
                   "nonsubscribed": "unsubscribed"}


@dataclass(slots=True)
class ImportRow:
    """One person of the file, cleaned, with what the tool says about their consent."""

    line: int
    email: str
    key: str
    name: str | None = None
    lang: str | None = None
    timezone: str | None = None
    tags: set[str] = field(default_factory=set)
    state: str = "confirmed"
    consent_at: datetime | None = None  # when they opted in, as the tool recorded it
    left_at: datetime | None = None  # when they unsubscribed or were cleaned
    joined_at: datetime | None = None  # the tool's creation time (not a proof of consent)
    detail: str = "csv"  # the tool and its words, kept in the consent record


@dataclass
class ParsedFile:
    """The rows of a file (merged by address), every problem, and the tool that wrote it."""

    tool: str
    rows: list[ImportRow]
    problems: list[Problem]


def map_header(header: list[str], path: str) -> dict[str, int]:
    """Which column of the file holds each field (the best alias wins)."""
    mapping = find_columns(header, HEADER_ALIASES)
    if "email" not in mapping:
        raise ContentError([Problem(path, 1, "no email column: name one of "
                                             + ", ".join(repr(a) for a in HEADER_ALIASES["email"][:4]))])
    return mapping


def detect_tool(header: list[str]) -> str:
    """``mailchimp``, ``listmonk``, ``substack`` or ``csv``, from the header alone."""
    titles = {normalize_title(t) for t in header}
    if titles & {"leid", "euid", "optin time", "member rating", "confirm time"}:
        return "mailchimp"
    if {"uuid", "status", "attributes"} <= titles:
        return "listmonk"
    if titles & {"email disabled", "active subscription"}:
        return "substack"
    return "csv"


class _Reader:
    """The cells of one record by field, and the problems found in it."""

    def __init__(self, path: str, header: list[str], columns: dict[str, int]) -> None:
        self.path, self.columns = path, columns
        self.titles = {c: header[i].strip().lstrip("\ufeff") for c, i in columns.items()}
        self.values: dict[str, str] = {}
        # (state, detail, column of leaving) when no column of the file can tell a state.
        self.default: tuple[str, str, str | None] | None = None
        self.line = 0
        self.problems: list[Problem] = []

    def read(self, record: list[str], line: int) -> None:
        """Take the next record: its non-empty cells, trimmed, by field."""
        size = len(record)
        # restore(): undo the spreadsheet-formula escape tidings' own exports write.
        self.values = {c: v for c, i in self.columns.items()
                       if i < size and (v := restore(record[i]).strip())}
        self.line = line

    def cell(self, column: str) -> str | None:
        return self.values.get(column)

    def title(self, column: str) -> str:
        """The column's title as the file writes it (what a message names)."""
        return self.titles.get(column, column)

    def problem(self, column: str, message: str) -> None:
        self.problems.append(Problem(self.path, self.line, f"{self.title(column)}: {message}", column))

    def checked(self, column: str, check: Callable[[str], object]) -> object | None:
        """``check(cell)``; None (and a problem) when it raises, or when the cell is empty."""
        value = self.values.get(column)
        if value is None:
            return None
        try:
            return check(value)
        except (ValueError, InputError) as exc:
            self.problem(column, str(exc))
            return None


@lru_cache(maxsize=256)
def _state_word(value: str) -> str | None:
    return STATE_WORDS.get(" ".join(value.lower().replace("_", " ").split()))


@lru_cache(maxsize=256)
def _detail(tool: str, status: str | None, listed: str | None) -> str:
    words = [f"{c}={v}" for c, v in (("status", status), ("list_status", listed)) if v]
    return f"{tool}: {', '.join(words)}"


def _word(reader: _Reader, column: str) -> str | None:
    """The tidings state a status cell names; a problem when the word is unknown."""
    value = reader.values.get(column)
    if value is None:
        return None
    state = _state_word(value)
    if state is None:
        accepted = ", ".join(sorted(STATE_WORDS))
        reader.problem(column, f"{show(value)} is not a state tidings knows; accepted: {accepted}")
        raise LookupError(column)
    return state


def _state(reader: _Reader, tool: str, file_state: str | None) -> tuple[str, str, str | None]:
    """(tidings state, what the tool said, the column holding when they left); LookupError if unknown."""
    # A time of leaving outweighs any other column (Mailchimp's unsubscribed and cleaned files).
    if "clean_time" in reader.values:
        return "bounced", f"{tool}: cleaned", "clean_time"
    if "unsub_time" in reader.values:
        return "unsubscribed", f"{tool}: unsubscribed", "unsub_time"
    if tool == "substack" and "email_disabled" in reader.columns:
        value = (reader.cell("email_disabled") or "").lower()
        if value not in BOOLEAN:
            reader.problem("email_disabled", f"{show(value)} is neither true nor false")
            raise LookupError("email_disabled")
        if BOOLEAN[value]:
            return "unsubscribed", "substack: email_disabled=true", None
        return "confirmed", "substack: email_disabled=false", None
    status, listed = _word(reader, "status"), _word(reader, "list_status")
    if status or listed:
        state = max(filter(None, (status, listed)), key=RANK.__getitem__)
        detail = _detail(tool, reader.values.get("status"), reader.values.get("list_status"))
        return state, detail, "updated_at" if RANK[state] >= RANK["unsubscribed"] else None
    if tool == "mailchimp" and file_state and (
            file_state != "confirmed" or not {"clean_time", "unsub_time"} & reader.columns.keys()):
        return file_state, f"mailchimp: {file_state} (file name)", None
    if "status" in reader.columns or {"clean_time", "unsub_time"} & reader.columns.keys():
        # A status column left empty, or an unsubscribed/cleaned export without its time.
        reader.problem("status", "the state is unknown: the row says neither subscribed nor "
                                 "unsubscribed; fill the status column")
        raise LookupError("status")
    return "confirmed", f"{tool}: subscribed", None


def _when(reader: _Reader, column: str, now: datetime) -> datetime | None:
    value = reader.values.get(column)
    if value is None:
        return None
    try:
        return parse_time(value, now=now)
    except ValueError as exc:
        reader.problem(column, str(exc))
        return None


def _times(reader: _Reader, row: ImportRow, left_column: str | None, now: datetime) -> None:
    for column in ("confirm_time", "optin_time"):
        if row.consent_at is None and (moment := _when(reader, column, now)) is not None:
            row.consent_at = moment
            row.detail += f"; consent time from {reader.title(column)}"
    row.joined_at = _when(reader, "created_at", now)
    if left_column and (moment := _when(reader, left_column, now)) is not None:
        row.left_at = moment
        row.detail += f"; left at {reader.title(left_column)}"


def _row(reader: _Reader, tool: str, file_state: str | None, now: datetime) -> ImportRow | None:
    cells = reader.values
    raw = cells.get("email", "")
    try:
        address, key = fast_normalize_email(raw)
    except ValueError as exc:
        reader.problem("email", f"{show(raw)} is not a valid address: {exc}")
        address = key = ""
    name = cells.get("name") or " ".join(
        filter(None, [cells.get("first_name"), cells.get("last_name")])) or None
    try:
        name = clean_name(name)
    except InputError as exc:
        reader.problem("name" if "name" in cells else "first_name", str(exc))
    lang = reader.checked("lang", check_lang)
    zone = reader.checked("timezone", check_timezone)
    tags = reader.checked("tags", parse_tag_cell)
    try:
        state, detail, left_column = reader.default or _state(reader, tool, file_state)
    except LookupError:
        state, detail, left_column = "unsubscribed", tool, None
    row = ImportRow(reader.line, address, key, name, lang if isinstance(lang, str) else None,
                    zone if isinstance(zone, str) else None,
                    tags if isinstance(tags, set) else set(), state, detail=detail)
    _times(reader, row, left_column, now)
    return row if key else None


def _merge(row: ImportRow, other: ImportRow) -> None:
    """The same person twice: first non-empty value wins, tags add up, the least sending state wins."""
    row.name = row.name or other.name
    row.lang = row.lang or other.lang
    row.timezone = row.timezone or other.timezone
    row.tags |= other.tags
    row.consent_at = min(filter(None, [row.consent_at, other.consent_at]), default=None)
    row.joined_at = min(filter(None, [row.joined_at, other.joined_at]), default=None)
    if RANK[other.state] > RANK[row.state]:
        row.state, row.detail, row.left_at = other.state, other.detail, other.left_at


def read_export(text: str, path: str, file_name: str | None = None) -> ParsedFile:
    """Every row of a subscriber CSV, merged by address, and a problem for every bad cell."""
    reader = csv.reader(io.StringIO(text), delimiter=sniff_delimiter(text))
    try:
        header = next(reader)
    except StopIteration:
        raise ContentError([Problem(path, 1, "the file is empty")]) from None
    except csv.Error as exc:
        raise ContentError([Problem(path, 1, f"not a CSV file: {exc}")]) from None
    columns = map_header(header, path)
    tool = detect_tool(header)
    prefix = re.match(r"[a-z]+", (file_name or path).lower())
    file_state = MAILCHIMP_FILES.get(prefix.group()) if prefix else None
    cells = _Reader(path, header, columns)
    if not STATE_COLUMNS & columns.keys() and not (tool == "mailchimp" and file_state):
        cells.default = ("confirmed", f"{tool}: subscribed", None)
    rows: dict[str, ImportRow] = {}
    moment = utc_now()
    while True:
        start = reader.line_num + 1
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:  # a cell over the csv module's limit (128 KiB): nothing after it is read
            raise ContentError([*cells.problems, Problem(
                path, start, f"cannot read this record as CSV ({exc}); nothing was imported")]) from None
        if not any(value.strip() for value in record):
            continue
        cells.read(record, start)
        before = len(cells.problems)
        row = _row(cells, tool, file_state, moment)
        if row is None or len(cells.problems) > before:
            continue
        if row.key in rows:
            _merge(rows[row.key], row)
        else:
            rows[row.key] = row
    return ParsedFile(tool, list(rows.values()), cells.problems)


def parse_csv(text: str, path: str) -> tuple[list[ImportRow], list[Problem]]:
    """Rows of a subscriber CSV, merged by address, and a problem for every bad row."""
    parsed = read_export(text, path)
    return parsed.rows, parsed.problems
