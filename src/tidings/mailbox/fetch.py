"""``followups fetch``: read the unseen messages of the reply mailbox, file each one, then mark it seen.

Each message is filed in a transaction of its own and marked ``\\Seen`` only after that transaction
committed. A run that stops in between leaves the message unseen; the next run finds it filed
(by its Message-ID) and files nothing twice.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime

from tidings.mailbox.classify import classify
from tidings.mailbox.client import Mailbox
from tidings.mailbox.filing import Outcome, file_incoming
from tidings.mailbox.threads import Threads
from tidings.store.transactions import Engine
from tidings.tokens import Signer


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass
class FetchSummary:
    """What a fetch did, in counts: nothing here names a member."""

    seen: int = 0
    opened: list[int] = field(default_factory=list)  # new follow-ups' ids
    continued: list[int] = field(default_factory=list)  # follow-ups a reply was added to
    complaints: int = 0
    bounces: int = 0
    already: int = 0  # filed by an earlier run that stopped before marking them seen
    left: int = 0  # reports about someone who had already left
    ignored: Counter[str] = field(default_factory=Counter)
    notes: Counter[str] = field(default_factory=Counter)

    def add(self, outcome: Outcome) -> None:
        """Count one message's outcome."""
        if outcome.kind == "opened" and outcome.followup_id is not None:
            self.opened.append(outcome.followup_id)
        elif outcome.kind == "continued" and outcome.followup_id is not None:
            self.continued.append(outcome.followup_id)
        elif outcome.kind == "complained":
            self.complaints += 1
        elif outcome.kind == "bounced":
            self.bounces += int(outcome.detail or 1)
        elif outcome.kind == "already":
            self.already += 1
        elif outcome.kind == "left":
            self.left += 1
        else:
            self.ignored[outcome.detail] += 1

    def lines(self) -> list[str]:
        """The lines ``followups fetch`` prints."""
        ids = ", ".join(f"#{n}" for n in [*self.opened, *self.continued])
        out = [f"{len(self.opened) + len(self.continued)} replies filed"
               + (f" ({len(self.opened)} new follow-ups, {len(self.continued)} added to a follow-up's "
                  f"thread: {ids})" if ids else ""),
               f"{self.complaints} complaints: subscribers marked complained",
               f"{self.bounces} bounces: subscribers marked bounced",
               f"{sum(self.ignored.values())} ignored"]
        out += [f"  {count} × {reason}" for reason, count in sorted(self.ignored.items())]
        if self.left:
            out.append(f"{self.left} reports about someone who had already left: nothing changed")
        if self.already:
            out.append(f"{self.already} filed by an earlier run: marked seen now, not filed again")
        out += [f"note: {count} × {note}" for note, count in sorted(self.notes.items())]
        return out


def fetch_all(engine: Engine, mailbox: Mailbox, signer: Signer, *, ours: Collection[str] = (),
              clock: Callable[[], datetime] = _now) -> FetchSummary:
    """File every unseen message of ``mailbox``; each one marked seen once it is filed.

    ``ours``: the community's own addresses, whose messages are never a member's reply.
    """
    summary = FetchSummary()
    with engine.connect() as connection:
        threads = Threads(connection, signer)
    for uid in mailbox.unseen():
        fetched = mailbox.read(uid)
        now = clock()
        incoming = classify(fetched.raw, now, fetched.truncated, ours)
        with engine.begin() as connection:
            outcome = file_incoming(connection, incoming, threads, now)
        mailbox.mark_seen(uid)
        summary.seen += 1
        summary.add(outcome)
        for note in incoming.notes:
            summary.notes[note] += 1
    return summary
