"""Engagement and everything that belongs to one; the phase templates they are planned from."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from caseflow.database import Model, UTCDateTime, enum_column_type
from caseflow.organisations.models import Organisation
from caseflow.staff.models import StaffMember
from caseflow.translating import lazy_gettext as _l


class _Labelled(enum.StrEnum):
    @property
    def label(self) -> str:
        return str(LABELS[self])


class EngagementStatus(_Labelled):
    GEPLANT = "geplant"
    AKTIV = "aktiv"
    PAUSIERT = "pausiert"
    ABGESCHLOSSEN = "abgeschlossen"
    ABGEBROCHEN = "abgebrochen"


CLOSED_STATUSES = (EngagementStatus.ABGESCHLOSSEN, EngagementStatus.ABGEBROCHEN)


class AssignmentRole(_Labelled):
    LEAD = "lead"
    CO = "co"


class MilestoneStatus(_Labelled):
    OFFEN = "offen"
    ERLEDIGT = "erledigt"
    ENTFALLEN = "entfallen"


class MilestonePosition(_Labelled):
    """Where a template milestone falls inside its phase."""

    START = "start"
    MIDDLE = "middle"
    END = "end"


class ActivityKind(_Labelled):
    TREFFEN = "treffen"
    WORKSHOP = "workshop"
    FORTBILDUNG = "fortbildung"
    TELEFONAT = "telefonat"
    NOTIZ = "notiz"


class BarrierCategory(_Labelled):
    SPRACHE_INFORMATION = "sprache_information"
    VERFAHREN_FORMULARE = "verfahren_formulare"
    DIGITALE_ZUGAENGE = "digitale_zugaenge"
    PERSONAL_KOMPETENZ = "personal_kompetenz"
    BETEILIGUNG_BESCHWERDE = "beteiligung_beschwerde"
    STRATEGIE_VERANTWORTUNG = "strategie_verantwortung"
    DATEN_MONITORING = "daten_monitoring"


class BarrierStatus(_Labelled):
    ERKANNT = "erkannt"
    IN_BEARBEITUNG = "in_bearbeitung"
    ABGEBAUT = "abgebaut"


LABELS = {
    EngagementStatus.GEPLANT: _l("geplant"),
    EngagementStatus.AKTIV: _l("aktiv"),
    EngagementStatus.PAUSIERT: _l("pausiert"),
    EngagementStatus.ABGESCHLOSSEN: _l("abgeschlossen"),
    EngagementStatus.ABGEBROCHEN: _l("abgebrochen"),
    AssignmentRole.LEAD: _l("Federführung"),
    AssignmentRole.CO: _l("Co-Begleitung"),
    MilestoneStatus.OFFEN: _l("offen"),
    MilestoneStatus.ERLEDIGT: _l("erledigt"),
    MilestoneStatus.ENTFALLEN: _l("entfallen"),
    MilestonePosition.START: _l("am Anfang"),
    MilestonePosition.MIDDLE: _l("in der Mitte"),
    MilestonePosition.END: _l("am Ende"),
    ActivityKind.TREFFEN: _l("Treffen"),
    ActivityKind.WORKSHOP: _l("Workshop"),
    ActivityKind.FORTBILDUNG: _l("Fortbildung"),
    ActivityKind.TELEFONAT: _l("Telefonat"),
    ActivityKind.NOTIZ: _l("Notiz"),
    BarrierCategory.SPRACHE_INFORMATION: _l("Sprache & Information"),
    BarrierCategory.VERFAHREN_FORMULARE: _l("Verfahren & Formulare"),
    BarrierCategory.DIGITALE_ZUGAENGE: _l("digitale Zugänge"),
    BarrierCategory.PERSONAL_KOMPETENZ: _l("Personal & Kompetenz"),
    BarrierCategory.BETEILIGUNG_BESCHWERDE: _l("Beteiligung & Beschwerde"),
    BarrierCategory.STRATEGIE_VERANTWORTUNG: _l("Strategie & Verantwortung"),
    BarrierCategory.DATEN_MONITORING: _l("Daten & Monitoring"),
    BarrierStatus.ERKANNT: _l("erkannt"),
    BarrierStatus.IN_BEARBEITUNG: _l("in Bearbeitung"),
    BarrierStatus.ABGEBAUT: _l("abgebaut"),
}


class Engagement(Model):
    """One 6–18 month process support for one organisation."""

    __tablename__ = "engagement"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisation.id", ondelete="RESTRICT"), index=True
    )
    status: Mapped[EngagementStatus] = mapped_column(
        enum_column_type(EngagementStatus, "status"), default=EngagementStatus.GEPLANT, index=True
    )
    start_date: Mapped[date] = mapped_column(index=True)
    planned_end_date: Mapped[date] = mapped_column(index=True)
    # The first planned end, kept when the engagement is extended (plan vs. actual).
    baseline_end_date: Mapped[date]
    extension_reason: Mapped[str | None] = mapped_column(Text)
    actual_end_date: Mapped[date | None]
    status_changed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status_reason: Mapped[str | None] = mapped_column(Text)
    notes: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Optimistic locking: a form loaded before someone else's change is refused, not merged.
    version: Mapped[int] = mapped_column(default=1, server_default=text("1"))

    organisation: Mapped[Organisation] = relationship()
    assignments: Mapped[list[Assignment]] = relationship(
        back_populates="engagement", cascade="all, delete-orphan"
    )
    phases: Mapped[list[Phase]] = relationship(
        back_populates="engagement", cascade="all, delete-orphan", order_by="Phase.position"
    )
    activities: Mapped[list[Activity]] = relationship(
        back_populates="engagement", cascade="all, delete-orphan"
    )
    barriers: Mapped[list[Barrier]] = relationship(
        back_populates="engagement", cascade="all, delete-orphan"
    )

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        CheckConstraint("planned_end_date > start_date", name="end_after_start"),
        CheckConstraint("baseline_end_date > start_date", name="baseline_after_start"),
        CheckConstraint(
            "(status IN ('abgeschlossen', 'abgebrochen')) = (actual_end_date IS NOT NULL)",
            name="actual_end_iff_closed",
        ),
    )

    @property
    def lead(self) -> StaffMember | None:
        for assignment in self.assignments:
            if assignment.role is AssignmentRole.LEAD:
                return assignment.staff_member
        return None

    @property
    def team(self) -> list[StaffMember]:
        ordered = sorted(self.assignments, key=lambda a: (a.role is not AssignmentRole.LEAD,))
        return [assignment.staff_member for assignment in ordered]

    @property
    def end_date(self) -> date:
        return self.actual_end_date or self.planned_end_date

    def __repr__(self) -> str:
        return f"<Engagement {self.id} {self.status.value}>"


class Assignment(Model):
    """A staff member on an engagement's team, as lead consultant or co-consultant."""

    __tablename__ = "assignment"

    id: Mapped[int] = mapped_column(primary_key=True)
    engagement_id: Mapped[int] = mapped_column(ForeignKey("engagement.id", ondelete="CASCADE"))
    staff_member_id: Mapped[int] = mapped_column(
        ForeignKey("staff_member.id", ondelete="RESTRICT"), index=True
    )
    role: Mapped[AssignmentRole] = mapped_column(enum_column_type(AssignmentRole, "role"))

    engagement: Mapped[Engagement] = relationship(back_populates="assignments")
    staff_member: Mapped[StaffMember] = relationship(lazy="joined")

    __table_args__ = (
        UniqueConstraint("engagement_id", "staff_member_id"),
        # At most one lead per engagement; "at least one" is a service rule.
        Index(
            "uq_assignment_one_lead",
            "engagement_id",
            unique=True,
            sqlite_where=text("role = 'lead'"),
            postgresql_where=text("role = 'lead'"),
        ),
    )


