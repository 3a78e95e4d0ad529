"""The timeline's data: every engagement with its phases and milestones (three statements
of plain columns, whatever the number of rows), filtered and grouped. ``gantt`` lays it out.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, String, and_, select, type_coerce
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
from caseflow.engagements.queries import current_of
from caseflow.organisations.choices import District, Sector
from caseflow.organisations.models import Organisation
from caseflow.staff.models import StaffMember
from caseflow.translating import gettext as _


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


@dataclass(slots=True)
class TimelinePhase:
    """A phase as the timeline draws it: its position, name, planned days, the day it was
    begun (None: not yet)."""

    position: int
    name: str
    start_date: date
    end_date: date
    started_on: date | None


@dataclass(slots=True)
class TimelineMilestone:
    """A milestone as the chart and the table show it; ``state`` is derived from its status,
    its due date and today."""

    title: str
    due_date: date
    baseline_due_date: date
    status: MilestoneStatus
    state: MilestoneState


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
    lead_id: int | None
    lead_name: str | None
    lead_is_active: bool  # True without a lead: nothing to report then
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


def _raw(column: ColumnElement[Any]) -> ColumnElement[Any]:
    """``column`` as the driver returns it, without SQLAlchemy's per-value conversion (its
    Enum and, on SQLite, regex-based Date processors over ~60,000 values); ``_days`` and the
    enum tables below convert what needs it. At 100 × the demo on SQLite, loading took
    73 ms this way against 86 ms with the processors."""
    return type_coerce(column, String)


def _day(raw: date | str) -> date:
    """A day as the driver gave it: a ``date`` (psycopg) or ISO text (SQLite)."""
    return raw if isinstance(raw, date) else date.fromisoformat(raw)


def _days(raw: date | str, cache: dict[object, date]) -> date:
    """``_day`` through ``cache``: thousands of rows share a few hundred days (a lookup is
    cheaper than parsing again: 73 against 82 ms of loading at 100 × the demo)."""
    day = cache.get(raw)
    if day is None:
        day = cache[raw] = _day(raw)
    return day


def load_engagements(
    session: Session, *, today: date, filters: TimelineFilters
) -> list[TimelineEngagement]:
    """The engagements ``filters`` lets through, by start date and organisation name, each
    with its lead, phases (by position) and milestones (by due date), milestone states as of
    ``today`` and the current phase (``engagements.queries.current_of``). Three statements.

    A milestone is overdue when it is open and due before ``today`` and its engagement is
    not closed (a cancelled engagement keeps open milestones, but nothing is late there).
    """
    lead = and_(Assignment.engagement_id == Engagement.id, Assignment.role == AssignmentRole.LEAD)
    statement = (
        select(
            Engagement.id,
            Organisation.name,
            _raw(Organisation.sector),
            _raw(Organisation.district),
            _raw(Engagement.status),
            _raw(Engagement.start_date),
            _raw(Engagement.planned_end_date),
            _raw(Engagement.actual_end_date),
            Engagement.status_changed_at,
            StaffMember.id,
            StaffMember.name,
            StaffMember.is_active,
        )
        .join(Organisation, Organisation.id == Engagement.organisation_id)
        .outerjoin(Assignment, lead)
        .outerjoin(StaffMember, StaffMember.id == Assignment.staff_member_id)
        .where(*_filter_conditions(filters))
        .order_by(Engagement.start_date, Organisation.name, Engagement.id)
    )
    days: dict[object, date] = {}
    engagements: dict[int, TimelineEngagement] = {}
    zone = clock.timezone()
    for row in session.execute(statement):
        changed_at: datetime = row[8]
        engagements[row[0]] = TimelineEngagement(
            id=row[0],
            organisation=row[1],
            sector=_SECTORS[row[2]],
            district=_DISTRICTS[row[3]],
            status=_STATUSES[row[4]],
            start_date=_day(row[5]),
            planned_end_date=_day(row[6]),
            actual_end_date=None if row[7] is None else _day(row[7]),
            status_changed_on=changed_at.astimezone(zone).date(),
            lead_id=row[9],
            lead_name=row[10],
            lead_is_active=row[11] is None or bool(row[11]),
        )
    if not engagements:
        return []
    ids = _engagement_ids(filters)
    # Table columns on the session's connection: Core rows, streamed, without the ORM's
    # result buffering (tens of thousands of rows).
    connection = session.connection()
    phase, milestone = Phase.__table__.c, Milestone.__table__.c
    phases = (
        select(
            phase.engagement_id,
            phase.position,
            phase.name,
            _raw(phase.start_date),
            _raw(phase.end_date),
            _raw(phase.started_on),
        )
        .where(phase.engagement_id.in_(ids))
        .order_by(phase.engagement_id, phase.position)
    )
    for engagement_id, position, name, start, end, started_on in connection.execute(phases):
        engagements[engagement_id].phases.append(
            TimelinePhase(
                position,
                name,
                _days(start, days),
                _days(end, days),
                None if started_on is None else _days(started_on, days),
            )
        )
    milestones = (
        select(
            phase.engagement_id,
            milestone.title,
            _raw(milestone.due_date),
            _raw(milestone.baseline_due_date),
            _raw(milestone.status),
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
    overdue = MilestoneState.OVERDUE
    for engagement_id, title, raw_due, raw_baseline, raw_status in connection.execute(milestones):
        engagement = engagements[engagement_id]
        status = _MILESTONE_STATUSES[raw_status]
        due = _days(raw_due, days)
        baseline = _days(raw_baseline, days)
        state = _SETTLED_STATES.get(status)
        if state is None:
            state = overdue if due < today and not engagement.is_closed else MilestoneState.OPEN
        engagement.milestones.append(TimelineMilestone(title, due, baseline, status, state))
    result = list(engagements.values())
    for engagement in result:
        current = current_of(engagement.phases, today, is_closed=engagement.is_closed)
        engagement.current_phase = current.name if current is not None else None
    return result


# The stored values of the enums read raw (``_raw``), to their members.
_SECTORS = {member.value: member for member in Sector}
_DISTRICTS = {member.value: member for member in District}
_STATUSES = {member.value: member for member in EngagementStatus}
_MILESTONE_STATUSES = {member.value: member for member in MilestoneStatus}
_SETTLED_STATES = {
    MilestoneStatus.ERLEDIGT: MilestoneState.DONE,
    MilestoneStatus.ENTFALLEN: MilestoneState.DROPPED,
}


# ---------------------------------------------------------------- grouping


def group_engagements(
    engagements: list[TimelineEngagement],
    group_by: GroupBy,
    lead_order: Sequence[int] = (),
) -> list[tuple[str, list[TimelineEngagement]]]:
    """The engagements in labelled groups, each keeping the given order: by lead, by sector
    or by district (in the order of their lists). Empty groups are left out.

    By lead there is one group per staff member (namesakes stay apart), in the order of the
    staff ids in ``lead_order`` (the member filter's list, ``team_member_choices``: by name
    as the database sorts it, then id, so the groups and the filter agree); leads missing
    from it follow by name and id, engagements without a lead come last."""
    if group_by is GroupBy.LEAD:
        leads: dict[int | None, list[TimelineEngagement]] = {}
        names: dict[int, str] = {}
        rank = {lead_id: index for index, lead_id in enumerate(lead_order)}
        for engagement in engagements:
            leads.setdefault(engagement.lead_id, []).append(engagement)
            if engagement.lead_id is not None and engagement.lead_name is not None:
                names[engagement.lead_id] = engagement.lead_name
        ordered: list[tuple[str, list[TimelineEngagement]]] = [
            (_("Federführung: %(name)s", name=names[lead_id]), leads[lead_id])
            for lead_id in sorted(
                names, key=lambda lead_id: (rank.get(lead_id, len(rank)), names[lead_id], lead_id)
            )
        ]
        if None in leads:
            ordered.append((_("Ohne Federführung"), leads[None]))
        return ordered
    if group_by is GroupBy.SECTOR:
        sectors: dict[Sector, list[TimelineEngagement]] = {}
        for engagement in engagements:
            sectors.setdefault(engagement.sector, []).append(engagement)
        return [
            (_("Bereich: %(name)s", name=sector.label), sectors[sector])
            for sector in Sector
            if sector in sectors
        ]
    districts: dict[District, list[TimelineEngagement]] = {}
    for engagement in engagements:
        districts.setdefault(engagement.district, []).append(engagement)
    return [
        (_("Bezirk: %(name)s", name=district.label), districts[district])
        for district in District
        if district in districts
    ]
