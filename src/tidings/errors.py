"""One exception tree for every user-facing error; each carries where and what was expected."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with one file: printed as ``path:line: message``."""

    path: str
    line: int
    message: str
    field: str | None = None
    severity: Severity = "error"

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        prefix = "warning: " if self.severity == "warning" else ""
        return f"{where}: {prefix}{self.message}"


class TidingsError(Exception):
    """Base of every error tidings reports to a user (never shown as a traceback)."""

    exit_code = 1


class UsageError(TidingsError):
    """The command line itself is wrong (exit 2)."""

    exit_code = 2


class ConfigError(TidingsError):
    """``[tool.tidings]`` in pyproject.toml, or an environment variable, is wrong."""


class ContentError(TidingsError):
    """One or more content files are wrong; carries every problem found in one run."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(problems)
        errors = [p for p in self.problems if p.severity == "error"]
        super().__init__(f"{len(errors)} problem(s) in content")


class BuildError(TidingsError):
    """The site engine failed; the previous site was left untouched."""
