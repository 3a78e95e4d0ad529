"""Factories for test data: plain functions that add valid rows to a session and flush.

Every factory fills what the CHECK constraints require for the state asked for (a declined
application has a reason, a closed engagement an actual end, …) and takes keyword overrides.
Engagements are planned through the real service, ``plan_engagement``.
"""

from __future__ import annotations

import hashlib
import io
import itertools
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy.orm import Session

from caseflow import clock
from caseflow.audit.models import AuditEvent
from caseflow.documents.models import DocumentKind, DocumentVersion
from caseflow.documents.services import Limits, Upload, upload_documents
from caseflow.documents.sweeps import storage_root
from caseflow.engagements.models import (
    CLOSED_STATUSES,
    Activity,
    ActivityKind,
    Barrier,
    BarrierCategory,
    BarrierStatus,
    Engagement,
    EngagementStatus,
    Milestone,
    MilestoneStatus,
)
from caseflow.engagements.rules import ProgrammeWindow
from caseflow.engagements.services import plan_engagement
from caseflow.followups.models import FollowUp, FollowUpKind, FollowUpStatus
from caseflow.intake.models import (
    DECIDED_STATUSES,
    Application,
    ApplicationReview,
    ApplicationRound,
    ApplicationStatus,
)
from caseflow.organisations.choices import District, Sector
from caseflow.organisations.models import ContactPerson, Organisation
from caseflow.staff.models import Role, StaffMeasure, StaffMember

WINDOW = ProgrammeWindow(date(2024, 4, 1), date(2026, 7, 31))
MOMENT = datetime(2025, 1, 15, 9, 0, tzinfo=UTC)

_sequence = itertools.count(1)


def _next() -> int:
    return next(_sequence)


def make_staff_member(
    session: Session, *, name: str | None = None, role: Role = Role.CONSULTANT, **fields: Any
) -> StaffMember:
    """A staff member without a login (a contact-list entry)."""
    number = _next()
    member = StaffMember(
        name=name or f"Mitarbeiterin {number}", role=role, created_at=MOMENT, **fields
    )
    session.add(member)
    session.flush()
    return member


def make_organisation(
    session: Session,
    *,
    name: str | None = None,
    sector: Sector = Sector.BUERGERDIENST,
    subtype: str = "jugendamt",
    district: District = District.MITTE,
    **fields: Any,
) -> Organisation:
    """A client organisation (the sub-type must belong to the sector)."""
    number = _next()
    organisation = Organisation(
        name=name or f"Jugendamt Test {number}",
        sector=sector,
        subtype=subtype,
        district=district,
        created_at=MOMENT,
        **fields,
    )
    session.add(organisation)
    session.flush()
    return organisation


def make_contact(
    session: Session, organisation: Organisation, *, name: str | None = None, **fields: Any
) -> ContactPerson:
    """A contact person at ``organisation``."""
    number = _next()
    contact = ContactPerson(
        organisation=organisation,
        name=name or f"Ansprechperson {number}",
        email=fields.pop("email", f"kontakt{number}@amt.example.org"),
        created_at=MOMENT,
        **fields,
    )
    session.add(contact)
    session.flush()
    return contact


def make_round(
    session: Session,
    *,
    name: str | None = None,
    opens_on: date = date(2024, 9, 1),
    closes_on: date = date(2025, 12, 31),
) -> ApplicationRound:
    """An application round open from ``opens_on`` to ``closes_on`` (midnight UTC)."""
    number = _next()
    round_ = ApplicationRound(
        name=name or f"Runde {number}",
        opens_at=datetime.combine(opens_on, time.min, tzinfo=UTC),
        closes_at=datetime.combine(closes_on, time.min, tzinfo=UTC),
        created_at=MOMENT,
    )
    session.add(round_)
    session.flush()
    return round_


