"""Changing the organisation register: an organisation's facts and its contact persons.

Leads and admins change organisations and contacts; consultants read. (Organisations cannot
ask who works on an organisation's engagements: engagements sit above this feature.) A contact
person whose processing is restricted (Art. 18 DSGVO) is changed by admins only; an anonymised
one by nobody. Services check every rule, change rows, write the audit trail and flush; the
caller commits. Names and addresses of contact persons are personal data: their audit rows
name the fields that changed, never the values.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from caseflow.audit.services import changes_of, record
from caseflow.organisations.choices import District, Sector
from caseflow.organisations.models import ContactPerson, Organisation
from caseflow.organisations.rules import (
    email_problem,
    mailable_email,
    normalise_website,
    subtype_problem,
    website_problem,
)
from caseflow.staff.models import Role, StaffMember
from caseflow.translating import gettext as _

NAME_MAX_LENGTH = 200
ADDRESS_MAX_LENGTH = 300
WEBSITE_MAX_LENGTH = 300
ROLE_MAX_LENGTH = 200
EMAIL_MAX_LENGTH = 254
PHONE_MAX_LENGTH = 50
MAX_STAFF_SIZE = 1_000_000
_CONTACT_FIELDS = ("name", "role", "email", "phone", "is_primary")
_ORGANISATION_FIELDS = (
    "name",
    "sector",
    "subtype",
    "district",
    "address",
    "website",
    "staff_size",
)


class OrganisationError(ValueError):
    """A change was refused; the message is German and meant for the user. ``field`` names
    the offending input of the form (``name``, ``subtype``, …) when there is one."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class OrganisationNotPermitted(OrganisationError):
    """The acting person may not make this change (a 403 in a view)."""


class StaleForm(OrganisationError):
    """The organisation or contact changed after the form was shown: nothing is changed."""


def fingerprint(item: Organisation | ContactPerson) -> str:
    """A short digest of what the edit form of ``item`` shows. Organisations and contacts
    have no version column; the form carries this digest instead, so that a change made on
    an older state is refused rather than silently overwriting someone else's."""
    fields = _ORGANISATION_FIELDS if isinstance(item, Organisation) else _CONTACT_FIELDS
    shown = repr([getattr(item, name) for name in fields])
    return hashlib.sha256(shown.encode()).hexdigest()[:32]


def _lock_organisation(session: Session, organisation: Organisation) -> None:
    """Lock ``organisation``'s row until the transaction ends (PostgreSQL; SQLite writes one
    at a time anyway), so that changes to its contacts (who is primary, which emails are
    taken) are checked and made one after the other, never interleaved."""
    session.execute(
        select(Organisation.id).where(Organisation.id == organisation.id).with_for_update()
    )


def _check_fingerprint(item: Organisation | ContactPerson, expected: str | None) -> None:
    """Raise ``StaleForm`` unless ``expected`` (None: nothing to compare) is ``item``'s."""
    if expected is not None and expected != fingerprint(item):
        raise StaleForm(
            _(
                "Jemand anderes hat diese Angaben gerade geändert. Ihre Änderung wurde nicht "
                "gespeichert; bitte prüfen Sie den aktuellen Stand und versuchen Sie es noch "
                "einmal."
            )
        )


@dataclass(frozen=True)
class OrganisationData:
    """An organisation's facts as a form hands them over."""

    name: str
    sector: Sector
    subtype: str
    district: District
    address: str | None = None
    website: str | None = None
    staff_size: int | None = None


@dataclass(frozen=True)
class ContactData:
    """A contact person as a form hands it over."""

    name: str
    role: str | None = None
    email: str | None = None
    phone: str | None = None
    is_primary: bool = False


# --- who may do what -----------------------------------------------------------------------


def may_edit_organisation(member: StaffMember) -> bool:
    """Leads and admins change organisations and add contact persons; consultants read."""
    return member.has_role(Role.LEAD)


def may_edit_contact(contact: ContactPerson, member: StaffMember) -> bool:
    """Whether ``member`` may change ``contact``: leads and admins, but a restricted contact
    (Art. 18 DSGVO) only admins, and an anonymised one nobody."""
    if contact.anonymised_at is not None:
        return False
    if contact.is_restricted:
        return member.has_role(Role.ADMIN)
    return may_edit_organisation(member)


