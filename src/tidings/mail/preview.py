"""A member's copy of an issue outside a send: ``newsletter render`` and ``newsletter send --to``.

Both build it here, so the preview is the test copy: the stored subscriber's name, timezone and
id when the address is on the list, the preview mark on every link (the collector shows the page
and records nothing), a note at the top, and a Message-ID of its own.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from tidings.content import load
from tidings.content.kinds import NEWSLETTERS
from tidings.content.model import Community, Newsletter
from tidings.content.translations import name_language
from tidings.errors import UsageError
from tidings.locales import check_lang
from tidings.mail.languages import IssueLanguages, pick_language
from tidings.mail.message import MessageTemplate, Recipient
from tidings.mail.render import PLACEHOLDER_RE
from tidings.mail.sender import matches, recipient_of
from tidings.store import DATABASE_ENV, open_database
from tidings.store.subscribers import Subscriber, get
from tidings.tokens import Signer, load_secret

SAMPLE = Recipient(id="sample", email="member@example.org", name="Sample Member")


@dataclass(frozen=True)
class Preview:
    message: bytes
    html: str
    text: str
    recipient: Recipient
    development_key: bool
    note: str | None = None  # why a real send would not reach this address
    lang: str = "en"  # the language version rendered
    name: str = ""  # file name of the preview without extension: SLUG, or SLUG.LANG for a translation

    @property
    def size_kb(self) -> int:
        return len(self.message) // 1024


def find_newsletter(community: Community, slug: str) -> Newsletter:
    """The issue called ``slug`` (its file name), or a usage error listing the known ones."""
    for letter in community.newsletters:
        if letter.slug == slug or letter.path == slug or letter.path == f"{NEWSLETTERS.folder}/{slug}.md":
            return letter
    base, lang, _ = name_language(slug.removesuffix(".md").rsplit("/", 1)[-1])
    if lang and any(letter.slug == base for letter in community.newsletters):
        raise UsageError(f"'{slug}' is the {lang} version of issue '{base}': ask for it with "
                         f"`newsletter render {base} --lang {lang}` "
                         f"(or `send {base} --to ADDRESS --lang {lang}`)")
    known = ", ".join(sorted(n.slug for n in community.newsletters)) or "none"
    raise UsageError(f"no newsletter '{slug}' in {NEWSLETTERS.folder}/ (known: {known})")


def stored_subscriber(root: Path, email: str) -> Subscriber | None:
    """The subscriber with this address, if the list exists and has them (a preview never creates it)."""
    if not os.environ.get(DATABASE_ENV) and not (root / ".tidings" / "tidings.sqlite").exists():
        return None
    engine = open_database(root)
    try:
        with engine.connect() as connection:
            return get(connection, email)
    finally:
        engine.dispose()


def skipped_because(letter: Newsletter, subscriber: Subscriber) -> str | None:
    """Why a send of ``letter`` would not reach this subscriber (None: it would)."""
    if subscriber.state != "confirmed":
        return f"{subscriber.email} is {subscriber.state}: a send skips them"
    if not matches(letter.audience, subscriber.lang, subscriber.tags):
        return f"{subscriber.email} is not in this issue's audience: a send skips them"
    return None


def preview_recipient(signer: Signer, email: str | None, root: Path | None = None,
                      letter: Newsletter | None = None) -> tuple[Recipient, str | None]:
    """Who a preview is for (the stored subscriber, else the address alone, else a sample member),
    and a note when a send of ``letter`` would skip them."""
    if email is None:
        return SAMPLE, None
    known = stored_subscriber(root, email) if root is not None else None
    if known is None:
        anonymous = "preview-" + signer.digest("preview", email.lower(), length=12)
        return Recipient(id=anonymous, email=email), None
    return recipient_of(known), skipped_because(letter, known) if letter else None


def preview_language(languages: IssueLanguages, recipient: Recipient, lang: str | None
                     ) -> tuple[str, str | None]:
    """The version to show (``lang``'s reader's, else the recipient's), and a note when ``lang``
    has no version of its own."""
    if lang is None:
        return languages.language_for(recipient.lang), None
    try:
        check_lang(lang)
    except ValueError as exc:
        raise UsageError(f"--lang: {exc}") from None
    if pick_language(lang, list(languages.versions), ""):
        return languages.language_for(lang), None
    shown = languages.language_for(lang)
    return shown, (f"no '{lang}' version of {languages.letter.slug} (versions: "
                   f"{', '.join(languages.versions)}): a subscriber reading {lang} gets the {shown} version")


def render_preview(root: Path, slug: str, now: datetime, to: str | None = None,
                   lang: str | None = None) -> Preview:
    """Issue ``slug`` as ``to`` (or a sample member) would get it at ``now``, marked as a preview:
    the version in ``lang`` when given (else in the subscriber's language)."""
    community = load(root)
    letter = find_newsletter(community, slug)
    secret, development = load_secret(root, allow_dev=True)
    signer = Signer(secret)
    recipient, note = preview_recipient(signer, to, root, letter)
    languages = IssueLanguages(community, letter, now)
    version, language_note = preview_language(languages, recipient, lang)
    rendered = languages.renderer(version).render(recipient.timezone, preview=True)
    template = MessageTemplate(rendered, community.config, signer, preview=True)
    values = template.personal_values(recipient)

    def personal(text: str) -> str:
        return PLACEHOLDER_RE.sub(lambda m: values[m.group(1)], text)

    notes = "; ".join(n for n in (language_note, note) if n) or None
    name = letter.slug if version == languages.default else f"{letter.slug}.{version}"
    return Preview(template.build(recipient, now), personal(rendered.html), personal(rendered.text),
                   recipient, development, notes, version, name)
