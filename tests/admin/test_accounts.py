"""``/admin/`` and ``/admin/accounts/…`` (issue 7 point 1): create an account for a person of
the staff directory (who gets a link to choose a password), change the role, deactivate
(sessions, calendar feeds and links end at once) and reactivate, send a reset link; at least
one active admin always remains; every change is audited."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from caseflow import clock
from caseflow.admin.accounts import (
    AccountError,
    account_rows,
    change_role,
    create_account,
    deactivate,
    reactivate,
)
from caseflow.audit.models import AuditEvent
from caseflow.extensions import db
from caseflow.followups.calendar import issue_token as issue_calendar_token
from caseflow.followups.models import CalendarToken
from caseflow.staff import sessions
from caseflow.staff.models import LoginSession, Role, StaffMember
from caseflow.staff.resets import Purpose, TokenState, check_token, issue_token
from caseflow.staff.services import authenticate
from tests import factories
from tests.conftest import TEST_PASSWORD, csrf_token, login
from tests.pages.helpers import body_rows, table
from tests.pages.test_accessibility_structure import assert_accessible

NOW = datetime(2025, 6, 2, 8, 0, tzinfo=UTC)
LINK = re.compile(r"https?://\S+/password/reset/([A-Za-z0-9_-]+)")
NEW_PASSWORD = "mein-eigenes-passwort"
TIMEOUTS = sessions.Timeouts(idle=timedelta(hours=2), absolute=timedelta(hours=12))


@pytest.fixture(autouse=True)
def _frozen() -> Iterator[None]:
    with clock.frozen(NOW):
        yield


def _text(response) -> str:
    return response.get_data(as_text=True)


def _post(client: FlaskClient, path: str, **data: str):
    token = csrf_token(client, "/admin/")
    return client.post(path, data={"csrf_token": token, **data})


def _events(session: Session, member_id: int, action: str) -> list[AuditEvent]:
    return list(
        session.scalars(
            select(AuditEvent)
            .where(
                AuditEvent.object_type == "staff_member",
                AuditEvent.object_id == member_id,
                AuditEvent.action == action,
            )
            .order_by(AuditEvent.id)
        )
    )


def _set_password_through(client: FlaskClient, token: str, password: str):
    path = f"/password/reset/{token}"
    page = _text(client.get(path))
    csrf = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page)
    assert csrf, page
    return client.post(
        path, data={"password": password, "password_confirm": password, "csrf_token": csrf[1]}
    )


# --- the list and the account page ---------------------------------------------------------------


def test_the_list_shows_role_state_two_factor_sessions_and_last_login(
    client, logged_in, make_staff, session
) -> None:
    logged_in(Role.ADMIN, name="Mira Admin")
    lead = make_staff(Role.LEAD, name="Lea Leitung")
    lead.totp_confirmed_at = NOW - timedelta(days=3)
    lead.last_login_at = datetime(2025, 1, 15, 7, 5, tzinfo=UTC)
    sessions.start_session(session, lead, now=NOW - timedelta(minutes=5))
    sessions.start_session(session, lead, now=NOW - timedelta(minutes=10))
    # Timed out and ended sessions do not count.
    sessions.start_session(session, lead, now=NOW - timedelta(hours=13))
    ended = sessions.start_session(session, lead, now=NOW - timedelta(minutes=1))
    sessions.end_session(session, ended, now=NOW)
    make_staff(Role.CONSULTANT, name="Ben Berater", is_active=False)
    factories.make_staff_member(session, name="Ohne Login")
    session.flush()

    response = client.get("/admin/")
    assert response.status_code == 200
    assert_accessible(response)
    accounts = table(response, "Konten der Mitarbeitenden")
    assert accounts.rows[0] == [
        "Name",
        "E-Mail",
        "Rolle",
        "Aktiv",
        "Letzte Anmeldung",
        "Zwei-Faktor-Anmeldung",
        "Offene Sitzungen",
    ]
    rows = body_rows(accounts)
    assert [row[0] for row in rows] == ["Ben Berater", "Lea Leitung", "Mira Admin"]
    assert rows[0][2:] == ["Prozessbegleiter*in", "nein", "noch nie", "nicht eingerichtet", "0"]
    assert rows[1][2:] == [
        "Projektleitung",
        "ja",
        "15.01.2025, 08:05",
        "eingerichtet",
        "2",
    ]
    assert f'href="/admin/accounts/{lead.id}"' in _text(response)
    assert 'href="/admin/accounts/new"' in _text(response)


def test_the_list_is_one_statement(session, make_staff, count_queries) -> None:
    for _ in range(5):
        sessions.start_session(session, make_staff(), now=NOW)
    with count_queries() as counter:
        rows = account_rows(session, now=NOW, timeouts=TIMEOUTS)
        assert all(row.open_sessions == 1 for row in rows)
    assert counter.count == 1


def test_the_account_page_shows_the_person_and_the_actions(client, logged_in, make_staff):
    logged_in(Role.ADMIN)
    member = make_staff(Role.CONSULTANT, name="Kai Konto")
    response = client.get(f"/admin/accounts/{member.id}")
    assert response.status_code == 200
    assert_accessible(response)
    page = _text(response)
    assert "Kai Konto" in page
    for action in ("role", "deactivate", "reset"):
        assert f'action="/admin/accounts/{member.id}/{action}"' in page


def test_a_directory_person_without_login_has_a_page_too(client, logged_in, session) -> None:
    logged_in(Role.ADMIN)
    person = factories.make_staff_member(session, name="Nur Verzeichnis")
    response = client.get(f"/admin/accounts/{person.id}")
    assert response.status_code == 200
    assert "Noch kein Konto" in _text(response)
    assert client.get("/admin/accounts/999999").status_code == 404


@pytest.mark.parametrize("role", [Role.CONSULTANT, Role.LEAD])
def test_only_admins_may_change_accounts(client, logged_in, make_staff, session, role) -> None:
    logged_in(role)
    member = make_staff()
    token = csrf_token(client, "/dashboard")
    for action, data in (
        ("role", {"role": "admin"}),
        ("deactivate", {}),
        ("reactivate", {}),
        ("reset", {}),
    ):
        response = client.post(
            f"/admin/accounts/{member.id}/{action}", data={"csrf_token": token, **data}
        )
        assert response.status_code == 403, action
    assert client.get("/admin/accounts/new").status_code == 403
    session.refresh(member)
    assert member.role is Role.CONSULTANT and member.is_active


# --- creating an account -------------------------------------------------------------------------


def test_an_account_for_a_directory_person_gets_a_link_to_choose_the_password(
    client, logged_in, session, smtp_server
) -> None:
    admin = logged_in(Role.ADMIN)
    person = factories.make_staff_member(
        session, name="Selen Eriçok", email="selen@bqn.example.org"
    )
    page = client.get("/admin/accounts/new")
    assert page.status_code == 200
    assert_accessible(page)
    assert f'<option value="{person.id}">Selen Eriçok (selen@bqn.example.org)</option>' in _text(
        page
    )

    response = _post(
        client, "/admin/accounts/new", staff_member_id=str(person.id), email="", role="lead"
    )
    assert response.status_code == 302
    assert response.headers["Location"] == f"/admin/accounts/{person.id}"
    assert "Link zum Festlegen des Passworts" in _text(client.get(response.headers["Location"]))

    session.expire_all()
    assert person.role is Role.LEAD and person.is_active and person.password_hash
    [message] = smtp_server.wait_for(1)
    assert message.envelope_rcpt == ["selen@bqn.example.org"]
    assert message["Subject"] == "caseflow: Passwort festlegen"
    assert "Selen" not in message["Subject"] and "Eriçok" not in message["Subject"]
    body = message.get_body(("plain",)).get_content()
    assert "Zugang zu caseflow eingerichtet" in body
    token = LINK.search(body)[1]

    # Nobody can log in before the person has chosen a password (there is none they know).
    assert authenticate(session, "selen@bqn.example.org", TEST_PASSWORD, now=NOW) is None
    stranger = client.application.test_client()
    assert _set_password_through(stranger, token, NEW_PASSWORD).status_code == 302
    session.expire_all()
    assert authenticate(session, "selen@bqn.example.org", NEW_PASSWORD, now=NOW) is not None

    [created] = _events(session, person.id, "staff.account_created")
    assert created.actor_id == admin.id
    assert created.changes == {"role": "lead"}
    [issued] = _events(session, person.id, "staff.password_link_issued")
    assert issued.changes["purpose"] == "welcome"


def test_an_account_for_a_new_person(client, logged_in, session, smtp_server) -> None:
    logged_in(Role.ADMIN)
    response = _post(
        client,
        "/admin/accounts/new",
        staff_member_id="",
        name="  Neu   Person ",
        email="Neu.Person@Example.org",
        role="consultant",
    )
    assert response.status_code == 302
    member = session.scalar(
        select(StaffMember).where(StaffMember.email == "neu.person@example.org")
    )
    assert member.name == "Neu Person"
    assert member.role is Role.CONSULTANT
    assert smtp_server.wait_for(1)[0].envelope_rcpt == ["neu.person@example.org"]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"name": "", "email": "x@example.org"}, "Bitte wählen Sie eine Person"),
        ({"name": "Jemand", "email": "kein-at"}, "gültige E-Mail-Adresse"),
        ({"name": "Jemand", "email": ""}, "gültige E-Mail-Adresse"),
        ({"name": "Jemand", "email": "vergeben@example.org"}, "gibt es schon ein Konto"),
        ({"name": "Jemand", "email": "im-verzeichnis@example.org"}, "wählen Sie die Person"),
        ({"staff_member_id": "99999999"}, "Bitte wählen Sie eine Person aus der Liste."),
        ({"staff_member_id": "abc"}, "Bitte wählen Sie eine Person aus der Liste."),
        ({"name": "Jemand", "email": "x@example.org", "role": "boss"}, "Rolle aus der Liste"),
    ],
)
def test_bad_input_on_the_new_account_form_gets_german_messages_and_saves_nothing(
    client, logged_in, make_staff, session, smtp_server, fields, message
) -> None:
    logged_in(Role.ADMIN)
    make_staff(email="vergeben@example.org")
    factories.make_staff_member(session, name="Im Verzeichnis", email="im-verzeichnis@example.org")
    before = session.scalar(select(func.count(StaffMember.id)))
    data = {"staff_member_id": "", "role": "consultant", **fields}
    response = _post(client, "/admin/accounts/new", **data)
    assert response.status_code == 422
    assert message in _text(response)
    assert session.scalar(select(func.count(StaffMember.id))) == before
    assert smtp_server.messages == []


def test_a_directory_person_without_email_needs_one(client, logged_in, session) -> None:
    logged_in(Role.ADMIN)
    person = factories.make_staff_member(session, name="Ohne Adresse")
    response = _post(
        client, "/admin/accounts/new", staff_member_id=str(person.id), email="", role="consultant"
    )
    assert response.status_code == 422
    assert "keine E-Mail-Adresse" in _text(response)
    session.expire_all()
    assert person.password_hash is None


def test_a_person_with_an_account_cannot_get_a_second_one(session, make_staff) -> None:
    admin = make_staff(Role.ADMIN)
    member = make_staff()
    with pytest.raises(AccountError, match="hat schon ein Konto"):
        create_account(
            session,
            staff_member_id=member.id,
            name="",
            email="",
            role=Role.LEAD,
            actor=admin,
            now=NOW,
            hours=24,
        )


def test_a_failed_mail_is_reported_and_the_account_stays(
    app: Flask, client, logged_in, session, smtp_server
) -> None:
    logged_in(Role.ADMIN)
    smtp_server.reject_recipients.add("abgelehnt@example.org")
    response = _post(
        client,
        "/admin/accounts/new",
        staff_member_id="",
        name="Abgelehnte Adresse",
        email="abgelehnt@example.org",
        role="consultant",
    )
    assert response.status_code == 302
    page = _text(client.get(response.headers["Location"]))
    assert "konnte nicht gesendet werden" in page
    member = session.scalar(select(StaffMember).where(StaffMember.email == "abgelehnt@example.org"))
    assert member is not None
    assert _events(session, member.id, "staff.password_link_mail_failed")


# --- roles ---------------------------------------------------------------------------------------


def test_a_role_change_is_saved_and_audited(client, logged_in, make_staff, session) -> None:
    admin = logged_in(Role.ADMIN)
    member = make_staff(Role.CONSULTANT)
    response = _post(client, f"/admin/accounts/{member.id}/role", role="lead")
    assert response.status_code == 302
    assert "hat jetzt die Rolle „Projektleitung“" in _text(client.get(response.headers["Location"]))
    session.expire_all()
    assert member.role is Role.LEAD
    [event] = _events(session, member.id, "staff.role_changed")
    assert event.actor_id == admin.id
    assert event.changes == {"role": ["consultant", "lead"]}
    # The same role again changes and records nothing.
    _post(client, f"/admin/accounts/{member.id}/role", role="lead")
    assert len(_events(session, member.id, "staff.role_changed")) == 1


def test_an_admin_cannot_demote_themselves(client, logged_in, make_staff, session) -> None:
    admin = logged_in(Role.ADMIN)
    make_staff(Role.ADMIN)  # another admin does not make it possible either
    response = _post(client, f"/admin/accounts/{admin.id}/role", role="consultant")
    assert response.status_code == 422
    assert "nicht selbst die Administration entziehen" in _text(response)
    session.expire_all()
    assert admin.role is Role.ADMIN
    assert not _events(session, admin.id, "staff.role_changed")


def test_an_admin_cannot_deactivate_themselves(client, logged_in, session) -> None:
    admin = logged_in(Role.ADMIN)
    response = _post(client, f"/admin/accounts/{admin.id}/deactivate")
    assert response.status_code == 302
    assert "eigenes Konto nicht deaktivieren" in _text(client.get(response.headers["Location"]))
    session.expire_all()
    assert admin.is_active


def test_the_last_active_admin_cannot_be_removed(session, make_staff) -> None:
    # The actor is no admin here (a script, say): then only the target keeps the role.
    actor = make_staff(Role.LEAD)
    last = make_staff(Role.ADMIN, name="Letzte Admin")
    make_staff(Role.ADMIN, is_active=False)  # a deactivated admin does not count
    with pytest.raises(AccountError, match="letzte aktive Person mit Administrationsrechten"):
        change_role(session, last, Role.LEAD, actor=actor, now=NOW)
    with pytest.raises(AccountError, match="letzte aktive Person mit Administrationsrechten"):
        deactivate(session, last, actor=actor, now=NOW)
    assert last.role is Role.ADMIN and last.is_active
    # With a second active admin, one of them may go.
    second = make_staff(Role.ADMIN)
    assert change_role(session, last, Role.LEAD, actor=actor, now=NOW)
    with pytest.raises(AccountError, match="letzte aktive"):
        deactivate(session, second, actor=actor, now=NOW)


def test_an_admin_may_demote_another_admin(client, logged_in, make_staff, session) -> None:
    logged_in(Role.ADMIN)
    other = make_staff(Role.ADMIN)
    assert _post(client, f"/admin/accounts/{other.id}/role", role="lead").status_code == 302
    session.expire_all()
    assert other.role is Role.LEAD


# --- deactivation --------------------------------------------------------------------------------


def test_deactivation_ends_sessions_feeds_and_links_at_once(
    app: Flask, client, logged_in, make_staff, session
) -> None:
    admin = logged_in(Role.ADMIN)
    member = make_staff(Role.CONSULTANT, name="Geht Jetzt")
    other = make_staff()
    browser = app.test_client()
    assert login(browser, member.email).status_code == 302
    assert browser.get("/dashboard").status_code == 200
    sessions.start_session(session, member, now=NOW)
    theirs = sessions.start_session(session, other, now=NOW)
    issue_calendar_token(session, member, now=NOW)
    issue_calendar_token(session, other, now=NOW)
    link = issue_token(session, member, actor=admin, purpose=Purpose.ADMIN, now=NOW, hours=24)

    response = _post(client, f"/admin/accounts/{member.id}/deactivate")
    assert response.status_code == 302
    assert "ist deaktiviert" in _text(client.get(response.headers["Location"]))

    session.expire_all()
    assert not member.is_active
    rows = session.scalars(
        select(LoginSession).where(LoginSession.staff_member_id == member.id)
    ).all()
    assert len(rows) == 2
    assert all(row.ended_at == NOW and row.end_reason == sessions.DEACTIVATED for row in rows)
    assert (
        session.scalar(
            select(LoginSession.ended_at).where(
                LoginSession.token_hash == sessions.hash_token(theirs)
            )
        )
        is None
    )
    assert session.scalars(select(CalendarToken.staff_member_id)).all() == [other.id]
    assert check_token(session, link, now=NOW).state is TokenState.EXPIRED
    # The browser is signed out and the person cannot sign in again.
    assert browser.get("/dashboard").status_code == 302
    assert login(browser, member.email).status_code == 422
    [event] = _events(session, member.id, "staff.deactivated")
    assert event.actor_id == admin.id
    assert event.changes == {
        "is_active": [True, False],
        "sessions_ended": 2,
        "calendar_feeds_revoked": 1,
        "password_links_expired": 1,
    }


def test_reactivation_lets_the_person_log_in_again(client, logged_in, make_staff, session):
    admin = logged_in(Role.ADMIN)
    member = make_staff()
    deactivate(session, member, actor=admin, now=NOW)
    with pytest.raises(AccountError, match="schon deaktiviert"):
        deactivate(session, member, actor=admin, now=NOW)
    session.flush()
    response = _post(client, f"/admin/accounts/{member.id}/reactivate")
    assert response.status_code == 302
    assert "wieder aktiv" in _text(client.get(response.headers["Location"]))
    session.expire_all()
    assert member.is_active
    assert _events(session, member.id, "staff.reactivated")
    with pytest.raises(AccountError, match="schon aktiv"):
        reactivate(session, member, actor=admin, now=NOW)
    assert login(client.application.test_client(), member.email).status_code == 302


# --- reset links ---------------------------------------------------------------------------------


def test_an_admin_sends_a_reset_link_and_older_ones_stop_working(
    client, logged_in, make_staff, session, smtp_server
) -> None:
    admin = logged_in(Role.ADMIN)
    member = make_staff(name="Vergesslich Person")
    member.last_login_at = NOW - timedelta(days=1)
    older = issue_token(session, member, actor=None, purpose=Purpose.FORGOTTEN, now=NOW, hours=24)
    session.flush()
    response = _post(client, f"/admin/accounts/{member.id}/reset")
    assert response.status_code == 302
    assert "ist an" in _text(client.get(response.headers["Location"]))
    [message] = smtp_server.wait_for(1)
    assert message["Subject"] == "caseflow: Passwort zurücksetzen"
    assert "Vergesslich" not in message["Subject"]
    body = message.get_body(("plain",)).get_content()
    assert "Administration von caseflow" in body
    token = LINK.search(body)[1]
    assert check_token(session, older, now=NOW).state is TokenState.EXPIRED
    assert check_token(session, token, now=NOW).is_valid
    [issued] = _events(session, member.id, "staff.password_link_issued")[1:]
    assert issued.actor_id == admin.id
    assert issued.changes == {"purpose": "admin", "valid_hours": 24}


def test_no_reset_link_for_a_deactivated_account(client, logged_in, make_staff, smtp_server):
    logged_in(Role.ADMIN)
    member = make_staff(is_active=False)
    response = _post(client, f"/admin/accounts/{member.id}/reset")
    assert response.status_code == 302
    assert "Das Konto ist deaktiviert" in _text(client.get(response.headers["Location"]))
    assert smtp_server.messages == []


# --- two admins removing each other at once (PostgreSQL row locks) -------------------------------


@pytest.fixture
def two_admins(app: Flask, session: Session) -> Iterator[tuple[int, int]]:
    if db.engine.dialect.name != "postgresql":
        pytest.skip("parallel role changes are tested on PostgreSQL")
    with Session(db.engine) as setup:
        last_event = setup.scalar(select(func.max(AuditEvent.id))) or 0
        # Only these two are admins while the test runs (the test database has no others).
        assert setup.scalar(select(func.count()).where(StaffMember.role == Role.ADMIN)) == 0
        first = factories.make_staff_member(setup, name="Admin Eins", role=Role.ADMIN)
        second = factories.make_staff_member(setup, name="Admin Zwei", role=Role.ADMIN)
        ids = (first.id, second.id)
        setup.commit()
    try:
        yield ids
    finally:
        with Session(db.engine) as cleanup:
            cleanup.execute(delete(AuditEvent).where(AuditEvent.id > last_event))
            cleanup.execute(delete(StaffMember).where(StaffMember.id.in_(ids)))
            cleanup.commit()


def test_two_admins_demoting_each_other_at_once_leave_one_admin(app: Flask, two_admins) -> None:
    one_id, two_id = two_admins
    first, second = Session(db.engine), Session(db.engine)
    outcome: dict[str, str] = {}

    def demote_the_other() -> None:
        with app.app_context():
            try:
                change_role(
                    second,
                    second.get(StaffMember, one_id),
                    Role.LEAD,
                    actor=second.get(StaffMember, two_id),
                    now=NOW,
                )
                second.commit()
                outcome["result"] = "saved"
            except AccountError as error:
                second.rollback()
                outcome["result"] = str(error)

    try:
        change_role(
            first,
            first.get(StaffMember, two_id),
            Role.LEAD,
            actor=first.get(StaffMember, one_id),
            now=NOW,
        )
        other = threading.Thread(target=demote_the_other)
        other.start()
        other.join(timeout=1)
        assert other.is_alive(), "the second change should wait for the first transaction"
        first.commit()
        other.join(timeout=30)
        assert not other.is_alive()
        assert "letzte aktive Person" in outcome["result"]
        with Session(db.engine) as check:
            roles = check.scalars(
                select(StaffMember.role).where(StaffMember.id.in_(two_admins))
            ).all()
            assert sorted(roles) == sorted([Role.ADMIN, Role.LEAD])
    finally:
        first.close()
        second.close()


def test_an_admin_resets_a_lost_second_factor_and_ends_the_sessions(
    app, client, session, make_staff
) -> None:
    admin = make_staff(Role.ADMIN)
    lead = make_staff(Role.LEAD)
    lead.totp_secret = pyotp.random_base32()
    lead.totp_confirmed_at = clock.now()
    session.flush()
    sessions.start_session(session, lead, now=clock.now())
    login(client, admin.email)
    token = csrf_token(client, f"/admin/accounts/{lead.id}")
    response = client.post(
        f"/admin/accounts/{lead.id}/two-factor/reset", data={"csrf_token": token}
    )
    assert response.status_code == 302
    session.refresh(lead)
    assert lead.totp_secret is None and lead.totp_confirmed_at is None
    rows = session.scalars(select(LoginSession).where(LoginSession.staff_member_id == lead.id))
    assert all(row.ended_at is not None for row in rows)
    assert (
        session.scalar(
            select(AuditEvent).where(
                AuditEvent.action == "staff.two_factor_disabled", AuditEvent.object_id == lead.id
            )
        ).actor_id
        == admin.id
    )


def test_an_admin_ends_a_persons_sessions_without_deactivating(
    app, client, session, make_staff
) -> None:
    admin, consultant = make_staff(Role.ADMIN), make_staff(Role.CONSULTANT)
    laptop = app.test_client()
    login(laptop, consultant.email)
    assert laptop.get("/dashboard").status_code == 200
    login(client, admin.email)
    token = csrf_token(client, f"/admin/accounts/{consultant.id}")
    client.post(f"/admin/accounts/{consultant.id}/sessions/end", data={"csrf_token": token})
    assert laptop.get("/dashboard").status_code == 302
    session.refresh(consultant)
    assert consultant.is_active
    assert login(laptop, consultant.email).status_code == 302
