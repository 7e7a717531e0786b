"""Benchmark the collector: survey answers per second into SQLite, against ``GET /health``.

What is measured (everything on 127.0.0.1)
-----------------------------------------
Setup: a temporary community repo (one survey, ``pulse``: two questions with three options,
comments allowed) and N = 2 x COUNT subscribers bulk-inserted into its SQLite store
(``.tidings/tidings.sqlite``: WAL, synchronous=FULL, on the temp dir's disk). One survey token is
signed per subscriber. The real server is started as a subprocess: ``python -m tidings --root R
collect --workers 2`` (uvicorn, two worker processes sharing the database), and ``GET /health`` is
polled until it answers. Before the server starts and after it stops, the **sqlite ceiling** is
measured: commits/s of one plain sqlite3 connection with the store's pragmas (WAL,
synchronous=FULL) on the same disk, one one-row INSERT per transaction. The collector commits once
per answer, so this bounds answers/s whatever the web stack does (and shows how busy the disk is).

uvicorn's "auto" loop and HTTP parser are whatever the environment has: uvloop + httptools when
installed, else asyncio + h11 (tidings does not choose); the stack is printed and saved. ``--plain``
hides uvloop and httptools from the server (a sitecustomize.py on its PYTHONPATH) to measure
asyncio + h11 where both are installed.

First, **health/1**: ``GET /health`` on one keep-alive connection, one request at a time (200
requests or 5 s): the server's latency floor. With ``--workers`` > 1 on asyncio it is ~44 ms on
Linux: uvicorn's pre-bound socket leaves Nagle's algorithm on (Kludex/uvicorn#3149; uvloop sets
TCP_NODELAY itself), so the response body waits for the client's delayed ACK; with K keep-alive
connections that alone caps any route at K / 44 ms.

Then, for each load generator (K = 50 concurrent requests, a bounded run: COUNT requests or SECONDS,
whichever comes first, every request with a 10 s timeout):

1. **health** (the baseline: the same server's most trivial route, ``SELECT 1``) -> requests/s.
2. **pages**: one ``GET /s/TOKEN?q=happy&a=I`` per token the next step uses (bounded by 3 x SECONDS);
   the ``csrf`` value of each form is kept (it is valid 24 h) -> page views/s.
3. **answers**: ``POST /s/TOKEN`` with ``csrf``, one or both ``q:QUESTION=INDEX`` and sometimes a
   ``comment``. About four POSTs in five come from a subscriber not seen yet (inserts); the others
   re-answer a subscriber last seen at least 1,000 POSTs before (a replacement, or an insert for the
   other question), so no two POSTs of one subscriber are in flight together.
   Afterwards the ``answers`` table is compared with every POST that got a 200: each (respondent,
   question) pair must be there with the option last sent, and nothing else (durability check).

Latency is per request, measured in the client (it includes the client's own queueing). Any status
other than 2xx, or a timeout / connection error, counts as an error. The two load generators are
``httpx`` (K tasks, each with its own ``AsyncClient``: one AsyncClient shared by 50 tasks spends its
CPU in httpcore's pool bookkeeping, see encode/httpx#3215) and ``raw`` (K asyncio stream connections
with keep-alive writing pre-built HTTP/1.1 requests: a much lighter client). The load generator
shares the 2 CPUs with the server's workers, so every row prints the CPU used during it, in % of one
core (the machine has 200): this process (client), the server and its workers (from /proc), the rest
of the machine (other, from /proc/stat) and steal. A client near 100 % is the bottleneck.

Targets: >= 1,000 answers/s with p99 < 100 ms, 0 errors, 0 answers lost. A summary table is printed
and written to ``benchmarks/results/collector.json`` (``-quick``, ``-w1``, ``-plain`` are added to
the name for ``--quick``, ``--workers 1``, ``--plain``).
A MISS does not change the exit code; a failed durability check or errors do.

``--profile`` instead runs one worker under cProfile (``python -m cProfile -o ... -m tidings ...
collect --workers 1``) during a short answers load with the raw client (the forms are fetched
before, from an unprofiled server), stops it with SIGINT and prints the top 25 functions by
cumulative and by total time, and what ``survey_post`` calls. The profile is kept in
``benchmarks/results/collector.prof`` (``collector-plain.prof`` with ``--plain``).

How to run (with the Python of the environment tidings is installed in)::

    python benchmarks/collector.py            # 20,000 requests or 20 s per row
    python benchmarks/collector.py --quick    # 2,000 requests or 5 s per row
    python benchmarks/collector.py --workers 1  # the same with one uvicorn worker
    python benchmarks/collector.py --plain    # the server on asyncio + h11 (no uvloop/httptools)
    python benchmarks/collector.py --profile  # cProfile one worker (3,000 POSTs or 10 s)
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import os
import platform
import pstats
import random
import re
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import sqlalchemy as sa

from tidings.store import open_database
from tidings.store.schema import answers, subscribers
from tidings.tokens import Signer

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
RESULTS_DIR = HERE / "results"
SECRET = "bench-collector-secret-" + "k" * 16
CONCURRENCY = 50
REQUEST_TIMEOUT = 10.0
TICK = os.sysconf("SC_CLK_TCK")
TARGET_RATE = 1000.0
TARGET_P99_MS = 100.0
QUESTIONS = ("happy", "often")
PACKAGES = ("uvicorn", "starlette", "httpx", "sqlalchemy", "uvloop", "httptools")
CSRF = re.compile(rb'name="csrf" value="([^"]+)"')
PYPROJECT = """\
[tool.tidings]
name = "Bench Club"
site_url = "https://club.example.org/"
collector_url = "http://127.0.0.1:{port}/"
timezone = "Europe/Helsinki"
"""
SURVEY = """\
---
id: pulse
title: Pulse
closes: 2099-01-01
allow_comment: true
questions:
  - id: happy
    text: Are you happy?
    options: [Yes, Somewhat, No]
  - id: often
    text: How often do you come?
    options: [Daily, Weekly, Rarely]
