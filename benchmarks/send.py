"""Benchmark sending an issue over SMTP: tidings against a bare aiosmtplib pool and smtp-source.

What is measured (everything on 127.0.0.1; the sink is Postfix's ``smtp-sink``, a C program that
throws messages away, started here on a free port and stopped at the end)
--------------------------------------------------------------------------------------------
1. **smtp-source** (the machine's limit): ``smtp-source -d -s K -m N -l 30000`` (``-d``: K
   persistent sessions, like the pool below; 30,000-byte payloads) -> messages per second.
2. **Bare aiosmtplib pool**: K connected ``aiosmtplib.SMTP`` clients, one task each pulling from a
   shared iterator, ``sendmail(sender, [f"m{i}@example.org"], DATA)`` with one pre-built message:
   the very bytes tidings builds for one subscriber (~30 KB, CRLF, QP lines < 76 octets). The time
   includes connecting and QUIT, as tidings' does.
3. **tidings end to end**: a fresh temporary community repo per K (the send log would make a
   second send a no-op) whose issue includes one early-access announcement sized so that a built
   message is ~30 KB; N confirmed subscribers bulk-inserted into its SQLite store (WAL,
   synchronous=FULL, on the temp dir's disk); then ``IssueSender(...).run()`` in this process with
   ``SMTPTransport`` and ``SendOptions(concurrency=K)``. Wall time around ``run()`` (it includes
   counting the audience, the send log, rendering the issue once and building every message).
   The ratio tidings / bare pool at the same K is the headline number (target >= 0.80).
4. **Memory flat in N**: peak RSS (``ru_maxrss``) of a child process (``--child``) that does the
   tidings send at K=4 for N/10 and for N subscribers, and their ratio (target < 1.3). The RSS
   right before ``run()`` (imports, content loaded) is printed too.
5. Each row checks that the sink counted exactly N messages and that tidings sent N, failed 0.

K is 1, 4 and 16. Per K, smtp-source runs once, then (bare pool, tidings) pairs run ``--repeat``
rounds (3 by default), each pair back to back so that a busy neighbour affects both alike; the
headline is the median of the per-round ratios (single rounds vary by 10-15% on a shared
machine), and the rates in the summary are medians too. The CPU seconds this process used are
printed next to each Python row.
The load average at the start is printed: the numbers mean little on a loaded machine.
A summary with targets and PASS/MISS is printed and written to ``benchmarks/results/send.json``
(``send-quick.json`` for ``--quick``). A MISS does not change the exit code; a failed check does.

Postfix's tools come from the Debian package ``postfix``; when ``smtp-sink`` is missing the
script runs ``scripts/install-system-deps --bench`` (debconf "No configuration": the Postfix
daemon is neither configured nor started; only the two test programs are used).

How to run (with the Python of the environment tidings is installed in)::

    python benchmarks/send.py                   # N = 10000
    python benchmarks/send.py --messages 50000
    python benchmarks/send.py --quick           # N = 1000, one round
    python benchmarks/send.py --repeat 5        # five (bare pool, tidings) rounds per K
    python benchmarks/send.py --profile         # only cProfile one tidings send (K=4, N=3000)
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import json
import os
import platform
import pstats
import re
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from statistics import median
from typing import Any

import aiosmtplib

import tidings.store
from tidings.content import load
from tidings.delivery.transport import SMTPTransport, parse_smtp_url
from tidings.mail.message import MessageTemplate, Recipient
from tidings.mail.render import IssueRenderer
from tidings.mail.sender import IssueSender, SendOptions, SendSummary
from tidings.store.schema import subscribers
from tidings.tokens import Signer

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
RESULTS_DIR = HERE / "results"
CONCURRENCY = (1, 4, 16)
MEMORY_CONCURRENCY = 4
TARGET_BYTES = 30_000
SENDER = "a@example.org"
SECRET = "s" * 32
MIN_RATIO = 0.80
MAX_MEMORY_RATIO = 1.3
PYPROJECT = """\
[tool.tidings]
name = "Bench Club"
site_url = "https://bench.example.org/"
timezone = "Europe/Helsinki"
newsletter_from = "Bench Club <news@bench.example.org>"
"""
NEWSLETTER = """\
---
subject: The benchmark issue
send_at: 2026-12-03T09:00
include:
  - content/announcements/big-news.md
