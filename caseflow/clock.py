"""The one source of "now" and "today".

``now()`` is an aware UTC datetime, ``today()`` the calendar date in the programme's time zone
(Europe/Berlin). Logic takes these as parameters; only the edges (views, CLI, scheduler jobs)
call this module. Two things can fix the clock:

- ``CASEFLOW_TODAY`` in the configuration (the demo): the date is fixed, the time of day runs;
- ``frozen(moment)`` in tests: both date and time stand still.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context

DEFAULT_TIMEZONE = "Europe/Berlin"

_frozen: ContextVar[datetime | None] = ContextVar("caseflow_frozen_now", default=None)


def timezone() -> ZoneInfo:
    """The programme's time zone (``TIMEZONE``, default Europe/Berlin)."""
    name = current_app.config["TIMEZONE"] if has_app_context() else DEFAULT_TIMEZONE
    return ZoneInfo(name)


def demo_today() -> date | None:
    """The fixed demo date, or None when the clock runs normally."""
    if not has_app_context():
        return None
    return current_app.config.get("CASEFLOW_TODAY")


def now() -> datetime:
    """The current moment as an aware UTC datetime."""
    frozen = _frozen.get()
    if frozen is not None:
        return frozen
    real = datetime.now(UTC)
    fixed = demo_today()
    if fixed is None:
        return real
    zone = timezone()
    wall = real.astimezone(zone).timetz().replace(tzinfo=None)
    return datetime.combine(fixed, wall, tzinfo=zone).astimezone(UTC)


def today() -> date:
    """Today's date in the programme's time zone."""
    return now().astimezone(timezone()).date()


def local(moment: datetime) -> datetime:
    """An aware datetime shown in the programme's time zone."""
    return moment.astimezone(timezone())


def start_of_day(day: date) -> datetime:
    """Midnight of ``day`` in the programme's time zone, as aware UTC."""
    return datetime.combine(day, time.min, tzinfo=timezone()).astimezone(UTC)


@contextmanager
def frozen(moment: datetime | date) -> Iterator[datetime]:
    """Stop the clock at ``moment`` (a date means 12:00 local time that day)."""
    if not isinstance(moment, datetime):
        moment = datetime.combine(moment, time(12, 0), tzinfo=timezone())
    if moment.tzinfo is None:
        raise ValueError("frozen() needs an aware datetime or a date")
    token = _frozen.set(moment.astimezone(UTC))
    try:
        yield moment.astimezone(UTC)
    finally:
        _frozen.reset(token)
