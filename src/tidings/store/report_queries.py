"""The monthly report's counts: members, joins and leaves, issues, survey answers. Counts only.

A member is a confirmed subscriber. A join is a consent event into ``confirmed`` from any other
state (or none); a leave is one out of ``confirmed``. So the members at a moment are the joins
before it minus the leaves before it, the same number as counting who was confirmed then.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa

from tidings.store.schema import answers, consent_events, send_log, send_runs
from tidings.store.transactions import Connection

LEAVE_STATES = ("unsubscribed", "bounced", "complained")
# A member's unsubscribe link is signed per issue; the collector records it as "issue SLUG".
ISSUE_DETAIL = "issue "

_e = consent_events.c
_JOIN = sa.and_(_e.to_state == "confirmed", sa.or_(_e.from_state.is_(None), _e.from_state != "confirmed"))
_LEAVE = sa.and_(_e.from_state == "confirmed", _e.to_state != "confirmed")


@dataclass(frozen=True)
class Flow:
    """Joins and leaves in one period; ``left`` by the state they left to."""

    joined: int = 0
    left: dict[str, int] = field(default_factory=dict)

    @property
    def left_total(self) -> int:
        return sum(self.left.values())


def _period(edges: list[datetime], low: int, high: int) -> sa.ColumnElement[int]:
    """The index of the first of ``edges[low:high]`` after the event (``high`` if none), as a
    binary tree of CASEs: a handful of comparisons per event instead of one per edge."""
    if low == high:
        return sa.literal(low)
    middle = (low + high) // 2
    return sa.case((_e.at < edges[middle], _period(edges, low, middle)),
                   else_=_period(edges, middle + 1, high))


def history(connection: Connection, edges: Sequence[datetime]) -> tuple[int, list[Flow]]:
    """The members at ``edges[0]`` and the joins and leaves of each period [edges[i], edges[i+1]),
    in one pass over the consent log (each event is put in its period once, then grouped)."""
    period = _period(list(edges), 0, len(edges))
    # Filtered below: a join is the only kept event that goes to ``confirmed``.
    kind = sa.case((_e.to_state == "confirmed", "joined"), else_=_e.to_state)
    # No condition on ``at`` in WHERE: one sequential scan beats the index on ``at`` and a lookup
    # per event (SQLite, ~3x); the events after the last edge fall in a period that is not read.
    query = (sa.select(period, kind, sa.func.count()).where(sa.or_(_JOIN, _LEAVE))
             .group_by(period, kind))
    counts: dict[int, dict[str, int]] = {}
    for index, what, count in connection.execute(query):
        counts.setdefault(int(index), {})[str(what)] = int(count)
    before = counts.get(0, {})
    at_start = before.pop("joined", 0) - sum(before.values())
    found = []
    for index in range(1, len(edges)):
        seen = counts.get(index, {})
        found.append(Flow(seen.pop("joined", 0), {**dict.fromkeys(LEAVE_STATES, 0), **seen}))
    return at_start, found


def join_sources(connection: Connection, since: datetime, until: datetime) -> dict[str, int]:
    """Joins in [since, until) by the consent event's source as recorded (``form:confirm``, ``import:F``…)."""
    query = (sa.select(_e.source, sa.func.count()).where(_e.at >= since, _e.at < until, _JOIN)
             .group_by(_e.source))
    return {str(source): int(count) for source, count in connection.execute(query)}


@dataclass(frozen=True)
class IssueCounts:
    """One issue's send: who it was for, and what became of it."""

    issue: str
    first_sent: datetime
    recipients: int
    delivered: int
    failed: int
    bounced: int
    unsubscribes: int = 0


def issues_started(connection: Connection, since: datetime, until: datetime) -> list[str]:
    """Issues whose first send run started in [since, until), in that order."""
    first = sa.func.min(send_runs.c.started_at)
    query = (sa.select(send_runs.c.issue, first).group_by(send_runs.c.issue)
             .having(sa.and_(first >= since, first < until)).order_by(first, send_runs.c.issue))
    return [str(issue) for issue, _ in connection.execute(query)]


