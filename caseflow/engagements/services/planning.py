"""Planning a new engagement: dates checked, team set, phases and milestones from a template."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy.orm import Session

from caseflow.audit.services import Actor, record
from caseflow.engagements.models import (
    Assignment,
    AssignmentRole,
    Engagement,
    EngagementStatus,
    Milestone,
    Phase,
    PhaseTemplate,
)
from caseflow.engagements.planning import default_template, plan, specs_of
from caseflow.engagements.rules import ProgrammeWindow, check_dates
from caseflow.engagements.services.common import EngagementError
from caseflow.organisations.models import Organisation
from caseflow.staff.models import StaffMember
from caseflow.translating import gettext as _


def plan_engagement(
    session: Session,
    *,
    organisation: Organisation,
    start_date: date,
    planned_end_date: date,
    lead: StaffMember,
    co_consultants: Sequence[StaffMember] = (),
    window: ProgrammeWindow,
    actor: Actor | None,
    now: datetime,
    template: PhaseTemplate | None = None,
) -> Engagement:
    """Create a planned engagement with its team and its phases and milestones.

    Before: the dates satisfy the rules of ``rules.check_dates``; ``lead`` is active.
    After: one ``geplant`` engagement, one lead assignment (plus co-consultants), phases and
    milestones from ``template`` (the default template when None), milestones owned by the
    lead; one audit event. Raises ``DateRuleError`` or ``EngagementError``; nothing is
    added to the session then.
    """
    check_dates(start_date, planned_end_date, window)
    if not lead.is_active:
        raise EngagementError(
            _("%(name)s ist nicht aktiv und kann keine Federführung übernehmen.", name=lead.name)
        )
    co_ids = {member.id for member in co_consultants}
    if lead.id in co_ids:
        raise EngagementError(_("Die federführende Person kann nicht zugleich Co-Begleitung sein."))
    inactive = [member.name for member in co_consultants if not member.is_active]
    if inactive:
        raise EngagementError(_("Nicht aktiv: %(names)s", names=", ".join(inactive)))

    template = template or default_template(session, now=now)
    engagement = Engagement(
        organisation=organisation,
        status=EngagementStatus.GEPLANT,
        start_date=start_date,
        planned_end_date=planned_end_date,
        baseline_end_date=planned_end_date,
        status_changed_at=now,
        created_at=now,
    )
    engagement.assignments.append(Assignment(staff_member=lead, role=AssignmentRole.LEAD))
    for member in co_consultants:
        engagement.assignments.append(Assignment(staff_member=member, role=AssignmentRole.CO))
    for planned in plan(specs_of(template), start_date, planned_end_date):
        phase = Phase(
            position=planned.position,
            name=planned.name,
            start_date=planned.start_date,
            end_date=planned.end_date,
        )
        for milestone in planned.milestones:
            phase.milestones.append(
                Milestone(
                    title=milestone.title,
                    due_date=milestone.due_date,
                    baseline_due_date=milestone.due_date,
                    is_gate=milestone.is_gate,
                    sort_order=milestone.sort_order,
                    owner=lead,
                    created_at=now,
                )
            )
        engagement.phases.append(phase)
    session.add(engagement)
    session.flush()
    record(
        session,
        actor=actor,
        action="engagement.planned",
        object_type="engagement",
        object_id=engagement.id,
        changes={
            "organisation_id": organisation.id,
            "start_date": start_date,
            "planned_end_date": planned_end_date,
            "lead": lead.id,
            "co_consultants": sorted(co_ids),
            "template": template.name,
        },
    )
    return engagement
