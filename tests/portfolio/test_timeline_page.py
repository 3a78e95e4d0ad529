"""/timeline: the portfolio of engagements to the programme end."""

from __future__ import annotations

from datetime import date

from caseflow import clock
from caseflow.engagements.models import EngagementStatus
from caseflow.staff.models import Role
from tests import factories
from tests.pages.helpers import page_text, table

TODAY = date(2025, 3, 10)


def test_timeline_groups_engagements_by_lead(client, session, logged_in):
    lead = logged_in(Role.LEAD, name="Lea Leitung")
    zoe = factories.make_staff_member(session, name="Zoë Beraterin")
    factories.make_engagement(
        session,
        lead=zoe,
        organisation=factories.make_organisation(session, name="Sozialamt Pankow"),
        start=date(2024, 10, 1),
        end=date(2026, 3, 31),
        status=EngagementStatus.AKTIV,
    )
    factories.make_engagement(
        session,
        lead=lead,
        co=[zoe],
        organisation=factories.make_organisation(session, name="Jugendamt Mitte"),
        start=date(2025, 1, 1),
        end=date(2025, 6, 30),
        status=EngagementStatus.PAUSIERT,
    )
    factories.make_engagement(
        session,
        lead=zoe,
        organisation=factories.make_organisation(session, name="Klinikum Ost"),
        start=date(2025, 5, 1),
        end=date(2025, 12, 31),
    )
    with clock.frozen(TODAY):
        response = client.get("/timeline")
    assert response.status_code == 200
    timeline = table(response, "Alle Prozessbegleitungen nach Federführung")
    assert timeline.rows == [
        ["Organisation", "Beginn", "Geplantes Ende", "Dauer", "Status", "Aktuelle Phase"],
        ["Federführung: Lea Leitung (1 Prozessbegleitung)"],
        [
            "Jugendamt Mitte",
            "01.01.2025",
            "30.06.2025",
            "6 Monate",
            "pausiert",
            "Zielentwicklung & Maßnahmenplanung",
        ],
        ["Federführung: Zoë Beraterin (2 Prozessbegleitungen)"],
        [
            "Sozialamt Pankow",
            "01.10.2024",
            "31.03.2026",
            "18 Monate",
            "aktiv",
            "Bestandsaufnahme & Analyse",
        ],
        ["Klinikum Ost", "01.05.2025", "31.12.2025", "8 Monate", "geplant", "–"],
    ]
    assert '<th scope="rowgroup" colspan="6"' in response.get_data(as_text=True)


def test_empty_timeline(client, logged_in):
    logged_in(Role.LEAD)
    assert "Es gibt noch keine Prozessbegleitungen." in page_text(client.get("/timeline"))
