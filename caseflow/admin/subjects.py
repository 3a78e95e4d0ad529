"""Data subject requests (Art. 15–18 DSGVO) for contact persons and applicants: find a person,
export everything caseflow holds about them, rectify, restrict and erase — each audited.

A *subject* is one record that describes a person: a contact person of an organisation or
the contact data of an application. The same person may stand behind several records (an
applicant whose application was accepted became a contact person with the same email): the
search groups such records as one person, the actions act on each record.

What each table holds about a person and how the export and the erasure cover it is declared
in ``caseflow.admin.subject_registry``; ``tests/admin/test_subject_coverage.py`` holds the
declaration against the schema and against what these functions do.

Erasure anonymises in place: a contact by ``caseflow.organisations.retention.anonymise_contact``,
an application by the retention rule ``caseflow.intake.services.retention``, so that what
the funder's reporting needs (the organisation, the engagement, the application's reference,
dates, status and scores) stays. Audit events of these actions name the record and the
changed field names, never a value.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from caseflow.admin.subject_mentions import (
    Mention,
    find_mentions,
    mention_pattern,
    replace_mentions,
)
from caseflow.audit.models import AuditEvent
from caseflow.audit.services import SYSTEM_LABEL, changes_of, record
from caseflow.documents.models import Document
from caseflow.engagements.models import Engagement
from caseflow.intake.models import Application, ApplicationReview
from caseflow.intake.services.retention import anonymise_application
from caseflow.organisations.models import ContactPerson
from caseflow.organisations.retention import anonymise_contact
from caseflow.organisations.rules import ascii_address, email_problem
from caseflow.organisations.services import (
    ContactData,
    OrganisationError,
    OrganisationNotPermitted,
    StaleForm,
    fingerprint,
    update_contact,
)
from caseflow.staff.identity import normalise_email
from caseflow.staff.models import Role, StaffMember
from caseflow.translating import gettext as _
from caseflow.translating import lazy_gettext as _l

EXPORT_FORMAT = "caseflow-datenauskunft/1"
SEARCH_MIN_LENGTH = 2
SEARCH_MAX_LENGTH = 200
# More matches than this: the admin is asked to search more precisely.
SEARCH_MAX_RECORDS = 100
NAME_MAX_LENGTH = 200
ROLE_MAX_LENGTH = 200
EMAIL_MAX_LENGTH = 254
PHONE_MAX_LENGTH = 50

# Keys of audit changes that name or point to staff members or other contact persons: not
# the subject's data.
_OTHER_PEOPLE_KEYS = frozenset(
    {
        "actor",
        "primary_unset",
        "assignee",
        "assignee_id",
        "decided_by",
        "decided_by_id",
        "lead",
        "lead_id",
        "owner",
        "owner_id",
        "reviewer",
        "reviewer_id",
    }
)
# The columns of a record that the export leaves out: secrets (the status link's hash and
# salt are no data about the person and would let anyone holding the export forge nothing,
# but they are keys all the same), the locking counter and references to staff.
_APPLICATION_HIDDEN = frozenset(
    {"status_token_hash", "status_token_salt", "version", "decided_by_id", "round_id"}
)
_CONTACT_HIDDEN = frozenset()
# The contact fields of an application and the contact person's column each corresponds to.
APPLICATION_CONTACT_COLUMNS = {
    "name": "contact_name",
    "role": "contact_role",
    "email": "contact_email",
    "phone": "contact_phone",
}


class SubjectKind(enum.StrEnum):
    CONTACT = "contact"
    APPLICATION = "application"

    @property
    def label(self) -> str:
        return str(_KIND_LABELS[self])


_KIND_LABELS = {
    SubjectKind.CONTACT: _l("Ansprechperson"),
    SubjectKind.APPLICATION: _l("Bewerbung"),
}


class SubjectError(ValueError):
    """A request was refused; the message is German and meant for the admin. ``field`` names
    the offending input (``name``, ``role``, ``email``, ``phone``) when there is one."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class SubjectNotPermitted(SubjectError):
    """Only admins handle data subject requests (a 403 in a view)."""


class StaleSubject(SubjectError):
    """The record changed after the form was shown: nothing is changed."""


