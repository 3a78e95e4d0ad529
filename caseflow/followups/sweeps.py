"""The scheduled rules (DESIGN.md §4) as sweeps: plain functions of ``(session, now)``.

A sweep looks at everything due up to ``now`` and raises what is missing, so a sweep that
runs late (after a day of downtime) catches up once instead of once per missed run, and a
sweep that runs twice does nothing the second time: every notification has a unique
``dedup_key`` and every rule-made follow-up a unique ``rule_key``, written with
``INSERT … ON CONFLICT DO NOTHING`` (``caseflow.followups.notify``).

"Today" is ``now``'s date in the programme's time zone (Europe/Berlin). Each sweep runs a
fixed number of statements (one query, then one insert per ``BATCH_SIZE`` rows), only
flushes, and returns how many rows it created; the caller commits.

The rules:

- milestone reminders: an open milestone of an open engagement (geplant, aktiv, pausiert)
  gets one reminder while it is due in 4–14 days, one while due in 0–3 days, and one alert
  from the day after its due day on; a late sweep raises only the most urgent one (a 14-day
  reminder after the 3-day one would be wrong). The key holds the due day, so a rescheduled
  milestone is reminded again. Recipient: its owner, else the engagement's lead;
- follow-ups due: an open follow-up due at or before ``now`` → its assignee, else the lead;
  of open engagements, and the sustainability checks of completed ones;
- engagement ending: an aktiv or pausiert engagement whose planned end is at most 30 days
  away (or already past) → the lead; the key holds the planned end, so an extension is
  announced again;
- sustainability checks: a completed (``abgeschlossen``) engagement gets follow-ups
  (Nachhaltigkeitscheck, assigned to the lead) at 09:00 local time 3 and 6 months after
  its actual end.

Texts name organisations and milestones, never contact persons.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from dateutil.relativedelta import relativedelta
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.elements import ColumnElement

from caseflow import clock
from caseflow.engagements.models import (
    Assignment,
    AssignmentRole,
    Engagement,
    EngagementStatus,
    Milestone,
    MilestoneStatus,
    Phase,
)
from caseflow.followups.models import FollowUp, FollowUpKind, FollowUpStatus
from caseflow.followups.notify import Notice, insert_or_skip, notify_all
from caseflow.followups.services import due_moment
from caseflow.organisations.models import Organisation
from caseflow.web.i18n import format_day

OPEN_STATUSES = (EngagementStatus.GEPLANT, EngagementStatus.AKTIV, EngagementStatus.PAUSIERT)
RUNNING_STATUSES = (EngagementStatus.AKTIV, EngagementStatus.PAUSIERT)
FIRST_REMINDER_DAYS = 14
SECOND_REMINDER_DAYS = 3
ENDING_WITHIN_DAYS = 30
SUSTAINABILITY_MONTHS = (3, 6)

LeadAssignment = aliased(Assignment)


@dataclass(frozen=True)
class Sweep:
    """One scheduled rule: ``run(session, now)`` returns how many rows it created."""

    key: str
    label: Any  # a lazy German string
    run: Callable[[Session, datetime], int]


def _today(now: datetime) -> date:
    return clock.local(now).date()


def _lead_join() -> ColumnElement[bool]:
    return and_(
        LeadAssignment.engagement_id == Engagement.id,
        LeadAssignment.role == AssignmentRole.LEAD,
    )


def engagement_link(engagement_id: int, anchor: str | None = None) -> str:
    """The path of an engagement's page (no request needed), optionally with an anchor."""
    adapter = current_app.url_map.bind(
        "localhost", script_name=current_app.config.get("APPLICATION_ROOT") or "/"
    )
    path = adapter.build("engagements.detail", {"engagement_id": engagement_id})
    return f"{path}#{anchor}" if anchor else path


# -- milestone reminders -----------------------------------------------------------------------


