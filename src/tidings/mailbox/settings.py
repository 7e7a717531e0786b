"""Where the reply mailbox is: ``TIDINGS_IMAP_URL``, parsed once, the password never shown."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

from tidings.errors import ConfigError
from tidings.inputs import has_control

IMAP_ENV = "TIDINGS_IMAP_URL"
SHAPE = "imaps://user:password@imap.example.org:993/INBOX"


@dataclass(frozen=True)
class ImapSettings:
    """One mailbox: ``tls`` is implicit TLS (``imaps://``); ``imap://`` upgrades with STARTTLS."""

    host: str
    port: int
    username: str
    password: str = field(repr=False)
    folder: str = "INBOX"
    tls: bool = True
    timeout: float = 30.0

    @property
    def description(self) -> str:
        """Where, for messages: scheme, host, port and folder; never the user or the password."""
        return f"{'imaps' if self.tls else 'imap'}://{self.host}:{self.port}/{self.folder}"


def parse_imap_url(url: str) -> ImapSettings:
    """``imaps://user:pass@host:993/INBOX`` (or ``imap://`` for STARTTLS); user and password
    percent-decoded. ConfigError names the variable and never repeats the URL (it holds the password)."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        raise ConfigError(f"{IMAP_ENV} is not a URL such as {SHAPE}") from None
    if parts.scheme not in ("imap", "imaps") or not parts.hostname:
        raise ConfigError(f"{IMAP_ENV} must look like {SHAPE} (or imap://… for STARTTLS)")
    if not parts.username or parts.password is None:
        raise ConfigError(f"{IMAP_ENV} needs a user and a password: {SHAPE} "
                          "(write a special character in them as %XX, e.g. %40 for @)")
    username, password = unquote(parts.username), unquote(parts.password)
    folder = unquote(parts.path.lstrip("/")) or "INBOX"
    if has_control(username + password + folder):
        raise ConfigError(f"{IMAP_ENV}: the user, password or folder holds a control character")
    tls = parts.scheme == "imaps"
    return ImapSettings(host=parts.hostname, port=port or (993 if tls else 143), username=username,
                        password=password, folder=folder, tls=tls)


def imap_settings_from_env() -> ImapSettings:
    """The settings of ``TIDINGS_IMAP_URL``; ConfigError when it is not set or not valid."""
    url = os.environ.get(IMAP_ENV, "").strip()
    if not url:
        raise ConfigError(f"{IMAP_ENV} is not set: it names the mailbox that replies arrive in "
                          f"(reply_to), e.g. {SHAPE}")
    return parse_imap_url(url)
