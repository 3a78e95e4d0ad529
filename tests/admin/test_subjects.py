"""Data subject requests at /admin/data-protection: search, export (JSON and page), rectify,
restrict (no more applicant mails), erase (anonymised in place, what the funder needs
stays) — each audited, admins only, unknown ids 404, a second erasure harmless."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import select

from caseflow import clock
from caseflow.audit.models import AuditEvent
from caseflow.audit.services import origin, record
from caseflow.intake.models import Application, ApplicationStatus
from caseflow.intake.services.mailing import send_applicant_mail
from caseflow.intake.services.retention import PLACEHOLDER
from caseflow.intake.tokens import issue_token
from caseflow.organisations.models import ContactPerson
from caseflow.staff.models import Role
from tests import factories
from tests.conftest import csrf_token
from tests.pages.helpers import page_text

TODAY = date(2025, 3, 10)
APPLICANT_IP = "203.0.113.77"
STAFF_IP = "198.51.100.5"


@pytest.fixture(autouse=True)
def _frozen_today():
    with clock.frozen(TODAY):
        yield


@pytest.fixture
def lead_member(session):
    return factories.make_staff_member(session, name="Lea Leitung", role=Role.LEAD)


@pytest.fixture
def accepted(session, lead_member):
    """An accepted application whose applicant also became the organisation's contact."""
    application = factories.make_application(
        session,
        status=ApplicationStatus.ANGENOMMEN,
        decided_by=lead_member,
        contact_name="Dilek Yılmaz",
        contact_role="Teamleitung",
        contact_email="Dilek.Yilmaz@ba-fk.example.org",
        contact_phone="030 90298-4711",
        address="Frankfurter Allee 35\n10247 Berlin",
        motivation="Wir wollen Zugangsbarrieren abbauen, sagt Frau Yılmaz.",
        steering_group="Frau Yılmaz und zwei Kolleg*innen",
        decision_note="Gespräch mit Frau Yılmaz war gut",
        staff_size=250,
    )
    factories.make_review(session, application, lead_member, comment="Frau Yılmaz überzeugt")
    contact = factories.make_contact(
        session,
        application.engagement.organisation,
        name="Dilek Yılmaz",
        email="dilek.yilmaz@ba-fk.example.org",
        role="Teamleitung",
        phone="030 90298-4711",
        notes="Erreichbar dienstags",
        is_primary=True,
    )
    with origin(APPLICANT_IP):
        record(
            session,
            actor=None,
            action="application.submitted",
            object_type="application",
            object_id=application.id,
            changes={"reference": application.reference},
        )
    with origin(STAFF_IP):
        record(
            session,
            actor=lead_member,
            action="application.accepted",
            object_type="application",
            object_id=application.id,
            changes={"status": ["vorgespraech", "angenommen"], "lead": lead_member.name},
        )
        record(
            session,
            actor=lead_member,
            action="organisation.contact_created",
            object_type="organisation",
            object_id=contact.organisation_id,
            changes={"contact": contact.id, "fields": ["name", "email"]},
        )
    session.flush()
    return application, contact


@pytest.fixture
def admin(logged_in):
    return logged_in(Role.ADMIN)


def _post(client, path, data=None, form_page="/admin/data-protection"):
    payload = {"csrf_token": csrf_token(client, form_page), **(data or {})}
    return client.post(path, data=payload)


def _events(session, action):
    return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def _contact_url(contact, suffix=""):
    return f"/admin/data-protection/contact/{contact.id}{suffix}"


def _application_url(application, suffix=""):
    return f"/admin/data-protection/application/{application.id}{suffix}"


# --- access ------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.CONSULTANT, Role.LEAD])
def test_staff_below_admin_get_403(client, session, logged_in, accepted, role):
    application, contact = accepted
    logged_in(role)
    for url in (
        "/admin/data-protection?q=Dilek",
        _contact_url(contact),
        _contact_url(contact, ".json"),
        _application_url(application, "/export"),
    ):
        assert client.get(url).status_code == 403, url
    token = csrf_token(client, "/dashboard")
    for url in (_contact_url(contact, "/erase"), _application_url(application, "/restrict")):
        response = client.post(url, data={"csrf_token": token, "confirm": "y"})
        assert response.status_code == 403, url
    session.expire_all()
    assert contact.anonymised_at is None and not application.is_restricted
    assert _events(session, "subject.exported") == []


