"""One exception tree for every user-facing error; each carries where and what was expected.

    TidingsError                 never shown as a traceback; ``exit_code`` says how the CLI ends
    ├── UsageError               the command line itself is wrong (exit 2)
    ├── ConfigError              ``[tool.tidings]`` (a ``Problem`` per bad setting) or an
    │                            environment variable is wrong
    ├── ContentError             content files are wrong: every ``Problem`` found in one run
    ├── InputError               text from outside (form, CSV, CLI) that tidings refuses
    ├── BuildError               the site engine failed; the previous site is untouched
    ├── TokenError               a link token that is forged, for another purpose, or expired
    ├── DeliveryError            a message was not accepted (SMTP code, recipient, permanent?)
    └── MailboxError             the reply mailbox (IMAP) cannot be reached or read
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Literal

# "notice": worth knowing, not wrong (a story awaiting consent); never makes ``check`` fail.
Severity = Literal["error", "warning", "notice"]


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
        prefix = "" if self.severity == "error" else f"{self.severity}: "
        return f"{where}: {prefix}{self.message}"


class TidingsError(Exception):
    """Base of every error tidings reports to a user (never shown as a traceback)."""

    exit_code = 1


class UsageError(TidingsError):
    """The command line itself is wrong (exit 2)."""

    exit_code = 2


class ConfigError(TidingsError):
    """``[tool.tidings]`` in pyproject.toml, or an environment variable, is wrong.

    ``problems`` holds every bad setting of pyproject.toml found in one run, each with its line
    and field, printed like content problems; an environment variable's error names it in the
    message and has no problems.
    """

    def __init__(self, message: str = "", *, problems: Iterable[Problem] = ()) -> None:
        self.problems = sorted(problems)
        errors = [p for p in self.problems if p.severity == "error"]
        super().__init__(message or f"{len(errors)} problem(s) in [tool.tidings] of pyproject.toml")


class ContentError(TidingsError):
    """One or more content files are wrong; carries every problem found in one run."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(problems)
        errors = [p for p in self.problems if p.severity == "error"]
        super().__init__(f"{len(errors)} problem(s) in content")


class BuildError(TidingsError):
    """The site engine failed; the previous site was left untouched."""


class InputError(TidingsError):
    """Text from outside (a form field, a CSV cell, a CLI argument) that tidings refuses.

    ``field`` names what was wrong, so a form can show it next to the input and the CLI can say
    which argument or column to fix.
    """

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class TokenError(TidingsError):
    """A token that is forged, for another purpose, or expired."""


class DeliveryError(TidingsError):
    """A message was not accepted. ``permanent``: retrying cannot help (5xx)."""

    def __init__(self, message: str, *, code: int | None = None, permanent: bool = False,
                 recipient_refused: bool = False, recipient: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.permanent = permanent
        self.recipient_refused = recipient_refused
        self.recipient = recipient


class MailboxError(TidingsError):
    """The mailbox that replies and reports arrive in (``TIDINGS_IMAP_URL``) cannot be reached or read."""


def template_problem(root: Path, exc: Exception, tb: TracebackType | None, *,
                     unknown: str, builtin_prefix: str) -> Problem:
    """Where in which jinja template an error happened: the file relative to ``root`` and its line.

    A template shipped with tidings (outside ``root``) is named ``builtin_prefix + file name``.
    """
    filename = getattr(exc, "filename", None)
    line = getattr(exc, "lineno", None)
    while tb is not None:  # the innermost frame compiled from a template is where it failed
        frame_file = tb.tb_frame.f_code.co_filename
        if frame_file.endswith(".j2"):
            filename, line = frame_file, tb.tb_lineno
        tb = tb.tb_next
    where = str(filename or unknown)
    try:
        where = Path(where).resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        where = builtin_prefix + Path(where).name
    return Problem(where, line or 0, f"template error: {exc}")
