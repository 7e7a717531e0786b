"""Does the sign-up's response time tell whether an address is on the list?

Setup: a temporary community repo, the collector under uvicorn on 127.0.0.1 (same settings as
``collect``, one process, ``trusted_proxies = ["127.0.0.1"]`` so each request can name its own
client in ``X-Forwarded-For`` and the per-client limit does not interfere), confirmation mail to a
local aiosmtpd catcher. One keep-alive client sends, interleaved, ROUNDS sign-ups of a *known*
address (confirmed: no mail is queued) and ROUNDS of *unknown* ones (a new pending row, a mail
queued), plus ``GET /health`` as the baseline of the same run. Prints medians and the
unknown / known ratio (1.00 means the time reveals nothing). ``--floor 0`` turns off the
sign-up's minimum answer time to show the raw difference in database work.

    python benchmarks/signup_timing.py [--rounds 300] [--floor 0]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import uvicorn

from tidings.collector.app import Limits, create_app
from tidings.collector.server import uvicorn_config
from tidings.delivery.transport import SMTPTransport, parse_smtp_url
from tidings.mail.catcher import CatchingHandler, LocalSMTPServer
from tidings.store import open_database
from tidings.store.subscribers import add

PYPROJECT = """\
[tool.tidings]
name = "Timing Club"
site_url = "https://club.example.org/"
trusted_proxies = ["127.0.0.1"]
"""


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def measure(rounds: int, floor: float) -> dict[str, list[float]]:
    os.environ.setdefault("TIDINGS_SECRET", "timing-secret-" + "t" * 24)
    times: dict[str, list[float]] = {"known": [], "unknown": [], "health": []}
    with tempfile.TemporaryDirectory() as tmp, LocalSMTPServer(CatchingHandler()) as relay:
        root = Path(tmp)
        (root / "pyproject.toml").write_text(PYPROJECT, encoding="utf-8")
        with open_database(root).begin() as connection:
            add(connection, "known@example.org")
        app = create_app(root, transport=SMTPTransport(parse_smtp_url(relay.url)),
                         limits=Limits(signup_seconds=floor))
        server = uvicorn.Server(uvicorn_config(app, "127.0.0.1", 0, log_level="warning"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        while not server.started:
            time.sleep(0.01)
        url = f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
        try:
            with httpx.Client(base_url=url, timeout=30) as client:
                for i in range(rounds + 20):  # the first 20 rounds warm up and are not counted
                    for kind, address in (("known", "known@example.org"), ("unknown", f"u{i}@example.org")):
                        start = time.perf_counter()
                        client_ip = f"10.{i // 250}.{i % 250}.{len(kind)}"
                        response = client.post("/subscribe", data={"email": address},
                                               headers={"X-Forwarded-For": client_ip})
                        elapsed = time.perf_counter() - start
                        assert response.status_code == 200, response.text
                        if i >= 20:
                            times[kind].append(elapsed)
                    start = time.perf_counter()
                    client.get("/health")
                    if i >= 20:
                        times["health"].append(time.perf_counter() - start)
        finally:
            server.should_exit = True
            thread.join(timeout=30)
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=300)
    parser.add_argument("--floor", type=float, default=Limits().signup_seconds,
                        help="the sign-up's minimum answer time (0 shows the raw difference)")
    args = parser.parse_args()
    times = measure(args.rounds, args.floor)
    known, unknown, health = (median_ms(times[k]) for k in ("known", "unknown", "health"))
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}; {args.rounds} rounds; "
          f"sign-up floor {args.floor * 1000:.0f} ms")
    print(f"GET /health (baseline)        median {health:6.2f} ms")
    print(f"sign-up, known (confirmed)    median {known:6.2f} ms   {known / health:5.2f}x health")
    print(f"sign-up, unknown (mail queued) median {unknown:6.2f} ms   {unknown / health:5.2f}x health")
    print(f"unknown / known: {unknown / known:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
