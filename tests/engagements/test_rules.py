"""The date rules of DESIGN.md §3, with its worked examples."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from caseflow.engagements.rules import (
    DateRuleError,
    ProgrammeWindow,
    allowed_end_range,
    check_dates,
    duration_in_months,
    end_after_months,
    latest_start,
)

WINDOW = ProgrammeWindow(date(2024, 4, 1), date(2026, 7, 31))


@pytest.fixture(autouse=True)
def _german(app):
    with app.test_request_context():
        yield


def test_design_example_2025_01_01() -> None:
    assert allowed_end_range(date(2025, 1, 1), WINDOW) == (date(2025, 6, 30), date(2026, 6, 30))


def test_design_example_month_end_is_clipped() -> None:
    # 2025-08-31 + 6 months = 2026-02-28, so the earliest end is 2026-02-27.
    assert end_after_months(date(2025, 8, 31), 6) == date(2026, 2, 27)
    assert end_after_months(date(2024, 2, 29), 6) == date(2024, 8, 28)


def test_the_latest_end_is_clipped_to_the_programme_end() -> None:
    assert allowed_end_range(date(2025, 6, 1), WINDOW) == (date(2025, 11, 30), date(2026, 7, 31))


@pytest.mark.parametrize(
    ("start", "end", "months"),
    [
        (date(2025, 1, 1), date(2025, 6, 30), 6),
        (date(2025, 1, 1), date(2026, 6, 30), 18),
        (date(2025, 1, 15), date(2025, 10, 14), 9),
        (date(2025, 1, 15), date(2025, 10, 13), 8),
    ],
)
def test_duration_in_months(start: date, end: date, months: int) -> None:
    assert duration_in_months(start, end) == months


def test_valid_dates_pass() -> None:
    check_dates(date(2025, 1, 1), date(2025, 6, 30), WINDOW)
    check_dates(date(2025, 1, 1), date(2026, 6, 30), WINDOW)
    check_dates(date(2025, 2, 1), date(2026, 7, 31), WINDOW)


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        (
            date(2025, 1, 1),
            date(2025, 6, 29),
            "Das Ende muss zwischen dem 30.06.2025 und dem 30.06.2026 liegen",
        ),
        (
            date(2025, 1, 1),
            date(2026, 7, 1),
            "Das Ende muss zwischen dem 30.06.2025 und dem 30.06.2026 liegen",
        ),
        (
            date(2025, 6, 1),
            date(2026, 8, 31),
            "Das Ende muss zwischen dem 30.11.2025 und dem 31.07.2026 liegen",
        ),
        (date(2024, 3, 1), date(2024, 12, 31), "Förderzeitraums (01.04.2024)"),
        (date(2025, 5, 1), date(2025, 4, 1), "Das Ende darf nicht vor dem Beginn liegen."),
        (date(2026, 3, 1), date(2026, 7, 31), "Der späteste Beginn ist der 01.02.2026."),
    ],
)
def test_bad_dates_are_refused_naming_the_range(start: date, end: date, message: str) -> None:
    with pytest.raises(DateRuleError) as caught:
        check_dates(start, end, WINDOW)
    assert message in str(caught.value)


@pytest.mark.parametrize("months", range(6, 19))
@pytest.mark.parametrize("programme_end", [date(2026, 7, 31), date(2026, 2, 28), date(2026, 3, 30)])
def test_latest_start_is_the_last_day_that_still_fits(months: int, programme_end: date) -> None:
    window = ProgrammeWindow(date(2024, 4, 1), programme_end)
    latest = latest_start(months, window)
    assert end_after_months(latest, months) <= programme_end
    # Every later day (looked at for a month) would end too late.
    for offset in range(1, 32):
        assert end_after_months(latest + timedelta(days=offset), months) > programme_end
