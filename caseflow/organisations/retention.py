"""Anonymising contact persons: one rule for erasure on request (Art. 17 DSGVO, the admin's
data-protection pages) and for the retention of closed engagements' contacts.

An anonymised contact keeps its row, its organisation and whether it was the primary
contact (the funder's reports count contacts per organisation, not people); its name
becomes ``PLACEHOLDER`` and everything else that could identify the person goes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

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
