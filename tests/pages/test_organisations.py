"""/organisations and /organisations/<id>."""

from __future__ import annotations

from datetime import date

from caseflow import clock
from caseflow.engagements.models import EngagementStatus
from caseflow.intake.models import ApplicationStatus
from caseflow.organisations.choices import District, Sector
from caseflow.staff.models import Role
from tests import factories
from tests.pages.helpers import body_rows, page_text, table


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
        ["Anna Albrecht", "–", "–", "–"],
        [
            "Selin Kaya (Hauptansprechperson)",
            "Leitung",
            "kaya@fz-wedding.example.org",
            "030 555 12",
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
    logged_in(Role.CONSULTANT)
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
