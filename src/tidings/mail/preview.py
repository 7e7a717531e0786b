"""``newsletter render``: an issue exactly as one subscriber would get it, as .eml and .html."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from tidings.content import load
from tidings.content.model import Community, Newsletter
from tidings.errors import UsageError
from tidings.mail.message import MessageTemplate, Recipient
from tidings.mail.render import PLACEHOLDER_RE, IssueRenderer
from tidings.mail.tokens import Signer, load_secret

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


def preview_recipient(signer: Signer, email: str | None) -> Recipient:
    """A recipient for ``--to``: known subscribers come from the store once it exists."""
    if email is None:
        return SAMPLE
    return Recipient(id="preview-" + signer.digest("preview", email.lower(), length=12), email=email)


def render_preview(root: Path, slug: str, now: datetime, to: str | None = None) -> Preview:
    """Render issue ``slug`` for ``to`` (or a sample member) as it would be sent at ``now``."""
    community = load(root)
    letter = find_newsletter(community, slug)
    secret, development = load_secret(root, allow_dev=True)
    signer = Signer(secret)
    recipient = preview_recipient(signer, to)
    rendered = IssueRenderer(community, letter, now).render(recipient.timezone)
    template = MessageTemplate(rendered, community.config, signer)
    values = template.personal_values(recipient)

    def personal(text: str) -> str:
        return PLACEHOLDER_RE.sub(lambda m: values[m.group(1)], text)

    return Preview(template.build(recipient, now), personal(rendered.html), personal(rendered.text),
                   recipient, development)
