"""Login, logout, throttling, redirects and bad input on the login form."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy import select

from caseflow import create_app
from caseflow.audit.models import AuditEvent
from caseflow.staff.models import Role
from caseflow.staff.passwords import policy_problems
from caseflow.web.urls import safe_next
from tests.conftest import TEST_PASSWORD, csrf_token, dispose_engines, login

GENERIC_FAILURE = "E-Mail-Adresse oder Passwort ist falsch"


def _text(response) -> str:
    return response.get_data(as_text=True)


def test_login_page_has_the_contract_fields(client) -> None:
    page = _text(client.get("/login"))
    assert 'name="email"' in page
    assert 'name="password"' in page
    assert 'name="csrf_token"' in page
    assert 'autocomplete="current-password"' in page
    assert '<html lang="de">' in page


@pytest.mark.parametrize(
    ("role", "landing"),
    [("consultant", "/dashboard"), ("lead", "/dashboard"), ("admin", "/admin/")],
)
def test_login_lands_on_the_page_for_the_role(client, make_staff, session, role, landing) -> None:
    member = make_staff(role)
    response = login(client, member.email)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(landing)
    session.refresh(member)
    assert member.last_login_at is not None
    event = session.scalar(
        select(AuditEvent).where(
            AuditEvent.action == "staff.login", AuditEvent.actor_id == member.id
        )
    )
    assert event is not None and event.ip_address == "127.0.0.1"
    assert client.get(landing).status_code == 200


def test_email_is_matched_case_insensitively(client, make_staff) -> None:
    member = make_staff(email="selen@example.org")
    assert login(client, "  Selen@Example.ORG ").status_code == 302
    assert member.email == "selen@example.org"


@pytest.mark.parametrize("case", ["wrong_password", "unknown_email", "inactive", "no_password"])
def test_failed_logins_look_the_same_and_reveal_nothing(client, make_staff, session, case) -> None:
    member = make_staff(email="real@example.org", is_active=case != "inactive")
    if case == "no_password":
        member.password_hash = None
        session.flush()
    email = "ghost@example.org" if case == "unknown_email" else member.email
    password = "falsches-passwort-123" if case == "wrong_password" else TEST_PASSWORD
    response = login(client, email, password)
    assert response.status_code == 422
    page = _text(response)
    assert GENERIC_FAILURE in page
    assert "existiert nicht" not in page and "unbekannt" not in page
    assert client.get("/dashboard").status_code == 302  # still logged out


def test_empty_fields_get_german_messages_next_to_the_fields(client) -> None:
    response = client.post(
        "/login", data={"email": "", "password": "", "csrf_token": csrf_token(client)}
    )
    assert response.status_code == 422
    page = _text(response)
    assert "Bitte geben Sie Ihre E-Mail-Adresse ein." in page
    assert "Bitte geben Sie Ihr Passwort ein." in page
    assert 'aria-invalid="true"' in page
    assert 'href="#email"' in page  # the error summary links to the field


def test_forged_csrf_token_gets_a_german_400_page(client, make_staff) -> None:
    member = make_staff()
    csrf_token(client)
    response = client.post(
        "/login", data={"email": member.email, "password": TEST_PASSWORD, "csrf_token": "forged"}
    )
    assert response.status_code == 400
    assert "Das Formular ist abgelaufen" in _text(response)
    assert client.get("/dashboard").status_code == 302


def test_a_10_mb_body_gets_a_german_413_page(client) -> None:
    response = client.post("/login", data={"email": "x" * (10 * 1024 * 1024), "password": "y"})
    assert response.status_code == 413
    assert "zu umfangreich" in _text(response)


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/x",
        "/\\evil.example",
        "http:/evil.example",
        "javascript:alert(1)",
        " /dashboard",
    ],
)
def test_external_next_urls_are_ignored(client, make_staff, target) -> None:
    member = make_staff()
    response = client.post(
        "/login?next=" + target,
        data={"email": member.email, "password": TEST_PASSWORD, "csrf_token": csrf_token(client)},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/dashboard"


def test_internal_next_url_is_followed(client, make_staff) -> None:
    member = make_staff()
    page = _text(client.get("/login?next=/staff"))
    assert 'name="next" type="hidden" value="/staff"' in page
    response = client.post(
        "/login",
        data={
            "email": member.email,
            "password": TEST_PASSWORD,
            "next": "/staff",
            "csrf_token": csrf_token(client),
        },
    )
    assert response.headers["Location"] == "/staff"


def test_staff_pages_send_anonymous_visitors_to_login_with_next(client) -> None:
    response = client.get("/engagements")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=%2Fengagements"


@pytest.mark.parametrize(
    ("target", "safe"),
    [
        ("/dashboard", True),
        ("/engagements?status=aktiv", True),
        ("https://evil.example", False),
        ("//evil.example", False),
        ("/\\evil.example", False),
        ("/ok\r\nSet-Cookie: x", False),
        ("dashboard", False),
        ("", False),
        (None, False),
    ],
)
def test_safe_next(target, safe) -> None:
    assert safe_next(target) == (target if safe else None)


def test_logout_needs_post_with_csrf(client, logged_in) -> None:
    logged_in()
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 400  # no CSRF token
    assert client.get("/dashboard").status_code == 200
    response = client.post("/logout", data={"csrf_token": csrf_token(client, "/dashboard")})
    assert response.status_code == 302
    assert response.headers["Location"] == "/login"
    assert client.get("/dashboard").status_code == 302


def test_deactivated_account_loses_its_session_at_once(client, logged_in, session) -> None:
    member = logged_in()
    assert client.get("/dashboard").status_code == 200
    member.is_active = False
    session.flush()
    assert client.get("/dashboard").status_code == 302


def test_attempts_on_one_account_are_throttled(client, make_staff) -> None:
    member = make_staff()
    for number in range(10):
        email = member.email.upper() if number % 2 else f"  {member.email} "  # one account
        assert login(client, email, "falsches-passwort-123").status_code == 422
    response = login(client, member.email, TEST_PASSWORD)
    assert response.status_code == 429
    page = _text(response)
    assert "Zu viele Versuche" in page
    assert re.search(r"in (1 Minute|\d+ Minuten) noch einmal", page)
    assert int(response.headers["Retry-After"]) > 0
    # Another account from the same address is not locked out by this one.
    other = make_staff()
    assert login(client, other.email).status_code == 302


def test_a_few_logins_in_a_row_are_fine(client, make_staff) -> None:
    member = make_staff()
    for _ in range(5):
        assert login(client, member.email).status_code == 302
        client.post("/logout", data={"csrf_token": csrf_token(client, "/dashboard")})


def test_failed_attempts_from_one_address_are_throttled(app: Flask, client, make_staff) -> None:
    limit = app.config["LOGIN_RATE_LIMIT_IP"]
    app.config["LOGIN_RATE_LIMIT_IP"] = "3 per 10 minutes"
    try:
        for number in range(3):
            assert login(client, f"nobody{number}@example.org", "x" * 12).status_code == 422
        assert login(client, "nobody9@example.org", "x" * 12).status_code == 429
    finally:
        app.config["LOGIN_RATE_LIMIT_IP"] = limit


def test_a_logged_in_user_visiting_login_goes_home(client, logged_in) -> None:
    logged_in(Role.ADMIN)
    response = client.get("/login")
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/"


def test_language_switch_is_remembered(client, logged_in, session) -> None:
    member = logged_in()
    token = csrf_token(client, "/dashboard")
    response = client.post(
        "/language", data={"locale": "en", "next": "/staff", "csrf_token": token}
    )
    assert response.headers["Location"] == "/staff"
    assert '<html lang="en">' in _text(client.get("/staff"))
    session.refresh(member)
    assert member.locale == "en"


def test_unknown_language_is_refused_politely(client) -> None:
    token = csrf_token(client)
    response = client.post(
        "/language", data={"locale": "xx", "csrf_token": token}, follow_redirects=True
    )
    assert response.status_code == 200
    assert "Diese Sprache wird nicht unterstützt." in _text(response)


def test_production_session_cookie_is_secure_httponly_lax(make_prod_app) -> None:
    app = make_prod_app()
    response = app.test_client().get("/login")
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


@pytest.fixture
def make_prod_app(app: Flask, tmp_path) -> Iterator:
    built = []

    def build():
        prod = create_app(
            {
                "CASEFLOW_ENV": "production",
                "SECRET_KEY": "prod-test",
                "BASE_URL": "https://caseflow.example.org",
                "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                "INSTANCE_PATH": str(tmp_path),
            }
        )
        built.append(prod)
        return prod

    yield build
    for prod in built:
        dispose_engines(prod)


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("kurz", "mindestens 12 Zeichen"),
        ("passwort1234", "zu leicht"),
        ("aaaaaaaaaaaaaaa", "zu leicht"),
        ("person@example.org", "nicht Ihre E-Mail-Adresse"),
        ("x" * 300, "höchstens 256"),
    ],
)
def test_password_policy(app: Flask, password, problem) -> None:
    with app.app_context():
        problems = policy_problems(password, min_length=12, email="person@example.org")
    assert any(problem in text for text in problems), problems


def test_a_good_password_passes_the_policy(app: Flask) -> None:
    with app.app_context():
        assert policy_problems("Lindenblüte am Kanal", min_length=12) == []