---
Hello, this is the benchmark issue.
"""
ANNOUNCEMENT = """\
---
title: Big news
date: 2099-01-14T10:00
summary: An early-access announcement, told in full in the newsletter.
---
"""
PARAGRAPH = ("Paragraph {i}: the **offline maps** team shipped smaller packs, faster routing and "
             "a [new style](https://bench.example.org/styles/{i}/) this month. Translators, "
             "testers and mappers made it happen; thank you all, and see you at the next call.\n\n")


# -- the sink and the tools ------------------------------------------------------------------
def tool(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidate = Path("/usr/sbin") / name
    return str(candidate) if candidate.exists() else None


def ensure_postfix_tools() -> tuple[str, str]:
    """smtp-sink and smtp-source; install the Debian package (not its daemon) when missing."""
    if tool("smtp-sink") is None or tool("smtp-source") is None:
        print("smtp-sink not found: running scripts/install-system-deps --bench", flush=True)
        subprocess.run([str(REPO / "scripts" / "install-system-deps"), "--bench"], check=True)
    sink, source = tool("smtp-sink"), tool("smtp-source")
    if sink is None or source is None:
        sys.exit("smtp-sink/smtp-source still missing after installing postfix")
    if Path("/var/spool/postfix/pid/master.pid").exists():
        print("note: a Postfix master pid file exists; the benchmark does not use the daemon")
    return sink, source


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Sink:
    """``smtp-sink -c`` on 127.0.0.1; its running counter (``mesg=``) goes to a log file."""

    def __init__(self, binary: str, workdir: Path) -> None:
        self.port = free_port()
        self.log = workdir / "smtp-sink.log"
        command = [binary, "-c", "-m", "1000"]
        if os.geteuid() == 0:
            command += ["-u", "nobody"]  # required when run as root
        command += [f"127.0.0.1:{self.port}", "1000"]
        self.output = self.log.open("wb")
        self.process = subprocess.Popen(command, stdout=self.output, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 5
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                break
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"smtp-sink did not start: {self.log.read_text()}") from None
                time.sleep(0.05)

    def messages(self) -> int:
        """Messages received so far (the last ``mesg=`` of the counter)."""
        time.sleep(0.1)  # the counter is written when "." or QUIT is processed
        with self.log.open("rb") as f:
            f.seek(max(0, self.log.stat().st_size - 400))
            counts = re.findall(rb"mesg=(\d+)", f.read())
        return int(counts[-1]) if counts else 0

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.output.close()


# -- the community -----------------------------------------------------------------------------
def write_community(root: Path, paragraphs: int) -> None:
    files = {
        "pyproject.toml": PYPROJECT,
        "newsletters/bench.md": NEWSLETTER,
        "content/announcements/big-news.md":
            ANNOUNCEMENT + "".join(PARAGRAPH.format(i=i) for i in range(paragraphs)),
    }
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def sample_message(root: Path) -> bytes:
    """The message tidings builds for one subscriber of this community."""
    community = load(root)
    letter = community.newsletters[0]
    moment = datetime.now(UTC)
    rendered = IssueRenderer(community, letter, moment).render(None)
    template = MessageTemplate(rendered, community.config, Signer(SECRET))
    return template.build(Recipient(id="1", email="m1@example.org", name="Member 1"), moment)


def calibrate(workdir: Path) -> tuple[int, bytes]:
    """The announcement length (paragraphs) that makes a ~30 KB message, and that message."""
    sizes = {}
    for paragraphs in (10, 40):
        root = workdir / f"calibrate-{paragraphs}"
        write_community(root, paragraphs)
        sizes[paragraphs] = len(sample_message(root))
    per = (sizes[40] - sizes[10]) / 30
    paragraphs = max(1, round(10 + (TARGET_BYTES - sizes[10]) / per))
    root = workdir / "calibrated"
    write_community(root, paragraphs)
    data = sample_message(root)
    lines = data.split(b"\r\n")
    assert b"\n" not in data.replace(b"\r\n", b""), "bare LF in the message"
    assert max(len(line) for line in lines) < 998, "a line over 998 octets"
    return paragraphs, data


def make_community(workdir: Path, name: str, paragraphs: int, recipients: int) -> Path:
    """A fresh repo and database with ``recipients`` confirmed subscribers (one bulk INSERT)."""
    root = workdir / name
    write_community(root, paragraphs)
    engine = tidings.store.open_database(root)
    moment = datetime.now(UTC)
    rows = [{"email": f"member{i}@example.org", "email_key": f"member{i}@example.org",
             "name": f"Member {i}", "lang": "en", "timezone": None, "tags": "",
             "state": "confirmed", "created_at": moment, "updated_at": moment}
            for i in range(recipients)]
    with engine.begin() as connection:
        connection.execute(subscribers.insert(), rows)
    engine.dispose()
    return root


# -- the three senders -------------------------------------------------------------------------
@dataclass
class Row:
    kind: str
    concurrency: int
    messages: int
    seconds: float
    cpu_seconds: float | None = None

    @property
    def rate(self) -> float:
        return self.messages / self.seconds


def smtp_source(binary: str, port: int, concurrency: int, messages: int) -> Row:
    command = [binary, "-d", "-s", str(concurrency), "-m", str(messages), "-l", "30000",
               "-f", SENDER, "-t", "b@example.org", "-M", "localhost", f"127.0.0.1:{port}"]
    started = time.perf_counter()
    subprocess.run(command, check=True)
    return Row("smtp-source", concurrency, messages, time.perf_counter() - started)


async def _bare_pool(port: int, concurrency: int, messages: int, data: bytes) -> None:
    clients = [aiosmtplib.SMTP(hostname="127.0.0.1", port=port, start_tls=False)
               for _ in range(concurrency)]
    await asyncio.gather(*(client.connect() for client in clients))
    numbers = iter(range(messages))

    async def work(client: aiosmtplib.SMTP) -> None:
        for i in numbers:
            await client.sendmail(SENDER, [f"m{i}@example.org"], data)

    await asyncio.gather(*(work(client) for client in clients))
    await asyncio.gather(*(client.quit() for client in clients))


def bare_pool(port: int, concurrency: int, messages: int, data: bytes) -> Row:
    started, cpu = time.perf_counter(), time.process_time()
    asyncio.run(_bare_pool(port, concurrency, messages, data))
    return Row("bare pool", concurrency, messages, time.perf_counter() - started,
               time.process_time() - cpu)


def tidings_sender(root: Path, port: int, concurrency: int) -> IssueSender:
    community = load(root)
    transport = SMTPTransport(parse_smtp_url(f"smtp://127.0.0.1:{port}?starttls=0"))
    return IssueSender(tidings.store.open_database(root), community, community.newsletters[0],
                       transport, Signer(SECRET), SendOptions(concurrency=concurrency))


def check_summary(summary: SendSummary, expected: int) -> None:
    if (summary.sent, summary.failed, summary.bounced) != (expected, 0, 0):
        raise RuntimeError(f"tidings did not send everything: {summary.line()} {summary.errors[:3]}")


def tidings_send(root: Path, port: int, concurrency: int, expected: int) -> Row:
    sender = tidings_sender(root, port, concurrency)
    started, cpu = time.perf_counter(), time.process_time()
    summary = asyncio.run(sender.run())
    row = Row("tidings", concurrency, summary.sent, time.perf_counter() - started,
              time.process_time() - cpu)
    check_summary(summary, expected)
    return row


def rss_kb() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def child(root: Path, port: int, concurrency: int) -> None:
    """``--child``: one tidings send; a JSON line with the peak RSS on stdout."""
    sender = tidings_sender(root, port, concurrency)
    before = rss_kb()
    started = time.perf_counter()
    summary = asyncio.run(sender.run())
    elapsed = time.perf_counter() - started
    print(json.dumps({"sent": summary.sent, "failed": summary.failed, "seconds": elapsed,
                      "rss_before_run_kb": before,
                      "max_rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))


def child_peak(root: Path, port: int, expected: int) -> dict[str, Any]:
    out = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--child", str(root),
                          str(port), str(MEMORY_CONCURRENCY)],
                         check=True, stdout=subprocess.PIPE, text=True).stdout
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    if (result["sent"], result["failed"]) != (expected, 0):
        raise RuntimeError(f"child send incomplete: {result}")
    return result


# -- the report --------------------------------------------------------------------------------
@contextmanager
def workspace() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="tidings-send-bench-") as name:
        yield Path(name)


def expect(sink: Sink, before: int, messages: int, what: str) -> int:
    after = sink.messages()
    if after - before != messages:
        raise RuntimeError(f"{what}: the sink counted {after - before} messages, expected {messages}")
    return after


def print_row(row: Row, bare: Row | None = None) -> None:
    cpu = (f"  cpu {row.cpu_seconds:6.2f} s ({1000 * row.cpu_seconds / row.messages:.2f} ms/msg)"
           if row.cpu_seconds is not None else "")
    ratio = f"  = {row.rate / bare.rate:.2f} x bare pool" if bare else ""
    print(f"{row.kind:<12} K={row.concurrency:<3} {row.messages:>7} msgs {row.seconds:7.2f} s "
          f"{row.rate:8.0f} msg/s{cpu}{ratio}", flush=True)


def profile(sink: Sink, workdir: Path, paragraphs: int, messages: int) -> None:
    root = make_community(workdir, "profile", paragraphs, messages)
    sender = tidings_sender(root, sink.port, MEMORY_CONCURRENCY)
    profiler = cProfile.Profile()
    started = time.perf_counter()
    summary: SendSummary = profiler.runcall(asyncio.run, sender.run())
    elapsed = time.perf_counter() - started
    check_summary(summary, messages)
    print(f"\ncProfile of one tidings send, K={MEMORY_CONCURRENCY}, N={messages}: {elapsed:.2f} s "
          f"under the profiler ({messages / elapsed:.0f} msg/s)")
    for order in ("cumulative", "tottime"):
        text = io.StringIO()
        pstats.Stats(profiler, stream=text).sort_stats(order).print_stats(25)
        print(f"\n-- top 25 by {order} --")
        print(text.getvalue().split("\n\n", 1)[-1].rstrip())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=None, help="N (default 10000; 3000 for --profile)")
    parser.add_argument("--quick", action="store_true", help="N = 1000, one round")
    parser.add_argument("--repeat", type=int, default=None,
                        help="rounds of (bare pool, tidings) per concurrency (default 3)")
    parser.add_argument("--profile", action="store_true", help="only cProfile one tidings send (K=4)")
    parser.add_argument("--child", nargs=3, metavar=("ROOT", "PORT", "K"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.environ["CI"] = "true"  # plain progress lines, also in the children
    if args.child:
        child(Path(args.child[0]), int(args.child[1]), int(args.child[2]))
        return 0
    messages = args.messages or (1000 if args.quick else 3000 if args.profile else 10_000)
    repeat = max(1, args.repeat or (1 if args.quick else 3))

    load_average = os.getloadavg()
    print(f"load average at start: {load_average[0]:.2f} {load_average[1]:.2f} {load_average[2]:.2f} "
          f"({os.cpu_count()} CPUs); N = {messages}", flush=True)
    sink_binary, source_binary = ensure_postfix_tools()
    with workspace() as workdir:
        sink = Sink(sink_binary, workdir)
        try:
            paragraphs, data = calibrate(workdir)
            print(f"message: {len(data)} bytes ({paragraphs} paragraphs of announcement); "
                  f"smtp-sink on 127.0.0.1:{sink.port}", flush=True)
            if args.profile:
                profile(sink, workdir, paragraphs, messages)
                return 0
            rows: list[Row] = []
            ratios: dict[int, list[float]] = {}
            count = sink.messages()
            for k in CONCURRENCY:
                source = smtp_source(source_binary, sink.port, k, messages)
                count = expect(sink, count, messages, f"smtp-source K={k}")
                print_row(source)
                rows.append(source)
                for round_ in range(repeat):
                    bare = bare_pool(sink.port, k, messages, data)
                    count = expect(sink, count, messages, f"bare pool K={k}")
                    print_row(bare)
                    root = make_community(workdir, f"k{k}-{round_}", paragraphs, messages)
                    ours = tidings_send(root, sink.port, k, messages)
                    count = expect(sink, count, messages, f"tidings K={k}")
                    print_row(ours, bare)
                    rows += [bare, ours]
                    ratios.setdefault(k, []).append(ours.rate / bare.rate)
                if repeat > 1:
                    print(f"K={k}: tidings / bare pool per round "
                          f"{' '.join(f'{r:.2f}' for r in ratios[k])}, median {median(ratios[k]):.2f}",
                          flush=True)
            small_n = max(1, messages // 10)
            small = child_peak(make_community(workdir, "mem-small", paragraphs, small_n),
                               sink.port, small_n)
            large = child_peak(make_community(workdir, "mem-large", paragraphs, messages),
                               sink.port, messages)
            memory_ratio = large["max_rss_kb"] / small["max_rss_kb"]
            for n, result in ((small_n, small), (messages, large)):
                peak = result["max_rss_kb"] / 1024
                print(f"memory  K={MEMORY_CONCURRENCY} N={n:>7}: peak RSS {peak:6.1f} MB "
                      f"(RSS before run() {result['rss_before_run_kb'] / 1024:.1f} MB; "
                      f"{result['sent'] / result['seconds']:.0f} msg/s)")
            print(f"memory ratio N / (N/10): {memory_ratio:.2f}", flush=True)
        finally:
            sink.stop()

    metrics: list[tuple[str, float, str, bool | None]] = []
    for k in CONCURRENCY:
        def rate(kind: str, k: int = k) -> float:
            return median([r.rate for r in rows if r.concurrency == k and r.kind == kind])
        ratio = median(ratios[k])
        metrics.append((f"smtp-source K={k} (msg/s)", rate("smtp-source"), "info", None))
        metrics.append((f"bare pool K={k} (msg/s)", rate("bare pool"), "info", None))
        metrics.append((f"tidings K={k} (msg/s)", rate("tidings"), "info", None))
        metrics.append((f"tidings / bare pool K={k}", ratio, f">= {MIN_RATIO:.2f}", ratio >= MIN_RATIO))
    metrics.append(("peak RSS ratio N / (N/10)", memory_ratio, f"< {MAX_MEMORY_RATIO}",
                    memory_ratio < MAX_MEMORY_RATIO))
    print(f"\n{'metric':<32} {'measured':>10}  {'target':<8} result")
    for name, value, target, ok in metrics:
        verdict = "" if ok is None else "PASS" if ok else "MISS"
        print(f"{name:<32} {value:>10.2f}  {target:<8} {verdict}")

    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    out = RESULTS_DIR / ("send-quick.json" if args.quick else "send.json")
    out.write_text(json.dumps({
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"python": platform.python_version(), "platform": platform.platform(),
                    "cpus": os.cpu_count(), "load_average_at_start": load_average,
                    "aiosmtplib": metadata.version("aiosmtplib")},
        "messages": messages, "message_bytes": len(data), "rounds": repeat,
        "ratios": {str(k): v for k, v in ratios.items()},
        "rows": [{**asdict(r), "msgs_per_s": r.rate} for r in rows],
        "memory": {"concurrency": MEMORY_CONCURRENCY, "small": {"n": small_n, **small},
                   "large": {"n": messages, **large}},
        "metrics": [{"metric": n, "measured": v, "target": t, "pass": ok} for n, v, t, ok in metrics],
    }, indent=2) + "\n", encoding="utf-8")
    print(f"\nwritten to {out.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
