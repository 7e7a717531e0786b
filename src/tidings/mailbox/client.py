"""The reply mailbox over IMAP (IMAPClient): unseen messages in, the ``\\Seen`` flag out.

``fetch`` needs one small interface, ``Mailbox``; ``ImapMailbox`` implements it. Messages are read
with ``BODY.PEEK`` so that reading marks nothing: a message is marked seen only once it is filed.
"""

from __future__ import annotations

import imaplib
import ipaddress
import ssl
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import Any, Protocol

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError

from tidings.errors import MailboxError
from tidings.mailbox.settings import ImapSettings

# A reply is text; past this a message is read only in part (the parser copes with a cut body).
MAX_MESSAGE_BYTES = 2 * 1024 * 1024
SEEN = b"\\Seen"


@dataclass(frozen=True)
class Fetched:
    """One message as the server holds it: ``raw`` is cut at MAX_MESSAGE_BYTES (``truncated``)."""

    uid: int
    raw: bytes
    truncated: bool


class Mailbox(Protocol):
    """What ``fetch`` needs of a mailbox."""

    description: str

    def unseen(self) -> list[int]: ...

    def read(self, uid: int) -> Fetched: ...

    def mark_seen(self, uid: int) -> None: ...


def is_loopback(host: str) -> bool:
    """localhost or a loopback address: the only place a password may travel without TLS."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class ImapMailbox:
    """A logged-in IMAP connection with its folder selected (``open_mailbox`` makes one)."""

    def __init__(self, client: Any, settings: ImapSettings) -> None:
        self.client = client
        self.description = settings.description

    def _call(self, what: str, method: str, *args: Any) -> Any:
        try:
            return getattr(self.client, method)(*args)
        except (IMAPClientError, imaplib.IMAP4.error, OSError) as exc:
            raise MailboxError(f"{self.description}: {what} failed: {exc}") from None

    def unseen(self) -> list[int]:
        """The UIDs of the messages nobody has marked seen, oldest first."""
        return sorted(int(uid) for uid in self._call("SEARCH UNSEEN", "search", ["UNSEEN"]))

    def read(self, uid: int) -> Fetched:
        """One message, without marking it seen; at most MAX_MESSAGE_BYTES of it."""
        part = f"BODY.PEEK[]<0.{MAX_MESSAGE_BYTES}>"
        data = self._call("FETCH", "fetch", [uid], ["RFC822.SIZE", part]).get(uid, {})
        raw = next((v for k, v in data.items() if bytes(k).startswith(b"BODY[]")), b"") or b""
        return Fetched(uid, bytes(raw), int(data.get(b"RFC822.SIZE", 0)) > MAX_MESSAGE_BYTES)

    def mark_seen(self, uid: int) -> None:
        """Flag the message ``\\Seen``: it was filed (or deliberately ignored)."""
        self._call("STORE +FLAGS (\\Seen)", "add_flags", [uid], [SEEN])


def _connect(settings: ImapSettings) -> Any:
    """A connected client, TLS when asked for or offered; refuses plain text beyond loopback."""
    context = ssl.create_default_context()
    client = IMAPClient(settings.host, port=settings.port, ssl=settings.tls, ssl_context=context,
                        timeout=settings.timeout)
    if not settings.tls:
        if b"STARTTLS" in client.capabilities():
            client.starttls(context)
        elif not is_loopback(settings.host):
            client.shutdown()
            raise MailboxError(f"{settings.description} offers no STARTTLS: the password would travel "
                               "in the clear. Use imaps:// (port 993)")
    return client


@contextmanager
def open_mailbox(settings: ImapSettings) -> Iterator[ImapMailbox]:
    """Connect, log in and select the folder; log out at the end. MailboxError when any step fails."""
    where = settings.description
    try:
        client = _connect(settings)
    except (IMAPClientError, imaplib.IMAP4.error, OSError) as exc:
        raise MailboxError(f"cannot reach the mailbox {where}: {exc}") from None
    try:
        try:
            client.login(settings.username, settings.password)
            client.select_folder(settings.folder)
        except (IMAPClientError, imaplib.IMAP4.error, OSError) as exc:
            raise MailboxError(f"cannot open the mailbox {where}: {exc}") from None
        yield ImapMailbox(client, settings)
    finally:
        try:
            client.logout()
        except (IMAPClientError, imaplib.IMAP4.error, OSError):
            with suppress(OSError):
                client.shutdown()  # the server went away: nothing is left to say to it