# --- organisations -------------------------------------------------------------------------


def _text(value: str | None, *, field: str, limit: int, keep_lines: bool = False) -> str | None:
    """``value`` trimmed (inner whitespace collapsed unless ``keep_lines``), None when empty;
    ``OrganisationError`` for ``field`` when longer than ``limit``."""
    if keep_lines:
        cleaned = (value or "").replace("\r\n", "\n").strip()
    else:
        cleaned = " ".join((value or "").split())
    if len(cleaned) > limit:
        raise OrganisationError(
            _("Bitte höchstens %(max)d Zeichen eingeben.", max=limit), field=field
        )
    return cleaned or None


def _required_text(value: str | None, *, field: str, limit: int, message: str) -> str:
    cleaned = _text(value, field=field, limit=limit)
    if cleaned is None:
        raise OrganisationError(message, field=field)
    return cleaned


def _check_unique_name(session: Session, organisation: Organisation, name: str) -> None:
    wanted = name.casefold()
    # Compared in Python: SQLite's lower() knows no umlauts ("ÄMTER" vs "Ämter").
    for other_name in session.scalars(
        select(Organisation.name).where(Organisation.id != organisation.id)
    ):
        if other_name.casefold() == wanted:
            raise OrganisationError(
                _(
                    "Eine Organisation mit dem Namen „%(name)s“ gibt es schon. Bitte wählen "
                    "Sie einen eindeutigen Namen, zum Beispiel mit dem Bezirk oder Standort.",
                    name=other_name,
                ),
                field="name",
            )


def update_organisation(
    session: Session,
    organisation: Organisation,
    *,
    data: OrganisationData,
    actor: StaffMember,
    now: datetime,
    expected_fingerprint: str | None = None,
) -> dict[str, list[object]]:
    """Change ``organisation``'s facts to ``data``.

    Before: ``actor`` is a lead or admin; the name is not blank, at most 200 characters and,
    when it changes, no other organisation's name (case ignored); the sub-type belongs to
    the sector; the address at most 300 characters; the website (if any) an http(s) address
    (a bare host name gets ``https://``); the staff size (if any) between 1 and 1,000,000;
    ``expected_fingerprint`` (when given) is the organisation's ``fingerprint`` as read
    again under a row lock (held until the caller's transaction ends). After: the columns
    changed; audit ``organisation.updated`` with the changed values (organisation facts, no
    personal data); nothing recorded when nothing changed; flushed.
    Returns the changes ``{field: [old, new]}``. Raises ``OrganisationNotPermitted``,
    ``StaleForm`` or ``OrganisationError`` (with ``field``), changing nothing.
    """
    if not may_edit_organisation(actor):
        raise OrganisationNotPermitted(
            _("Nur die Projektleitung und Admins dürfen Organisationen ändern.")
        )
    # Read the row again under a lock: a change committed since the form was shown is seen
    # (and refused), and none can slip in between this check and the flush.
    session.refresh(organisation, with_for_update=True)
    _check_fingerprint(organisation, expected_fingerprint)
    name = _required_text(
        data.name,
        field="name",
        limit=NAME_MAX_LENGTH,
        message=_("Bitte geben Sie den Namen der Organisation an."),
    )
    problem = subtype_problem(data.sector, data.subtype)
    if problem is not None:
        raise OrganisationError(problem, field="subtype")
    address = _text(data.address, field="address", limit=ADDRESS_MAX_LENGTH, keep_lines=True)
    website = _text(data.website, field="website", limit=WEBSITE_MAX_LENGTH)
    if website is not None:
        problem = website_problem(website)
        if problem is not None:
            raise OrganisationError(problem, field="website")
        website = normalise_website(website)
        if len(website or "") > WEBSITE_MAX_LENGTH:
            raise OrganisationError(
                _("Bitte höchstens %(max)d Zeichen eingeben.", max=WEBSITE_MAX_LENGTH),
                field="website",
            )
    if data.staff_size is not None and not 1 <= data.staff_size <= MAX_STAFF_SIZE:
        raise OrganisationError(
            _("Bitte geben Sie eine Zahl zwischen 1 und 1.000.000 an."), field="staff_size"
        )
    if name.casefold() != organisation.name.casefold():
        # Only a new name is checked: organisations that already share a name (accepting
        # applications can create such) stay editable.
        _check_unique_name(session, organisation, name)

    values = {
        "name": name,
        "sector": data.sector,
        "subtype": data.subtype,
        "district": data.district,
        "address": address,
        "website": website,
        "staff_size": data.staff_size,
    }
    for key, value in values.items():
        if getattr(organisation, key) != value:
            setattr(organisation, key, value)
    changes = changes_of(organisation, exclude=frozenset({"id", "created_at"}))
    if not changes:
        return {}
    record(
        session,
        actor=actor,
        action="organisation.updated",
        object_type="organisation",
        object_id=organisation.id,
        changes=changes,
        at=now,
    )
    session.flush()
    return changes