def _milestone_stage(days_left: int) -> str | None:
    """The most urgent reminder a milestone due in ``days_left`` days gets, if any."""
    if days_left < 0:
        return "overdue"
    if days_left <= SECOND_REMINDER_DAYS:
        return str(SECOND_REMINDER_DAYS)
    if days_left <= FIRST_REMINDER_DAYS:
        return str(FIRST_REMINDER_DAYS)
    return None


def milestone_reminders(session: Session, now: datetime) -> int:
    """Remind owners (else leads) of open milestones due in 14 and 3 days, and alert them
    from the day after the due day on; one statement to read, one to write."""
    today = _today(now)
    statement = (
        select(
            Milestone.id,
            Milestone.title,
            Milestone.due_date,
            Milestone.owner_id,
            Engagement.id,
            Organisation.name,
            LeadAssignment.staff_member_id,
        )
        .join(Phase, Milestone.phase_id == Phase.id)
        .join(Engagement, Phase.engagement_id == Engagement.id)
        .join(Organisation, Engagement.organisation_id == Organisation.id)
        .outerjoin(LeadAssignment, _lead_join())
        .where(
            Milestone.status == MilestoneStatus.OFFEN,
            Engagement.status.in_(OPEN_STATUSES),
            Milestone.due_date <= today + timedelta(days=FIRST_REMINDER_DAYS),
        )
        .order_by(Milestone.id)
    )
    notices = []
    for milestone_id, title, due, owner_id, engagement_id, organisation, lead_id in session.execute(
        statement
    ):
        recipient = owner_id or lead_id
        stage = _milestone_stage((due - today).days)
        if recipient is None or stage is None:
            continue
        values = {"title": title, "organisation": organisation, "day": format_day(due)}
        if stage == "overdue":
            kind = "milestone_overdue"
            text = _(
                "Meilenstein „%(title)s“ (%(organisation)s) ist überfällig (fällig am %(day)s).",
                **values,
            )
        else:
            kind = "milestone_due"
            text = _("Meilenstein „%(title)s“ (%(organisation)s) ist am %(day)s fällig.", **values)
        notices.append(
            Notice(
                recipient_id=recipient,
                kind=kind,
                text=text,
                link=engagement_link(engagement_id, f"milestone-{milestone_id}"),
                dedup_key=f"milestone:{milestone_id}:{due.isoformat()}:{stage}",
                topic=f"milestone:{milestone_id}",
            )
        )
    return notify_all(session, notices, now=now)


# -- follow-ups due ----------------------------------------------------------------------------


def follow_ups_due(session: Session, now: datetime) -> int:
    """Tell assignees (else leads) about open follow-ups due at or before ``now``: those of
    open engagements, and the sustainability checks of completed ones."""
    statement = (
        select(
            FollowUp.id,
            FollowUp.due_at,
            FollowUp.kind,
            FollowUp.assignee_id,
            Engagement.id,
            Organisation.name,
            LeadAssignment.staff_member_id,
        )
        .join(Engagement, FollowUp.engagement_id == Engagement.id)
        .join(Organisation, Engagement.organisation_id == Organisation.id)
        .outerjoin(LeadAssignment, _lead_join())
        .where(
            FollowUp.status == FollowUpStatus.OFFEN,
            FollowUp.due_at <= now,
            or_(
                Engagement.status.in_(OPEN_STATUSES),
                and_(
                    Engagement.status == EngagementStatus.ABGESCHLOSSEN,
                    FollowUp.kind == FollowUpKind.NACHHALTIGKEIT,
                ),
            ),
        )
        .order_by(FollowUp.id)
    )
    notices = []
    for (
        follow_up_id,
        due_at,
        kind,
        assignee_id,
        engagement_id,
        organisation,
        lead_id,
    ) in session.execute(statement):
        recipient = assignee_id or lead_id
        if recipient is None:
            continue
        text = _(
            "Wiedervorlage „%(kind)s“ (%(organisation)s) ist fällig (seit %(day)s).",
            kind=kind.label,
            organisation=organisation,
            day=format_day(due_at),
        )
        notices.append(
            Notice(
                recipient_id=recipient,
                kind="follow_up_due",
                text=text,
                link=engagement_link(engagement_id, f"follow-up-{follow_up_id}"),
                dedup_key=f"follow_up:{follow_up_id}:{due_at.isoformat()}",
                topic=f"follow_up:{follow_up_id}",
            )
        )
    return notify_all(session, notices, now=now)