class Phase(Model):
    __tablename__ = "phase"

    id: Mapped[int] = mapped_column(primary_key=True)
    engagement_id: Mapped[int] = mapped_column(ForeignKey("engagement.id", ondelete="CASCADE"))
    position: Mapped[int]
    name: Mapped[str] = mapped_column(String(200))
    start_date: Mapped[date]
    end_date: Mapped[date]
    started_on: Mapped[date | None]

    engagement: Mapped[Engagement] = relationship(back_populates="phases")
    milestones: Mapped[list[Milestone]] = relationship(
        back_populates="phase",
        cascade="all, delete-orphan",
        order_by=lambda: (Milestone.due_date, Milestone.sort_order),
    )

    __table_args__ = (
        UniqueConstraint("engagement_id", "position"),
        CheckConstraint("end_date >= start_date", name="end_not_before_start"),
        CheckConstraint("position >= 1", name="position_positive"),
    )


class Milestone(Model):
    __tablename__ = "milestone"

    id: Mapped[int] = mapped_column(primary_key=True)
    phase_id: Mapped[int] = mapped_column(ForeignKey("phase.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    due_date: Mapped[date]
    # The first planned date, never moved by rescheduling (plan vs. actual).
    baseline_due_date: Mapped[date]
    owner_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_member.id", ondelete="SET NULL"), index=True
    )
    status: Mapped[MilestoneStatus] = mapped_column(
        enum_column_type(MilestoneStatus, "status"), default=MilestoneStatus.OFFEN
    )
    is_gate: Mapped[bool] = mapped_column(default=False, server_default=false())
    sort_order: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    completed_on: Mapped[date | None]
    completed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_member.id", ondelete="SET NULL")
    )
    evidence_note: Mapped[str | None] = mapped_column(Text)
    drop_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # RFC 5545 SEQUENCE of its calendar event: raised whenever what the event shows changes.
    calendar_sequence: Mapped[int] = mapped_column(default=0, server_default=text("0"))

    phase: Mapped[Phase] = relationship(back_populates="milestones")
    owner: Mapped[StaffMember | None] = relationship(foreign_keys=[owner_id])
    completed_by: Mapped[StaffMember | None] = relationship(foreign_keys=[completed_by_id])

    __table_args__ = (
        CheckConstraint("length(title) > 0", name="title_not_empty"),
        CheckConstraint(
            "(status = 'erledigt') = (completed_on IS NOT NULL)", name="completed_on_iff_done"
        ),
        CheckConstraint(
            "(status = 'entfallen') = (drop_reason IS NOT NULL)", name="drop_reason_iff_dropped"
        ),
        Index("ix_milestone_status_due_date", "status", "due_date"),
    )

    def is_overdue(self, today: date) -> bool:
        return self.status is MilestoneStatus.OFFEN and self.due_date < today