# --- contact persons -----------------------------------------------------------------------


def _clean_contact(
    session: Session, organisation: Organisation, contact: ContactPerson | None, data: ContactData
) -> dict[str, object]:
    name = _required_text(
        data.name,
        field="name",
        limit=NAME_MAX_LENGTH,
        message=_("Bitte geben Sie den Namen der Ansprechperson an."),
    )
    role = _text(data.role, field="role", limit=ROLE_MAX_LENGTH)
    phone = _text(data.phone, field="phone", limit=PHONE_MAX_LENGTH)
    email = _text(data.email, field="email", limit=EMAIL_MAX_LENGTH)
    if email is not None:
        problem = email_problem(email)
        if problem is not None:
            raise OrganisationError(problem, field="email")
        email = mailable_email(email)
        statement = select(ContactPerson.id).where(
            ContactPerson.organisation_id == organisation.id, ContactPerson.email == email
        )
        if contact is not None:
            statement = statement.where(ContactPerson.id != contact.id)
        if session.scalar(statement.limit(1)) is not None:
            raise OrganisationError(
                _(
                    "Bei dieser Organisation gibt es schon eine Ansprechperson mit dieser "
                    "E-Mail-Adresse."
                ),
                field="email",
            )
    return {"name": name, "role": role, "email": email, "phone": phone}


def _make_sole_primary(
    session: Session, organisation: Organisation, contact: ContactPerson
) -> list[int]:
    """Unset the primary flag of every other contact of ``organisation``; their ids. The
    caller holds the organisation's lock (``_lock_organisation``), taken before it checked
    who is primary, so that two contacts never both end up primary."""
    others = session.scalars(
        select(ContactPerson).where(
            ContactPerson.organisation_id == organisation.id,
            ContactPerson.is_primary.is_(True),
            ContactPerson.id != contact.id,
        )
    ).all()
    for other in others:
        other.is_primary = False
    return sorted(other.id for other in others)


def _has_primary(session: Session, organisation: Organisation) -> bool:
    return (
        session.scalar(
            select(ContactPerson.id)
            .where(
                ContactPerson.organisation_id == organisation.id,
                ContactPerson.is_primary.is_(True),
            )
            .limit(1)
        )
        is not None
    )


def create_contact(
    session: Session,
    organisation: Organisation,
    *,
    data: ContactData,
    actor: StaffMember,
    now: datetime,
) -> ContactPerson:
    """Add a contact person to ``organisation``.

    Before: ``actor`` is a lead or admin; the name is not blank; name and role at most 200,
    email 254, phone 50 characters; the email (if any) valid and no other contact's of this
    organisation (stored lower-cased, a non-ASCII domain in its ASCII form); no characters
    before the @ that need SMTPUTF8. The organisation's row is locked first (until the
    caller's transaction ends). After: the contact exists; it is the primary contact
    when ``data.is_primary`` or when the organisation has no primary contact yet (then every
    other contact loses the flag: exactly one primary); audit ``organisation.contact_created``
    with the contact's id and the names of the fields filled in (no values: personal data);
    flushed. Returns the contact. Raises ``OrganisationNotPermitted`` or
    ``OrganisationError`` (with ``field``), changing nothing.
    """
    if not may_edit_organisation(actor):
        raise OrganisationNotPermitted(
            _("Nur die Projektleitung und Admins dürfen Ansprechpersonen anlegen.")
        )
    _lock_organisation(session, organisation)
    values = _clean_contact(session, organisation, None, data)
    is_primary = data.is_primary or not _has_primary(session, organisation)
    contact = ContactPerson(organisation=organisation, created_at=now, is_primary=is_primary)
    for key, value in values.items():
        setattr(contact, key, value)
    session.add(contact)
    session.flush()
    unset = _make_sole_primary(session, organisation, contact) if is_primary else []
    changes: dict[str, object] = {
        "contact": contact.id,
        "fields": [key for key in _CONTACT_FIELDS if getattr(contact, key)],
    }
    if unset:
        changes["primary_unset"] = unset
    record(
        session,
        actor=actor,
        action="organisation.contact_created",
        object_type="organisation",
        object_id=organisation.id,
        changes=changes,
        at=now,
    )
    session.flush()
    return contact


