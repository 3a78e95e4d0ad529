"""Anonymising contact persons: one rule for erasure on request (Art. 17 DSGVO, the admin's
data-protection pages) and for the retention of closed engagements' contacts.

An anonymised contact keeps its row, its organisation and whether it was the primary
contact (the funder's reports count contacts per organisation, not people); its name
becomes ``PLACEHOLDER`` and everything else that could identify the person goes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from caseflow.organisations.models import ContactPerson

PLACEHOLDER = "[anonymisiert]"

# The values an anonymised contact person holds, column by column.
ANONYMISED_CONTACT: dict[str, Any] = {
    "name": PLACEHOLDER,
    "role": None,
    "email": None,
    "phone": None,
    "notes": None,
}


def anonymise_contact(contact: ContactPerson, *, now: datetime) -> bool:
    """Anonymise ``contact`` in place (not flushed); False when it already was."""
    if contact.anonymised_at is not None:
        return False
    for column, value in ANONYMISED_CONTACT.items():
        setattr(contact, column, value)
    contact.anonymised_at = now
    return True


def anonymise_contacts(
    session: Session, *, where: ColumnElement[bool], now: datetime
) -> list[tuple[int, int]]:
    """Anonymise, in one conditional UPDATE, every contact person matching ``where`` that is
    not anonymised yet, with the same values as ``anonymise_contact``.

    ``where`` is a condition on ``ContactPerson`` (the caller's rule, e.g. which
    organisations are due). Returns ``(contact id, organisation id)`` of the contacts this
    call anonymised, in id order; a contact anonymised already (by an erasure, an earlier
    run, or a run in parallel: the second waits for the first's row locks, then finds
    ``anonymised_at`` set) is not returned and keeps its first ``anonymised_at``. Contacts
    of this session's identity map are expired (they would show the old values). Only
    flushes.
    """
    session.flush()
    rows = session.execute(
        update(ContactPerson)
        .where(ContactPerson.anonymised_at.is_(None), where)
        .values(**ANONYMISED_CONTACT, anonymised_at=now)
        .returning(ContactPerson.id, ContactPerson.organisation_id)
        .execution_options(synchronize_session=False)
    ).all()
    done = sorted((contact_id, organisation_id) for contact_id, organisation_id in rows)
    if done:
        ids = {contact_id for contact_id, _organisation_id in done}
        for loaded in list(session.identity_map.values()):
            if isinstance(loaded, ContactPerson) and loaded.id in ids:
                session.expire(loaded)
    return done