# -- engagements ending ------------------------------------------------------------------------


def engagements_ending(session: Session, now: datetime) -> int:
    """Tell the lead when an aktiv or pausiert engagement's planned end is at most 30 days
    away (or past); once per planned end."""
    today = _today(now)
    statement = (
        select(
            Engagement.id,
            Engagement.planned_end_date,
            Organisation.name,
            LeadAssignment.staff_member_id,
        )
        .join(Organisation, Engagement.organisation_id == Organisation.id)
        .join(LeadAssignment, _lead_join())
        .where(
            Engagement.status.in_(RUNNING_STATUSES),
            Engagement.planned_end_date <= today + timedelta(days=ENDING_WITHIN_DAYS),
        )
        .order_by(Engagement.id)
    )
    notices = [
        Notice(
            recipient_id=lead_id,
            kind="engagement_ending",
            text=_(
                "Die Prozessbegleitung mit %(organisation)s endet laut Plan am %(day)s.",
                organisation=organisation,
                day=format_day(planned_end),
            ),
            link=engagement_link(engagement_id),
            dedup_key=f"engagement:{engagement_id}:ending:{planned_end.isoformat()}",
            topic=f"engagement:{engagement_id}:ending",
        )
        for engagement_id, planned_end, organisation, lead_id in session.execute(statement)
    ]
    return notify_all(session, notices, now=now)


# -- sustainability checks ---------------------------------------------------------------------


def sustainability_follow_ups(session: Session, now: datetime) -> int:
    """Create the sustainability checks (3 and 6 months after the actual end, 09:00 local
    time, assigned to the lead) of every completed engagement that lacks them; returns how
    many follow-ups were created."""
    statement = (
        select(Engagement.id, Engagement.actual_end_date, LeadAssignment.staff_member_id)
        .outerjoin(LeadAssignment, _lead_join())
        .where(
            Engagement.status == EngagementStatus.ABGESCHLOSSEN,
            Engagement.actual_end_date.is_not(None),
        )
        .order_by(Engagement.id)
    )
    rows = []
    for engagement_id, ended_on, lead_id in session.execute(statement):
        for months in SUSTAINABILITY_MONTHS:
            rows.append(
                {
                    "engagement_id": engagement_id,
                    "due_at": due_moment(ended_on + relativedelta(months=months)),
                    "kind": FollowUpKind.NACHHALTIGKEIT,
                    "assignee_id": lead_id,
                    "status": FollowUpStatus.OFFEN,
                    "note": _(
                        "Nachhaltigkeitscheck %(months)s Monate nach dem Abschluss "
                        "(automatisch angelegt).",
                        months=months,
                    ),
                    "rule_key": f"engagement:{engagement_id}:sustainability:{months}",
                    "created_at": now,
                }
            )
    # Not yet in the audit trail: one event per created check would make the sweep's
    # statements grow with the data; a per-run event comes with the retention work.
    return len(insert_or_skip(session, FollowUp.__table__, rows, "rule_key"))


SWEEPS: tuple[Sweep, ...] = (
    Sweep("milestones", _l("Meilenstein-Erinnerungen"), milestone_reminders),
    Sweep("sustainability", _l("Nachhaltigkeitschecks"), sustainability_follow_ups),
    Sweep("follow_ups", _l("Fällige Wiedervorlagen"), follow_ups_due),
    Sweep("engagements_ending", _l("Endende Prozessbegleitungen"), engagements_ending),
)
