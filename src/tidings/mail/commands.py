"""``newsletter send`` and ``newsletter due``: wire the content, the store and a transport."""

from __future__ import annotations

import asyncio
import os
from datetime import UTC, datetime
from email.utils import parseaddr
from pathlib import Path

from tidings.config import collector_url_warning, is_local_host, load_config
from tidings.content import load
from tidings.content.model import Community
from tidings.delivery.transport import (
    SMTP_ENV,
    MaildirTransport,
    SMTPTransport,
    Transport,
    outbox_path,
    transport_from_env,
)
from tidings.errors import ConfigError, UsageError
from tidings.mail.preview import find_newsletter, render_preview
from tidings.mail.sender import IssueSender, SendOptions, SendSummary, due_issues
from tidings.output import Notify, Report, quiet
from tidings.store import DATABASE_ENV, open_database
from tidings.tokens import Signer, load_secret


def _summarize(report: Report, summary: SendSummary) -> None:
    """The summary line, the first errors, and the exit status (1 when any message failed)."""
    report.say(summary.line())
    for error in summary.errors[:20]:
        report.say(f"  {error}", error=True)
    if len(summary.errors) > 20:
        report.say(f"  … and {len(summary.errors) - 20} more", error=True)
    report.status = max(report.status, 0 if summary.failed == 0 else 1)


def sending_transport(root: Path, outbox: bool = False, records: bool = True) -> Transport:
    """The relay of ``TIDINGS_SMTP_URL``, or the local outbox.

    With a shared database (``TIDINGS_DATABASE_URL``) or in CI, a send that ``records`` what it
    sent uses the outbox only when asked for: otherwise a missing relay setting would mark
    everyone sent in that database.
    """
    if outbox:
        if os.environ.get(SMTP_ENV, "").strip():
            raise ConfigError(f"--outbox writes to the local outbox, but {SMTP_ENV} names a relay: "
                              "use one or the other")
        return MaildirTransport(outbox_path(root))
    transport = transport_from_env(root)
    shared = os.environ.get(DATABASE_ENV) or os.environ.get("CI") == "true"
    if isinstance(transport, MaildirTransport) and shared and records:
        where = DATABASE_ENV + " is set" if os.environ.get(DATABASE_ENV) else "this is CI (CI=true)"
        raise ConfigError(f"{SMTP_ENV} is not set and {where}: the messages would only reach the "
                          f"local outbox while the database records them sent. Set {SMTP_ENV}, "
                          "or pass --outbox to write to the outbox on purpose")
    return transport


def refuse_local_links(community: Community, transport: Transport) -> None:
    """A send through a relay on the internet must not carry links to a collector it cannot reach."""
    if not isinstance(transport, SMTPTransport) or is_local_host(transport.settings.host):
        return
    warning = collector_url_warning(community.config)
    if warning is not None:
        raise ConfigError(f"not sending through {transport.description}: "
                          f"{warning.path}:{warning.line}: {warning.message}")


def _send_test_copy(report: Report, root: Path, slug: str, to: str, transport: Transport,
                    dry_run: bool = False, lang: str | None = None) -> Report:
    """One test copy, built as ``newsletter render`` builds it: nothing is recorded anywhere."""
    preview = render_preview(root, slug, datetime.now(UTC), to, lang)
    if dry_run:
        report.say(f"dry run: rendered a test copy of '{slug}' ({preview.lang}) for {to} "
                   f"({preview.size_kb} KB); sent nothing")
        return report
    sender = parseaddr(load_config(root).sender)[1]

    async def one() -> None:
        await transport.open(1)
        try:
            await transport.send(0, sender, to, preview.message)
        finally:
            await transport.close()

    asyncio.run(one())
    report.say(f"sent a test copy of '{slug}' ({preview.lang}) to {to} through {transport.description}")
    if preview.note:
        report.say(f"note: {preview.note}", error=True)
    return report


def send_newsletter(root: Path, slug: str, *, concurrency: int = 4, rate: float | None = None,
                    dry_run: bool = False, to: str | None = None, outbox: bool = False,
                    transport: Transport | None = None, notify: Notify = quiet, lang: str | None = None
                    ) -> Report:
    """``newsletter send``: send (or render, or one test copy of) an issue; what to show, and the status.

    ``lang`` goes with ``to``: the test copy a reader of that language gets.
    """
    report = Report(notify)
    if concurrency < 1 or (rate is not None and rate <= 0):
        raise UsageError("--concurrency must be at least 1 and --rate above 0")
    if lang is not None and to is None:
        raise UsageError("--lang goes with --to (a test copy): a send gives each subscriber the "
                         "version in their own language")
    root = root.resolve()
    transport = transport or sending_transport(root, outbox, records=not dry_run and to is None)
    if to is not None:
        return _send_test_copy(report, root, slug, to, transport, dry_run, lang)
    community = load(root)
    letter = find_newsletter(community, slug)
    if not dry_run:
        refuse_local_links(community, transport)
    signer = Signer(load_secret(root, allow_dev=dry_run)[0])
    engine = open_database(root)
    options = SendOptions(concurrency=concurrency, rate=rate, dry_run=dry_run)
    if dry_run:
        report.say(f"dry run: rendering '{slug}' for its audience; nothing is sent", error=True)
    else:
        report.say(f"sending '{slug}' through {transport.description}", error=True)
    _summarize(report, asyncio.run(IssueSender(engine, community, letter, transport, signer, options).run()))
    return report


def send_due(root: Path, *, concurrency: int = 4, rate: float | None = None, outbox: bool = False,
             transport: Transport | None = None, notify: Notify = quiet) -> Report:
    """``newsletter due``: send every issue that is due and not fully sent; what to show, and the status."""
    report = Report(notify)
    root = root.resolve()
    # Checked even when nothing is due: a broken schedule must fail the day it breaks.
    transport = transport or sending_transport(root, outbox)
    community = load(root)
    refuse_local_links(community, transport)
    engine = open_database(root)
    due = due_issues(engine, community, datetime.now(UTC))
    if not due:
        report.say("nothing due")
        return report
    signer = Signer(load_secret(root)[0])
    for letter in due:
        sender = IssueSender(engine, community, letter, transport, signer,
                             SendOptions(concurrency=concurrency, rate=rate))
        _summarize(report, asyncio.run(sender.run()))
    return report
