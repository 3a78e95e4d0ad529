"""/timeline, /capacity and /reports (leads), /admin/ (admins), and who may see what."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from caseflow import clock
from caseflow.engagements.models import BarrierCategory, BarrierStatus, EngagementStatus
from caseflow.intake.models import ApplicationStatus
from caseflow.organisations.choices import Sector
from caseflow.portfolio.queries import capacity_table
from caseflow.staff.models import Role
from tests import factories
from tests.pages.helpers import body_rows, page_text, table

TODAY = date(2025, 3, 10)

# Timeline ---------------------------------------------------------------------------------


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


# Capacity ---------------------------------------------------------------------------------


def _capacity_cells(response, name: str) -> dict[str, str]:
    capacity_table = table(response, "Prozessbegleitungen je Person und Monat")
    header = capacity_table.rows[0]
    return dict(zip(header[1:], capacity_table.row(name)[1:], strict=True))


def test_capacity_counts_lead_and_co_in_the_months_an_engagement_covers(client, session, logged_in):
    logged_in(Role.LEAD)
    alice = factories.make_staff_member(session, name="Alice A")
    bob = factories.make_staff_member(session, name="Bob B")
    factories.make_engagement(
        session, lead=alice, co=[bob], start=date(2025, 1, 1), end=date(2025, 6, 30)
    )
    response = client.get("/capacity")
    assert response.status_code == 200
    capacity_table = table(response, "Prozessbegleitungen je Person und Monat")
    header = capacity_table.rows[0]
    assert header[0] == "Person"
    assert header[1] == "04/2024"
    assert header[-1] == "07/2026"
    assert len(header) == 1 + 28
    for name in ("Alice A", "Bob B"):
        cells = _capacity_cells(response, name)
        assert [cells[f"{month:02d}/2025"] for month in range(1, 8)] == ["1"] * 6 + ["0"]
        assert cells["12/2024"] == "0"
        assert sum(int(value) for value in cells.values()) == 6
    totals = dict(zip(header[1:], capacity_table.row("Summe")[1:], strict=True))
    assert totals["03/2025"] == "2"
    assert totals["07/2025"] == "0"
    html = response.get_data(as_text=True)
    assert '<th scope="col">04/2024</th>' in html
    assert '<th scope="row">Alice A</th>' in html


def test_capacity_uses_the_actual_end_of_closed_engagements(session, app):
    alice = factories.make_staff_member(session, name="Alice A")
    bob = factories.make_staff_member(session, name="Bob B")
    factories.make_engagement(
        session,
        lead=alice,
        start=date(2025, 1, 1),
        end=date(2025, 12, 31),
        status=EngagementStatus.ABGEBROCHEN,
        actual_end=date(2025, 3, 15),
    )
    factories.make_engagement(
        session, lead=alice, co=[bob], start=date(2025, 3, 1), end=date(2025, 8, 31)
    )
    result = capacity_table(session, start=date(2025, 1, 1), end=date(2025, 9, 30))
    assert [month.month for month in result.months] == list(range(1, 10))
    rows = {row.name: row.counts for row in result.rows}
    assert rows == {
        "Alice A": [1, 1, 2, 1, 1, 1, 1, 1, 0],
        "Bob B": [0, 0, 1, 1, 1, 1, 1, 1, 0],
    }
    assert result.totals == [1, 1, 3, 2, 2, 2, 2, 2, 0]


def test_empty_capacity(client, logged_in):
    logged_in(Role.LEAD)
    assert "Noch niemand ist einer Prozessbegleitung zugeordnet." in page_text(
        client.get("/capacity")
    )


# Reports ----------------------------------------------------------------------------------


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


# Administration ---------------------------------------------------------------------------


def test_admin_lists_the_staff_accounts_by_name(client, session, logged_in, make_staff):
    admin = logged_in(Role.ADMIN, name="Mira Admin")
    make_staff(Role.LEAD, name="anton Leitung", is_active=False)
    make_staff(Role.CONSULTANT, name="Zeynep Beraterin")
    factories.make_staff_member(session, name="Ohne Login")  # a contact-list entry
    response = client.get("/admin/")
    assert response.status_code == 200
    accounts = table(response, "Konten der Mitarbeitenden")
    assert accounts.rows[0] == ["Name", "E-Mail", "Rolle", "Aktiv", "Letzte Anmeldung"]
    rows = body_rows(accounts)
    assert [row[0] for row in rows] == ["anton Leitung", "Mira Admin", "Zeynep Beraterin"]
    assert rows[0][2:] == ["Projektleitung", "nein", "noch nie"]
    assert rows[1][1] == admin.email
    assert rows[1][2:4] == ["Administration", "ja"]
    session.refresh(admin)
    assert rows[1][4] == clock.local(admin.last_login_at).strftime("%d.%m.%Y, %H:%M")
    assert rows[2][2] == "Prozessbegleiter*in"


def test_admin_shows_last_login_in_berlin_time(client, session, logged_in, make_staff):
    logged_in(Role.ADMIN)
    member = make_staff(Role.CONSULTANT, name="Winter Login")
    member.last_login_at = datetime(2025, 1, 15, 7, 5, tzinfo=UTC)
    session.flush()
    row = table(client.get("/admin/"), "Konten").row("Winter Login")
    assert row[4] == "15.01.2025, 08:05"


# Access -----------------------------------------------------------------------------------

STAFF_PAGES = ["/dashboard", "/applications", "/organisations", "/engagements"]
LEAD_PAGES = ["/timeline", "/capacity", "/reports"]


@pytest.mark.parametrize("path", STAFF_PAGES + LEAD_PAGES + ["/admin/"])
def test_anonymous_visitors_are_sent_to_the_login(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


@pytest.mark.parametrize("path", LEAD_PAGES + ["/admin/"])
def test_consultants_may_not_see_lead_pages(client, logged_in, path):
    logged_in(Role.CONSULTANT)
    assert client.get(path).status_code == 403


@pytest.mark.parametrize("path", STAFF_PAGES)
def test_consultants_see_the_staff_pages(client, logged_in, path):
    logged_in(Role.CONSULTANT)
    assert client.get(path).status_code == 200


def test_leads_may_not_see_administration(client, logged_in):
    logged_in(Role.LEAD)
    assert client.get("/admin/").status_code == 403


@pytest.mark.parametrize("path", STAFF_PAGES + LEAD_PAGES + ["/admin/"])
def test_every_page_has_one_h1_a_title_and_accessible_tables(client, session, logged_in, path):
    admin = logged_in(Role.ADMIN)
    factories.make_engagement(session, lead=admin, status=EngagementStatus.AKTIV)
    factories.make_application(session)
    with clock.frozen(TODAY):
        html = client.get(path).get_data(as_text=True)
    assert html.count("<h1") == 1
    assert "<title> – caseflow DiFair</title>" not in html
    assert html.count("<table") == html.count("<caption")
    assert html.count("<table") == html.count(
        '<div class="table-wrap" tabindex="0" role="region" aria-labelledby="'
    )
    assert "<th>" not in html
