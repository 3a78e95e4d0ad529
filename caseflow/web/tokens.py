"""Secret links that caseflow can show again: the token is derived from a random salt and
the ``SECRET_KEY`` (HMAC-SHA256, one purpose string per kind of link); the database keeps the
salt and the token's SHA-256 hash and looks a token up by its hash. So a copy of the database
alone opens nothing, while staff can see and send the same link again. If the ``SECRET_KEY``
changes, old links still open (the hash is checked) but can no longer be shown.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets

from flask import current_app

# 32 bytes of HMAC output (or of randomness) in URL-safe base64 without padding.
TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{43}")


def hash_token(token: str) -> str:
    """The stored form of a token."""
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def is_well_formed(token: str) -> bool:
    """Whether ``token`` could be a token at all (checked before any lookup)."""
    return TOKEN_PATTERN.fullmatch(token) is not None


def secret_key() -> str:
    """The app's ``SECRET_KEY``, which the links are derived with."""
    return current_app.config["SECRET_KEY"]


def new_salt() -> str:
    return secrets.token_hex(16)


def random_token() -> str:
    """A token that is never shown again (only its hash is kept)."""
    return secrets.token_urlsafe(32)


def derive(purpose: bytes, salt: str, secret: str) -> str:
    digest = hmac.new(secret.encode("utf-8"), purpose + salt.encode("ascii"), "sha256")
    return base64.urlsafe_b64encode(digest.digest()).rstrip(b"=").decode("ascii")


def derive_again(
    purpose: bytes, salt: str | None, stored_hash: str | None, secret: str
) -> str | None:
    """The token derived from ``salt`` again, or None when it cannot be (no salt, no hash,
    or the ``SECRET_KEY`` has changed since it was issued)."""
    if not salt or not stored_hash:
        return None
    token = derive(purpose, salt, secret)
    if not hmac.compare_digest(hash_token(token), stored_hash):
        return None
    return token