def make_application(
    session: Session,
    *,
    round: ApplicationRound | None = None,  # noqa: A002  (the domain's word)
    status: ApplicationStatus = ApplicationStatus.EINGEGANGEN,
    submitted_at: datetime = MOMENT,
    decided_by: StaffMember | None = None,
    engagement: Engagement | None = None,
    **fields: Any,
) -> Application:
    """An application in ``status``, with what the constraints ask of that status.

    An accepted application needs its engagement: pass one, or one is planned for a new
    organisation (led by ``decided_by`` or a new staff member).
    """
    number = _next()
    round_ = round or make_round(session)
    decided = status in DECIDED_STATUSES
    if status is ApplicationStatus.ANGENOMMEN and engagement is None:
        lead = decided_by or make_staff_member(session)
        engagement = make_engagement(session, lead=lead)
    values: dict[str, Any] = {
        "round": round_,
        "reference": f"DF-{submitted_at.year}-{number:04d}",
        "reference_year": submitted_at.year,
        "reference_number": number,
        "status_token_hash": hashlib.sha256(f"token-{number}".encode()).hexdigest(),
        "status": status,
        "submitted_at": submitted_at,
        "organisation_name": f"Bezirksamt Test {number}",
        "sector": Sector.BUERGERDIENST,
        "subtype": "sozialamt",
        "district": District.NEUKOELLN,
        "contact_name": f"Kontakt {number}",
        "contact_email": f"bewerbung{number}@amt.example.org",
        "motivation": "Wir wollen Zugangsbarrieren abbauen.",
        "has_leadership_support": True,
        "desired_start": date(2025, 3, 1),
        "desired_duration_months": 12,
        "consent_at": submitted_at,
        "consent_text_version": "2024-09",
        "decided_at": submitted_at + timedelta(days=20) if decided else None,
        "decided_by": decided_by if decided else None,
        "decision_reason": "Passt nicht in diese Runde."
        if status is ApplicationStatus.ABGELEHNT
        else None,
        "withdrawn_at": submitted_at + timedelta(days=3)
        if status is ApplicationStatus.ZURUECKGEZOGEN
        else None,
        "engagement": engagement,
        "organisation": engagement.organisation if engagement is not None else None,
    }
    values.update(fields)
    application = Application(**values)
    session.add(application)
    session.flush()
    return application


def make_review(
    session: Session,
    application: Application,
    reviewer: StaffMember,
    scores: Sequence[int] = (4, 3, 5, 2),
    comment: str | None = None,
) -> ApplicationReview:
    """A review with the four criteria scored in ``REVIEW_CRITERIA`` order."""
    leadership, resources, relevance, feasibility = scores
    review = ApplicationReview(
        application=application,
        reviewer=reviewer,
        score_leadership=leadership,
        score_resources=resources,
        score_relevance=relevance,
        score_feasibility=feasibility,
        comment=comment,
        created_at=MOMENT,
        updated_at=MOMENT,
    )
    session.add(review)
    session.flush()
    return review


def make_engagement(
    session: Session,
    *,
    lead: StaffMember,
    co: Sequence[StaffMember] = (),
    organisation: Organisation | None = None,
    start: date = date(2025, 1, 1),
    end: date = date(2025, 12, 31),
    status: EngagementStatus = EngagementStatus.GEPLANT,
    actual_end: date | None = None,
) -> Engagement:
    """An engagement planned by ``plan_engagement`` (default template), then put in ``status``.

    A closed engagement ends on ``actual_end`` (default: the planned end).
    """
    engagement = plan_engagement(
        session,
        organisation=organisation or make_organisation(session),
        start_date=start,
        planned_end_date=end,
        lead=lead,
        co_consultants=co,
        window=WINDOW,
        actor=None,
        now=MOMENT,
    )
    if status is not EngagementStatus.GEPLANT:
        engagement.status = status
        if status in CLOSED_STATUSES:
            engagement.actual_end_date = actual_end or end
        session.flush()
    return engagement


def milestones_of(engagement: Engagement) -> list[Milestone]:
    """The engagement's milestones in plan order."""
    return [milestone for phase in engagement.phases for milestone in phase.milestones]


def complete_milestone(session: Session, milestone: Milestone, *, on: date) -> Milestone:
    """Mark ``milestone`` done on ``on``."""
    milestone.status = MilestoneStatus.ERLEDIGT
    milestone.completed_on = on
    session.flush()
    return milestone


def drop_milestone(session: Session, milestone: Milestone, *, reason: str = "entfällt") -> None:
    """Mark ``milestone`` dropped."""
    milestone.status = MilestoneStatus.ENTFALLEN
    milestone.drop_reason = reason
    session.flush()


def make_activity(
    session: Session,
    engagement: Engagement,
    *,
    occurred_on: date = date(2025, 2, 1),
    kind: ActivityKind = ActivityKind.TREFFEN,
    staff: Sequence[StaffMember] = (),
    **fields: Any,
) -> Activity:
    """An activity of ``engagement``, with the staff involved."""
    activity = Activity(
        engagement=engagement,
        occurred_on=occurred_on,
        kind=kind,
        created_at=MOMENT,
        staff=list(staff),
        **fields,
    )
    session.add(activity)
    session.flush()
    return activity


