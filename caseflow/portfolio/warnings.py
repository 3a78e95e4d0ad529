"""What the timeline warns about: the rules over the plain data the timeline query loads.

Each rule is a function of plain values that returns a warning (its kind and a German
sentence with the figures) or None. Closed engagements (abgeschlossen, abgebrochen) get no
warnings at all: their dates are history, nobody can act on them any more, and the panel is
for what a project lead should do something about.
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from caseflow.engagements.models import CLOSED_STATUSES, EngagementStatus, MilestoneStatus
from caseflow.engagements.rules import MAX_MONTHS, MIN_MONTHS, end_after_months
from caseflow.translating import gettext as _
from caseflow.translating import ngettext
from caseflow.web.i18n import format_day

# An open milestone is worth a warning once it is overdue by more than this many days.
OVERDUE_GRACE_DAYS = 14
# A pause is worth a warning once it has lasted more than this many days.
PAUSE_LIMIT_DAYS = 60


class WarningKind(enum.StrEnum):
    ENDS_AFTER_PROGRAMME = "ends_after_programme"
    TOO_SHORT = "too_short"
    TOO_LONG = "too_long"
    LONG_OVERDUE = "long_overdue"
    NO_LEAD = "no_lead"
    LONG_PAUSE = "long_pause"


@dataclass(frozen=True)
class TimelineWarning:
    """One thing wrong with one engagement, said in German with its figures."""

    kind: WarningKind
    message: str


class MilestoneFacts(Protocol):
    @property
    def title(self) -> str: ...
    @property
    def due_date(self) -> date: ...
    @property
    def status(self) -> MilestoneStatus: ...


class EngagementFacts(Protocol):
    """What the rules read of an engagement (the timeline's loaded engagement has it)."""

    @property
    def status(self) -> EngagementStatus: ...
    @property
    def start_date(self) -> date: ...
    @property
    def planned_end_date(self) -> date: ...
    @property
    def lead_name(self) -> str | None: ...
    @property
    def lead_is_active(self) -> bool: ...
    @property
    def status_changed_on(self) -> date: ...
    @property
    def milestones(self) -> Sequence[MilestoneFacts]: ...


def ends_after_programme(planned_end: date, programme_end: date) -> TimelineWarning | None:
    """A warning when the planned end lies after the programme end (on it is fine)."""
    if planned_end <= programme_end:
        return None
    return TimelineWarning(
        WarningKind.ENDS_AFTER_PROGRAMME,
        _(
            "endet am %(end)s, nach dem Ende des Förderzeitraums (%(programme_end)s)",
            end=format_day(planned_end),
            programme_end=format_day(programme_end),
        ),
    )


@functools.lru_cache(maxsize=4096)
def _allowed_ends(start: date, shortest: int, longest: int) -> tuple[date, date]:
    """The earliest and latest planned end for ``start``; cached, because the month
    arithmetic (``relativedelta``) was a sixth of the chart's time at 100 × the demo and
    engagements share few start days."""
    return end_after_months(start, shortest), end_after_months(start, longest)


def duration_out_of_range(
    start: date, planned_end: date, durations: tuple[int, int] = (MIN_MONTHS, MAX_MONTHS)
) -> TimelineWarning | None:
    """A warning when start to planned end is shorter than 6 or longer than 18 months
    (DESIGN.md §3: the end lies between start + 6 months − 1 day and start + 18 months −
    1 day, both included); ``durations`` are the settings' shortest and longest months."""
    shortest, longest = durations
    earliest, latest = _allowed_ends(start, shortest, longest)
    if planned_end < earliest:
        return TimelineWarning(
            WarningKind.TOO_SHORT,
            _(
                "dauert vom %(start)s bis zum %(end)s, kürzer als %(months)d Monate "
                "(Ende frühestens am %(earliest)s)",
                start=format_day(start),
                end=format_day(planned_end),
                months=shortest,
                earliest=format_day(earliest),
            ),
        )
    if planned_end > latest:
        return TimelineWarning(
            WarningKind.TOO_LONG,
            _(
                "dauert vom %(start)s bis zum %(end)s, länger als %(months)d Monate "
                "(Ende spätestens am %(latest)s)",
                start=format_day(start),
                end=format_day(planned_end),
                months=longest,
                latest=format_day(latest),
            ),
        )
    return None


def long_overdue_milestones(
    milestones: Sequence[MilestoneFacts], today: date
) -> TimelineWarning | None:
    """A warning when open milestones are overdue by more than ``OVERDUE_GRACE_DAYS`` days
    (due 14 days before ``today``: no warning; 15 days: a warning). It counts them and names
    the one overdue longest."""
    late = [
        milestone
        for milestone in milestones
        if milestone.status is MilestoneStatus.OFFEN
        and (today - milestone.due_date).days > OVERDUE_GRACE_DAYS
    ]
    if not late:
        return None
    oldest = min(late, key=lambda milestone: milestone.due_date)
    return TimelineWarning(
        WarningKind.LONG_OVERDUE,
        ngettext(
            "%(num)d offener Meilenstein ist seit mehr als %(grace)d Tagen überfällig: "
            "„%(title)s“, fällig am %(due)s (%(days)d Tage)",
            "%(num)d offene Meilensteine sind seit mehr als %(grace)d Tagen überfällig, "
            "am längsten „%(title)s“, fällig am %(due)s (%(days)d Tage)",
            len(late),
            grace=OVERDUE_GRACE_DAYS,
            title=oldest.title,
            due=format_day(oldest.due_date),
            days=(today - oldest.due_date).days,
        ),
    )


def missing_lead(lead_name: str | None, *, is_active: bool = True) -> TimelineWarning | None:
    """A warning when nobody leads the engagement, or when its lead is no longer an active
    staff member (DESIGN.md §3: exactly one lead consultant, an active staff member)."""
    if lead_name is None:
        return TimelineWarning(WarningKind.NO_LEAD, _("hat keine Federführung"))
    if not is_active:
        return TimelineWarning(
            WarningKind.NO_LEAD,
            _("Federführung (%(name)s) ist nicht mehr aktiv", name=lead_name),
        )
    return None


def paused_too_long(
    status: EngagementStatus, paused_on: date, today: date
) -> TimelineWarning | None:
    """A warning when the engagement is paused and has been for more than
    ``PAUSE_LIMIT_DAYS`` days (``paused_on``: the Berlin day its status last changed;
    exactly 60 days: no warning, 61: a warning)."""
    days = (today - paused_on).days
    if status is not EngagementStatus.PAUSIERT or days <= PAUSE_LIMIT_DAYS:
        return None
    return TimelineWarning(
        WarningKind.LONG_PAUSE,
        _(
            "ist seit dem %(day)s pausiert (%(days)d Tage, mehr als %(limit)d)",
            day=format_day(paused_on),
            days=days,
            limit=PAUSE_LIMIT_DAYS,
        ),
    )


def warnings_for(
    engagement: EngagementFacts,
    *,
    today: date,
    programme_end: date,
    durations: tuple[int, int] = (MIN_MONTHS, MAX_MONTHS),
) -> list[TimelineWarning]:
    """Every warning for ``engagement``, in the order of the rules above; none for a closed
    engagement. ``durations``: the shortest and longest engagement in months (settings)."""
    if engagement.status in CLOSED_STATUSES:
        return []
    found = (
        ends_after_programme(engagement.planned_end_date, programme_end),
        duration_out_of_range(engagement.start_date, engagement.planned_end_date, durations),
        long_overdue_milestones(engagement.milestones, today),
        missing_lead(engagement.lead_name, is_active=engagement.lead_is_active),
        paused_too_long(engagement.status, engagement.status_changed_on, today),
    )
    return [warning for warning in found if warning is not None]
