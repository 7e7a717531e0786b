"""The send log: who an issue was sent to, claimed before each message leaves.

For every recipient the log goes ``sending`` (claimed by a run, committed before the message
leaves) -> ``sent`` | ``bounced`` | ``failed`` | ``skipped``. The claim is an INSERT on the
(issue, subscriber) primary key, so two runs at once can never both claim someone. A run that
died leaves ``sending`` rows; the next run takes them over and sends them again: nobody misses
the issue, and only messages accepted but not yet logged at the crash can arrive twice.

The hot path (``claim``, ``record``, ``departed``) runs on connections held for the whole run,
with plain SQL: a few set-based statements per batch or per flush, whatever their size.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from tidings.store.schema import issues_done, send_log, send_runs, subscribers
from tidings.store.subscribers import record_state

LEASE = timedelta(seconds=120)  # a run silent for this long is considered dead
RESULT_CHUNK = 500  # ids per statement: well under any database's limit on parameters

# (subscriber id, state, attempts, last error)
Result = tuple[int, str, int, str | None]


class Claim(NamedTuple):
    mine: list[int]  # claimed by this run: send to them now
    skipped: int  # left the list since the audience was read
    already: int  # sent (or bounced, or skipped) by an earlier run


def sql(dialect: sa.Dialect, text: str, *lists: int) -> str:
    """``text`` with ``?`` as the driver's placeholder and ``{0}``, ``{1}``... as IN lists."""
    p = "?" if dialect.name == "sqlite" else "%s"
    return text.replace("?", p).format(*(", ".join([p] * n) for n in lists))


class Lookout:
    """Reads who left the list, on a connection of its own that sees every commit at once.

    SQLite: plain reads outside any transaction on the driver's connection (~10 us each, cheap
    enough for the event loop's own thread). PostgreSQL: autocommit, one statement per read;
    use it from one thread of its own.
    """

    def __init__(self, engine: sa.Engine) -> None:
        self.connection = engine.connect()
        self.sqlite = engine.dialect.name == "sqlite"
        if not self.sqlite:
            self.connection = self.connection.execution_options(isolation_level="AUTOCOMMIT")

    def departed(self, ids: Sequence[int]) -> set[int]:
        """Those of ``ids`` who are no longer confirmed, as committed right now."""
        gone: set[int] = set()
        for start in range(0, len(ids), RESULT_CHUNK):
            chunk = ids[start:start + RESULT_CHUNK]
            text = sql(self.connection.dialect, "SELECT id FROM subscribers "
                       "WHERE state <> 'confirmed' AND id IN ({0})", len(chunk))
            if self.sqlite:
                # Outside a transaction each SELECT reads the latest commit.
                rows = self.connection.connection.driver_connection.execute(text, tuple(chunk))  # type: ignore[union-attr]
            else:
                rows = self.connection.exec_driver_sql(text, tuple(chunk))
            gone.update(row[0] for row in rows)
        return gone

    def close(self) -> None:
        """Give the connection back."""
        self.connection.close()


def _insert(engine: sa.Engine) -> Callable[[sa.Table], sa.Insert]:
    if engine.dialect.name == "postgresql":
        return lambda table: postgresql.insert(table).on_conflict_do_nothing()
    if engine.dialect.name == "sqlite":
        return lambda table: sqlite.insert(table).on_conflict_do_nothing()
    raise NotImplementedError(f"database {engine.dialect.name} is not supported")


