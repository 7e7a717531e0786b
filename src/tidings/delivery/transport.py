"""Where messages go: an SMTP relay (a pool of persistent aiosmtplib connections) or a Maildir.

The sender needs one small interface, ``Transport``; SMTP and the local outbox implement it.
"""

from __future__ import annotations

import asyncio
import mailbox
import os
import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol
from urllib.parse import parse_qs, unquote, urlsplit

import aiosmtplib

from tidings.delivery.headers import envelope_address
from tidings.errors import ConfigError, DeliveryError, InputError

SMTP_ENV = "TIDINGS_SMTP_URL"


class Transport(Protocol):
    description: str

    async def open(self, workers: int) -> None: ...

    async def send(self, worker: int, sender: str, recipient: str, data: bytes) -> None: ...

    async def close(self) -> None: ...


@dataclass(frozen=True)
class SMTPSettings:
    host: str
    port: int
    username: str | None = None
    password: str | None = None
    use_tls: bool = False  # implicit TLS (smtps://, port 465)
    start_tls: bool | None = None  # None: upgrade when the server offers it
    timeout: float = 60.0
    validate_certs: bool = True

    @property
    def description(self) -> str:
        scheme = "smtps" if self.use_tls else "smtp"
        return f"{scheme}://{self.host}:{self.port}"  # never the password


def parse_smtp_url(url: str) -> SMTPSettings:
    """``smtp://user:pass@host:587?starttls=1``, ``smtps://host``, ``smtp://127.0.0.1:2525``."""
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise ConfigError(f"{SMTP_ENV} must look like smtp://user:password@host:587?starttls=1 "
                          f"or smtps://user:password@host:465")
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}

    def flag(name: str) -> bool | None:
        value = query.get(name)
        return None if value is None else value.lower() in ("1", "true", "yes", "on")

    use_tls = parts.scheme == "smtps"
    start_tls = flag("starttls")
    port = parts.port or (465 if use_tls else 587 if start_tls else 25)
    try:
        timeout = float(query.get("timeout", "60"))
    except ValueError:
        raise ConfigError(f"{SMTP_ENV}: timeout must be a number of seconds") from None
    return SMTPSettings(
        host=parts.hostname, port=port,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        use_tls=use_tls, start_tls=start_tls, timeout=timeout,
        validate_certs=flag("verify") is not False,
    )


class SMTPTransport:
    """K persistent connections, one per worker; a dropped connection is reopened on next use."""

    def __init__(self, settings: SMTPSettings) -> None:
        self.settings = settings
        self.description = settings.description
        self.clients: list[aiosmtplib.SMTP | None] = []

    async def open(self, workers: int) -> None:
        self.clients = [None] * workers

    async def _client(self, worker: int) -> aiosmtplib.SMTP:
        client = self.clients[worker]
        if client is not None and client.is_connected:
            return client
        s = self.settings
        context = None
        if s.use_tls or s.start_tls is not False:  # building a context costs ~70 ms: only for TLS
            context = ssl.create_default_context()
            if not s.validate_certs:
                context.check_hostname = False
                context.verify_mode = ssl.CERT_NONE
        client = aiosmtplib.SMTP(hostname=s.host, port=s.port, use_tls=s.use_tls,
                                 start_tls=s.start_tls, timeout=s.timeout, tls_context=context,
                                 username=s.username, password=s.password)
        try:
            await client.connect()
        except (TimeoutError, aiosmtplib.SMTPException, OSError) as exc:
            raise DeliveryError(f"cannot connect to {s.description}: {exc}") from None
        self.clients[worker] = client
        return client

    async def send(self, worker: int, sender: str, recipient: str, data: bytes) -> None:
        sender, sender_utf8 = envelope_address(sender)  # from the config, checked when loaded
        try:
            recipient, utf8 = envelope_address(recipient)
        except InputError as exc:
            raise DeliveryError(str(exc), permanent=True) from None
        # Only a non-ASCII local part needs SMTPUTF8 (RFC 6531); IDNA domains are plain ASCII.
        options = ["SMTPUTF8"] if utf8 or sender_utf8 else []
        client = await self._client(worker)
        try:
            refused, _ = await client.sendmail(sender, [recipient], data, mail_options=options)
        except aiosmtplib.SMTPNotSupported:  # the relay's limit, not a dead address: not a bounce
            raise DeliveryError("the relay does not support SMTPUTF8, needed for an address with a "
                                "non-ASCII local part", permanent=True) from None
        except aiosmtplib.SMTPRecipientsRefused as exc:
            first = exc.recipients[0]
            raise DeliveryError(f"{first.code} {first.message}", code=first.code,
                                permanent=first.code >= 500, recipient_refused=True) from None
        except aiosmtplib.SMTPResponseException as exc:
            if exc.code == 421:  # the server is closing the connection
                await self._drop(worker)
            raise DeliveryError(f"{exc.code} {exc.message}", code=exc.code,
                                permanent=exc.code >= 500) from None
        except (TimeoutError, aiosmtplib.SMTPException, OSError) as exc:
            await self._drop(worker)
            raise DeliveryError(f"connection problem: {exc or type(exc).__name__}") from None
        except asyncio.CancelledError:
            # Stopped half way through a transaction: the session is in an unknown state, and a
            # QUIT on it could wait for the whole timeout.
            await self._drop(worker)
            raise
        if refused:
            code, message = next(iter(refused.values()))
            raise DeliveryError(f"{code} {message}", code=code, permanent=code >= 500,
                                recipient_refused=True)

    async def _drop(self, worker: int) -> None:
        client = self.clients[worker]
        self.clients[worker] = None
        if client is not None:
            client.close()

    async def close(self) -> None:
        for worker, client in enumerate(self.clients):
            if client is not None and client.is_connected:
                try:
                    await client.quit()
                except (TimeoutError, aiosmtplib.SMTPException, OSError):
                    client.close()
            self.clients[worker] = None


class MaildirTransport:
    """The local outbox: each message a file in a Maildir (written to tmp/, renamed into new/)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.description = f"the local outbox {path}"
        self.box: mailbox.Maildir | None = None

    async def open(self, workers: int) -> None:
        for sub in ("tmp", "new", "cur"):
            (self.path / sub).mkdir(parents=True, exist_ok=True)
        self.box = mailbox.Maildir(str(self.path), create=False)

    async def send(self, worker: int, sender: str, recipient: str, data: bytes) -> None:
        assert self.box is not None
        try:
            self.box.add(data)
        except OSError as exc:
            raise DeliveryError(f"cannot write to the outbox: {exc}") from None

    async def close(self) -> None:
        self.box = None


def outbox_path(root: Path) -> Path:
    """The local outbox, a Maildir."""
    return root / ".tidings" / "outbox"


def transport_from_env(root: Path) -> Transport:
    """SMTP when ``TIDINGS_SMTP_URL`` is set, else the Maildir outbox in ``.tidings/outbox``.

    Set but empty is an error: it is what a CI secret that is missing looks like.
    """
    url = os.environ.get(SMTP_ENV)
    if url is None:
        return MaildirTransport(outbox_path(root))
    if not url.strip():
        raise ConfigError(f"{SMTP_ENV} is set but empty (a missing CI secret?): set it to the relay, "
                          "e.g. smtp://user:password@smtp.example.org:587?starttls=1, or unset it "
                          "to write to the local outbox")
    return SMTPTransport(parse_smtp_url(url))
