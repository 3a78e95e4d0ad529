"""Two-factor login with time-based one-time codes (TOTP, RFC 6238) and recovery codes.

Enrolment stores a new secret on the staff member; it is used only once a first code has
confirmed it (``totp_confirmed_at``), so a half-finished enrolment locks nobody out. A code is
accepted for its 30-second step and the steps next to it (clocks drift), and never twice:
``totp_last_step`` keeps the last accepted step, raised with a conditional UPDATE, so even two
parallel requests with the same code cannot both pass.

Recovery codes stand in for a lost phone, each once. They are random (50 bits), so a plain
SHA-256 keeps them as safe as the password hashes keep passwords; they are shown once.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import secrets
from collections.abc import Iterable
from datetime import datetime

import pyotp
import segno
from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from caseflow.audit.services import record
from caseflow.staff.models import RecoveryCode, StaffMember

ISSUER = "caseflow DiFair"
STEP_SECONDS = 30
# Codes of the step before and after the current one are accepted too.
VALID_WINDOW = 1
RECOVERY_CODE_COUNT = 10
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i


def required_for(member: StaffMember, roles: Iterable[str]) -> bool:
    """Whether ``member`` must log in with a second factor: their role is one of ``roles``
    (the TWO_FACTOR_ROLES setting), or they enrolled of their own accord."""
    return member.totp_confirmed_at is not None or member.role.value in set(roles)


def is_enrolled(member: StaffMember) -> bool:
    return member.totp_confirmed_at is not None and bool(member.totp_secret)


def start_enrolment(session: Session, member: StaffMember) -> str:
    """Give ``member`` a new, unconfirmed secret (replacing an unconfirmed one) and return
    it. An enrolled member keeps their secret until they confirm a new one: call
    ``disable`` first to change phones."""
    if is_enrolled(member):
        raise ValueError("already enrolled")
    member.totp_secret = pyotp.random_base32()
    member.totp_last_step = None
    session.flush()
    return member.totp_secret


def provisioning_uri(member: StaffMember) -> str:
    """The otpauth:// address an authenticator app reads from the QR code."""
    assert member.totp_secret  # noqa: S101
    return pyotp.TOTP(member.totp_secret).provisioning_uri(
        name=member.email or str(member.id), issuer_name=ISSUER
    )


def qr_svg(uri: str, *, title: str) -> str:
    """The QR code of ``uri`` as SVG markup, made here (no external service sees the
    secret); black on white so that it reads in dark surroundings too."""
    buffer = io.BytesIO()
    segno.make(uri, error="m").save(
        buffer,
        kind="svg",
        xmldecl=False,
        svgns=True,
        scale=5,
        border=4,
        dark="#000",
        light="#fff",
        title=title,
        svgclass="qr-code",
        omitsize=True,
        lineclass=None,
    )
    # An image with its title as its name, for screen readers (the key stands beside it).
    return buffer.getvalue().decode().replace("<svg ", '<svg role="img" ', 1)


def _matching_step(secret: str, code: str, now: datetime) -> int | None:
    code = "".join(code.split())
    if len(code) != 6 or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    current = int(now.timestamp()) // STEP_SECONDS
    for step in range(current - VALID_WINDOW, current + VALID_WINDOW + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def verify_code(session: Session, member: StaffMember, code: str, *, now: datetime) -> bool:
    """True when ``code`` is a current code of ``member``'s secret that was not used before;
    it is then used up (flushed)."""
    if not member.totp_secret:
        return False
    step = _matching_step(member.totp_secret, code, now)
    if step is None:
        return False
    claimed = session.execute(
        update(StaffMember)
        .where(
            StaffMember.id == member.id,
            or_(StaffMember.totp_last_step.is_(None), StaffMember.totp_last_step < step),
        )
        .values(totp_last_step=step)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed:
        member.totp_last_step = step
        return True
    return False


def confirm_enrolment(
    session: Session, member: StaffMember, code: str, *, now: datetime
) -> list[str] | None:
    """Confirm the new secret with a first code; returns the recovery codes to show once,
    or None when the code is wrong (nothing changes then)."""
    if is_enrolled(member) or not verify_code(session, member, code, now=now):
        return None
    member.totp_confirmed_at = now
    codes = _new_recovery_codes(session, member, now=now)
    record(
        session,
        actor=member,
        action="staff.two_factor_enabled",
        object_type="staff_member",
        object_id=member.id,
    )
    session.flush()
    return codes


def regenerate_recovery_codes(session: Session, member: StaffMember, *, now: datetime) -> list[str]:
    """Replace every recovery code of ``member`` with new ones (shown once)."""
    codes = _new_recovery_codes(session, member, now=now)
    record(
        session,
        actor=member,
        action="staff.recovery_codes_renewed",
        object_type="staff_member",
        object_id=member.id,
    )
    session.flush()
    return codes


def use_recovery_code(session: Session, member: StaffMember, code: str, *, now: datetime) -> bool:
    """True when ``code`` is an unused recovery code of ``member``; it is used up then."""
    normalised = "".join(code.lower().split()).replace("-", "")
    if not normalised:
        return False
    claimed = session.execute(
        update(RecoveryCode)
        .where(
            RecoveryCode.staff_member_id == member.id,
            RecoveryCode.code_hash == _hash(normalised),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed:
        record(
            session,
            actor=member,
            action="staff.recovery_code_used",
            object_type="staff_member",
            object_id=member.id,
        )
    return bool(claimed)


def unused_recovery_codes(session: Session, member: StaffMember) -> int:
    return session.scalar(
        select(func.count(RecoveryCode.id)).where(
            RecoveryCode.staff_member_id == member.id, RecoveryCode.used_at.is_(None)
        )
    )


def disable(session: Session, member: StaffMember, *, actor: StaffMember, now: datetime) -> None:
    """Remove the second factor of ``member`` (their own choice, or an admin's when the
    phone and the recovery codes are lost). Whether the role allows it is the caller's
    check."""
    member.totp_secret = None
    member.totp_confirmed_at = None
    member.totp_last_step = None
    session.query(RecoveryCode).filter_by(staff_member_id=member.id).delete(
        synchronize_session=False
    )
    record(
        session,
        actor=actor,
        action="staff.two_factor_disabled",
        object_type="staff_member",
        object_id=member.id,
    )
    session.flush()


def may_disable(member: StaffMember, roles: Iterable[str]) -> bool:
    """People whose role requires the second factor cannot switch it off themselves."""
    return member.role.value not in set(roles)


def _new_recovery_codes(session: Session, member: StaffMember, *, now: datetime) -> list[str]:
    session.query(RecoveryCode).filter_by(staff_member_id=member.id).delete(
        synchronize_session=False
    )
    codes = [
        "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(10))
        for _ in range(RECOVERY_CODE_COUNT)
    ]
    session.add_all(
        RecoveryCode(staff_member_id=member.id, code_hash=_hash(code), created_at=now)
        for code in codes
    )
    return [f"{code[:5]}-{code[5:]}" for code in codes]


def _hash(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()
