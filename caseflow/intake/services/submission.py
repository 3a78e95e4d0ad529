"""The applicant's side: rounds open for submissions, submitting an application, withdrawing it.

Reference numbers (``DF-2025-0042``) count up per calendar year of submission in the
programme's time zone. They come from a counter row per year, taken with one atomic
``INSERT … ON CONFLICT DO UPDATE … RETURNING``: on PostgreSQL the row lock makes simultaneous
submissions wait for each other instead of colliding (SQLite serialises writing requests
anyway). The counter never falls behind the numbers already used (the demo or an import may
have inserted applications directly), and the unique constraint on (reference_year,
reference_number) stays the last line of defence.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import bindparam, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from caseflow.audit.services import record
from caseflow.clock import timezone
from caseflow.intake.models import Application, ApplicationRound, ApplicationStatus
from caseflow.intake.notices import PrivacyNotice, current_notice, notice_of
from caseflow.intake.tokens import issue_token
from caseflow.intake.transitions import withdrawable_statuses
from caseflow.organisations.choices import District, Sector
from caseflow.translating import gettext as _
from caseflow.translating import lazy_gettext as _l

log = logging.getLogger(__name__)

REFERENCE_PREFIX = "DF"
# Attempts at a free reference number before giving up (each collision means another
# submission committed that number in the meantime).
MAX_REFERENCE_ATTEMPTS = 20

# The consent the applicant gives next to the consent box. When the wording changes in
# substance, change the version too: every application keeps the version it was given under.
CONSENT_TEXT_VERSION = "2025-01"
CONSENT_TEXT = _l(
    "Ich willige ein, dass BQN Berlin e. V. meine Angaben in diesem Formular verarbeitet, um "
    "die Bewerbung zu prüfen, mit mir Kontakt aufzunehmen und die Prozessbegleitung "
    "vorzubereiten. Ich kann diese Einwilligung jederzeit widerrufen."
)


class SubmissionError(ValueError):
    """A submission or withdrawal was refused; the message is German and meant for the
    applicant."""


@dataclass(frozen=True)
class ApplicationData:
    """The cleaned values of the public form (the form has checked every rule)."""

    organisation_name: str
    sector: Sector
    subtype: str
    district: District
    contact_name: str
    contact_email: str
    motivation: str
    has_leadership_support: bool
    desired_start: date
    desired_duration_months: int
    address: str | None = None
    website: str | None = None
    staff_size: int | None = None
    contact_role: str | None = None
    contact_phone: str | None = None
    known_barriers: str | None = None
    target_groups: str | None = None
    leadership_support_by: str | None = None
    steering_group: str | None = None
    # The privacy notice version the form showed (unknown or missing: the current one).
    privacy_notice_version: str | None = None


def _shown_notice(version: str | None, now: datetime) -> PrivacyNotice:
    """The privacy notice the applicant was shown: the version the form sent when it is one
    that applied by ``now``, else the one that applies now."""
    today = now.astimezone(timezone()).date()
    return notice_of(version, today) or current_notice(today)


# The statements of the two lookups below are built once, with ``now`` as a parameter: they
# run on every public page and form submission, and building a statement (and the key
# SQLAlchemy caches its SQL under) costs about as much as running it.
_OPEN_ROUND = (
    select(ApplicationRound)
    .where(
        ApplicationRound.opens_at <= bindparam("now"), ApplicationRound.closes_at > bindparam("now")
    )
    .order_by(ApplicationRound.closes_at, ApplicationRound.id)
    .limit(1)
)
_NEXT_ROUND = (
    select(ApplicationRound)
    .where(ApplicationRound.opens_at > bindparam("now"))
    .order_by(ApplicationRound.opens_at, ApplicationRound.id)
    .limit(1)
)


def open_round(session: Session, now: datetime) -> ApplicationRound | None:
    """The round accepting applications at ``now`` (the one closing first if several are)."""
    return session.scalar(_OPEN_ROUND, {"now": now})


def next_round(session: Session, now: datetime) -> ApplicationRound | None:
    """The next round that opens after ``now``, or None when none is planned."""
    return session.scalar(_NEXT_ROUND, {"now": now})


def format_reference(year: int, number: int) -> str:
    """``DF-2025-0042`` (the number has at least four digits)."""
    return f"{REFERENCE_PREFIX}-{year}-{number:04d}"


# One statement on SQLite and PostgreSQL: start the year's counter after the highest number
# already used, or count it up; never below the highest used number plus one.
_TAKE_NUMBER = text(
    """
    INSERT INTO application_reference_counter (year, last_number)
    SELECT :year, COALESCE(MAX(reference_number), 0) + 1
    FROM application WHERE reference_year = :year
    ON CONFLICT (year) DO UPDATE SET last_number = CASE
        WHEN excluded.last_number > application_reference_counter.last_number
        THEN excluded.last_number
        ELSE application_reference_counter.last_number + 1
    END
    RETURNING last_number
    """
)


def _next_reference_number(session: Session, year: int) -> int:
    """Take the next reference number of ``year`` (it stays taken even if unused)."""
    return session.execute(_TAKE_NUMBER, {"year": year}).scalar_one()


def _is_reference_collision(error: IntegrityError) -> bool:
    # SQLite names the columns ("application.reference_year, …"), PostgreSQL the constraint
    # ("uq_application_reference_year_reference_number" or "uq_application_reference").
    return "reference" in str(error.orig)


def submit_application(
    session: Session,
    data: ApplicationData,
    *,
    round_: ApplicationRound,
    now: datetime,
    secret: str,
) -> tuple[Application, str]:
    """Store a submitted application and return it with its secret status token.

    Before: ``data`` passed the form's rules; ``round_`` is open at ``now``.
    After: one ``eingegangen`` application in ``round_`` with the next free reference number
    of the year (Europe/Berlin) of ``now``, consent recorded at ``now`` with
    ``CONSENT_TEXT_VERSION``, a status token (only its hash and salt stored); one audit event
    ``application.submitted``; flushed. Raises ``SubmissionError`` when the round is not open
    or no reference number could be found after ``MAX_REFERENCE_ATTEMPTS`` collisions.
    """
    if not round_.is_open(now):
        raise SubmissionError(_("Die Bewerbungsrunde ist nicht geöffnet."))
    year = now.astimezone(timezone()).year
    for _attempt in range(MAX_REFERENCE_ATTEMPTS):
        number = _next_reference_number(session, year)
        application = Application(
            round=round_,
            reference=format_reference(year, number),
            reference_year=year,
            reference_number=number,
            status=ApplicationStatus.EINGEGANGEN,
            submitted_at=now,
            organisation_name=data.organisation_name,
            sector=data.sector,
            subtype=data.subtype,
            district=data.district,
            address=data.address,
            website=data.website,
            staff_size=data.staff_size,
            contact_name=data.contact_name,
            contact_role=data.contact_role,
            contact_email=data.contact_email,
            contact_phone=data.contact_phone,
            motivation=data.motivation,
            known_barriers=data.known_barriers,
            target_groups=data.target_groups,
            has_leadership_support=data.has_leadership_support,
            leadership_support_by=data.leadership_support_by,
            steering_group=data.steering_group,
            desired_start=data.desired_start,
            desired_duration_months=data.desired_duration_months,
            consent_at=now,
            consent_text_version=CONSENT_TEXT_VERSION,
            privacy_notice_version=_shown_notice(data.privacy_notice_version, now).version,
        )
        token = issue_token(application, secret)
        try:
            with session.begin_nested():
                session.add(application)
                session.flush()
        except IntegrityError as error:
            if not _is_reference_collision(error):
                raise
            log.info("reference %s taken meanwhile, trying the next", application.reference)
            continue
        record(
            session,
            actor=None,
            action="application.submitted",
            object_type="application",
            object_id=application.id,
            changes={"reference": application.reference, "round": round_.name},
            at=now,
        )
        session.flush()
        return application, token
    raise SubmissionError(
        _(
            "Die Bewerbung konnte gerade nicht gespeichert werden. "
            "Bitte senden Sie das Formular noch einmal ab."
        )
    )


def can_withdraw(application: Application) -> bool:
    """Whether the applicant may still withdraw ``application`` (it is undecided)."""
    return application.status in withdrawable_statuses()


def withdraw_application(session: Session, application: Application, *, now: datetime) -> None:
    """The applicant withdraws ``application`` through the status link.

    Before: the application is undecided (``eingegangen``, ``in_pruefung`` or
    ``vorgespraech``). After: status ``zurueckgezogen``, ``withdrawn_at`` = ``now``; one audit
    event ``application.withdrawn`` (actor: the applicant, recorded as the system); flushed.
    Raises ``SubmissionError`` otherwise, changing nothing.
    """
    if not can_withdraw(application):
        if application.status is ApplicationStatus.ZURUECKGEZOGEN:
            raise SubmissionError(_("Diese Bewerbung ist bereits zurückgezogen."))
        raise SubmissionError(
            _(
                "Über diese Bewerbung ist bereits entschieden; sie kann nicht mehr "
                "zurückgezogen werden. Bitte schreiben Sie uns an difair@bqn-berlin.de."
            )
        )
    old_status = application.status
    application.status = ApplicationStatus.ZURUECKGEZOGEN
    application.withdrawn_at = now
    record(
        session,
        actor=None,
        action="application.withdrawn",
        object_type="application",
        object_id=application.id,
        changes={"status": [old_status, ApplicationStatus.ZURUECKGEZOGEN]},
        at=now,
    )
    session.flush()