---
Tell us.
"""


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    body: bytes = b""


@dataclass
class Row:
    client: str
    kind: str
    statuses: list[int | None]  # per call: HTTP status, 0 for a timeout/connection error, None if not sent
    latencies_ms: list[float]
    cpu: dict[str, float]  # seconds: wall; CPU seconds: client, server, other (rest of the machine), steal

    @property
    def sent(self) -> int:
        return sum(s is not None for s in self.statuses)

    @property
    def errors(self) -> int:
        return sum(s is not None and not 200 <= s < 300 for s in self.statuses)

    @property
    def rate(self) -> float:
        return self.sent / self.cpu["wall"]

    def summary(self) -> dict[str, Any]:
        ms = sorted(self.latencies_ms)
        wall = self.cpu["wall"]
        return {"client": self.client, "kind": self.kind, "requests": self.sent, "errors": self.errors,
                "seconds": round(wall, 3), "per_s": round(self.rate, 1),
                "p50_ms": round(statistics.median(ms), 2), "p99_ms": round(ms[int(len(ms) * 0.99)], 2),
                "max_ms": round(ms[-1], 2),
                **{f"{k}_cpu_pct": round(100 * v / wall) for k, v in self.cpu.items() if k != "wall"}}


# -- the server ------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def make_community(root: Path, port: int, count: int) -> None:
    for name, text in {"pyproject.toml": PYPROJECT.format(port=port),
                       "content/surveys/pulse.md": SURVEY}.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    engine = open_database(root)
    moment = datetime.now(UTC)
    with engine.begin() as connection:
        connection.execute(subscribers.insert(), [
            {"id": i, "email": f"m{i}@example.org", "email_key": f"m{i}@example.org", "tags": "",
             "state": "confirmed", "created_at": moment, "updated_at": moment}
            for i in range(1, count + 1)])
    engine.dispose()


def server_stack(workdir: Path, plain: bool) -> tuple[str, dict[str, str]]:
    """What uvicorn's "auto" loop and HTTP parser pick in the server, and its environment. With
    ``plain``, a sitecustomize.py on its PYTHONPATH hides uvloop and httptools from the server and
    its workers, so uvicorn falls back to asyncio + h11 (tidings does not choose them)."""
    env = {**os.environ, "TIDINGS_SECRET": SECRET, "CI": "true"}
    fast = [m for m in ("uvloop", "httptools") if importlib.util.find_spec(m) is not None]
    if plain and fast:
        hide = workdir / "plain"
        hide.mkdir()
        (hide / "sitecustomize.py").write_text("import sys\n\n"
                                               "sys.modules.update(uvloop=None, httptools=None)\n")
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(hide), env.get("PYTHONPATH")]))
        fast = []
    loop = "uvloop" if "uvloop" in fast else "asyncio"
    return f"{loop} + {'httptools' if 'httptools' in fast else 'h11'}", env


def start_server(root: Path, port: int, workers: int, log: Path, prefix: list[str],
                 env: dict[str, str]) -> subprocess.Popen[bytes]:
    command = [*prefix, "-m", "tidings", "--root", str(root), "collect", "--host", "127.0.0.1",
               "--port", str(port), "--workers", str(workers)]
    with log.open("wb") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    deadline = time.monotonic() + 30
    try:
        while time.monotonic() < deadline and process.poll() is None:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200 and \
                        log.read_text().count("Application startup complete") >= workers:
                    return process
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"the collector did not start:\n{log.read_text()}")
    except BaseException:
        stop_server(process)
        raise


def stop_server(process: subprocess.Popen[bytes], sig: int = signal.SIGTERM) -> None:
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)  # its own session: the server and its workers
            process.wait()


def tree_cpu(pid: int) -> float:
    """User + system CPU seconds of a process and its (live) descendants, from /proc."""
    stats: dict[int, tuple[int, float]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            stats[int(entry.name)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / TICK)
    tree = {pid}
    for _ in range(4):  # the server, its workers (and whatever they start)
        tree |= {p for p, (parent, _) in stats.items() if parent in tree}
    return sum(stats.get(p, (0, 0.0))[1] for p in tree)


class Meter:
    """Wall time and CPU seconds between start() and stop(): this process, the server, the rest, steal."""

    def __init__(self, server_pid: int) -> None:
        self.server_pid = server_pid
        self.marks: dict[str, float] = {}
        self.result: dict[str, float] = {}

    def sample(self) -> dict[str, float]:
        jiffies = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
        # user nice system idle iowait irq softirq steal
        return {"wall": time.perf_counter(), "client": time.process_time(),
                "server": tree_cpu(self.server_pid),
                "busy": (sum(jiffies[:3]) + jiffies[5] + jiffies[6]) / TICK, "steal": jiffies[7] / TICK}

    def start(self) -> None:
        self.marks = self.sample()

    def stop(self) -> None:
        end = self.sample()
        d = {k: end[k] - self.marks[k] for k in end}
        self.result = {"wall": d["wall"], "client": d["client"], "server": d["server"],
                       "other": max(0.0, d["busy"] - d["client"] - d["server"]), "steal": d["steal"]}


@dataclass
class Load:
    """One bounded run: the requests, in order, pulled by the tasks until COUNT or the deadline."""
    calls: list[Call]
    seconds: float
    keep: Callable[[int, bytes], None] | None
    meter: Meter
    concurrency: int = CONCURRENCY
    statuses: list[int | None] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    deadline: float = 0.0

    def __post_init__(self) -> None:
        self.statuses = [None] * len(self.calls)
        self.position = iter(range(len(self.calls)))

    def begin(self) -> None:
        self.meter.start()
        self.deadline = time.perf_counter() + self.seconds

    def next(self) -> int | None:
        i = next(self.position, None)
        return None if i is None or time.perf_counter() > self.deadline else i


# -- the load generators -----------------------------------------------------------------------
async def _httpx(base: str, load: Load) -> None:
    # One client (one keep-alive connection) per task: a single AsyncClient shared by 50 tasks spends
    # most of its CPU in httpcore's pool bookkeeping (O(connections x queued requests) per pass).
    # verify=False: no CA bundle loaded per client (plain HTTP anyway). Clients are made before the clock.
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    clients = [httpx.AsyncClient(base_url=base, timeout=REQUEST_TIMEOUT, verify=False)
               for _ in range(load.concurrency)]

    async def work(client: httpx.AsyncClient) -> None:
        while (i := load.next()) is not None:
            call = load.calls[i]
            started = time.perf_counter()
            try:
                response = await client.request(call.method, call.path, content=call.body or None,
                                                headers=form if call.body else None)
                load.statuses[i] = response.status_code
                if load.keep:
                    load.keep(i, response.content)
            except httpx.HTTPError:
                load.statuses[i] = 0
            load.latencies.append((time.perf_counter() - started) * 1000)

    load.begin()
    await asyncio.gather(*(work(c) for c in clients))
    load.meter.stop()
    for client in clients:
        await client.aclose()


async def _raw(base: str, load: Load) -> None:
    host, port = base.removeprefix("http://").split(":")
    wire = []
    for call in load.calls:
        head = f"{call.method} {call.path} HTTP/1.1\r\nHost: {host}:{port}\r\n"
        if call.body:
            head += ("Content-Type: application/x-www-form-urlencoded\r\n"
                     f"Content-Length: {len(call.body)}\r\n")
        wire.append(head.encode() + b"\r\n" + call.body)

    async def work() -> None:
        reader: asyncio.StreamReader | None = None
        writer: asyncio.StreamWriter | None = None
        while (i := load.next()) is not None:
            started = time.perf_counter()
            try:
                async with asyncio.timeout(REQUEST_TIMEOUT):
                    if reader is None or writer is None:
                        reader, writer = await asyncio.open_connection(host, int(port))
                    writer.write(wire[i])
                    head = (await reader.readuntil(b"\r\n\r\n")).lower()
                    length = re.search(rb"\r\ncontent-length: *(\d+)", head)
                    if length is None:
                        raise ConnectionError("no Content-Length in the response")
                    body = await reader.readexactly(int(length.group(1)))
                load.statuses[i] = int(head[9:12])
                if load.keep:
                    load.keep(i, body)
                if b"\r\nconnection: close" in head:
                    writer.close()
                    reader = writer = None
            except (OSError, TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
                load.statuses[i] = 0
                if writer is not None:
                    writer.close()
                reader = writer = None
            load.latencies.append((time.perf_counter() - started) * 1000)
        if writer is not None:
            writer.close()

    load.begin()
    await asyncio.gather(*(work() for _ in range(load.concurrency)))
    load.meter.stop()


CLIENTS = {"httpx": _httpx, "raw": _raw}


def drive(client: str, kind: str, base: str, server_pid: int, calls: list[Call], seconds: float,
          keep: Callable[[int, bytes], None] | None = None, concurrency: int = CONCURRENCY) -> Row:
    load = Load(calls, seconds, keep, Meter(server_pid), concurrency)
    asyncio.run(CLIENTS[client](base, load))
    row = Row(client, kind, load.statuses, load.latencies, load.meter.result)
    s = row.summary()
    print(f"{client:<6} {kind:<8} {s['requests']:>6} req in {s['seconds']:6.2f} s = {s['per_s']:>7.1f}/s  "
          f"p50 {s['p50_ms']:6.1f} ms  p99 {s['p99_ms']:6.1f} ms  max {s['max_ms']:7.1f} ms  "
          f"errors {s['errors']}  CPU % of one core: client {s['client_cpu_pct']} "
          f"server {s['server_cpu_pct']} other {s['other_cpu_pct']} steal {s['steal_cpu_pct']}", flush=True)
    return row


def sqlite_ceiling(path: Path, count: int, seconds: float) -> dict[str, float]:
    """Commits/s of one sqlite3 connection with the store's pragmas (WAL, synchronous=FULL) on the same
    disk, one one-row INSERT per transaction: the storage ceiling for one-transaction-per-answer."""
    connection = sqlite3.connect(path, isolation_level=None)
    for pragma in ("journal_mode=WAL", "synchronous=FULL"):
        connection.execute(f"PRAGMA {pragma}")
    connection.execute("CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT)")
    started, done = time.perf_counter(), 0
    while done < count and time.perf_counter() - started < seconds:
        connection.execute("BEGIN")
        connection.execute("INSERT INTO t VALUES (?, ?)", (done, "x" * 64))
        connection.execute("COMMIT")
        done += 1
    elapsed = time.perf_counter() - started
    connection.close()
    result = {"commits": done, "seconds": round(elapsed, 3), "per_s": round(done / elapsed, 1)}
    print(f"sqlite ceiling: {done} commits in {elapsed:.2f} s = {result['per_s']:.0f}/s "
          f"({1000 * elapsed / done:.2f} ms each; one connection, WAL, synchronous=FULL)", flush=True)
    return result


# -- the survey workload -----------------------------------------------------------------------
@dataclass
class Answers:
    """The POSTs of one run and what the database must hold once they are answered."""
    calls: list[Call] = field(default_factory=list)
    chosen: list[tuple[int, dict[str, int]]] = field(default_factory=list)  # (subscriber, {question: option})


def fetch_forms(client: str, base: str, pid: int, tokens: dict[int, str],
                seconds: float) -> tuple[Row, dict[int, str]]:
    """GET each token's survey page once; return the row and subscriber -> csrf."""
    ids = list(tokens)
    calls = [Call("GET", f"/s/{tokens[s]}?q=happy&a={s % 3}") for s in ids]
    found: dict[int, str] = {}

    def keep(i: int, body: bytes) -> None:
        match = CSRF.search(body)
        if match:
            found[ids[i]] = match.group(1).decode()

    return drive(client, "pages", base, pid, calls, seconds, keep), found


