"""Language codes and timezone names, checked the same way wherever they enter.

Front matter ``lang``, a newsletter's ``audience.lang``, ``[tool.tidings] language`` and a
subscriber's language all go through ``check_lang``; every timezone name through
``check_timezone`` or ``timezone_hint``. Each raises ValueError in words an editor understands.
"""

from __future__ import annotations

import difflib
import re
import zoneinfo
from functools import lru_cache

from babel import Locale, UnknownLocaleError
from babel.languages import get_official_languages

from tidings.inputs import LANG_MAX, TIMEZONE_MAX

LANG_RE = re.compile(r"[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*")


def show(value: str, limit: int = 60) -> str:
    """A value as it may appear in a message: quoted, escaped, cut short."""
    return repr(value if len(value) <= limit else value[:limit] + "…")


# Country codes often written for a language: Greece is `gr`, its language `el`.
COUNTRY_CODE_MISTAKES = {"gr": "el", "cn": "zh", "dk": "da", "jp": "ja", "cz": "cs", "kr": "ko",
                         "ua": "uk", "gb": "en", "us": "en", "at": "de", "rs": "sr", "il": "he",
                         "vn": "vi", "by": "be"}


@lru_cache(maxsize=1024)
def check_lang(value: str) -> str:
    """A language code babel knows (``en``, ``fi``, ``pt-BR``); ValueError saying what to write."""
    if len(value) > LANG_MAX:
        raise ValueError(f"a language code has at most {LANG_MAX} characters, not {len(value)}")
    if not LANG_RE.fullmatch(value):
        raise ValueError(f"{show(value)} is not a language code such as en, fi or pt-BR")
    try:
        Locale.parse(value.replace("_", "-"), sep="-")
    except (UnknownLocaleError, ValueError):
        mistake = COUNTRY_CODE_MISTAKES.get(value.lower())
        official = get_official_languages(value.upper()) if len(value) == 2 else ()
        if mistake or official:  # `gr` is Greece, `jp` Japan: a country code written for a language
            hint = f"{value} is a country code; did you mean {mistake or official[0]}?"
        else:
            hint = "expected a code such as en, fi or pt-BR"
        raise ValueError(f"{show(value)} is not a language code ({hint})") from None
    return value


def check_language_setting(value: str) -> str:
    """A language of the settings: ``check_lang``, and ``se`` (Sweden) refused though it is also
    Northern Sami's code: far more communities mean Swedish; Sami is written ``se-NO``."""
    check_lang(value)
    if value.lower() == "se":
        raise ValueError(f"{show(value)} is the country code of Sweden; did you mean sv? "
                         "(for Northern Sami write se-NO)")
    return value


@lru_cache(maxsize=1)
def _zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones() - {"localtime", "posixrules", "Factory"})


def timezone_hint(value: str) -> str:
    """What to write instead of an unknown timezone: the closest IANA name, or an example."""
    close = difflib.get_close_matches(value, sorted(_zones()), n=1, cutoff=0.75)
    return f"did you mean '{close[0]}'?" if close else "expected an IANA name such as 'Europe/Helsinki'"


def check_timezone(value: str) -> str:
    """An IANA timezone name; ValueError otherwise (with the closest name when there is one)."""
    if len(value) > TIMEZONE_MAX or value not in _zones():
        message = f"{show(value)} is not an IANA timezone such as Europe/Helsinki"
        hint = timezone_hint(value) if len(value) <= TIMEZONE_MAX else ""
        raise ValueError(message + (f" ({hint})" if hint.startswith("did") else ""))
    return value


def language_name(code: str, in_language: str | None = None) -> str:
    """A language's name, in ``in_language`` (its own name when None): ``Suomi``, ``Ελληνικά``."""
    try:
        locale = Locale.parse(code.replace("_", "-"), sep="-")
        name = locale.get_display_name(in_language or code) if in_language else locale.get_display_name()
    except (UnknownLocaleError, ValueError):
        return code
    return name[:1].upper() + name[1:] if name else code


def language_choices(languages: tuple[str, ...] | list[str]) -> list[tuple[str, str]]:
    """(code, own name) of each language, for a form's ``<select>``: a reader finds their own."""
    return [(code, language_name(code)) for code in languages]
