"""Sign-in sessions kept in the database, so that caseflow can end them (issue 7 point 8).

The session cookie holds a random token as Flask-Login's user id (``StaffMember.get_id``
is not used); the database keeps only its SHA-256 in ``LoginSession``. A request is signed
in only while that row is open: logout ends it, a password change or a deactivation ends
every row of the person, and a row that has seen no request for ``idle`` or is older than
``absolute`` ends at the next request. A stolen or replayed cookie is worth nothing once its
row is ended, whatever the browser still holds.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import flash, request
from flask import session as cookie
from flask_login import current_user
from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from caseflow import clock
from caseflow.extensions import db
from caseflow.settings.services import values
from caseflow.staff.models import LoginSession, StaffMember
from caseflow.translating import lazy_gettext as _l

# Why a session ended (LoginSession.end_reason).
LOGOUT = "logout"
PASSWORD = "password"  # noqa: S105  (a reason, not a secret)
DEACTIVATED = "deactivated"
IDLE = "idle"
ABSOLUTE = "absolute"
REVOKED = "revoked"

# last_seen_at is written at most this often: a page with many requests writes once.
TOUCH_INTERVAL = timedelta(minutes=1)
# The prefix of the user id Flask-Login keeps in the cookie, so an id from before server-side
# sessions (a plain number) is never mistaken for a token.
TOKEN_PREFIX = "s."  # noqa: S105  (a prefix, not a secret)


@dataclass(frozen=True)
class Timeouts:
    idle: timedelta
    absolute: timedelta

    @classmethod
    def in_effect(cls, session: Session | None = None) -> Timeouts:
        """The timeouts the settings give (caseflow.settings)."""
        idle, hours = values("SESSION_IDLE_MINUTES", "SESSION_ABSOLUTE_HOURS", session=session)
        return cls(idle=timedelta(minutes=idle), absolute=timedelta(hours=hours))


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(session: Session, member: StaffMember, *, now: datetime) -> str:
    """Open a session for ``member`` and return the token for the cookie (flushed)."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.add(
        LoginSession(
            staff_member_id=member.id,
            token_hash=hash_token(token),
            created_at=now,
            last_seen_at=now,
        )
    )
    session.flush()
    return token


# The session row and its staff member in one statement, built once: it runs before every
# staff page.
_SESSION_AND_MEMBER = (
    select(LoginSession, StaffMember)
    .join(StaffMember, StaffMember.id == LoginSession.staff_member_id)
    .where(LoginSession.token_hash == bindparam("token_hash"))
)


@dataclass(frozen=True)
class Resumed:
    """The outcome of a request's session token: the member, or why there is none
    (``timed_out`` is True when the session ended just now for idleness or age)."""

    member: StaffMember | None
    timed_out: bool = False
    wrote: bool = False


def resume_session(session: Session, token: str, *, now: datetime, timeouts: Timeouts) -> Resumed:
    """The staff member signed in by ``token``, or none when the token is unknown, its
    session has ended, has timed out (ended now, with the reason) or its account can no
    longer log in. Touches ``last_seen_at`` at most once a minute. Writes are flushed, not
    committed (``wrote`` says whether there was one)."""
    if not token.startswith(TOKEN_PREFIX):
        return Resumed(None)
    found = session.execute(_SESSION_AND_MEMBER, {"token_hash": hash_token(token)}).one_or_none()
    if found is None:
        return Resumed(None)
    row, member = found
    if row.ended_at is not None:
        return Resumed(None)
    reason = None
    if now - row.created_at >= timeouts.absolute:
        reason = ABSOLUTE
    elif now - row.last_seen_at >= timeouts.idle:
        reason = IDLE
    if reason is not None:
        _end(session, LoginSession.id == row.id, reason=reason, now=now)
        return Resumed(None, timed_out=True, wrote=True)
    if not member.can_log_in:
        return Resumed(None)
    member.session_token = token
    if now - row.last_seen_at < TOUCH_INTERVAL:
        return Resumed(member)
    # Conditional, so two parallel requests do not fight over the row.
    session.execute(
        update(LoginSession)
        .where(LoginSession.id == row.id, LoginSession.last_seen_at < now)
        .values(last_seen_at=now)
        .execution_options(synchronize_session=False)
    )
    return Resumed(member, wrote=True)


def end_session(session: Session, token: str, *, reason: str = LOGOUT, now: datetime) -> bool:
    """End the session of ``token``; False when there was no open one."""
    return (
        _end(
            session,
            LoginSession.token_hash == hash_token(token),
            reason=reason,
            now=now,
        )
        > 0
    )


def end_all_sessions(
    session: Session, staff_member_id: int, *, reason: str, now: datetime, keep: str | None = None
) -> int:
    """End every open session of one person (except the one of ``keep``, a token: the
    browser that just changed its own password stays signed in); returns how many."""
    condition = LoginSession.staff_member_id == staff_member_id
    if keep is not None:
        condition = condition & (LoginSession.token_hash != hash_token(keep))
    return _end(session, condition, reason=reason, now=now)


def open_sessions(session: Session, staff_member_id: int) -> list[LoginSession]:
    """The open sessions of one person, newest first (timed-out ones may still be among
    them until their next request ends them)."""
    return list(
        session.query(LoginSession)
        .filter_by(staff_member_id=staff_member_id, ended_at=None)
        .order_by(LoginSession.created_at.desc(), LoginSession.id.desc())
    )


def _end(session: Session, condition, *, reason: str, now: datetime) -> int:  # noqa: ANN001
    result = session.execute(
        update(LoginSession)
        .where(condition, LoginSession.ended_at.is_(None))
        .values(ended_at=now, end_reason=reason)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


# --- Flask-Login glue ----------------------------------------------------------------------

SESSION_ENDED_MESSAGE = _l("Ihre Sitzung ist abgelaufen. Bitte melden Sie sich erneut an.")


def load_user(user_id: str) -> StaffMember | None:
    """Flask-Login's user loader: ``user_id`` is the token of a sign-in session. Ended,
    timed-out and deactivated sessions sign nobody in; the cookie then forgets the token.
    The session's small writes (last seen, timed out) are committed at once: the loader runs
    before the view (``load_signed_in_user``), so nothing else is pending."""
    resumed = resume_session(
        db.session,
        user_id,
        now=clock.now(),
        timeouts=Timeouts.in_effect(),
    )
    if resumed.wrote and not (db.session.new or db.session.dirty or db.session.deleted):
        db.session.commit()
    if resumed.member is None:
        cookie.pop("_user_id", None)
        if resumed.timed_out:
            flash(str(SESSION_ENDED_MESSAGE), "info")
    return resumed.member


def load_signed_in_user() -> None:
    """Before every request with a sign-in cookie: load the staff member first, so that
    the session's bookkeeping is written before the view changes anything."""
    if cookie.get("_user_id") is not None and request.endpoint != "static":
        current_user._get_current_object()  # type: ignore[attr-defined]