def test_unknown_ids_answer_404(client, admin):
    token = csrf_token(client, "/admin/data-protection")
    for kind in ("contact", "application"):
        base = f"/admin/data-protection/{kind}/999999"
        for suffix in ("", ".json", "/export"):
            assert client.get(base + suffix).status_code == 404, base + suffix
        for suffix in ("/rectify", "/restrict", "/unrestrict", "/erase"):
            response = client.post(base + suffix, data={"csrf_token": token, "confirm": "y"})
            assert response.status_code == 404, base + suffix


# --- search ------------------------------------------------------------------------------------


def test_search_groups_an_applicant_and_a_contact_with_the_same_email(
    client, session, admin, accepted
):
    application, contact = accepted
    other = factories.make_contact(
        session, contact.organisation, name="Dilek Andere", email="andere@amt.example.org"
    )
    response = client.get("/admin/data-protection?q=YILMAZ@ba-fk")
    assert response.status_code == 200
    text = page_text(response)
    assert "1 Person gefunden" in text
    assert "2 Datensätze" in text
    html = response.get_data(as_text=True)
    assert _contact_url(contact) in html and _application_url(application) in html
    assert "Dilek Andere" not in text

    # Case ignored also beyond ASCII; two people with "Dilek": two results.
    text = page_text(client.get("/admin/data-protection?q=dilek yılmaz"))
    assert "1 Person gefunden" in text
    text = page_text(client.get("/admin/data-protection?q=DILEK"))
    assert "2 Personen gefunden" in text and "Dilek Andere" in text
    # By reference, too.
    assert "1 Person gefunden" in page_text(
        client.get(f"/admin/data-protection?q={application.reference.lower()}")
    )
    assert other.id


def test_search_refuses_a_too_short_term(client, admin):
    response = client.get("/admin/data-protection?q=+a+")
    assert response.status_code == 422
    assert "mindestens 2 Zeichen" in page_text(response)
    # Without a term: the empty form.
    assert client.get("/admin/data-protection").status_code == 200


# --- export ------------------------------------------------------------------------------------


def test_json_export_of_an_application(client, session, admin, accepted, lead_member):
    application, _contact = accepted
    response = client.get(_application_url(application, ".json"))
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.headers["Content-Disposition"].startswith("attachment; filename=")
    assert response.headers["Cache-Control"] == "no-store"
    data = json.loads(response.get_data(as_text=True))

    assert data["subject"] == {"kind": "application", "id": application.id}
    held = data["record"]
    assert held["contact_name"] == "Dilek Yılmaz"
    assert held["contact_phone"] == "030 90298-4711"
    assert held["address"] == "Frankfurter Allee 35\n10247 Berlin"
    assert held["reference"] == application.reference
    assert held["status"] == "angenommen"
    assert "status_token_hash" not in held and "status_token_salt" not in held
    assert "decided_by_id" not in held
    assert data["organisation"]["name"] == application.engagement.organisation.name
    assert data["round"]["name"] == application.round.name
    [review] = data["reviews"]
    assert review["comment"] == "Frau Yılmaz überzeugt"
    assert review["score_leadership"] == 4 and "reviewer_id" not in review

    by_action = {event["action"]: event for event in data["audit_events"]}
    assert by_action["application.submitted"]["ip_address"] == APPLICANT_IP
    accepted_event = by_action["application.accepted"]
    assert accepted_event["by"] == "staff" and accepted_event["ip_address"] is None
    assert "lead" not in accepted_event["changes"]
    # No other person's data anywhere: not the staff member's name or address.
    body = response.get_data(as_text=True)
    assert lead_member.name not in body and STAFF_IP not in body

    [event] = _events(session, "subject.exported")
    assert (event.object_type, event.object_id, event.changes) == (
        "application",
        application.id,
        {"format": "json"},
    )


