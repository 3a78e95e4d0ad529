"""One-time links to set a password (issue 7 point 1): "Passwort vergessen?", a reset an
admin sends, and the first password of a new account.

The link carries a random token; the database keeps only its SHA-256, so a copy of the
database opens no account. A token works once, for ``PASSWORD_RESET_HOURS`` (24 h), and only
the newest one of a person works. Using it sets the password under the policy of
``passwords.policy_problems`` and ends every sign-in session of that person.
"""

from __future__ import annotations

import enum
import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from caseflow.audit.services import Actor, record
from caseflow.mail import MailError, MailMessage, compose, safe_reason, send_mail
from caseflow.staff.models import PasswordResetToken, StaffMember
from caseflow.staff.passwords import hash_password, policy_problems
from caseflow.staff.sessions import PASSWORD, end_all_sessions
from caseflow.translating import gettext as _
from caseflow.web.urls import absolute_url

log = logging.getLogger(__name__)

# 32 random bytes: 43 URL-safe characters.
TOKEN_BYTES = 32
# Anything longer is no token of ours; it is not even hashed.
TOKEN_MAX_LENGTH = 100

# Mail subjects name no person (issue 7 point 7): a subject shows in every list and preview.
SUBJECT_RESET = "caseflow: Passwort zurücksetzen"
SUBJECT_WELCOME = "caseflow: Passwort festlegen"


class Purpose(enum.StrEnum):
    """Why a link is sent: a forgotten password, a reset by an admin, a new account."""

    FORGOTTEN = "forgotten"
    ADMIN = "admin"
    WELCOME = "welcome"


class TokenState(enum.StrEnum):
    VALID = "valid"
    UNKNOWN = "unknown"
    USED = "used"
    EXPIRED = "expired"


@dataclass(frozen=True)
class TokenCheck:
    state: TokenState
    token: PasswordResetToken | None = None

    @property
    def is_valid(self) -> bool:
        return self.state is TokenState.VALID


class ResetRefused(ValueError):
    """The new password was not set; the message is German and meant for the person."""


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(
    session: Session,
    member: StaffMember,
    *,
    actor: Actor | None,
    purpose: Purpose,
    now: datetime,
    hours: int,
) -> str:
    """Create a one-time link token for ``member`` and return it (only its hash is stored).

    Before: ``member`` has an email address and is active (``ValueError`` otherwise, a
    programming error: callers check it first). After: every older unused token of the
    person has expired, a new token valid for ``hours`` is stored, and the audit event
    ``staff.password_link_issued`` is recorded (``actor`` None: the person asked for it).
    Flushed, not committed.
    """
    if not member.email or not member.is_active:
        raise ValueError("a password link needs an active staff member with an email address")
    _expire_open_tokens(session, member.id, now=now)
    token = secrets.token_urlsafe(TOKEN_BYTES)
    session.add(
        PasswordResetToken(
            staff_member_id=member.id,
            token_hash=hash_token(token),
            created_at=now,
            expires_at=now + timedelta(hours=hours),
            created_by_id=actor.id if actor is not None else None,
        )
    )
    record(
        session,
        actor=actor,
        action="staff.password_link_issued",
        object_type="staff_member",
        object_id=member.id,
        changes={"purpose": purpose, "valid_hours": hours},
        at=now,
    )
    session.flush()
    return token


def expire_tokens(session: Session, staff_member_id: int, *, now: datetime) -> int:
    """Make every open link of one person stop working (deactivation); returns how many."""
    return _expire_open_tokens(session, staff_member_id, now=now)


def check_token(session: Session, token: str, *, now: datetime) -> TokenCheck:
    """What ``token`` is: valid (with its row), unknown, used or expired. A token of a
    person who can no longer receive one (deactivated, no email) counts as expired."""
    if not token or len(token) > TOKEN_MAX_LENGTH:
        return TokenCheck(TokenState.UNKNOWN)
    row = session.scalar(
        select(PasswordResetToken).where(PasswordResetToken.token_hash == hash_token(token))
    )
    if row is None:
        return TokenCheck(TokenState.UNKNOWN)
    if row.used_at is not None:
        return TokenCheck(TokenState.USED, row)
    member = row.staff_member
    if row.expires_at <= now or not member.is_active or not member.email:
        return TokenCheck(TokenState.EXPIRED, row)
    return TokenCheck(TokenState.VALID, row)


def valid_token(session: Session, token: str, *, now: datetime) -> PasswordResetToken | None:
    """The stored row of ``token`` while it works; None when unknown, used or expired."""
    checked = check_token(session, token, now=now)
    return checked.token if checked.is_valid else None


