"""The timeline's data: every engagement with its phases and milestones (three statements
of plain columns, whatever the number of rows), filtered and grouped. ``gantt`` lays it out.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date, datetime

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, Select, and_, select
from sqlalchemy.orm import Session

from caseflow import clock
from caseflow.engagements.models import (
    CLOSED_STATUSES,
    Assignment,
    AssignmentRole,
    Engagement,
    EngagementStatus,
    Milestone,
    MilestoneStatus,
    Phase,
)
from caseflow.organisations.choices import District, Sector
from caseflow.organisations.models import Organisation
from caseflow.staff.models import StaffMember

# Rows fetched at a time: thousands of rows held at once would outlive the young garbage
# collector generations and make the old ones collect the whole heap.
CHUNK_ROWS = 1000


class GroupBy(enum.StrEnum):
    LEAD = "lead"
    SECTOR = "sector"
    DISTRICT = "district"


class MilestoneState(enum.StrEnum):
    """How the chart draws a milestone (its shape and the legend's words)."""

    DONE = "done"
    OPEN = "open"
    OVERDUE = "overdue"
    DROPPED = "dropped"


@dataclass(frozen=True)
class TimelineFilters:
    """Which engagements the timeline shows (None: no restriction)."""

    status: EngagementStatus | None = None
    member_id: int | None = None
    sector: Sector | None = None
    district: District | None = None


# A phase: position, name, planned start and end, the day it was begun. A plain tuple, not a
# class: the garbage collector stops tracking tuples of plain values, and thousands of
# tracked objects per page made it sweep the whole heap (a third of the page's time).
TimelinePhase = tuple[int, str, date, date, date | None]


@dataclass(slots=True)
class TimelineMilestone:
    """A milestone as the chart and the table show it; ``state`` is derived from its status,
    its due date and today, ``text`` is its tooltip and table entry."""

    title: str
    due_date: date
    baseline_due_date: date
    status: MilestoneStatus
    state: MilestoneState = MilestoneState.OPEN
    text: str = ""

    @property
    def has_moved(self) -> bool:
        """True when the milestone is no longer due on its first planned date."""
        return self.baseline_due_date != self.due_date


@dataclass(slots=True)
class TimelineEngagement:
    """One engagement with what the timeline draws and checks."""

    id: int
    organisation: str
    sector: Sector
    district: District
    status: EngagementStatus
    start_date: date
    planned_end_date: date
    actual_end_date: date | None
    status_changed_on: date  # the Berlin day of the last status change
    lead_name: str | None
    phases: list[TimelinePhase] = field(default_factory=list)
    milestones: list[TimelineMilestone] = field(default_factory=list)
    current_phase: str | None = None

    @property
    def is_closed(self) -> bool:
        return self.status in CLOSED_STATUSES

    @property
    def end_date(self) -> date:
        """The end the timeline draws: the actual end once closed, else the planned end
        (``engagements.queries.end_date_column``)."""
        return self.actual_end_date or self.planned_end_date


# ---------------------------------------------------------------- loading


def _filter_conditions(filters: TimelineFilters) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if filters.status is not None:
        conditions.append(Engagement.status == filters.status)
    if filters.member_id is not None:
        conditions.append(
            Engagement.id.in_(
                select(Assignment.engagement_id).where(
                    Assignment.staff_member_id == filters.member_id
                )
            )
        )
    if filters.sector is not None:
        conditions.append(Organisation.sector == filters.sector)
    if filters.district is not None:
        conditions.append(Organisation.district == filters.district)
    return conditions


def _engagement_ids(filters: TimelineFilters) -> Select[tuple[int]]:
    return (
        select(Engagement.id)
        .join(Organisation, Organisation.id == Engagement.organisation_id)
        .where(*_filter_conditions(filters))
    )


def _current_phase(engagement: TimelineEngagement, today: date) -> str | None:
    """``engagements.queries.current_phase`` over plain phases: none once closed; the last
    phase begun; while none has been, the phase whose planned dates contain ``today``."""
    if engagement.status in CLOSED_STATUSES:
        return None
    started = [(position, name) for position, name, *_dates, begun in engagement.phases if begun]
    if started:
        return max(started)[1]
    return next(
        (
            name
            for _position, name, start, end, _begun in engagement.phases
            if start <= today <= end
        ),
        None,
    )


def load_engagements(
    session: Session, *, today: date, filters: TimelineFilters
) -> list[TimelineEngagement]:
    """The engagements ``filters`` lets through, by start date and organisation name, each
    with its lead's name, phases (by position) and milestones (by due date), milestone
    states as of ``today`` and the current phase. Three statements.

    A milestone is overdue when it is open and due before ``today`` and its engagement is
    not closed (a cancelled engagement keeps open milestones, but nothing is late there).
    """
    lead = and_(Assignment.engagement_id == Engagement.id, Assignment.role == AssignmentRole.LEAD)
    statement = (
        select(
            Engagement.id,
            Organisation.name,
            Organisation.sector,
            Organisation.district,
            Engagement.status,
            Engagement.start_date,
            Engagement.planned_end_date,
            Engagement.actual_end_date,
            Engagement.status_changed_at,
            StaffMember.name,
        )
        .join(Organisation, Organisation.id == Engagement.organisation_id)
        .outerjoin(Assignment, lead)
        .outerjoin(StaffMember, StaffMember.id == Assignment.staff_member_id)
        .where(*_filter_conditions(filters))
        .order_by(Engagement.start_date, Organisation.name, Engagement.id)
    )
    engagements: dict[int, TimelineEngagement] = {}
    zone = clock.timezone()
    for row in session.execute(statement):
        changed_at: datetime = row[8]
        engagements[row[0]] = TimelineEngagement(
            id=row[0],
            organisation=row[1],
            sector=row[2],
            district=row[3],
            status=row[4],
            start_date=row[5],
            planned_end_date=row[6],
            actual_end_date=row[7],
            status_changed_on=changed_at.astimezone(zone).date(),
            lead_name=row[9],
        )
    if not engagements:
        return []
    ids = _engagement_ids(filters)
    # Table columns on the session's connection: plain Core rows, without the ORM's per-row
    # work (thousands of milestones).
    connection = session.connection()
    phase, milestone = Phase.__table__.c, Milestone.__table__.c
    phases = (
        select(
            phase.engagement_id,
            phase.position,
            phase.name,
            phase.start_date,
            phase.end_date,
            phase.started_on,
        )
        .where(phase.engagement_id.in_(ids))
        .order_by(phase.engagement_id, phase.position)
    )
    for chunk in connection.execute(phases).partitions(CHUNK_ROWS):
        for engagement_id, position, name, start, end, started_on in chunk:
            engagements[engagement_id].phases.append((position, name, start, end, started_on))
    milestones = (
        select(
            phase.engagement_id,
            milestone.title,
            milestone.due_date,
            milestone.baseline_due_date,
            milestone.status,
        )
        .join_from(Milestone.__table__, Phase.__table__, phase.id == milestone.phase_id)
        .where(phase.engagement_id.in_(ids))
        .order_by(
            phase.engagement_id,
            milestone.due_date,
            phase.position,
            milestone.sort_order,
            milestone.id,
        )
    )
    for chunk in connection.execute(milestones).partitions(CHUNK_ROWS):
        for engagement_id, title, due, baseline, status in chunk:
            engagement = engagements[engagement_id]
            state = _milestone_state(status, due, today, is_closed=engagement.is_closed)
            engagement.milestones.append(TimelineMilestone(title, due, baseline, status, state))
    result = list(engagements.values())
    for engagement in result:
        engagement.current_phase = _current_phase(engagement, today)
    return result


_SETTLED_STATES = {
    MilestoneStatus.ERLEDIGT: MilestoneState.DONE,
    MilestoneStatus.ENTFALLEN: MilestoneState.DROPPED,
}


def _milestone_state(
    status: MilestoneStatus, due: date, today: date, *, is_closed: bool
) -> MilestoneState:
    settled = _SETTLED_STATES.get(status)
    if settled is not None:
        return settled
    if due < today and not is_closed:
        return MilestoneState.OVERDUE
    return MilestoneState.OPEN


# ---------------------------------------------------------------- grouping


def group_engagements(
    engagements: list[TimelineEngagement], group_by: GroupBy
) -> list[tuple[str, list[TimelineEngagement]]]:
    """The engagements in labelled groups, each keeping the given order: by lead (by name,
    engagements without a lead last), by sector or by district (in the order of their lists).
    Empty groups are left out."""
    groups: dict[object, list[TimelineEngagement]] = {}
    if group_by is GroupBy.LEAD:
        for engagement in engagements:
            groups.setdefault(engagement.lead_name, []).append(engagement)
        names = sorted(
            (name for name in groups if isinstance(name, str)), key=lambda n: (n.lower(), n)
        )
        ordered: list[tuple[str, list[TimelineEngagement]]] = [
            (_("Federführung: %(name)s", name=name), groups[name]) for name in names
        ]
        if None in groups:
            ordered.append((_("Ohne Federführung"), groups[None]))
        return ordered
    if group_by is GroupBy.SECTOR:
        for engagement in engagements:
            groups.setdefault(engagement.sector, []).append(engagement)
        return [
            (_("Bereich: %(name)s", name=sector.label), groups[sector])
            for sector in Sector
            if sector in groups
        ]
    for engagement in engagements:
        groups.setdefault(engagement.district, []).append(engagement)
    return [
        (_("Bezirk: %(name)s", name=district.label), groups[district])
        for district in District
        if district in groups
    ]
