"""Documents of an engagement and their versions (issue 10).

- ``Document`` is one titled document of an engagement (the signed Kooperationsvereinbarung,
  the analysis report …), optionally the evidence of a milestone. Uploading a file under the
  same title to the same engagement adds a version instead of a second document: titles are
  unique per engagement (compared case-insensitively, ``title_key``) among the documents
  not in the trash.
- ``DocumentVersion`` is one uploaded file: its bytes live in the storage root under a
  generated name (``storage_name``), never under the name the user gave; the database keeps
  the SHA-256, so that a file whose bytes changed on disk is reported instead of served.
- Deleting moves a document to the trash (``deleted_at``) when the trash is switched on; the
  trash is emptied after ``DOCUMENT_TRASH_DAYS``. The audit trail keeps every step.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
)
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from caseflow.database import Model, UTCDateTime, enum_column_type
from caseflow.engagements.models import Engagement, Milestone
from caseflow.staff.models import StaffMember
from caseflow.translating import lazy_gettext as _l

TITLE_LENGTH = 200
TITLE_KEY_LENGTH = 3 * TITLE_LENGTH
FILE_NAME_LENGTH = 200


class DocumentKind(enum.StrEnum):
    VEREINBARUNG = "vereinbarung"
    PLAN = "plan"
    BERICHT = "bericht"
    PROTOKOLL = "protokoll"
    SONSTIGES = "sonstiges"

    @property
    def label(self) -> str:
        return str(KIND_LABELS[self])


KIND_LABELS = {
    DocumentKind.VEREINBARUNG: _l("Vereinbarung"),
    DocumentKind.PLAN: _l("Plan"),
    DocumentKind.BERICHT: _l("Bericht"),
    DocumentKind.PROTOKOLL: _l("Protokoll"),
    DocumentKind.SONSTIGES: _l("Sonstiges"),
}


class Document(Model):
    __tablename__ = "document"

    id: Mapped[int] = mapped_column(primary_key=True)
    engagement_id: Mapped[int] = mapped_column(
        ForeignKey("engagement.id", ondelete="CASCADE"), index=True
    )
    milestone_id: Mapped[int | None] = mapped_column(
        ForeignKey("milestone.id", ondelete="SET NULL"), index=True
    )
    title: Mapped[str] = mapped_column(String(TITLE_LENGTH))
    # The title as versions are matched: case-folded, white space collapsed. Case folding
    # can make a title longer ("ß" → "ss", "ΐ" → three characters): three times its room.
    title_key: Mapped[str] = mapped_column(String(TITLE_KEY_LENGTH))
    kind: Mapped[DocumentKind] = mapped_column(enum_column_type(DocumentKind, "kind"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_member.id", ondelete="SET NULL")
    )
    # When a version was last added, or the document trashed or restored: every such change
    # writes the row, so that ``version`` counts up and a form shown before it is stale.
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    deleted_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_member.id", ondelete="SET NULL")
    )
    # Counts up with every change of the row (a new version, the trash), so that two
    # uploads under one title at the same moment cannot both become version 2.
    version: Mapped[int] = mapped_column(default=1, server_default=sql_text("1"))

    engagement: Mapped[Engagement] = relationship()
    milestone: Mapped[Milestone | None] = relationship()
    created_by: Mapped[StaffMember | None] = relationship(foreign_keys=[created_by_id])
    versions: Mapped[list[DocumentVersion]] = relationship(
        back_populates="document",
        cascade="all, delete-orphan",
        order_by="DocumentVersion.number",
    )

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        CheckConstraint("length(title) > 0", name="title_not_empty"),
        Index(
            "uq_document_title_per_engagement",
            "engagement_id",
            "title_key",
            unique=True,
            sqlite_where=sql_text("deleted_at IS NULL"),
            postgresql_where=sql_text("deleted_at IS NULL"),
        ),
    )

    @property
    def latest(self) -> DocumentVersion:
        return self.versions[-1]

    @property
    def in_trash(self) -> bool:
        return self.deleted_at is not None


class DocumentVersion(Model):
    __tablename__ = "document_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(
        ForeignKey("document.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int]
    # The file's name in the storage root: 32 hex digits, nothing of the user's name.
    storage_name: Mapped[str] = mapped_column(String(32), unique=True)
    file_name: Mapped[str] = mapped_column(String(FILE_NAME_LENGTH))
    file_kind: Mapped[str] = mapped_column(String(10))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime())
    uploaded_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_member.id", ondelete="SET NULL")
    )
    # When the stored bytes were first found not to match ``sha256`` (or missing), by a
    # download or the daily check (``caseflow.documents.integrity``); None while intact.
    damaged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    document: Mapped[Document] = relationship(back_populates="versions")
    uploaded_by: Mapped[StaffMember | None] = relationship()

    __table_args__ = (
        UniqueConstraint("document_id", "number"),
        CheckConstraint("number >= 1", name="number_positive"),
        CheckConstraint("size > 0", name="size_positive"),
    )