def test_json_export_of_a_contact(client, session, admin, accepted):
    _application, contact = accepted
    factories.make_contact(session, contact.organisation, name="Mara Andere")
    data = client.get(_contact_url(contact, ".json")).get_json()
    assert data["record"]["name"] == "Dilek Yılmaz"
    assert data["record"]["notes"] == "Erreichbar dienstags"
    assert data["record"]["is_primary"] is True
    assert data["organisation"] == {
        "id": contact.organisation_id,
        "name": contact.organisation.name,
    }
    assert [event["action"] for event in data["audit_events"]] == ["organisation.contact_created"]
    assert "Mara Andere" not in json.dumps(data, ensure_ascii=False)
    [event] = _events(session, "subject.exported")
    assert (event.object_type, event.object_id) == ("contact_person", contact.id)


def test_readable_export_page(client, session, admin, accepted):
    application, _contact = accepted
    response = client.get(_application_url(application, "/export"))
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    text = page_text(response)
    for shown in (
        "Datenauskunft nach Art. 15 DSGVO",
        "Dilek Yılmaz",
        "030 90298-4711",
        "Frau Yılmaz überzeugt",
        APPLICANT_IP,
        application.reference,
    ):
        assert shown in text, shown
    assert STAFF_IP not in text
    [event] = _events(session, "subject.exported")
    assert event.changes == {"format": "html"}


def test_detail_page_shows_what_is_held_and_the_actions(client, admin, accepted):
    application, contact = accepted
    text = page_text(client.get(_contact_url(contact)))
    assert "Dilek Yılmaz" in text and "Erreichbar dienstags" in text
    for action in ("Berichtigen", "Verarbeitung einschränken", "Endgültig anonymisieren"):
        assert action in text
    assert client.get(_application_url(application)).status_code == 200


# --- rectification -----------------------------------------------------------------------------


def test_rectify_a_contact(client, session, admin, accepted):
    _application, contact = accepted
    response = _post(
        client,
        _contact_url(contact, "/rectify"),
        {"name": "Dilek Yılmaz-Berg", "role": "Teamleitung", "email": "", "phone": "030 1"},
        form_page=_contact_url(contact),
    )
    assert response.status_code == 302
    session.expire_all()
    assert (contact.name, contact.email, contact.phone) == ("Dilek Yılmaz-Berg", None, "030 1")
    assert contact.is_primary  # unchanged
    [event] = _events(session, "subject.rectified")
    assert event.changes == {"fields": ["email", "name", "phone"]}
    assert "Yılmaz" not in json.dumps(event.changes, ensure_ascii=False)
    assert _events(session, "organisation.contact_updated")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "", "email": "a@amt.de"}, "Bitte geben Sie den Namen der Ansprechperson an."),
        ({"name": "X", "email": "keine-adresse"}, "gültige E-Mail-Adresse"),
        ({"name": "X" * 201, "email": "a@amt.de"}, "höchstens 200 Zeichen"),
        ({"name": "X", "email": ""}, "Bitte geben Sie die E-Mail-Adresse der Ansprechperson an."),
    ],
)
def test_rectify_an_application_refuses_bad_input(client, session, admin, accepted, data, message):
    application, _contact = accepted
    version = application.version
    response = _post(
        client,
        _application_url(application, "/rectify"),
        {"shown": str(version), **data},
        form_page=_application_url(application),
    )
    assert response.status_code == 422
    assert message in page_text(response)
    session.expire_all()
    assert application.contact_name == "Dilek Yılmaz" and application.version == version
    assert _events(session, "subject.rectified") == []


def test_rectify_an_application(client, session, admin, accepted):
    application, _contact = accepted
    url = _application_url(application, "/rectify")
    data = {
        "shown": str(application.version),
        "name": "Dilek Yılmaz",
        "role": "",
        "email": "d.yilmaz@ba-fk.example.org",
        "phone": "030 90298-4711",
    }
    assert _post(client, url, data, form_page=_application_url(application)).status_code == 302
    session.expire_all()
    assert application.contact_email == "d.yilmaz@ba-fk.example.org"
    assert application.contact_role is None
    [event] = _events(session, "subject.rectified")
    assert event.changes == {"fields": ["contact_email", "contact_role"]}
    # The same form again is stale: the application changed since it was shown.
    response = _post(
        client, url, {**data, "name": "Anders"}, form_page=_application_url(application)
    )
    assert response.status_code == 302
    session.expire_all()
    assert application.contact_name == "Dilek Yılmaz"


