"""/organisations and /organisations/<id>."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import select

from caseflow import clock
from caseflow.audit.models import AuditEvent
from caseflow.engagements.models import EngagementStatus
from caseflow.intake.models import ApplicationStatus
from caseflow.organisations.choices import District, Sector
from caseflow.staff.models import Role
from tests import factories
from tests.conftest import CSRF_PATTERN, csrf_token, login
from tests.pages.helpers import body_rows, page_text, table
from tests.pages.test_accessibility_structure import assert_accessible


def test_list_shows_sector_subtype_district_and_counts(client, session, logged_in):
    me = logged_in(Role.CONSULTANT)
    klinik = factories.make_organisation(
        session,
        name="Klinikum Ost",
        sector=Sector.GESUNDHEIT,
        subtype="krankenhaus",
        district=District.LICHTENBERG,
    )
    amt = factories.make_organisation(
        session,
        name="Bürgeramt Spandau",
        sector=Sector.BUERGERDIENST,
        subtype="buergeramt",
        district=District.SPANDAU,
    )
    for _ in range(3):
        factories.make_contact(session, klinik)
    factories.make_engagement(
        session,
        lead=me,
        organisation=klinik,
        start=date(2024, 5, 1),
        end=date(2024, 12, 31),
        status=EngagementStatus.ABGESCHLOSSEN,
    )
    factories.make_engagement(session, lead=me, organisation=klinik)
    response = client.get("/organisations")
    assert response.status_code == 200
    organisations = table(response, "Alle Organisationen")
    assert organisations.rows[0] == [
        "Name",
        "Bereich",
        "Art",
        "Bezirk",
        "Ansprechpersonen",
        "Prozessbegleitungen",
    ]
    assert body_rows(organisations) == [
        ["Bürgeramt Spandau", "Bürger*innendienste", "Bürgeramt", "Spandau", "0", "0"],
        ["Klinikum Ost", "Gesundheitsversorgung", "Krankenhaus", "Lichtenberg", "3", "2"],
    ]
    html = response.get_data(as_text=True)
    assert f'href="/organisations/{amt.id}"' in html


def test_empty_list(client, logged_in):
    logged_in(Role.CONSULTANT)
    assert "Es sind noch keine Organisationen erfasst." in page_text(client.get("/organisations"))


def test_organisation_page_shows_facts_contacts_engagements_and_applications(
    client, session, logged_in
):
    lead = logged_in(Role.LEAD, name="Lea Leitung")
    organisation = factories.make_organisation(
        session,
        name="Familienzentrum Wedding",
        sector=Sector.KINDER_FAMILIE,
        subtype="familienzentrum",
        district=District.MITTE,
        address="Müllerstraße 1, 13353 Berlin",
        website="https://fz-wedding.example.org",
        staff_size=12,
    )
    factories.make_contact(
        session,
        organisation,
        name="Selin Kaya",
        role="Leitung",
        email="kaya@fz-wedding.example.org",
        phone="030 555 12",
        is_primary=True,
    )
    factories.make_contact(session, organisation, name="Anna Albrecht", email=None)
    engagement = factories.make_engagement(
        session,
        lead=lead,
        organisation=organisation,
        start=date(2025, 4, 1),
        end=date(2026, 3, 31),
        status=EngagementStatus.AKTIV,
    )
    application = factories.make_application(
        session,
        status=ApplicationStatus.ANGENOMMEN,
        decided_by=lead,
        engagement=engagement,
    )
    other = factories.make_application(session)  # not linked to this organisation
    with clock.frozen(date(2025, 3, 10)):  # before the engagement starts: no current phase
        response = client.get(f"/organisations/{organisation.id}")
    assert response.status_code == 200
    text = page_text(response)
    for fact in (
        "Familienzentrum Wedding",
        "Bereich Soziale Dienste für Kinder und Familie",
        "Art Familienzentrum",
        "Bezirk Mitte",
        "Adresse Müllerstraße 1, 13353 Berlin",
        "Website https://fz-wedding.example.org",
        "Zahl der Mitarbeitenden 12",
    ):
        assert fact in text, fact
    assert body_rows(table(response, "Ansprechpersonen dieser Organisation")) == [
        ["Anna Albrecht", "–", "–", "–", "Bearbeiten: Anna Albrecht"],
        [
            "Selin Kaya (Hauptansprechperson)",
            "Leitung",
            "kaya@fz-wedding.example.org",
            "030 555 12",
            "Bearbeiten: Selin Kaya",
        ],
    ]
    assert body_rows(table(response, "Prozessbegleitungen dieser Organisation")) == [
        ["01.04.2025 – 31.03.2026", "aktiv", "Lea Leitung", "–", "0/12"]
    ]
    assert body_rows(table(response, "Bewerbungen dieser Organisation")) == [
        [application.reference, application.round.name, "angenommen", "15.01.2025", "–"]
    ]
    html = response.get_data(as_text=True)
    assert f'href="/engagements/{engagement.id}"' in html
    assert f'href="/applications/{application.id}"' in html
    assert other.reference not in html
    assert 'href="https://fz-wedding.example.org"' in html


def test_organisation_page_empty_states_and_unsafe_website(client, session, logged_in):
    logged_in(Role.LEAD)  # sees every engagement (a consultant: their own, see below)
    organisation = factories.make_organisation(session, name="Neu", website="javascript:alert(1)")
    response = client.get(f"/organisations/{organisation.id}")
    text = page_text(response)
    assert "Für diese Organisation sind keine Ansprechpersonen erfasst." in text
    assert "Für diese Organisation gibt es noch keine Prozessbegleitung." in text
    assert "Mit dieser Organisation ist keine Bewerbung verknüpft." in text
    assert 'href="javascript:' not in response.get_data(as_text=True)


def test_unknown_organisation_is_404(client, logged_in):
    logged_in(Role.CONSULTANT)
    assert client.get("/organisations/31337").status_code == 404


# --- filters --------------------------------------------------------------------------------


def _register(session):
    """Four organisations across sectors and districts."""
    return {
        "spandau": factories.make_organisation(
            session,
            name="Bürgeramt Spandau",
            sector=Sector.BUERGERDIENST,
            subtype="buergeramt",
            district=District.SPANDAU,
        ),
        "mitte": factories.make_organisation(
            session,
            name="Bürgeramt Mitte",
            sector=Sector.BUERGERDIENST,
            subtype="buergeramt",
            district=District.MITTE,
        ),
        "klinik": factories.make_organisation(
            session,
            name="Klinikum Ost",
            sector=Sector.GESUNDHEIT,
            subtype="krankenhaus",
            district=District.LICHTENBERG,
        ),
        "fz": factories.make_organisation(
            session,
            name="Familienzentrum Müllerstraße",
            sector=Sector.KINDER_FAMILIE,
            subtype="familienzentrum",
            district=District.MITTE,
        ),
    }


def _names(response) -> list[str]:
    return [row[0] for row in body_rows(table(response, "Organisationen"))]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("q=b%C3%BCrgeramt", ["Bürgeramt Mitte", "Bürgeramt Spandau"]),
        ("q=B%C3%9CRGERAMT", ["Bürgeramt Mitte", "Bürgeramt Spandau"]),
        ("q=burgeramt+spandau", ["Bürgeramt Spandau"]),
        ("q=MUELLER", []),
        ("q=m%C3%BCllerstrasse", ["Familienzentrum Müllerstraße"]),
        ("q=%20%20ost%20", ["Klinikum Ost"]),
        ("sector=buergerdienst", ["Bürgeramt Mitte", "Bürgeramt Spandau"]),
        ("district=mitte", ["Bürgeramt Mitte", "Familienzentrum Müllerstraße"]),
        ("sector=buergerdienst&district=mitte", ["Bürgeramt Mitte"]),
        ("q=amt&district=spandau", ["Bürgeramt Spandau"]),
    ],
)
def test_list_filters_by_name_sector_and_district(client, session, logged_in, query, expected):
    logged_in(Role.CONSULTANT)
    _register(session)
    response = client.get(f"/organisations?{query}")
    assert response.status_code == 200
    if expected:
        assert _names(response) == expected
        assert table(response, "Organisationen").caption == (
            f"Organisationen, die zum Filter passen ({len(expected)})"
        )
    else:
        assert "Keine Organisation passt zu diesem Filter." in page_text(response)


def test_unfiltered_list_counts_all_in_its_caption_and_keeps_the_filter_in_the_form(
    client, session, logged_in
):
    logged_in(Role.CONSULTANT)
    _register(session)
    assert table(client.get("/organisations"), "Organisationen").caption == (
        "Alle Organisationen (4)"
    )
    html = client.get("/organisations?q=Klinik&sector=gesundheit").get_data(as_text=True)
    assert 'name="q" value="Klinik"' in html
    assert '<option value="gesundheit" selected>' in html
    assert "Filter zurücksetzen" in html


@pytest.mark.parametrize(
    ("query", "note"),
    [
        ("sector=rathaus", "Den Bereich „rathaus“ gibt es nicht; der Filter wurde ignoriert."),
        ("district=hamburg", "Den Bezirk „hamburg“ gibt es nicht; der Filter wurde ignoriert."),
        ("sector=%27%3B--", "Den Bereich „';--“ gibt es nicht; der Filter wurde ignoriert."),
        ("q=" + "x" * 250, "Der Suchbegriff ist länger als 200 Zeichen"),
    ],
)
def test_bad_filter_values_are_ignored_with_a_german_note(client, session, logged_in, query, note):
    logged_in(Role.CONSULTANT)
    _register(session)
    response = client.get(f"/organisations?{query}")
    assert response.status_code == 200
    assert note in page_text(response)
    if not query.startswith("q="):
        assert len(_names(response)) == 4  # the bad filter is ignored, not applied


@pytest.mark.parametrize(
    "query",
    ["sector=rathaus", "district=hamburg&sector=", "q=", "q=%20%20&district=", "seite=2"],
)
def test_the_filter_can_be_reset_also_when_every_value_was_ignored(
    client, session, logged_in, query
):
    logged_in(Role.CONSULTANT)
    _register(session)
    response = client.get(f"/organisations?{query}")
    assert response.status_code == 200
    assert len(_names(response)) == 4  # nothing was filtered …
    assert "Filter zurücksetzen" in page_text(response)  # … and yet the address has values
    assert 'href="/organisations">Filter zurücksetzen' in response.get_data(as_text=True)
    assert "Filter zurücksetzen" not in page_text(client.get("/organisations"))


def test_list_runs_a_fixed_number_of_queries(client, session, logged_in, count_queries):
    logged_in(Role.CONSULTANT)

    def measure(query: str, rows: int) -> int:
        # Nothing the test created may be served from the session instead of a query.
        session.expunge_all()
        with count_queries() as counter:
            response = client.get(f"/organisations{query}")
        assert response.status_code == 200
        listed = body_rows(table(response, "Organisationen"))
        assert len(listed) == rows
        assert all(row[4] == "1" for row in listed)  # each organisation's contact count
        return counter.count

    # The defaults of make_organisation match the filter: it lists them all too.
    for _ in range(5):
        organisation = factories.make_organisation(session)
        factories.make_contact(session, organisation)
    small = measure("", 5), measure("?q=jugendamt&sector=buergerdienst&district=mitte", 5)
    for _ in range(95):
        organisation = factories.make_organisation(session)
        factories.make_contact(session, organisation)
    large = measure("", 100), measure("?q=jugendamt&sector=buergerdienst&district=mitte", 100)
    print(f"queries for /organisations: 5 organisations {small}, 100 organisations {large}")
    assert small == large


# --- editing an organisation ----------------------------------------------------------------


SHOWN = re.compile(r'name="shown" type="hidden" value="([^"]*)"')


def _form_data(client, path: str, **values) -> dict[str, str]:
    """The CSRF token and the fingerprint of the form on ``path``, and ``values``."""
    page = client.get(path).get_data(as_text=True)
    data = {
        "csrf_token": CSRF_PATTERN.search(page).group(1),
        "shown": SHOWN.search(page).group(1),
    }
    return {**data, **values}


ORGANISATION_VALUES = {
    "name": "Jugendamt Pankow",
    "sector": "buergerdienst",
    "subtype": "jugendamt",
    "district": "pankow",
    "address": "Berliner Allee 1\n13088 Berlin",
    "website": "www.jugendamt-pankow.example.org",
    "staff_size": "120",
}


def _organisation_events(session, organisation, action: str) -> list[AuditEvent]:
    return list(
        session.scalars(
            select(AuditEvent)
            .where(
                AuditEvent.object_type == "organisation",
                AuditEvent.object_id == organisation.id,
                AuditEvent.action == action,
            )
            .order_by(AuditEvent.id)
        )
    )


def test_a_lead_edits_an_organisation_and_the_change_is_audited(client, session, logged_in):
    lead = logged_in(Role.LEAD)
    organisation = factories.make_organisation(session, name="Jugendamt Test")
    path = f"/organisations/{organisation.id}/edit"
    page = client.get(path)
    assert page.status_code == 200
    assert 'value="Jugendamt Test"' in page.get_data(as_text=True)
    response = client.post(path, data=_form_data(client, path, **ORGANISATION_VALUES))
    assert response.status_code == 302
    assert response.location.endswith(f"/organisations/{organisation.id}")
    session.expire_all()
    assert organisation.name == "Jugendamt Pankow"
    assert organisation.district is District.PANKOW
    assert organisation.address == "Berliner Allee 1\n13088 Berlin"
    assert organisation.website == "https://www.jugendamt-pankow.example.org"
    assert organisation.staff_size == 120
    [event] = _organisation_events(session, organisation, "organisation.updated")
    assert event.actor_id == lead.id
    assert event.changes["name"] == ["Jugendamt Test", "Jugendamt Pankow"]
    assert event.changes["district"] == ["mitte", "pankow"]
    assert "sector" not in event.changes  # unchanged
    text = page_text(client.get(f"/organisations/{organisation.id}"))
    assert "Die Angaben zur Organisation sind gespeichert." in text
    assert "Bezirk Pankow" in text


def test_saving_without_changes_records_nothing(client, session, logged_in):
    logged_in(Role.ADMIN)
    organisation = factories.make_organisation(session, name="Jugendamt Test")
    path = f"/organisations/{organisation.id}/edit"
    values = {
        "name": "Jugendamt Test",
        "sector": "buergerdienst",
        "subtype": "jugendamt",
        "district": "mitte",
    }
    response = client.post(path, data=_form_data(client, path, **values))
    assert response.status_code == 302
    assert _organisation_events(session, organisation, "organisation.updated") == []
    assert "Sie haben nichts geändert." in page_text(client.get(response.location))


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"name": "   "}, "name", "Bitte geben Sie den Namen der Organisation an."),
        ({"name": "x" * 201}, "name", "Bitte höchstens 200 Zeichen eingeben"),
        (
            {"subtype": "krankenhaus"},
            "subtype",
            "Diese Art passt nicht zum gewählten Bereich „Bürger*innendienste“.",
        ),
        ({"subtype": "rathaus"}, "subtype", "Bitte wählen Sie eine Art aus der Liste."),
        ({"sector": "rathaus"}, "sector", "Bitte wählen Sie einen Bereich aus der Liste."),
        ({"district": ""}, "district", "Bitte wählen Sie den Bezirk (oder „berlinweit“)."),
        ({"district": "hamburg"}, "district", "Bitte wählen Sie einen Bezirk aus der Liste."),
        ({"website": "javascript:alert(1)"}, "website", "Bitte geben Sie eine Web-Adresse"),
        ({"website": "ftp://amt.example.org"}, "website", "Bitte geben Sie eine Web-Adresse"),
        ({"website": "https://amt"}, "website", "Bitte geben Sie eine Web-Adresse"),
        ({"website": "https://amt.de:port"}, "website", "Bitte geben Sie eine Web-Adresse"),
        ({"staff_size": "zwölf"}, "staff_size", "als ganze Zahl an."),
        ({"staff_size": "0"}, "staff_size", "Bitte geben Sie eine Zahl zwischen 1 und"),
        ({"staff_size": "99999999999999"}, "staff_size", "als ganze Zahl an."),
    ],
)
def test_invalid_organisation_values_are_refused_at_the_field(
    client, session, logged_in, changes, field, message
):
    logged_in(Role.LEAD)
    organisation = factories.make_organisation(session, name="Jugendamt Test")
    path = f"/organisations/{organisation.id}/edit"
    values = {**ORGANISATION_VALUES, **changes}
    response = client.post(path, data=_form_data(client, path, **values))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    error = html.split(f'id="{field}-error"', 1)
    assert len(error) == 2, html
    assert message in error[1].split("</p>", 1)[0]
    assert 'value="Jugendamt Pankow"' in html or field == "name"  # values kept
    session.expire_all()
    assert organisation.name == "Jugendamt Test"
    assert _organisation_events(session, organisation, "organisation.updated") == []


def test_a_name_another_organisation_has_is_refused_case_ignored(client, session, logged_in):
    logged_in(Role.LEAD)
    factories.make_organisation(session, name="Bürgeramt Spandau")
    organisation = factories.make_organisation(session, name="Jugendamt Test")
    path = f"/organisations/{organisation.id}/edit"
    values = {**ORGANISATION_VALUES, "name": "  BÜRGERAMT   spandau "}
    response = client.post(path, data=_form_data(client, path, **values))
    assert response.status_code == 422
    assert "Eine Organisation mit dem Namen „Bürgeramt Spandau“ gibt es schon." in page_text(
        response
    )
    assert 'value="BÜRGERAMT   spandau"' in response.get_data(as_text=True)
    session.expire_all()
    assert organisation.name == "Jugendamt Test"


def test_consultants_read_but_do_not_edit(client, session, logged_in):
    logged_in(Role.CONSULTANT)
    organisation = factories.make_organisation(session, name="Jugendamt Test")
    contact = factories.make_contact(session, organisation, name="Selin Kaya")
    page = client.get(f"/organisations/{organisation.id}").get_data(as_text=True)
    assert "/edit" not in page
    assert "/contacts/new" not in page
    path = f"/organisations/{organisation.id}/edit"
    assert client.get(path).status_code == 403
    token = csrf_token(client, f"/organisations/{organisation.id}")
    response = client.post(path, data={"csrf_token": token, **ORGANISATION_VALUES})
    assert response.status_code == 403
    contact_path = f"/organisations/{organisation.id}/contacts/{contact.id}/edit"
    assert client.get(contact_path).status_code == 403
    assert client.get(f"/organisations/{organisation.id}/contacts/new").status_code == 403
    response = client.post(
        f"/organisations/{organisation.id}/contacts/new",
        data={"csrf_token": token, "name": "Neu"},
    )
    assert response.status_code == 403
    session.expire_all()
    assert organisation.name == "Jugendamt Test"
    assert len(organisation.contacts) == 1


def test_unknown_organisation_and_contact_of_another_organisation_are_404(
    client, session, logged_in
):
    logged_in(Role.ADMIN)
    organisation = factories.make_organisation(session)
    other = factories.make_organisation(session)
    foreign = factories.make_contact(session, other, name="Fremde Person")
    assert client.get("/organisations/31337/edit").status_code == 404
    assert client.get("/organisations/31337/contacts/new").status_code == 404
    path = f"/organisations/{organisation.id}/contacts/{foreign.id}/edit"
    assert client.get(path).status_code == 404
    token = csrf_token(client, f"/organisations/{organisation.id}/contacts/new")
    response = client.post(path, data={"csrf_token": token, "name": "Übernommen"})
    assert response.status_code == 404
    session.expire_all()
    assert foreign.name == "Fremde Person"


# --- contact persons ------------------------------------------------------------------------


def _contact_events(session, organisation, action: str) -> list[AuditEvent]:
    return _organisation_events(session, organisation, action)


def test_a_lead_adds_a_primary_contact_and_the_old_primary_loses_the_flag(
    client, session, logged_in
):
    lead = logged_in(Role.LEAD)
    organisation = factories.make_organisation(session)
    old = factories.make_contact(session, organisation, name="Anna Albrecht", is_primary=True)
    path = f"/organisations/{organisation.id}/contacts/new"
    values = {
        "name": "Selin Kaya",
        "role": "Leitung",
        "email": "Kaya@Amt.Example.org",
        "phone": "030 555 12",
        "is_primary": "y",
    }
    response = client.post(path, data=_form_data(client, path, **values))
    assert response.status_code == 302
    assert response.location.endswith(f"/organisations/{organisation.id}#contacts-title")
    session.expire_all()
    new = next(contact for contact in organisation.contacts if contact.name == "Selin Kaya")
    assert new.email == "kaya@amt.example.org"
    assert new.is_primary and not old.is_primary
    [event] = _contact_events(session, organisation, "organisation.contact_created")
    assert event.actor_id == lead.id
    assert event.changes == {
        "contact": new.id,
        "fields": ["name", "role", "email", "phone", "is_primary"],
        "primary_unset": [old.id],
    }
    assert "Selin Kaya" not in str(event.changes) and "kaya@" not in str(event.changes)
    rows = body_rows(table(client.get(response.location), "Ansprechpersonen dieser"))
    assert [row[0] for row in rows] == ["Anna Albrecht", "Selin Kaya (Hauptansprechperson)"]


def test_the_first_contact_becomes_primary(client, session, logged_in):
    logged_in(Role.LEAD)
    organisation = factories.make_organisation(session)
    path = f"/organisations/{organisation.id}/contacts/new"
    response = client.post(path, data=_form_data(client, path, name="Erste Person"))
    assert response.status_code == 302
    session.expire_all()
    [contact] = organisation.contacts
    assert contact.is_primary
    assert contact.email is None


def test_a_lead_edits_a_contact_and_the_audit_names_only_the_fields(client, session, logged_in):
    logged_in(Role.LEAD)
    organisation = factories.make_organisation(session)
    primary = factories.make_contact(session, organisation, name="Anna Albrecht", is_primary=True)
    contact = factories.make_contact(session, organisation, name="Selin Kaya", role="Leitung")
    path = f"/organisations/{organisation.id}/contacts/{contact.id}/edit"
    page = client.get(path)
    assert page.status_code == 200
    assert 'value="Selin Kaya"' in page.get_data(as_text=True)
    values = {
        "name": "Selin Kaya-Demir",
        "role": "Leitung",
        "email": contact.email,
        "phone": "",
        "is_primary": "y",
    }
    response = client.post(path, data=_form_data(client, path, **values))
    assert response.status_code == 302
    session.expire_all()
    assert contact.name == "Selin Kaya-Demir"
    assert contact.is_primary and not primary.is_primary
    [event] = _contact_events(session, organisation, "organisation.contact_updated")
    assert event.changes == {
        "contact": contact.id,
        "fields": ["is_primary", "name"],
        "primary_unset": [primary.id],
    }
    assert "Kaya" not in str(event.changes)


def test_the_primary_contact_cannot_just_be_unset(client, session, logged_in):
    logged_in(Role.LEAD)
    organisation = factories.make_organisation(session)
    contact = factories.make_contact(session, organisation, name="Anna Albrecht", is_primary=True)
    path = f"/organisations/{organisation.id}/contacts/{contact.id}/edit"
    response = client.post(path, data=_form_data(client, path, name="Anna Berger"))
    assert response.status_code == 422
    assert "Jede Organisation hat genau eine Hauptansprechperson." in page_text(response)
    assert 'value="Anna Berger"' in response.get_data(as_text=True)
    session.expire_all()
    assert contact.name == "Anna Albrecht" and contact.is_primary
    assert _contact_events(session, organisation, "organisation.contact_updated") == []


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"name": ""}, "name", "Bitte geben Sie den Namen der Ansprechperson an."),
        ({"email": "kaya(at)amt.de"}, "email", "Bitte geben Sie eine gültige E-Mail-Adresse"),
        ({"email": "jürgen@amt.de"}, "email", "An Adressen mit Umlauten oder anderen Sonder"),
        ({"email": "taken@amt.example.org"}, "email", "schon eine Ansprechperson mit dieser"),
        ({"email": "TAKEN@amt.example.org"}, "email", "schon eine Ansprechperson mit dieser"),
        ({"phone": "1" * 51}, "phone", "Bitte höchstens 50 Zeichen eingeben"),
        ({"role": "r" * 201}, "role", "Bitte höchstens 200 Zeichen eingeben"),
    ],
)
def test_invalid_contact_values_are_refused_at_the_field(
    client, session, logged_in, changes, field, message
):
    logged_in(Role.LEAD)
    organisation = factories.make_organisation(session)
    factories.make_contact(session, organisation, email="taken@amt.example.org")
    path = f"/organisations/{organisation.id}/contacts/new"
    values = {"name": "Neue Person", "role": "Leitung", **changes}
    response = client.post(path, data=_form_data(client, path, **values))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    error = html.split(f'id="{field}-error"', 1)
    assert len(error) == 2, html
    assert message in error[1].split("</p>", 1)[0]
    session.expire_all()
    assert len(organisation.contacts) == 1
    assert _contact_events(session, organisation, "organisation.contact_created") == []


def test_restricted_contacts_are_shown_but_only_admins_edit_them(
    client, session, logged_in, make_staff
):
    logged_in(Role.LEAD)
    organisation = factories.make_organisation(session)
    contact = factories.make_contact(session, organisation, name="Gesperrt", is_restricted=True)
    free = factories.make_contact(session, organisation, name="Frei", is_primary=True)
    rows = body_rows(table(client.get(f"/organisations/{organisation.id}"), "Ansprechpersonen"))
    assert rows[0][0] == "Frei (Hauptansprechperson)" and rows[0][-1] == "Bearbeiten: Frei"
    assert rows[1][0] == "Gesperrt Verarbeitung eingeschränkt" and rows[1][-1] == "–"
    path = f"/organisations/{organisation.id}/contacts/{contact.id}/edit"
    assert client.get(path).status_code == 403
    token = csrf_token(client, f"/organisations/{organisation.id}/contacts/{free.id}/edit")
    assert client.post(path, data={"csrf_token": token, "name": "X"}).status_code == 403
    session.expire_all()
    assert contact.name == "Gesperrt"

    admin = make_staff(Role.ADMIN)
    client.post("/logout", data={"csrf_token": token})
    login(client, admin.email)
    page = client.get(path)
    assert page.status_code == 200
    assert "Die Verarbeitung der Daten dieser Person ist eingeschränkt" in page_text(page)
    response = client.post(path, data=_form_data(client, path, name="Gesperrt", role="Archiv"))
    assert response.status_code == 302
    session.expire_all()
    assert contact.role == "Archiv"
    # …but a restricted person gets no mails, so is not made the primary contact.
    response = client.post(path, data=_form_data(client, path, name="Gesperrt", is_primary="y"))
    assert response.status_code == 422
    assert "sie kann nicht Hauptansprechperson werden" in page_text(response)


def test_anonymised_contacts_cannot_be_edited(client, session, logged_in):
    logged_in(Role.ADMIN)
    organisation = factories.make_organisation(session)
    contact = factories.make_contact(
        session, organisation, name="Anonymisiert", email=None, anonymised_at=clock.now()
    )
    path = f"/organisations/{organisation.id}/contacts/{contact.id}/edit"
    assert client.get(path).status_code == 403
    assert "Bearbeiten" not in page_text(client.get(f"/organisations/{organisation.id}"))


# --- accessibility --------------------------------------------------------------------------


def test_pages_and_forms_pass_the_structure_checks(client, session, logged_in):
    logged_in(Role.ADMIN)
    organisations = _register(session)
    organisation = organisations["fz"]
    contact = factories.make_contact(session, organisation, name="Selin Kaya", is_primary=True)
    assert_accessible(client.get("/organisations"))
    assert_accessible(client.get("/organisations?q=nichts&sector=rathaus"))
    assert_accessible(client.get(f"/organisations/{organisation.id}"))
    edit = f"/organisations/{organisation.id}/edit"
    assert_accessible(client.get(edit))
    bad = {**ORGANISATION_VALUES, "subtype": "krankenhaus", "website": "x"}
    response = client.post(edit, data=_form_data(client, edit, **bad))
    assert response.status_code == 422
    page = assert_accessible(response)
    assert page.error_summaries == 1
    new = f"/organisations/{organisation.id}/contacts/new"
    assert_accessible(client.get(new))
    response = client.post(new, data=_form_data(client, new, name="", email="kaputt"))
    assert response.status_code == 422
    assert_accessible(response)
    assert_accessible(client.get(f"/organisations/{organisation.id}/contacts/{contact.id}/edit"))


# --- stale forms ----------------------------------------------------------------------------


def test_a_change_made_on_an_older_state_is_refused(client, session, logged_in):
    logged_in(Role.LEAD)
    organisation = factories.make_organisation(session, name="Jugendamt Test")
    path = f"/organisations/{organisation.id}/edit"
    data = _form_data(client, path, **ORGANISATION_VALUES)
    organisation.staff_size = 7  # someone else saves meanwhile
    session.flush()
    response = client.post(path, data=data)
    assert response.status_code == 302
    assert response.location.endswith(f"/organisations/{organisation.id}")
    assert "Jemand anderes hat diese Angaben gerade geändert." in page_text(
        client.get(response.location)
    )
    session.expire_all()
    assert organisation.name == "Jugendamt Test" and organisation.staff_size == 7
    assert _organisation_events(session, organisation, "organisation.updated") == []


@pytest.mark.parametrize("shown", [None, "", "0" * 32, "x" * 5000])
def test_a_missing_or_tampered_fingerprint_is_refused(client, session, logged_in, shown):
    logged_in(Role.LEAD)
    organisation = factories.make_organisation(session)
    contact = factories.make_contact(session, organisation, name="Selin Kaya", is_primary=True)
    path = f"/organisations/{organisation.id}/contacts/{contact.id}/edit"
    data = _form_data(client, path, name="Selin Demir", is_primary="y")
    if shown is None:
        del data["shown"]
    else:
        data["shown"] = shown
    response = client.post(path, data=data)
    assert response.status_code == 302
    assert "Jemand anderes hat diese Angaben gerade geändert." in page_text(
        client.get(response.location)
    )
    session.expire_all()
    assert contact.name == "Selin Kaya"


def test_a_consultant_sees_the_engagements_of_their_team_only(client, session, logged_in):
    """The organisation page lists the engagements the consultant may open (their team's);
    with none of those it says so, without telling whether others exist."""
    me = logged_in(Role.CONSULTANT)
    organisation = factories.make_organisation(session, name="Jugendamt Mitte")
    other = factories.make_staff_member(session, name="Noah Nichtich")
    mine = factories.make_engagement(session, lead=me, organisation=organisation)
    foreign = factories.make_engagement(
        session, lead=other, organisation=organisation, start=date(2025, 3, 1)
    )
    html = client.get(f"/organisations/{organisation.id}").get_data(as_text=True)
    assert f'href="/engagements/{mine.id}"' in html
    assert f'href="/engagements/{foreign.id}"' not in html
    assert "Noah Nichtich" not in html
    assert "Hier stehen die Prozessbegleitungen, zu deren Team Sie gehören." in html
    lonely = factories.make_organisation(session, name="Bürgeramt Pankow")
    factories.make_engagement(session, lead=other, organisation=lonely)
    text = page_text(client.get(f"/organisations/{lonely.id}"))
    assert "Sie gehören zu keinem Team einer Prozessbegleitung dieser Organisation." in text
    assert "Noah Nichtich" not in text
    # The list counts the engagements the consultant can open.
    rows = body_rows(table(client.get("/organisations"), "Alle Organisationen"))
    assert [(row[0], row[-1]) for row in rows] == [
        ("Bürgeramt Pankow", "0"),
        ("Jugendamt Mitte", "1"),
    ]