@dataclass(frozen=True)
class Subject:
    """One record that describes a person: a contact person or an application's contact."""

    kind: SubjectKind
    record: ContactPerson | Application

    @property
    def id(self) -> int:
        return self.record.id

    @property
    def contact(self) -> ContactPerson:
        assert isinstance(self.record, ContactPerson)
        return self.record

    @property
    def application(self) -> Application:
        assert isinstance(self.record, Application)
        return self.record

    @property
    def audit_type(self) -> str:
        """The ``object_type`` of the audit events about this record."""
        return "contact_person" if self.kind is SubjectKind.CONTACT else "application"

    @property
    def name(self) -> str:
        if isinstance(self.record, ContactPerson):
            return self.record.name
        return self.record.contact_name

    @property
    def role(self) -> str | None:
        if isinstance(self.record, ContactPerson):
            return self.record.role
        return self.record.contact_role

    @property
    def email(self) -> str | None:
        if isinstance(self.record, ContactPerson):
            return self.record.email
        return self.record.contact_email

    @property
    def phone(self) -> str | None:
        if isinstance(self.record, ContactPerson):
            return self.record.phone
        return self.record.contact_phone

    @property
    def organisation_name(self) -> str | None:
        if isinstance(self.record, ContactPerson):
            return self.record.organisation.name
        return self.record.organisation_name

    @property
    def is_restricted(self) -> bool:
        return self.record.is_restricted

    @property
    def anonymised_at(self) -> datetime | None:
        return self.record.anonymised_at

    @property
    def is_anonymised(self) -> bool:
        return self.record.anonymised_at is not None

    @property
    def shown(self) -> str:
        """What a form about this record carries, to refuse a change made on an older state:
        the contact's fingerprint, the application's version."""
        if isinstance(self.record, ContactPerson):
            return fingerprint(self.record)
        return str(self.record.version)


@dataclass(frozen=True)
class Person:
    """Records found by a search that describe the same person (same email, case ignored)."""

    email: str | None
    subjects: tuple[Subject, ...]

    @property
    def name(self) -> str:
        return self.subjects[0].name


@dataclass(frozen=True)
class ContactFields:
    """The rectifiable contact data of a subject, as a form hands them over."""

    name: str
    role: str | None = None
    email: str | None = None
    phone: str | None = None


# --- finding ---------------------------------------------------------------------------------


def load_subject(session: Session, kind: SubjectKind, subject_id: int) -> Subject | None:
    """The contact person or application with ``subject_id`` (None: there is none)."""
    if kind is SubjectKind.CONTACT:
        contact = session.scalar(
            select(ContactPerson)
            .where(ContactPerson.id == subject_id)
            .options(selectinload(ContactPerson.organisation))
        )
        return Subject(kind, contact) if contact is not None else None
    application = session.get(Application, subject_id)
    return Subject(kind, application) if application is not None else None


def clean_query(raw: str | None) -> str:
    """A search term with its whitespace collapsed (at most ``SEARCH_MAX_LENGTH`` characters)."""
    return " ".join((raw or "").split())[:SEARCH_MAX_LENGTH]


def _matches(needle: str, *values: str | None) -> bool:
    return any(value is not None and needle in value.casefold() for value in values)


