"""Read-only queries behind the portfolio pages: dashboard, timeline, capacity, reports.

Portfolio sits above every feature it reads (DESIGN.md §7). Each function takes the session
and explicit parameters (``today``, the programme window) and runs a fixed number of
statements whatever the number of rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
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
