"""The Selbstcheck's tables, and the client organisation's view of its own plan (issue 9).

- ``SelfcheckStatement`` is one *version* of a statement. Revising a statement's wording
  retires its row and adds a new one with the same ``key`` and the next ``version``; answers
  point at the row they were given against, so they keep the words that were asked.
  Retiring a statement only retires its row. At most one row per key is current.
- ``SelfcheckRound`` is one round of an engagement: ``vorher`` (in the Bestandsaufnahme) or
  ``nachher`` (in the Evaluation). When it is opened it freezes the current statements
  (``SelfcheckRoundStatement``), so a statement added or revised later does not change a
  round that is under way. Its secret link is derived from a salt and the ``SECRET_KEY``,
  like the application status link; only the hash is looked up.
- ``SelfcheckResponse`` is one person's answers; a draft until it is submitted. The person
  resumes it through a link of its own (only its hash is stored).
- ``SelfcheckAnswer``: a rating 1–4, or "weiß nicht"; a statement without an answer row,
  or with a comment only, was left out.
- ``ClientLink`` is the secret, revocable address of the client view of an engagement.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from caseflow.database import Model, UTCDateTime, enum_column_type
from caseflow.engagements.models import BarrierCategory, Engagement
from caseflow.staff.models import StaffMember
from caseflow.translating import lazy_gettext as _l

KEY_LENGTH = 80
TEXT_LENGTH = 160
NAME_LENGTH = 120
COMMENT_LENGTH = 1000


class RoundKind(enum.StrEnum):
    VORHER = "vorher"
    NACHHER = "nachher"

    @property
    def label(self) -> str:
        return str(ROUND_KIND_LABELS[self])


ROUND_KIND_LABELS = {
    RoundKind.VORHER: _l("Selbstcheck zu Beginn"),
    RoundKind.NACHHER: _l("Selbstcheck zum Abschluss"),
}


class SelfcheckStatement(Model):
    """One version of one statement of the questionnaire."""

    __tablename__ = "selfcheck_statement"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(KEY_LENGTH))
    version: Mapped[int]
    category: Mapped[BarrierCategory] = mapped_column(enum_column_type(BarrierCategory, "category"))
    text: Mapped[str] = mapped_column(String(TEXT_LENGTH))
    position: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_member.id", ondelete="SET NULL")
    )
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (
        UniqueConstraint("key", "version"),
        CheckConstraint("length(text) > 0", name="text_not_empty"),
        CheckConstraint("version >= 1", name="version_positive"),
        Index(
            "uq_selfcheck_statement_one_current",
            "key",
            unique=True,
            sqlite_where=sql_text("retired_at IS NULL"),
            postgresql_where=sql_text("retired_at IS NULL"),
        ),
    )


class SelfcheckRound(Model):
    __tablename__ = "selfcheck_round"

    id: Mapped[int] = mapped_column(primary_key=True)
    engagement_id: Mapped[int] = mapped_column(
        ForeignKey("engagement.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[RoundKind] = mapped_column(enum_column_type(RoundKind, "kind"))
    # The link: None once revoked (a new one can be issued).
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    token_salt: Mapped[str | None] = mapped_column(String(32))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime())
    opened_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_member.id", ondelete="SET NULL")
    )
    # Closed: no new answers; the consultant can reopen it.
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    version: Mapped[int] = mapped_column(default=1, server_default=sql_text("1"))

    engagement: Mapped[Engagement] = relationship()
    opened_by: Mapped[StaffMember | None] = relationship()
    statements: Mapped[list[SelfcheckRoundStatement]] = relationship(
        cascade="all, delete-orphan", order_by="SelfcheckRoundStatement.position"
    )
    responses: Mapped[list[SelfcheckResponse]] = relationship(
        back_populates="round", cascade="all, delete-orphan", order_by="SelfcheckResponse.id"
    )

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (UniqueConstraint("engagement_id", "kind"),)

    @property
    def is_closed(self) -> bool:
        return self.closed_at is not None


class SelfcheckRoundStatement(Model):
    """A statement as a round asks it, in the round's order."""

    __tablename__ = "selfcheck_round_statement"

    round_id: Mapped[int] = mapped_column(
        ForeignKey("selfcheck_round.id", ondelete="CASCADE"), primary_key=True
    )
    statement_id: Mapped[int] = mapped_column(
        ForeignKey("selfcheck_statement.id", ondelete="RESTRICT"), primary_key=True, index=True
    )
    position: Mapped[int]

    statement: Mapped[SelfcheckStatement] = relationship()

    __table_args__ = (UniqueConstraint("round_id", "position"),)


class SelfcheckResponse(Model):
    """One person's answers to one round: a draft until submitted."""

    __tablename__ = "selfcheck_response"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(
        ForeignKey("selfcheck_round.id", ondelete="CASCADE"), index=True
    )
    resume_token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    respondent_name: Mapped[str | None] = mapped_column(String(NAME_LENGTH))
    respondent_role: Mapped[str | None] = mapped_column(String(NAME_LENGTH))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    saved_at: Mapped[datetime] = mapped_column(UTCDateTime())
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    version: Mapped[int] = mapped_column(default=1, server_default=sql_text("1"))

    round: Mapped[SelfcheckRound] = relationship(back_populates="responses")
    answers: Mapped[list[SelfcheckAnswer]] = relationship(
        back_populates="response", cascade="all, delete-orphan", order_by="SelfcheckAnswer.id"
    )

    __mapper_args__ = {"version_id_col": version}

    @property
    def is_submitted(self) -> bool:
        return self.submitted_at is not None


class SelfcheckAnswer(Model):
    __tablename__ = "selfcheck_answer"

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(
        ForeignKey("selfcheck_response.id", ondelete="CASCADE")
    )
    statement_id: Mapped[int] = mapped_column(
        ForeignKey("selfcheck_statement.id", ondelete="RESTRICT"), index=True
    )
    # 1 (trifft nicht zu) … 4 (trifft voll zu); NULL with ``dont_know`` is "weiß nicht",
    # NULL without it a statement left out that got a comment only.
    rating: Mapped[int | None] = mapped_column(SmallInteger)
    dont_know: Mapped[bool] = mapped_column(default=False, server_default=false())
    comment: Mapped[str | None] = mapped_column(Text)

    response: Mapped[SelfcheckResponse] = relationship(back_populates="answers")

    __table_args__ = (
        UniqueConstraint("response_id", "statement_id"),
        CheckConstraint("rating IS NULL OR rating BETWEEN 1 AND 4", name="rating_in_range"),
        CheckConstraint("NOT (dont_know AND rating IS NOT NULL)", name="dont_know_no_rating"),
    )


class ClientLink(Model):
    """The secret address of an engagement's client view; revoked links stay as a record."""

    __tablename__ = "client_link"

    id: Mapped[int] = mapped_column(primary_key=True)
    engagement_id: Mapped[int] = mapped_column(
        ForeignKey("engagement.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    token_salt: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_member.id", ondelete="SET NULL")
    )
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (
        Index(
            "uq_client_link_one_active",
            "engagement_id",
            unique=True,
            sqlite_where=sql_text("revoked_at IS NULL"),
            postgresql_where=sql_text("revoked_at IS NULL"),
        ),
    )
