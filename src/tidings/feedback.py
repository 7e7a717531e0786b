"""Survey answers as files: ``feedback/<survey>.csv``, pseudonymous, stable in order.

Columns: respondent (a per-survey pseudonym), question, answer, comment, date, source
(``email`` from the collector, ``import`` from another form tool) and publish (editors write
``yes`` to show a comment on the site, when the survey has ``publish_comments: true``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from tidings.content.feedback_csv import COLUMNS, FeedbackRow, load_feedback_file
from tidings.content.model import Community, Question, Survey
from tidings.csvfiles import decode, find_columns, parse_rows, write_csv
from tidings.errors import ContentError, InputError, Problem, UsageError
from tidings.inputs import clean_text
from tidings.store.answers import answers_to
from tidings.store.transactions import Engine
from tidings.tokens import Signer


def feedback_path(root: Path, survey_id: str) -> Path:
    return root / "feedback" / f"{survey_id}.csv"


def _ordered(survey: Survey, rows: Iterable[FeedbackRow]) -> list[FeedbackRow]:
    order = {q.id: i for i, q in enumerate(survey.questions)}
    return sorted(rows, key=lambda r: (r.date, r.respondent, order.get(r.question, 999), r.question))


def write_rows(path: Path, rows: list[FeedbackRow]) -> bool:
    """Write atomically, only when the content changed; return whether it did."""
    records = [list(COLUMNS), *([getattr(row, c) for c in COLUMNS] for row in rows)]
    return write_csv(path, records, only_if_changed=True)


def existing_rows(root: Path, survey_id: str) -> list[FeedbackRow]:
    """The rows already in the survey's file; ContentError rather than lose one that is unreadable."""
    path = feedback_path(root, survey_id)
    if not path.exists():
        return []
    rows, problems = load_feedback_file(path, path.relative_to(root).as_posix())
    if problems:
        raise ContentError(problems)
    return [row for _, row in rows]


def export_feedback(engine: Engine, community: Community) -> dict[str, int]:
    """Write every survey's answers from the database; return rows written per changed file."""
    changed = {}
    tz = community.config.timezone
    for survey in community.surveys:
        path = feedback_path(community.config.root, survey.id)
        existing = existing_rows(community.config.root, survey.id)
        publish = {row.key(): row.publish for row in existing}
        labels = {q.id: q.options for q in survey.questions}
        rows = [row for row in existing if row.source == "import"]  # other tools' answers stay
        for answer in answers_to(engine, survey.id):
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


# Columns of another form tool's export besides the questions (titles as csvfiles.find_columns sees them).
IMPORT_ALIASES: dict[str, tuple[str, ...]] = {
    "who": ("email", "e-mail", "respondent", "id"),
    "when": ("date", "timestamp", "submitted", "submitted at"),
    "note": ("comment", "comments", "anything to add?"),
}


@dataclass(frozen=True)
class _ImportColumns:
    """Where a form tool's CSV keeps the answers, the respondent, the date and the comment."""

    questions: dict[int, Question]
    who: int | None
    when: int | None
    note: int | None


def _import_columns(header: list[str], survey: Survey, shown: str) -> _ImportColumns:
    header = [h.strip() for h in header]
    by_text = {q.text.strip().lower(): q for q in survey.questions}
    by_id = {q.id: q for q in survey.questions}
    questions = {}
    for index, title in enumerate(header):
        question = by_id.get(title) or by_text.get(title.lower())
        if question:
            questions[index] = question
    if not questions:
        raise ContentError([Problem(shown, 1, "no column matches a question of survey "
                                              f"'{survey.id}' (use the question ids or texts)")])
    found = find_columns(header, IMPORT_ALIASES)
    return _ImportColumns(questions, found.get("who"), found.get("when"), found.get("note"))


def _import_record(line: int, record: list[str], columns: _ImportColumns, survey: Survey, shown: str,
                   signer: Signer) -> tuple[list[FeedbackRow], list[Problem]]:
    def cell(i: int | None) -> str:
        return record[i] if i is not None and i < len(record) else ""

    identity = cell(columns.who).strip() or f"{shown}:{line}"
    respondent = "i" + signer.digest("respondent", survey.id, "import", identity.casefold(), length=15)
    when = cell(columns.when).strip()
    try:
        day = date.fromisoformat(when[:10]).isoformat() if when else ""
    except ValueError:
        return [], [Problem(shown, line, f"'{when}' is not a date (expected 2026-11-23)", "date")]
    try:
        note = clean_text(cell(columns.note)) or ""  # the same cleaning as a comment sent by form
    except InputError as exc:
        return [], [Problem(shown, line, str(exc), "comment")]
    rows, problems = [], []
    for index, question in columns.questions.items():
        value = cell(index).strip()
        if not value:
            continue
        if value not in question.options:
            problems.append(Problem(shown, line, f"'{value}' is not an option of question "
                                                 f"'{question.id}' ({', '.join(question.options)})",
                                    question.id))
            continue
        rows.append(FeedbackRow(respondent, question.id, value, note, day, "import"))
    return rows, problems


def import_feedback(root: Path, community: Community, file: Path, survey_id: str,
                    signer: Signer) -> int:
    """Answers from another form tool's CSV into ``feedback/<survey>.csv``; return the row count.

    Columns are matched to questions by id or by their text; an email/respondent column (if any)
    only feeds the pseudonym. Any bad row is reported and nothing is written. The file may come
    from a spreadsheet: UTF-8 with or without a BOM, separated by ``,``, ``;`` or tabs.
    """
    survey = next((s for s in community.surveys if s.id == survey_id), None)
    if survey is None:
        known = ", ".join(s.id for s in community.surveys) or "none"
        raise UsageError(f"no survey '{survey_id}' (known: {known})")
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read {file}: {exc.strerror}") from None
    records, problems = parse_rows(decode(data, file.name), file.name)
    columns = _import_columns(records[0][1] if records else [], survey, file.name)
    rows: list[FeedbackRow] = []
    for line, record in records[1:]:
        if any(cell.strip() for cell in record):
            found, bad = _import_record(line, record, columns, survey, file.name, signer)
            rows.extend(found)
            problems.extend(bad)
    if problems:
        raise ContentError(problems)
    new = {row.key() for row in rows}
    kept = [row for row in existing_rows(root, survey.id) if row.key() not in new]
    write_rows(feedback_path(root, survey.id), _ordered(survey, kept + rows))
    return len(rows)
