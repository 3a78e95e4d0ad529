"""The secret status link of an application.

The link's token is derived from the application's random salt and the ``SECRET_KEY``
(HMAC-SHA256); the database keeps the salt and the token's SHA-256 hash. So a copy of the
database alone opens no status page, while caseflow can put the same link into every email
it sends about the application. If the ``SECRET_KEY`` changes, the old links still open
(the hash is checked), and the next email carries a newly issued link.
"""

from __future__ import annotations

from caseflow.intake.models import Application
from caseflow.web.tokens import derive, derive_again, hash_token, is_well_formed, new_salt

__all__ = ["current_token", "hash_token", "is_well_formed", "issue_token"]

_PURPOSE = b"caseflow application status link\x00"


def issue_token(application: Application, secret: str) -> str:
    """Give ``application`` a new status link (a new salt and hash) and return its token.

    Any earlier link of the application stops working.
    """
    salt = new_salt()
    token = derive(_PURPOSE, salt, secret)
    application.status_token_salt = salt
    application.status_token_hash = hash_token(token)
    return token


def current_token(application: Application, secret: str) -> str | None:
    """The application's status token derived again, or None when it cannot be (no salt
    stored, or the ``SECRET_KEY`` has changed since the link was issued)."""
    return derive_again(
        _PURPOSE, application.status_token_salt, application.status_token_hash, secret
    )
