"""Berlin working days: weekends and Berlin's public holidays (Easter, Frauentag, German
Unity Day, Christmas) do not count; counting starts on the local day after submission."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from caseflow.followups.workdays import (
    add_working_days,
    is_holiday,
    is_working_day,
    working_days_deadline,
)

BERLIN = ZoneInfo("Europe/Berlin")


def berlin(day: date, hour: int = 0, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=BERLIN).astimezone(UTC)


@pytest.mark.parametrize(
    "day",
    [
        date(2026, 4, 3),  # Karfreitag
        date(2026, 4, 6),  # Ostermontag
        date(2027, 3, 8),  # Internationaler Frauentag (Berlin only)
        date(2025, 10, 3),  # Tag der Deutschen Einheit
        date(2025, 12, 25),
        date(2025, 12, 26),
        date(2026, 1, 1),
        date(2026, 5, 14),  # Christi Himmelfahrt
    ],
)
def test_berlin_public_holidays_are_not_working_days(day):
    assert day.weekday() < 5
    assert is_holiday(day)
    assert not is_working_day(day)


@pytest.mark.parametrize(
    "day",
    [
        date(2025, 12, 24),  # Heiligabend is a working day by law
        date(2025, 12, 31),
        date(2026, 4, 2),  # Gründonnerstag
        date(2026, 6, 4),  # Fronleichnam: a holiday elsewhere, not in Berlin
        date(2025, 10, 31),  # Reformationstag: not in Berlin
    ],
)
def test_ordinary_weekdays_are_working_days(day):
    assert is_working_day(day)


def test_weekends_are_not_working_days():
    assert not is_working_day(date(2026, 3, 28))  # Saturday
    assert not is_working_day(date(2026, 3, 29))  # Sunday
    assert is_working_day(date(2026, 3, 30))


@pytest.mark.parametrize(
    ("submitted_on", "tenth"),
    [
        # Easter 2026: Karfreitag 03.04. and Ostermontag 06.04. are skipped.
        (date(2026, 4, 2), date(2026, 4, 20)),
        # Frauentag on Monday 08.03.2027.
        (date(2027, 3, 5), date(2027, 3, 22)),
        # German Unity Day on Friday 03.10.2025.
        (date(2025, 10, 2), date(2025, 10, 17)),
        # Christmas 2025 and New Year 2026 (24.12. and 31.12. count).
        (date(2025, 12, 22), date(2026, 1, 8)),
        # An ordinary fortnight: two weeks to the day.
        (date(2025, 11, 3), date(2025, 11, 17)),
        # Submitted on a Saturday: counting starts on Monday.
        (date(2025, 11, 8), date(2025, 11, 21)),
    ],
)
def test_the_tenth_working_day(submitted_on, tenth):
    assert add_working_days(submitted_on, 10) == tenth


def test_one_working_day_is_the_next_one():
    assert add_working_days(date(2026, 4, 2), 1) == date(2026, 4, 7)
    assert add_working_days(date(2025, 11, 3), 1) == date(2025, 11, 4)
    with pytest.raises(ValueError):
        add_working_days(date(2025, 11, 3), 0)


def test_the_deadline_is_midnight_berlin_after_the_last_working_day():
    deadline = working_days_deadline(berlin(date(2026, 4, 2), 10), 10)
    assert deadline == berlin(date(2026, 4, 21))
    assert deadline == datetime(2026, 4, 20, 22, 0, tzinfo=UTC)  # CEST
    # In winter time midnight is 23:00 UTC.
    assert working_days_deadline(berlin(date(2025, 12, 22), 15), 10) == datetime(
        2026, 1, 8, 23, 0, tzinfo=UTC
    )


def test_the_day_of_submission_is_the_berlin_day():
    # 22.12.2025 23:30 in Berlin is still 22.12. …
    late = berlin(date(2025, 12, 22), 23, 30)
    # … 23.12.2025 00:30 in Berlin is 22.12. 23:30 UTC, but a day later in Berlin.
    early = berlin(date(2025, 12, 23), 0, 30)
    assert early.date() == date(2025, 12, 22)
    assert working_days_deadline(late, 10) == berlin(date(2026, 1, 9))
    assert working_days_deadline(early, 10) == berlin(date(2026, 1, 10))
