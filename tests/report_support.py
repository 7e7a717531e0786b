"""A known history for the monthly report's tests, built through the store's own functions.

The community's timezone is Europe/Helsinki; the month under test is October 2026, from
2026-09-30 21:00 UTC (local midnight, +03:00) to 2026-10-31 22:00 UTC (local midnight, +02:00).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.collector_support import PYPROJECT as COLLECTOR_PYPROJECT
from tidings.store import importer
from tidings.store import subscribers as people
from tidings.store.answers import save_answers
from tidings.store.followups import add_message, open_followup, resolve
from tidings.store.schema import consent_events
from tidings.store.send_log import SendLog
from tidings.store.subscribers import add, confirm, unsubscribe

PYPROJECT = COLLECTOR_PYPROJECT  # Europe/Helsinki: October starts on 30 September in UTC

FILES = {
    "newsletters/oct-news.md": """\
        ---
        subject: October news
        send_at: 2026-10-15T10:00
        survey: pulse
        ---
        Hello.
        """,
    "newsletters/nov-news.md": """\
        ---
        subject: November news
        send_at: 2026-11-05T10:00
        survey: pulse
        ---
        Hello again.
        """,
    "content/surveys/pulse.md": """\
        ---
        id: pulse
        title: Pulse
        allow_comment: true
        questions:
          - id: happy
            text: Are you happy?
            options: [Yes, No]
        ---
        Tell us.
        """,
    "content/announcements/autumn.md": """\
        ---
        title: Autumn release
        date: 2026-10-03
        ---
        News.
        """,
    "content/announcements/winter.md": """\
        ---
        title: Winter plans
        date: 2026-11-02
        ---
        Later.
        """,
    "content/stories/zed.md": """\
        ---
        title: Zorbulon Quuxley maps the fells
        date: 2026-10-07
        member: Zorbulon Quuxley
        consent: false
        ---
        Waiting for consent.
        """,
    "content/events/call.md": """\
        ---
        title: Community call
        start: 2026-10-08T18:00
        duration: PT1H
        ---
        Join us.
        """,
}

# Every address and name of the history: none of them may appear in any output.
PEOPLE = {
    "a": ("aurelia.report@example.org", "Aurelia Vantablack"),
    "b": ("bertil.report@example.org", "Bertil Oxenstierna"),
    "c": ("cosima.report@example.org", "Cosima Fairweather"),
    "d": ("dmitri.report@example.org", "Dmitri Kallistratos"),
    "e": ("elspeth.report@example.org", "Elspeth Marchbanks"),
    "f": ("fionnuala.report@example.org", "Fionnuala Brightwater"),
    "g": ("gudrun.report@example.org", "Gudrun Ironside"),
    "h": ("hamish.report@example.org", "Hamish Glenlivet"),
    "i": ("ingeborg.report@example.org", "Ingeborg Stalhammar"),
    "j": ("jovana.report@example.org", "Jovana Petrovicova"),
}
SECRET_TEXTS = ("a comment only the team may read", "my complaint about the map tiles")
MONTH_START = datetime(2026, 9, 30, 21, tzinfo=UTC)
MONTH_END = datetime(2026, 10, 31, 22, tzinfo=UTC)


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


@dataclass
class Clock:
    """The store's clock in the history: each step says when it happens."""

    moment: datetime = field(default_factory=lambda: utc(2026, 1, 1))

    def __call__(self) -> datetime:
        return self.moment


@dataclass
class History:
    ids: dict[str, int] = field(default_factory=dict)


