"""Working days in Berlin: Monday to Friday, except Berlin's public holidays.

The holidays come from the maintained ``holidays`` package (``holidays.Germany(subdiv="BE")``:
the nationwide holidays plus Berlin's Internationaler Frauentag on 8 March). 24 and 31
December are working days, as the law has it.

The decision deadline of an application (DESIGN.md §4: "not decided within 10 working days")
counts working days from the day after its submission, in Berlin local time; the deadline
passes at 00:00 (Berlin) after the last of those working days. Submitted on Thursday
02.04.2026 (before Easter): Friday 03.04. and Monday 06.04. are holidays, so the ten working
days are 07.04.–20.04. and the application is overdue from Tuesday 21.04.2026, 00:00.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import lru_cache

import holidays

from caseflow import clock


@lru_cache(maxsize=64)
def _holidays_of(year: int) -> frozenset[date]:
    return frozenset(holidays.Germany(subdiv="BE", years=year))


def is_holiday(day: date) -> bool:
    """Whether ``day`` is a public holiday in Berlin."""
    return day in _holidays_of(day.year)


def is_working_day(day: date) -> bool:
    """Whether ``day`` is a working day in Berlin (Monday–Friday and no public holiday)."""
    return day.weekday() < 5 and not is_holiday(day)


def add_working_days(start: date, count: int) -> date:
    """The ``count``-th working day after ``start`` (``start`` itself is not counted, so
    ``count`` = 1 is the next working day). ``count`` must be at least 1."""
    if count < 1:
        raise ValueError("count must be at least 1")
    day = start
    remaining = count
    while remaining:
        day += timedelta(days=1)
        if is_working_day(day):
            remaining -= 1
    return day


def working_days_deadline(submitted_at: datetime, count: int) -> datetime:
    """The moment (aware UTC) after which something submitted at ``submitted_at`` has had
    ``count`` full working days: 00:00 Berlin time after the ``count``-th working day that
    follows the local day of submission."""
    submitted_on = clock.local(submitted_at).date()
    last = add_working_days(submitted_on, count)
    return clock.start_of_day(last + timedelta(days=1))
