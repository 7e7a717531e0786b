"""The format of ``feedback/<survey>.csv`` files, and their validation against the surveys."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date
from pathlib import Path

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


def parse_feedback(text: str, path: str) -> tuple[list[tuple[int, FeedbackRow]], list[Problem]]:
    """Rows of a feedback file with a problem for each malformed one (line numbers of the file)."""
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in ("respondent", "question", "answer") if c not in (reader.fieldnames or [])]
    if missing:
        return [], [Problem(path, 1, f"missing column(s) {', '.join(missing)}: expected "
                                     + ",".join(COLUMNS))]
    rows: list[tuple[int, FeedbackRow]] = []
    problems: list[Problem] = []
    for record in reader:
        row = FeedbackRow(**{k: (record.get(k) or "").strip() for k in COLUMNS})
        if row.date:
            try:
                date.fromisoformat(row.date)
            except ValueError:
                problems.append(Problem(path, reader.line_num,
                                        f"'{row.date}' is not a date (2026-11-23)", "date"))
                continue
        rows.append((reader.line_num, row))
    return rows, problems


def read_feedback(path: Path) -> list[FeedbackRow]:
    if not path.exists():
        return []
    return [row for _, row in parse_feedback(path.read_text(encoding="utf-8"), path.name)[0]]
