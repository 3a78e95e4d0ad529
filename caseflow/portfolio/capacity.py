"""Staff × month: how many engagements each person leads or co-supports per month.

What counts: every engagement a person is on the team of (Assignment role ``lead`` or ``co``)
counts in every month its dates touch, from its start to its end (``span_end_column``):

- planned (``geplant``): the planned end;
- active and paused: the planned end or ``today``, whichever is later — an engagement past
  its planned end still runs and still takes time, as the reports page counts it;
- closed (``abgeschlossen``, ``abgebrochen``): the actual end.

Planned engagements are counted apart from the others, so a lead sees both what runs and what
is coming. The limit (``CAPACITY_LIMIT``) applies to both together: a month with more than
``limit`` engagements, running and planned, is over the limit.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import accumulate

from sqlalchemy import ColumnElement, Date, and_, case, func, literal, or_, select
from sqlalchemy.orm import Session

from caseflow.engagements.models import (
    CLOSED_STATUSES,
    Assignment,
    AssignmentRole,
    Engagement,
    EngagementStatus,
)
from caseflow.engagements.queries import end_date_column
from caseflow.organisations.models import Organisation
from caseflow.staff.models import Role, StaffMember

# Who is free capacity even without any engagement: people who can log in and run engagements.
CAPACITY_ROLES = (Role.CONSULTANT, Role.LEAD)
# Engagements that still run after their planned end until someone closes them.
RUNNING_STATUSES = (EngagementStatus.AKTIV, EngagementStatus.PAUSIERT)
_MONTH_PATTERN = re.compile(r"([0-9]{4})-([0-9]{2})")


class LimitState(enum.StrEnum):
    """How a month's load stands against the limit."""

    WITHIN = "within"
    # Running engagements alone exceed the limit.
    OVER = "over"
    # Running ones stay within it; the planned ones would take the month over it.
    OVER_WITH_PLANNED = "over_with_planned"


@dataclass(frozen=True)
class CapacityCell:
    """One person's (or the total's) engagements in one month."""

    running: int  # active, paused, or closed but still running in that month
    planned: int  # status ``geplant``
    state: LimitState = LimitState.WITHIN

    @property
    def total(self) -> int:
        """Running and planned engagements together."""
        return self.running + self.planned

    @property
    def is_over(self) -> bool:
        """True when the month is over the limit (with or without the planned ones)."""
        return self.state is not LimitState.WITHIN


@dataclass(frozen=True)
class CapacityRow:
    """One staff member's engagements in each month of the table."""

    staff_member_id: int
    name: str
    cells: list[CapacityCell]

    @property
    def counts(self) -> list[int]:
        """Running and planned engagements together, per month."""
        return [cell.total for cell in self.cells]


@dataclass(frozen=True)
class CapacityTable:
    """Staff × month over a window, with the limit the cells were judged by."""

    months: list[date]
    rows: list[CapacityRow]
    limit: int

    @property
    def totals(self) -> list[CapacityCell]:
        """The sum of each month's column (never judged against the limit)."""
        return [
            CapacityCell(
                running=sum(row.cells[index].running for row in self.rows),
                planned=sum(row.cells[index].planned for row in self.rows),
            )
            for index in range(len(self.months))
        ]


def month_index(day: date) -> int:
    """A month as one integer (months since year 0), so month spans are integer arithmetic."""
    return day.year * 12 + day.month - 1


