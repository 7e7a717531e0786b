"""Benchmark ``subscribers import``: N rows, fresh and again, on SQLite and PostgreSQL.

What is measured
----------------
A generated CSV of N rows (default 100,000; ``member000001@example.org`` …) with the columns an
export has: email, first and last name, language, timezone, two tags (Mailchimp quoting), a
status (90 % subscribed, 6 % unsubscribed, 3 % cleaned, 1 % pending) and an opt-in time.
For each database, in the same run:

1. **bare**: the same N subscribers and their consent events (one per row, two for those who
   left: opted in, then left), values already converted, written by the driver's own
   ``executemany`` (sqlite3 / psycopg) in one transaction into a fresh database with the
   same schema. No reading, no validation, no lookups: the floor for these rows.
2. **fresh**: ``import_csv`` of the file into a fresh database (reading, validating every cell,
   batches of 2,000 rows, each its own transaction).
3. **again**: ``import_csv`` of the same file into that database (everything already there).

SQLite is a file in a temporary folder (WAL, synchronous=FULL, as tidings opens it). PostgreSQL
is a throwaway server started here like the tests' ``postgres_server`` fixture (initdb + pg_ctl
on 127.0.0.1, a free port, fsync off) and stopped at the end; each measurement gets a new
database. Each (bare, fresh, again) triple runs ``--repeat`` times (3 by default); the summary
shows medians. Wall seconds are the headline; this process's CPU seconds are printed too (they
barely move when something else shares the CPUs). After every import the row and event counts
and the states are checked; a failed check exits non-zero, a MISS does not.

Targets: fresh import within 5x of bare and under 10 s, on both databases.

How to run (with the Python of the environment tidings is installed in)::

    python benchmarks/import.py                # N = 100,000, 3 rounds
    python benchmarks/import.py --quick        # N = 10,000, one round
    python benchmarks/import.py --only sqlite  # one database
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from statistics import median
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository: tests.postgres_support
import machine  # benchmarks/machine.py: this folder is on sys.path when run as a script
import sqlalchemy as sa
from machine import Row, print_summary, status

from tests.postgres_support import PostgresMissing, throwaway_postgres
from tidings.store import open_database
from tidings.store.importer import import_csv
from tidings.store.schema import consent_events, subscribers

HERE = Path(__file__).resolve().parent
RESULTS_DIR = HERE / "results"
TARGET_RATIO = 5.0
TARGET_SECONDS = 10.0
FIRST = ("Aino", "Jörg", "Ana", "Eleni", "Yu-Chen", "Mariana", "Olli", "Lea")
LAST = ("Virtanen", "Weiß", "Souza", "Papadopoulou", "Lin", "", "Berg", "Niemi")
LANGS = ("en", "fi", "pt-BR", "de", "el", "")
ZONES = ("Europe/Helsinki", "America/Sao_Paulo", "Asia/Taipei", "", "Europe/Berlin")
TAGS = ('"Translators","Beta testers"', '"Mappers"', "", '"Beta testers"')
STATES = {"subscribed": "confirmed", "unsubscribed": "unsubscribed", "cleaned": "bounced",
          "pending": "pending"}
START = datetime(2020, 1, 1, tzinfo=UTC)


def status_of(i: int) -> str:
    slot = i % 100
    return "unsubscribed" if slot < 6 else "cleaned" if slot < 9 else "pending" if slot < 10 else "subscribed"


def make_csv(path: Path, n: int) -> None:
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("Email Address,First Name,Last Name,Language,Timezone,Tags,Status,Opt-in time\n")
        for i in range(1, n + 1):
            tags = TAGS[i % len(TAGS)].replace('"', '""')
            optin = (START + timedelta(minutes=i)).strftime("%Y-%m-%d %H:%M:%S")
            out.write(f"member{i:06d}@example.org,{FIRST[i % 8]},{LAST[i % 7]},{LANGS[i % 6]},"
                      f"{ZONES[i % 5]},\"{tags}\",{status_of(i)},{optin}\n")


def bare_rows(n: int, moment: datetime) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The rows the import writes, as the bare insert writes them (before the clock)."""
    people, events = [], []
    for i in range(1, n + 1):
        state, optin = STATES[status_of(i)], START + timedelta(minutes=i)
        tags = ",".join(sorted({"translators", "beta testers"} if i % 4 == 1 else
                               {"mappers"} if i % 4 == 2 else set() if i % 4 == 3 else {"beta testers"}))
        last = LAST[i % 7]
        email = f"member{i:06d}@example.org"
        people.append({"id": i, "email": email, "email_key": email,
                       "name": f"{FIRST[i % 8]} {last}".strip(), "lang": LANGS[i % 6] or None,
                       "timezone": ZONES[i % 5] or None, "tags": tags, "state": state, "created_at": optin,
                       "updated_at": moment})
        detail = f"csv: status={status_of(i)}; consent time from Opt-in time"
        if state in ("unsubscribed", "bounced"):
            events.append({"subscriber_id": i, "at": optin, "from_state": None, "to_state": "confirmed",
                           "source": "import:members.csv", "detail": detail})
        events.append({"subscriber_id": i, "at": moment if state in ("unsubscribed", "bounced") else optin,
                       "from_state": "confirmed" if state in ("unsubscribed", "bounced") else None,
                       "to_state": state, "source": "import:members.csv", "detail": detail})
    return people, events


