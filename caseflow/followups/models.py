"""FollowUp (a scheduled check-in) and Notification (a message to one staff member)."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from caseflow.database import Model, UTCDateTime, enum_column_type
from caseflow.engagements.models import Engagement
from caseflow.staff.models import StaffMember
from caseflow.translating import lazy_gettext as _l


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
    # RFC 5545 SEQUENCE of its calendar event: raised whenever what the event shows changes.
    calendar_sequence: Mapped[int] = mapped_column(default=0, server_default=sql_text("0"))

    engagement: Mapped[Engagement] = relationship()
    assignee: Mapped[StaffMember | None] = relationship()

    __table_args__ = (
        CheckConstraint("(status = 'offen') = (closed_at IS NULL)", name="closed_at_iff_closed"),
        Index("ix_follow_up_status_due_at", "status", "due_at"),
    )


class MailStatus(enum.StrEnum):
    """Where a notification's email stands (``caseflow.followups.delivery``)."""

    PENDING = "pending"  # waits for its send time (``mail_next_at``)
    SENDING = "sending"  # claimed by one sender since ``mail_claimed_at``
    SENT = "sent"
    FAILED = "failed"  # gave up after the last retry; admins see it
    NONE = "none"  # no email: the recipient wants none, has no address, or it was replaced


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
    # What the notification is about ("milestone:12"): a newer one about the same topic
    # replaces an unread older one (``superseded_at``) instead of stacking.
    topic: Mapped[str | None] = mapped_column(String(200))
    # A longer text for the email (the weekly digest); the short ``text`` otherwise.
    body: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    superseded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    emailed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    mail_status: Mapped[MailStatus] = mapped_column(
        enum_column_type(MailStatus, "mail_status"),
        default=MailStatus.PENDING,
        server_default=MailStatus.PENDING.value,
    )
    mail_attempts: Mapped[int] = mapped_column(default=0, server_default=sql_text("0"))
    mail_next_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    mail_claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Which sender holds the claim: a random value per ``deliver_mail`` call.
    mail_claim_token: Mapped[str | None] = mapped_column(String(32))
    mail_error: Mapped[str | None] = mapped_column(String(500))

    recipient: Mapped[StaffMember] = relationship()

    __table_args__ = (
        Index("ix_notification_recipient_unread", "recipient_id", "read_at"),
        Index("ix_notification_recipient_topic", "recipient_id", "topic"),
        Index("ix_notification_mail", "mail_status", "mail_next_at"),
    )


class NotificationPreference(Model):
    """How one staff member wants one kind of notification: ``app`` (in the app only),
    ``email`` (in the app and by email) or ``off`` (the weekly digest only). No row: the
    kind's default (``caseflow.followups.preferences``)."""

    __tablename__ = "notification_preference"

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_member_id: Mapped[int] = mapped_column(ForeignKey("staff_member.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(60))
    channel: Mapped[str] = mapped_column(String(10))

    __table_args__ = (
        UniqueConstraint("staff_member_id", "kind"),
        CheckConstraint("channel IN ('off', 'app', 'email')", name="channel_known"),
    )


class CalendarToken(Model):
    """A secret calendar feed address: only the SHA-256 of the token is kept. ``scope`` is
    ``all`` (the holder's milestones and follow-ups) or ``engagement:<id>`` (one
    engagement's, for its team); one token per holder and scope."""

    __tablename__ = "calendar_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_member_id: Mapped[int] = mapped_column(ForeignKey("staff_member.id", ondelete="CASCADE"))
    engagement_id: Mapped[int | None] = mapped_column(
        ForeignKey("engagement.id", ondelete="CASCADE"), index=True
    )
    scope: Mapped[str] = mapped_column(String(40))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (UniqueConstraint("staff_member_id", "scope"),)


class SchedulerHeartbeat(Model):
    """The scheduler's sign of life: one row per scheduler name, rewritten every minute."""

    __tablename__ = "scheduler_heartbeat"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    holder: Mapped[str] = mapped_column(String(200))  # host and process id
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    beat_at: Mapped[datetime] = mapped_column(UTCDateTime())
