"""The engagement rules: milestone reminders, follow-ups due, engagements ending, and the
sustainability checks after completion."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from dateutil.relativedelta import relativedelta
from sqlalchemy import String, cast, exists, literal, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from caseflow.audit.services import record
from caseflow.engagements.models import (
    Engagement,
    EngagementStatus,
    Milestone,
    MilestoneStatus,
    Phase,
)
from caseflow.followups.models import (
    FollowUp,
    FollowUpKind,
    FollowUpStatus,
)
from caseflow.followups.notify import Notice, insert_or_skip, notify_all
from caseflow.followups.services import due_moment
from caseflow.followups.sweeps.common import (
    OPEN_STATUSES,
    RUNNING_STATUSES,
    LeadAssignment,
    Recipient,
    active_recipient,
    engagement_link,
    follow_up_of_interest,
    in_language,
    join_recipients,
    lead_join,
    local_today,
)
from caseflow.organisations.models import Organisation
from caseflow.settings.services import current as current_setting
from caseflow.translating import gettext as _
from caseflow.web.i18n import format_day


def _setting(session: Session, name: str) -> Any:
    """A rule's setting (``MILESTONE_REMINDER_DAYS``, ``ENDING_WITHIN_DAYS``,
    ``SUSTAINABILITY_MONTHS``) as in effect: the admins' value, else the configuration's
    (``caseflow.settings``)."""
    return current_setting(name, session)


# -- milestone reminders -----------------------------------------------------------------------


def _milestone_stage(days_left: int, lead_times: Sequence[int]) -> str | None:
    """The most urgent reminder a milestone due in ``days_left`` days gets, if any: "overdue"
    after its day, else the shortest lead time (days before) it has reached."""
    if days_left < 0:
        return "overdue"
    reached = [days for days in lead_times if days_left <= days]
    return str(min(reached)) if reached else None


def milestone_reminders(session: Session, now: datetime) -> int:
    """Remind owners (else leads) of open milestones due in 14 and 3 days, and alert them
    from the day after the due day on; one statement to read, one to write. Only active
    staff members are reminded: an inactive owner's milestone goes to the lead, and when
    the lead is inactive too (or there is none) nobody is reminded."""
    today = local_today(now)
    lead_times = tuple(_setting(session, "MILESTONE_REMINDER_DAYS"))
    recipient_id, locale = active_recipient()
    statement = (
        join_recipients(
            select(
                Milestone.id,
                Milestone.title,
                Milestone.due_date,
                Engagement.id,
                Organisation.name,
                recipient_id,
                locale,
            )
            .join(Phase, Milestone.phase_id == Phase.id)
            .join(Engagement, Phase.engagement_id == Engagement.id)
            .join(Organisation, Engagement.organisation_id == Organisation.id),
            Milestone.owner_id,
        )
        .where(
            Milestone.status == MilestoneStatus.OFFEN,
            Engagement.status.in_(OPEN_STATUSES),
            Milestone.due_date <= today + timedelta(days=max(lead_times)),
        )
        .order_by(Milestone.id)
    )
    notices = []
    for (
        milestone_id,
        title,
        due,
        engagement_id,
        organisation,
        recipient,
        language,
    ) in session.execute(statement):
        stage = _milestone_stage((due - today).days, lead_times)
        if recipient is None or stage is None:
            continue
        kind = "milestone_overdue" if stage == "overdue" else "milestone_due"
        with in_language(language):
            values = {"title": title, "organisation": organisation, "day": format_day(due)}
            if stage == "overdue":
                text = _(
                    "Meilenstein „%(title)s“ (%(organisation)s) ist überfällig "
                    "(fällig am %(day)s).",
                    **values,
                )
            else:
                text = _(
                    "Meilenstein „%(title)s“ (%(organisation)s) ist am %(day)s fällig.", **values
                )
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
    open engagements, and the sustainability checks of completed ones. Only active staff
    members hear of them: an inactive assignee's follow-up goes to the lead, and when the
    lead is inactive too (or there is none) nobody is told."""
    recipient_id, locale = active_recipient()
    statement = (
        join_recipients(
            select(
                FollowUp.id,
                FollowUp.due_at,
                FollowUp.kind,
                Engagement.id,
                Organisation.name,
                recipient_id,
                locale,
            )
            .join(Engagement, FollowUp.engagement_id == Engagement.id)
            .join(Organisation, Engagement.organisation_id == Organisation.id),
            FollowUp.assignee_id,
        )
        .where(
            FollowUp.status == FollowUpStatus.OFFEN,
            FollowUp.due_at <= now,
            follow_up_of_interest(),
        )
        .order_by(FollowUp.id)
    )
    notices = []
    for (
        follow_up_id,
        due_at,
        kind,
        engagement_id,
        organisation,
        recipient,
        language,
    ) in session.execute(statement):
        if recipient is None:
            continue
        with in_language(language):
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
    away (or past); once per planned end. An inactive lead is not told (nobody is)."""
    today = local_today(now)
    statement = (
        select(
            Engagement.id,
            Engagement.planned_end_date,
            Organisation.name,
            LeadAssignment.staff_member_id,
            Recipient.locale,
        )
        .join(Organisation, Engagement.organisation_id == Organisation.id)
        .join(LeadAssignment, lead_join())
        .join(Recipient, Recipient.id == LeadAssignment.staff_member_id)
        .where(
            Recipient.is_active.is_(True),
            Engagement.status.in_(RUNNING_STATUSES),
            Engagement.planned_end_date
            <= today + timedelta(days=int(_setting(session, "ENDING_WITHIN_DAYS"))),
        )
        .order_by(Engagement.id)
    )
    notices = []
    for engagement_id, planned_end, organisation, lead_id, locale in session.execute(statement):
        with in_language(locale):
            text = _(
                "Die Prozessbegleitung mit %(organisation)s endet laut Plan am %(day)s.",
                organisation=organisation,
                day=format_day(planned_end),
            )
        notices.append(
            Notice(
                recipient_id=lead_id,
                kind="engagement_ending",
                text=text,
                link=engagement_link(engagement_id),
                dedup_key=f"engagement:{engagement_id}:ending:{planned_end.isoformat()}",
                topic=f"engagement:{engagement_id}:ending",
            )
        )
    return notify_all(session, notices, now=now)


# -- sustainability checks ---------------------------------------------------------------------


def _sustainability_key(engagement_id: ColumnElement[int], months: int) -> ColumnElement[str]:
    """SQL for the rule key ``engagement:<id>:sustainability:<months>`` (as built below)."""
    return (
        literal("engagement:") + cast(engagement_id, String) + literal(f":sustainability:{months}")
    )


def sustainability_follow_ups(session: Session, now: datetime) -> int:
    """Create the sustainability checks (3 and 6 months after the actual end, 09:00 local
    time, assigned to the lead) of every completed engagement that lacks them; returns how
    many follow-ups were created. A run that created some records one audit event (by the
    system) with their count and rule keys: three statements whatever the number. Only the
    engagements that lack at least one of their checks are read (so a run with nothing to do
    reads no rows and writes nothing: one statement)."""
    months_after = tuple(_setting(session, "SUSTAINABILITY_MONTHS"))
    if not months_after:
        return 0
    lacks_a_check = or_(
        *(
            ~exists().where(FollowUp.rule_key == _sustainability_key(Engagement.id, months))
            for months in months_after
        )
    )
    statement = (
        select(Engagement.id, Engagement.actual_end_date, LeadAssignment.staff_member_id)
        .outerjoin(LeadAssignment, lead_join())
        .where(
            Engagement.status == EngagementStatus.ABGESCHLOSSEN,
            Engagement.actual_end_date.is_not(None),
            lacks_a_check,
        )
        .order_by(Engagement.id)
    )
    rows = []
    for engagement_id, ended_on, lead_id in session.execute(statement):
        for months in months_after:
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
    created = insert_or_skip(session, FollowUp.__table__, rows, "rule_key")
    if created:
        rule_keys = sorted(rule_key for _id, rule_key in created)
        record(
            session,
            actor=None,
            action="follow_up.sustainability_created",
            object_type="follow_up",
            object_id=None,
            changes={"count": len(created), "rule_keys": rule_keys},
            at=now,
        )
        session.flush()
    return len(created)
