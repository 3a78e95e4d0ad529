"""``caseflow.web.filters.parse_day``: the day a date input sends, or one typed the German
way into a plain text box; nothing else."""

from __future__ import annotations

from datetime import date

import pytest

from caseflow.web.filters import parse_day


@pytest.mark.parametrize(
    ("value", "day"),
    [
        ("2025-09-01", date(2025, 9, 1)),
        ("01.09.2025", date(2025, 9, 1)),
        ("1.9.2025", date(2025, 9, 1)),
        (" 29.02.2024 ", date(2024, 2, 29)),
        ("31.12.9999", date(9999, 12, 31)),
    ],
)
def test_days_that_are_read(value: str, day: date) -> None:
    assert parse_day(value) == day


@pytest.mark.parametrize(
    "value",
    [
        "",
        "29.02.2025",  # no such day
        "2025-02-30",
        "1.9.25",  # two-digit year
        "2025-9-1",
        "20250901",
        "2025-W36-1",
        "01/09/2025",
        "001.09.2025",
        "０１.０９.２０２５",  # full-width digits
        "0000-01-01",
        "1.9.2025.",
        "morgen",
    ],
)
def test_anything_else_is_not_a_day(value: str) -> None:
    assert parse_day(value) is None
