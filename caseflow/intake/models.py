"""ApplicationRound, Application and ApplicationReview."""

from __future__ import annotations

import enum
from datetime import date, datetime, time, timedelta

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint, false, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from caseflow import clock
from caseflow.database import Model, UTCDateTime, enum_column_type
from caseflow.engagements.models import Engagement
from caseflow.organisations.choices import District, Sector, subtype_check_sql, subtype_label
from caseflow.organisations.models import Organisation
from caseflow.staff.models import StaffMember
from caseflow.translating import lazy_gettext as _l


class ApplicationStatus(enum.StrEnum):
    EINGEGANGEN = "eingegangen"
    IN_PRUEFUNG = "in_pruefung"
    VORGESPRAECH = "vorgespraech"
    ANGENOMMEN = "angenommen"
    ABGELEHNT = "abgelehnt"
    WARTELISTE = "warteliste"
    ZURUECKGEZOGEN = "zurueckgezogen"

    @property
    def label(self) -> str:
        return str(APPLICATION_STATUS_LABELS[self])


APPLICATION_STATUS_LABELS = {
    ApplicationStatus.EINGEGANGEN: _l("eingegangen"),
    ApplicationStatus.IN_PRUEFUNG: _l("in Prüfung"),
    ApplicationStatus.VORGESPRAECH: _l("im Vorgespräch"),
    ApplicationStatus.ANGENOMMEN: _l("angenommen"),
    ApplicationStatus.ABGELEHNT: _l("abgelehnt"),
    ApplicationStatus.WARTELISTE: _l("Warteliste"),
    ApplicationStatus.ZURUECKGEZOGEN: _l("zurückgezogen"),
}

DECIDED_STATUSES = (
    ApplicationStatus.ANGENOMMEN,
    ApplicationStatus.ABGELEHNT,
    ApplicationStatus.WARTELISTE,
)

REVIEW_CRITERIA = {
    "score_leadership": _l("Leitungsunterstützung"),
    "score_resources": _l("Ressourcen für eine Prozessgruppe"),
    "score_relevance": _l("Relevanz für Drittstaatsangehörige"),
    "score_feasibility": _l("Machbarkeit im Förderzeitraum"),
}


class ApplicationRound(Model):
    """A period in which the public form accepts applications."""

    __tablename__ = "application_round"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    opens_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (CheckConstraint("closes_at > opens_at", name="closes_after_opening"),)

    def is_open(self, now: datetime) -> bool:
        return self.opens_at <= now < self.closes_at

    @property
    def first_day(self) -> date:
        """The first day (local) on which the round is open."""
        return clock.local(self.opens_at).date()

    @property
    def last_day(self) -> date:
        """The last day (local) on which the round is open: the day before it closes, or the
        day it closes when that is not at midnight."""
        closes = clock.local(self.closes_at)
        if closes.time() == time.min:
            return closes.date() - timedelta(days=1)
        return closes.date()


class ReferenceCounter(Model):
    """The last reference number handed out per year. Incremented with one atomic
    INSERT … ON CONFLICT DO UPDATE, whose row lock queues simultaneous submissions."""

    __tablename__ = "application_reference_counter"

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    last_number: Mapped[int]

    __table_args__ = (CheckConstraint("last_number > 0", name="last_number_positive"),)


