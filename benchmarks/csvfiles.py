"""Benchmark tidings' CSV writer and reader against the standard ``csv`` module in the same run.

What is measured (one process): N feedback rows (7 cells; the comment mixes plain words with
commas, semicolons, line breaks and formula-looking words) written to text by
``tidings.csvfiles.format_rows`` and by ``csv.writer`` (the baseline, which neither neutralises
formulas nor quotes a bare CR), then read back by ``tidings.csvfiles.parse_rows`` and by
``csv.reader``. Best of 3 runs each; the ratio tidings / baseline is printed. Before timing, the
rows are checked to round-trip exactly through tidings (the script exits 1 if not).

Run: ``python benchmarks/csvfiles.py [--rows N]`` (default 100,000).
"""

from __future__ import annotations

import argparse
import csv
import io
import random
import sys
import time
from collections.abc import Callable

from tidings.csvfiles import format_rows, parse_rows

WORDS = ["Great", "event", "thanks!", "=1+2", "more,", "please;", "-", "\n", "ok", "'quoted", "\r"]


def rows(count: int) -> list[list[str]]:
    pick = random.Random(1).choice
    return [[f"r{i:07d}", "happy", "Yes", " ".join(pick(WORDS) for _ in range(12)), "2026-11-20",
             "email", ""] for i in range(count)]


def best(action: Callable[[], object], runs: int = 3) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    count = parser.parse_args().rows
    data = rows(count)
    text = format_rows(data)
    if [cells for _, cells in parse_rows(text, "bench.csv")[0]] != data:
        print("FAIL: rows do not round-trip through tidings.csvfiles", file=sys.stderr)
        return 1

    def baseline_write() -> str:
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerows(data)
        return buffer.getvalue()

    plain = baseline_write()
    results = {
        "write": (best(lambda: format_rows(data)), best(baseline_write)),
        "read": (best(lambda: parse_rows(text, "bench.csv")),
                 best(lambda: list(csv.reader(io.StringIO(plain, newline=""))))),
    }
    for what, (ours, theirs) in results.items():
        print(f"{what:>5} {count:,} rows: tidings {ours * 1000:7.0f} ms, csv module {theirs * 1000:7.0f} ms"
              f"  ({ours / theirs:.1f}x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