def consume_token(
    session: Session, token: str, password: str, *, min_length: int, now: datetime
) -> StaffMember:
    """Set a new password through the link ``token`` and return the person.

    Raises ``ResetRefused`` (nothing changed) when the token does not work (any more) or the
    password breaks the policy, listing every problem. After: the token is used (a
    conditional UPDATE, so of two parallel uses only one succeeds: the other waits for the
    first's row lock and then finds it used), the other open links of the person have
    expired, the password is set, every open sign-in session of the person has ended
    (reason ``password``), and the audit events ``staff.password_reset`` (the person as
    actor) is recorded. Flushed, not committed.
    """
    checked = check_token(session, token, now=now)
    if not checked.is_valid or checked.token is None:
        raise ResetRefused(refusal_message(checked.state))
    row = checked.token
    member = row.staff_member
    problems = policy_problems(password, min_length=min_length, email=member.email)
    if problems:
        raise ResetRefused(" ".join(problems))
    claimed = session.execute(
        update(PasswordResetToken)
        .where(
            PasswordResetToken.id == row.id,
            PasswordResetToken.used_at.is_(None),
            PasswordResetToken.expires_at > now,
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        raise ResetRefused(refusal_message(TokenState.USED))
    session.expire(row)
    _expire_open_tokens(session, member.id, now=now)
    member.password_hash = hash_password(password)
    ended = end_all_sessions(session, member.id, reason=PASSWORD, now=now)
    record(
        session,
        actor=member,
        action="staff.password_reset",
        object_type="staff_member",
        object_id=member.id,
        changes={"sessions_ended": ended},
        at=now,
    )
    session.flush()
    return member


def refusal_message(state: TokenState) -> str:
    """Why a link does not work, in German."""
    if state is TokenState.UNKNOWN:
        return _(
            "Dieser Link ist ungültig. Bitte prüfen Sie, ob Sie ihn vollständig aus der "
            "E-Mail übernommen haben, oder fordern Sie einen neuen Link an."
        )
    if state is TokenState.USED:
        return _(
            "Dieser Link wurde schon benutzt. Jeder Link funktioniert nur einmal. Fordern Sie "
            "bei Bedarf einen neuen Link an."
        )
    return _(
        "Dieser Link ist abgelaufen oder wurde durch einen neueren Link ersetzt. Bitte "
        "fordern Sie einen neuen Link an."
    )


def reset_url(token: str) -> str:
    """The absolute link of ``token`` (on ``BASE_URL`` when set). Needs an app context."""
    return absolute_url("staff.password_reset", token=token)


def reset_mail(member: StaffMember, token: str, *, purpose: Purpose, hours: int) -> MailMessage:
    """The German plain-text mail with the link; its subject names no person."""
    if member.email is None:
        raise ValueError("a password link needs an email address")
    subject = SUBJECT_WELCOME if purpose is Purpose.WELCOME else SUBJECT_RESET
    return compose(
        member.email,
        subject,
        "password_link",
        member=member,
        url=reset_url(token),
        hours=hours,
        purpose=purpose.value,
    )


def send_link_mail(
    session: Session,
    member: StaffMember,
    token: str,
    *,
    purpose: Purpose,
    hours: int,
    actor: Actor | None,
) -> bool:
    """Send ``member`` the mail with the link of ``token`` and record the outcome.

    Before: the token is committed (the link must work when the mail arrives). After: one
    audit event, ``staff.password_link_mailed`` or ``staff.password_link_mail_failed`` (the
    error is logged without the address); flushed. Returns whether the mail went out; never
    raises for a mail failure.
    """
    changes = {"purpose": purpose}
    try:
        send_mail(reset_mail(member, token, purpose=purpose, hours=hours))
    except MailError as error:
        reason = safe_reason(error, member.email or "")
        log.warning("password link mail for staff member %s failed: %s", member.id, reason)
        record(
            session,
            actor=actor,
            action="staff.password_link_mail_failed",
            object_type="staff_member",
            object_id=member.id,
            changes=changes,
        )
        session.flush()
        return False
    record(
        session,
        actor=actor,
        action="staff.password_link_mailed",
        object_type="staff_member",
        object_id=member.id,
        changes=changes,
    )
    session.flush()
    return True


def _expire_open_tokens(session: Session, staff_member_id: int, *, now: datetime) -> int:
    result = session.execute(
        update(PasswordResetToken)
        .where(
            PasswordResetToken.staff_member_id == staff_member_id,
            PasswordResetToken.used_at.is_(None),
            PasswordResetToken.expires_at > now,
        )
        .values(expires_at=now)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0
