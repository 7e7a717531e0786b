"""``followups fetch``: wire the settings, the store, the signing key and the IMAP mailbox."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from email.utils import parseaddr
from pathlib import Path

from tidings.config import load_config
from tidings.mailbox.client import Mailbox, open_mailbox
from tidings.mailbox.fetch import fetch_all
from tidings.mailbox.settings import ImapSettings, imap_settings_from_env
from tidings.output import Notify, Report, quiet
from tidings.store import open_database
from tidings.tokens import Signer, load_secret

Opener = Callable[[ImapSettings], AbstractContextManager[Mailbox]]


def fetch_mailbox(root: Path, *, notify: Notify = quiet, opener: Opener = open_mailbox) -> Report:
    """Read the reply mailbox of ``TIDINGS_IMAP_URL`` and file what is new; what to show.

    ConfigError when a setting is missing, MailboxError when the mailbox cannot be reached: the
    command line prints either in one line and exits 1.
    """
    report = Report(notify)
    config = load_config(root)
    ours = {parseaddr(a)[1].lower() for a in (config.sender, config.reply_to or "") if "@" in a}
    settings = imap_settings_from_env()
    signer = Signer(load_secret(root)[0])  # the key that made our Message-IDs and links
    engine = open_database(root)
    with opener(settings) as mailbox:
        summary = fetch_all(engine, mailbox, signer, ours=ours)
    report.say(f"{summary.seen} unseen messages read from {settings.description}")
    for line in summary.lines():
        report.say(line)
    return report
