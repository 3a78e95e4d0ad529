"""Setting a new password through a one-time link (issue 7 points 1 and 12): the link is
mailed without a name in the subject, works once and for 24 hours, ends every session of the
person, "Passwort vergessen?" answers every address alike and is rate-limited."""

from __future__ import annotations

import difflib
import logging
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from caseflow import clock
from caseflow.audit.models import AuditEvent
from caseflow.extensions import db
from caseflow.staff import sessions
from caseflow.staff.models import LoginSession, PasswordResetToken, Role, StaffMember
from caseflow.staff.passwords import hash_password
from caseflow.staff.resets import (
    Purpose,
    ResetRefused,
    TokenState,
    check_token,
    consume_token,
    hash_token,
    issue_token,
    valid_token,
)
from caseflow.staff.services import authenticate
from tests import factories
from tests.conftest import TEST_PASSWORD, csrf_token, login
from tests.pages.test_accessibility_structure import assert_accessible

NOW = datetime(2025, 6, 2, 8, 0, tzinfo=UTC)
NEW_PASSWORD = "ein-ganz-neues-passwort"
LINK = re.compile(r"https?://\S+/password/reset/([A-Za-z0-9_-]+)")
CSRF_VALUE = re.compile(r'(?<=name="csrf_token" )value="[^"]*"')
SAME_ANSWER = "Wenn zu dieser E-Mail-Adresse ein aktives Konto gehört"


@pytest.fixture(autouse=True)
def _frozen() -> Iterator[None]:
    with clock.frozen(NOW):
        yield


def _text(response) -> str:
    return response.get_data(as_text=True)


def _forgot(client: FlaskClient, email: str):
    token = csrf_token(client, "/password/forgot")
    return client.post("/password/forgot", data={"email": email, "csrf_token": token})


def _set_password(client: FlaskClient, token: str, password: str, again: str | None = None):
    path = f"/password/reset/{token}"
    page = client.get(path)
    assert page.status_code == 200, _text(page)
    csrf = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', _text(page))
    assert csrf
    return client.post(
        path,
        data={
            "password": password,
            "password_confirm": password if again is None else again,
            "csrf_token": csrf.group(1),
        },
    )


def _logs_in(session: Session, email: str, password: str) -> bool:
    """Whether ``email`` logs in with ``password`` (as stored now, not as loaded before)."""
    session.expire_all()
    return authenticate(session, email, password, now=NOW) is not None


def _issue(session: Session, member: StaffMember, *, now: datetime = NOW) -> str:
    return issue_token(session, member, actor=None, purpose=Purpose.FORGOTTEN, now=now, hours=24)


# --- the mail and the link -----------------------------------------------------------------------


def test_forgotten_password_link_arrives_by_smtp_and_works_once(
    client, make_staff, session, smtp_server
) -> None:
    member = make_staff(name="Ayşe Vergessen")
    response = _forgot(client, f"  {member.email.upper()} ")
    assert response.status_code == 302
    assert response.headers["Location"] == "/password/forgot/sent"
    assert SAME_ANSWER in _text(client.get("/password/forgot/sent"))

    [message] = smtp_server.wait_for(1)
    assert message.envelope_rcpt == [member.email]
    assert message["Subject"] == "caseflow: Passwort zurücksetzen"
    assert "Ayşe" not in message["Subject"] and "Vergessen" not in message["Subject"]
    body = message.get_body(("plain",)).get_content()
    assert "24 Stunden" in body
    link = LINK.search(body)
    assert link, body
    token = link.group(1)
    assert len(token) >= 43  # 32 random bytes
    # Only the hash is stored.
    assert session.scalar(select(func.count()).where(PasswordResetToken.token_hash == token)) == 0
    assert valid_token(session, token, now=NOW) is not None

    response = _set_password(client, urlsplit(link.group(0)).path.rsplit("/", 1)[1], NEW_PASSWORD)
    assert response.status_code == 302
    assert response.headers["Location"] == "/login"
    assert "Ihr neues Passwort ist gespeichert" in _text(client.get("/login"))
    assert _logs_in(session, member.email, NEW_PASSWORD)
    assert not _logs_in(session, member.email, TEST_PASSWORD)

    # A second use fails, to look at and to post.
    again = client.get(f"/password/reset/{token}")
    assert again.status_code == 410
    assert "schon benutzt" in _text(again)
    posted = client.post(
        f"/password/reset/{token}",
        data={
            "password": "noch-ein-passwort-1",
            "password_confirm": "noch-ein-passwort-1",
            "csrf_token": csrf_token(client),
        },
    )
    assert posted.status_code == 410
    assert _logs_in(session, member.email, NEW_PASSWORD)
    actions = session.scalars(
        select(AuditEvent.action)
        .where(AuditEvent.object_type == "staff_member", AuditEvent.object_id == member.id)
        .order_by(AuditEvent.id)
    ).all()
    assert actions[:3] == [
        "staff.password_link_issued",
        "staff.password_link_mailed",
        "staff.password_reset",
    ]


