"""Staff × month: how many engagements each person leads or co-supports per month."""

from dataclasses import dataclass
from datetime import date, timedelta

from dateutil.relativedelta import relativedelta
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from caseflow.engagements.models import (
    Assignment,
    Engagement,
)
from caseflow.staff.models import StaffMember


@dataclass(frozen=True)
class CapacityRow:
    """One staff member's number of engagements in each month of the table."""

    staff_member_id: int
    name: str
    counts: list[int]


@dataclass(frozen=True)
class CapacityTable:
    """Staff × month: how many engagements each person leads or co-supports per month."""

    months: list[date]
    rows: list[CapacityRow]

    @property
    def totals(self) -> list[int]:
        """The sum of each month's column."""
        return [sum(row.counts[index] for row in self.rows) for index in range(len(self.months))]


def months_between(start: date, end: date) -> list[date]:
    """The first day of every month from ``start``'s month to ``end``'s month."""
    month = start.replace(day=1)
    months = []
    while month <= end:
        months.append(month)
        month += relativedelta(months=1)
    return months


def capacity_table(session: Session, *, start: date, end: date) -> CapacityTable:
    """Staff × month over ``start``…``end``: engagements each person leads or co-supports.

    An engagement counts in every month its dates touch: start to planned end while it is
    planned, active or paused; start to actual end once it is closed. Everyone on any
    engagement's team gets a row (by name). One statement.
    """
    months = months_between(start, end)
    statement = (
        select(
            StaffMember.id,
            StaffMember.name,
            Engagement.start_date,
            func.coalesce(Engagement.actual_end_date, Engagement.planned_end_date),
        )
        .join(Assignment, Assignment.staff_member_id == StaffMember.id)
        .join(Engagement, Engagement.id == Assignment.engagement_id)
    )
    names: dict[int, str] = {}
    counts: dict[int, list[int]] = {}
    for staff_member_id, name, first_day, last_day in session.execute(statement):
        names[staff_member_id] = name
        row = counts.setdefault(staff_member_id, [0] * len(months))
        for index, month in enumerate(months):
            month_end = month + relativedelta(months=1) - timedelta(days=1)
            if first_day <= month_end and last_day >= month:
                row[index] += 1
    rows = [
        CapacityRow(staff_member_id=member_id, name=names[member_id], counts=counts[member_id])
        for member_id in sorted(names, key=lambda member_id: (names[member_id].lower(), member_id))
    ]
    return CapacityTable(months=months, rows=rows)
