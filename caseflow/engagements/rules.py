"""The date rules of an engagement (DESIGN.md §3), in one place for every path that sets dates.

Month arithmetic adds calendar months and clips to the month's end (``relativedelta``):
2025-08-31 + 6 months = 2026-02-28, so a 6-month engagement starting then ends 2026-02-27
at the earliest.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from dateutil.relativedelta import relativedelta

from caseflow.translating import gettext as _
from caseflow.web.i18n import format_day

# The defaults of the shortest and longest engagement; admins may change them (the settings
# MIN_DURATION_MONTHS and MAX_DURATION_MONTHS), which reach the rules in ProgrammeWindow.
MIN_MONTHS = 6
MAX_MONTHS = 18
ONE_DAY = timedelta(days=1)


class DateRuleError(ValueError):
    """Dates that break a rule; the message is German and names the allowed range."""


@dataclass(frozen=True)
class ProgrammeWindow:
    """The programme window and the allowed durations of an engagement in it (in months)."""

    start: date
    end: date
    min_months: int = MIN_MONTHS
    max_months: int = MAX_MONTHS


def end_after_months(start: date, months: int) -> date:
    """The last day of an engagement of ``months`` months starting on ``start``."""
    return start + relativedelta(months=months) - ONE_DAY


def duration_in_months(start: date, end: date) -> int:
    """Whole calendar months from ``start`` to ``end`` (inclusive), rounded down."""
    span = relativedelta(end + ONE_DAY, start)
    return span.years * 12 + span.months


def allowed_end_range(start: date, window: ProgrammeWindow) -> tuple[date, date]:
    """Earliest and latest planned end for an engagement starting on ``start``."""
    earliest = end_after_months(start, window.min_months)
    latest = min(end_after_months(start, window.max_months), window.end)
    return earliest, latest


def latest_start(months: int, window: ProgrammeWindow) -> date:
    """The last start date from which ``months`` months still end by the programme end."""
    # The end grows with the start, but in steps: clipping to the month's end makes several
    # starts share one end (2025-08-29 … 2025-09-01 + 6 months all end by 2026-02-28).
    candidate = window.end - relativedelta(months=months)
    while end_after_months(candidate, months) > window.end:
        candidate -= ONE_DAY
    while end_after_months(candidate + ONE_DAY, months) <= window.end:
        candidate += ONE_DAY
    return candidate


def check_dates(start: date, planned_end: date, window: ProgrammeWindow) -> None:
    """Refuse dates outside the programme window or outside the allowed duration (6–18
    months by default, ``window.min_months``–``window.max_months``).

    Raises ``DateRuleError`` with a message naming the allowed range.
    """
    if start < window.start:
        raise DateRuleError(
            _(
                "Der Beginn darf nicht vor dem Start des Förderzeitraums (%(day)s) liegen.",
                day=format_day(window.start),
            )
        )
    if planned_end < start:
        raise DateRuleError(_("Das Ende darf nicht vor dem Beginn liegen."))
    earliest, latest = allowed_end_range(start, window)
    if earliest > window.end:
        raise DateRuleError(
            _(
                "Ab %(start)s bleiben keine %(months)d Monate bis zum Ende des "
                "Förderzeitraums (%(end)s). Der späteste Beginn ist der %(latest)s.",
                start=format_day(start),
                months=window.min_months,
                end=format_day(window.end),
                latest=format_day(latest_start(window.min_months, window)),
            )
        )
    if not earliest <= planned_end <= latest:
        raise DateRuleError(
            _(
                "Das Ende muss zwischen dem %(earliest)s und dem %(latest)s liegen "
                "(%(min)d bis %(max)d Monate, höchstens bis zum Ende des Förderzeitraums).",
                earliest=format_day(earliest),
                latest=format_day(latest),
                min=window.min_months,
                max=window.max_months,
            )
        )


def check_extension(start: date, planned_end: date, new_end: date, window: ProgrammeWindow) -> None:
    """Refuse an extension that does not end later than ``planned_end`` or breaks the rules
    of ``check_dates`` (at most ``window.max_months`` months from ``start``, by the programme
    end).

    Raises ``DateRuleError`` naming the current end or the allowed range.
    """
    if new_end <= planned_end:
        raise DateRuleError(
            _(
                "Das neue Ende muss nach dem bisherigen geplanten Ende (%(day)s) liegen. "
                "Eine Prozessbegleitung lässt sich hier nur verlängern, nicht verkürzen.",
                day=format_day(planned_end),
            )
        )
    check_dates(start, new_end, window)
