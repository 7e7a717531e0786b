"""What a command shows, decided by the library and printed by the command line: lines in
order, each for stdout or stderr, told as they happen (a send can take minutes)."""

from __future__ import annotations

import io
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NamedTuple


class Line(NamedTuple):
    """One line of output; ``error`` lines go to stderr."""

    text: str
    error: bool = False


Notify = Callable[[Line], None]


def quiet(_: Line) -> None:
    """Tell nobody (the lines are still in the report)."""
    return None


@dataclass
class Report:
    """The lines a run produced and its exit status (0 ok, 1 problems)."""

    notify: Notify = quiet
    lines: list[Line] = field(default_factory=list)
    status: int = 0

    def say(self, text: str, *, error: bool = False) -> None:
        """Add a line (and tell it at once to whoever is listening)."""
        line = Line(text, error)
        self.lines.append(line)
        self.notify(line)


def silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's last flush does not fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, io.UnsupportedOperation):
        pass  # stdout is not a file (captured in a test): nothing is left to flush