class Application(Model):
    """What an authority submitted through the public form, and what became of it."""

    __tablename__ = "application"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(
        ForeignKey("application_round.id", ondelete="RESTRICT"), index=True
    )
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    reference_year: Mapped[int]
    reference_number: Mapped[int]
    # The secret status link: only its hash is kept, and a salt from which the link can be
    # derived again with the SECRET_KEY (for the decision emails; see ``tokens``).
    status_token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    status_token_salt: Mapped[str | None] = mapped_column(String(32))
    status: Mapped[ApplicationStatus] = mapped_column(
        enum_column_type(ApplicationStatus, "status"),
        default=ApplicationStatus.EINGEGANGEN,
        index=True,
    )
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)

    organisation_name: Mapped[str] = mapped_column(String(200))
    sector: Mapped[Sector] = mapped_column(enum_column_type(Sector, "sector"), index=True)
    subtype: Mapped[str] = mapped_column(String(40))
    district: Mapped[District] = mapped_column(enum_column_type(District, "district"), index=True)
    address: Mapped[str | None] = mapped_column(String(300))
    website: Mapped[str | None] = mapped_column(String(300))
    staff_size: Mapped[int | None]

    contact_name: Mapped[str] = mapped_column(String(200))
    contact_role: Mapped[str | None] = mapped_column(String(200))
    contact_email: Mapped[str] = mapped_column(String(254), index=True)
    contact_phone: Mapped[str | None] = mapped_column(String(50))

    motivation: Mapped[str] = mapped_column(Text)
    known_barriers: Mapped[str | None] = mapped_column(Text)
    target_groups: Mapped[str | None] = mapped_column(Text)
    has_leadership_support: Mapped[bool]
    leadership_support_by: Mapped[str | None] = mapped_column(String(200))
    steering_group: Mapped[str | None] = mapped_column(Text)
    desired_start: Mapped[date]
    desired_duration_months: Mapped[int]

    consent_at: Mapped[datetime] = mapped_column(UTCDateTime())
    consent_text_version: Mapped[str] = mapped_column(String(40))
    # The version of the privacy notice (/datenschutz) the form linked when it was shown;
    # None on applications from before the notice was versioned.
    privacy_notice_version: Mapped[str | None] = mapped_column(String(40))
    # Art. 18 DSGVO: processing restricted; no more mails go to the applicant.
    is_restricted: Mapped[bool] = mapped_column(default=False, server_default=false())

    preliminary_talk_on: Mapped[date | None]
    # The reason of a decline: emailed to the applicant and shown on the status page.
    decision_reason: Mapped[str | None] = mapped_column(Text)
    # Staff's internal note on a waitlist place or an acceptance: never shown to the applicant.
    decision_note: Mapped[str | None] = mapped_column(Text)
    decided_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_member.id", ondelete="SET NULL")
    )
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    anonymised_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisation.id", ondelete="SET NULL"), index=True
    )
    # RESTRICT: an accepted application must keep its engagement (CHECK below).
    engagement_id: Mapped[int | None] = mapped_column(
        ForeignKey("engagement.id", ondelete="RESTRICT"), unique=True
    )

    # Optimistic locking: two people deciding at once cannot both win.
    version: Mapped[int] = mapped_column(default=1, server_default=text("1"))

    round: Mapped[ApplicationRound] = relationship()
    decided_by: Mapped[StaffMember | None] = relationship()
    organisation: Mapped[Organisation | None] = relationship()
    engagement: Mapped[Engagement | None] = relationship()
    reviews: Mapped[list[ApplicationReview]] = relationship(
        back_populates="application", cascade="all, delete-orphan"
    )

    __table_args__ = (
        UniqueConstraint("reference_year", "reference_number"),
        CheckConstraint(subtype_check_sql(), name="subtype_matches_sector"),
        CheckConstraint(
            "desired_duration_months BETWEEN 6 AND 18", name="desired_duration_in_range"
        ),
        CheckConstraint("reference_number > 0", name="reference_number_positive"),
        CheckConstraint("staff_size IS NULL OR staff_size > 0", name="staff_size_positive"),
        CheckConstraint(
            "(status IN ('angenommen', 'abgelehnt', 'warteliste')) = (decided_at IS NOT NULL)",
            name="decided_at_iff_decided",
        ),
        CheckConstraint(
            "status <> 'abgelehnt' OR decision_reason IS NOT NULL",
            name="declined_has_reason",
        ),
        CheckConstraint(
            "status <> 'angenommen' OR engagement_id IS NOT NULL",
            name="accepted_has_engagement",
        ),
        CheckConstraint(
            "(status = 'zurueckgezogen') = (withdrawn_at IS NOT NULL)",
            name="withdrawn_at_iff_withdrawn",
        ),
    )

    __mapper_args__ = {"version_id_col": version}

    @property
    def subtype_label(self) -> str:
        return subtype_label(self.subtype)

    def __repr__(self) -> str:
        return f"<Application {self.reference} {self.status.value}>"


class ApplicationReview(Model):
    """One staff member's scores (1–5 on four criteria) and comment for an application."""

    __tablename__ = "application_review"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id", ondelete="CASCADE"))
    reviewer_id: Mapped[int] = mapped_column(
        ForeignKey("staff_member.id", ondelete="RESTRICT"), index=True
    )
    score_leadership: Mapped[int]
    score_resources: Mapped[int]
    score_relevance: Mapped[int]
    score_feasibility: Mapped[int]
    comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    application: Mapped[Application] = relationship(back_populates="reviews")
    reviewer: Mapped[StaffMember] = relationship()

    __table_args__ = (
        UniqueConstraint("application_id", "reviewer_id"),
        *(
            CheckConstraint(f"{column} BETWEEN 1 AND 5", name=f"{column}_in_range")
            for column in REVIEW_CRITERIA
        ),
    )

    @property
    def average(self) -> float:
        scores = [getattr(self, column) for column in REVIEW_CRITERIA]
        return sum(scores) / len(scores)