def make_barrier(
    session: Session,
    engagement: Engagement,
    *,
    category: BarrierCategory = BarrierCategory.SPRACHE_INFORMATION,
    status: BarrierStatus = BarrierStatus.ERKANNT,
    description: str = "Bescheide nur auf Deutsch",
    identified_on: date = date(2025, 2, 1),
    **fields: Any,
) -> Barrier:
    """A barrier of ``engagement``; a removed one gets a resolution day."""
    barrier = Barrier(
        engagement=engagement,
        category=category,
        status=status,
        description=description,
        identified_on=identified_on,
        resolved_on=identified_on + timedelta(days=60)
        if status is BarrierStatus.ABGEBAUT
        else None,
        created_at=MOMENT,
        **fields,
    )
    session.add(barrier)
    session.flush()
    return barrier


def make_follow_up(
    session: Session,
    engagement: Engagement,
    *,
    assignee: StaffMember | None,
    due_on: date = date(2025, 3, 1),
    kind: FollowUpKind = FollowUpKind.CHECK_IN,
    status: FollowUpStatus = FollowUpStatus.OFFEN,
    **fields: Any,
) -> FollowUp:
    """A follow-up due at 09:00 local time on ``due_on``; a closed one gets ``closed_at``."""
    due_at = clock.start_of_day(due_on) + timedelta(hours=9)
    follow_up = FollowUp(
        engagement=engagement,
        assignee=assignee,
        due_at=due_at,
        kind=kind,
        status=status,
        closed_at=due_at if status is not FollowUpStatus.OFFEN else None,
        created_at=MOMENT,
        **fields,
    )
    session.add(follow_up)
    session.flush()
    return follow_up


def make_audit_event(
    session: Session,
    *,
    object_type: str,
    object_id: int,
    action: str,
    actor_label: str = "Testperson",
    changes: dict[str, Any] | None = None,
    at: datetime = MOMENT,
) -> AuditEvent:
    """An audit event as a service would have written it."""
    event = AuditEvent(
        occurred_at=at,
        actor_label=actor_label,
        action=action,
        object_type=object_type,
        object_id=object_id,
        changes=changes or {},
    )
    session.add(event)
    session.flush()
    return event


def application_form(**overrides: str | None) -> dict[str, str]:
    """Valid values of the public application form (DESIGN.md §5 field names), as a browser
    posts them, for a submission on 2025-01-15 (desired start 2025-03-01, 12 months); without
    the CSRF token. ``None`` as an override leaves the field out."""
    values: dict[str, str | None] = {
        "organisation_name": "Jugendamt Friedrichshain-Kreuzberg",
        "sector": "buergerdienst",
        "subtype": "jugendamt",
        "district": "friedrichshain-kreuzberg",
        "address": "Frankfurter Allee 35/37\n10247 Berlin",
        "website": "www.berlin.de/ba-friedrichshain-kreuzberg",
        "staff_size": "250",
        "contact_name": "Dilek Yılmaz",
        "contact_role": "Teamleitung",
        "contact_email": "dilek.yilmaz@ba-fk.example.org",
        "contact_phone": "030 90298-0",
        "motivation": "Wir möchten Zugangsbarrieren für Familien aus Drittstaaten abbauen.",
        "known_barriers": "Bescheide nur auf Deutsch; lange Wartezeiten.",
        "target_groups": "Familien mit Fluchtgeschichte",
        "leadership_support": "ja",
        "leadership_support_by": "Amtsleitung",
        "steering_group": "Vier Kolleg*innen, je zwei Stunden im Monat",
        "desired_start": "2025-03-01",
        "desired_duration_months": "12",
        "consent": "y",
    }
    values.update(overrides)
    return {key: value for key, value in values.items() if value is not None}


def make_measure3_consultant(
    session: Session, *, name: str | None = None, is_active: bool = True, **fields: Any
) -> StaffMember:
    """A staff member of measure 3 (Organisationsberatung), who may lead an engagement."""
    member = make_staff_member(session, name=name, is_active=is_active, **fields)
    member.measures.append(StaffMeasure(measure=3))
    session.flush()
    return member


PDF = b"%PDF-1.4\n%%EOF\n"


def make_document(
    session: Session,
    engagement: Engagement,
    *,
    actor: StaffMember,
    file_name: str = "Plan.pdf",
    content: bytes = PDF,
    kind: DocumentKind = DocumentKind.PLAN,
    now: datetime = MOMENT,
    title: str | None = None,
) -> DocumentVersion:
    """A document of ``engagement`` uploaded by ``actor`` (who may change it), its file in
    the app's storage root; the version (in an app context). Under a ``title`` of an
    existing document it is that document's next version."""
    return upload_documents(
        session,
        engagement,
        [Upload(stream=io.BytesIO(content), file_name=file_name)],
        title=title,
        kind=kind,
        milestone_id=None,
        actor=actor,
        now=now,
        root=storage_root(),
        limits=Limits(max_bytes=1024 * 1024, max_unpacked_bytes=1024 * 1024),
    ).versions[0]