def _alive(host: str, pid: int) -> bool:
    if host != socket.gethostname():
        return True  # cannot tell: rely on the heartbeat lease
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class SendLog:
    """The send log as one run of one issue sees it: start, claim, record, finish."""

    def __init__(self, engine: sa.Engine, issue: str, run_id: str, clock: Callable[[], datetime]) -> None:
        self.engine = engine
        self.issue = issue
        self.run_id = run_id
        self.clock = clock
        self.insert = _insert(engine)

    def stamp(self, moment: datetime) -> object:
        """A moment as the store's UTCDateTime column keeps it (naive UTC; text on SQLite)."""
        value = sa.DateTime().bind_processor(self.engine.dialect)
        naive = moment.astimezone(UTC).replace(tzinfo=None)
        return value(naive) if value else naive

    def start(self) -> None:
        """Register this run; take over the recipients claimed by runs that died."""
        moment = self.clock()
        with self.engine.begin() as connection:
            connection.execute(send_runs.insert().values(
                id=self.run_id, issue=self.issue, host=socket.gethostname(), pid=os.getpid(),
                started_at=moment, heartbeat_at=moment))
            runs = connection.execute(sa.select(send_runs).where(
                send_runs.c.issue == self.issue, send_runs.c.finished_at.is_(None),
                send_runs.c.id != self.run_id)).all()
            dead = [r.id for r in runs if r.heartbeat_at < moment - LEASE or not _alive(r.host, r.pid)]
            if dead:
                # Their claimed recipients may not have received it: this run sends them again.
                connection.execute(send_log.update().where(
                    send_log.c.issue == self.issue, send_log.c.run_id.in_(dead),
                    send_log.c.state == "sending").values(run_id=self.run_id, updated_at=moment))
                connection.execute(send_runs.update().where(send_runs.c.id.in_(dead))
                                   .values(finished_at=moment))

    def claim(self, connection: sa.Connection, ids: list[int]) -> Claim:
        """Claim ``ids`` for this run: those it must send to now, and the others' counts."""
        n = len(ids)
        issue, run = self.issue, self.run_id
        stamp = self.stamp(self.clock())
        run_sql = connection.exec_driver_sql
        d = connection.dialect
        with connection.begin():
            # The INSERT is the claim: on the (issue, subscriber) key, so nobody twice.
            run_sql(sql(d, "INSERT INTO send_log (issue, subscriber_id, state, run_id, attempts, "
                           "updated_at) SELECT ?, id, 'sending', ?, 0, ? FROM subscribers "
                           "WHERE id IN ({0}) ON CONFLICT DO NOTHING", n), (issue, run, stamp, *ids))
            # Earlier transient failures are tried again by the next run.
            run_sql(sql(d, "UPDATE send_log SET state = 'sending', run_id = ?, updated_at = ? "
                           "WHERE issue = ? AND state = 'failed' AND subscriber_id IN ({0})", n),
                    (run, stamp, issue, *ids))
            # Whoever left since the audience was read is not sent to.
            left = {r[0] for r in run_sql(sql(
                d, "SELECT id FROM subscribers WHERE state <> 'confirmed' AND id IN ({0})", n), tuple(ids))}
            skipped = 0
            if left:
                skipped = run_sql(sql(
                    d, "UPDATE send_log SET state = 'skipped', last_error = 'unsubscribed during the send', "
                       "updated_at = ? WHERE issue = ? AND run_id = ? AND state = 'sending' "
                       "AND subscriber_id IN ({0})", len(left)), (stamp, issue, run, *left)).rowcount
            claimed = run_sql(sql(d, "SELECT count(*) FROM send_log WHERE issue = ? AND run_id = ? "
                                     "AND state = 'sending' AND subscriber_id IN ({0})", n),
                              (issue, run, *ids)).scalar()
            if claimed == n:  # the usual case: all of them, no rows to read back
                return Claim(ids, skipped=skipped, already=0)
            rows = run_sql(sql(d, "SELECT subscriber_id, state, run_id FROM send_log "
                                  "WHERE issue = ? AND subscriber_id IN ({0})", n), (issue, *ids)).all()
        mine = {sid for sid, state, owner in rows if state == "sending" and owner == run}
        return Claim([sid for sid in ids if sid in mine],
                     skipped=sum(1 for _, state, owner in rows if state == "skipped" and owner == run),
                     already=sum(1 for _, state, owner in rows
                                 if state in ("sent", "bounced", "skipped") and owner != run))

    def record(self, connection: sa.Connection, results: list[Result],
               bounces: list[tuple[int, str]]) -> None:
        """Commit results and bounces to the log in one transaction, and beat the heart."""
        moment = self.clock()
        stamp = self.stamp(moment)
        run_sql = connection.exec_driver_sql
        d = connection.dialect
        # Sent at the first attempt is nearly everyone: one UPDATE per chunk of ids.
        first_time = [sid for sid, state, attempts, _ in results if state == "sent" and attempts == 1]
        others = [(state, attempts, error, stamp, self.issue, sid)
                  for sid, state, attempts, error in results if not (state == "sent" and attempts == 1)]
        with connection.begin():
            for start in range(0, len(first_time), RESULT_CHUNK):
                chunk = first_time[start:start + RESULT_CHUNK]
                run_sql(sql(d, "UPDATE send_log SET state = 'sent', attempts = 1, last_error = NULL, "
                               "updated_at = ? WHERE issue = ? AND subscriber_id IN ({0})", len(chunk)),
                        (stamp, self.issue, *chunk))
            if others:
                run_sql(sql(d, "UPDATE send_log SET state = ?, attempts = ?, last_error = ?, "
                               "updated_at = ? WHERE issue = ? AND subscriber_id = ?"), others)
            for sid, detail in bounces:
                current = connection.execute(sa.select(subscribers.c.state).where(
                    subscribers.c.id == sid)).scalar()
                if current == "confirmed":
                    record_state(connection, sid, "confirmed", "bounced", "smtp", detail, at=moment)
            run_sql(sql(d, "UPDATE send_runs SET heartbeat_at = ? WHERE id = ?"), (stamp, self.run_id))

    def finish(self, connection: sa.Connection, *, dry_run: bool = False) -> bool:
        """End the run; record the issue done when nobody is left. True if it is done."""
        moment = self.clock()
        with connection.begin():
            # Runs of one issue finish one at a time, so the last one sees every other's results
            # (on SQLite the UPDATE below, the first statement, takes the database's write lock).
            if connection.dialect.name != "sqlite":
                connection.execute(sa.select(send_runs.c.id).where(send_runs.c.issue == self.issue)
                                   .with_for_update())
            # Claimed but never tried (the run stopped early): the next run sends them.
            connection.execute(send_log.update().where(
                send_log.c.issue == self.issue, send_log.c.run_id == self.run_id,
                send_log.c.state == "sending").values(
                state="failed", last_error="not sent: the run stopped early", updated_at=moment))
            open_rows = connection.execute(sa.select(sa.func.count()).select_from(send_log).where(
                send_log.c.issue == self.issue, send_log.c.state.in_(("sending", "failed")))).scalar()
            connection.execute(send_runs.update().where(send_runs.c.id == self.run_id)
                               .values(finished_at=moment, heartbeat_at=moment))
            if open_rows or dry_run:
                return False
            total = connection.execute(sa.select(sa.func.count()).select_from(send_log).where(
                send_log.c.issue == self.issue, send_log.c.state == "sent")).scalar()
            connection.execute(self.insert(issues_done).values(
                issue=self.issue, finished_at=moment, sent=int(total or 0)))
        return True


def finished_issues(engine: sa.Engine) -> set[str]:
    """Slugs of the issues whose send has finished (sent to everyone in their audience)."""
    with engine.connect() as connection:
        return {row.issue for row in connection.execute(sa.select(issues_done.c.issue))}
