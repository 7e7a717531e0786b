"""Benchmark ``report``: one month of a community of 100,000 subscribers with a year of history.

What is measured
----------------
A generated SQLite database (seeded, so every run builds the same one): N subscribers (default
100,000) who joined over two years (a third before the year under report), through the sign-up
form (pending, then confirmed), an import or the command line; 18 % left again (unsubscribed,
bounced or complained), some of them came back. 50 issues, one a week, each sent to everyone
confirmed at its send time (send log: 98 % sent, 1 % bounced, 1 % failed), an unsubscribe
through an issue's link carrying its slug; every fifth issue carries a survey answered by 5 %
of its recipients (three questions), and 300 follow-ups. All rows are written with the store's
bulk writer (``store/bulk.execute_many``).

Then, for the month 2026-10 (``--repeat`` rounds, median):

1. **bare**: the plain SQL counts the report's figures stand on, on one connection: the members
   at the start (latest event per subscriber), consent events in the month grouped by state,
   send-log states of the month's issues, distinct survey respondents.
2. **figures**: ``tidings.report.monthly_report`` (every figure, 12-month history included).
3. **report**: the whole ``report`` command in-process (``tidings.monthly_report.report``):
   loading the community, the figures, the editorial calendar, charts and files written.

Target: the whole ``report`` under 2 s.

How to run (with the Python of the environment tidings is installed in)::

    python benchmarks/report.py              # N = 100,000, 3 rounds
    python benchmarks/report.py --quick      # N = 10,000, one round
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import sqlalchemy as sa  # noqa: E402
from machine import Row, environment, print_summary, status  # noqa: E402

from tidings.content import load  # noqa: E402
from tidings.monthly_report import report  # noqa: E402
from tidings.report import Month, monthly_report  # noqa: E402
from tidings.store import open_database  # noqa: E402
from tidings.store.bulk import execute_many  # noqa: E402
from tidings.store.schema import (  # noqa: E402
    answers,
    consent_events,
    followups,
    issues_done,
    send_log,
    send_runs,
    subscribers,
)

YEAR_END = datetime(2026, 11, 1, tzinfo=UTC)
YEAR_START = YEAR_END - timedelta(days=365)
PYPROJECT = '[tool.tidings]\nname = "Bench Club"\ntimezone = "Europe/Helsinki"\n'
Event = tuple[int, datetime, str | None, str, str, str | None]


def _member_life(rng: random.Random, sid: int, issue_times: list[datetime]) -> tuple[list[Event], str]:
    """One subscriber's consent events (and their final state)."""
    joined = YEAR_START - timedelta(days=365) + timedelta(seconds=rng.uniform(0, 2 * 365 * 86400))
    way = rng.random()
    events: list[Event] = []
    if way < 0.6:
        events.append((sid, joined - timedelta(minutes=30), None, "pending", "form:signup", None))
        events.append((sid, joined, "pending", "confirmed", "form:confirm", None))
    else:
        events.append((sid, joined, None, "confirmed", "import:members.csv" if way < 0.85 else "cli", None))
    state = "confirmed"
    if rng.random() < 0.18:
        left = joined + (YEAR_END - joined) * rng.random()
        state = rng.choices(("unsubscribed", "bounced", "complained"), (70, 25, 5))[0]
        earlier = [i for i, t in enumerate(issue_times) if t < left]
        detail = f"issue issue-{earlier[-1]:02d}" if state == "unsubscribed" and earlier else None
        events.append((sid, left, "confirmed", state, "list-unsubscribe-one-click", detail))
        if rng.random() < 0.1:
            back = left + (YEAR_END - left) * rng.random()
            events.append((sid, back, state, "confirmed", "form:confirm", None))
            state = "confirmed"
    return events, state


def _confirmed(events: list[Event], at: datetime) -> bool:
    current = None
    for _, moment, _, to_state, _, _ in events:
        if moment < at:
            current = to_state
    return current == "confirmed"


