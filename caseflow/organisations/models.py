"""Organisation (a client public service) and ContactPerson."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from caseflow.database import Model, UTCDateTime, enum_column_type
from caseflow.organisations.choices import District, Sector, subtype_check_sql, subtype_label


class Organisation(Model):
    __tablename__ = "organisation"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    sector: Mapped[Sector] = mapped_column(enum_column_type(Sector, "sector"), index=True)
    subtype: Mapped[str] = mapped_column(String(40))
    district: Mapped[District] = mapped_column(enum_column_type(District, "district"), index=True)
    address: Mapped[str | None] = mapped_column(String(300))
    website: Mapped[str | None] = mapped_column(String(300))
    staff_size: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    contacts: Mapped[list[ContactPerson]] = relationship(
        back_populates="organisation",
        cascade="all, delete-orphan",
        order_by="ContactPerson.name",
    )

    __table_args__ = (
        CheckConstraint("length(name) > 0", name="name_not_empty"),
        CheckConstraint(subtype_check_sql(), name="subtype_matches_sector"),
        CheckConstraint("staff_size IS NULL OR staff_size > 0", name="staff_size_positive"),
    )

    @property
    def subtype_label(self) -> str:
        return subtype_label(self.subtype)

    def __repr__(self) -> str:
        return f"<Organisation {self.id} {self.name!r}>"


class ContactPerson(Model):
    """A person at a client organisation. Personal data: covered by export and erasure."""

    __tablename__ = "contact_person"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254), index=True)
    phone: Mapped[str | None] = mapped_column(String(50))
    notes: Mapped[str | None] = mapped_column(Text)
    is_primary: Mapped[bool] = mapped_column(default=False, server_default=false())
    # Restriction of processing (Art. 18 DSGVO): no more mails or reminders.
    is_restricted: Mapped[bool] = mapped_column(default=False, server_default=false())
    anonymised_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    organisation: Mapped[Organisation] = relationship(back_populates="contacts")

    __table_args__ = (Index("ix_contact_person_organisation_id", "organisation_id"),)

    def __repr__(self) -> str:
        return f"<ContactPerson {self.id}>"
