"""Survey answers: save (one prepared upsert per answer) and read them back for the export."""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from tidings.store.schema import answers
from tidings.store.transactions import Connection, Engine


@dataclass(frozen=True)
class Answer:
    """One stored answer: a pseudonymous respondent's option (and comment) for one question."""

    survey: str
    question: str
    respondent: str
    option: int
    comment: str | None
    issue: str | None
    answered_at: datetime


@functools.cache
def _upsert(dialect_name: str) -> sa.Insert:
    """One statement per dialect, built once: insert an answer, or replace that person's earlier one."""
    dialect = postgresql if dialect_name == "postgresql" else sqlite
    insert = dialect.insert(answers)
    statement: sa.Insert = insert.on_conflict_do_update(
        index_elements=[answers.c.survey, answers.c.question, answers.c.respondent],
        set_={"option": insert.excluded.option, "comment": insert.excluded.comment,
              "issue": insert.excluded.issue, "answered_at": insert.excluded.answered_at})
    return statement


def save_answers(connection: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert or replace answers (keys: the ``Answer`` fields), in the caller's transaction."""
    connection.execute(_upsert(connection.dialect.name), rows)


def answers_to(engine: Engine, survey: str) -> Iterator[Answer]:
    """Every stored answer to ``survey``."""
    with engine.connect() as connection:
        for row in connection.execute(sa.select(answers).where(answers.c.survey == survey)):
            yield Answer(row.survey, row.question, row.respondent, row.option, row.comment, row.issue,
                         row.answered_at)
