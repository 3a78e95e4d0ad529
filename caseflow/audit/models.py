"""AuditEvent: one row per change, written in the same transaction as the change."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from caseflow.database import JSONDocument, Model, UTCDateTime


class AuditEvent(Model):
    """An append-only record of one change. Rows are never edited or deleted by caseflow."""

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    # The actor may later be deleted; the label keeps the name the change was made under.
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_member.id", ondelete="SET NULL"), index=True
    )
    actor_label: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(80), index=True)
    object_type: Mapped[str] = mapped_column(String(80))
    object_id: Mapped[int | None]
    changes: Mapped[dict[str, Any]] = mapped_column(JSONDocument, default=dict)
    ip_address: Mapped[str | None] = mapped_column(String(64))

    __table_args__ = (Index("ix_audit_event_object", "object_type", "object_id"),)

    def __repr__(self) -> str:
        return f"<AuditEvent {self.action} {self.object_type}#{self.object_id}>"
