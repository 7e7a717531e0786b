"""Signed tokens for the links in emails: bound to a subscriber, an issue and a purpose."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from itsdangerous import BadSignature, SignatureExpired, TimestampSigner
from itsdangerous.encoding import base64_encode, int_to_bytes, want_bytes

from tidings.errors import ConfigError, TokenError
from tidings.files import write_atomic

SECRET_ENV = "TIDINGS_SECRET"
PURPOSES = ("unsubscribe", "survey", "confirm")
PREVIEW = "preview"  # the last value of a link in a preview or test copy: it shows, never records


@dataclass(frozen=True)
class Link:
    """What an email link was signed with, and whether it comes from a preview or test copy."""

    values: tuple[str, ...]
    preview: bool


def load_secret(root: Path | None = None, *, allow_dev: bool = False) -> tuple[str, bool]:
    """The signing key from ``TIDINGS_SECRET``; return (key, is_development_key).

    With ``allow_dev`` (previews) a random key kept in ``.tidings/dev-secret`` stands in, so
    links in a preview are shaped like the real ones but work only with that local key.
    """
    secret = os.environ.get(SECRET_ENV, "")
    if secret:
        if len(secret) < 16:
            raise ConfigError(f"{SECRET_ENV} is too short: use at least 16 random characters")
        return secret, False
    if not allow_dev or root is None:
        raise ConfigError(f"{SECRET_ENV} is not set: it signs the links in every email "
                          "(generate one with: python -c 'import secrets; print(secrets.token_urlsafe(32))')")
    path = root / ".tidings" / "dev-secret"
    if not path.exists():
        write_atomic(path, secrets.token_urlsafe(32).encode("utf-8"))
    return path.read_text(encoding="utf-8").strip(), True


class _KeyedTimestampSigner(TimestampSigner):
    """itsdangerous' TimestampSigner with its HMAC keyed once, not per signature.

    The tokens are the same bytes; itsdangerous derives the key and keys a new HMAC for every
    signature, which is half the cost of signing a link.
    """

    def __init__(self, secret: str, salt: str) -> None:
        super().__init__(secret, salt=salt, digest_method=hashlib.sha256)
        self._mac = hmac.new(self.derive_key(), digestmod=hashlib.sha256)
        self._sep = want_bytes(self.sep)
        self._stamp: tuple[int, bytes] = (-1, b"")

    def sign(self, value: str | bytes) -> bytes:
        """As itsdangerous signs (value.timestamp.signature), the timestamp encoded once a second."""
        moment = self.get_timestamp()
        if self._stamp[0] != moment:
            self._stamp = (moment, base64_encode(int_to_bytes(moment)))
        signed = want_bytes(value) + self._sep + self._stamp[1]
        return signed + self._sep + self.get_signature(signed)

    def get_signature(self, value: str | bytes) -> bytes:
        mac = self._mac.copy()
        mac.update(want_bytes(value))
        return base64_encode(mac.digest())


class Signer:
    """Signs and verifies link tokens; one key, one salt per purpose."""

    def __init__(self, secret: str) -> None:
        self._secret = secret.encode()
        # itsdangerous' TimestampSigner over a compact payload (base64url of the values joined by
        # a unit separator): a serializer's JSON and zlib steps cost more than the HMAC itself.
        self._signers = {purpose: _KeyedTimestampSigner(secret, f"tidings.{purpose}")
                         for purpose in PURPOSES}
        self._digest = hmac.new(self._secret, digestmod=hashlib.sha256)

    def sign(self, purpose: str, *values: str) -> str:
        payload = base64.urlsafe_b64encode("\x1f".join(values).encode()).rstrip(b"=")
        return self._signers[purpose].sign(payload).decode("ascii")

    def verify(self, purpose: str, token: str, max_age: int | None = None) -> list[str]:
        """The values a token was signed with; TokenError if forged, mismatched or expired."""
        try:
            payload = self._signers[purpose].unsign(token, max_age=max_age)
        except SignatureExpired:
            raise TokenError("this link has expired") from None
        except BadSignature:
            raise TokenError("this link is not valid") from None
        try:
            text = base64.urlsafe_b64decode(payload + b"=" * (-len(payload) % 4)).decode()
        except (ValueError, UnicodeDecodeError):
            raise TokenError("this link is not valid") from None
        return text.split("\x1f")

    def verify_link(self, purpose: str, token: str, count: int) -> Link:
        """A link's ``count`` values; a preview link carries one more, the ``PREVIEW`` mark."""
        values = self.verify(purpose, token)
        if len(values) == count + 1 and values[-1] == PREVIEW:
            return Link(tuple(values[:-1]), True)
        if len(values) != count:
            raise TokenError("this link is not valid")
        return Link(tuple(values), False)

    def digest(self, *values: str, length: int = 20) -> str:
        """A keyed, stable hex digest (Message-IDs, pseudonyms): reveals nothing without the key."""
        mac = self._digest.copy()
        mac.update("\x1f".join(values).encode())
        return mac.hexdigest()[:length]
