"""Staff accounts (issue 7 point 1): create one for a person of the staff directory, change
the role, deactivate and reactivate, send a link to set a new password.

A new account gets no password chosen by an admin: it gets an unknown random one and the
person a one-time link (``caseflow.staff.resets``) to choose their own. At least one active
admin always remains: an admin can neither demote nor deactivate themselves, and the check
for "another active admin remains" locks the admins' rows, so that two admins removing each
other at the same moment cannot both succeed.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from caseflow.audit.services import record
from caseflow.followups.models import CalendarToken
from caseflow.staff import resets, two_factor
from caseflow.staff.identity import is_valid_email, normalise_email
from caseflow.staff.models import LoginSession, Role, StaffMember
from caseflow.staff.passwords import hash_password
from caseflow.staff.sessions import DEACTIVATED, REVOKED, Timeouts, end_all_sessions
from caseflow.translating import gettext as _

NAME_MAX_LENGTH = 200
EMAIL_MAX_LENGTH = 254


class AccountError(ValueError):
    """An account change was refused; the message is German and meant for the admin."""


@dataclass(frozen=True)
class AccountRow:
    """One line of the accounts list."""

    member: StaffMember
    open_sessions: int

    @property
    def has_two_factor(self) -> bool:
        return self.member.totp_confirmed_at is not None


def has_account(member: StaffMember) -> bool:
    """True when the person has a login (a password, possibly one still to be chosen)."""
    return member.password_hash is not None


# --- reading ---------------------------------------------------------------------------------


def _open_sessions_count(now: datetime, timeouts: Timeouts):  # noqa: ANN202
    """Open, not timed-out sign-in sessions per person, as a correlated scalar subquery."""
    return (
        select(func.count(LoginSession.id))
        .where(
            LoginSession.staff_member_id == StaffMember.id,
            LoginSession.ended_at.is_(None),
            LoginSession.created_at > now - timeouts.absolute,
            LoginSession.last_seen_at > now - timeouts.idle,
        )
        .correlate(StaffMember)
        .scalar_subquery()
    )


def account_rows(session: Session, *, now: datetime, timeouts: Timeouts) -> list[AccountRow]:
    """Every staff member with a login, by name, with their open sessions; one statement."""
    count = _open_sessions_count(now, timeouts)
    rows = session.execute(
        select(StaffMember, count)
        .where(StaffMember.password_hash.is_not(None))
        .order_by(func.lower(StaffMember.name), StaffMember.id)
    ).all()
    return [AccountRow(member, open_sessions or 0) for member, open_sessions in rows]


def account_row(
    session: Session, staff_member_id: int, *, now: datetime, timeouts: Timeouts
) -> AccountRow | None:
    """One staff member (with or without a login) and their open sessions, or None."""
    found = session.execute(
        select(StaffMember, _open_sessions_count(now, timeouts)).where(
            StaffMember.id == staff_member_id
        )
    ).first()
    if found is None:
        return None
    return AccountRow(found[0], found[1] or 0)


def people_without_account(session: Session) -> list[StaffMember]:
    """The people of the staff directory who have no login yet, active first, by name."""
    return list(
        session.scalars(
            select(StaffMember)
            .where(StaffMember.password_hash.is_(None))
            .order_by(StaffMember.is_active.desc(), func.lower(StaffMember.name), StaffMember.id)
        )
    )


# --- changing --------------------------------------------------------------------------------


def create_account(
    session: Session,
    *,
    staff_member_id: int | None,
    name: str,
    email: str,
    role: Role,
    actor: StaffMember,
    now: datetime,
    hours: int,
) -> tuple[StaffMember, str]:
    """Give a login to a person of the staff directory (``staff_member_id``) or to a new
    person (``name`` and ``email``), and return them with the token of their link to choose
    a password (send it with ``resets.send_link_mail`` after the commit).

    For a directory person ``email`` may be empty when they have one already; a given one
    replaces it. Raises ``AccountError`` (nothing changed) when the person is unknown or has
    a login already, the name is empty or too long, the address is invalid or belongs to
    someone else. After: the person is active with the role, an unknown random password,
    an open link and the audit event ``staff.account_created``; flushed, not committed.
    """
    address = normalise_email(email)
    if address is not None and (len(address) > EMAIL_MAX_LENGTH or not is_valid_email(address)):
        raise AccountError(_("Bitte geben Sie eine gültige E-Mail-Adresse an."))
    if staff_member_id is not None:
        member = session.get(StaffMember, staff_member_id)
        if member is None:
            raise AccountError(_("Diese Person gibt es nicht (mehr) im Mitarbeiterverzeichnis."))
        if has_account(member):
            raise AccountError(_("%(name)s hat schon ein Konto.", name=member.name))
        address = address or member.email
        if address is None:
            raise AccountError(
                _(
                    "%(name)s hat im Mitarbeiterverzeichnis keine E-Mail-Adresse. Bitte geben "
                    "Sie eine an: Sie ist die Anmeldung und bekommt den Link zum Passwort.",
                    name=member.name,
                )
            )
    else:
        name = " ".join(name.split())
        if not name:
            raise AccountError(
                _("Bitte wählen Sie eine Person aus dem Verzeichnis oder geben Sie einen Namen an.")
            )
        if len(name) > NAME_MAX_LENGTH:
            raise AccountError(
                _("Der Name darf höchstens %(count)d Zeichen lang sein.", count=NAME_MAX_LENGTH)
            )
        if address is None:
            raise AccountError(_("Bitte geben Sie eine gültige E-Mail-Adresse an."))
        member = None
    holder = session.scalar(select(StaffMember).where(StaffMember.email == address))
    if holder is not None and holder is not member:
        if member is None and not has_account(holder):
            raise AccountError(
                _(
                    "Diese E-Mail-Adresse gehört zu %(name)s im Mitarbeiterverzeichnis. Bitte "
                    "wählen Sie die Person aus der Liste aus.",
                    name=holder.name,
                )
            )
        raise AccountError(_("Für diese E-Mail-Adresse gibt es schon ein Konto."))
    if member is None:
        member = StaffMember(name=name, created_at=now)
        session.add(member)
    old_email = member.email
    member.email = address
    member.role = role
    member.is_active = True
    # Nobody knows this password: the person chooses their own through the link.
    member.password_hash = hash_password(secrets.token_urlsafe(32))
    session.flush()
    changes: dict[str, object] = {"role": role}
    if old_email != address:
        changes["email"] = [old_email, address]
    record(
        session,
        actor=actor,
        action="staff.account_created",
        object_type="staff_member",
        object_id=member.id,
        changes=changes,
        at=now,
    )
    token = resets.issue_token(
        session, member, actor=actor, purpose=resets.Purpose.WELCOME, now=now, hours=hours
    )
    return member, token


def change_role(
    session: Session, member: StaffMember, role: Role, *, actor: StaffMember, now: datetime
) -> bool:
    """Give ``member`` the role ``role``; False when it is theirs already (nothing recorded).

    Raises ``AccountError`` when an admin would demote themselves or the last active admin
    would lose the role. After: the role and the audit event ``staff.role_changed``.
    """
    if member.role is role:
        return False
    if member.role is Role.ADMIN and role is not Role.ADMIN:
        if member.id == actor.id:
            raise AccountError(
                _(
                    "Sie können sich nicht selbst die Administration entziehen. Bitten Sie "
                    "eine andere Person mit Administrationsrechten darum."
                )
            )
        _keep_an_admin(session, member)
    record(
        session,
        actor=actor,
        action="staff.role_changed",
        object_type="staff_member",
        object_id=member.id,
        changes={"role": [member.role, role]},
        at=now,
    )
    member.role = role
    session.flush()
    return True


def deactivate(
    session: Session, member: StaffMember, *, actor: StaffMember, now: datetime
) -> dict[str, int]:
    """Deactivate ``member``: they can no longer log in, every sign-in session of theirs
    ends at once, their calendar feeds and open password links stop working.

    Raises ``AccountError`` when an admin would deactivate themselves, the last active
    admin would go, or the account is inactive already. Returns what ended
    (``sessions_ended``, ``calendar_feeds_revoked``, ``password_links_expired``), which the
    audit event ``staff.deactivated`` records too. Flushed, not committed.
    """
    if not member.is_active:
        raise AccountError(_("Dieses Konto ist schon deaktiviert."))
    if member.id == actor.id:
        raise AccountError(_("Sie können Ihr eigenes Konto nicht deaktivieren."))
    if member.role is Role.ADMIN:
        _keep_an_admin(session, member)
    member.is_active = False
    session.flush()
    ended = {
        "sessions_ended": end_all_sessions(session, member.id, reason=DEACTIVATED, now=now),
        "calendar_feeds_revoked": session.execute(
            delete(CalendarToken)
            .where(CalendarToken.staff_member_id == member.id)
            .execution_options(synchronize_session=False)
        ).rowcount
        or 0,
        "password_links_expired": resets.expire_tokens(session, member.id, now=now),
    }
    record(
        session,
        actor=actor,
        action="staff.deactivated",
        object_type="staff_member",
        object_id=member.id,
        changes={"is_active": [True, False], **ended},
        at=now,
    )
    session.flush()
    return ended


def reactivate(session: Session, member: StaffMember, *, actor: StaffMember, now: datetime) -> None:
    """Let ``member`` log in again (with the password they had; send a link if they need a
    new one). Raises ``AccountError`` when the account is active already or has no login.
    Records ``staff.reactivated``; flushed, not committed."""
    if member.is_active:
        raise AccountError(_("Dieses Konto ist schon aktiv."))
    if not has_account(member):
        raise AccountError(_("Diese Person hat noch kein Konto."))
    member.is_active = True
    record(
        session,
        actor=actor,
        action="staff.reactivated",
        object_type="staff_member",
        object_id=member.id,
        changes={"is_active": [False, True]},
        at=now,
    )
    session.flush()


def issue_reset_link(
    session: Session, member: StaffMember, *, actor: StaffMember, now: datetime, hours: int
) -> str:
    """A new link for ``member`` to set a password (older links stop working); send it with
    ``resets.send_link_mail`` after the commit. Raises ``AccountError`` when the person has
    no login, is deactivated or has no email address."""
    if not has_account(member):
        raise AccountError(_("Diese Person hat noch kein Konto."))
    if not member.is_active:
        raise AccountError(_("Das Konto ist deaktiviert. Aktivieren Sie es zuerst wieder."))
    if not member.email:
        raise AccountError(_("Für dieses Konto ist keine E-Mail-Adresse hinterlegt."))
    return resets.issue_token(
        session, member, actor=actor, purpose=link_purpose(member), now=now, hours=hours
    )


def link_purpose(member: StaffMember) -> resets.Purpose:
    """Which mail a link from an admin goes with: a welcome while the person has never
    logged in (they have not chosen a password yet), else a reset."""
    return resets.Purpose.WELCOME if member.last_login_at is None else resets.Purpose.ADMIN


def _keep_an_admin(session: Session, leaving: StaffMember) -> None:
    """Refuse when no other active admin would remain once ``leaving`` is no admin. The
    admins' rows are locked (PostgreSQL), so two admins removing each other at once are
    checked one after the other; SQLite runs writing transactions one at a time anyway."""
    # Every active admin's row, the leaving one's too, locked in one order: two parallel
    # removals wait for each other instead of each locking one row and deadlocking.
    admins = session.scalars(
        select(StaffMember.id)
        .where(StaffMember.role == Role.ADMIN, StaffMember.is_active.is_(True))
        .order_by(StaffMember.id)
        .with_for_update()
    ).all()
    if not [admin_id for admin_id in admins if admin_id != leaving.id]:
        raise AccountError(
            _(
                "%(name)s ist die letzte aktive Person mit Administrationsrechten. Geben Sie "
                "zuerst einer anderen Person die Rolle Administration.",
                name=leaving.name,
            )
        )


def reset_second_factor(
    session: Session, member: StaffMember, *, actor: StaffMember, now: datetime
) -> bool:
    """Remove ``member``'s second factor (phone and recovery codes lost) and end all their
    sessions; False when they had none. Where their role requires one, they set up a new
    one at the next login, after the password."""
    if not two_factor.is_enrolled(member):
        return False
    two_factor.disable(session, member, actor=actor, now=now)
    end_all_sessions(session, member.id, reason=REVOKED, now=now)
    return True


def end_sessions(
    session: Session, member: StaffMember, *, actor: StaffMember, now: datetime
) -> int:
    """Sign ``member`` out everywhere (a lost laptop) without deactivating the account;
    returns how many sessions ended. Recorded."""
    ended = end_all_sessions(session, member.id, reason=REVOKED, now=now)
    record(
        session,
        actor=actor,
        action="staff.sessions_ended",
        object_type="staff_member",
        object_id=member.id,
        changes={"count": ended},
    )
    return ended
