"""Password hashing (argon2id) and the password policy."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from caseflow.translating import gettext as _

# argon2-cffi's defaults follow RFC 9106's second recommended option (argon2id, 64 MiB, t=3).
_hasher = PasswordHasher()
# Verified when the account is unknown, so the answer takes as long either way.
_DUMMY_HASH = _hasher.hash("caseflow-timing-equaliser")

MAX_LENGTH = 256
# A short list of the passwords people pick first; the length rule catches most others.
_COMMON = frozenset(
    {
        "passwort1234",
        "password1234",
        "123456789012",
        "qwertzuiop12",
        "qwertyuiop12",
        "hallo1234567",
        "sommer2025!!",
        "difair-berlin",
        "caseflow1234",
    }
)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when ``password`` matches; spends the same time when there is no hash."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and bool(password_hash)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


def policy_problems(password: str, *, min_length: int, email: str | None = None) -> list[str]:
    """What is wrong with ``password`` as German sentences (empty when it is acceptable).

    The policy follows NIST SP 800-63B: a minimum length, no composition rules, no
    well-known or personal passwords.
    """
    problems = []
    if len(password) < min_length:
        problems.append(
            _("Das Passwort muss mindestens %(count)d Zeichen lang sein.", count=min_length)
        )
    if len(password) > MAX_LENGTH:
        problems.append(
            _("Das Passwort darf höchstens %(count)d Zeichen lang sein.", count=MAX_LENGTH)
        )
    lowered = password.lower()
    if lowered in _COMMON or len(set(password)) < 4:
        problems.append(_("Dieses Passwort ist zu leicht zu erraten."))
    if email and lowered == email.lower():
        problems.append(_("Das Passwort darf nicht Ihre E-Mail-Adresse sein."))
    return problems
