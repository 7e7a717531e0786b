"""Checks for one subscriber field at a time: language, timezone, tags, times and addresses.

Each returns the value as it is stored or raises ValueError saying what was expected, so that
neither a CSV import nor a command line ever hands the database a value it would refuse.
"""

from __future__ import annotations

import csv
import re
from datetime import UTC, datetime
from functools import lru_cache

from email_validator import EmailNotValidError, validate_email
from email_validator.rfc_constants import CASE_INSENSITIVE_MAILBOX_NAMES

from tidings.dates import impossible_date
from tidings.inputs import EMAIL_MAX, TAG_MAX, single_line

# Language and timezone checks live a floor lower (content/ uses them too); old imports keep working.
from tidings.locales import LANG_RE as LANG_RE
from tidings.locales import check_lang as check_lang
from tidings.locales import check_timezone as check_timezone
from tidings.locales import show as show

# An ASCII dot-atom local part: email-validator accepts it unchanged (RFC 5322 atext).
ATOM_LOCAL_RE = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")
ASCII_DOMAIN_RE = re.compile(r"[A-Za-z0-9.-]+")


def normalize_email(address: str) -> tuple[str, str]:
    """(normalized address, uniqueness key); ValueError with the reason if it is not valid."""
    try:
        valid = validate_email(address.strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValueError(str(exc)) from None
    return valid.normalized, valid.normalized.casefold()


@lru_cache(maxsize=4096)
def _domain(domain: str) -> str:
    """The normalized domain email-validator would give (lists share a few domains: cached)."""
    return normalize_email("a@" + domain)[0].split("@", 1)[1]


# The role mailboxes (RFC 2142) email-validator writes in lower case: its own list, so the fast
# path keeps giving the same results as it.
ROLE_MAILBOXES = frozenset(CASE_INSENSITIVE_MAILBOX_NAMES)


def fast_normalize_email(address: str) -> tuple[str, str]:
    """``normalize_email`` with a fast path for plain ASCII addresses (same results)."""
    address = address.strip()
    local, at, domain = address.rpartition("@")
    if (at and len(local) <= 64 and len(address) <= 200 and ATOM_LOCAL_RE.fullmatch(local)
            and ASCII_DOMAIN_RE.fullmatch(domain)):
        if local.lower() in ROLE_MAILBOXES:  # RFC 2142: email-validator lowercases these
            local = local.lower()
        normalized = f"{local}@{_domain(domain)}"
        return normalized, normalized.casefold()
    normalized, key = normalize_email(address)
    if len(normalized) > EMAIL_MAX:  # email-validator allows less already; the column is the limit
        raise ValueError(f"the address is longer than {EMAIL_MAX} characters")
    return normalized, key


def parse_tag_cell(value: str | None) -> set[str]:
    """Tags from a cell: ``a, b;c`` or Mailchimp's ``"Translators","Beta testers"``.

    Each tag is one line, lower case, without the separators tidings stores tags with.
    """
    return set(_tags(value)) if value else set()


@lru_cache(maxsize=4096)  # a list repeats a few tag cells over and over
def _tags(value: str) -> frozenset[str]:
    if '"' in value:
        items = next(csv.reader([single_line(value)], skipinitialspace=True), [])
    else:
        items = re.split(r"[,;|]", value)
    tags = set()
    for item in items:
        tag = " ".join(re.sub(r"[,;|\"]", " ", single_line(item)).split()).lower()
        if len(tag) > TAG_MAX:
            raise ValueError(f"a tag has at most {TAG_MAX} characters, not {len(tag)}")
        if tag:
            tags.add(tag)
    return frozenset(tags)


def parse_time(value: str, *, now: datetime) -> datetime:
    """An ISO 8601 date or date-time (``2024-03-01 09:15:02``, ``…T…Z``); UTC when no offset."""
    if len(value) > 40:  # fromisoformat refuses control characters itself
        raise ValueError(f"{show(value)} is not a date-time such as 2024-03-01 09:15:02")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(impossible_date(value) or f"{show(value)} is not a date-time such as "
                         "2024-03-01 09:15:02 (ISO 8601, UTC unless an offset is given)") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)  # Mailchimp and most exports write UTC without a marker
    if moment > now:
        raise ValueError(f"{show(value)} is in the future")
    return moment.astimezone(UTC)
