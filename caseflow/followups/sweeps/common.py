"""What the sweeps share: the one ``Sweep`` record, the recipients' language, the lead's
assignment, the active recipient, and links to pages built without a request."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask_babel import force_locale
from sqlalchemy import Select, and_, case, or_
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.elements import ColumnElement

from caseflow import clock
from caseflow.engagements.models import (
    Assignment,
    AssignmentRole,
    Engagement,
    EngagementStatus,
)
from caseflow.followups.models import FollowUp, FollowUpKind
from caseflow.followups.notify import page_path
from caseflow.staff.models import StaffMember

OPEN_STATUSES = (EngagementStatus.GEPLANT, EngagementStatus.AKTIV, EngagementStatus.PAUSIERT)
RUNNING_STATUSES = (EngagementStatus.AKTIV, EngagementStatus.PAUSIERT)
DEFAULT_LOCALE = "de"

LeadAssignment = aliased(Assignment)
Recipient = aliased(StaffMember)
# The person a reminder is meant for (a milestone's owner, a follow-up's assignee) and the
# engagement's lead, outer-joined, to pick whoever of them is still active.
Preferred = aliased(StaffMember)
LeadMember = aliased(StaffMember)


@dataclass(frozen=True)
class Sweep:
    """One scheduled rule: ``run(session, now)`` returns how many rows it created."""

    key: str
    label: Any  # a lazy German string
    run: Callable[[Session, datetime], int]


def local_today(now: datetime) -> date:
    return clock.local(now).date()


def in_language(locale: str | None) -> AbstractContextManager[None]:
    """Texts and dates inside the block in ``locale`` (a staff member's; None: German)."""
    return force_locale(locale or DEFAULT_LOCALE)


def lead_join() -> ColumnElement[bool]:
    return and_(
        LeadAssignment.engagement_id == Engagement.id,
        LeadAssignment.role == AssignmentRole.LEAD,
    )


def join_recipients(statement: Select[Any], preferred_id: Any) -> Select[Any]:
    """``statement`` (already joined to ``Engagement``) outer-joined to the preferred
    recipient ``Preferred`` (``preferred_id``: the owner or assignee column), the lead's
    assignment ``LeadAssignment`` and the lead ``LeadMember``, as ``active_recipient``
    needs."""
    return (
        statement.outerjoin(Preferred, Preferred.id == preferred_id)
        .outerjoin(LeadAssignment, lead_join())
        .outerjoin(LeadMember, LeadMember.id == LeadAssignment.staff_member_id)
    )


def active_recipient() -> tuple[ColumnElement[int | None], ColumnElement[str | None]]:
    """The id and locale of whom a reminder goes to, as SQL over ``Preferred`` (owner or
    assignee) and ``LeadMember``, outer-joined by ``join_recipients``: the preferred person
    when active, else the lead when active, else NULL (nobody active is left: no
    notification)."""
    preferred_active = Preferred.is_active.is_(True)
    lead_active = LeadMember.is_active.is_(True)
    recipient_id = case((preferred_active, Preferred.id), (lead_active, LeadMember.id), else_=None)
    locale = case(
        (preferred_active, Preferred.locale), (lead_active, LeadMember.locale), else_=None
    )
    return recipient_id, locale


def engagement_link(engagement_id: int, anchor: str | None = None) -> str:
    """The path of an engagement's page (no request needed), optionally with an anchor."""
    path = page_path("engagements.detail", engagement_id=engagement_id)
    return f"{path}#{anchor}" if anchor else path


def application_link(application_id: int) -> str:
    """The path of an application's staff page (no request needed)."""
    return page_path("intake.application", application_id=application_id)


def follow_up_of_interest() -> ColumnElement[bool]:
    """Follow-ups of open engagements, and the sustainability checks of completed ones."""
    return or_(
        Engagement.status.in_(OPEN_STATUSES),
        and_(
            Engagement.status == EngagementStatus.ABGESCHLOSSEN,
            FollowUp.kind == FollowUpKind.NACHHALTIGKEIT,
        ),
    )
