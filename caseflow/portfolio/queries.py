"""Read-only queries behind the portfolio pages: dashboard, timeline, capacity, reports.

Portfolio sits above every feature it reads (DESIGN.md §7). Each function takes the session
and explicit parameters (``today``, the programme window) and runs a fixed number of
statements whatever the number of rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Generic, TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session, contains_eager

from caseflow.clock import local
from caseflow.database import count_by
from caseflow.engagements.models import (
    Engagement,
    Milestone,
    MilestoneStatus,
    Phase,
)
from caseflow.engagements.queries import OPEN_STATUSES
from caseflow.followups.models import FollowUp, FollowUpStatus
from caseflow.intake.models import Application, ApplicationStatus
from caseflow.organisations.models import Organisation

MILESTONE_HORIZON_DAYS = 14
# How many rows each growing list of the dashboard shows at most (the rest: a link).
DASHBOARD_ROWS = 20

T = TypeVar("T")

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
class Shortlist(Generic[T]):
    """The first rows of a list, with the number of rows of the whole list."""

    items: list[T]
    total: int

    @property
    def rest(self) -> int:
        """How many rows of the list are not shown."""
        return max(0, self.total - len(self.items))


# Dashboard ------------------------------------------------------------------------------


def my_milestones(
    session: Session,
    staff_member_id: int,
    *,
    today: date,
    horizon_days: int = MILESTONE_HORIZON_DAYS,
    limit: int | None = DASHBOARD_ROWS,
) -> Shortlist[Milestone]:
    """The first ``limit`` (None: all) open milestones someone owns that are overdue or due
    within ``horizon_days``, and how many there are in all.

    Only engagements that are not closed count. Overdue first (by due date), with phase,
    engagement and organisation loaded; one statement (a window counts all of them).
    """
    statement = (
        select(Milestone, func.count().over())
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
        .limit(limit)
    )
    return _shortlist(session.execute(statement).all())


def _shortlist(rows: list[tuple[T, int]]) -> Shortlist[T]:
    """The ``(item, total)`` rows of a statement that counts with a window as a shortlist."""
    return Shortlist(items=[item for item, _total in rows], total=rows[0][1] if rows else 0)


def open_follow_ups(
    session: Session,
    *,
    assignee_id: int | None = None,
    engagement_id: int | None = None,
    limit: int | None = DASHBOARD_ROWS,
) -> Shortlist[FollowUpRow]:
    """The first ``limit`` (None: all) open follow-ups, earliest first, with engagement,
    organisation and assignee loaded, and how many there are in all.

    Filtered to one assignee and/or one engagement; one statement (a window counts them).
    """
    statement = (
        select(FollowUp, func.count().over())
        .join(FollowUp.engagement)
        .join(Engagement.organisation)
        .outerjoin(FollowUp.assignee)
        .where(FollowUp.status == FollowUpStatus.OFFEN)
        .options(
            contains_eager(FollowUp.engagement).contains_eager(Engagement.organisation),
            contains_eager(FollowUp.assignee),
        )
        .order_by(FollowUp.due_at, FollowUp.id)
        .limit(limit)
    )
    if assignee_id is not None:
        statement = statement.where(FollowUp.assignee_id == assignee_id)
    if engagement_id is not None:
        statement = statement.where(FollowUp.engagement_id == engagement_id)
    found = _shortlist(session.execute(statement).all())
    return Shortlist(
        items=[
            FollowUpRow(follow_up=follow_up, due_on=local(follow_up.due_at).date())
            for follow_up in found.items
        ],
        total=found.total,
    )


def applications_awaiting_decision(session: Session) -> dict[ApplicationStatus, int]:
    """How many applications wait in each undecided status (zero included); one statement."""
    return count_by(session, Application.status, AWAITING_DECISION)
