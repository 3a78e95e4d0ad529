"""Two-factor login (issue 7 point 9): required for leads and admins by default, optional for
consultants; enrolment with a QR code made locally; the second step posts ``code``; a code
is never accepted twice; recovery codes work once each."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from caseflow import clock
from caseflow.audit.models import AuditEvent
from caseflow.staff import two_factor
from caseflow.staff.models import Role, StaffMember
from tests.conftest import TEST_PASSWORD, csrf_token, login

NOW = datetime(2025, 10, 15, 9, 0, 7, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _production_default(app, monkeypatch) -> None:
    monkeypatch.setitem(app.config, "TWO_FACTOR_ROLES", ("lead", "admin"))


@pytest.fixture
def enrolled(session, make_staff):
    """A lead with a confirmed authenticator app; returns (member, secret)."""

    def make(role: Role = Role.LEAD) -> tuple[StaffMember, str]:
        member = make_staff(role)
        member.totp_secret = pyotp.random_base32()
        member.totp_confirmed_at = NOW - timedelta(days=30)
        session.flush()
        return member, member.totp_secret

    return make


def _code(secret: str, moment: datetime = NOW) -> str:
    return pyotp.TOTP(secret).at(moment)


def _signed_in(client: FlaskClient) -> bool:
    return client.get("/dashboard").status_code == 200


def _post_code(client: FlaskClient, code: str, path: str = "/login/code", form: str = "/login"):
    return client.post(path, data={"code": code, "csrf_token": csrf_token(client, form)})


def _logout(client: FlaskClient) -> None:
    client.post("/logout", data={"csrf_token": csrf_token(client, "/dashboard")})


def test_a_lead_with_the_right_password_still_needs_the_code(client, enrolled) -> None:
    member, secret = enrolled()
    with clock.frozen(NOW):
        response = login(client, member.email)
        assert response.status_code == 302
        assert response.headers["Location"].endswith("/login/code")
        assert not _signed_in(client)
        page = client.get("/login/code").get_data(as_text=True)
        assert 'name="code"' in page and 'autocomplete="one-time-code"' in page
        wrong = _post_code(client, "000000" if _code(secret) != "000000" else "111111")
        assert wrong.status_code == 422
        assert "Der Code ist falsch" in wrong.get_data(as_text=True)
        assert not _signed_in(client)
        right = _post_code(client, _code(secret))
        assert right.status_code == 302 and right.headers["Location"].endswith("/dashboard")
        assert _signed_in(client)


def test_a_used_code_is_refused_the_second_time(client, enrolled) -> None:
    member, secret = enrolled()
    code = _code(secret)
    with clock.frozen(NOW):
        login(client, member.email)
        assert _post_code(client, code).status_code == 302
        _logout(client)
        login(client, member.email)
        # The same code within its 30 seconds: refused.
        assert _post_code(client, code).status_code == 422
        assert not _signed_in(client)
    # The next step's code is accepted.
    with clock.frozen(NOW + timedelta(seconds=30)):
        assert _post_code(client, _code(secret, NOW + timedelta(seconds=30))).status_code == 302


def test_an_older_code_is_refused_after_a_newer_one(session, enrolled) -> None:
    member, secret = enrolled()
    with clock.frozen(NOW):
        assert two_factor.verify_code(session, member, _code(secret), now=NOW)
        previous = _code(secret, NOW - timedelta(seconds=30))
        assert not two_factor.verify_code(session, member, previous, now=NOW)


def test_codes_from_neighbouring_steps_only(session, enrolled) -> None:
    member, secret = enrolled()
    assert not two_factor.verify_code(
        session, member, _code(secret, NOW - timedelta(seconds=90)), now=NOW
    )
    assert two_factor.verify_code(
        session, member, _code(secret, NOW - timedelta(seconds=30)), now=NOW
    )


def test_the_code_may_come_with_the_password(client, enrolled) -> None:
    member, secret = enrolled()
    with clock.frozen(NOW):
        response = login(client, member.email, code=_code(secret))
        assert response.status_code == 302 and response.headers["Location"].endswith("/dashboard")
        assert _signed_in(client)


def test_a_wrong_password_never_reaches_the_second_step(client, enrolled) -> None:
    member, secret = enrolled()
    with clock.frozen(NOW):
        response = login(client, member.email, "falsches Passwort 123", code=_code(secret))
        assert response.status_code == 422
        assert client.get("/login/code").headers["Location"].endswith("/login")


def test_the_first_step_expires(client, enrolled) -> None:
    member, secret = enrolled()
    with clock.frozen(NOW):
        login(client, member.email)
    later = NOW + timedelta(minutes=6)
    with clock.frozen(later):
        response = _post_code(client, _code(secret, later))
        assert response.status_code == 302 and response.headers["Location"].endswith("/login")
        assert not _signed_in(client)


def test_a_lead_without_an_app_enrols_during_the_login(client, make_staff, session) -> None:
    member = make_staff(Role.LEAD)
    with clock.frozen(NOW):
        response = login(client, member.email)
        assert response.headers["Location"].endswith("/login/two-factor/setup")
        page = client.get("/login/two-factor/setup").get_data(as_text=True)
        # The QR code is SVG in the page itself: no image service sees the secret.
        assert 'class="qr-code"' in page and "<img" not in page
        session.refresh(member)
        secret = member.totp_secret
        assert secret and member.totp_confirmed_at is None
        assert " ".join(re.findall(".{1,4}", secret)) in page
        assert not _signed_in(client)
        response = _post_code(client, _code(secret), "/login/two-factor/setup")
        assert response.status_code == 200
        codes = re.findall(
            r"<code>([a-z2-9]{5}-[a-z2-9]{5})</code>", response.get_data(as_text=True)
        )
        assert len(codes) == 10
        assert _signed_in(client)
    session.refresh(member)
    assert member.totp_confirmed_at == NOW
    assert session.scalar(
        select(AuditEvent).where(
            AuditEvent.action == "staff.two_factor_enabled", AuditEvent.object_id == member.id
        )
    )


def test_a_recovery_code_works_once(client, make_staff, session) -> None:
    member = make_staff(Role.ADMIN)
    member.totp_secret = pyotp.random_base32()
    session.flush()
    codes = two_factor.confirm_enrolment(session, member, _code(member.totp_secret), now=NOW)
    assert codes
    with clock.frozen(NOW + timedelta(minutes=2)):
        login(client, member.email)
        assert _post_code(client, codes[0].upper()).status_code == 302
        _logout(client)
        login(client, member.email)
        assert _post_code(client, codes[0]).status_code == 422
        assert _post_code(client, codes[1]).status_code == 302
    assert two_factor.unused_recovery_codes(session, member) == 8


def test_consultants_may_log_in_without_a_second_factor(client, make_staff) -> None:
    member = make_staff(Role.CONSULTANT)
    response = login(client, member.email)
    assert response.headers["Location"].endswith("/dashboard")


def test_a_consultant_who_enrolled_needs_the_code(client, enrolled) -> None:
    member, secret = enrolled(Role.CONSULTANT)
    with clock.frozen(NOW):
        response = login(client, member.email)
        assert response.headers["Location"].endswith("/login/code")


def test_the_requirement_is_a_setting_per_role(app, client, make_staff, monkeypatch) -> None:
    monkeypatch.setitem(app.config, "TWO_FACTOR_ROLES", ("consultant",))
    consultant, lead = make_staff(Role.CONSULTANT), make_staff(Role.LEAD)
    assert login(client, consultant.email).headers["Location"].endswith("/two-factor/setup")
    other = app.test_client()
    assert login(other, lead.email).headers["Location"].endswith("/dashboard")


def test_a_consultant_enrols_and_switches_it_off_again(client, make_staff, session) -> None:
    member = make_staff(Role.CONSULTANT)
    with clock.frozen(NOW):
        login(client, member.email)
        client.get("/account/two-factor")
        session.refresh(member)
        secret = member.totp_secret
        response = _post_code(client, _code(secret), "/account/two-factor", "/account/security")
        assert response.status_code == 200 and "Wiederherstellungscodes" in response.get_data(
            as_text=True
        )
    later = NOW + timedelta(minutes=1)
    with clock.frozen(later):
        response = client.post(
            "/account/two-factor/disable",
            data={"code": _code(secret, later), "csrf_token": csrf_token(client, "/dashboard")},
        )
        assert response.status_code == 302
    session.refresh(member)
    assert member.totp_confirmed_at is None and member.totp_secret is None


def test_a_lead_cannot_switch_it_off(client, enrolled, session) -> None:
    member, secret = enrolled(Role.LEAD)
    with clock.frozen(NOW):
        login(client, member.email, code=_code(secret))
        later = NOW + timedelta(seconds=30)
    with clock.frozen(later):
        client.post(
            "/account/two-factor/disable",
            data={"code": _code(secret, later), "csrf_token": csrf_token(client, "/dashboard")},
        )
    session.refresh(member)
    assert member.totp_confirmed_at is not None


def test_password_alone_is_not_enough_even_with_the_right_session_cookie(client, enrolled) -> None:
    """The first step leaves nothing that opens a staff page."""
    member, _secret = enrolled()
    with clock.frozen(NOW):
        login(client, member.email, TEST_PASSWORD)
        for path in ("/dashboard", "/engagements", "/admin/", "/account/security"):
            assert client.get(path).status_code == 302, path