def find_subjects(session: Session, query: str) -> tuple[list[Person], bool]:
    """Contact persons and applications whose name or email (for applications also the
    reference) contains ``query``, case ignored (also for umlauts: compared in Python, as
    SQLite's ``lower`` knows ASCII only). Anonymised records are not found (their data is
    gone). Records with the same email are grouped as one person.

    Returns the persons (by name) and whether more than ``SEARCH_MAX_RECORDS`` records
    matched (then only the first are returned). Raises ``SubjectError`` for a term shorter
    than ``SEARCH_MIN_LENGTH``. Four statements.
    """
    needle = clean_query(query).casefold()
    if len(needle) < SEARCH_MIN_LENGTH:
        raise SubjectError(
            _("Bitte geben Sie mindestens %(min)d Zeichen ein.", min=SEARCH_MIN_LENGTH),
            field="q",
        )
    contact_ids = [
        row.id
        for row in session.execute(
            select(ContactPerson.id, ContactPerson.name, ContactPerson.email).where(
                ContactPerson.anonymised_at.is_(None)
            )
        )
        if _matches(needle, row.name, row.email)
    ]
    application_ids = [
        row.id
        for row in session.execute(
            select(
                Application.id,
                Application.contact_name,
                Application.contact_email,
                Application.reference,
            ).where(Application.anonymised_at.is_(None))
        )
        if _matches(needle, row.contact_name, row.contact_email, row.reference)
    ]
    truncated = len(contact_ids) + len(application_ids) > SEARCH_MAX_RECORDS
    contact_ids = sorted(contact_ids)[:SEARCH_MAX_RECORDS]
    application_ids = sorted(application_ids)[: SEARCH_MAX_RECORDS - len(contact_ids)]
    subjects: list[Subject] = []
    if contact_ids:
        subjects += [
            Subject(SubjectKind.CONTACT, contact)
            for contact in session.scalars(
                select(ContactPerson)
                .where(ContactPerson.id.in_(contact_ids))
                .options(selectinload(ContactPerson.organisation))
            )
        ]
    if application_ids:
        subjects += [
            Subject(SubjectKind.APPLICATION, application)
            for application in session.scalars(
                select(Application).where(Application.id.in_(application_ids))
            )
        ]
    return group_subjects(subjects), truncated


def group_subjects(subjects: Sequence[Subject]) -> list[Person]:
    """``subjects`` grouped by email (case ignored); records without email stand alone.
    Persons by name, inside a person contacts before applications, then by id."""
    groups: dict[str, list[Subject]] = {}
    for subject in subjects:
        email = normalise_email(subject.email)
        key = f"email:{email}" if email else f"{subject.kind}:{subject.id}"
        groups.setdefault(key, []).append(subject)
    persons = [
        Person(
            email=normalise_email(members[0].email),
            subjects=tuple(
                sorted(members, key=lambda s: (s.kind is SubjectKind.APPLICATION, s.id))
            ),
        )
        for members in groups.values()
    ]
    return sorted(persons, key=lambda person: (person.name.casefold(), person.subjects[0].id))


# --- export ----------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    """``value`` as JSON takes it: enums as their value, dates and times ISO 8601."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set):
        return [_plain(item) for item in value]
    return value


def _columns(row: Any, hidden: frozenset[str]) -> dict[str, Any]:
    return {
        column.key: _plain(getattr(row, column.key))
        for column in row.__mapper__.column_attrs
        if column.key not in hidden
    }


def _contact_events(session: Session, contact: ContactPerson) -> list[AuditEvent]:
    """Events about ``contact``: its own (data subject requests) and its organisation's that
    name it (created, changed, made or unmade primary)."""
    events = session.scalars(
        select(AuditEvent)
        .where(
            or_(
                (AuditEvent.object_type == "contact_person") & (AuditEvent.object_id == contact.id),
                (AuditEvent.object_type == "organisation")
                & (AuditEvent.object_id == contact.organisation_id),
            )
        )
        .order_by(AuditEvent.occurred_at, AuditEvent.id)
    )

    def names_contact(event: AuditEvent) -> bool:
        if event.object_type == "contact_person":
            return True
        changes = event.changes or {}
        unset = changes.get("primary_unset") or []
        return (
            changes.get("contact") == contact.id
            or changes.get("contact_id") == contact.id
            or (isinstance(unset, list) and contact.id in unset)
        )

    return [event for event in events if names_contact(event)]


def _application_events(session: Session, application: Application) -> list[AuditEvent]:
    return list(
        session.scalars(
            select(AuditEvent)
            .where(AuditEvent.object_type == "application", AuditEvent.object_id == application.id)
            .order_by(AuditEvent.occurred_at, AuditEvent.id)
        )
    )


def _event_data(event: AuditEvent) -> dict[str, Any]:
    """An audit event without other people's data: who acted only as "staff" or "system"
    (the public form: the applicant), the IP address only of the latter (a staff member's
    address is the staff member's data), changes without keys naming staff or other
    contact persons."""
    # A deleted staff member's events keep the name (``actor_label``) but lose the id.
    by_staff = event.actor_id is not None or event.actor_label != SYSTEM_LABEL
    return {
        "occurred_at": _plain(event.occurred_at),
        "action": event.action,
        "by": "staff" if by_staff else "system",
        "changes": {
            key: _plain(value)
            for key, value in (event.changes or {}).items()
            if key not in _OTHER_PEOPLE_KEYS
        },
        "ip_address": None if by_staff else event.ip_address,
    }


