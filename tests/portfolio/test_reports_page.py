"""/reports: the key figures."""

from __future__ import annotations

from datetime import date

from caseflow import clock
from caseflow.engagements.models import BarrierCategory, BarrierStatus, EngagementStatus
from caseflow.intake.models import ApplicationStatus
from caseflow.organisations.choices import Sector
from caseflow.staff.models import Role
from tests import factories
from tests.pages.helpers import table

TODAY = date(2025, 3, 10)


def _figures(response, caption: str) -> dict[str, str]:
    return {row[0]: row[1] for row in table(response, caption).rows[1:]}


def test_reports_show_the_key_figures(client, session, logged_in):
    lead = logged_in(Role.LEAD)
    for status in (
        ApplicationStatus.EINGEGANGEN,
        ApplicationStatus.EINGEGANGEN,
        ApplicationStatus.ABGELEHNT,
    ):
        factories.make_application(session, status=status, decided_by=lead)
    factories.make_organisation(session, sector=Sector.GESUNDHEIT, subtype="krankenhaus")
    active = factories.make_engagement(session, lead=lead, status=EngagementStatus.AKTIV)
    factories.make_engagement(
        session, lead=lead, start=date(2025, 9, 1), end=date(2026, 2, 28)
    )  # every milestone due after today
    milestones = factories.milestones_of(active)
    factories.complete_milestone(session, milestones[0], on=date(2025, 1, 2))
    factories.drop_milestone(session, milestones[1])
    factories.make_barrier(session, active)
    factories.make_barrier(session, active)
    factories.make_barrier(
        session, active, category=BarrierCategory.DATEN_MONITORING, status=BarrierStatus.ABGEBAUT
    )
    with clock.frozen(TODAY):
        response = client.get("/reports")
    assert response.status_code == 200

    applications = _figures(response, "Bewerbungen nach Status")
    assert applications["eingegangen"] == "2"
    assert applications["abgelehnt"] == "1"
    assert applications["in Prüfung"] == "0"
    assert applications["Summe"] == "3"

    engagements = _figures(response, "Prozessbegleitungen nach Status")
    assert engagements == {
        "geplant": "1",
        "aktiv": "1",
        "pausiert": "0",
        "abgeschlossen": "0",
        "abgebrochen": "0",
        "Summe": "2",
    }

    sectors = _figures(response, "Organisationen nach Bereich")
    assert sectors["Gesundheitsversorgung"] == "1"
    assert sectors["Bürger*innendienste"] == "2"  # the engagements' organisations
    assert sectors["Summe"] == "3"

    # 24 milestones: 1 done, 1 dropped, 22 open; overdue on 10.03.2025: Steuerungsgruppe
    # benannt (05.02.) — Erstgespräch is done and Kooperationsvereinbarung dropped.
    milestones_figures = _figures(response, "Meilensteine nach Stand")
    assert milestones_figures == {
        "erledigt": "1",
        "offen": "22",
        "davon überfällig": "1",
        "entfallen": "1",
        "Summe": "24",
    }

    barriers = table(response, "Zugangsbarrieren nach Kategorie und Status")
    assert barriers.rows[0] == ["Kategorie", "erkannt", "in Bearbeitung", "abgebaut", "Summe"]
    assert barriers.row("Sprache & Information") == ["Sprache & Information", "2", "0", "0", "2"]
    assert barriers.row("Daten & Monitoring") == ["Daten & Monitoring", "0", "0", "1", "1"]
    assert barriers.row("Summe") == ["Summe", "2", "0", "1", "3"]
    assert len(barriers.rows) == 1 + 7 + 1


def test_report_overdue_follows_today(client, session, logged_in):
    lead = logged_in(Role.LEAD)
    factories.make_engagement(session, lead=lead)  # Erstgespräch due 01.01.2025
    with clock.frozen(date(2025, 1, 1)):
        on_the_day = _figures(client.get("/reports"), "Meilensteine nach Stand")
    with clock.frozen(date(2025, 1, 2)):
        day_after = _figures(client.get("/reports"), "Meilensteine nach Stand")
    assert on_the_day["davon überfällig"] == "0"
    assert day_after["davon überfällig"] == "1"
