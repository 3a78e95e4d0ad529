"""Security headers on every response, the session cookie in production, and pages that
need no ``'unsafe-inline'`` in the Content Security Policy (issue 7, point 10)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.test import TestResponse

from caseflow import create_app
from caseflow.staff.models import Role
from tests import factories, test_roles
from tests.conftest import dispose_engines, login
from tests.test_roles import _get_rules, _url

# The fixture of test_roles that creates one object of each kind and so fills in every
# route's arguments.
objects = test_roles.objects

CSP = (
    "default-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
    "form-action 'self'"
)
# Pages that carry a token in their address keep the stricter policy they set themselves.
NO_REFERRER_ENDPOINTS = {
    "followups.calendar_feed",
    "intake.apply_done",
    "intake.status",
    "intake.withdraw",
    "outcomes.client_view",
    "outcomes.selfcheck_answer",
    "outcomes.selfcheck_start",
    "staff.password_reset",
}

# What a CSP without 'unsafe-inline' blocks: style attributes, <style> blocks, inline
# scripts, event handler attributes and javascript: addresses.
INLINE = {
    "style attribute": re.compile(r"<[a-zA-Z][^>]*\sstyle\s*=", re.IGNORECASE),
    "style block": re.compile(r"<style[\s>]", re.IGNORECASE),
    "inline script": re.compile(r"<script(?![^>]*\ssrc\s*=)[^>]*>", re.IGNORECASE),
    "event handler": re.compile(r"<[a-zA-Z][^>]*\son[a-z]+\s*=", re.IGNORECASE),
    "javascript: address": re.compile(r"javascript:", re.IGNORECASE),
}


def inline_content(html: str) -> list[str]:
    """The kinds of inline content found in ``html``, each with the offending excerpt."""
    found = []
    for kind, pattern in INLINE.items():
        for match in pattern.finditer(html):
            found.append(f"{kind}: {match.group(0)[:120]}")
    return found


def assert_security_headers(response: TestResponse, url: str) -> None:
    headers = response.headers
    assert headers.get("Content-Security-Policy") == CSP, url
    assert headers.get("X-Content-Type-Options") == "nosniff", url
    assert headers.get("X-Frame-Options") == "DENY", url
    assert headers.get("Cross-Origin-Opener-Policy") == "same-origin", url
    assert headers.get("Permissions-Policy") == "camera=(), microphone=(), geolocation=()", url
    assert "Strict-Transport-Security" not in headers, url  # testing is not production


def test_the_scanner_finds_inline_content() -> None:
    """The patterns below would catch what the CSP blocks (and not ordinary text)."""
    assert inline_content('<p class="x" style="color: red">') != []
    assert inline_content("<style>p {}</style>") != []
    assert inline_content("<script>alert(1)</script>") != []
    assert inline_content('<button type="button" onclick="go()">') != []
    assert inline_content('<a href="javascript:void(0)">') != []
    assert inline_content('<script src="/static/js/copy.js" defer></script>') == []
    assert inline_content('<p>10 von 12 erledigt; style="x" als Text</p>') == []


@pytest.mark.parametrize("role", [None, Role.ADMIN], ids=["anonymous", "admin"])
def test_every_get_route_has_the_security_headers(
    app: Flask, client, make_staff, objects, role
) -> None:
    """Walk ``app.url_map``: every GET route answers with the headers, whatever its status;
    a page that is not public, and every page for a signed-in staff member, is not stored."""
    if role is not None:
        assert login(client, make_staff(role).email).status_code == 302
    checked = 0
    for rule in _get_rules(app):
        url = _url(rule, objects)
        response = client.get(url)
        response.close()  # a file download holds its file open until closed
        assert_security_headers(response, url)
        referrer = response.headers["Referrer-Policy"]
        if rule.endpoint in NO_REFERRER_ENDPOINTS and response.status_code == 200:
            assert referrer == "no-referrer", url
        elif rule.endpoint == "followups.calendar_settings":
            # No referrer while the page shows a secret feed address.
            assert referrer in ("same-origin", "no-referrer"), url
        elif response.status_code == 200:
            assert referrer == "same-origin", url
        else:
            assert referrer in ("same-origin", "no-referrer"), url
        public = getattr(app.view_functions[rule.endpoint], "is_public", False)
        cache_control = response.headers.get("Cache-Control", "")
        if role is not None or not public:
            assert "no-store" in cache_control, f"{url}: {cache_control!r}"
        elif rule.endpoint in ("intake.landing", "staff.login", "intake.privacy"):
            assert "no-store" not in cache_control, url  # public pages may be cached
        if response.mimetype == "text/html":
            assert inline_content(response.get_data(as_text=True)) == [], url
        checked += 1
    assert checked >= 50


def test_views_keep_the_caching_and_referrer_headers_they_set(app: Flask, client, objects) -> None:
    response = client.get(f"/calendar/{objects['calendar_token']}.ics")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "private, no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    response = client.get(f"/apply/status/{objects['token']}")
    assert response.status_code == 200
    assert response.headers["Referrer-Policy"] == "no-referrer"


@pytest.mark.parametrize("role", [None, Role.ADMIN], ids=["anonymous", "admin"])
def test_static_files_and_errors_have_the_headers(app: Flask, client, make_staff, role) -> None:
    if role is not None:
        assert login(client, make_staff(role).email).status_code == 302
    response = client.get("/static/css/caseflow.css")
    assert response.status_code == 200
    assert_security_headers(response, "static")
    assert response.headers["Referrer-Policy"] == "same-origin"
    # Static files keep their own caching, even for staff.
    assert "no-store" not in response.headers.get("Cache-Control", "")
    response.close()

    response = client.get("/gibt-es-nicht")
    assert response.status_code == 404
    assert_security_headers(response, "404")
    assert response.headers["Cache-Control"] == "no-store"


def test_rich_pages_have_no_inline_styles_or_scripts(
    app: Flask, client, session, logged_in, objects
) -> None:
    """Pages full of data (and charts) render without anything the CSP would block."""
    lead = logged_in(Role.LEAD)
    engagement = factories.make_engagement(session, lead=lead)
    factories.make_activity(session, engagement, author=lead)
    factories.make_barrier(session, engagement)
    session.flush()
    pages = [
        "/dashboard",
        f"/engagements/{engagement.id}",
        f"/engagements/{objects['engagement_id']}",
        "/engagements",
        "/timeline",
        "/capacity",
        "/reports",
        "/reports/print",
        f"/applications/{objects['application_id']}",
        f"/organisations/{engagement.organisation_id}",
    ]
    for url in pages:
        response = client.get(url)
        response.close()  # a file download holds its file open until closed
        assert response.status_code == 200, url
        html = response.get_data(as_text=True)
        assert "<main" in html, url
        assert inline_content(html) == [], url
    client.get("/logout")
    anonymous = app.test_client()
    for url in ("/apply", "/", "/login", f"/apply/status/{objects['token']}"):
        response = anonymous.get(url)
        assert response.status_code == 200, url
        assert inline_content(response.get_data(as_text=True)) == [], url


@pytest.fixture
def production_app(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A production app (over the test database, without touching it on the pages used)."""
    monkeypatch.delenv("TRUSTED_PROXIES", raising=False)
    app = create_app(
        {
            "CASEFLOW_ENV": "production",
            "SECRET_KEY": "production-secret",
            "BASE_URL": "https://caseflow.example.org",
            "SQLALCHEMY_DATABASE_URI": database_url,
            "INSTANCE_PATH": str(tmp_path),
            "RATELIMIT_STORAGE_URI": "memory://",
            "MAIL_URL": None,
            "MAIL_SERVER": None,
            "MAIL_OUTBOX": str(tmp_path / "outbox"),
        }
    )
    yield app
    dispose_engines(app)