def subject_mentions(session: Session, subject: Subject) -> list[Mention]:
    """The free texts about the subject's organisation's engagements that name the subject
    (full name, email or phone; ``caseflow.admin.subject_mentions``)."""
    if isinstance(subject.record, ContactPerson):
        organisation_id: int | None = subject.record.organisation_id
    else:
        organisation_id = subject.record.organisation_id
    if subject.is_anonymised:
        return []
    pattern = mention_pattern(subject.name, subject.email, subject.phone)
    return find_mentions(session, organisation_id, pattern)


def subject_data(session: Session, subject: Subject, *, now: datetime) -> dict[str, Any]:
    """Everything caseflow holds about ``subject``, as plain JSON values (no audit event:
    ``export`` records one). Keys: ``format``, ``exported_at``, ``subject`` (kind, id),
    ``record`` (the record's own columns without secrets and staff references),
    ``organisation`` (id and name, or None), for applications ``round`` and ``reviews``
    (scores and comments, no reviewer), ``audit_events`` (see ``_event_data``),
    ``mentions`` (free texts of the team that name the person, as excerpts) and
    ``documents`` (``_documents_of_case``)."""
    data: dict[str, Any] = {
        "format": EXPORT_FORMAT,
        "exported_at": _plain(now),
        "subject": {"kind": subject.kind.value, "id": subject.id},
    }
    if isinstance(subject.record, ContactPerson):
        contact = subject.record
        data["record"] = _columns(contact, _CONTACT_HIDDEN)
        data["organisation"] = {"id": contact.organisation.id, "name": contact.organisation.name}
        events = _contact_events(session, contact)
    else:
        application = subject.record
        data["record"] = _columns(application, _APPLICATION_HIDDEN)
        data["organisation"] = (
            {"id": application.organisation.id, "name": application.organisation.name}
            if application.organisation is not None
            else None
        )
        data["round"] = {"id": application.round.id, "name": application.round.name}
        reviews = session.scalars(
            select(ApplicationReview)
            .where(ApplicationReview.application_id == application.id)
            .order_by(ApplicationReview.created_at, ApplicationReview.id)
        )
        data["reviews"] = [
            _columns(review, frozenset({"reviewer_id", "application_id"})) for review in reviews
        ]
        events = _application_events(session, application)
    data["audit_events"] = [_event_data(event) for event in events]
    data["mentions"] = [mention.as_data() for mention in subject_mentions(session, subject)]
    data["documents"] = _documents_of_case(session, subject)
    return data


def case_documents(session: Session, subject: Subject) -> list[Document]:
    """The documents of the subject's case (also those in the trash), with their versions:
    for an application the documents of the engagement it led to, for a contact person
    those of their organisation's engagements. By engagement, title, id."""
    if isinstance(subject.record, ContactPerson):
        engagement_ids = select(Engagement.id).where(
            Engagement.organisation_id == subject.record.organisation_id
        )
        condition = Document.engagement_id.in_(engagement_ids)
    elif subject.record.engagement_id is not None:
        condition = Document.engagement_id == subject.record.engagement_id
    else:
        return []
    return list(
        session.scalars(
            select(Document)
            .where(condition)
            .options(selectinload(Document.versions))
            .order_by(Document.engagement_id, Document.title_key, Document.id)
        )
    )


def _documents_of_case(session: Session, subject: Subject) -> list[dict[str, Any]]:
    """The documents of the subject's case (``case_documents``), each with its versions
    (file name, size, SHA-256, when uploaded). The files themselves are in the ZIP export
    (``caseflow.admin.subject_archive``) and on the engagements' documents pages."""
    documents = case_documents(session, subject)
    return [
        {
            "engagement_id": document.engagement_id,
            "title": document.title,
            "kind": document.kind.value,
            "in_trash": document.in_trash,
            "versions": [
                {
                    "number": version.number,
                    "file_name": version.file_name,
                    "size": version.size,
                    "sha256": version.sha256,
                    "uploaded_at": _plain(version.uploaded_at),
                }
                for version in document.versions
            ],
        }
        for document in documents
    ]


