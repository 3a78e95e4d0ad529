"""Read-only queries behind the portfolio pages: dashboard, timeline, capacity, reports.

Portfolio sits above every feature it reads (DESIGN.md §7). Each function takes the session
and explicit parameters (``today``, the programme window) and runs a fixed number of
statements whatever the number of rows.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from dateutil.relativedelta import relativedelta
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session, contains_eager

from caseflow.clock import local
from caseflow.database import count_by
from caseflow.engagements.models import (
    Assignment,
    Barrier,
    BarrierCategory,
    BarrierStatus,
    Engagement,
    Milestone,
    MilestoneStatus,
    Phase,
)
from caseflow.engagements.queries import OPEN_STATUSES, EngagementRow, list_engagements
from caseflow.followups.models import FollowUp, FollowUpStatus
from caseflow.intake.models import Application, ApplicationStatus
from caseflow.organisations.choices import Sector
from caseflow.organisations.models import Organisation
from caseflow.staff.models import StaffMember

MILESTONE_HORIZON_DAYS = 14

# Applications still waiting for a decision (or for a place) — the leads' to-do list.
AWAITING_DECISION = (
    ApplicationStatus.EINGEGANGEN,
    ApplicationStatus.IN_PRUEFUNG,
    ApplicationStatus.VORGESPRAECH,
    ApplicationStatus.WARTELISTE,
)


@dataclass(frozen=True)
class FollowUpRow:
    """An open follow-up with its due day in the programme's time zone."""

    follow_up: FollowUp
    due_on: date


@dataclass(frozen=True)
class TimelineGroup:
    """The engagements one lead consultant leads (``lead`` None: nobody leads them)."""

    lead: StaffMember | None
    rows: list[EngagementRow]


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


@dataclass(frozen=True)
class MilestoneFigures:
    """Milestones by state; ``overdue`` is the part of ``open`` due before today."""

    done: int
    open: int
    overdue: int
    dropped: int

    @property
    def total(self) -> int:
        """All milestones."""
        return self.done + self.open + self.dropped


@dataclass(frozen=True)
class BarrierMatrix:
    """Barriers per category and status."""

    counts: dict[BarrierCategory, dict[BarrierStatus, int]] = field(default_factory=dict)

    def row_total(self, category: BarrierCategory) -> int:
        """All barriers of one category."""
        return sum(self.counts[category].values())

    def column_total(self, status: BarrierStatus) -> int:
        """All barriers in one status."""
        return sum(row[status] for row in self.counts.values())

    @property
    def total(self) -> int:
        """All barriers."""
        return sum(self.row_total(category) for category in self.counts)


# Dashboard ------------------------------------------------------------------------------


def my_milestones(
    session: Session,
    staff_member_id: int,
    *,
    today: date,
    horizon_days: int = MILESTONE_HORIZON_DAYS,
) -> list[Milestone]:
    """Open milestones someone owns that are overdue or due within ``horizon_days``.

    Only engagements that are not closed count. Overdue first (by due date), with phase,
    engagement and organisation loaded; one statement.
    """
    statement = (
        select(Milestone)
        .join(Milestone.phase)
        .join(Phase.engagement)
        .join(Engagement.organisation)
        .where(
            Milestone.owner_id == staff_member_id,
            Milestone.status == MilestoneStatus.OFFEN,
            Milestone.due_date <= today + timedelta(days=horizon_days),
            Engagement.status.in_(OPEN_STATUSES),
        )
        .options(
            contains_eager(Milestone.phase)
            .contains_eager(Phase.engagement)
            .contains_eager(Engagement.organisation)
        )
        .order_by(Milestone.due_date, Organisation.name, Milestone.sort_order, Milestone.id)
    )
    return list(session.scalars(statement))


def open_follow_ups(
    session: Session, *, assignee_id: int | None = None, engagement_id: int | None = None
) -> list[FollowUpRow]:
    """Open follow-ups, earliest first, with engagement, organisation and assignee loaded.

    Filtered to one assignee and/or one engagement; one statement.
    """
    statement = (
        select(FollowUp)
        .join(FollowUp.engagement)
        .join(Engagement.organisation)
        .outerjoin(FollowUp.assignee)
        .where(FollowUp.status == FollowUpStatus.OFFEN)
        .options(
            contains_eager(FollowUp.engagement).contains_eager(Engagement.organisation),
            contains_eager(FollowUp.assignee),
        )
        .order_by(FollowUp.due_at, FollowUp.id)
    )
    if assignee_id is not None:
        statement = statement.where(FollowUp.assignee_id == assignee_id)
    if engagement_id is not None:
        statement = statement.where(FollowUp.engagement_id == engagement_id)
    return [
        FollowUpRow(follow_up=follow_up, due_on=local(follow_up.due_at).date())
        for follow_up in session.scalars(statement)
    ]


def applications_awaiting_decision(session: Session) -> dict[ApplicationStatus, int]:
    """How many applications wait in each undecided status (zero included); one statement."""
    return count_by(session, Application.status, AWAITING_DECISION)


# Timeline -------------------------------------------------------------------------------


def timeline_groups(session: Session, *, today: date) -> list[TimelineGroup]:
    """Every engagement, grouped by lead consultant (by name), each group by start date."""
    groups: dict[int | None, list[EngagementRow]] = defaultdict(list)
    leads: dict[int | None, StaffMember | None] = {None: None}
    for row in list_engagements(session, today=today):
        lead = row.engagement.lead
        key = lead.id if lead is not None else None
        leads[key] = lead
        groups[key].append(row)
    ordered = sorted(
        groups,
        key=lambda key: (key is None, leads[key].name.lower() if leads[key] else "", key or 0),
    )
    return [TimelineGroup(lead=leads[key], rows=groups[key]) for key in ordered]


# Capacity -------------------------------------------------------------------------------


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


# Reports --------------------------------------------------------------------------------


def organisations_by_sector(session: Session) -> dict[Sector, int]:
    """How many organisations each sector has (zero included); one statement."""
    return count_by(session, Organisation.sector, Sector)


def milestone_figures(session: Session, *, today: date) -> MilestoneFigures:
    """Milestones done, open, overdue (open and due before ``today``) and dropped."""
    status = Milestone.status
    statement = select(
        func.count(case((status == MilestoneStatus.ERLEDIGT, 1))),
        func.count(case((status == MilestoneStatus.OFFEN, 1))),
        func.count(case(((status == MilestoneStatus.OFFEN) & (Milestone.due_date < today), 1))),
        func.count(case((status == MilestoneStatus.ENTFALLEN, 1))),
    )
    done, open_, overdue, dropped = session.execute(statement).one()
    return MilestoneFigures(done=done, open=open_, overdue=overdue, dropped=dropped)


def barrier_matrix(session: Session) -> BarrierMatrix:
    """Barriers per category × status (every cell present); one statement."""
    counts = {category: dict.fromkeys(BarrierStatus, 0) for category in BarrierCategory}
    statement = select(Barrier.category, Barrier.status, func.count(Barrier.id)).group_by(
        Barrier.category, Barrier.status
    )
    for category, status, count in session.execute(statement):
        counts[category][status] = count
    return BarrierMatrix(counts=counts)
