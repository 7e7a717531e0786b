"""The format of ``feedback/<survey>.csv`` files, and their validation against the surveys."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from tidings.csvfiles import read_rows
from tidings.errors import Problem

COLUMNS = ("respondent", "question", "answer", "comment", "date", "source", "publish")


@dataclass(frozen=True)
class FeedbackRow:
    respondent: str
    question: str
    answer: str
    comment: str
    date: str
    source: str
    publish: str = ""

    def key(self) -> tuple[str, str]:
        return (self.respondent, self.question)

    @property
    def published(self) -> bool:
        return self.publish.strip().lower() in ("yes", "y", "true", "x", "1")


def _rows(records: list[tuple[int, list[str]]], path: str
          ) -> tuple[list[tuple[int, FeedbackRow]], list[Problem]]:
    header = [title.strip() for title in records[0][1]] if records else []
    missing = [c for c in ("respondent", "question", "answer") if c not in header]
    if missing:
        return [], [Problem(path, 1, f"missing column(s) {', '.join(missing)}: expected "
                                     + ",".join(COLUMNS))]
    index = {title: i for i, title in reversed(list(enumerate(header)))}
    rows: list[tuple[int, FeedbackRow]] = []
    problems: list[Problem] = []
    for line, record in records[1:]:
        if not any(cell.strip() for cell in record):
            continue
        cells = {c: record[index[c]] if c in index and index[c] < len(record) else "" for c in COLUMNS}
        # A member's comment is kept exactly; the columns editors type by hand are trimmed.
        row = FeedbackRow(**{c: v if c == "comment" else v.strip() for c, v in cells.items()})
        if row.date:
            try:
                date.fromisoformat(row.date)
            except ValueError:
                problems.append(Problem(path, line, f"'{row.date}' is not a date (2026-11-23)", "date"))
                continue
        rows.append((line, row))
    return rows, problems


def load_feedback_file(file: Path, path: str) -> tuple[list[tuple[int, FeedbackRow]], list[Problem]]:
    """Rows of a feedback file with a problem for each malformed one (line numbers of the file);
    its bytes are read as written, so a CR in a comment stays."""
    records, problems = read_rows(file, path)
    if problems and not records:
        return [], problems
    rows, found = _rows(records, path)
    return rows, problems + found


def read_feedback(path: Path) -> list[FeedbackRow]:
    """The rows of ``feedback/<survey>.csv`` that read correctly; none if there is no file."""
    if not path.exists():
        return []
    return [row for _, row in load_feedback_file(path, path.name)[0]]