def issue_counts(connection: Connection, issues: Sequence[str], until: datetime) -> list[IssueCounts]:
    """Send-log counts of ``issues``, and the unsubscribes their links caused before ``until``."""
    if not issues:
        return []
    s = send_log.c
    states = (sa.select(s.issue, s.state, sa.func.count()).where(s.issue.in_(issues))
              .group_by(s.issue, s.state))
    by_issue: dict[str, dict[str, int]] = {issue: {} for issue in issues}
    for issue, state, count in connection.execute(states):
        by_issue[str(issue)][str(state)] = int(count)
    unsubscribes = unsubscribes_by_issue(connection, issues, until)
    started = dict(connection.execute(sa.select(send_runs.c.issue, sa.func.min(send_runs.c.started_at))
                                      .where(send_runs.c.issue.in_(issues)).group_by(send_runs.c.issue)).all())
    found = []
    for issue in issues:
        n = by_issue[issue]
        # Skipped rows are people who left before their turn: the issue was never for them.
        found.append(IssueCounts(issue, started[issue], sum(v for k, v in n.items() if k != "skipped"),
                                 n.get("sent", 0), n.get("failed", 0) + n.get("sending", 0),
                                 n.get("bounced", 0), unsubscribes.get(issue, 0)))
    return found


def unsubscribes_by_issue(connection: Connection, issues: Sequence[str], until: datetime) -> dict[str, int]:
    """Unsubscribes before ``until`` through the links of ``issues`` (issues with none are left out)."""
    details = [ISSUE_DETAIL + issue for issue in issues]
    # ``at`` is tested in the count, not in WHERE: a scan, not a lookup per event by the index on ``at``.
    before = sa.func.sum(sa.case((_e.at < until, 1), else_=0))
    leaving = (sa.select(_e.detail, before).where(_e.detail.in_(details), _e.to_state == "unsubscribed")
               .group_by(_e.detail))
    return {str(detail)[len(ISSUE_DETAIL):]: int(n) for detail, n in connection.execute(leaving) if n}


def delivered(connection: Connection, issues: Iterable[str], until: datetime) -> int:
    """Messages accepted by the relay of those of ``issues`` whose send began before ``until``
    (the people a survey in them reached by then)."""
    wanted = list(issues)
    if not wanted:
        return 0
    began = (sa.select(send_runs.c.issue).where(send_runs.c.issue.in_(wanted)).group_by(send_runs.c.issue)
             .having(sa.func.min(send_runs.c.started_at) < until))
    return int(connection.execute(sa.select(sa.func.count()).select_from(send_log).where(
        send_log.c.issue.in_(began), send_log.c.state == "sent")).scalar() or 0)


@dataclass(frozen=True)
class SurveyCounts:
    """Answers to one survey before a moment: respondents, options chosen, comments."""

    respondents: int
    options: dict[str, dict[int, int]]  # question id -> option number -> answers
    comments_in_month: int


def survey_counts(connection: Connection, survey: str, since: datetime, until: datetime) -> SurveyCounts:
    """Answers to ``survey`` given before ``until``; comments counted in [since, until)."""
    a = answers.c
    before = sa.and_(a.survey == survey, a.answered_at < until)
    respondents = connection.execute(
        sa.select(sa.func.count(sa.distinct(a.respondent))).where(before)).scalar()
    options: dict[str, dict[int, int]] = {}
    for question, option, count in connection.execute(
            sa.select(a.question, a.option, sa.func.count()).where(before).group_by(a.question, a.option)):
        options.setdefault(str(question), {})[int(option)] = int(count)
    comments = connection.execute(sa.select(sa.func.count()).select_from(answers).where(
        before, a.answered_at >= since, a.comment.is_not(None), a.comment != "")).scalar()
    return SurveyCounts(int(respondents or 0), options, int(comments or 0))


def surveys_answered(connection: Connection, since: datetime, until: datetime) -> list[str]:
    """Surveys that got answers in [since, until)."""
    query = sa.select(answers.c.survey).distinct().where(
        answers.c.answered_at >= since, answers.c.answered_at < until)
    return sorted(str(s) for s in connection.execute(query).scalars())
