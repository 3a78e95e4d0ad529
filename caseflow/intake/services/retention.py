"""Data retention: the personal data of declined and withdrawn applications is anonymised in
place once they are older than ``RETENTION_MONTHS`` (DESIGN.md §4, default 6 months).

"Older than": declined (``abgelehnt``) at ``decided_at``, withdrawn (``zurueckgezogen``) at
``withdrawn_at``, at or before ``now`` minus the months (calendar months, ``relativedelta``:
declined on 31.08. is anonymised from 28.02./29.02. on). Accepted and waitlisted
applications are kept: they became (or may become) an engagement.

What goes: the contact person (name, role, email, phone), the postal address, the free texts
that may name people (motivation, known barriers, target groups, who supports the project,
the steering group, the decision's reason and internal note, the reviewers' comments) and the
secret status link (its hash and salt: the status page answers 404 from then on). Columns
that may not be empty get ``PLACEHOLDER``; the reason of a decline stays non-empty as its
CHECK constraint requires. What stays, for the funder's reporting: reference, round,
organisation name, sector, sub-type, district, website, staff size, the dates (submitted,
consent, preliminary talk, decided, withdrawn, desired start), the desired duration, the
leadership-support flag, the status, the reviewers' scores and who decided.

The audit trail keeps no free text (``caseflow.audit.services.redacted``) and no contact
data: the events about an application hold its reference, round, statuses, dates, scores and
staff names only. What it does keep is the IP address the applicant submitted or withdrew
from (``ip_address`` of the public ``application.submitted`` and ``application.withdrawn``
events); that address is removed from every event about the anonymised applications, the
events themselves stay. Each run adds one event naming the references (count 0 included).

The same rule (``anonymise_applications``) serves an admin's erasure of one application on
request (Art. 17 DSGVO, ``anonymise_application``, used by the data-protection pages), for
an application in any status: an accepted one keeps its engagement and organisation.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from dateutil.relativedelta import relativedelta
from sqlalchemy import String, and_, case, cast, literal, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from caseflow.audit.models import AuditEvent
from caseflow.audit.services import record
from caseflow.intake.models import Application, ApplicationReview, ApplicationStatus

PLACEHOLDER = "[anonymisiert]"
# Never a SHA-256 hex digest (it has a colon), so no token can match it; the id keeps it unique.
ANONYMISED_TOKEN_PREFIX = "anonymisiert:"  # noqa: S105  (not a secret)


@dataclass(frozen=True)
class RetentionRun:
    """What one run anonymised: the applications' ids and references, in id order."""

    ids: tuple[int, ...]
    references: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.ids)


def retention_cutoff(now: datetime, months: int) -> datetime:
    """Applications declined or withdrawn at or before this moment are due."""
    return now - relativedelta(months=months)


def _expired(cutoff: datetime) -> ColumnElement[bool]:
    return and_(
        Application.anonymised_at.is_(None),
        or_(
            and_(
                Application.status == ApplicationStatus.ABGELEHNT,
                Application.decided_at <= cutoff,
            ),
            and_(
                Application.status == ApplicationStatus.ZURUECKGEZOGEN,
                Application.withdrawn_at <= cutoff,
            ),
        ),
    )


def anonymise_expired(session: Session, *, now: datetime, months: int) -> RetentionRun:
    """Anonymise every declined or withdrawn application older than ``months`` months.

    Before: nothing. After: those applications are anonymised by ``anonymise_applications``
    (the module docstring says what goes); one audit event (by the system) names the
    references and the count, also when nothing was due (count 0). Three UPDATE statements
    whatever the number of applications (reviews, applications, audit events' addresses)
    and one INSERT of the audit event. Two runs at once anonymise each application once:
    the second waits for the first's row locks and then finds them done. Only flushes.
    """
    run = anonymise_applications(session, _expired(retention_cutoff(now, months)), now=now)
    record(
        session,
        actor=None,
        action="application.anonymised",
        object_type="application",
        object_id=None,
        changes={
            "count": len(run),
            "references": list(run.references),
            "retention_months": months,
        },
        at=now,
    )
    session.flush()
    return run


def anonymise_application(session: Session, application: Application, *, now: datetime) -> bool:
    """Anonymise one application by the same rule as the retention sweep (erasure on request,
    Art. 17 DSGVO), whatever its status; False when it already was anonymised.

    After: as ``anonymise_applications`` for this one application; ``application`` is
    expired in the session and shows the new values when read again. The caller records
    the audit event of the request. Only flushes.
    """
    run = anonymise_applications(
        session,
        and_(Application.id == application.id, Application.anonymised_at.is_(None)),
        now=now,
    )
    return bool(run.ids)


def anonymise_applications(
    session: Session, condition: ColumnElement[bool], *, now: datetime
) -> RetentionRun:
    """Anonymise in place every application that meets ``condition`` (which must exclude the
    already anonymised ones): the one rule of what goes and what stays (module docstring).

    After: those applications have their personal data replaced, ``anonymised_at = now`` and
    a raised ``version`` (an open form on the old state is refused); their reviews' comments
    are gone; the audit events about them keep no IP address (the events stay). Objects of
    those rows loaded in ``session`` are expired. No audit event (the caller writes its own).
    Three UPDATE statements whatever the number of applications. Only flushes.
    """
    session.flush()
    matching_ids = select(Application.id).where(condition).scalar_subquery()
    session.execute(
        update(ApplicationReview)
        .where(ApplicationReview.application_id.in_(matching_ids))
        .values(comment=None)
        .execution_options(synchronize_session=False)
    )
    statement = (
        update(Application)
        .where(condition)
        .values(
            contact_name=PLACEHOLDER,
            contact_role=None,
            contact_email=PLACEHOLDER,
            contact_phone=None,
            address=None,
            motivation=PLACEHOLDER,
            known_barriers=None,
            target_groups=None,
            leadership_support_by=None,
            steering_group=None,
            decision_reason=case(
                (Application.decision_reason.is_(None), None), else_=literal(PLACEHOLDER)
            ),
            decision_note=None,
            status_token_hash=literal(ANONYMISED_TOKEN_PREFIX) + cast(Application.id, String),
            status_token_salt=None,
            anonymised_at=now,
            version=Application.version + 1,
        )
        .returning(Application.id, Application.reference)
        .execution_options(synchronize_session=False)
    )
    rows = sorted(session.execute(statement).all())
    run = RetentionRun(ids=tuple(row[0] for row in rows), references=tuple(row[1] for row in rows))
    # Audit rows are otherwise never edited. This one edit is allowed: the client's IP address
    # (the applicant's, on the public form's events) is personal data whose retention period
    # has now ended like the application's; the event itself stays, without the address.
    # "anonymised_at = now" names exactly the applications anonymised at this moment.
    session.execute(
        update(AuditEvent)
        .where(
            AuditEvent.object_type == "application",
            AuditEvent.object_id.in_(
                select(Application.id).where(Application.anonymised_at == now)
            ),
            AuditEvent.ip_address.is_not(None),
        )
        .values(ip_address=None)
        .execution_options(synchronize_session=False)
    )
    session.flush()
    if not run.ids:
        return run
    # Objects already loaded in this session would show the old values.
    for loaded in list(session.identity_map.values()):
        if (
            (isinstance(loaded, Application) and loaded.id in run.ids)
            or (isinstance(loaded, ApplicationReview) and loaded.application_id in run.ids)
            or (
                isinstance(loaded, AuditEvent)
                and loaded.object_type == "application"
                and loaded.object_id in run.ids
            )
        ):
            session.expire(loaded)
    return run
