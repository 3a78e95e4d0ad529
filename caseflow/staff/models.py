"""StaffMember (the Flask-Login user) and the measures each person works in."""

from __future__ import annotations

import enum
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, String, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from caseflow.database import Model, UTCDateTime, enum_column_type
from caseflow.translating import lazy_gettext as _l


class Role(enum.StrEnum):
    """Roles in rising order of reach: each role may do what the roles before it may."""

    CONSULTANT = "consultant"
    LEAD = "lead"
    ADMIN = "admin"

    @property
    def label(self) -> str:
        return str(ROLE_LABELS[self])

    @property
    def rank(self) -> int:
        return list(Role).index(self)


ROLE_LABELS = {
    Role.CONSULTANT: _l("Prozessbegleiter*in"),
    Role.LEAD: _l("Projektleitung"),
    Role.ADMIN: _l("Administration"),
}

MEASURES = (1, 2, 3)
MEASURE_LABELS = {
    1: _l("Maßnahme 1: Dialog mit Migrant*innenselbstorganisationen"),
    2: _l("Maßnahme 2: Akademie"),
    3: _l("Maßnahme 3: Organisationsberatung"),
}
# The measure whose staff lead engagements (Organisationsberatung).
ENGAGEMENT_MEASURE = 3


class StaffMember(UserMixin, Model):
    """A person from the contact list. Has a login when ``password_hash`` is set."""

    __tablename__ = "staff_member"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    # Stored lower-case; unique when present (several people may have none).
    email: Mapped[str | None] = mapped_column(String(254), unique=True)
    phone: Mapped[str | None] = mapped_column(String(50))
    organisation: Mapped[str] = mapped_column(String(200), default="BQN Berlin")
    job_title: Mapped[str | None] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(
        enum_column_type(Role, "role"), default=Role.CONSULTANT, index=True
    )
    is_active: Mapped[bool] = mapped_column(default=True, server_default=true())
    password_hash: Mapped[str | None] = mapped_column(String(255))
    locale: Mapped[str | None] = mapped_column(String(5))
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Two-factor login (TOTP, RFC 6238): the base32 secret once enrolment started, the time
    # the first code confirmed it (only then is it used), and the last time step accepted, so
    # that no code is accepted twice.
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)

    measures: Mapped[list[StaffMeasure]] = relationship(
        back_populates="staff_member",
        cascade="all, delete-orphan",
        order_by="StaffMeasure.measure",
    )

    __table_args__ = (
        CheckConstraint("email IS NULL OR email = lower(email)", name="email_lower_case"),
        CheckConstraint("length(name) > 0", name="name_not_empty"),
        CheckConstraint("locale IS NULL OR locale IN ('de', 'en')", name="locale_known"),
    )

    # The token of the sign-in session this object was loaded for (not a column): Flask-Login
    # keeps it in the cookie as the user id, see caseflow.staff.sessions.
    session_token = None

    def get_id(self) -> str:
        if not self.session_token:
            raise RuntimeError("log in through caseflow.staff.sessions.start_session")
        return self.session_token

    @property
    def can_log_in(self) -> bool:
        return self.is_active and bool(self.password_hash) and bool(self.email)

    @property
    def measure_numbers(self) -> list[int]:
        return [entry.measure for entry in self.measures]

    def has_role(self, minimum: Role | str) -> bool:
        """True when this person's role reaches ``minimum`` (admin ⊇ lead ⊇ consultant)."""
        return self.role.rank >= Role(minimum).rank

    def __repr__(self) -> str:
        return f"<StaffMember {self.id} {self.name!r}>"


class StaffMeasure(Model):
    """That a staff member works in one of the project's three measures."""

    __tablename__ = "staff_measure"

    staff_member_id: Mapped[int] = mapped_column(
        ForeignKey("staff_member.id", ondelete="CASCADE"), primary_key=True
    )
    measure: Mapped[int] = mapped_column(primary_key=True, index=True)

    staff_member: Mapped[StaffMember] = relationship(back_populates="measures")

    __table_args__ = (CheckConstraint("measure IN (1, 2, 3)", name="measure_known"),)


class LoginSession(Model):
    """One signed-in browser. The cookie holds a random token; only its SHA-256 is kept, so
    a session ends for good when its row is ended (logout, password change, deactivation,
    timeouts) whatever the browser still holds."""

    __tablename__ = "login_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_member_id: Mapped[int] = mapped_column(
        ForeignKey("staff_member.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # logout, password, deactivated, idle, absolute, revoked
    end_reason: Mapped[str | None] = mapped_column(String(20))

    staff_member: Mapped[StaffMember] = relationship()


class PasswordResetToken(Model):
    """A one-time link to set a new password; only the token's SHA-256 is kept."""

    __tablename__ = "password_reset_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_member_id: Mapped[int] = mapped_column(
        ForeignKey("staff_member.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The admin who sent it (None: the person asked for it themselves).
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_member.id", ondelete="SET NULL")
    )

    staff_member: Mapped[StaffMember] = relationship(foreign_keys=[staff_member_id])


class RecoveryCode(Model):
    """A one-time code that stands in for the second factor when the phone is lost."""

    __tablename__ = "recovery_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_member_id: Mapped[int] = mapped_column(
        ForeignKey("staff_member.id", ondelete="CASCADE"), index=True
    )
    code_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
