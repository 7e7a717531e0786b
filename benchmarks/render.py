"""Benchmark newsletter rendering and per-subscriber message building on one core.

What is measured (single process, no threads, with the example community at the repo root and
its issue ``2026-12``)
--------------------------------------------------------------------------------------------
1. **Setup**: seconds for ``IssueRenderer(...)`` + ``render(None)`` (jinja2 -> MJML -> HTML and
   the text part, once per issue), for ``MessageTemplate(...)`` (the static parts QP-encoded
   once), and for each of 3 extra timezones; the HTML size in KB.
2. **Personalized messages per second**: a generator yields N ``Recipient`` objects one at a
   time (ids "1".."N", ``member{i}@example.org``, ASCII and non-ASCII names, every third one with
   one of 3 timezones, which gets that timezone's rendering and ``MessageTemplate``); each
   message is built and discarded, only the byte count is kept. Timed without tracemalloc,
   best of 3 runs (wall clock; each run's CPU time is printed too, to spot a busy machine).
3. **Peak memory flat in N**: the same streaming loop for N/10 and N recipients under
   ``tracemalloc`` (started after the setup); the peak of Python allocations during each loop
   and their ratio.
4. **Baseline**: the naive way, best of 3 runs of N/30 recipients (same content):
   ``str.replace`` of the ``%%tidings:...%%`` placeholders in the rendered HTML and text, then
   a standard library ``email.message.EmailMessage`` (same headers, ``set_content`` +
   ``add_alternative``, ``as_bytes()``); messages per second and the speed-up tidings / baseline.
5. **Validation** (before any timing): one tidings message and one baseline message parse as
   multipart/alternative with text/plain and text/html; tidings' decoded HTML and text equal
   the rendered ones with the personal links spliced in; no ``%%tidings:`` placeholder is
   left; no raw line exceeds 998 octets. The script exits non-zero if any check fails.

A summary with targets and PASS/MISS is printed and written to ``benchmarks/results/render.json``
(``render-quick.json`` for ``--quick``). A MISS does not change the exit code.

How to run (with the Python of the environment tidings is installed in)::

    python benchmarks/render.py                   # N = 10000
    python benchmarks/render.py --recipients 50000
    python benchmarks/render.py --quick           # N = 1000
    python benchmarks/render.py --profile         # also cProfile 2,000 builds (top functions)
"""

from __future__ import annotations

import argparse
import cProfile
import email
import email.policy
import gc
import io
import json
import os
import pstats
import sys
import time
import tracemalloc
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import machine  # benchmarks/machine.py: this folder is on sys.path when run as a script
from machine import Row, print_summary, status

from tidings.content import load
from tidings.delivery.headers import address
from tidings.mail.message import MessageTemplate, Recipient
from tidings.mail.render import PLACEHOLDER_RE, IssueRenderer, RenderedIssue
from tidings.tokens import Signer

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
RESULTS_DIR = HERE / "results"
SLUG = "2026-12"
NOW = datetime(2026, 11, 23, tzinfo=UTC)
SECRET = "s" * 32
ZONES = tuple(ZoneInfo(key) for key in ("Europe/Helsinki", "America/Sao_Paulo", "Asia/Tokyo"))
NAMES: tuple[str | None, ...] = (
    "Ann Example", "Δήμητρα Παπαδοπούλου", "王秀英", "Jyrki Määttä", "Lena Brandt", None,
    "Γιώργος Νικολάου", "李雷", "Aino Virtanen", "Mariana Costa", "Päivi Hämäläinen", "O'Brien, Seán",
)
MIN_MSGS_PER_S = 2000.0
MAX_MEMORY_RATIO = 1.5
GMAIL_CLIP_KB = 102.0
PROFILE_BUILDS = 2000
REPEAT = 3


