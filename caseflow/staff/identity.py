"""How caseflow tells people apart: normalised email addresses and name keys.

One rule for the contact-list import, logins and the demo, so that "Selen Ericok" and
"Selen Eriçok" (both spellings stand on the DiFair page) are one person everywhere.
"""

from __future__ import annotations

import unicodedata

from email_validator import EmailNotValidError, validate_email


def normalise_email(email: str | None) -> str | None:
    """Trimmed and lower-cased, or None when empty."""
    if email is None:
        return None
    email = email.strip().lower()
    return email or None


def is_valid_email(address: str) -> bool:
    """True when ``address`` is a syntactically valid email address (no DNS lookup)."""
    try:
        validate_email(address, check_deliverability=False)
    except EmailNotValidError:
        return False
    return True


def name_key(name: str) -> str:
    """The form in which names are compared: case, spacing and accents ignored."""
    decomposed = unicodedata.normalize("NFKD", " ".join(name.split()).casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))
