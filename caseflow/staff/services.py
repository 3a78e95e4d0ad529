"""Staff services: accounts, passwords, authentication."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from caseflow.audit.services import record
from caseflow.settings.services import current as current_setting
from caseflow.staff.identity import is_valid_email, name_key, normalise_email
from caseflow.staff.models import Role, StaffMember
from caseflow.staff.passwords import hash_password, needs_rehash, policy_problems, verify_password
from caseflow.translating import gettext as _

NAME_MAX_LENGTH = 200
EMAIL_MAX_LENGTH = 254


class StaffError(ValueError):
    """A staff operation was refused; the message is German and meant for the user."""


def find_by_email(session: Session, email: str) -> StaffMember | None:
    """The staff member with this email address (case and spacing ignored), or None."""
    address = normalise_email(email)
    if address is None:
        return None
    return session.scalar(select(StaffMember).where(StaffMember.email == address))


@dataclass(frozen=True)
class Credentials:
    """What it takes to check a password, detached from the database session."""

    member_id: int | None = None
    password_hash: str | None = None
    can_log_in: bool = False


def load_credentials(session: Session, email: str) -> Credentials:
    """The credentials stored for ``email``; empty ones for an unknown address (reads only).

    Checking empty credentials takes as long as checking real ones (``credentials_match``),
    so the answer never tells whether an account exists.
    """
    member = find_by_email(session, email)
    if member is None:
        return Credentials()
    return Credentials(member.id, member.password_hash, member.can_log_in)


def credentials_match(credentials: Credentials, password: str) -> bool:
    """True when ``password`` is right and the account may log in. Slow on purpose (argon2)."""
    password_ok = verify_password(credentials.password_hash, password)
    return password_ok and credentials.can_log_in and credentials.member_id is not None


def two_factor_roles() -> tuple[str, ...]:
    """The roles that must log in with a second factor (setting TWO_FACTOR_ROLES)."""
    return tuple(current_setting("TWO_FACTOR_ROLES"))


def complete_login(
    session: Session, member_id: int, password: str | None, *, now: datetime
) -> StaffMember | None:
    """Record a successful login: login time, an upgraded hash if argon2's parameters have
    changed (when the password is at hand), and an audit event. None when the account can
    no longer log in (deactivated between the password check and now)."""
    member = session.get(StaffMember, member_id)
    if member is None or not member.can_log_in:
        return None
    if password is not None and needs_rehash(member.password_hash or ""):
        member.password_hash = hash_password(password)
    member.last_login_at = now
    record(
        session, actor=member, action="staff.login", object_type="staff_member", object_id=member.id
    )
    session.flush()
    return member


def authenticate(
    session: Session, email: str, password: str, *, now: datetime
) -> StaffMember | None:
    """Check the credentials and record the login in one go (for the CLI and tests; the
    login view runs the steps itself so that no transaction is open while argon2 works)."""
    credentials = load_credentials(session, email)
    if not credentials_match(credentials, password) or credentials.member_id is None:
        return None
    return complete_login(session, credentials.member_id, password, now=now)


def set_password(
    session: Session,
    member: StaffMember,
    password: str,
    *,
    actor: StaffMember | None,
    min_length: int,
) -> None:
    """Set a new password after checking the policy.

    Raises ``StaffError`` listing every policy problem; nothing is changed then.
    """
    problems = policy_problems(password, min_length=min_length, email=member.email)
    if problems:
        raise StaffError(" ".join(problems))
    member.password_hash = hash_password(password)
    record(
        session,
        actor=actor,
        action="staff.password_set",
        object_type="staff_member",
        object_id=member.id,
    )
    session.flush()


def create_login(
    session: Session,
    *,
    name: str,
    email: str,
    role: Role,
    password: str,
    actor: StaffMember | None,
    min_length: int,
    now: datetime,
) -> StaffMember:
    """Give a login to a staff member and return them.

    The person is found by email, else by name among people without an email (so an
    imported contact-list entry gets the login; names compare as ``identity.name_key``
    does), else created. Raises ``StaffError`` for an empty or too long name, an invalid
    email address or a password that breaks the policy; nothing is changed then.
    """
    name = " ".join(name.split())
    if not name:
        raise StaffError(_("Bitte geben Sie einen Namen an."))
    if len(name) > NAME_MAX_LENGTH:
        raise StaffError(
            _("Der Name darf höchstens %(count)d Zeichen lang sein.", count=NAME_MAX_LENGTH)
        )
    address = normalise_email(email)
    if not address or len(address) > EMAIL_MAX_LENGTH or not is_valid_email(address):
        raise StaffError(_("Bitte geben Sie eine gültige E-Mail-Adresse an."))
    problems = policy_problems(password, min_length=min_length, email=address)
    if problems:
        raise StaffError(" ".join(problems))

    member = find_by_email(session, address) or _unreachable_namesake(session, name)
    if member is None:
        member = StaffMember(name=name, created_at=now)
        session.add(member)
    member.email = address
    member.role = role
    member.is_active = True
    session.flush()
    set_password(session, member, password, actor=actor, min_length=min_length)
    record(
        session,
        actor=actor,
        action="staff.login_created",
        object_type="staff_member",
        object_id=member.id,
        changes={"email": address, "role": role},
    )
    return member


def _unreachable_namesake(session: Session, name: str) -> StaffMember | None:
    """The one person of this name who has no email address yet, if there is exactly one."""
    key = name_key(name)
    candidates = [
        member
        for member in session.scalars(select(StaffMember).where(StaffMember.email.is_(None)))
        if name_key(member.name) == key
    ]
    return candidates[0] if len(candidates) == 1 else None


def set_locale(session: Session, member: StaffMember, locale: str) -> None:
    """Remember the interface language a staff member chose (``de`` or ``en``)."""
    if locale not in ("de", "en"):
        raise StaffError(_("Diese Sprache wird nicht unterstützt."))
    if member.locale == locale:
        return
    record(
        session,
        actor=member,
        action="staff.locale_set",
        object_type="staff_member",
        object_id=member.id,
        changes={"locale": [member.locale, locale]},
    )
    member.locale = locale
    session.flush()


def directory(session: Session) -> list[StaffMember]:
    """Everyone on the contact list, active first, by organisation and name."""
    return list(
        session.scalars(
            select(StaffMember)
            .options(selectinload(StaffMember.measures))
            .order_by(StaffMember.is_active.desc(), StaffMember.organisation, StaffMember.name)
        )
    )
