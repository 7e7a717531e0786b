"""The reply mailbox: members' replies become follow-ups, complaint (ARF) and bounce (DSN) reports
set the subscriber's state. ``fetch_mailbox`` is what ``followups fetch`` runs."""

from tidings.mailbox.commands import fetch_mailbox

__all__ = ["fetch_mailbox"]