def recipients(count: int) -> Iterator[Recipient]:
    """N subscribers, one at a time; every third has one of the 3 timezones."""
    for i in range(1, count + 1):
        zone = ZONES[(i // 3) % len(ZONES)] if i % 3 == 0 else None
        yield Recipient(id=str(i), email=f"member{i}@example.org", name=NAMES[i % len(NAMES)],
                        timezone=zone)


class Templates:
    """One ``RenderedIssue`` and ``MessageTemplate`` per timezone, made on first use."""

    def __init__(self, renderer: IssueRenderer, signer: Signer) -> None:
        self.renderer = renderer
        self.signer = signer
        self.by_zone: dict[str, MessageTemplate] = {}

    def __call__(self, zone: ZoneInfo | None) -> MessageTemplate:
        key = str(zone)
        template = self.by_zone.get(key)
        if template is None:
            rendered = self.renderer.render(zone)
            template = MessageTemplate(rendered, self.renderer.config, self.signer)
            self.by_zone[key] = template
        return template


Build = Callable[[Recipient], bytes]


def tidings_build(templates: Templates) -> Build:
    def build(recipient: Recipient) -> bytes:
        return templates(recipient.timezone).build(recipient, NOW)
    return build


def baseline_build(templates: Templates) -> Build:
    """The naive way: replace the placeholders, then let ``EmailMessage`` encode everything."""
    def build(recipient: Recipient) -> bytes:
        template = templates(recipient.timezone)
        issue, config = template.issue, template.config
        values = template.personal_values(recipient)

        def personal(text: str) -> str:
            for key, value in values.items():
                text = text.replace(f"%%tidings:{key}%%", value)
            return text

        msg = EmailMessage(policy=email.policy.SMTP)
        msg["From"] = config.sender
        msg["To"] = address(recipient.name, recipient.email)
        msg["Subject"] = issue.subject
        msg["Date"] = format_datetime(NOW)
        msg["Message-ID"] = template.message_id(recipient)
        msg["List-Id"] = config.list_identifier
        msg["List-Unsubscribe"] = f"<{config.collector('u/' + values['unsubscribe'])}>"
        msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        if config.reply_to:
            msg["Reply-To"] = config.reply_to
        msg.set_content(personal(issue.text))
        msg.add_alternative(personal(issue.html), subtype="html")
        return msg.as_bytes()
    return build


def spliced(text: str, template: MessageTemplate, recipient: Recipient) -> str:
    values = template.personal_values(recipient)
    return PLACEHOLDER_RE.sub(lambda m: values[m.group(1)], text)


def validate(data: bytes, rendered: RenderedIssue | None, template: MessageTemplate,
             recipient: Recipient) -> list[str]:
    """What is wrong with one built message (empty: nothing)."""
    errors = [f"line {n} is {len(line)} octets (> 998)"
              for n, line in enumerate(data.split(b"\r\n"), start=1) if len(line) > 998]
    msg = email.message_from_bytes(data, policy=email.policy.default)
    if msg.get_content_type() != "multipart/alternative":
        return [*errors, f"top-level type is {msg.get_content_type()}, not multipart/alternative"]
    parts = {part.get_content_type(): part for part in msg.iter_parts()}
    if set(parts) != {"text/plain", "text/html"}:
        return [*errors, f"parts are {sorted(parts)}, not text/plain + text/html"]
    decoded = {kind: part.get_content().replace("\r\n", "\n") for kind, part in parts.items()}
    errors += [f"{kind} still contains a %%tidings: placeholder"
               for kind, body in decoded.items() if "%%tidings:" in body]
    if rendered is not None:  # tidings: the spliced bodies must decode to exactly the rendering
        for kind, source in (("text/html", rendered.html), ("text/plain", rendered.text)):
            if decoded[kind] != spliced(source, template, recipient).replace("\r\n", "\n"):
                errors.append(f"decoded {kind} differs from the rendered issue with links spliced in")
    return errors


@dataclass
class Run:
    messages: int
    seconds: float  # wall clock
    cpu_seconds: float  # this process's CPU time: what other load on the machine does not inflate
    total_bytes: int

    @property
    def rate(self) -> float:
        return self.messages / self.seconds


def stream(build: Build, count: int) -> Run:
    """Build ``count`` messages and discard them, keeping only the byte count."""
    gc.collect()
    total = 0
    start, cpu = time.perf_counter(), time.process_time()
    for recipient in recipients(count):
        total += len(build(recipient))
    return Run(count, time.perf_counter() - start, time.process_time() - cpu, total)


def best_of(build: Build, count: int, label: str) -> tuple[Run, list[Run]]:
    """REPEAT runs; the fastest is the one least disturbed by anything else on the machine."""
    runs = [stream(build, count) for _ in range(REPEAT)]
    for number, run in enumerate(runs, start=1):
        print(f"  {label} run {number}: {run.seconds:.2f} s, {run.rate:,.0f} msg/s "
              f"(CPU {run.cpu_seconds:.2f} s, {run.messages / run.cpu_seconds:,.0f} msg/s)")
    return min(runs, key=lambda run: run.seconds), runs


def traced_peak(build: Build, count: int) -> int:
    """Peak bytes of Python allocations made while streaming ``count`` messages."""
    gc.collect()
    tracemalloc.start()
    try:
        for recipient in recipients(count):
            build(recipient)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def profile(build: Build, count: int, top: int = 15) -> str:
    profiler = cProfile.Profile()
    profiler.enable()
    for recipient in recipients(count):
        build(recipient)
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).strip_dirs().sort_stats("cumulative").print_stats(top)
    return out.getvalue()





def environment() -> dict[str, Any]:
    return machine.environment("mjml-python", "Jinja2", "itsdangerous",
                               load_average=[round(x, 2) for x in os.getloadavg()])


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--recipients", type=int, default=10000, metavar="N",
                        help="subscribers for the timed run (default 10000)")
    parser.add_argument("--quick", action="store_true", help="smoke run: N = 1000")
    parser.add_argument("--profile", action="store_true",
                        help=f"also cProfile {PROFILE_BUILDS} tidings builds and print the top")
    args = parser.parse_args(argv)
    if args.quick:
        args.recipients = 1000
    if args.recipients < 10:
        parser.error("--recipients must be at least 10")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    n, small = args.recipients, args.recipients // 10
    base_n = max(n // (10 * REPEAT), 10)  # EmailMessage is slow: N/10 messages in all
    env = environment()
    print(f"tidings {env['tidings']} · mjml-python {env['mjml-python']} · Python {env['python']}"
          f" · {env['cpus']} CPUs (using 1) · load {env['load_average']} · N = {n}")

    print("\n1. Setup")
    community = load(REPO)
    letter = next(letter for letter in community.newsletters if letter.slug == SLUG)
    signer = Signer(SECRET)
    start = time.perf_counter()
    renderer = IssueRenderer(community, letter, NOW)
    rendered = renderer.render(None)
    render_s = time.perf_counter() - start
    start = time.perf_counter()
    default = MessageTemplate(rendered, community.config, signer)
    template_s = time.perf_counter() - start
    templates = Templates(renderer, signer)
    templates.by_zone[str(None)] = default
    start = time.perf_counter()
    for zone in ZONES:
        templates(zone)
    zones_s = (time.perf_counter() - start) / len(ZONES)
    html_kb = len(rendered.html.encode()) / 1024
    print(f"  render (IssueRenderer + render(None)): {render_s:.3f} s")
    print(f"  MessageTemplate: {template_s * 1000:.2f} ms")
    print(f"  per extra timezone (render + MessageTemplate): {zones_s:.3f} s")
    print(f"  HTML {html_kb:.1f} KB, text {len(rendered.text.encode()) / 1024:.1f} KB")

    print("\n2. Validation")
    build, naive = tidings_build(templates), baseline_build(templates)
    sample = Recipient(id="123", email="a123@example.org", name="Ann Example")
    other = next(r for r in recipients(12) if r.name and not r.name.isascii() and r.timezone)
    errors = [f"tidings ({r.name}): {e}" for r in (sample, other)
              for e in validate(build(r), templates(r.timezone).issue, templates(r.timezone), r)]
    errors += [f"baseline: {e}" for e in validate(naive(sample), None, default, sample)]
    for error in errors:
        print(f"  FAIL {error}")
    if errors:
        return 1
    print("  ok: multipart/alternative, text + html, links spliced, no placeholder, lines <= 998")

    print(f"\n3. Streaming {n} personalized messages, best of {REPEAT} (no tracemalloc)")
    stream(build, min(200, n))  # warm-up
    best, runs = best_of(build, n, "tidings")
    rate, avg_kb = best.rate, best.total_bytes / n / 1024
    print(f"  best: {rate:,.0f} msg/s, average message {avg_kb:.1f} KB")

    print(f"\n4. Baseline: EmailMessage + str.replace, {REPEAT} x {base_n} messages")
    base, base_runs = best_of(naive, base_n, "baseline")
    base_rate = base.rate
    print(f"  best: {base_rate:,.0f} msg/s ({1000 / base_rate:.2f} ms each), average message "
          f"{base.total_bytes / base_n / 1024:.1f} KB; tidings is {rate / base_rate:.1f}x")

    print("\n5. Peak traced memory while streaming (tracemalloc)")
    peak_small, peak_n = traced_peak(build, small), traced_peak(build, n)
    mem_ratio = peak_n / peak_small
    print(f"  N = {small}: {peak_small / 1024:.1f} KB; N = {n}: {peak_n / 1024:.1f} KB; "
          f"ratio {mem_ratio:.2f}")

    profile_text = None
    if args.profile:
        print(f"\n6. cProfile, {PROFILE_BUILDS} builds (top by cumulative time)")
        profile_text = profile(build, PROFILE_BUILDS)
        print(profile_text)

    rows = [
        Row("render + MJML compile, once per issue", f"{render_s:.3f} s", "-", "info"),
        Row("MessageTemplate, once per issue", f"{template_s * 1000:.1f} ms", "-", "info"),
        Row("HTML size (Gmail clips above 102 KB)", f"{html_kb:.1f} KB", f"< {GMAIL_CLIP_KB:.0f} KB",
            status(html_kb < GMAIL_CLIP_KB)),
        Row("validation of built messages", "ok", "ok", "PASS"),
        Row(f"personalized messages, N={n}", f"{rate:,.0f} msg/s", f">= {MIN_MSGS_PER_S:,.0f}",
            status(rate >= MIN_MSGS_PER_S)),
        Row(f"EmailMessage baseline, N={base_n}", f"{base_rate:,.0f} msg/s", "-", "info"),
        Row("speed-up tidings / baseline", f"{rate / base_rate:.1f}x", "-", "info"),
        Row(f"peak traced memory N={n} / N={small}", f"{mem_ratio:.2f}", f"< {MAX_MEMORY_RATIO}",
            status(mem_ratio < MAX_MEMORY_RATIO)),
    ]
    print_summary(rows)
    RESULTS_DIR.mkdir(exist_ok=True)
    out = RESULTS_DIR / ("render-quick.json" if args.quick else "render.json")
    report = {
        "environment": env, "recipients": n, "issue": SLUG,
        "setup": {"render_seconds": round(render_s, 4), "template_seconds": round(template_s, 5),
                  "per_extra_timezone_seconds": round(zones_s, 4), "html_kb": round(html_kb, 1),
                  "text_kb": round(len(rendered.text.encode()) / 1024, 1)},
        "tidings": {"msgs_per_s": round(rate), "avg_message_kb": round(avg_kb, 2),
                    "runs": [asdict(run) for run in runs]},
        "baseline": {"msgs_per_s": round(base_rate),
                     "avg_message_kb": round(base.total_bytes / base_n / 1024, 2),
                     "speedup": round(rate / base_rate, 2), "runs": [asdict(run) for run in base_runs]},
        "memory": {"small": small, "small_peak_kb": round(peak_small / 1024, 1), "large": n,
                   "large_peak_kb": round(peak_n / 1024, 1), "ratio": round(mem_ratio, 3)},
        "profile": profile_text,
        "summary": [asdict(r) for r in rows],
    }
    out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"\nWrote {out.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