def update_contact(
    session: Session,
    contact: ContactPerson,
    *,
    data: ContactData,
    actor: StaffMember,
    now: datetime,
    expected_fingerprint: str | None = None,
) -> list[str]:
    """Change ``contact`` to ``data``.

    Before: ``actor`` may edit the contact (``may_edit_contact``: leads and admins; restricted
    contacts admins only; anonymised ones nobody); the values pass the checks of
    ``create_contact``; the primary contact stays primary until another one is made primary
    (an organisation keeps exactly one); a restricted contact is not made primary (no more
    mails to them); ``expected_fingerprint`` (when given) is the contact's ``fingerprint``
    as read again after locking the organisation's row and then the contact's (held until
    the caller's transaction ends). After: the columns changed; when made primary, every
    other contact of the organisation loses the flag; audit ``organisation.contact_updated``
    with the contact's id and the names of the changed fields (no values: personal data);
    nothing recorded when nothing changed; flushed. Returns the changed field names. Raises
    ``OrganisationNotPermitted``, ``StaleForm`` or ``OrganisationError`` (with ``field``),
    changing nothing.
    """
    organisation = contact.organisation
    # The organisation first, then the contact (create_contact takes the same lock): changes
    # to an organisation's contacts (who is primary, which emails are taken) are checked and
    # made one after the other. The contact is read again under its lock, so a change
    # committed since the form was shown (or a restriction) is seen, and none can slip in
    # between the checks and the flush.
    _lock_organisation(session, organisation)
    session.refresh(contact, with_for_update=True)
    if not may_edit_contact(contact, actor):
        if contact.anonymised_at is not None:
            raise OrganisationNotPermitted(
                _("Diese Ansprechperson wurde anonymisiert und kann nicht geändert werden.")
            )
        if contact.is_restricted:
            raise OrganisationNotPermitted(
                _(
                    "Die Verarbeitung der Daten dieser Person ist eingeschränkt; nur Admins "
                    "dürfen sie ändern."
                )
            )
        raise OrganisationNotPermitted(
            _("Nur die Projektleitung und Admins dürfen Ansprechpersonen ändern.")
        )
    _check_fingerprint(contact, expected_fingerprint)
    values = _clean_contact(session, organisation, contact, data)
    if contact.is_primary and not data.is_primary:
        raise OrganisationError(
            _(
                "Jede Organisation hat genau eine Hauptansprechperson. Um das zu ändern, "
                "machen Sie bitte eine andere Person zur Hauptansprechperson."
            ),
            field="is_primary",
        )
    if data.is_primary and not contact.is_primary and contact.is_restricted:
        raise OrganisationError(
            _(
                "Die Verarbeitung der Daten dieser Person ist eingeschränkt; sie kann nicht "
                "Hauptansprechperson werden."
            ),
            field="is_primary",
        )
    values["is_primary"] = data.is_primary
    for key, value in values.items():
        if getattr(contact, key) != value:
            setattr(contact, key, value)
    changed = sorted(changes_of(contact, exclude=frozenset({"id", "created_at"})))
    if not changed:
        return []
    unset = _make_sole_primary(session, organisation, contact) if contact.is_primary else []
    changes: dict[str, object] = {"contact": contact.id, "fields": changed}
    if unset:
        changes["primary_unset"] = unset
    record(
        session,
        actor=actor,
        action="organisation.contact_updated",
        object_type="organisation",
        object_id=organisation.id,
        changes=changes,
        at=now,
    )
    session.flush()
    return changed