# --- restriction -------------------------------------------------------------------------------


def test_restricted_application_gets_no_mail(client, app, session, admin, accepted, smtp_server):
    application, _contact = accepted
    response = _post(client, _application_url(application, "/restrict"))
    assert response.status_code == 302
    session.expire_all()
    assert application.is_restricted
    [event] = _events(session, "subject.restricted")
    assert (event.object_type, event.object_id) == ("application", application.id)

    sent = send_applicant_mail(
        session, application, "angenommen", secret=app.config["SECRET_KEY"], actor=None
    )
    assert sent is False
    [skipped] = _events(session, "application.mail_skipped")
    assert skipped.changes == {"kind": "angenommen", "reason": "restricted"}
    # The status page keeps working.
    token = issue_token(application, app.config["SECRET_KEY"])
    session.flush()
    assert client.get(f"/apply/status/{token}").status_code == 200

    # Lifted: mails go out again.
    assert _post(client, _application_url(application, "/unrestrict")).status_code == 302
    session.expire_all()
    assert not application.is_restricted
    assert _events(session, "subject.restriction_lifted")
    assert send_applicant_mail(
        session, application, "angenommen", secret=app.config["SECRET_KEY"], actor=None
    )
    [message] = smtp_server.wait_for(1)
    assert message["To"] == application.contact_email


def test_withdrawal_of_a_restricted_application_sends_no_mail(client, app, session, smtp_server):
    application = factories.make_application(session, is_restricted=True)
    token = issue_token(application, app.config["SECRET_KEY"])
    session.flush()
    path = f"/apply/status/{token}/withdraw"
    response = client.post(path, data={"csrf_token": csrf_token(client, path)})
    assert response.status_code == 302
    session.expire_all()
    assert application.status is ApplicationStatus.ZURUECKGEZOGEN
    assert smtp_server.messages == []
    assert _events(session, "application.mail_skipped")


def test_restricting_twice_is_harmless_and_a_restricted_contact_is_admins_only(
    client, session, admin, accepted, logged_in
):
    _application, contact = accepted
    assert _post(client, _contact_url(contact, "/restrict")).status_code == 302
    response = _post(client, _contact_url(contact, "/restrict"))
    assert response.status_code == 302
    assert "bereits eingeschränkt" in page_text(client.get(response.headers["Location"]))
    assert len(_events(session, "subject.restricted")) == 1
    session.expire_all()
    assert contact.is_restricted


# --- erasure -----------------------------------------------------------------------------------


def test_erasure_needs_the_confirmation(client, session, admin, accepted):
    _application, contact = accepted
    response = _post(client, _contact_url(contact, "/erase"), form_page=_contact_url(contact))
    assert response.status_code == 422
    assert "Bitte bestätigen Sie" in page_text(response)
    session.expire_all()
    assert contact.anonymised_at is None and contact.name == "Dilek Yılmaz"


def test_erase_a_contact_in_place(client, session, admin, accepted):
    application, contact = accepted
    organisation_id, engagement_id = contact.organisation_id, application.engagement_id
    url = _contact_url(contact, "/erase")
    response = _post(client, url, {"confirm": "y"}, form_page=_contact_url(contact))
    assert response.status_code == 302
    session.expire_all()
    contact = session.get(ContactPerson, contact.id)
    assert contact.name == PLACEHOLDER
    assert (contact.role, contact.email, contact.phone, contact.notes) == (None,) * 4
    assert contact.anonymised_at is not None
    assert contact.organisation_id == organisation_id and contact.is_primary
    assert application.engagement_id == engagement_id
    [event] = _events(session, "subject.erased")
    assert (event.object_type, event.object_id, event.changes) == (
        "contact_person",
        contact.id,
        {"kind": "contact"},
    )
    # Twice: harmless, with a note; nothing else changes, nothing else is recorded.
    response = _post(client, url, {"confirm": "y"}, form_page=_contact_url(contact))
    assert response.status_code == 302
    assert "bereits anonymisiert" in page_text(client.get(response.headers["Location"]))
    assert len(_events(session, "subject.erased")) == 1
    # Nothing to rectify or restrict any more.
    response = _post(client, _contact_url(contact, "/restrict"))
    assert "anonymisiert" in page_text(client.get(response.headers["Location"]))
    session.expire_all()
    assert not contact.is_restricted


