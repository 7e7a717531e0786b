"""``followups list|show|answer|resolve|assign``: what the team sees and does, as lines to print.

Member text is shown escaped (tabs, line breaks and control characters written ``\\t``, ``\\n``,
``\\u001b``), so a comment can neither fake a column nor drive the terminal.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from email.utils import parseaddr
from pathlib import Path
from typing import TextIO

from tidings.config import Config, load_config
from tidings.delivery.transport import Transport, transport_from_env
from tidings.errors import InputError, UsageError
from tidings.followups.answer import answer_language, answer_message, answer_sender
from tidings.inputs import SURROGATE_RE, clean_name, clean_text, escape_field, refuse_control
from tidings.output import Notify, Report
from tidings.store import followups, open_database
from tidings.store.subscribers import get, get_by_id
from tidings.store.transactions import Connection

ANSWER_MAX = 100_000  # characters: a long answer is fine, a file read by mistake is not


def _now() -> datetime:
    return datetime.now(UTC)


def age(delta: timedelta) -> str:
    """``45m``, ``30h``, ``12d``: how long something has waited, at a glance."""
    minutes = max(0, int(delta.total_seconds() // 60))
    if minutes < 60:
        return f"{minutes}m"
    hours = minutes // 60
    return f"{hours}h" if hours < 48 else f"{hours // 24}d"


def listing_line(item: followups.Followup, now: datetime) -> str:
    """One tab-separated line: id, state, age, owner, source, issue/survey, the text's first line."""
    where = "/".join(part for part in (item.issue, item.survey) if part)
    first = item.body.split("\n", 1)[0]
    return "\t".join([str(item.id), item.state, age(now - item.received_at),
                      *(escape_field(value) for value in (item.owner or "", item.source, where, first))])


def _found(connection: Connection, followup_id: int) -> followups.Followup:
    item = followups.get(connection, followup_id)
    if item is None:
        raise InputError(f"no follow-up {followup_id} (`followups list --all` shows every one)")
    return item


def list_followups(root: Path, states: tuple[str, ...], notify: Notify) -> Report:
    """The follow-ups in ``states``, oldest first, one line each."""
    report = Report(notify)
    with open_database(root).connect() as connection:
        items = followups.listing(connection, states)
    now = _now()
    for item in items:
        report.say(listing_line(item, now))
    if not items:
        report.say(f"no follow-ups {' or '.join(states)}", error=True)
    return report


def _when(config: Config, moment: datetime | None) -> str:
    return moment.astimezone(config.timezone).strftime("%Y-%m-%d %H:%M (%z)") if moment else "-"


def _text(report: Report, body: str) -> None:
    for line in body.split("\n"):
        report.say(f"  {escape_field(line)}")


def show_followup(root: Path, followup_id: int, notify: Notify) -> Report:
    """The follow-up and its whole thread, in order."""
    report, config = Report(notify), load_config(root)
    with open_database(root).connect() as connection:
        item = _found(connection, followup_id)
        thread = followups.thread(connection, followup_id)
    who = f"{item.name or ''} <{item.email}>".strip() if item.email else "(no address)"
    for label, value in (("follow-up", str(item.id)), ("state", item.state), ("kind", item.kind),
                         ("source", item.source), ("issue", item.issue), ("survey", item.survey),
                         ("owner", item.owner), ("from", who), ("subject", item.subject),
                         ("received", _when(config, item.received_at)),
                         ("answered", _when(config, item.answered_at)),
                         ("resolved", _when(config, item.resolved_at))):
        report.say(f"{label + ':':<11}{escape_field(value or '-')}")
    report.say("")
    _text(report, item.body)
    for message in thread:
        author = f" by {escape_field(message.author)}" if message.author else ""
        heading = "answer" + author if message.direction == "out" else "the member wrote"
        report.say(f"\n--- {heading}, {_when(config, message.at)}")
        _text(report, message.body)
    return report


def assign_followup(root: Path, followup_id: int, owner: str, notify: Notify) -> Report:
    """Give the follow-up to ``owner`` (a name on the team)."""
    name = clean_name(refuse_control(owner, field="NAME"), field="NAME")
    if name is None:
        raise UsageError("assign needs a NAME")
    report = Report(notify)
    with open_database(root).begin() as connection:
        _found(connection, followup_id)
        followups.assign(connection, followup_id, name)
    report.say(f"follow-up {followup_id} is {escape_field(name)}'s")
    return report


def resolve_followup(root: Path, followup_id: int, notify: Notify) -> Report:
    """Nothing left to do (a follow-up without an address ends this way)."""
    report = Report(notify)
    with open_database(root).begin() as connection:
        if _found(connection, followup_id).state == "resolved":
            report.say(f"follow-up {followup_id} was already resolved")
            return report
        followups.resolve(connection, followup_id, _now())
    report.say(f"follow-up {followup_id} resolved")
    return report


def read_answer(text: str | None, file: Path | None, stdin: TextIO) -> str:
    """The answer from ``--text``, ``--file`` or standard input, cleaned; UsageError when empty."""
    if text is None and file is not None:
        try:
            text = file.read_bytes().decode("utf-8")
        except OSError as exc:
            raise UsageError(f"--file: cannot read {file}: {exc.strerror}") from None
        except UnicodeDecodeError:
            raise UsageError(f"--file: {file} is not UTF-8 text") from None
    elif text is None:
        text = stdin.read()
    if SURROGATE_RE.search(text):
        raise UsageError("the answer is not UTF-8 text")
    try:
        cleaned = clean_text(text, field="answer", max_length=ANSWER_MAX)
    except InputError as exc:
        raise UsageError(str(exc)) from None
    if cleaned is None:
        raise UsageError("the answer is empty: give it with --text TEXT, --file FILE or on standard input")
    return cleaned


async def _deliver(transport: Transport, sender: str, recipient: str, data: bytes) -> None:
    await transport.open(1)
    try:
        await transport.send(0, sender, recipient, data)
    finally:
        await transport.close()


def answer_followup(root: Path, followup_id: int, text: str, notify: Notify) -> Report:
    """Mail ``text`` to the member (threaded, in their language), then record it in the thread."""
    report, config = Report(notify), load_config(root)
    engine = open_database(root)
    with engine.connect() as connection:
        item = _found(connection, followup_id)
        thread = followups.thread(connection, followup_id)
        member = (get_by_id(connection, item.subscriber_id) if item.subscriber_id
                  else get(connection, item.email) if item.email else None)
    if item.state == "resolved":
        raise InputError(f"follow-up {followup_id} is resolved: nothing to answer (a new message from "
                         "the member opens it again)")
    if not item.email:
        raise InputError(f"follow-up {followup_id} has no address, so it cannot be answered by mail; "
                         f"`followups resolve {followup_id}` closes it")
    lang = answer_language(config, member.lang if member else None)
    moment = _now()
    data, message_id = answer_message(config, item, thread, text, lang=lang, moment=moment)
    transport = transport_from_env(root)
    asyncio.run(_deliver(transport, parseaddr(answer_sender(config))[1], item.email, data))
    with engine.begin() as connection:
        followups.add_message(connection, followup_id, direction="out", body=text, at=moment,
                              author=item.owner, message_id=message_id)
    report.say(f"follow-up {followup_id} answered ({lang}) through {transport.description}")
    return report
