"""Reading the audit trail."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from caseflow.audit.models import AuditEvent


def history_of(session: Session, object_type: str, object_id: int) -> list[AuditEvent]:
    """The audit events recorded for one object, newest first."""
    return list(
        session.scalars(
            select(AuditEvent)
            .where(AuditEvent.object_type == object_type, AuditEvent.object_id == object_id)
            .order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
        )
    )
