"""The lead pages and /admin/: who may see what, and the structure every page shares."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from caseflow import clock
from caseflow.engagements.models import EngagementStatus
from caseflow.staff.models import Role
from tests import factories
from tests.pages.helpers import body_rows, table

TODAY = date(2025, 3, 10)


def test_admin_lists_the_staff_accounts_by_name(client, session, logged_in, make_staff):
    admin = logged_in(Role.ADMIN, name="Mira Admin")
    make_staff(Role.LEAD, name="anton Leitung", is_active=False)
    make_staff(Role.CONSULTANT, name="Zeynep Beraterin")
    factories.make_staff_member(session, name="Ohne Login")  # a contact-list entry
    response = client.get("/admin/")
    assert response.status_code == 200
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
    assert [row[0] for row in rows] == ["anton Leitung", "Mira Admin", "Zeynep Beraterin"]
    assert rows[0][2:5] == ["Projektleitung", "nein", "noch nie"]
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
