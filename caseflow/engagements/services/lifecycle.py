"""The engagement lifecycle: status moves through the transition table with their guards."""

from __future__ import annotations

from datetime import date, datetime

from flask_babel import format_number
from sqlalchemy.orm import Session

from caseflow import clock
from caseflow.audit.services import record, redacted
from caseflow.engagements.models import (
    CLOSED_STATUSES,
    AssignmentRole,
    Engagement,
    EngagementStatus,
    MilestoneStatus,
)
from caseflow.engagements.services.common import (
    REASON_MAX_LENGTH,
    EngagementError,
    check_version,
    require_editor,
)
from caseflow.engagements.transitions import REASON_OPTIONAL, REASON_REQUIRED, check_transition
from caseflow.staff.models import StaffMember
from caseflow.translating import gettext as _
from caseflow.web.i18n import format_day


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


def _check_start(engagement: Engagement, today: date) -> None:
    if today < engagement.start_date:
        # Milestones cannot be completed before the start, so an early start would leave
        # the first weeks' work without a place; moving the start keeps plan and work together.
        raise EngagementError(
            _(
                "Die Prozessbegleitung beginnt laut Plan am %(day)s. Wenn sie schon früher "
                "anfängt, verschieben Sie zuerst den Beginn („Beginn verschieben“).",
                day=format_day(engagement.start_date),
            )
        )
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
    starting (``geplant → aktiv``) needs exactly one active lead consultant and today on or
    after the start date; completing needs
    every milestone of the last phase ``erledigt`` or ``entfallen``; cancelling needs a
    ``reason`` (pausing may take one; other moves ignore it).
    After: the new status, ``status_changed_at = now``, ``status_reason`` the cleaned reason
    (None for moves without one), ``actual_end_date`` today's date when the engagement is
    closed; starting it begins its first phase (``started_on`` today); ``start_date`` is
    kept. One ``engagement.status_changed`` audit event (the reason redacted); flushed.
    Raises ``EngagementNotPermitted``, ``StaleEngagement``,
    ``TransitionError`` or ``EngagementError`` (``field="reason"`` for the reason), changing
    nothing.
    """
    require_editor(engagement, actor)
    check_version(engagement, expected_version)
    current = engagement.status
    check_transition(current, target)
    cleaned = _clean_reason(reason, target)
    if current is EngagementStatus.GEPLANT and target is EngagementStatus.AKTIV:
        _check_start(engagement, clock.local(now).date())
    if target is EngagementStatus.ABGESCHLOSSEN:
        _check_completion(engagement)

    changes: dict[str, object] = {"status": [current, target]}
    engagement.status = target
    engagement.status_changed_at = now
    if cleaned is not None or engagement.status_reason is not None:
        changes["status_reason"] = [redacted(engagement.status_reason), redacted(cleaned)]
    engagement.status_reason = cleaned
    if current is EngagementStatus.GEPLANT and target is EngagementStatus.AKTIV:
        # Starting the engagement begins its first phase; later phases are begun by hand,
        # past their gates.
        first = min(engagement.phases, key=lambda phase: phase.position, default=None)
        if first is not None and first.started_on is None:
            first.started_on = clock.local(now).date()
            changes["phase_started"] = first.id
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
