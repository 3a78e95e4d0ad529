"""One engagement as a printable page for the client organisation (the handout).

What goes to the client: organisation, period, status, team, the plan with its milestones,
the activities (date, kind, duration, participants, staff involved), the barrier register.
What stays inside the team: the engagement's notes, activity notes, milestone evidence and
drop notes, status and extension reasons — staff write those for each other, not for the
client, so their columns are not loaded here (``INTERNAL_COLUMNS`` are deferred with
``raiseload``: reading one raises instead of quietly loading it). Activities of kind
``notiz`` are left out entirely: a note is internal by nature.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, defer, joinedload, selectinload

from caseflow.engagements.models import (
    Activity,
    ActivityKind,
    Assignment,
    AssignmentRole,
    Barrier,
    Engagement,
    Milestone,
    Phase,
)

# Staff-internal texts that must never reach the handout.
INTERNAL_COLUMNS = (
    Engagement.notes,
    Engagement.status_reason,
    Engagement.extension_reason,
    Milestone.evidence_note,
    Milestone.drop_reason,
    Activity.note,
)
# Activity kinds that are internal by nature and stay off the handout.
INTERNAL_ACTIVITY_KINDS = (ActivityKind.NOTIZ,)


@dataclass(frozen=True)
class Handout:
    """What the handout shows, loaded up front."""

    engagement: Engagement
    team: list[Assignment]  # lead first, then co-consultants by name
    activities: list[Activity]  # all but the internal kinds (notes), oldest first
    barriers: list[Barrier]

    @property
    def is_extended(self) -> bool:
        """True when the planned end was moved from the first planned one."""
        return self.engagement.planned_end_date != self.engagement.baseline_end_date


def engagement_handout(session: Session, engagement_id: int) -> Handout | None:
    """The handout's data, or None when there is no such engagement.

    The engagement with organisation, team, phases and milestones, every activity but the
    internal kinds (``INTERNAL_ACTIVITY_KINDS``) with the staff involved, and the barriers
    (by identification day); the staff-internal ``INTERNAL_COLUMNS`` are not loaded. A fixed
    number of statements (seven), whatever the number of phases, milestones, activities or
    barriers.
    """
    engagement = session.scalar(
        select(Engagement)
        .where(Engagement.id == engagement_id)
        .options(
            defer(Engagement.notes, raiseload=True),
            defer(Engagement.status_reason, raiseload=True),
            defer(Engagement.extension_reason, raiseload=True),
            joinedload(Engagement.organisation),
            selectinload(Engagement.assignments),
            selectinload(Engagement.phases)
            .selectinload(Phase.milestones)
            .options(
                defer(Milestone.evidence_note, raiseload=True),
                defer(Milestone.drop_reason, raiseload=True),
            ),
        )
    )
    if engagement is None:
        return None
    activities = list(
        session.scalars(
            select(Activity)
            .where(
                Activity.engagement_id == engagement_id,
                Activity.kind.not_in(INTERNAL_ACTIVITY_KINDS),
            )
            .options(defer(Activity.note, raiseload=True), selectinload(Activity.staff))
            .order_by(Activity.occurred_on, Activity.id)
        )
    )
    barriers = list(
        session.scalars(
            select(Barrier)
            .where(Barrier.engagement_id == engagement_id)
            .order_by(Barrier.identified_on, Barrier.id)
        )
    )
    team = sorted(
        engagement.assignments,
        key=lambda assignment: (
            assignment.role is not AssignmentRole.LEAD,
            assignment.staff_member.name.lower(),
            assignment.staff_member_id,
        ),
    )
    return Handout(engagement=engagement, team=team, activities=activities, barriers=barriers)