def test_the_mail_goes_to_the_outbox_when_no_server_is_set(
    app: Flask, client, make_staff, tmp_path, monkeypatch
) -> None:
    monkeypatch.setitem(app.config, "MAIL_URL", f"outbox://{tmp_path}/out")
    member = make_staff(name="Outbox Person")
    assert _forgot(client, member.email).status_code == 302
    [written] = list((tmp_path / "out").glob("*.eml"))
    raw = written.read_text()
    assert "Subject: caseflow: Passwort" in raw
    assert "Outbox" not in next(line for line in raw.splitlines() if line.startswith("Subject:"))


def test_the_link_is_built_on_base_url(app: Flask, client, make_staff, smtp_server, monkeypatch):
    monkeypatch.setitem(app.config, "BASE_URL", "https://caseflow.bqn.example")
    member = make_staff()
    _forgot(client, member.email)
    [message] = smtp_server.wait_for(1)
    assert (
        "https://caseflow.bqn.example/password/reset/" in message.get_body(("plain",)).get_content()
    )


def test_unknown_and_inactive_addresses_get_the_identical_answer_and_no_mail(
    client, make_staff, smtp_server
) -> None:
    known = make_staff()
    inactive = make_staff(is_active=False)
    answers = []
    for email in ("niemand@example.org", inactive.email, known.email):
        response = _forgot(client, email)
        follow = client.get(response.headers["Location"])
        # The CSRF token carries a timestamp of its own; the rest must not differ at all.
        page = CSRF_VALUE.sub('value="…"', _text(follow))
        answers.append((response.status_code, response.headers["Location"], page))
    for answer in answers[1:]:
        assert answer[:2] == answers[0][:2]
        difference = "\n".join(
            difflib.unified_diff(answers[0][2].splitlines(), answer[2].splitlines(), lineterm="")
        )
        assert not difference, difference
    [message] = smtp_server.wait_for(1)
    assert message.envelope_rcpt == [known.email]
    assert len(smtp_server.messages) == 1


def test_forgot_form_needs_an_address(client) -> None:
    response = client.post(
        "/password/forgot", data={"email": "", "csrf_token": csrf_token(client, "/password/forgot")}
    )
    assert response.status_code == 422
    assert "Bitte geben Sie Ihre E-Mail-Adresse ein." in _text(response)


# --- validity ------------------------------------------------------------------------------------


def test_the_link_expires_after_24_hours(client, make_staff, session) -> None:
    member = make_staff()
    token = _issue(session, member)
    with clock.frozen(NOW + timedelta(hours=24) - timedelta(seconds=1)):
        assert client.get(f"/password/reset/{token}").status_code == 200
    with clock.frozen(NOW + timedelta(hours=24)):
        response = client.get(f"/password/reset/{token}")
        assert response.status_code == 410
        assert "abgelaufen" in _text(response)
        assert check_token(session, token, now=clock.now()).state is TokenState.EXPIRED
        with pytest.raises(ResetRefused, match="abgelaufen"):
            consume_token(session, token, NEW_PASSWORD, min_length=12, now=clock.now())
    assert _logs_in(session, member.email, TEST_PASSWORD)


def test_a_new_link_replaces_the_older_one(session, make_staff) -> None:
    member = make_staff()
    first = _issue(session, member)
    second = _issue(session, member, now=NOW + timedelta(minutes=5))
    later = NOW + timedelta(minutes=6)
    assert check_token(session, first, now=later).state is TokenState.EXPIRED
    assert check_token(session, second, now=later).is_valid
    # Another person's link is untouched.
    other = make_staff()
    theirs = _issue(session, other)
    _issue(session, member, now=later)
    assert check_token(session, theirs, now=later).is_valid


def test_a_deactivated_person_s_link_stops_working(session, make_staff) -> None:
    member = make_staff()
    token = _issue(session, member)
    member.is_active = False
    session.flush()
    assert valid_token(session, token, now=NOW) is None


