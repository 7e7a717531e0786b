"""Progress of a send: a rich bar on a terminal, a plain line every few seconds elsewhere (CI)."""

from __future__ import annotations

import os
import sys
import time
from typing import Any


def format_rate(per_second: float) -> str:
    """Messages per second, with the digits a slow rate needs (never "0 msg/s" for 0.25/s)."""
    if per_second >= 10 or per_second == 0:
        return f"{per_second:.0f} msg/s"
    return f"{per_second:.2g} msg/s"


class Progress:
    """A rich progress bar on a terminal; a plain log line every few seconds elsewhere (CI)."""

    def __init__(self, total: int, label: str, verb: str = "sent") -> None:
        self.total = total
        self.verb = verb  # "rendered" in a dry run: nothing is sent
        self.done = 0
        self.started = time.monotonic()
        self.last_line = self.started
        self.bar: Any = None
        if sys.stderr.isatty() and os.environ.get("CI") != "true":
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                TextColumn,
                TimeRemainingColumn,
                TransferSpeedColumn,
            )
            from rich.progress import Progress as RichProgress

            self.bar = RichProgress(TextColumn("[bold]{task.description}"), BarColumn(),
                                    MofNCompleteColumn(), TransferSpeedColumn(), TimeRemainingColumn(),
                                    transient=False)
            self.bar.start()
            self.task = self.bar.add_task(label, total=total)

    def advance(self, count: int = 1) -> None:
        """Count ``count`` more recipients settled."""
        self.done += count
        if self.bar is not None:
            self.bar.update(self.task, advance=count)
            return
        moment = time.monotonic()
        if moment - self.last_line >= 5 or self.done == self.total:
            self.last_line = moment
            rate = self.done / max(moment - self.started, 1e-9)
            eta = (self.total - self.done) / rate if rate else 0
            print(f"{self.verb} {self.done}/{self.total} ({format_rate(rate)}, about {eta:.0f} s left)",
                  file=sys.stderr, flush=True)

    def close(self) -> None:
        """Stop the bar (a no-op for plain lines)."""
        if self.bar is not None:
            self.bar.stop()
