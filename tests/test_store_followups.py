"""The follow-up store: filed once, answered, resolved, reopened by a member's new message; ages only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tidings.store import followups, open_database

T0 = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)


@pytest.fixture(name="engine")
def sqlite_engine(tmp_path: Path):  # type: ignore[no-untyped-def]
    return open_database(url=f"sqlite:///{tmp_path / 'db.sqlite'}")


def test_a_mail_filed_twice_is_one_followup(engine) -> None:  # type: ignore[no-untyped-def]
    with engine.begin() as c:
        first = followups.open_followup(c, source="reply", body="Hi?", received_at=T0, message_id="<a@x>",
                                        email="member@example.org", issue="2027-01")
        again = followups.open_followup(c, source="reply", body="Hi?", received_at=T0, message_id="<a@x>")
    assert first is not None and again is None
    with engine.connect() as c:
        (item,) = followups.listing(c)
    assert (item.state, item.issue, item.email) == ("open", "2027-01", "member@example.org")


def test_an_answer_marks_it_answered_and_a_new_message_opens_it_again(engine) -> None:  # type: ignore[no-untyped-def]
    with engine.begin() as c:
        key = followups.open_followup(c, source="survey", body="Why?", received_at=T0, survey="pulse")
        assert key is not None
        followups.add_message(c, key, direction="out", body="Because.", at=T0 + timedelta(hours=5))
        followups.add_message(c, key, direction="out", body="Also.", at=T0 + timedelta(hours=9))
        assert followups.get(c, key).state == "answered"  # type: ignore[union-attr]
        followups.add_message(c, key, direction="in", body="Still broken", at=T0 + timedelta(days=1))
        item = followups.get(c, key)
        assert item is not None and item.state == "open"
        assert item.answered_at == T0 + timedelta(hours=5)  # the first answer counts
        assert [m.direction for m in followups.thread(c, key)] == ["out", "out", "in"]
        assert followups.assign(c, key, "Aino") and followups.resolve(c, key, T0 + timedelta(days=2))
        assert not followups.resolve(c, key + 1, T0)
        assert followups.listing(c) == []


def test_ages_say_counts_and_durations_only(engine) -> None:  # type: ignore[no-untyped-def]
    with engine.begin() as c:
        a = followups.open_followup(c, source="reply", body="a", received_at=T0)
        followups.open_followup(c, source="reply", body="b", received_at=T0 + timedelta(days=1))
        assert a is not None
        followups.add_message(c, a, direction="out", body="ok", at=T0 + timedelta(hours=4))
        followups.resolve(c, a, T0 + timedelta(hours=10))
        ages = followups.ages(c, now=T0 + timedelta(days=3))
    assert (ages.open, ages.answered, ages.resolved) == (1, 0, 1)
    assert ages.oldest_open_days == 2.0
    assert ages.median_hours_to_answer == 4.0 and ages.median_hours_to_resolve == 10.0