def build_history(engine: sa.Engine, root: Path, monkeypatch: pytest.MonkeyPatch) -> History:
    """Joins and leaves on the first and last day of October, across local midnight, a re-subscribe,
    an import, a bounce (from a send), a complaint, an issue with a survey, and follow-ups."""
    clock = Clock()
    monkeypatch.setattr(people, "now", clock)
    monkeypatch.setattr(importer, "now", clock)
    history = History()

    def join(key: str, at: datetime, **options: str) -> None:
        clock.moment = at
        with engine.begin() as connection:
            email, name = PEOPLE[key]
            history.ids[key] = add(connection, email, name=name, **options)[0].id

    def leave(key: str, at: datetime, to_state: str = "unsubscribed", source: str = "cli",
              detail: str | None = None) -> None:
        clock.moment = at
        with engine.begin() as connection:
            assert unsubscribe(connection, history.ids[key], source, detail, to_state=to_state)

    join("j", utc(2026, 9, 5, 9))
    join("a", utc(2026, 9, 10, 9))
    join("i", utc(2026, 9, 12, 9))
    join("b", utc(2026, 9, 15, 9))
    join("c", utc(2026, 9, 20, 9))
    leave("c", utc(2026, 9, 30, 20, 59))  # 23:59 local on 30 September: a September leave
    join("d", utc(2026, 9, 25, 9), state="pending", source="form:signup")
    clock.moment = utc(2026, 9, 30, 21, 30)  # 00:30 local on 1 October; UTC still says September
    with engine.begin() as connection:
        confirm(connection, history.ids["d"])
    join("e", MONTH_START)  # the very first instant of the month
    leave("b", utc(2026, 10, 5, 9))
    clock.moment = utc(2026, 10, 20, 9)  # Bertil comes back through the form's double opt-in
    with engine.begin() as connection:
        confirm(connection, history.ids["b"])
    csv = root / "members.csv"
    csv.write_text(f"email,name,consent time\n{PEOPLE['h'][0]},{PEOPLE['h'][1]},2026-10-10T12:00:00Z\n",
                   encoding="utf-8")
    clock.moment = utc(2026, 10, 10, 13)
    importer.import_csv(engine, csv)
    with engine.connect() as connection:
        history.ids["h"] = people.get(connection, PEOPLE["h"][0]).id  # type: ignore[union-attr]
    _send(engine, history, clock)
    leave("j", utc(2026, 10, 20, 9), to_state="complained", source="arf")
    leave("a", utc(2026, 10, 31, 21, 59), source="list-unsubscribe-one-click",
          detail="issue oct-news")  # 23:59 local on 31 October
    join("f", utc(2026, 10, 31, 21, 30))  # 23:30 local on the last day
    join("g", utc(2026, 10, 31, 22, 30))  # 00:30 local on 1 November (UTC: still October)
    _answers_and_followups(engine, history)
    send_later_issue(engine, history)
    return history


def _send(engine: sa.Engine, history: History, clock: Clock) -> None:
    """oct-news to the six members of 15 October: four delivered, Ingeborg bounced, Jovana failed."""
    clock.moment = utc(2026, 10, 15, 8)
    log = SendLog(engine, "oct-news", "run-1", clock)
    log.start()
    ids = history.ids
    audience = [ids[k] for k in ("a", "d", "e", "h", "i", "j")]
    with engine.connect() as connection:
        assert log.claim(connection, audience).mine == audience
        results = [(ids[k], "sent", 1, None) for k in ("a", "d", "e", "h")]
        results += [(ids["i"], "bounced", 1, "550 no such user"), (ids["j"], "failed", 3, "451 later")]
        log.record(connection, results, [(ids["i"], "550 no such user")])
        log.finish(connection)


def _answers_and_followups(engine: sa.Engine, history: History) -> None:
    rows = [
        {"survey": "pulse", "question": "happy", "respondent": "r1", "option": 0, "comment": SECRET_TEXTS[0],
         "issue": "oct-news", "answered_at": utc(2026, 10, 16, 9)},
        {"survey": "pulse", "question": "happy", "respondent": "r2", "option": 1, "comment": None,
         "issue": "oct-news", "answered_at": utc(2026, 10, 17, 9)},
        {"survey": "pulse", "question": "happy", "respondent": "r3", "option": 0, "comment": "late",
         "issue": "oct-news", "answered_at": utc(2026, 11, 3, 9)},  # after the month: not counted
    ]
    with engine.begin() as connection:
        save_answers(connection, rows)
        email, name = PEOPLE["e"]
        first = open_followup(connection, source="survey", body=SECRET_TEXTS[1], email=email, name=name,
                              received_at=utc(2026, 10, 16, 10), kind="complaint")
        second = open_followup(connection, source="reply", body="a question", email=email,
                               received_at=utc(2026, 10, 18, 10), issue="oct-news")
        assert first and second
        add_message(connection, first, direction="out", body="thanks", at=utc(2026, 10, 16, 14))
        resolve(connection, first, utc(2026, 10, 19, 10))
        open_followup(connection, source="reply", body="still waiting", received_at=utc(2026, 10, 28, 10))


def state_at(engine: sa.Engine, moment: datetime) -> dict[int, str]:
    """Each subscriber's state at ``moment``: the last consent event before it (a direct count)."""
    e = consent_events.c
    with engine.connect() as connection:
        rows = connection.execute(sa.select(e.subscriber_id, e.to_state).where(e.at < moment)
                                  .order_by(e.at, e.id)).all()
    states: dict[int, str] = {}
    for subscriber, state in rows:
        states[subscriber] = state
    return states



def send_later_issue(engine: sa.Engine, history: History) -> None:
    """nov-news, carrying the same survey, sent on 5 November to Dmitri: not reached in October."""
    log = SendLog(engine, "nov-news", "run-2", Clock(utc(2026, 11, 5, 8)))
    log.start()
    with engine.connect() as connection:
        log.claim(connection, [history.ids["d"]])
        log.record(connection, [(history.ids["d"], "sent", 1, None)], [])
        log.finish(connection)