def plan_answers(tokens: dict[int, str], csrf: dict[int, str], count: int, seed: int) -> Answers:
    rng = random.Random(seed)
    fresh = [s for s in tokens if s in csrf]
    plan, used, last = Answers(), 0, dict[int, int]()
    for i in range(count):
        subscriber = fresh[rng.randrange(used - 1000)] if i % 5 == 4 and used > 1000 else 0
        if last.get(subscriber, -1000) > i - 1000:  # no two POSTs of one subscriber in flight together
            subscriber = 0
        if not subscriber:
            if used == len(fresh):
                break
            subscriber, used = fresh[used], used + 1
        last[subscriber] = i
        questions = QUESTIONS if rng.random() < 0.3 else (rng.choice(QUESTIONS),)
        chosen = {q: rng.randrange(3) for q in questions}
        form = {"csrf": csrf[subscriber], **{f"q:{q}": str(o) for q, o in chosen.items()}}
        if rng.random() < 0.2:
            form["comment"] = f"Nice evening, thank you! ({i})"
        plan.calls.append(Call("POST", f"/s/{tokens[subscriber]}", urlencode(form).encode()))
        plan.chosen.append((subscriber, chosen))
    return plan


def check_database(root: Path, expected: dict[tuple[str, str], int], unconfirmed: int) -> dict[str, int]:
    """The answers table against every answer that got a 200 ((respondent, question) -> option)."""
    engine = open_database(root)
    with engine.connect() as connection:
        stored = {(r.respondent, r.question): r.option for r in connection.execute(
            sa.select(answers.c.respondent, answers.c.question, answers.c.option))}
    engine.dispose()
    result = {"rows": len(stored), "expected": len(expected),
              "missing": sum(k not in stored for k in expected),
              "wrong_option": sum(k in stored and stored[k] != v for k, v in expected.items()),
              "unexpected": sum(k not in expected for k in stored), "unconfirmed_posts": unconfirmed}
    print(f"       database: {result['rows']} answer rows, {result['expected']} expected from the 200s; "
          f"missing {result['missing']}, wrong option {result['wrong_option']}, "
          f"unexpected {result['unexpected']} (POSTs without a response: {unconfirmed})", flush=True)
    return result