def generate(engine: sa.Engine, n: int) -> dict[str, int]:
    """Write the whole history; the row counts."""
    rng = random.Random(15)
    issue_times = [YEAR_START + timedelta(days=7 * i + 3, hours=8) for i in range(50)]
    people, events, lives = [], [], []
    for sid in range(1, n + 1):
        life, state = _member_life(rng, sid, issue_times)
        lives.append(life)
        events += life
        people.append((sid, f"member{sid:06d}@example.org", f"member{sid:06d}@example.org", state,
                       life[0][1], life[-1][1]))
    log, runs, done, given = [], [], [], []
    for i, sent_at in enumerate(issue_times):
        slug = f"issue-{i:02d}"
        runs.append((f"run-{i}", slug, "bench", 1, sent_at, sent_at, sent_at + timedelta(minutes=20)))
        audience = [sid for sid, life in enumerate(lives, start=1) if _confirmed(life, sent_at)]
        states = rng.choices(("sent", "bounced", "failed"), (98, 1, 1), k=len(audience))
        log += [(slug, sid, state, f"run-{i}", 1, sent_at)
                for sid, state in zip(audience, states, strict=True)]
        done.append((slug, sent_at + timedelta(minutes=20), states.count("sent")))
        if i % 5 == 0:
            for sid in rng.sample(audience, len(audience) // 20):
                for question in ("q1", "q2", "q3"):
                    given.append((f"survey-{i:02d}", question, f"r{sid}", rng.randrange(4), None, slug,
                                  sent_at + timedelta(hours=rng.uniform(1, 200))))
    tickets = [("reply", "x", "open" if k % 3 else "resolved", YEAR_START + timedelta(days=k % 365))
               for k in range(300)]
    with engine.begin() as c:
        execute_many(c, subscribers.insert(),
                     ("id", "email", "email_key", "state", "created_at", "updated_at"), people, subscribers)
        execute_many(c, consent_events.insert(), ("subscriber_id", "at", "from_state", "to_state", "source",
                                                  "detail"), events, consent_events)
        execute_many(c, send_runs.insert(), ("id", "issue", "host", "pid", "started_at", "heartbeat_at",
                                             "finished_at"), runs, send_runs)
        execute_many(c, send_log.insert(), ("issue", "subscriber_id", "state", "run_id", "attempts",
                                            "updated_at"), log, send_log)
        execute_many(c, issues_done.insert(), ("issue", "finished_at", "sent"), done, issues_done)
        execute_many(c, answers.insert(), ("survey", "question", "respondent", "option", "comment", "issue",
                                           "answered_at"), given, answers)
        execute_many(c, followups.insert(), ("source", "body", "state", "received_at"), tickets, followups)
    return {"subscribers": len(people), "consent events": len(events), "send log": len(log),
            "answers": len(given)}


def bare(engine: sa.Engine, start: datetime, end: datetime) -> None:
    """The plain counts the figures stand on."""
    e = consent_events.c
    with engine.connect() as c:
        latest = sa.select(e.subscriber_id, sa.func.max(e.id).label("last")).where(
            e.at < start).group_by(e.subscriber_id).subquery()
        c.execute(sa.select(sa.func.count()).select_from(latest.join(
            consent_events, consent_events.c.id == latest.c.last)).where(e.to_state == "confirmed")).scalar()
        c.execute(sa.select(e.to_state, sa.func.count()).where(e.at >= start, e.at < end)
                  .group_by(e.to_state)).all()
        issues = sa.select(send_runs.c.issue).where(send_runs.c.started_at >= start,
                                                    send_runs.c.started_at < end)
        c.execute(sa.select(send_log.c.issue, send_log.c.state, sa.func.count()).where(
            send_log.c.issue.in_(issues)).group_by(send_log.c.issue, send_log.c.state)).all()
        c.execute(sa.select(answers.c.survey, sa.func.count(sa.distinct(answers.c.respondent))).where(
            answers.c.answered_at < end).group_by(answers.c.survey)).all()


def timed(work: Any) -> float:
    began = time.perf_counter()
    work()
    return time.perf_counter() - began


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--subscribers", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="10,000 subscribers, one round")
    args = parser.parse_args()
    n, repeat = (10_000, 1) if args.quick else (args.subscribers, args.repeat)
    print(environment("SQLAlchemy", "pygal"))
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "pyproject.toml").write_text(PYPROJECT, encoding="utf-8")
        url = f"sqlite:///{root / 'bench.sqlite'}"
        engine = open_database(url=url)
        began = time.perf_counter()
        counts = generate(engine, n)
        print(f"generated in {time.perf_counter() - began:.1f} s: "
              + ", ".join(f"{v:,} {k}" for k, v in counts.items()))
        month, community = Month(2026, 10), load(root, history=False)
        zone = community.config.timezone
        now = datetime(2026, 11, 30, tzinfo=UTC)
        rounds: dict[str, list[float]] = {"bare": [], "figures": [], "report": []}
        for _ in range(repeat):
            rounds["bare"].append(timed(lambda: bare(engine, month.start(zone), month.end(zone))))
            rounds["figures"].append(timed(lambda: monthly_report(engine, community, month, now)))
            rounds["report"].append(timed(lambda: report(root, month="2026-10", database_url=url,
                                                         out=root / "reports", now=now)))
        engine.dispose()
        for line in (root / "reports" / "2026-10.md").read_text(encoding="utf-8").splitlines()[5:15]:
            print("   ", line)
    m = {k: statistics.median(v) for k, v in rounds.items()}
    print_summary([
        Row(f"report, whole command, {n:,} subscribers (median of {repeat})", f"{m['report']:.2f} s", "< 2 s",
            status(m["report"] < 2)),
        Row("figures alone (monthly_report)", f"{m['figures']:.2f} s", "", "info"),
        Row("bare SQL counts (baseline)", f"{m['bare']:.2f} s", "", "info"),
        Row("figures / bare", f"{m['figures'] / m['bare']:.1f}x", "", "info"),
    ])
    return 0


if __name__ == "__main__":
    sys.exit(main())