activity_staff = Table(
    "activity_staff",
    Model.metadata,
    Column("activity_id", ForeignKey("activity.id", ondelete="CASCADE"), primary_key=True),
    Column(
        "staff_member_id",
        ForeignKey("staff_member.id", ondelete="CASCADE"),
        primary_key=True,
        index=True,
    ),
)


class Activity(Model):
    """Something that happened in an engagement: a meeting, workshop, training, call, note."""

    __tablename__ = "activity"

    id: Mapped[int] = mapped_column(primary_key=True)
    engagement_id: Mapped[int] = mapped_column(
        ForeignKey("engagement.id", ondelete="CASCADE"), index=True
    )
    occurred_on: Mapped[date]
    kind: Mapped[ActivityKind] = mapped_column(enum_column_type(ActivityKind, "kind"))
    duration_minutes: Mapped[int | None]
    participants_count: Mapped[int | None]
    note: Mapped[str | None] = mapped_column(Text)
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_member.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    engagement: Mapped[Engagement] = relationship(back_populates="activities")
    author: Mapped[StaffMember | None] = relationship(foreign_keys=[author_id])
    staff: Mapped[list[StaffMember]] = relationship(
        secondary=activity_staff, order_by=lambda: (StaffMember.name, StaffMember.id)
    )

    __table_args__ = (
        CheckConstraint(
            "duration_minutes IS NULL OR duration_minutes >= 0", name="duration_not_negative"
        ),
        CheckConstraint(
            "participants_count IS NULL OR participants_count >= 0",
            name="participants_not_negative",
        ),
    )


class Barrier(Model):
    """A structural barrier identified at the client, and what was done about it."""

    __tablename__ = "barrier"

    id: Mapped[int] = mapped_column(primary_key=True)
    engagement_id: Mapped[int] = mapped_column(
        ForeignKey("engagement.id", ondelete="CASCADE"), index=True
    )
    category: Mapped[BarrierCategory] = mapped_column(
        enum_column_type(BarrierCategory, "category"), index=True
    )
    description: Mapped[str] = mapped_column(Text)
    status: Mapped[BarrierStatus] = mapped_column(
        enum_column_type(BarrierStatus, "status"), default=BarrierStatus.ERKANNT
    )
    measure_taken: Mapped[str | None] = mapped_column(Text)
    identified_on: Mapped[date]
    resolved_on: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    engagement: Mapped[Engagement] = relationship(back_populates="barriers")

    __table_args__ = (
        CheckConstraint("length(description) > 0", name="description_not_empty"),
        CheckConstraint(
            "(status = 'abgebaut') = (resolved_on IS NOT NULL)", name="resolved_on_iff_removed"
        ),
    )


class PhaseTemplate(Model):
    """A named plan of phases and milestones that new engagements are generated from."""

    __tablename__ = "phase_template"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    is_default: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    phases: Mapped[list[TemplatePhase]] = relationship(
        back_populates="template",
        cascade="all, delete-orphan",
        order_by="TemplatePhase.position",
    )

    __table_args__ = (
        Index(
            "uq_phase_template_one_default",
            "is_default",
            unique=True,
            sqlite_where=text("is_default"),
            postgresql_where=text("is_default"),
        ),
    )


class TemplatePhase(Model):
    __tablename__ = "template_phase"

    id: Mapped[int] = mapped_column(primary_key=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("phase_template.id", ondelete="CASCADE"))
    position: Mapped[int]
    name: Mapped[str] = mapped_column(String(200))
    share_percent: Mapped[int]

    template: Mapped[PhaseTemplate] = relationship(back_populates="phases")
    milestones: Mapped[list[TemplateMilestone]] = relationship(
        back_populates="template_phase",
        cascade="all, delete-orphan",
        order_by="TemplateMilestone.sort_order",
    )

    __table_args__ = (
        UniqueConstraint("template_id", "position"),
        CheckConstraint("share_percent BETWEEN 1 AND 100", name="share_in_range"),
    )


class TemplateMilestone(Model):
    __tablename__ = "template_milestone"

    id: Mapped[int] = mapped_column(primary_key=True)
    template_phase_id: Mapped[int] = mapped_column(
        ForeignKey("template_phase.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    position: Mapped[MilestonePosition] = mapped_column(
        enum_column_type(MilestonePosition, "position")
    )
    is_gate: Mapped[bool] = mapped_column(default=False, server_default=false())
    sort_order: Mapped[int] = mapped_column(default=0, server_default=text("0"))

    template_phase: Mapped[TemplatePhase] = relationship(back_populates="milestones")
