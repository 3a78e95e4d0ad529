"""Read-only queries behind the administration pages."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

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