@pytest.mark.parametrize(
    "token", ["unbekannt", "a" * 43, "x" * 5000, "%C3%A4%00", "..", "%3Cscript%3E"]
)
def test_unknown_links_get_a_german_404_page(client, token) -> None:
    response = client.get(f"/password/reset/{token}")
    assert response.status_code == 404
    page = _text(response)
    assert "Dieser Link ist ungültig" in page
    assert 'href="/password/forgot"' in page
    assert client.post(f"/password/reset/{token}", data={}).status_code in (400, 404)


def test_link_pages_are_never_cached_or_sent_on(client, make_staff, session) -> None:
    token = _issue(session, make_staff())
    response = client.get(f"/password/reset/{token}")
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "no-store" in response.headers["Cache-Control"]


# --- the new password ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("password", "again", "message"),
    [
        ("kurz", "kurz", "mindestens 12 Zeichen"),
        ("passwort1234", "passwort1234", "zu leicht zu erraten"),
        (NEW_PASSWORD, NEW_PASSWORD + "x", "stimmen nicht überein"),
        ("", "", "Bitte geben Sie ein neues Passwort ein."),
    ],
)
def test_a_refused_password_keeps_the_link(client, make_staff, session, password, again, message):
    member = make_staff()
    token = _issue(session, member)
    response = _set_password(client, token, password, again)
    assert response.status_code == 422
    assert message in _text(response)
    assert check_token(session, token, now=NOW).is_valid
    assert _logs_in(session, member.email, TEST_PASSWORD)


def test_the_password_may_not_be_the_email_address(session, make_staff) -> None:
    member = make_staff(email="lang.genug@example.org")
    token = _issue(session, member)
    with pytest.raises(ResetRefused, match="E-Mail-Adresse"):
        consume_token(session, token, "Lang.Genug@example.org", min_length=12, now=NOW)


def test_a_new_password_ends_every_session_of_that_person(client, make_staff, session) -> None:
    member = make_staff()
    other = make_staff()
    for _ in range(2):
        sessions.start_session(session, member, now=NOW - timedelta(hours=1))
    theirs = sessions.start_session(session, other, now=NOW - timedelta(hours=1))
    token = _issue(session, member)

    assert _set_password(client, token, NEW_PASSWORD).status_code == 302

    session.expire_all()
    rows = session.scalars(
        select(LoginSession).where(LoginSession.staff_member_id == member.id)
    ).all()
    assert len(rows) == 2
    assert all(row.ended_at == NOW and row.end_reason == sessions.PASSWORD for row in rows)
    still_open = session.scalar(
        select(LoginSession).where(LoginSession.token_hash == sessions.hash_token(theirs))
    )
    assert still_open.ended_at is None
    event = session.scalar(
        select(AuditEvent).where(
            AuditEvent.action == "staff.password_reset", AuditEvent.object_id == member.id
        )
    )
    assert event.actor_id == member.id
    assert event.changes == {"sessions_ended": 2}


def test_a_signed_in_browser_of_that_person_is_signed_out(client, make_staff, session) -> None:
    member = make_staff()
    assert login(client, member.email).status_code == 302
    assert client.get("/dashboard").status_code == 200
    other_browser = client.application.test_client()
    token = _issue(session, member)
    assert _set_password(other_browser, token, NEW_PASSWORD).status_code == 302
    assert client.get("/dashboard").status_code == 302


def test_a_second_use_of_a_consumed_token_fails(session, make_staff) -> None:
    member = make_staff()
    token = _issue(session, member)
    consume_token(session, token, NEW_PASSWORD, min_length=12, now=NOW)
    with pytest.raises(ResetRefused, match="schon benutzt"):
        consume_token(session, token, "ein-anderes-passwort", min_length=12, now=NOW)
    assert _logs_in(session, member.email, NEW_PASSWORD)


# --- rate limits ---------------------------------------------------------------------------------


def test_requests_for_one_account_are_throttled(client, make_staff, smtp_server) -> None:
    member = make_staff()
    for number in range(3):  # PASSWORD_RESET_RATE_LIMIT_ACCOUNT: 3 per hour
        email = member.email.upper() if number % 2 else member.email
        assert _forgot(client, email).status_code == 302
    response = _forgot(client, f" {member.email} ")
    assert response.status_code == 429
    page = _text(response)
    assert "Zu viele Versuche" in page
    assert int(response.headers["Retry-After"]) > 0
    assert len(smtp_server.wait_for(3)) == 3
    # Another address from the same browser still gets through.
    assert _forgot(client, make_staff().email).status_code == 302


