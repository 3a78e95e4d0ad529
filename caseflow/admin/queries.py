"""Read-only queries behind the administration pages."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from caseflow.engagements.models import PhaseTemplate, TemplatePhase
from caseflow.staff.models import StaffMember


def staff_accounts(session: Session) -> list[StaffMember]:
    """Staff members with a login (a password), by name; one statement."""
    return list(
        session.scalars(
            select(StaffMember)
            .where(StaffMember.password_hash.is_not(None))
            .order_by(func.lower(StaffMember.name), StaffMember.id)
        )
    )


def phase_templates(session: Session) -> list[PhaseTemplate]:
    """Every phase template with its phases and milestones, the default first, then by
    name; a fixed number of statements."""
    return list(
        session.scalars(
            select(PhaseTemplate)
            .options(selectinload(PhaseTemplate.phases).selectinload(TemplatePhase.milestones))
            .order_by(PhaseTemplate.is_default.desc(), func.lower(PhaseTemplate.name))
        )
    )


def phase_template(session: Session, template_id: int) -> PhaseTemplate | None:
    """One phase template with its phases and milestones (None: there is none)."""
    return session.scalar(
        select(PhaseTemplate)
        .where(PhaseTemplate.id == template_id)
        .options(selectinload(PhaseTemplate.phases).selectinload(TemplatePhase.milestones))
    )