def month_of_index(index: int) -> date:
    """The first day of the month ``month_index`` gave ``index`` for."""
    return date(index // 12, index % 12 + 1, 1)


def months_between(start: date, end: date) -> list[date]:
    """The first day of every month from ``start``'s month to ``end``'s month."""
    return [month_of_index(index) for index in range(month_index(start), month_index(end) + 1)]


def month_end(month: date) -> date:
    """The last day of ``month``'s month."""
    return month_of_index(month_index(month) + 1) - timedelta(days=1)


def parse_month(text: str, *, start: date, end: date) -> date | None:
    """The first day of the month ``text`` (``YYYY-MM``) names, or None when it is malformed
    or outside the months of ``start``…``end``."""
    match = _MONTH_PATTERN.fullmatch(text)
    if match is None:
        return None
    year, month = int(match.group(1)), int(match.group(2))
    if not 1 <= month <= 12 or year < 1:
        return None
    index = month_index(date(year, month, 1))
    if not month_index(start) <= index <= month_index(end):
        return None
    return month_of_index(index)


def span_end_column(today: date) -> ColumnElement[date]:
    """The last day an engagement counts in the table (see the module docstring): for active
    and paused ones the planned end or ``today``, whichever is later; else the end lists show
    (``end_date_column``: the actual end once closed, the planned end while planned)."""
    running = Engagement.status.in_(RUNNING_STATUSES)
    return case(
        (
            running & (Engagement.planned_end_date < today),
            literal(today, type_=Date),
        ),
        else_=end_date_column(),
    )


def limit_state(running: int, planned: int, limit: int) -> LimitState:
    """Where ``running`` and ``planned`` engagements stand against ``limit`` (more than
    ``limit`` together is over it; exactly ``limit`` is not)."""
    if running > limit:
        return LimitState.OVER
    if running + planned > limit:
        return LimitState.OVER_WITH_PLANNED
    return LimitState.WITHIN


def count_months(
    spans: Iterable[tuple[int, bool, date, date]], *, months: list[date]
) -> dict[int, tuple[list[int], list[int]]]:
    """Per staff member id: (running, planned) counts for each of ``months``.

    ``spans`` are (staff member id, is planned, first day, last day). A span counts in every
    month from its first day's to its last day's, clipped to ``months``. One pass over the
    spans (a difference array per person), then one prefix sum per person: the work grows
    with spans + people × months, not spans × months.
    """
    size = len(months)
    if not size:
        return {}
    base = month_index(months[0])
    differences: dict[int, tuple[list[int], list[int]]] = {}
    for staff_member_id, is_planned, first_day, last_day in spans:
        first = max(month_index(first_day) - base, 0)
        last = min(month_index(last_day) - base, size - 1)
        if first > last:
            continue
        pair = differences.get(staff_member_id)
        if pair is None:
            pair = differences[staff_member_id] = ([0] * (size + 1), [0] * (size + 1))
        series = pair[1] if is_planned else pair[0]
        series[first] += 1
        series[last + 1] -= 1
    return {
        staff_member_id: (list(accumulate(running[:size])), list(accumulate(planned[:size])))
        for staff_member_id, (running, planned) in differences.items()
    }


def capacity_table(
    session: Session, *, start: date, end: date, today: date, limit: int = 4
) -> CapacityTable:
    """Staff × month over ``start``…``end`` as of ``today`` (see the module docstring for
    what counts; ``today`` extends running engagements past their planned end).

    Rows: everyone on any engagement's team, and every active staff member who can log in
    with role consultant or lead (the free capacity, with zeros); by name. A cell is over
    the limit when running and planned engagements together exceed ``limit``. Two
    statements, whatever the number of engagements.
    """
    months = months_between(start, end)
    if not months:
        return CapacityTable(months=[], rows=[], limit=limit)
    can_log_in = and_(
        StaffMember.is_active.is_(True),
        StaffMember.password_hash.is_not(None),
        StaffMember.password_hash != "",
        StaffMember.email.is_not(None),
        StaffMember.email != "",
        StaffMember.role.in_(CAPACITY_ROLES),
    )
    people = session.execute(
        select(StaffMember.id, StaffMember.name)
        .where(or_(StaffMember.id.in_(select(Assignment.staff_member_id)), can_log_in))
        .order_by(func.lower(StaffMember.name), StaffMember.id)
    ).all()
    span_end = span_end_column(today)
    spans = session.execute(
        select(
            Assignment.staff_member_id,
            Engagement.status == EngagementStatus.GEPLANT,
            Engagement.start_date,
            span_end,
        )
        .join(Engagement, Engagement.id == Assignment.engagement_id)
        .where(
            Engagement.start_date <= month_end(months[-1]),
            span_end >= months[0],
        )
    )
    counts = count_months(
        ((member_id, bool(planned), first, last) for member_id, planned, first, last in spans),
        months=months,
    )
    zeros = [0] * len(months)
    rows = []
    for member_id, name in people:
        running, planned = counts.get(member_id, (zeros, zeros))
        cells = [
            CapacityCell(running=r, planned=p, state=limit_state(r, p, limit))
            for r, p in zip(running, planned, strict=True)
        ]
        rows.append(CapacityRow(staff_member_id=member_id, name=name, cells=cells))
    return CapacityTable(months=months, rows=rows, limit=limit)


@dataclass(frozen=True)
class CellEngagement:
    """One engagement behind a cell of the capacity table."""

    engagement_id: int
    organisation_name: str
    role: AssignmentRole
    status: EngagementStatus
    start_date: date
    end_date: date  # the actual end once closed, else the planned end
    overrun: bool = False  # running or paused past its planned end: counts up to today

    @property
    def is_planned(self) -> bool:
        """True for an engagement in status ``geplant`` (counted as "+ N geplant")."""
        return self.status is EngagementStatus.GEPLANT

    @property
    def is_closed(self) -> bool:
        """True once the engagement is closed (``end_date`` is then its actual end)."""
        return self.status in CLOSED_STATUSES


def cell_engagements(
    session: Session, staff_member_id: int, month: date, *, today: date
) -> list[CellEngagement]:
    """The engagements counted in ``staff_member_id``'s cell of ``month`` in
    ``capacity_table`` as of ``today``: those whose dates touch the month (same rule, same
    end); running ones first, then planned, each by start and organisation. One statement."""
    first_day = month.replace(day=1)
    span_end = span_end_column(today)
    statement = (
        select(
            Engagement.id,
            Organisation.name,
            Assignment.role,
            Engagement.status,
            Engagement.start_date,
            end_date_column(),
        )
        .join(Assignment, Assignment.engagement_id == Engagement.id)
        .join(Organisation, Organisation.id == Engagement.organisation_id)
        .where(
            Assignment.staff_member_id == staff_member_id,
            Engagement.start_date <= month_end(first_day),
            span_end >= first_day,
        )
    )
    found = [
        CellEngagement(
            engagement_id=engagement_id,
            organisation_name=name,
            role=AssignmentRole(role),
            status=EngagementStatus(status),
            start_date=start_date,
            end_date=end_date,
            overrun=status in RUNNING_STATUSES and end_date < today,
        )
        for engagement_id, name, role, status, start_date, end_date in session.execute(statement)
    ]
    return sorted(
        found,
        key=lambda row: (row.is_planned, row.start_date, row.organisation_name, row.engagement_id),
    )