def record(plan: Answers, row: Row, signer: Signer, expected: dict[tuple[str, str], int]) -> int:
    """Add the answers confirmed by a 200 (in plan order) to ``expected``; return how many got none."""
    unconfirmed = 0
    for (subscriber, chosen), status in zip(plan.chosen, row.statuses, strict=True):
        if status == 200:
            respondent = signer.digest("respondent", "pulse", str(subscriber), length=16)
            expected.update({(respondent, q): o for q, o in chosen.items()})
        elif status == 0:
            unconfirmed += 1
    return unconfirmed


def bottleneck(s: dict[str, Any], workers: int) -> str:
    """Which side ran out of CPU during a row (percentages are of one core; the machine has 200)."""
    if s["client_cpu_pct"] >= 90:
        return f"the load generator is the bottleneck (client {s['client_cpu_pct']} % of its one core)"
    if s["server_cpu_pct"] >= 90 * min(workers, 2):
        return f"the server is CPU-bound ({s['server_cpu_pct']} % for {workers} worker process(es))"
    if s["client_cpu_pct"] + s["server_cpu_pct"] + s["other_cpu_pct"] >= 180:
        return ("the 2 CPUs are saturated (client {client_cpu_pct} + server {server_cpu_pct} "
                "+ other processes {other_cpu_pct} %)".format(**s))
    return (f"neither side is CPU-bound (server {s['server_cpu_pct']} % of 200): "
            "the requests wait on I/O or locks")


