"""A date that cannot exist is named as such wherever dates enter, not called 'not ISO 8601'."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tidings.dates import parse_when
from tidings.store.fields import parse_time

NOW = datetime(2026, 11, 30, tzinfo=UTC)


def test_a_subscriber_time_on_a_day_that_does_not_exist_is_named_as_such() -> None:
    with pytest.raises(ValueError, match=r"^there is no day 2024-02-30: February 2024 has 29 days$"):
        parse_time("2024-02-30 09:15:02", now=NOW)


def test_a_leap_day_exists_only_in_leap_years() -> None:
    assert parse_when("2028-02-29", UTC).day == 29
    with pytest.raises(ValueError, match="there is no day 2027-02-29: February 2027 has 28 days"):
        parse_when("2027-02-29", UTC)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40))
def test_any_text_is_a_date_or_a_one_line_reason(value: str) -> None:
    try:
        parse_when(value, UTC)
    except ValueError as exc:
        assert str(exc) and "\n" not in str(exc).replace(value, "")
