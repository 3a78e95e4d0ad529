"""FollowUp (a scheduled check-in) and Notification (a message to one staff member)."""

from __future__ import annotations

import enum
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from caseflow.database import Model, UTCDateTime, enum_column_type
from caseflow.engagements.models import Engagement
from caseflow.staff.models import StaffMember


class FollowUpKind(enum.StrEnum):
    CHECK_IN = "check_in"
    REMINDER = "reminder"
    NACHHALTIGKEIT = "nachhaltigkeit"

    @property
    def label(self) -> str:
        return str(FOLLOW_UP_LABELS[self])


class FollowUpStatus(enum.StrEnum):
    OFFEN = "offen"
    ERLEDIGT = "erledigt"
    VERWORFEN = "verworfen"

    @property
    def label(self) -> str:
        return str(FOLLOW_UP_LABELS[self])


FOLLOW_UP_LABELS = {
    FollowUpKind.CHECK_IN: _l("Check-in"),
    FollowUpKind.REMINDER: _l("Erinnerung"),
    FollowUpKind.NACHHALTIGKEIT: _l("Nachhaltigkeitscheck"),
    FollowUpStatus.OFFEN: _l("offen"),
    FollowUpStatus.ERLEDIGT: _l("erledigt"),
    FollowUpStatus.VERWORFEN: _l("verworfen"),
}


class FollowUp(Model):
    """A Wiedervorlage: something to look at again on a given day."""

    __tablename__ = "follow_up"

    id: Mapped[int] = mapped_column(primary_key=True)
    engagement_id: Mapped[int] = mapped_column(
        ForeignKey("engagement.id", ondelete="CASCADE"), index=True
    )
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    kind: Mapped[FollowUpKind] = mapped_column(enum_column_type(FollowUpKind, "kind"))
    assignee_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_member.id", ondelete="SET NULL"), index=True
    )
    status: Mapped[FollowUpStatus] = mapped_column(
        enum_column_type(FollowUpStatus, "status"), default=FollowUpStatus.OFFEN
    )
    note: Mapped[str | None] = mapped_column(Text)
    # Set for follow-ups created by a rule, so the rule never creates the same one twice.
    rule_key: Mapped[str | None] = mapped_column(String(120), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    engagement: Mapped[Engagement] = relationship()
    assignee: Mapped[StaffMember | None] = relationship()

    __table_args__ = (
        CheckConstraint("(status = 'offen') = (closed_at IS NULL)", name="closed_at_iff_closed"),
        Index("ix_follow_up_status_due_at", "status", "due_at"),
    )


class Notification(Model):
    """A message to one staff member, shown in the app and (by choice) sent by email."""

    __tablename__ = "notification"

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient_id: Mapped[int] = mapped_column(ForeignKey("staff_member.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(60))
    text: Mapped[str] = mapped_column(Text)
    link: Mapped[str | None] = mapped_column(String(500))
    # One event, one notification: the rule that raises it builds this key.
    dedup_key: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    emailed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    recipient: Mapped[StaffMember] = relationship()

    __table_args__ = (
        Index("ix_notification_recipient_unread", "recipient_id", "read_at"),
        Index(
            "ix_notification_unsent",
            "created_at",
            sqlite_where=sql_text("emailed_at IS NULL"),
            postgresql_where=sql_text("emailed_at IS NULL"),
        ),
    )
