"""Sign-in sessions live in the database (issue 7 point 8): logout, a password change and a
deactivation end them for good, a login starts a new one, and idle and absolute timeouts
end them at the next request."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from caseflow import clock
from caseflow.staff.models import LoginSession
from tests.conftest import TEST_PASSWORD, csrf_token, login

START = datetime(2025, 10, 15, 8, 0, tzinfo=UTC)


def _cookie(client: FlaskClient):
    cookie = client.get_cookie("session", domain="caseflow.test")
    assert cookie is not None
    return cookie.value


def _with_cookie(app: Flask, value: str) -> FlaskClient:
    other = app.test_client()
    other.set_cookie("session", value, domain="caseflow.test")
    return other


def _signed_in(client: FlaskClient) -> bool:
    return client.get("/dashboard").status_code == 200


def _logout(client: FlaskClient) -> None:
    response = client.post("/logout", data={"csrf_token": csrf_token(client, "/dashboard")})
    assert response.status_code == 302


def test_a_copied_cookie_is_worthless_after_logout(app, client, make_staff, session) -> None:
    member = make_staff()
    assert login(client, member.email).status_code == 302
    stolen = _cookie(client)
    assert _signed_in(_with_cookie(app, stolen))  # the copy works while the session is open
    _logout(client)
    assert not _signed_in(client)
    replay = _with_cookie(app, stolen)
    response = replay.get("/dashboard")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    row = session.scalar(select(LoginSession).where(LoginSession.staff_member_id == member.id))
    assert row.ended_at is not None and row.end_reason == "logout"


def test_login_starts_a_new_session_with_a_new_token(client, make_staff, session) -> None:
    member = make_staff()
    client.get("/login")
    before = _cookie(client)
    assert login(client, member.email).status_code == 302
    first = _cookie(client)
    _logout(client)
    assert login(client, member.email).status_code == 302
    second = _cookie(client)
    assert len({before, first, second}) == 3
    rows = session.scalars(
        select(LoginSession).where(LoginSession.staff_member_id == member.id)
    ).all()
    assert len(rows) == 2
    assert len({row.token_hash for row in rows}) == 2
    # Only hashes are kept: no row holds the token that is in the cookie.
    assert all(len(row.token_hash) == 64 for row in rows)


def test_a_password_change_ends_every_other_session(app, make_staff, session) -> None:
    member = make_staff()
    desk, laptop = app.test_client(), app.test_client()
    assert login(desk, member.email).status_code == 302
    assert login(laptop, member.email).status_code == 302
    new_password = "ein ganz neues Passwort 2025"
    response = desk.post(
        "/account/password",
        data={
            "csrf_token": csrf_token(desk, "/account/security"),
            "current_password": TEST_PASSWORD,
            "new_password": new_password,
            "repeat_password": new_password,
        },
    )
    assert response.status_code == 302
    assert _signed_in(desk)
    assert not _signed_in(laptop)
    assert login(laptop, member.email, new_password).status_code == 302


def test_a_wrong_current_password_changes_nothing(client, make_staff, session) -> None:
    member = make_staff()
    login(client, member.email)
    old_hash = member.password_hash
    response = client.post(
        "/account/password",
        data={
            "csrf_token": csrf_token(client, "/account/security"),
            "current_password": "falsch falsch falsch",
            "new_password": "ein ganz neues Passwort 2025",
            "repeat_password": "ein ganz neues Passwort 2025",
        },
    )
    assert response.status_code == 422
    assert "Das bisherige Passwort ist falsch." in response.get_data(as_text=True)
    session.refresh(member)
    assert member.password_hash == old_hash


def test_deactivation_signs_out_at_the_next_request(client, make_staff, session) -> None:
    member = make_staff()
    login(client, member.email)
    assert _signed_in(client)
    member.is_active = False
    session.flush()
    assert not _signed_in(client)


def test_ending_the_other_sessions_keeps_this_one(app, make_staff) -> None:
    member = make_staff()
    desk, phone = app.test_client(), app.test_client()
    login(desk, member.email)
    login(phone, member.email)
    page = desk.get("/account/security").get_data(as_text=True)
    assert "Alle anderen Sitzungen beenden" in page
    desk.post(
        "/account/sessions/end-others", data={"csrf_token": csrf_token(desk, "/account/security")}
    )
    assert _signed_in(desk)
    assert not _signed_in(phone)


@pytest.mark.parametrize(
    ("idle_minutes", "signed_in"), [(119, True), (120, False)], ids=["119min", "120min"]
)
def test_idle_timeout(client, make_staff, idle_minutes, signed_in) -> None:
    member = make_staff()
    with clock.frozen(START):
        login(client, member.email)
    with clock.frozen(START + timedelta(minutes=idle_minutes)):
        response = client.get("/dashboard")
    assert (response.status_code == 200) is signed_in
    if not signed_in:
        page = client.get(response.headers["Location"]).get_data(as_text=True)
        assert "Ihre Sitzung ist abgelaufen" in page


def test_activity_keeps_the_session_until_the_absolute_timeout(client, make_staff) -> None:
    member = make_staff()
    with clock.frozen(START):
        login(client, member.email)
    # A request every 90 minutes keeps it alive (each is within the idle timeout) …
    for step in range(1, 8):
        with clock.frozen(START + timedelta(minutes=90 * step)):
            assert _signed_in(client), f"signed out after {90 * step} minutes"
    # … but never past 12 hours after the login.
    with clock.frozen(START + timedelta(hours=12)):
        assert not _signed_in(client)


def test_timeouts_follow_the_settings(app, client, make_staff, monkeypatch) -> None:
    monkeypatch.setitem(app.config, "SESSION_IDLE_MINUTES", 10)
    member = make_staff()
    with clock.frozen(START):
        login(client, member.email)
    with clock.frozen(START + timedelta(minutes=10)):
        assert not _signed_in(client)


def test_last_seen_is_written_at_most_once_a_minute(client, make_staff, session) -> None:
    member = make_staff()
    with clock.frozen(START):
        login(client, member.email)
    row = session.scalar(select(LoginSession).where(LoginSession.staff_member_id == member.id))
    with clock.frozen(START + timedelta(seconds=30)):
        _signed_in(client)
    session.refresh(row)
    assert row.last_seen_at == START
    with clock.frozen(START + timedelta(minutes=5)):
        _signed_in(client)
    session.refresh(row)
    assert row.last_seen_at == START + timedelta(minutes=5)


def test_a_cookie_from_before_server_side_sessions_signs_nobody_in(app, client, make_staff):
    member = make_staff()
    # What Flask-Login kept before: the plain id. It must not sign anyone in any more.
    with client.session_transaction() as cookie:
        cookie["_user_id"] = str(member.id)
    assert not _signed_in(client)
