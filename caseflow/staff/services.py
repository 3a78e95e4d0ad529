"""Staff services: accounts, passwords, authentication."""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from caseflow.audit.services import record
from caseflow.staff.models import Role, StaffMember
from caseflow.staff.passwords import hash_password, needs_rehash, policy_problems, verify_password


class StaffError(ValueError):
    """A staff operation was refused; the message is German and meant for the user."""


def normalise_email(email: str | None) -> str | None:
    """Trimmed and lower-cased, or None when empty."""
    if email is None:
        return None
    email = email.strip().lower()
    return email or None


def find_by_email(session: Session, email: str) -> StaffMember | None:
    address = normalise_email(email)
    if address is None:
        return None
    return session.scalar(select(StaffMember).where(StaffMember.email == address))


def authenticate(
    session: Session, email: str, password: str, *, now: datetime
) -> StaffMember | None:
    """Return the staff member whose credentials these are, or None.

    Takes the same time whether or not the account exists. Inactive accounts and accounts
    without a password never authenticate. On success the login time is recorded and an
    outdated hash is upgraded.
    """
    member = find_by_email(session, email)
    password_hash = member.password_hash if member is not None else None
    if not verify_password(password_hash, password):
        return None
    assert member is not None
    if not member.can_log_in:
        return None
    if needs_rehash(member.password_hash or ""):
        member.password_hash = hash_password(password)
    member.last_login_at = now
    session.flush()
    return member


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
    imported contact-list entry gets the login), else created.

    Raises ``StaffError`` when the email is empty or the password breaks the policy.
    """
    address = normalise_email(email)
    if not address or "@" not in address:
        raise StaffError(_("Bitte geben Sie eine gültige E-Mail-Adresse an."))
    member = find_by_email(session, address)
    if member is None:
        member = session.scalar(
            select(StaffMember).where(
                func.lower(StaffMember.name) == name.strip().lower(), StaffMember.email.is_(None)
            )
        )
    if member is None:
        member = StaffMember(name=name.strip(), created_at=now)
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


def record_login(session: Session, member: StaffMember) -> None:
    """Write the audit event of a successful login."""
    record(
        session, actor=member, action="staff.login", object_type="staff_member", object_id=member.id
    )


def directory(session: Session) -> list[StaffMember]:
    """Everyone on the contact list, active first, by organisation and name."""
    return list(
        session.scalars(
            select(StaffMember)
            .options(selectinload(StaffMember.measures))
            .order_by(StaffMember.is_active.desc(), StaffMember.organisation, StaffMember.name)
        )
    )
