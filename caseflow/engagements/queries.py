"""Read-only queries behind the engagement pages (and the pages of features above them).

Every function takes the session and explicit parameters (``today`` included) and loads what
its page shows in a fixed number of statements, whatever the number of rows.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from datetime import date
from functools import lru_cache
from typing import Any, Protocol, TypeVar

from sqlalchemy import ColumnElement, Select, Subquery, bindparam, case, func, select
from sqlalchemy.orm import (
    Session,
    contains_eager,
    joinedload,
    selectinload,
)

from caseflow.audit.models import AuditEvent
from caseflow.audit.queries import history_of
from caseflow.database import count_by
from caseflow.engagements.models import (
    CLOSED_STATUSES,
    Activity,
    Assignment,
    AssignmentRole,
    Barrier,
    Engagement,
    EngagementStatus,
    Milestone,
    MilestoneStatus,
    Phase,
)
from caseflow.engagements.rules import duration_in_months
from caseflow.organisations.choices import District, Sector
from caseflow.organisations.models import Organisation
from caseflow.staff.models import Role, StaffMember

OPEN_STATUSES = tuple(status for status in EngagementStatus if status not in CLOSED_STATUSES)
RECENT_ACTIVITIES = 10


@dataclass(frozen=True)
class EngagementRow:
    """One engagement of a list, with the figures the lists show next to it."""

    engagement: Engagement
    current_phase: str | None
    milestones_done: int
    milestones_total: int
    overdue_count: int
    next_milestone_title: str | None
    next_milestone_due: date | None

    @property
    def duration_months(self) -> int:
        """Planned duration in whole months (start to planned end)."""
        return duration_in_months(self.engagement.start_date, self.engagement.planned_end_date)


@dataclass(frozen=True)
class EngagementDetail:
    """Everything the engagement page shows, loaded up front."""

    engagement: Engagement
    current_phase: Phase | None
    activities: list[Activity]
    barriers: list[Barrier]
    history: list[AuditEvent]

    @property
    def duration_months(self) -> int:
        """Planned duration in whole months (start to planned end)."""
        return duration_in_months(self.engagement.start_date, self.engagement.planned_end_date)


def current_phase_name(today: date) -> ColumnElement[str | None]:
    """A correlated expression: the name of the engagement's current phase, ``current_of`` in
    SQL except for the closed check (the caller adds it).

    The last phase that was begun ("Phase beginnen", or with the engagement's start); while
    none has been, the phase whose planned dates contain ``today``.
    """
    last_started = (
        select(Phase.name)
        .where(Phase.engagement_id == Engagement.id, Phase.started_on.is_not(None))
        .order_by(Phase.position.desc())
        .limit(1)
        .correlate(Engagement)
        .scalar_subquery()
    )
    by_plan = (
        select(Phase.name)
        .where(
            Phase.engagement_id == Engagement.id,
            Phase.start_date <= today,
            Phase.end_date >= today,
        )
        .order_by(Phase.position)
        .limit(1)
        .correlate(Engagement)
        .scalar_subquery()
    )
    return func.coalesce(last_started, by_plan)


class PhaseDates(Protocol):
    """What the current-phase rule reads of a phase (a ``Phase`` or any plain value)."""

    @property
    def position(self) -> int: ...
    @property
    def started_on(self) -> date | None: ...
    @property
    def start_date(self) -> date: ...
    @property
    def end_date(self) -> date: ...


P = TypeVar("P", bound=PhaseDates)


def current_of(phases: Sequence[P], today: date, *, is_closed: bool) -> P | None:
    """The current one of an engagement's ``phases``: None once the engagement is closed; the
    begun phase with the highest position; while none has been begun, the phase with the
    lowest position whose planned dates contain ``today``. The one rule behind
    ``current_phase`` (ORM phases), the timeline (plain phases) and, in SQL,
    ``current_phase_name``."""
    if is_closed:
        return None
    started = [phase for phase in phases if phase.started_on is not None]
    if started:
        return max(started, key=lambda phase: phase.position)
    planned = [phase for phase in phases if phase.start_date <= today <= phase.end_date]
    return min(planned, key=lambda phase: phase.position) if planned else None


def current_phase(engagement: Engagement, today: date) -> Phase | None:
    """The engagement's current phase, from its loaded phases (``current_of``)."""
    return current_of(engagement.phases, today, is_closed=engagement.status in CLOSED_STATUSES)


def _milestone_figures(
    today: date, *, engagement_ids: Select[tuple[int]] | None = None
) -> Subquery:
    """A derived table, one row per engagement with milestones: ``total`` (not dropped),
    ``done``, ``overdue`` (open and due before ``today``) and the ``next_title`` and
    ``next_due`` of the next open milestone (None when none is open).

    The next open milestone is the earliest due, then by phase position, sort order and id.
    One pass over the milestones for the whole list: a window ranks each engagement's
    milestones (open ones first, in that order) and the aggregate picks rank 1 if it is
    open. (A correlated subquery per engagement looked through every open milestone of the
    database for each one; a separate derived table for rank 1 gets no index on SQLite and
    is scanned per engagement.) ``engagement_ids`` (a select of ids) limits the pass to those
    engagements, so that a page of a long list reads only its own milestones.
    """
    is_open = Milestone.status == MilestoneStatus.OFFEN
    ranked = (
        select(
            Phase.engagement_id.label("engagement_id"),
            Milestone.status.label("status"),
            Milestone.title.label("title"),
            Milestone.due_date.label("due_date"),
            func.row_number()
            .over(
                partition_by=Phase.engagement_id,
                order_by=(
                    case((is_open, 0), else_=1),
                    Milestone.due_date,
                    Phase.position,
                    Milestone.sort_order,
                    Milestone.id,
                ),
            )
            .label("rank"),
        )
        .join(Milestone, Milestone.phase_id == Phase.id)
        .where(*([Phase.engagement_id.in_(engagement_ids)] if engagement_ids is not None else []))
        .subquery()
    )
    ranked_open = ranked.c.status == MilestoneStatus.OFFEN
    is_next = (ranked.c.rank == 1) & ranked_open
    return (
        select(
            ranked.c.engagement_id,
            func.count(case((ranked.c.status != MilestoneStatus.ENTFALLEN, 1))).label("total"),
            func.count(case((ranked.c.status == MilestoneStatus.ERLEDIGT, 1))).label("done"),
            func.count(case((ranked_open & (ranked.c.due_date < today), 1))).label("overdue"),
            func.max(case((is_next, ranked.c.title))).label("next_title"),
            func.max(case((is_next, ranked.c.due_date))).label("next_due"),
        )
        .group_by(ranked.c.engagement_id)
        .subquery()
    )


def _on_team(staff_member_id: int, *, as_lead: bool = False) -> ColumnElement[bool]:
    """A condition: the staff member is on the engagement's team (only as lead: ``as_lead``)."""
    assignments = select(Assignment.engagement_id).where(
        Assignment.staff_member_id == staff_member_id
    )
    if as_lead:
        assignments = assignments.where(Assignment.role == AssignmentRole.LEAD)
    return Engagement.id.in_(assignments)


def visible_to(viewer: StaffMember) -> ColumnElement[bool] | None:
    """A condition: the engagements ``viewer`` may see, or None when they see every one.

    The SQL form of ``caseflow.engagements.services.common.may_view`` (leads and admins see
    every engagement, a consultant those whose team they are on); every list of engagements
    shown to a staff member narrows by it."""
    team_of = _team_limit(viewer)
    return None if team_of is None else _on_team(team_of)


def _team_limit(viewer: StaffMember) -> int | None:
    """Whose team an engagement must have for ``viewer`` to see it: their own for a
    consultant, none for leads and admins."""
    return None if viewer.has_role(Role.LEAD) else viewer.id


def end_date_column() -> ColumnElement[date]:
    """The end an engagement list shows and filters by: the actual end once the engagement is
    closed (it is set exactly then), the planned end before."""
    return func.coalesce(Engagement.actual_end_date, Engagement.planned_end_date)


@dataclass(frozen=True)
class EngagementFilter:
    """Which engagements a list holds: every field that is given must hold.

    ``viewer``: only what they may see (``visible_to``; None: no such limit, for callers that
    are not a person's page); ``statuses`` (None: all); ``staff_member_id`` and ``member_id``:
    on the team as lead or co (both given: both on it); ``lead_id``: the lead consultant;
    ``organisation_id``; the organisation's ``sector`` and ``district``; the start date between
    ``starts_from`` and ``starts_to`` and the end (``end_date_column``: actual end when
    closed, else planned end) between ``ends_from`` and ``ends_to`` (inclusive, each bound
    optional); ``overdue_only``: not closed, with at least one open milestone due before
    the list's ``today``. ``visible_team_of`` stands for a consultant ``viewer`` in
    ``as_key``: only engagements with that staff member on the team.
    """

    statuses: Collection[EngagementStatus] | None = None
    staff_member_id: int | None = None
    organisation_id: int | None = None
    overdue_only: bool = False
    lead_id: int | None = None
    member_id: int | None = None
    sector: Sector | None = None
    district: District | None = None
    starts_from: date | None = None
    starts_to: date | None = None
    ends_from: date | None = None
    ends_to: date | None = None
    viewer: StaffMember | None = None
    visible_team_of: int | None = None

    def as_key(self) -> EngagementFilter:
        """The same filter in plain values that can key a cache: the viewer replaced by the
        limit it sets (``visible_to``), the statuses sorted."""
        team_of = self.visible_team_of
        if self.viewer is not None and (limit := _team_limit(self.viewer)) is not None:
            team_of = limit
        statuses = None if self.statuses is None else tuple(sorted(set(self.statuses)))
        return replace(self, viewer=None, visible_team_of=team_of, statuses=statuses)

    def conditions(self, today: date) -> list[ColumnElement[bool]]:
        """The filter as conditions on ``Engagement`` joined with its ``Organisation``."""
        conditions: list[ColumnElement[bool]] = []
        if self.viewer is not None and (visible := visible_to(self.viewer)) is not None:
            conditions.append(visible)
        if self.visible_team_of is not None:
            conditions.append(_on_team(self.visible_team_of))
        if self.statuses is not None:
            conditions.append(Engagement.status.in_(list(self.statuses)))
        for team_member_id in (self.staff_member_id, self.member_id):
            if team_member_id is not None:
                conditions.append(_on_team(team_member_id))
        if self.lead_id is not None:
            conditions.append(_on_team(self.lead_id, as_lead=True))
        if self.organisation_id is not None:
            conditions.append(Engagement.organisation_id == self.organisation_id)
        if self.sector is not None:
            conditions.append(Organisation.sector == self.sector)
        if self.district is not None:
            conditions.append(Organisation.district == self.district)
        if self.starts_from is not None:
            conditions.append(Engagement.start_date >= self.starts_from)
        if self.starts_to is not None:
            conditions.append(Engagement.start_date <= self.starts_to)
        if self.ends_from is not None:
            conditions.append(end_date_column() >= self.ends_from)
        if self.ends_to is not None:
            conditions.append(end_date_column() <= self.ends_to)
        if self.overdue_only:
            conditions.append(~Engagement.status.in_(CLOSED_STATUSES) & _has_overdue(today))
        return conditions


def _has_overdue(today: date) -> ColumnElement[bool]:
    """A condition: the engagement has an open milestone due before ``today``.

    Not correlated: the overdue milestones are looked up once (through the index on status
    and due date) for the whole list; a correlated EXISTS let SQLite read them for every
    engagement."""
    return Engagement.id.in_(
        select(Phase.engagement_id)
        .join(Milestone, Milestone.phase_id == Phase.id)
        .where(Milestone.status == MilestoneStatus.OFFEN, Milestone.due_date < today)
    )


def _list_order() -> tuple[ColumnElement[object], ...]:
    """The order of every engagement list: running and planned work first, closed engagements
    after them; then by start date and organisation name. The id last makes the order total,
    so that pages (LIMIT/OFFSET) never overlap nor skip an engagement."""
    return (
        case((Engagement.status.in_(CLOSED_STATUSES), 1), else_=0),
        Engagement.start_date,
        Organisation.name,
        Engagement.id,
    )


@dataclass(frozen=True)
class EngagementSlice:
    """Some rows of an engagement list, with the number of rows of the whole list."""

    rows: list[EngagementRow]
    total: int  # rows matching the filter; 0 also when the slice starts past the end

    @property
    def rest(self) -> int:
        """How many rows of the list come after this slice (for a slice from the start)."""
        return max(0, self.total - len(self.rows))


def count_engagements(session: Session, filters: EngagementFilter, *, today: date) -> int:
    """How many engagements match ``filters``; one statement."""
    return session.scalar(_matching(filters.conditions(today))) or 0


def _matching(conditions: Sequence[ColumnElement[bool]]) -> Select[tuple[int]]:
    """The number of engagements (joined with their organisation) meeting ``conditions``."""
    return (
        select(func.count(Engagement.id))
        .select_from(Engagement)
        .join(Engagement.organisation)
        .where(*conditions)
    )


@lru_cache(maxsize=256)
def _slice_statement(
    filters: EngagementFilter, today: date, limit: int | None, offset: int
) -> Select[tuple[Any, ...]]:
    """The statement of ``engagement_slice``, built once per filter, day and page and kept:
    building it took as long as running it (``bench/run.py --profile /engagements``).
    ``filters`` must be ``EngagementFilter.as_key()``: plain values, no ORM objects."""
    conditions = filters.conditions(today)
    # The matches are counted by a subquery that runs once: a window over the matching rows
    # kept every row to number them, which cost more than choosing the page. But the
    # subquery repeats the conditions, and the overdue one looks through the milestones:
    # then the window is cheaper (SQLite and PostgreSQL at 100 × the demo).
    if filters.overdue_only:
        total: ColumnElement[int] = func.count().over()
    else:
        total = _matching(conditions).scalar_subquery()
    chosen = (
        select(Engagement.id.label("id"), total.label("total"))
        .join(Engagement.organisation)
        .where(*conditions)
        .order_by(*_list_order())
        .offset(offset or None)
        .limit(limit)
        .cte("chosen")
    )
    stats = _milestone_figures(today, engagement_ids=select(chosen.c.id))
    # A closed engagement has no current phase, nothing overdue and no next milestone, even
    # when milestones were left open (cancelling keeps them as they were).
    is_closed = Engagement.status.in_(CLOSED_STATUSES)
    statement = (
        select(
            Engagement,
            case((is_closed, None), else_=current_phase_name(today)),
            func.coalesce(stats.c.done, 0),
            func.coalesce(stats.c.total, 0),
            case((is_closed, 0), else_=func.coalesce(stats.c.overdue, 0)),
            case((is_closed, None), else_=stats.c.next_title),
            case((is_closed, None), else_=stats.c.next_due),
            chosen.c.total,
        )
        .join(chosen, chosen.c.id == Engagement.id)
        .join(Engagement.organisation)
        .outerjoin(stats, stats.c.engagement_id == Engagement.id)
        # The team joined in (staff member included, ``lazy="joined"``): one statement
        # however many engagements; a select-in load would add one per 500 of them. The
        # LIMIT sits in ``chosen``, so the extra rows per team member do not cut it short.
        .options(contains_eager(Engagement.organisation), joinedload(Engagement.assignments))
        .order_by(*_list_order())
    )
    return statement


def engagement_slice(
    session: Session,
    filters: EngagementFilter,
    *,
    today: date,
    limit: int | None = None,
    offset: int = 0,
) -> EngagementSlice:
    """The rows ``offset`` to ``offset + limit`` (None: all) of the engagement list matching
    ``filters``, in ``_list_order``, with organisation, team, current phase and milestone
    figures, and the number of all matching rows.

    Progress counts done milestones against all milestones that were not dropped; the next
    milestone is the earliest open one (it may be overdue); closed engagements have no current
    phase, no next milestone and nothing overdue. One statement, whatever the filters and
    the number of rows: the slice's ids are chosen first (a CTE that also counts every match),
    and the milestone figures are computed for those engagements only, so a page of 50 costs
    the same however many engagements there are.
    """
    statement = _slice_statement(filters.as_key(), today, limit, offset)
    rows = []
    total = 0
    # One row per team member: ``unique`` folds them back into one per engagement.
    for row in session.execute(statement).unique():
        engagement, phase, done, milestones, overdue, next_title, next_due, total = row
        rows.append(
            EngagementRow(
                engagement=engagement,
                current_phase=phase,
                milestones_done=done,
                milestones_total=milestones,
                overdue_count=overdue,
                next_milestone_title=next_title,
                next_milestone_due=next_due,
            )
        )
    return EngagementSlice(rows=rows, total=total)


def list_engagements(
    session: Session,
    *,
    today: date,
    statuses: Collection[EngagementStatus] | None = None,
    staff_member_id: int | None = None,
    organisation_id: int | None = None,
    overdue_only: bool = False,
    lead_id: int | None = None,
    member_id: int | None = None,
    sector: Sector | None = None,
    district: District | None = None,
    starts_from: date | None = None,
    starts_to: date | None = None,
    ends_from: date | None = None,
    ends_to: date | None = None,
    viewer: StaffMember | None = None,
) -> list[EngagementRow]:
    """Every engagement matching the filters (``EngagementFilter``), with organisation, team,
    current phase and milestone figures (``engagement_slice``), for the lists that show all
    of them (an organisation's engagements); one statement, whatever the number of rows."""
    filters = EngagementFilter(
        statuses=statuses,
        staff_member_id=staff_member_id,
        organisation_id=organisation_id,
        overdue_only=overdue_only,
        lead_id=lead_id,
        member_id=member_id,
        sector=sector,
        district=district,
        starts_from=starts_from,
        starts_to=starts_to,
        ends_from=ends_from,
        ends_to=ends_to,
        viewer=viewer,
    )
    return engagement_slice(session, filters, today=today).rows


@dataclass(frozen=True)
class TeamMemberChoice:
    """A staff member the engagement list can be filtered by."""

    id: int
    name: str
    is_lead: bool  # leads at least one engagement


def team_member_choices(
    session: Session, *, viewer: StaffMember | None = None
) -> list[TeamMemberChoice]:
    """Every staff member on the team of an engagement (of one ``viewer`` may see, when
    given: a consultant's colleagues on their own engagements), by name; one statement."""
    leads = func.max(case((Assignment.role == AssignmentRole.LEAD, 1), else_=0))
    statement = (
        select(StaffMember.id, StaffMember.name, leads)
        .join(Assignment, Assignment.staff_member_id == StaffMember.id)
        .group_by(StaffMember.id, StaffMember.name)
        .order_by(StaffMember.name, StaffMember.id)
    )
    if viewer is not None and not viewer.has_role(Role.LEAD):
        statement = statement.where(
            Assignment.engagement_id.in_(
                select(Assignment.engagement_id).where(Assignment.staff_member_id == viewer.id)
            )
        )
    return [
        TeamMemberChoice(id=staff_id, name=name, is_lead=bool(is_lead))
        for staff_id, name, is_lead in session.execute(statement)
    ]


def engagement_counts_by_organisation(
    session: Session, *, viewer: StaffMember | None = None
) -> dict[int, int]:
    """How many engagements each organisation has had (of those ``viewer`` may see, when
    given; organisations without any are left out)."""
    statement = select(Engagement.organisation_id, func.count(Engagement.id)).group_by(
        Engagement.organisation_id
    )
    if viewer is not None and (visible := visible_to(viewer)) is not None:
        statement = statement.where(visible)
    return {organisation_id: count for organisation_id, count in session.execute(statement)}


# The engagement page's statements, built once (building them with their loader options
# cost about as much as running them).
_DETAIL_ENGAGEMENT = (
    select(Engagement)
    .where(Engagement.id == bindparam("engagement_id"))
    .options(
        joinedload(Engagement.organisation),
        selectinload(Engagement.assignments),
        selectinload(Engagement.phases).selectinload(Phase.milestones).joinedload(Milestone.owner),
    )
)
_DETAIL_ACTIVITIES = (
    select(Activity)
    .where(Activity.engagement_id == bindparam("engagement_id"))
    .options(joinedload(Activity.author), selectinload(Activity.staff))
    .order_by(Activity.occurred_on.desc(), Activity.id.desc())
    .limit(RECENT_ACTIVITIES)
)
_DETAIL_BARRIERS = (
    select(Barrier)
    .where(Barrier.engagement_id == bindparam("engagement_id"))
    .order_by(Barrier.identified_on, Barrier.id)
)


def engagement_detail(
    session: Session, engagement_id: int, *, today: date
) -> EngagementDetail | None:
    """The engagement page's data, or None when there is no such engagement.

    Loads the engagement with organisation, team, phases and milestones (with owners), the
    last ``RECENT_ACTIVITIES`` activities, the barrier register and the engagement's audit
    events; a fixed number of statements.
    """
    parameters = {"engagement_id": engagement_id}
    engagement = session.scalar(_DETAIL_ENGAGEMENT, parameters)
    if engagement is None:
        return None
    activities = list(session.scalars(_DETAIL_ACTIVITIES, parameters))
    barriers = list(session.scalars(_DETAIL_BARRIERS, parameters))
    history = history_of(session, "engagement", engagement_id)
    current = current_phase(engagement, today)
    return EngagementDetail(
        engagement=engagement,
        current_phase=current,
        activities=activities,
        barriers=barriers,
        history=history,
    )


def engagement_counts_by_status(session: Session) -> dict[EngagementStatus, int]:
    """How many engagements are in each status (every status present, zero included)."""
    return count_by(session, Engagement.status, EngagementStatus)