def require_admin(actor: StaffMember) -> None:
    if not actor.has_role(Role.ADMIN):
        raise SubjectNotPermitted(_("Nur Admins bearbeiten Anfragen betroffener Personen."))


def record_request(
    session: Session,
    subject: Subject,
    *,
    action: str,
    actor: StaffMember,
    now: datetime,
    changes: dict[str, Any] | None = None,
) -> None:
    record(
        session,
        actor=actor,
        action=action,
        object_type=subject.audit_type,
        object_id=subject.id,
        changes=changes,
        at=now,
    )
    session.flush()


def export(
    session: Session, subject: Subject, *, actor: StaffMember, now: datetime, fmt: str = "json"
) -> dict[str, Any]:
    """Everything held about ``subject`` (``subject_data``), for a download (``fmt`` "json")
    or the readable page ("html"). Before: ``actor`` is an admin. After: audit
    ``subject.exported`` with the format; flushed. Raises ``SubjectNotPermitted``."""
    require_admin(actor)
    data = subject_data(session, subject, now=now)
    record_request(
        session, subject, action="subject.exported", actor=actor, now=now, changes={"format": fmt}
    )
    return data


# --- rectification ---------------------------------------------------------------------------


def _text(value: str | None, *, field: str, limit: int) -> str | None:
    cleaned = " ".join((value or "").split())
    if len(cleaned) > limit:
        raise SubjectError(_("Bitte höchstens %(max)d Zeichen eingeben.", max=limit), field=field)
    return cleaned or None


def _not_anonymised(subject: Subject) -> None:
    if subject.is_anonymised:
        raise SubjectError(
            _("Diese Daten wurden anonymisiert; es gibt nichts mehr zu ändern oder einzuschränken.")
        )


def _rectify_application(
    session: Session, application: Application, fields: ContactFields, expected: str | None
) -> list[str]:
    session.refresh(application, with_for_update=True)
    _not_anonymised(Subject(SubjectKind.APPLICATION, application))
    if expected is not None and expected != str(application.version):
        raise StaleSubject(
            _(
                "Jemand anderes hat diese Bewerbung gerade geändert. Ihre Änderung wurde nicht "
                "gespeichert; bitte prüfen Sie den aktuellen Stand und versuchen Sie es noch "
                "einmal."
            )
        )
    name = _text(fields.name, field="name", limit=NAME_MAX_LENGTH)
    if name is None:
        raise SubjectError(_("Bitte geben Sie den Namen der Ansprechperson an."), field="name")
    role = _text(fields.role, field="role", limit=ROLE_MAX_LENGTH)
    phone = _text(fields.phone, field="phone", limit=PHONE_MAX_LENGTH)
    email = _text(fields.email, field="email", limit=EMAIL_MAX_LENGTH)
    if email is None:
        raise SubjectError(
            _("Bitte geben Sie die E-Mail-Adresse der Ansprechperson an."), field="email"
        )
    problem = email_problem(email)
    if problem is not None:
        raise SubjectError(problem, field="email")
    email = ascii_address(email)
    values = {"contact_name": name, "contact_role": role, "contact_email": email}
    values["contact_phone"] = phone
    for column, value in values.items():
        if getattr(application, column) != value:
            setattr(application, column, value)
    return sorted(changes_of(application, exclude=frozenset({"id", "version"})))


