"""Accepting an application: the proposal of dates, the checks, and the acceptance itself,
which creates or links the organisation and plans the engagement in one transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.orm import Session

from caseflow import clock
from caseflow.audit.services import record
from caseflow.engagements.models import Engagement
from caseflow.engagements.rules import (
    ProgrammeWindow,
    check_dates,
    end_after_months,
    latest_start,
)
from caseflow.engagements.services import plan_engagement
from caseflow.intake.models import Application, ApplicationStatus
from caseflow.intake.services.decisions import (
    DecisionError,
    apply_decision,
    check_version,
    clean_text,
)
from caseflow.intake.transitions import check_move
from caseflow.organisations.models import ContactPerson, Organisation
from caseflow.staff.identity import normalise_email
from caseflow.staff.models import ENGAGEMENT_MEASURE, StaffMember
from caseflow.translating import gettext as _
from caseflow.web.i18n import format_day

S = ApplicationStatus


class AcceptanceImpossible(DecisionError):
    """Not even the shortest engagement fits into what is left of the programme."""


@dataclass(frozen=True)
class Proposal:
    """The start and duration the acceptance form suggests.

    ``fits`` is False when the applicant's desired duration no longer fits before the
    programme's end; ``duration_months`` is then the longest possible one.
    ``latest_start_for_desired`` is the last start from which the desired duration would still
    fit (None when that day has passed).
    """

    start_date: date
    duration_months: int
    longest_possible_months: int
    fits: bool
    desired_months: int
    latest_start_for_desired: date | None

    @property
    def planned_end_date(self) -> date:
        return end_after_months(self.start_date, self.duration_months)


def earliest_start(today: date, window: ProgrammeWindow) -> date:
    """The first day an engagement accepted ``today`` may start."""
    return max(today, window.start)


def longest_duration(start: date, window: ProgrammeWindow) -> int:
    """The most months (at most ``window.max_months``, 18 by default) an engagement starting
    on ``start`` can run until the programme's end; below ``window.min_months`` when not even
    the shortest one fits."""
    months = window.max_months
    while months >= window.min_months and end_after_months(start, months) > window.end:
        months -= 1
    return months


def _impossible(today: date, window: ProgrammeWindow) -> AcceptanceImpossible:
    return AcceptanceImpossible(
        _(
            "Eine Annahme ist nicht mehr möglich: Ab dem %(day)s bleiben keine %(months)d "
            "Monate bis zum Ende des Förderzeitraums (%(end)s); der späteste Beginn war der "
            "%(latest)s. Setzen Sie die Bewerbung auf die Warteliste oder lehnen Sie sie ab.",
            day=format_day(earliest_start(today, window)),
            months=window.min_months,
            end=format_day(window.end),
            latest=format_day(latest_start(window.min_months, window)),
        )
    )


def acceptance_proposal(
    application: Application, *, today: date, window: ProgrammeWindow
) -> Proposal:
    """Start and duration to suggest when accepting ``application`` on ``today``.

    The start is the desired start, but not before today or the programme's start and not
    after the last day from which the shortest engagement (6 months) still fits. The duration
    is the desired one when it fits before the programme's end, else the longest possible.
    Raises ``AcceptanceImpossible`` when not even 6 months fit any more.
    """
    first = earliest_start(today, window)
    last = latest_start(window.min_months, window)
    if first > last:
        raise _impossible(today, window)
    start = min(max(application.desired_start, first), last)
    longest = longest_duration(start, window)
    desired = application.desired_duration_months
    fits = desired <= longest
    latest_for_desired = latest_start(desired, window)
    return Proposal(
        start_date=start,
        duration_months=desired if fits else longest,
        longest_possible_months=longest,
        fits=fits,
        desired_months=desired,
        latest_start_for_desired=latest_for_desired if latest_for_desired >= first else None,
    )


def check_acceptance_dates(
    start_date: date, duration_months: int, *, today: date, window: ProgrammeWindow
) -> date:
    """Refuse a start or duration an accepted engagement cannot have; return the planned end.

    The start lies from today (and the programme's start) to the last day from which 6
    months fit; the duration is 6–18 months and ends by the programme's end. Raises
    ``DecisionError`` (``field`` ``start_date`` or ``duration_months``) naming the allowed
    range, or ``AcceptanceImpossible``.
    """
    first = earliest_start(today, window)
    last = latest_start(window.min_months, window)
    if first > last:
        raise _impossible(today, window)
    if not first <= start_date <= last:
        raise DecisionError(
            _(
                "Der Beginn muss zwischen dem %(first)s und dem %(last)s liegen (nicht in der "
                "Vergangenheit, und mindestens %(months)d Monate vor dem Ende des "
                "Förderzeitraums am %(end)s).",
                first=format_day(first),
                last=format_day(last),
                months=window.min_months,
                end=format_day(window.end),
            ),
            field="start_date",
        )
    longest = longest_duration(start_date, window)
    if (
        isinstance(duration_months, bool)
        or not isinstance(duration_months, int)
        or not window.min_months <= duration_months <= longest
    ):
        if longest < window.max_months:
            message = _(
                "Ab dem %(start)s passen höchstens %(longest)d Monate bis zum Ende des "
                "Förderzeitraums (%(end)s). Bitte wählen Sie eine Dauer von %(min)d bis "
                "%(longest)d Monaten.",
                start=format_day(start_date),
                longest=longest,
                end=format_day(window.end),
                min=window.min_months,
            )
        else:
            message = _(
                "Die Dauer muss zwischen %(min)d und %(max)d Monaten liegen.",
                min=window.min_months,
                max=window.max_months,
            )
        raise DecisionError(message, field="duration_months")
    planned_end = end_after_months(start_date, duration_months)
    check_dates(start_date, planned_end, window)
    return planned_end


def check_lead(lead: StaffMember) -> None:
    """Refuse a lead consultant who is not active or does not work in measure 3."""
    if not lead.is_active:
        raise DecisionError(
            _(
                "%(name)s ist nicht aktiv und kann keine Prozessbegleitung leiten.",
                name=lead.name,
            ),
            field="lead",
        )
    if ENGAGEMENT_MEASURE not in lead.measure_numbers:
        raise DecisionError(
            _(
                "%(name)s arbeitet nicht in Maßnahme 3 (Organisationsberatung) und kann keine "
                "Prozessbegleitung leiten.",
                name=lead.name,
            ),
            field="lead",
        )


def _organisation_from(application: Application, now: datetime) -> Organisation:
    return Organisation(
        name=application.organisation_name,
        sector=application.sector,
        subtype=application.subtype,
        district=application.district,
        address=application.address,
        website=application.website,
        staff_size=application.staff_size,
        created_at=now,
    )


def _contact_from(application: Application, now: datetime, *, is_primary: bool) -> ContactPerson:
    return ContactPerson(
        name=application.contact_name,
        role=application.contact_role,
        email=normalise_email(application.contact_email),
        phone=application.contact_phone,
        is_primary=is_primary,
        created_at=now,
    )


def _has_contact(organisation: Organisation, email: str | None) -> bool:
    wanted = normalise_email(email)
    return wanted is not None and any(
        normalise_email(contact.email) == wanted for contact in organisation.contacts
    )


def accept_application(
    session: Session,
    application: Application,
    *,
    actor: StaffMember,
    now: datetime,
    window: ProgrammeWindow,
    organisation: Organisation | None,
    start_date: date,
    duration_months: int,
    lead: StaffMember,
    note: str | None = None,
    expected_version: int | None = None,
) -> Engagement:
    """Accept ``application``: link or create its organisation and plan its engagement.

    Before: the transition table allows ``→ angenommen`` for ``actor`` (a lead); the dates
    pass ``check_acceptance_dates`` (start from today, 6–18 months, ending by the programme's
    end); ``lead`` is active and works in measure 3; ``note`` at most ``REASON_MAX_LENGTH``
    characters. Every rule is checked before any row is added.

    After, in the caller's transaction (flushed, not committed):

    - ``organisation`` None: a new organisation from the application's data, with the contact
      person (primary); otherwise the chosen organisation, which gains the contact person
      unless it already has one with the same email;
    - a planned engagement (``plan_engagement``: lead assignment, phases and milestones from
      the default template) from ``start_date`` for ``duration_months``;
    - the application ``angenommen``, decided at ``now`` by ``actor``, the note (if any) as
      the internal ``decision_note`` (else a waitlist note stays), linked to organisation and
      engagement;
    - audit events ``organisation.created`` or ``organisation.contact_added`` (when that
      happened), ``engagement.planned`` and ``application.accepted``.

    Returns the engagement. Raises ``TransitionError`` / ``MoveNotPermitted``,
    ``DecisionError`` (with ``field``; ``StaleApplication`` for an ``expected_version`` that
    is not the application's), ``DateRuleError`` or ``EngagementError``; the caller
    rolls back on any error, so nothing is left half done.
    """
    check_version(application, expected_version)
    check_move(application.status, S.ANGENOMMEN, actor.role)
    if application.engagement_id is not None:
        raise DecisionError(_("Diese Bewerbung ist bereits mit einer Prozessbegleitung verknüpft."))
    today = clock.local(now).date()
    planned_end = check_acceptance_dates(start_date, duration_months, today=today, window=window)
    check_lead(lead)
    cleaned_note = clean_text(note, field="note", label=_("Die Notiz"))

    is_new_organisation = organisation is None
    contact: ContactPerson | None = None
    if organisation is None:
        organisation = _organisation_from(application, now)
        contact = _contact_from(application, now, is_primary=True)
        organisation.contacts.append(contact)
        session.add(organisation)
    elif not _has_contact(organisation, application.contact_email):
        contact = _contact_from(application, now, is_primary=not organisation.contacts)
        organisation.contacts.append(contact)
    session.flush()
    if is_new_organisation:
        record(
            session,
            actor=actor,
            action="organisation.created",
            object_type="organisation",
            object_id=organisation.id,
            changes={
                "name": organisation.name,
                "from_application": application.reference,
                "contact_id": contact.id if contact is not None else None,
            },
            at=now,
        )
    elif contact is not None:
        record(
            session,
            actor=actor,
            action="organisation.contact_added",
            object_type="organisation",
            object_id=organisation.id,
            changes={"contact_id": contact.id, "from_application": application.reference},
            at=now,
        )

    engagement = plan_engagement(
        session,
        organisation=organisation,
        start_date=start_date,
        planned_end_date=planned_end,
        lead=lead,
        window=window,
        actor=actor,
        now=now,
    )
    changes = apply_decision(application, S.ANGENOMMEN, actor=actor, now=now, note=cleaned_note)
    application.organisation = organisation
    application.engagement = engagement
    record(
        session,
        actor=actor,
        action="application.accepted",
        object_type="application",
        object_id=application.id,
        changes={
            **changes,
            "organisation_id": organisation.id,
            "organisation_created": is_new_organisation,
            "engagement_id": engagement.id,
            "start_date": start_date,
            "planned_end_date": planned_end,
            "duration_months": duration_months,
            "lead": lead.name,
        },
        at=now,
    )
    session.flush()
    return engagement
