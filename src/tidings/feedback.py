"""Survey answers as files: ``feedback/<survey>.csv``, pseudonymous, stable in order.

Columns: respondent (a per-survey pseudonym), question, answer, comment, date, source
(``email`` from the collector, ``import`` from another form tool) and publish (editors write
``yes`` to show a comment on the site, when the survey has ``publish_comments: true``).
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterable
from datetime import date
from pathlib import Path

import sqlalchemy as sa

from tidings.content.feedback import COLUMNS, FeedbackRow, read_feedback
from tidings.content.model import Community, Survey
from tidings.errors import ContentError, Problem, UsageError
from tidings.mail.tokens import Signer
from tidings.store.schema import answers


def feedback_path(root: Path, survey_id: str) -> Path:
    return root / "feedback" / f"{survey_id}.csv"


def _ordered(survey: Survey, rows: Iterable[FeedbackRow]) -> list[FeedbackRow]:
    order = {q.id: i for i, q in enumerate(survey.questions)}
    return sorted(rows, key=lambda r: (r.date, r.respondent, order.get(r.question, 999), r.question))


def write_rows(path: Path, rows: list[FeedbackRow]) -> bool:
    """Write atomically, only when the content changed; return whether it did."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([getattr(row, c) for c in COLUMNS])
    data = buffer.getvalue().encode("utf-8")
    if path.exists() and path.read_bytes() == data:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    tmp.write_bytes(data)
    os.replace(tmp, path)
    return True


def export_feedback(engine: sa.Engine, community: Community) -> dict[str, int]:
    """Write every survey's answers from the database; return rows written per changed file."""
    changed = {}
    tz = community.config.timezone
    for survey in community.surveys:
        path = feedback_path(community.config.root, survey.id)
        existing = read_feedback(path)
        publish = {row.key(): row.publish for row in existing}
        labels = {q.id: q.options for q in survey.questions}
        rows = [row for row in existing if row.source == "import"]  # other tools' answers stay
        with engine.connect() as connection:
            for answer in connection.execute(sa.select(answers).where(answers.c.survey == survey.id)):
                options = labels.get(answer.question)
                if options is None or answer.option >= len(options):
                    continue  # a question removed from the survey since
                key = (answer.respondent, answer.question)
                rows.append(FeedbackRow(answer.respondent, answer.question, options[answer.option],
                                        answer.comment or "",
                                        answer.answered_at.astimezone(tz).date().isoformat(),
                                        "email", publish.get(key, "")))
        if (rows or path.exists()) and write_rows(path, _ordered(survey, rows)):
            changed[survey.id] = len(rows)
    return changed


def import_feedback(root: Path, community: Community, file: Path, survey_id: str,
                    signer: Signer) -> int:
    """Answers from another form tool's CSV into ``feedback/<survey>.csv``; return the row count.

    Columns are matched to questions by id or by their text; an email/respondent column (if any)
    only feeds the pseudonym. Any bad row is reported and nothing is written.
    """
    survey = next((s for s in community.surveys if s.id == survey_id), None)
    if survey is None:
        known = ", ".join(s.id for s in community.surveys) or "none"
        raise UsageError(f"no survey '{survey_id}' (known: {known})")
    try:
        text = file.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read {file}: {exc}") from None
    reader = csv.reader(io.StringIO(text))
    header = [h.strip() for h in next(reader, [])]
    by_text = {q.text.strip().lower(): q for q in survey.questions}
    by_id = {q.id: q for q in survey.questions}
    columns = {}
    for index, title in enumerate(header):
        question = by_id.get(title) or by_text.get(title.lower())
        if question:
            columns[index] = question
    lowered = [h.lower() for h in header]
    who = next((lowered.index(n) for n in ("email", "e-mail", "respondent", "id") if n in lowered), None)
    when = next((lowered.index(n) for n in ("date", "timestamp", "submitted", "submitted at")
                 if n in lowered), None)
    note = next((lowered.index(n) for n in ("comment", "comments", "anything to add?") if n in lowered), None)
    if not columns:
        raise ContentError([Problem(file.name, 1, "no column matches a question of survey "
                                                  f"'{survey_id}' (use the question ids or texts)")])
    rows: list[FeedbackRow] = []
    problems = []
    for record in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in record):
            continue

        def cell(i: int | None, record: list[str] = record) -> str:
            return record[i].strip() if i is not None and i < len(record) else ""

        identity = cell(who) or f"{file.name}:{line}"
        respondent = "i" + signer.digest("respondent", survey.id, "import", identity.casefold(), length=15)
        day = cell(when)[:10]
        try:
            day = date.fromisoformat(day).isoformat() if day else ""
        except ValueError:
            problems.append(Problem(file.name, line, f"'{cell(when)}' is not a date (expected 2026-11-23)"))
            continue
        for index, question in columns.items():
            value = cell(index)
            if not value:
                continue
            if value not in question.options:
                problems.append(Problem(file.name, line, f"'{value}' is not an option of question "
                                                         f"'{question.id}' ({', '.join(question.options)})"))
                continue
            rows.append(FeedbackRow(respondent, question.id, value, cell(note), day, "import"))
    if problems:
        raise ContentError(problems)
    path = feedback_path(root, survey.id)
    new = {row.key() for row in rows}
    kept = [row for row in read_feedback(path) if row.key() not in new]
    write_rows(path, _ordered(survey, kept + rows))
    return len(rows)
