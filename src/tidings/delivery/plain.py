"""A plain-text message (the collector's confirmation mail) and the quoted-printable encoder.

The newsletter's MIME assembly (mail/message.py) encodes its bodies with the same ``qp``.
"""

from __future__ import annotations

import binascii
from datetime import datetime
from email.utils import format_datetime, parseaddr

from tidings.config import Config
from tidings.delivery.headers import CRLF, address_header, header, message_id_header
from tidings.labels import texts_for

SOFT_BREAK = b"=\r\n"


def qp(text: str) -> bytes:
    """Quoted-printable UTF-8 with CRLF line ends and a trailing soft break."""
    data = binascii.b2a_qp(text.replace("\r\n", "\n").encode("utf-8"), istext=True)
    return data.replace(b"\n", CRLF) + SOFT_BREAK


def confirmation_message(config: Config, name: str | None, email: str, link: str, *,
                         message_id: str, moment: datetime, lang: str | None = None) -> bytes:
    """The mail that asks a new subscriber to confirm, in ``lang`` (one of the community's
    languages; the default when None): plain text, same header code as issues."""
    lang = lang or config.language
    words = texts_for(config, lang)
    text = (words["mail.confirm.body"].format(name=config.name, link=link) + "\n\n"
            f"--\n{config.contact}\n")
    sender_name, sender_email = parseaddr(config.sender)
    if text.isascii() and max(map(len, text.splitlines())) <= 998:
        encoding, body = b"7bit", text.replace("\n", "\r\n").encode("ascii")  # the link stays whole
    else:  # never raw 8bit: a relay without 8BITMIME may refuse or mangle it
        encoding, body = b"quoted-printable", qp(text).removesuffix(SOFT_BREAK)
    return b"".join([
        address_header("From", sender_name, sender_email),
        address_header("To", name, email),
        header("Subject", words["mail.confirm.subject"].format(name=config.name)),
        f"Date: {format_datetime(moment)}".encode() + CRLF,
        message_id_header(message_id),
        header("Content-Language", lang),
        b"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n",
        b"Content-Transfer-Encoding: " + encoding + CRLF + CRLF,
        body,
    ])