def test_production_sends_hsts_and_a_host_only_secure_session_cookie(production_app) -> None:
    client = production_app.test_client()
    response = client.get("/login", base_url="https://caseflow.example.org")
    assert response.status_code == 200
    assert response.headers["Content-Security-Policy"] == CSP
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    # The login form keeps its CSRF token in the session: the session cookie is set.
    cookies = response.headers.getlist("Set-Cookie")
    assert len(cookies) == 1, cookies
    name, *attributes = [part.strip() for part in cookies[0].split(";")]
    assert name.startswith("__Host-caseflow_session=")
    assert {"Secure", "HttpOnly", "Path=/", "SameSite=Lax"} <= set(attributes), attributes
    assert not any(part.lower().startswith("domain=") for part in attributes), attributes

    static = client.get("/static/css/caseflow.css", base_url="https://caseflow.example.org")
    assert static.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    static.close()

    config = production_app.config
    assert config["REMEMBER_COOKIE_NAME"] == "__Host-caseflow_remember"
    assert config["REMEMBER_COOKIE_SECURE"] is True
    assert config["REMEMBER_COOKIE_HTTPONLY"] is True
    assert config["REMEMBER_COOKIE_SAMESITE"] == "Lax"
    assert config["REMEMBER_COOKIE_PATH"] == "/"
    assert config["REMEMBER_COOKIE_DOMAIN"] is None


def test_development_and_testing_keep_plain_cookies_and_no_hsts(app: Flask, client) -> None:
    response = client.get("/login")
    assert "Strict-Transport-Security" not in response.headers
    assert app.config["SESSION_COOKIE_NAME"] == "session"
    assert app.config["SESSION_COOKIE_SECURE"] is False
