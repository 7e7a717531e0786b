"""One header matcher for every CSV tidings imports (subscribers, survey answers)."""

from __future__ import annotations

from tests.conftest import PULSE_SURVEY, MakeRepo
from tidings.content import load
from tidings.csvfiles import find_columns, normalize_title
from tidings.feedback import import_feedback
from tidings.tokens import Signer


def test_a_title_is_compared_without_case_bom_underscores_or_extra_spaces() -> None:
    assert normalize_title("\ufeff  Submitted_AT ") == "submitted at"
    assert normalize_title("Email   Address") == "email address"


def test_the_first_alias_the_header_has_wins_and_the_first_column_with_it() -> None:
    aliases = {"email": ("email", "address"), "when": ("date", "timestamp")}
    header = ["Address", "Timestamp", "E_mail", "EMAIL", "email"]
    assert find_columns(header, aliases) == {"email": 3, "when": 1}


def test_survey_answers_import_reads_its_columns_with_the_shared_matcher(make_repo: MakeRepo) -> None:
    root = make_repo({"content/surveys/pulse.md": PULSE_SURVEY.format(closes="2030-01-01")})
    file = root / "answers.csv"
    file.write_text("Respondent,Submitted_At,happy,Anything  to add?\n"
                    "x@example.org,2026-11-20T10:00,Yes,Fine\n", encoding="utf-8")
    count = import_feedback(root, load(root), file, "pulse", Signer("k" * 32))
    assert count == 1
    text = (root / "feedback" / "pulse.csv").read_text(encoding="utf-8")
    assert "2026-11-20" in text and "Fine" in text