def rectify(
    session: Session,
    subject: Subject,
    *,
    fields: ContactFields,
    actor: StaffMember,
    now: datetime,
    expected: str | None = None,
) -> list[str]:
    """Correct the contact data of ``subject`` (Art. 16 DSGVO): name, role, email, phone.

    Before: ``actor`` is an admin; the subject is not anonymised; ``expected`` (when given)
    is the subject's ``shown`` as read again under a row lock. A contact person goes through
    ``caseflow.organisations.services.update_contact`` (its checks, its audit event, its
    primary flag unchanged); an application's contact data pass the public form's checks
    (name and email required, lengths, a mailable address). After: the columns changed;
    audit ``subject.rectified`` with the changed column names (no values); nothing recorded
    when nothing changed; flushed. Returns the changed column names. Raises
    ``SubjectNotPermitted``, ``StaleSubject`` or ``SubjectError`` (with ``field``), changing
    nothing.
    """
    require_admin(actor)
    _not_anonymised(subject)
    if isinstance(subject.record, ContactPerson):
        contact = subject.record
        try:
            changed = update_contact(
                session,
                contact,
                data=ContactData(
                    name=fields.name,
                    role=fields.role,
                    email=fields.email,
                    phone=fields.phone,
                    is_primary=contact.is_primary,
                ),
                actor=actor,
                now=now,
                expected_fingerprint=expected,
            )
        except OrganisationNotPermitted as error:
            raise SubjectNotPermitted(str(error)) from error
        except StaleForm as error:
            raise StaleSubject(str(error)) from error
        except OrganisationError as error:
            raise SubjectError(str(error), field=error.field) from error
    else:
        changed = _rectify_application(session, subject.record, fields, expected)
    if changed:
        record_request(
            session,
            subject,
            action="subject.rectified",
            actor=actor,
            now=now,
            changes={"fields": changed},
        )
    return changed


# --- restriction -----------------------------------------------------------------------------


def set_restriction(
    session: Session, subject: Subject, *, restricted: bool, actor: StaffMember, now: datetime
) -> bool:
    """Restrict the processing of ``subject``'s data (Art. 18 DSGVO), or lift the restriction.

    A restricted application gets no more mails (``caseflow.intake.services.mailing``; its
    status page keeps working); a restricted contact person is changed by admins only and is
    never made the primary contact. Before: ``actor`` is an admin; the subject is not
    anonymised. After: ``is_restricted`` set; audit ``subject.restricted`` or
    ``subject.restriction_lifted``; flushed. Returns False (and records nothing) when the
    subject already was in that state. Raises ``SubjectNotPermitted`` or ``SubjectError``.
    """
    require_admin(actor)
    session.refresh(subject.record, with_for_update=True)
    _not_anonymised(subject)
    if subject.record.is_restricted == restricted:
        return False
    subject.record.is_restricted = restricted
    session.flush()
    if restricted:
        record_request(session, subject, action="subject.restricted", actor=actor, now=now)
    else:
        record_request(session, subject, action="subject.restriction_lifted", actor=actor, now=now)
    return True


# --- erasure ---------------------------------------------------------------------------------


def erase(session: Session, subject: Subject, *, actor: StaffMember, now: datetime) -> bool:
    """Erase ``subject``'s personal data (Art. 17 DSGVO) by anonymising it in place; final.

    A contact person: ``anonymise_contact`` (name becomes the placeholder, role, email,
    phone and notes go; the row, its organisation and the primary flag stay). An
    application: the retention rule (``anonymise_application``: contact data, address, free
    texts, reviewers' comments and the status link go; reference, round, organisation,
    engagement, dates, status, scores stay; the IP addresses of the audit events about it
    are removed). Either way every mention of the person's full name, email or phone in the
    team's free texts about the organisation's engagements is replaced with the placeholder
    (``subject_mentions``). Before: ``actor`` is an admin. After: audit ``subject.erased``
    with the kind of record and which texts had mentions (table, id, column; no personal
    data); flushed. Returns False (and records nothing) when the
    subject already was anonymised. Raises ``SubjectNotPermitted``.
    """
    require_admin(actor)
    session.refresh(subject.record, with_for_update=True)
    if subject.is_anonymised:
        return False
    # Before the anonymisation: afterwards the name to look for is gone.
    mentions = replace_mentions(subject_mentions(session, subject))
    if isinstance(subject.record, ContactPerson):
        done = anonymise_contact(subject.record, now=now)
        session.flush()
    else:
        done = anonymise_application(session, subject.record, now=now)
    if not done:  # anonymised a moment ago by someone else (the retention sweep)
        return False
    changes: dict[str, Any] = {"kind": subject.kind.value}
    if mentions:
        changes["mentions"] = mentions
    record_request(session, subject, action="subject.erased", actor=actor, now=now, changes=changes)
    return True