def test_erase_an_application_keeps_what_the_funder_needs(client, app, session, admin, accepted):
    application, _contact = accepted
    token = issue_token(application, app.config["SECRET_KEY"])
    session.flush()
    kept = {
        column: getattr(application, column)
        for column in (
            "reference",
            "round_id",
            "organisation_id",
            "engagement_id",
            "organisation_name",
            "sector",
            "subtype",
            "district",
            "staff_size",
            "status",
            "submitted_at",
            "decided_at",
            "desired_start",
            "desired_duration_months",
            "has_leadership_support",
            "decided_by_id",
        )
    }
    url = _application_url(application, "/erase")
    response = _post(client, url, {"confirm": "y"}, form_page=_application_url(application))
    assert response.status_code == 302
    session.expire_all()
    application = session.get(Application, application.id)
    assert {column: getattr(application, column) for column in kept} == kept
    assert application.contact_name == PLACEHOLDER == application.contact_email
    assert application.contact_phone is None and application.address is None
    assert application.motivation == PLACEHOLDER
    assert application.steering_group is None and application.decision_note is None
    assert [review.comment for review in application.reviews] == [None]
    assert [review.score_leadership for review in application.reviews] == [4]
    events = session.scalars(
        select(AuditEvent).where(
            AuditEvent.object_type == "application", AuditEvent.object_id == application.id
        )
    ).all()
    assert all(event.ip_address is None for event in events if event.action != "subject.erased")
    [erased] = [event for event in events if event.action == "subject.erased"]
    assert erased.changes == {"kind": "application"}
    assert client.get(f"/apply/status/{token}").status_code == 404
    # The engagement and organisation are untouched; the staff pages still open.
    assert client.get(_application_url(application)).status_code == 200
    assert client.get(_application_url(application, ".json")).status_code == 200
    # A second erasure is harmless.
    response = _post(client, url, {"confirm": "y"}, form_page=_application_url(application))
    assert "bereits anonymisiert" in page_text(client.get(response.headers["Location"]))
    assert len(_events(session, "subject.erased")) == 1


def test_mentions_in_the_teams_notes_are_exported_and_replaced(client, session, admin, accepted):
    application, contact = accepted
    engagement = application.engagement
    activity = factories.make_activity(
        session, engagement, note="Telefonat mit DILEK YILMAZ zur Steuerungsgruppe."
    )
    engagement.notes = "Ansprechperson: dilek.yilmaz@ba-fk.example.org"
    other = factories.make_activity(session, engagement, note="Workshop mit Frau Andere")
    session.flush()

    data = client.get(_contact_url(contact, ".json")).get_json()
    assert {(item["table"], item["id"], item["column"]) for item in data["mentions"]} == {
        ("activity", activity.id, "note"),
        ("engagement", engagement.id, "notes"),
    }
    page = page_text(client.get(_contact_url(contact, "/export")))
    assert "Telefonat mit DILEK YILMAZ zur Steuerungsgruppe." in page
    assert "Frau Andere" not in page

    response = _post(
        client, _contact_url(contact, "/erase"), {"confirm": "y"}, form_page=_contact_url(contact)
    )
    assert response.status_code == 302
    session.expire_all()
    assert activity.note == f"Telefonat mit {PLACEHOLDER} zur Steuerungsgruppe."
    assert engagement.notes == f"Ansprechperson: {PLACEHOLDER}"
    assert other.note == "Workshop mit Frau Andere"
    [event] = _events(session, "subject.erased")
    assert event.changes["mentions"] == [
        {"table": "engagement", "id": engagement.id, "column": "notes"},
        {"table": "activity", "id": activity.id, "column": "note"},
    ]
    # The application of the same person keeps its own data until it is erased itself.
    assert application.contact_name == "Dilek Yılmaz"