def test_requests_from_one_address_are_throttled(app: Flask, client, monkeypatch) -> None:
    monkeypatch.setitem(app.config, "PASSWORD_RESET_RATE_LIMIT_IP", "2 per hour")
    for number in range(2):
        assert _forgot(client, f"niemand{number}@example.org").status_code == 302
    response = _forgot(client, "niemand9@example.org")
    assert response.status_code == 429
    assert "Zu viele Versuche" in _text(response)
    # Looking at the form is not limited.
    assert client.get("/password/forgot").status_code == 200


def test_the_login_page_links_to_the_forgotten_password(client) -> None:
    page = _text(client.get("/login"))
    assert 'href="/password/forgot"' in page
    assert "Passwort vergessen?" in page


# --- two uses at once (PostgreSQL: the second waits on the first's row lock) ---------------------


@dataclass(frozen=True)
class Committed:
    member_id: int
    token: str


@pytest.fixture
def committed_token(app: Flask, session: Session) -> Iterator[Committed]:
    if db.engine.dialect.name != "postgresql":
        pytest.skip("parallel use of one link is tested on PostgreSQL")
    with Session(db.engine) as setup:
        last_event = setup.scalar(select(func.max(AuditEvent.id))) or 0
        member = factories.make_staff_member(
            setup,
            name="Parallel Person",
            role=Role.CONSULTANT,
            email="parallel@example.org",
            password_hash=hash_password(TEST_PASSWORD),
        )
        token = _issue(setup, member)
        ids = Committed(member.id, token)
        setup.commit()
    try:
        yield ids
    finally:
        with Session(db.engine) as cleanup:
            cleanup.execute(delete(AuditEvent).where(AuditEvent.id > last_event))
            cleanup.execute(
                delete(PasswordResetToken).where(
                    PasswordResetToken.staff_member_id == ids.member_id
                )
            )
            cleanup.execute(delete(StaffMember).where(StaffMember.id == ids.member_id))
            cleanup.commit()


def test_two_parallel_uses_of_one_link_succeed_once(app: Flask, committed_token) -> None:
    first, second = Session(db.engine), Session(db.engine)
    outcome: dict[str, str] = {}

    def use_as_well() -> None:
        with app.app_context():
            try:
                consume_token(
                    second, committed_token.token, "zweites-passwort-99", min_length=12, now=NOW
                )
                second.commit()
                outcome["result"] = "saved"
            except ResetRefused as error:
                second.rollback()
                outcome["result"] = str(error)

    try:
        consume_token(first, committed_token.token, NEW_PASSWORD, min_length=12, now=NOW)
        other = threading.Thread(target=use_as_well)
        other.start()
        other.join(timeout=1)
        assert other.is_alive(), "the second use should wait for the first transaction"
        first.commit()
        other.join(timeout=30)
        assert not other.is_alive()
        assert "schon benutzt" in outcome["result"]
        with Session(db.engine) as check:
            row = check.scalar(
                select(PasswordResetToken).where(
                    PasswordResetToken.token_hash == hash_token(committed_token.token)
                )
            )
            assert row.used_at == NOW
            assert authenticate(check, "parallel@example.org", NEW_PASSWORD, now=NOW) is not None
            check.rollback()
    finally:
        first.close()
        second.close()


def test_the_password_pages_are_accessible(client, make_staff, session) -> None:
    token = _issue(session, make_staff())
    for path, status in (
        ("/password/forgot", 200),
        ("/password/forgot/sent", 200),
        (f"/password/reset/{token}", 200),
        ("/password/reset/unbekannt", 404),
    ):
        response = client.get(path)
        assert response.status_code == status, path
        assert_accessible(response)
    response = _set_password(client, token, "kurz")
    assert response.status_code == 422
    assert_accessible(response)


def test_a_breached_limit_logs_no_address(app: Flask, client, caplog, monkeypatch) -> None:
    caplog.set_level(logging.INFO)
    monkeypatch.setitem(app.config, "PASSWORD_RESET_RATE_LIMIT_ACCOUNT", "1 per hour")
    _forgot(client, "geheim.person@example.org")
    assert _forgot(client, "geheim.person@example.org").status_code == 429
    assert "geheim" not in caplog.text.lower()