# -- the two modes -----------------------------------------------------------------------------
def benchmark(workdir: Path, count: int, seconds: float, quick: bool, workers: int, plain: bool) -> int:
    port, signer = free_port(), Signer(SECRET)
    root, base = workdir / "club", f"http://127.0.0.1:{port}"
    n = len(CLIENTS) * count
    make_community(root, port, n)
    tokens = {s: signer.sign("survey", str(s), "bench", "pulse") for s in range(1, n + 1)}
    stack, env = server_stack(workdir, plain)
    print(f"{n} subscribers, {n} tokens; collector with {workers} workers ({stack}) on {base}; "
          f"K = {CONCURRENCY}; {count} requests or {seconds:.0f} s per row", flush=True)
    ceilings = [sqlite_ceiling(workdir / "before.sqlite", count // 4, seconds / 4)]
    server = start_server(root, port, workers, workdir / "collector.log", [sys.executable], env)
    rows: list[Row] = []
    checks: list[dict[str, Any]] = []
    expected: dict[tuple[str, str], int] = {}
    try:
        # One keep-alive connection, one request at a time: the latency floor of the server.
        alone = drive("raw", "health/1", base, server.pid, [Call("GET", "/health")] * 200, 5, concurrency=1)
        for number, client in enumerate(CLIENTS):
            mine = {s: tokens[s] for s in range(number * count + 1, (number + 1) * count + 1)}
            health = drive(client, "health", base, server.pid, [Call("GET", "/health")] * count, seconds)
            # about 4 POSTs in 5 come from fresh subscribers (all of the first 1,000)
            needed = dict(list(mine.items())[:min(count, int(count * 0.82) + 250)])
            pages, csrf = fetch_forms(client, base, server.pid, needed, 3 * seconds)
            plan = plan_answers(mine, csrf, count, seed=number)
            distinct = len({subscriber for subscriber, _ in plan.chosen})
            print(f"       plan: {len(plan.calls)} POSTs from {distinct} subscribers "
                  f"({len(plan.calls) - distinct} repeat answers)", flush=True)
            posts = drive(client, "answers", base, server.pid, plan.calls, seconds)
            unconfirmed = record(plan, posts, signer, expected)
            checks.append({"client": client, **check_database(root, expected, unconfirmed)})
            rows += [health, pages, posts]
    finally:
        stop_server(server)
    ceilings.append(sqlite_ceiling(workdir / "after.sqlite", count // 4, seconds / 4))

    metrics: list[tuple[str, float, str, bool | None]] = []
    for client in CLIENTS:
        h, g, a = (r.summary() for r in rows if r.client == client)
        metrics += [
            (f"{client}: answers/s", a["per_s"], f">= {TARGET_RATE:.0f}", a["per_s"] >= TARGET_RATE),
            (f"{client}: answers p50 ms", a["p50_ms"], "", None),
            (f"{client}: answers p99 ms", a["p99_ms"], f"< {TARGET_P99_MS:.0f}", a["p99_ms"] < TARGET_P99_MS),
            (f"{client}: answers max ms", a["max_ms"], "", None),
            (f"{client}: answer errors", a["errors"], "0", a["errors"] == 0),
            (f"{client}: health req/s", h["per_s"], "", None),
            (f"{client}: health p50 ms", h["p50_ms"], "", None),
            (f"{client}: health p99 ms", h["p99_ms"], "", None),
            (f"{client}: answers/s / health/s", a["per_s"] / h["per_s"], "", None),
            (f"{client}: page views/s", g["per_s"], "", None),
        ] + [(f"{client}: {who} CPU % (answers)", a[f"{who}_cpu_pct"], "of 200", None)
             for who in ("client", "server", "other")]
        print(f"{client}: answers run: {bottleneck(a, workers)}")
    one = alone.summary()
    metrics.append(("health, 1 keep-alive conn: p50 ms", one["p50_ms"], "", None))
    if one["p50_ms"] > 30:
        print(f"note: {one['p50_ms']:.0f} ms per request on one keep-alive connection: the response "
              "body waits for the client's delayed ACK (uvicorn --workers N on asyncio leaves Nagle "
              "on, Kludex/uvicorn#3149), which caps K connections at K / that many requests/s")
    metrics += [(f"sqlite ceiling commits/s, {when}", c["per_s"], "", None)
                for when, c in zip(("before", "after"), ceilings, strict=True)]
    lost = checks[-1]["missing"] + checks[-1]["wrong_option"]
    metrics.append(("answers lost or wrong in the DB", lost, "0", lost == 0))
    print(f"\n{'metric':<36} {'measured':>10}  {'target':<10} result")
    for name, value, target, ok in metrics:
        verdict = "" if ok is None else "PASS" if ok else "MISS"
        print(f"{name:<36} {value:>10.2f}  {target:<10} {verdict}")

    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    out = RESULTS_DIR / "collector{}{}{}.json".format(
        "-quick" if quick else "", "" if workers == 2 else f"-w{workers}", "-plain" if plain else "")
    out.write_text(json.dumps({
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"python": platform.python_version(), "platform": platform.platform(),
                    "cpus": os.cpu_count(), "load_average_at_start": LOAD_AVERAGE,
                    **{p: metadata.version(p) for p in PACKAGES if importlib.util.find_spec(p)}},
        "server_stack": stack, "subscribers": n, "concurrency": CONCURRENCY, "count": count,
        "seconds": seconds, "workers": workers,
        "sqlite_ceiling": ceilings, "one_connection": one, "rows": [r.summary() for r in rows],
        "database": checks,
        "metrics": [{"metric": m, "measured": v, "target": t, "pass": ok} for m, v, t, ok in metrics],
    }, indent=2) + "\n", encoding="utf-8")
    print(f"\nwritten to {out.relative_to(REPO)}")
    bad = any(r.errors for r in rows) or lost or checks[-1]["unexpected"] > checks[-1]["unconfirmed_posts"]
    return 1 if bad else 0


def profile(workdir: Path, count: int, seconds: float, plain: bool) -> int:
    """cProfile one worker while it records answers (the forms are fetched from an unprofiled server)."""
    stack, env = server_stack(workdir, plain)
    print(f"server stack: {stack}", flush=True)
    port, signer = free_port(), Signer(SECRET)
    root, base = workdir / "club", f"http://127.0.0.1:{port}"
    make_community(root, port, count)
    tokens = {s: signer.sign("survey", str(s), "bench", "pulse") for s in range(1, count + 1)}
    server = start_server(root, port, 1, workdir / "pages.log", [sys.executable], env)
    try:
        _, csrf = fetch_forms("raw", base, server.pid, tokens, 3 * seconds)
    finally:
        stop_server(server)
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    prof = RESULTS_DIR / f"collector{'-plain' if plain else ''}.prof"
    server = start_server(root, port, 1, workdir / "collector.log",
                          [sys.executable, "-m", "cProfile", "-o", str(prof)], env)
    try:
        drive("raw", "answers", base, server.pid, plan_answers(tokens, csrf, count, seed=0).calls, seconds)
    finally:
        stop_server(server, signal.SIGINT)  # uvicorn shuts down; cProfile writes the file on the way out
    print(f"profile of the server process (start, answers, stop) in {prof.relative_to(REPO)}")
    for order in ("cumulative", "tottime"):
        print(f"\n== top 25 by {order} ==")
        pstats.Stats(str(prof)).sort_stats(order).print_stats(25)
    pstats.Stats(str(prof)).sort_stats("cumulative").print_callees("survey_post")
    return 0


LOAD_AVERAGE = os.getloadavg()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="2,000 requests or 5 s per row")
    parser.add_argument("--profile", action="store_true", help="cProfile one worker under a short load")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn workers (default 2)")
    parser.add_argument("--plain", action="store_true",
                        help="hide uvloop and httptools from the server: asyncio + h11")
    args = parser.parse_args()
    count, seconds = (2000, 5.0) if args.quick else (3000, 10.0) if args.profile else (20_000, 20.0)
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in LOAD_AVERAGE)} ({os.cpu_count()} CPUs)",
          flush=True)
    with tempfile.TemporaryDirectory(prefix="tidings-collector-bench-") as tmp:
        if args.profile:
            return profile(Path(tmp), count, seconds, args.plain)
        return benchmark(Path(tmp), count, seconds, args.quick, args.workers, args.plain)


if __name__ == "__main__":
    sys.exit(main())
