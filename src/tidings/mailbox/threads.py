"""Which issue and which subscriber a Message-ID or a List-Unsubscribe token of ours points at.

A newsletter's Message-ID is ``<{slug as id}.{keyed digest of slug and subscriber}@{host}>`` and a
test copy's ``<{slug as id}.test-{random}@{host}>`` (tidings.mail.message); the unsubscribe token is
signed with the subscriber's id and the slug, plus the preview mark in a preview or test copy.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tidings.delivery.headers import message_id_left
from tidings.errors import TokenError
from tidings.store import inbox
from tidings.store.transactions import Connection
from tidings.tokens import Signer

OUR_ID_RE = re.compile(r"<(.+)\.(test-[0-9a-f]+|[0-9a-f]{20})@[^<>@]+>")


@dataclass(frozen=True)
class Sent:
    """A message of ours that something refers to: the issue, and the subscriber when known."""

    issue: str | None
    subscriber_id: int | None
    preview: bool = False  # a preview or test copy: nobody's state may change because of it


class Threads:
    """Looks up our Message-IDs and tokens against the send log (the issues are read once)."""

    def __init__(self, connection: Connection, signer: Signer) -> None:
        self.signer = signer
        self.slugs = {message_id_left(slug): slug for slug in inbox.sent_issues(connection)}

    def by_message_id(self, connection: Connection, mid: str | None, *, find_subscriber: bool) -> Sent | None:
        """The issue of one of our Message-IDs (and with ``find_subscriber`` the subscriber it was
        sent to, by its keyed digest); None for an id that is not ours."""
        match = OUR_ID_RE.fullmatch(mid or "")
        if match is None:
            return None
        left, tail = match.groups()
        if tail.startswith("test-"):
            return Sent(self.slugs.get(left), None, preview=True)
        slug = self.slugs.get(left)
        if slug is None:
            return None
        if not find_subscriber:
            return Sent(slug, None)
        for subscriber_id in inbox.recipients(connection, slug):
            if self.signer.digest("message-id", slug, str(subscriber_id)) == tail:
                return Sent(slug, subscriber_id)
        return Sent(slug, None)

    def by_token(self, token: str | None) -> Sent | None:
        """The subscriber and issue of an unsubscribe token; None when it is not a valid one."""
        if not token:
            return None
        try:
            link = self.signer.verify_link("unsubscribe", token, 2)
        except TokenError:
            return None
        recipient, slug = link.values
        return Sent(slug, int(recipient) if recipient.isdigit() else None, preview=link.preview)