def driver_params(engine: sa.Engine, table: sa.Table, rows: list[dict[str, Any]]) -> tuple[str, list[Any]]:
    """The INSERT for the driver and its parameters, every value converted by its column's type."""
    dialect = engine.dialect
    compiled = table.insert().compile(dialect=dialect, column_keys=list(rows[0]))
    convert = {c.name: c.type.dialect_impl(dialect).bind_processor(dialect) for c in table.columns}

    def value(key: str, v: Any) -> Any:
        fn = convert[key]
        return fn(v) if fn and v is not None else v

    if compiled.positiontup:
        return compiled.string, [tuple(value(k, r[k]) for k in compiled.positiontup) for r in rows]
    return compiled.string, [{k: value(k, v) for k, v in r.items()} for r in rows]


def timed(fn: Any) -> tuple[Any, float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn()
    return result, time.perf_counter() - wall, time.process_time() - cpu


def bare(engine: sa.Engine, n: int) -> tuple[float, float]:
    people, events = bare_rows(n, datetime.now(UTC))
    statements = [driver_params(engine, subscribers, people), driver_params(engine, consent_events, events)]

    def write() -> None:
        raw = engine.raw_connection()
        try:
            cursor = raw.cursor()
            for sql, params in statements:
                cursor.executemany(sql, params)
            raw.commit()
        finally:
            raw.close()

    _, wall, cpu = timed(write)
    return wall, cpu


def check(engine: sa.Engine, n: int, label: str) -> None:
    expected: dict[str, int] = {}
    for i in range(1, n + 1):
        expected[STATES[status_of(i)]] = expected.get(STATES[status_of(i)], 0) + 1
    left = expected.get("unsubscribed", 0) + expected.get("bounced", 0)
    with engine.connect() as connection:
        states = dict(connection.execute(sa.select(subscribers.c.state, sa.func.count())
                                         .group_by(subscribers.c.state)).all())
        count = connection.execute(sa.select(sa.func.count()).select_from(consent_events)).scalar()
    if states != expected or count != n + left:
        raise SystemExit(f"{label}: wrong result: states {states} (expected {expected}), "
                         f"{count} consent events (expected {n + left})")


@contextmanager
def postgres_server() -> Iterator[str]:
    """A throwaway PostgreSQL cluster on 127.0.0.1 (the tests' recipe); yields its URL without a database."""
    try:
        with throwaway_postgres() as url:
            yield url.rsplit("/", 1)[0]
    except PostgresMissing as exc:
        raise SystemExit(f"{exc}; use --only sqlite") from None


class Databases:
    """A fresh, migrated database per measurement: a SQLite file, or a new PostgreSQL database."""

    def __init__(self, workdir: Path, server: str | None) -> None:
        self.workdir, self.server = workdir, server

    def fresh(self) -> sa.Engine:
        name = f"b_{uuid.uuid4().hex[:10]}"
        if self.server is None:
            return open_database(url=f"sqlite:///{self.workdir / name}.sqlite")
        admin = sa.create_engine(f"{self.server}/postgres", isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(sa.text(f"CREATE DATABASE {name}"))
        admin.dispose()
        return open_database(url=f"{self.server}/{name}")


def measure(kind: str, databases: Databases, path: Path, n: int) -> dict[str, float]:
    engine = databases.fresh()
    bare_wall, bare_cpu = bare(engine, n)
    engine.dispose()
    engine = databases.fresh()
    _, fresh_wall, fresh_cpu = timed(lambda: import_csv(engine, path))
    check(engine, n, f"{kind} fresh")
    result, again_wall, again_cpu = timed(lambda: import_csv(engine, path))
    check(engine, n, f"{kind} again")
    if result.added or result.updated or result.left:
        raise SystemExit(f"{kind} again: the second import changed something: {result}")
    engine.dispose()
    row = {"bare_s": bare_wall, "bare_cpu_s": bare_cpu, "fresh_s": fresh_wall, "fresh_cpu_s": fresh_cpu,
           "again_s": again_wall, "again_cpu_s": again_cpu, "ratio": fresh_wall / bare_wall}
    print(f"{kind:<10} bare {bare_wall:6.2f} s (cpu {bare_cpu:5.2f})  fresh {fresh_wall:6.2f} s "
          f"(cpu {fresh_cpu:5.2f}) = {row['ratio']:4.1f}x bare  again {again_wall:6.2f} s "
          f"(cpu {again_cpu:5.2f})", flush=True)
    return row


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=None, help="N (default 100000; 10000 for --quick)")
    parser.add_argument("--quick", action="store_true", help="N = 10000, one round")
    parser.add_argument("--repeat", type=int, default=None, help="rounds per database (default 3)")
    parser.add_argument("--only", choices=("sqlite", "postgresql"), help="one database only")
    args = parser.parse_args()
    n = args.rows or (10_000 if args.quick else 100_000)
    repeat = max(1, args.repeat or (1 if args.quick else 3))
    load = os.getloadavg()
    print(f"load average at start: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} ({os.cpu_count()} CPUs); "
          f"N = {n}, {repeat} round(s)", flush=True)
    results: dict[str, list[dict[str, float]]] = {}
    with tempfile.TemporaryDirectory(prefix="tidings-import-bench-") as directory:
        workdir = Path(directory)
        os.chmod(workdir, 0o755)  # the PostgreSQL server runs as its own user
        path = workdir / "members.csv"
        make_csv(path, n)
        for kind in ("sqlite", "postgresql"):
            if args.only and args.only != kind:
                continue
            with (postgres_server() if kind == "postgresql" else nullcontext()) as server:
                databases = Databases(workdir, server)
                results[kind] = [measure(kind, databases, path, n) for _ in range(repeat)]
    rows = []
    for kind, rounds in results.items():
        m = {k: median(r[k] for r in rounds) for k in rounds[0]}
        rows += [Row(f"{kind}: fresh import / bare executemany (median)", f"{m['ratio']:.1f}x",
                     f"<= {TARGET_RATIO:.0f}x", status(m["ratio"] <= TARGET_RATIO)),
                 Row(f"{kind}: fresh import of {n:,} rows", f"{m['fresh_s']:.2f} s",
                     f"< {TARGET_SECONDS:.0f} s", status(m["fresh_s"] < TARGET_SECONDS)),
                 Row(f"{kind}: bare executemany", f"{m['bare_s']:.2f} s", "", "info"),
                 Row(f"{kind}: import again (nothing changes)", f"{m['again_s']:.2f} s", "", "info")]
    print_summary(rows)
    RESULTS_DIR.mkdir(exist_ok=True)
    out = RESULTS_DIR / ("import-quick.json" if args.quick else "import.json")
    out.write_text(json.dumps({"environment": machine.environment("sqlalchemy", "psycopg", load=load),
                               "rows": n, "rounds": results}, indent=2) + "\n", encoding="utf-8")
    print(f"\nresults: {out}")
    return 0


@contextmanager
def nullcontext() -> Iterator[None]:
    yield None


if __name__ == "__main__":
    raise SystemExit(main())
