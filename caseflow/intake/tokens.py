"""The secret status link of an application.

The link's token is derived from the application's random salt and the ``SECRET_KEY``
(HMAC-SHA256); the database keeps the salt and the token's SHA-256 hash. So a copy of the
database alone opens no status page, while caseflow can put the same link into every email
it sends about the application. If the ``SECRET_KEY`` changes, the old links still open
(the hash is checked), and the next email carries a newly issued link.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets

from caseflow.intake.models import Application

_PURPOSE = b"caseflow application status link\x00"
# 32 bytes of HMAC output in URL-safe base64 without padding.
TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{43}")


def hash_token(token: str) -> str:
    """The stored form of a token."""
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def is_well_formed(token: str) -> bool:
    """Whether ``token`` could be a status token at all (checked before any lookup)."""
    return TOKEN_PATTERN.fullmatch(token) is not None


def _derive(salt: str, secret: str) -> str:
    digest = hmac.new(secret.encode("utf-8"), _PURPOSE + salt.encode("ascii"), "sha256")
    return base64.urlsafe_b64encode(digest.digest()).rstrip(b"=").decode("ascii")


def issue_token(application: Application, secret: str) -> str:
    """Give ``application`` a new status link (a new salt and hash) and return its token.

    Any earlier link of the application stops working.
    """
    salt = secrets.token_hex(16)
    token = _derive(salt, secret)
    application.status_token_salt = salt
    application.status_token_hash = hash_token(token)
    return token


def current_token(application: Application, secret: str) -> str | None:
    """The application's status token derived again, or None when it cannot be (no salt
    stored, or the ``SECRET_KEY`` has changed since the link was issued)."""
    if not application.status_token_salt:
        return None
    token = _derive(application.status_token_salt, secret)
    if not hmac.compare_digest(hash_token(token), application.status_token_hash):
        return None
    return token
