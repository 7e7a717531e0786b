"""Which of the community's languages a collector page speaks.

A link with a token speaks the subscriber's stored ``lang``; the sign-up form the language it was
sent from; anything else the browser's ``Accept-Language``, negotiated against the community's
languages with babel; the default language when nothing matches. Values from outside are only
ever matched against the community's list, so what is returned is always one of its codes.
"""

from __future__ import annotations

import re

from babel.core import negotiate_locale

from tidings.config import Config
from tidings.inputs import LANG_MAX

# One entry of an Accept-Language header (RFC 9110 12.5.4): a range and an optional weight.
_RANGE = re.compile(r"\s*([A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*|\*)\s*"
                    r"(?:;\s*q\s*=\s*([01](?:\.[0-9]{0,3})?))?\s*")
MAX_RANGES = 32  # a browser sends a handful; the rest of a long header is ignored


def match_language(config: Config, value: object) -> str | None:
    """The community language ``value`` names (``zh-TW`` → ``zh``, ``FI`` → ``fi``), else None."""
    if not isinstance(value, str) or not value or len(value) > LANG_MAX or not value.isascii():
        return None
    wanted = value.strip().replace("_", "-")
    by_key = {code.lower().replace("_", "-"): code for code in config.languages}
    # babel's own aliases would turn `zh` into `zh-CN` and miss a plain `zh` in the list.
    found = negotiate_locale([wanted], list(by_key), sep="-", aliases={})
    if found is None:
        return None
    return by_key.get(found.lower()) or by_key.get(found.split("-")[0].lower())


def preferred_ranges(header: str) -> list[str]:
    """The language ranges of an Accept-Language header, most wanted first (``q=0`` dropped)."""
    weighted: list[tuple[float, int, str]] = []
    for index, part in enumerate(header.split(",")[:MAX_RANGES]):
        match = _RANGE.fullmatch(part)
        if match is None:
            continue
        weight = float(match[2]) if match[2] else 1.0
        if weight > 0 and match[1] != "*":
            weighted.append((-weight, index, match[1]))
    return [code for _, _, code in sorted(weighted)]


def negotiate(config: Config, header: str | None) -> str:
    """The community language an ``Accept-Language`` header prefers, else the default."""
    if header:
        for wanted in preferred_ranges(header):
            found = match_language(config, wanted)
            if found is not None:
                return found
    return config.language


def subscriber_language(config: Config, stored: str | None) -> str:
    """A subscriber's stored language matched to the community's, else the default."""
    return match_language(config, stored) or config.language
