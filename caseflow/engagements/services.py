"""Engagement services. They check the rules, change rows, write the audit trail and flush;
the caller commits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from flask_babel import format_number
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from caseflow import clock
from caseflow.audit.services import Actor, record, redacted
from caseflow.engagements.models import (
    CLOSED_STATUSES,
    Assignment,
    AssignmentRole,
    Engagement,
    EngagementStatus,
    Milestone,
    MilestoneStatus,
    Phase,
    PhaseTemplate,
)
from caseflow.engagements.planning import default_template, plan, specs_of
from caseflow.engagements.rules import ProgrammeWindow, check_dates
from caseflow.engagements.transitions import REASON_OPTIONAL, REASON_REQUIRED, check_transition
from caseflow.organisations.models import Organisation
from caseflow.staff.models import Role, StaffMember

REASON_MAX_LENGTH = 2000


class EngagementError(ValueError):
    """An engagement change was refused; the message is German and meant for the user.
    ``field`` names the offending input of the form (``reason``, …) when there is one."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class EngagementNotPermitted(EngagementError):
    """The acting person may not change this engagement (a 403 in a view)."""


class StaleEngagement(EngagementError):
    """The engagement changed after the form was shown: the change is not made."""


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


def may_edit(engagement: Engagement, member: StaffMember) -> bool:
    """Whether ``member`` may change ``engagement``: its team (lead and co-consultants) and
    leads and admins; other consultants only read."""
    if member.has_role(Role.LEAD):
        return True
    return any(assignment.staff_member_id == member.id for assignment in engagement.assignments)


def check_version(engagement: Engagement, expected_version: int | None) -> None:
    """Refuse a change made on an older state of ``engagement`` (``expected_version`` is the
    version the form was shown with; None: nothing to compare). Raises ``StaleEngagement``."""
    if expected_version is not None and expected_version != engagement.version:
        raise StaleEngagement(
            _(
                "Jemand anderes hat diese Prozessbegleitung gerade geändert. Ihre Änderung "
                "wurde nicht gespeichert; bitte prüfen Sie den aktuellen Stand und versuchen "
                "Sie es noch einmal."
            )
        )


def _clean_reason(reason: str | None, target: EngagementStatus) -> str | None:
    value = (reason or "").strip()
    if len(value) > REASON_MAX_LENGTH:
        raise EngagementError(
            _(
                "Die Begründung darf höchstens %(max)s Zeichen lang sein (jetzt: %(length)s).",
                max=format_number(REASON_MAX_LENGTH),
                length=format_number(len(value)),
            ),
            field="reason",
        )
    if target in REASON_REQUIRED and not value:
        raise EngagementError(
            _("Bitte begründen Sie, warum die Prozessbegleitung abgebrochen wird."),
            field="reason",
        )
    if target not in REASON_REQUIRED | REASON_OPTIONAL:
        return None
    return value or None


def _check_start(engagement: Engagement) -> None:
    leads = [
        assignment.staff_member
        for assignment in engagement.assignments
        if assignment.role is AssignmentRole.LEAD and assignment.staff_member.is_active
    ]
    if len(leads) != 1:
        raise EngagementError(
            _(
                "Die Prozessbegleitung kann erst beginnen, wenn genau eine aktive Person die "
                "Federführung hat."
            )
        )


def _check_completion(engagement: Engagement) -> None:
    if not engagement.phases:
        return
    final = max(engagement.phases, key=lambda phase: phase.position)
    still_open = [
        milestone.title
        for milestone in final.milestones
        if milestone.status not in (MilestoneStatus.ERLEDIGT, MilestoneStatus.ENTFALLEN)
    ]
    if still_open:
        raise EngagementError(
            _(
                "Die Prozessbegleitung kann erst abgeschlossen werden, wenn alle Meilensteine "
                "der letzten Phase „%(phase)s“ erledigt sind oder entfallen. Noch offen: "
                "%(titles)s",
                phase=final.name,
                titles=", ".join(f"„{title}“" for title in still_open),
            )
        )


def change_status(
    session: Session,
    engagement: Engagement,
    target: EngagementStatus,
    *,
    actor: StaffMember,
    now: datetime,
    reason: str | None = None,
    expected_version: int | None = None,
) -> None:
    """Move ``engagement`` to ``target`` through the transition table.

    Before: ``actor`` may edit the engagement (``may_edit``); the form was shown on the
    current version (when ``expected_version`` is given); ``transitions`` lists the move;
    starting (``geplant → aktiv``) needs exactly one active lead consultant; completing needs
    every milestone of the last phase ``erledigt`` or ``entfallen``; cancelling needs a
    ``reason`` (pausing may take one; other moves ignore it).
    After: the new status, ``status_changed_at = now``, ``status_reason`` the cleaned reason
    (None for moves without one), ``actual_end_date`` today's date when the engagement is
    closed; ``start_date`` is kept. One ``engagement.status_changed`` audit event (the reason
    redacted); flushed. Raises ``EngagementNotPermitted``, ``StaleEngagement``,
    ``TransitionError`` or ``EngagementError`` (``field="reason"`` for the reason), changing
    nothing.
    """
    if not may_edit(engagement, actor):
        raise EngagementNotPermitted(
            _("Nur das Team der Prozessbegleitung und die Projektleitung dürfen das ändern.")
        )
    check_version(engagement, expected_version)
    current = engagement.status
    check_transition(current, target)
    cleaned = _clean_reason(reason, target)
    if current is EngagementStatus.GEPLANT and target is EngagementStatus.AKTIV:
        _check_start(engagement)
    if target is EngagementStatus.ABGESCHLOSSEN:
        _check_completion(engagement)

    changes: dict[str, object] = {"status": [current, target]}
    engagement.status = target
    engagement.status_changed_at = now
    if cleaned is not None or engagement.status_reason is not None:
        changes["status_reason"] = [redacted(engagement.status_reason), redacted(cleaned)]
    engagement.status_reason = cleaned
    if target in CLOSED_STATUSES:
        # The CHECK constraint ties an actual end to a closed status.
        today = clock.local(now).date()
        changes["actual_end_date"] = [engagement.actual_end_date, today]
        engagement.actual_end_date = today
    record(
        session,
        actor=actor,
        action="engagement.status_changed",
        object_type="engagement",
        object_id=engagement.id,
        changes=changes,
        at=now,
    )
    session.flush()
