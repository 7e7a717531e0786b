"""Which language version of an issue each subscriber gets, and one renderer per version.

``newsletters/2026-12.md`` and ``newsletters/2026-12.fi.md`` are one issue: a subscriber reading
Finnish gets the Finnish version, everyone else the source. Each version is rendered once per
send (and timezone), never per recipient.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from tidings.content.model import Community, Newsletter
from tidings.issue import content_in_language, issue_content
from tidings.locale_data import base_language
from tidings.mail.render import IssueRenderer


def _normal(code: str) -> str:
    return code.replace("_", "-").lower()


def pick_language(lang: str | None, versions: Sequence[str], default: str) -> str:
    """The version for a reader of ``lang``: the same code, else its base language (``zh-TW`` →
    ``zh``), else a version of that base (``pt`` → ``pt-BR``), else ``default``."""
    if not lang:
        return default
    written = {_normal(version): version for version in versions}
    wanted = _normal(lang)
    if wanted in written:
        return written[wanted]
    base = base_language(lang)
    if base in written:
        return written[base]
    return next((version for version in versions if base_language(version) == base), default)


def issue_versions(community: Community, letter: Newsletter) -> dict[str, Newsletter]:
    """Every version of ``letter`` that can be sent, by language, the source first.

    The source is in its own language; an issue for one language's readers (``audience: {lang:
    fi}``) without a version in that language is written for them, so it speaks their language.
    A draft translation is not sent (its readers get the source).
    """
    translations = {lang: version for lang, version in community.versions(letter).items()
                    if version is not letter and not version.hidden}
    source = letter.lang or community.config.language
    audience = letter.audience.lang
    if audience and not pick_language(audience, list(translations), ""):
        source = audience
    return {source: letter, **{lang: v for lang, v in translations.items() if lang != source}}


class IssueLanguages:
    """The language versions of one issue, each with its renderer, made when first needed."""

    def __init__(self, community: Community, letter: Newsletter, now: datetime) -> None:
        self.community = community
        self.letter = letter
        self.versions = issue_versions(community, letter)
        self.default = next(iter(self.versions))
        self.content = issue_content(community, letter, now)  # chosen once, for every language
        self.renderers: dict[str, IssueRenderer] = {}
        self.picked: dict[str | None, str] = {}

    def language_for(self, lang: str | None) -> str:
        """The version a subscriber whose language is ``lang`` gets."""
        if lang not in self.picked:
            self.picked[lang] = pick_language(lang, list(self.versions), self.default)
        return self.picked[lang]

    def renderer(self, lang: str) -> IssueRenderer:
        """The renderer of the version in ``lang`` (one of ``versions``)."""
        if lang not in self.renderers:
            version = self.versions[lang]
            content = content_in_language(self.community, self.content, lang, version)
            self.renderers[lang] = IssueRenderer(self.community, version, content.at, lang=lang,
                                                 content=content)
        return self.renderers[lang]
