"""Retention of contact persons, and what the admins' retention page shows (issue 7 item 6).

The contact rule (``CONTACT_RETENTION_YEARS``, default 3; ``PROGRAMME_END``, default
31.07.2026). Its due day is the programme end plus the years, in calendar years as
``relativedelta`` counts them (31.07.2026 + 3 years = 31.07.2029; a programme ending on a
29 February is due on the 28th). From that day on (``now``'s date in Europe/Berlin ≥ the due
day) every run of the retention job anonymises the contact persons of each organisation that
nothing keeps any more:

- no engagement of the organisation is still open: none ``geplant``, ``aktiv`` or
  ``pausiert`` (all are ``abgeschlossen`` or ``abgebrochen``, or it never had one: an
  organisation entered by hand and never supported has no reason to be kept either);
- no open application belongs to it: none ``eingegangen``, ``in_pruefung``,
  ``vorgespraech`` or ``warteliste`` (and not anonymised) that is linked to the organisation
  (``Application.organisation_id``) or carries its name (compared without case): an
  application is linked only when it is accepted, and a new application of a known
  organisation will reuse its contacts.

A contact of an organisation with an engagement still running (or an open application) is
kept, however late it is: it is anonymised by the first run after the last engagement was
closed. "Anonymised" is ``caseflow.organisations.retention``'s rule (the row, its
organisation and the primary flag stay; name becomes the placeholder, role, email, phone and
notes go); contacts anonymised earlier (an erasure on request) keep their first
``anonymised_at``. With them go the personal data of the applications linked to a released
organisation (the accepted application the engagement came from holds the same person's
name and address): ``caseflow.intake.services.retention.anonymise_applications``, the rule
of the declined ones. The organisation, its engagements and their history stay (the
funder's reporting).

Each run records one audit event ``organisation.contacts_anonymised`` (by the system), also
when nothing was due or the due day has not come (count 0): the count, the contacts' and
organisations' ids, the applications' references, the due day and the configured years — no
names. Runs are idempotent and safe in parallel: each anonymisation is one conditional
``UPDATE … WHERE anonymised_at IS NULL``; a second run at the same time waits for the first's
row locks and then finds the rows done. Before the due day the run touches no row at all
(one statement: the audit event); from then on five (contacts, the applications' three, the
audit event).

The application rule (DESIGN.md §4, ``caseflow.intake.services.retention``): declined and
withdrawn applications are anonymised ``RETENTION_MONTHS`` months after the decline or the
withdrawal. ``pending_applications`` lists those still waiting, with their due moment.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from dateutil.relativedelta import relativedelta
from sqlalchemy import Select, and_, exists, func, or_, select
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.elements import ColumnElement

from caseflow.audit.models import AuditEvent
from caseflow.audit.services import record
from caseflow.engagements.models import Engagement
from caseflow.followups.sweeps.common import OPEN_STATUSES, local_today
from caseflow.intake.models import Application, ApplicationStatus
from caseflow.intake.services.retention import anonymise_applications
from caseflow.organisations.models import ContactPerson, Organisation
from caseflow.organisations.retention import anonymise_contacts

CONTACTS_ACTION = "organisation.contacts_anonymised"
APPLICATIONS_ACTION = "application.anonymised"
# Applications that may still become (or wait to become) an engagement.
OPEN_APPLICATION_STATUSES = (
    ApplicationStatus.EINGEGANGEN,
    ApplicationStatus.IN_PRUEFUNG,
    ApplicationStatus.VORGESPRAECH,
    ApplicationStatus.WARTELISTE,
)
EXPIRING_APPLICATION_STATUSES = (ApplicationStatus.ABGELEHNT, ApplicationStatus.ZURUECKGEZOGEN)
# The applications that keep an organisation, under a name of their own: the rule is also
# used inside statements over ``Application``.
OpenApplication = aliased(Application)


def contact_due_on(programme_end: date, years: int) -> date:
    """The day from which contacts of organisations nothing keeps are anonymised."""
    return programme_end + relativedelta(years=years)


def organisation_released() -> ColumnElement[bool]:
    """SQL over ``Organisation``: no open engagement and no open application keeps it.
    Correlated to ``Organisation`` only (also inside an UPDATE of applications)."""
    open_engagement = (
        select(Engagement.id)
        .where(
            Engagement.organisation_id == Organisation.id,
            Engagement.status.in_(OPEN_STATUSES),
        )
        .correlate(Organisation)
    )
    open_application = (
        select(OpenApplication.id)
        .where(
            OpenApplication.status.in_(OPEN_APPLICATION_STATUSES),
            OpenApplication.anonymised_at.is_(None),
            or_(
                OpenApplication.organisation_id == Organisation.id,
                func.lower(OpenApplication.organisation_name) == func.lower(Organisation.name),
            ),
        )
        .correlate(Organisation)
    )
    return and_(~exists(open_engagement), ~exists(open_application))


def _released_organisation_ids() -> Select[tuple[int]]:
    return select(Organisation.id).where(organisation_released())


def _released_contact() -> ColumnElement[bool]:
    """SQL over ``ContactPerson``: its organisation is released."""
    return ContactPerson.organisation_id.in_(_released_organisation_ids())


def _released_application() -> ColumnElement[bool]:
    """SQL over ``Application``: not anonymised, linked to a released organisation (an
    accepted application: only acceptance links one)."""
    return and_(
        Application.anonymised_at.is_(None),
        Application.organisation_id.in_(_released_organisation_ids()),
    )


@dataclass(frozen=True)
class ContactRun:
    """What one run of the contact rule did: the contacts anonymised (ids, in id order),
    their organisations, and the applications of released organisations anonymised with
    them (their references)."""

    due_on: date
    contact_ids: tuple[int, ...]
    organisation_ids: tuple[int, ...]
    application_references: tuple[str, ...] = ()

    def __len__(self) -> int:
        return len(self.contact_ids)


def anonymise_released_contacts(
    session: Session, now: datetime, *, programme_end: date, years: int
) -> ContactRun:
    """Apply the contact rule (module docstring) at ``now``.

    Before: nothing. After: when ``now``'s Berlin date is on or after the due day, every not
    yet anonymised contact of a released organisation is anonymised (``anonymised_at =
    now``), and so is every not yet anonymised application linked to one (the accepted
    application holds the same person's data; ``anonymise_applications``); one audit event
    names the count, the contacts', organisations' ids and the applications' references,
    the due day, the programme end and the years (count 0 included). Before the due day one
    statement (the event), from then on five. Only flushes.
    """
    due_on = contact_due_on(programme_end, years)
    done: list[tuple[int, int]] = []
    references: tuple[str, ...] = ()
    if local_today(now) >= due_on:
        done = anonymise_contacts(session, where=_released_contact(), now=now)
        references = anonymise_applications(session, _released_application(), now=now).references
    run = ContactRun(
        due_on=due_on,
        contact_ids=tuple(contact_id for contact_id, _organisation in done),
        organisation_ids=tuple(sorted({organisation for _contact, organisation in done})),
        application_references=references,
    )
    record(
        session,
        actor=None,
        action=CONTACTS_ACTION,
        object_type="organisation",
        object_id=None,
        changes={
            "count": len(run),
            "contacts": list(run.contact_ids),
            "organisations": list(run.organisation_ids),
            "applications": list(run.application_references),
            "due_on": due_on,
            "programme_end": programme_end,
            "retention_years": years,
        },
        at=now,
    )
    session.flush()
    return run


# -- the overview (``/admin/retention``) -------------------------------------------------------


@dataclass(frozen=True)
class PendingApplication:
    """An application not anonymised yet that a rule will anonymise: declined or withdrawn
    (``since`` the decline or withdrawal), or linked to a released organisation (``since``
    None: it goes with the organisation's contacts)."""

    id: int
    reference: str
    status: ApplicationStatus
    since: datetime | None
    due_at: datetime  # anonymised by the first run from this moment on


@dataclass(frozen=True)
class PendingContact:
    """A contact person of a released organisation, not anonymised yet (no name: the page
    shows "Ansprechperson #id")."""

    id: int
    organisation_id: int
    organisation_name: str


@dataclass(frozen=True)
class RetentionRunRecord:
    """One run of the retention job, from the audit trail: what each rule did (None: the
    rule left no event at that moment)."""

    at: datetime
    applications: int | None
    contacts: int | None


def pending_applications(
    session: Session, *, months: int, contacts_due_at: datetime
) -> list[PendingApplication]:
    """Applications not anonymised yet that a rule will anonymise, the soonest due first:
    declined and withdrawn ones (``months`` after), and those linked to a released
    organisation (at ``contacts_due_at``, with the contacts); one statement."""
    released = Application.organisation_id.in_(_released_organisation_ids())
    rows = session.execute(
        select(
            Application.id,
            Application.reference,
            Application.status,
            Application.decided_at,
            Application.withdrawn_at,
            released,
        ).where(
            Application.anonymised_at.is_(None),
            or_(Application.status.in_(EXPIRING_APPLICATION_STATUSES), released),
        )
    ).all()
    pending = []
    for application_id, reference, status, decided_at, withdrawn_at, linked in rows:
        since = withdrawn_at if status is ApplicationStatus.ZURUECKGEZOGEN else decided_at
        if status in EXPIRING_APPLICATION_STATUSES and since is not None:
            due_at = since + relativedelta(months=months)
            if linked:
                due_at = min(due_at, contacts_due_at)
        elif linked:
            since, due_at = None, contacts_due_at
        else:  # the CHECK constraints rule it out
            continue
        pending.append(
            PendingApplication(
                id=application_id, reference=reference, status=status, since=since, due_at=due_at
            )
        )
    pending.sort(key=lambda item: (item.due_at, item.id))
    return pending


def pending_contacts(session: Session) -> list[PendingContact]:
    """Contacts of released organisations not anonymised yet (all due on the same day), by
    organisation; one statement."""
    rows = session.execute(
        select(ContactPerson.id, Organisation.id, Organisation.name)
        .join(Organisation, Organisation.id == ContactPerson.organisation_id)
        .where(ContactPerson.anonymised_at.is_(None), organisation_released())
        .order_by(func.lower(Organisation.name), Organisation.id, ContactPerson.id)
    ).all()
    return [PendingContact(*row) for row in rows]


def kept_contact_count(session: Session) -> int:
    """How many contacts (not anonymised) an open engagement or application still keeps;
    one statement."""
    return int(
        session.scalar(
            select(func.count(ContactPerson.id))
            .join(Organisation, Organisation.id == ContactPerson.organisation_id)
            .where(ContactPerson.anonymised_at.is_(None), ~organisation_released())
        )
        or 0
    )


def recent_runs(session: Session, *, limit: int = 20) -> list[RetentionRunRecord]:
    """The last ``limit`` runs of the retention job, newest first: the audit events of both
    rules, grouped by their moment (a run records both at the same ``now``); one
    statement."""
    rows: Sequence[Any] = session.execute(
        select(AuditEvent.occurred_at, AuditEvent.action, AuditEvent.changes)
        .where(
            AuditEvent.action.in_((APPLICATIONS_ACTION, CONTACTS_ACTION)),
            AuditEvent.object_id.is_(None),
        )
        .order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
        .limit(2 * limit)
    ).all()
    runs: dict[datetime, dict[str, int | None]] = {}
    for occurred_at, action, changes in rows:
        counts = runs.setdefault(occurred_at, {"applications": None, "contacts": None})
        changes = changes or {}
        count = changes.get("count")
        if not isinstance(count, int):
            continue
        if action == APPLICATIONS_ACTION:
            counts["applications"] = (counts["applications"] or 0) + count
        else:
            counts["contacts"] = count
            # The applications of released organisations, anonymised with their contacts.
            linked = changes.get("applications")
            if isinstance(linked, list) and linked:
                counts["applications"] = (counts["applications"] or 0) + len(linked)
    return [
        RetentionRunRecord(at=moment, **counts) for moment, counts in list(runs.items())[:limit]
    ]
