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
from tidings.content.model import Community, Newsletter
from tidings.errors import UsageError
from tidings.mail.message import MessageTemplate, Recipient
from tidings.mail.render import PLACEHOLDER_RE, IssueRenderer
from tidings.mail.send import recipient_of
from tidings.mail.tokens import Signer, load_secret
from tidings.store import DATABASE_ENV, open_database
from tidings.store.subscribers import get

SAMPLE = Recipient(id="sample", email="member@example.org", name="Sample Member")


@dataclass(frozen=True)
class Preview:
    message: bytes
    html: str
    text: str
    recipient: Recipient
    development_key: bool


def find_newsletter(community: Community, slug: str) -> Newsletter:
    """The issue called ``slug`` (its file name), or a usage error listing the known ones."""
    for letter in community.newsletters:
        if letter.slug == slug or letter.path == slug or letter.path == f"newsletters/{slug}.md":
            return letter
    known = ", ".join(sorted(n.slug for n in community.newsletters)) or "none"
    raise UsageError(f"no newsletter '{slug}' in newsletters/ (known: {known})")


def stored_recipient(root: Path, email: str) -> Recipient | None:
    """The subscriber with this address, if the list exists and has them (a preview never creates it)."""
    if not os.environ.get(DATABASE_ENV) and not (root / ".tidings" / "tidings.sqlite").exists():
        return None
    engine = open_database(root)
    try:
        with engine.connect() as connection:
            known = get(connection, email)
    finally:
        engine.dispose()
    return recipient_of(known) if known else None


def preview_recipient(signer: Signer, email: str | None, root: Path | None = None) -> Recipient:
    """Who a preview is for: the stored subscriber, else the address alone, else a sample member."""
    if email is None:
        return SAMPLE
    known = stored_recipient(root, email) if root is not None else None
    return known or Recipient(id="preview-" + signer.digest("preview", email.lower(), length=12), email=email)


def render_preview(root: Path, slug: str, now: datetime, to: str | None = None) -> Preview:
    """Issue ``slug`` as ``to`` (or a sample member) would get it at ``now``, marked as a preview."""
    community = load(root)
    letter = find_newsletter(community, slug)
    secret, development = load_secret(root, allow_dev=True)
    signer = Signer(secret)
    recipient = preview_recipient(signer, to, root)
    rendered = IssueRenderer(community, letter, now).render(recipient.timezone, preview=True)
    template = MessageTemplate(rendered, community.config, signer, preview=True)
    values = template.personal_values(recipient)

    def personal(text: str) -> str:
        return PLACEHOLDER_RE.sub(lambda m: values[m.group(1)], text)

    return Preview(template.build(recipient, now), personal(rendered.html), personal(rendered.text),
                   recipient, development)
