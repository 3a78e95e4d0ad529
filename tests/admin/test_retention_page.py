"""``/admin/retention``: the retention rules with their configured periods, what will be
anonymised when (applications by reference, contacts by organisation and number — no
names), the last runs from the audit trail; admins only; a fixed number of statements."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.orm import Session

from caseflow import clock
from caseflow.engagements.models import EngagementStatus
from caseflow.followups.heartbeat import beat
from caseflow.followups.sweeps import retention
from caseflow.intake.models import ApplicationStatus
from caseflow.staff.models import Role
from tests import factories
from tests.pages.helpers import body_rows, page_text, table
from tests.pages.test_accessibility_structure import assert_accessible

NOW = datetime(2025, 10, 15, 10, 0, tzinfo=UTC)
BERLIN = ZoneInfo("Europe/Berlin")
CONTACT_NAME = "Zyxwvut Seitenname"


@pytest.fixture(autouse=True)
def _frozen() -> Iterator[None]:
    with clock.frozen(NOW):
        yield


@pytest.fixture(autouse=True)
def _scheduler_alive(session: Session) -> None:
    beat(session, NOW, "test", NOW)


def programme(session: Session) -> dict[str, object]:
    """A declined and a withdrawn application (due 6 months later), an accepted one whose
    engagement is only planned (not due); an organisation whose engagement is closed (its
    contact and the accepted application it came from are due on 31.07.2029) and one whose
    engagement runs (kept)."""
    declined = factories.make_application(
        session,
        status=ApplicationStatus.ABGELEHNT,
        submitted_at=datetime(2025, 3, 1, 9, 0, tzinfo=UTC),
        decided_at=datetime(2025, 5, 20, 10, 30, tzinfo=UTC),
        contact_name="Petra Bewerbungsname",
    )
    withdrawn = factories.make_application(
        session,
        status=ApplicationStatus.ZURUECKGEZOGEN,
        submitted_at=datetime(2025, 8, 1, 9, 0, tzinfo=UTC),
        withdrawn_at=datetime(2025, 8, 31, 9, 0, tzinfo=UTC),
    )
    accepted = factories.make_application(session, status=ApplicationStatus.ANGENOMMEN)
    lead = factories.make_staff_member(session)
    closed = factories.make_organisation(session, name="Jugendamt Abgeschlossen")
    closed_engagement = factories.make_engagement(
        session, lead=lead, organisation=closed, status=EngagementStatus.ABGESCHLOSSEN
    )
    closed_application = factories.make_application(
        session, status=ApplicationStatus.ANGENOMMEN, engagement=closed_engagement
    )
    released = factories.make_contact(session, closed, name=CONTACT_NAME)
    running = factories.make_organisation(session, name="Sozialamt Läuft")
    factories.make_engagement(
        session, lead=lead, organisation=running, status=EngagementStatus.AKTIV
    )
    kept = factories.make_contact(session, running, name="Kim Behalten")
    return {
        "declined": declined,
        "withdrawn": withdrawn,
        "accepted": accepted,
        "closed_application": closed_application,
        "released": released,
        "kept": kept,
    }


def test_the_page_lists_what_is_anonymised_when(client, session, logged_in):
    made = programme(session)
    logged_in(Role.ADMIN)
    response = client.get("/admin/retention")
    assert response.status_code == 200
    assert_accessible(response)
    text = page_text(response)
    # The rules with their configured periods.
    assert "6 Monate nach der Ablehnung oder dem Rückzug" in text
    assert "3 Jahre nach dem Ende des Förderzeitraums (31.07.2026), also ab dem 31.07.2029" in text

    applications = body_rows(table(response, "Bewerbungen, die noch nicht anonymisiert sind"))
    assert applications == [
        [made["declined"].reference, "abgelehnt", "20.05.2025", "20.11.2025"],
        [made["withdrawn"].reference, "zurückgezogen", "31.08.2025", "28.02.2026"],
        [
            made["closed_application"].reference,
            "angenommen",
            "– (mit den Ansprechpersonen)",
            "31.07.2029",
        ],
    ]
    assert made["accepted"].reference not in text
    contacts = body_rows(table(response, "Ansprechpersonen, die noch nicht anonymisiert sind"))
    assert contacts == [
        ["Jugendamt Abgeschlossen", f"Ansprechperson #{made['released'].id}", "31.07.2029"]
    ]
    assert "1 weitere Ansprechperson bleibt erhalten" in text
    html = response.get_data(as_text=True)
    for name in (CONTACT_NAME, "Kim Behalten", "Petra Bewerbungsname"):
        assert name not in html
    assert "Die Anonymisierung ist noch nie gelaufen." in text


def test_due_items_are_marked_and_runs_are_listed(client, session, logged_in):
    made = programme(session)
    first_run = datetime.combine(date(2025, 11, 21), time(3, 30), tzinfo=BERLIN)
    retention(session, first_run)  # anonymises the declined application
    second_run = datetime.combine(date(2025, 11, 22), time(3, 30), tzinfo=BERLIN)
    retention(session, second_run)
    with clock.frozen(datetime(2026, 3, 1, 10, 0, tzinfo=UTC)):
        logged_in(Role.ADMIN)  # a login of that day (sessions time out)
        response = client.get("/admin/retention")
    applications = body_rows(table(response, "Bewerbungen, die noch nicht anonymisiert sind"))
    # The declined one is gone; the withdrawn one is due (28.02.2026) and waits for the run.
    assert applications == [
        [
            made["withdrawn"].reference,
            "zurückgezogen",
            "31.08.2025",
            "28.02.2026 (beim nächsten Lauf)",
        ],
        [
            made["closed_application"].reference,
            "angenommen",
            "– (mit den Ansprechpersonen)",
            "31.07.2029",
        ],
    ]
    runs = body_rows(table(response, "Die letzten Läufe der Anonymisierung"))
    assert runs == [["22.11.2025, 03:30", "0", "0"], ["21.11.2025, 03:30", "1", "0"]]


def test_on_the_due_day_contacts_are_marked_and_then_gone(client, session, logged_in):
    made = programme(session)
    due_day = datetime.combine(date(2029, 7, 31), time(1, 0), tzinfo=BERLIN)
    with clock.frozen(due_day):
        logged_in(Role.ADMIN)  # a login of that day (sessions time out)
        response = client.get("/admin/retention")
        contacts = body_rows(table(response, "Ansprechpersonen, die noch nicht anonymisiert sind"))
        assert contacts == [
            [
                "Jugendamt Abgeschlossen",
                f"Ansprechperson #{made['released'].id}",
                "31.07.2029 (beim nächsten Lauf)",
            ]
        ]
        retention(session, due_day)
        response = client.get("/admin/retention")
    text = page_text(response)
    assert "Keine Ansprechperson einer Organisation ohne laufende Prozessbegleitung" in text
    runs = body_rows(table(response, "Die letzten Läufe der Anonymisierung"))
    # The declined and the withdrawn application, the accepted one, and the contact.
    assert runs[0][1:] == ["3", "1"]
    assert "Keine Bewerbung wartet auf ihre Anonymisierung." in text


@pytest.mark.parametrize("role", [Role.CONSULTANT, Role.LEAD])
def test_only_admins_see_the_page(client, logged_in, role):
    logged_in(role)
    assert client.get("/admin/retention").status_code == 403


def test_visitors_are_sent_to_the_login(client):
    response = client.get("/admin/retention")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_a_fixed_number_of_statements(client, session, logged_in, count_queries):
    def statements() -> int:
        with count_queries() as counter:
            assert client.get("/admin/retention").status_code == 200
        return counter.count

    logged_in(Role.ADMIN)
    programme(session)
    retention(session, NOW)
    few = statements()
    for _ in range(3):
        programme(session)
        retention(session, NOW)
    assert statements() == few
