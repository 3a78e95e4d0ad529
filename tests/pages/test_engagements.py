"""/engagements (the list; its filters in detail: test_engagement_list.py) and /engagements/<id>."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from caseflow import clock
from caseflow.engagements.models import (
    ActivityKind,
    BarrierCategory,
    BarrierStatus,
    EngagementStatus,
)
from caseflow.followups.models import FollowUpStatus
from caseflow.staff.models import Role
from tests import factories
from tests.conftest import login
from tests.pages.helpers import body_rows, page_text, table

TODAY = date(2025, 3, 10)


@pytest.fixture
def two_engagements(session, make_staff):
    """Kim leads an active engagement (Jugendamt Mitte), Noah a planned one (Pflegeheim)."""
    kim = make_staff(Role.CONSULTANT, name="Kim Berater")
    noah = make_staff(Role.CONSULTANT, name="Noah Begleiter")
    mitte = factories.make_organisation(session, name="Jugendamt Mitte")
    heim = factories.make_organisation(
        session, name="Pflegeheim Spandau", sector="gesundheit", subtype="pflegeeinrichtung"
    )
    active = factories.make_engagement(
        session, lead=kim, co=[noah], organisation=mitte, status=EngagementStatus.AKTIV
    )
    planned = factories.make_engagement(
        session, lead=noah, organisation=heim, start=date(2025, 6, 1), end=date(2026, 5, 31)
    )
    return kim, noah, active, planned


def _login(client, member):
    assert login(client, member.email).status_code == 302


def _organisations(response) -> list[str]:
    return [row[0] for row in body_rows(table(response, "Prozessbegleitungen"))]


def test_consultants_see_their_own_engagements_by_default(client, two_engagements):
    kim, _noah, _active, _planned = two_engagements
    _login(client, kim)
    with clock.frozen(TODAY):
        response = client.get("/engagements")
    assert response.status_code == 200
    assert _organisations(response) == ["Jugendamt Mitte"]
    assert "Meine Prozessbegleitungen" in page_text(response)
    # Only their own, always: there is no "nur meine" to untick (tests/test_idor.py).
    assert 'name="mine"' not in response.get_data(as_text=True)


def test_a_consultant_cannot_switch_nur_meine_off(client, two_engagements):
    kim, *_ = two_engagements
    _login(client, kim)
    with clock.frozen(TODAY):
        response = client.get("/engagements?mine=0")
    assert _organisations(response) == ["Jugendamt Mitte"]
    assert "Alle Prozessbegleitungen" not in page_text(response)


def test_a_lead_can_switch_nur_meine_off(client, make_staff, two_engagements):
    _login(client, make_staff(Role.LEAD))
    with clock.frozen(TODAY):
        response = client.get("/engagements?mine=0")
    assert _organisations(response) == ["Jugendamt Mitte", "Pflegeheim Spandau"]
    assert "Alle Prozessbegleitungen" in page_text(response)


def test_the_checkbox_form_sends_hidden_zero_and_one(client, two_engagements):
    _kim, noah, *_ = two_engagements
    _login(client, noah)
    with clock.frozen(TODAY):
        ticked = client.get("/engagements?mine=0&mine=1")
        unticked = client.get("/engagements?mine=0")
    # Noah is co on the active one and leads the planned one.
    assert _organisations(ticked) == ["Jugendamt Mitte", "Pflegeheim Spandau"]
    assert _organisations(unticked) == ["Jugendamt Mitte", "Pflegeheim Spandau"]


def test_leads_see_everything_by_default_and_can_filter_to_their_own(
    client, session, logged_in, two_engagements
):
    lead = logged_in(Role.LEAD, name="Lea Leitung")
    own = factories.make_engagement(
        session, lead=lead, organisation=factories.make_organisation(session, name="Bürgeramt")
    )
    with clock.frozen(TODAY):
        everything = client.get("/engagements")
        mine = client.get("/engagements?mine=1")
    assert _organisations(everything) == ["Bürgeramt", "Jugendamt Mitte", "Pflegeheim Spandau"]
    assert _organisations(mine) == [own.organisation.name]


def test_status_filter(client, logged_in, two_engagements):
    logged_in(Role.LEAD)
    with clock.frozen(TODAY):
        planned = client.get("/engagements?status=geplant")
        active = client.get("/engagements?status=aktiv")
        closed = client.get("/engagements?status=abgeschlossen")
    assert _organisations(planned) == ["Pflegeheim Spandau"]
    assert _organisations(active) == ["Jugendamt Mitte"]
    assert closed.status_code == 200
    assert "Es gibt keine Prozessbegleitung, die zu diesem Filter passt." in page_text(closed)


@pytest.mark.parametrize(
    ("query", "note"),
    [
        ("status=erledigt", "Den Status „erledigt“ gibt es nicht; der Filter wurde ignoriert."),
        ("status=%FF%FE", "gibt es nicht; der Filter wurde ignoriert."),
        ("mine=ja", "Der Wert für „nur meine“ ist ungültig und wurde ignoriert."),
    ],
)
def test_bad_filter_values_are_ignored_with_a_note(client, logged_in, two_engagements, query, note):
    logged_in(Role.LEAD)
    with clock.frozen(TODAY):
        response = client.get(f"/engagements?{query}")
    assert response.status_code == 200
    assert note in page_text(response)
    assert _organisations(response) == ["Jugendamt Mitte", "Pflegeheim Spandau"]


def test_list_shows_lead_phase_progress_next_milestone_and_overdue(
    client, session, two_engagements
):
    kim, noah, active, _planned = two_engagements
    milestones = factories.milestones_of(active)
    factories.complete_milestone(session, milestones[0], on=date(2025, 1, 2))  # Erstgespräch
    factories.drop_milestone(session, milestones[-1])  # Abschlussbericht: dropped
    _login(client, noah)  # on the team of both (co on Kim's)
    with clock.frozen(TODAY):
        response = client.get("/engagements?mine=0")
    row = table(response, "Prozessbegleitungen").row("Jugendamt Mitte")
    assert row[1] == "aktiv"
    assert row[2] == "Kim Berater"
    assert row[3] == "Bestandsaufnahme & Analyse"
    assert row[4] == "1/11 1 von 11 erledigt"  # the second half for screen readers only
    assert row[5] == "Kooperationsvereinbarung unterzeichnet 05.02.2025 – überfällig"
    assert row[6] == "2 überfällig"
    assert row[7:] == ["01.01.2025", "31.12.2025"]
    planned = table(response, "Prozessbegleitungen").row("Pflegeheim Spandau")
    assert planned[1:5] == ["geplant", "Noah Begleiter", "–", "0/12 0 von 12 erledigt"]
    assert planned[5] == "Erstgespräch 01.06.2025"
    assert planned[6] == "0"


def test_the_empty_list_of_a_consultant_offers_no_others(client, logged_in, two_engagements):
    logged_in(Role.CONSULTANT)
    response = client.get("/engagements")
    text = page_text(response)
    assert "Ihnen ist keine Prozessbegleitung zugeordnet, die zu diesem Filter passt." in text
    assert 'href="/engagements?mine=0"' not in response.get_data(as_text=True)
    assert "Jugendamt Mitte" not in text


def test_the_empty_list_of_a_lead_with_nur_meine_offers_all_engagements(client, logged_in):
    logged_in(Role.LEAD)
    response = client.get("/engagements?mine=1")
    text = page_text(response)
    assert "Ihnen ist keine Prozessbegleitung zugeordnet, die zu diesem Filter passt." in text
    assert 'href="/engagements?mine=0"' in response.get_data(as_text=True)


# The engagement page ----------------------------------------------------------------------


def test_engagement_page_shows_header_team_phases_and_milestones(client, session, two_engagements):
    kim, noah, active, _planned = two_engagements
    milestones = factories.milestones_of(active)
    factories.complete_milestone(session, milestones[0], on=date(2025, 1, 3))
    moved = milestones[3]  # Selbstcheck durchgeführt, first planned for 23.03.2025
    moved.due_date = moved.baseline_due_date + timedelta(days=7)
    session.flush()
    _login(client, kim)
    with clock.frozen(TODAY):
        response = client.get(f"/engagements/{active.id}")
    assert response.status_code == 200
    text = page_text(response)
    html = response.get_data(as_text=True)
    assert "Prozessbegleitung: Jugendamt Mitte" in text
    assert f'href="/organisations/{active.organisation.id}"' in html
    for fact in (
        "Status aktiv",
        "Beginn 01.01.2025",
        "Geplantes Ende 31.12.2025",
        "Dauer 12 Monate",
        "Aktuelle Phase Bestandsaufnahme & Analyse",
        "Kim Berater (Federführung)",
        "Noah Begleiter (Co-Begleitung)",
    ):
        assert fact in text, fact
    phase_names = [
        "1. Auftragsklärung",
        "2. Bestandsaufnahme & Analyse",
        "3. Zielentwicklung & Maßnahmenplanung",
        "4. Umsetzung & Begleitung",
        "5. Evaluation & Verstetigung",
    ]
    positions = [text.index(name) for name in phase_names]
    assert positions == sorted(positions)
    assert "Erstgespräch fällig am 01.01.2025 · erledigt am 03.01.2025" in text
    assert (
        "Kooperationsvereinbarung unterzeichnet (Voraussetzung für die nächste Phase) "
        "fällig am 05.02.2025 · offen überfällig"
    ) in text
    assert (
        "Selbstcheck durchgeführt fällig am 30.03.2025 (ursprünglich geplant: 23.03.2025) · offen"
    ) in text
    assert "Zielworkshop fällig am 04.06.2025 · offen · verantwortlich" in text


def test_engagement_page_marks_overdue_relative_to_today(client, two_engagements):
    kim, _noah, active, _planned = two_engagements
    _login(client, kim)
    with clock.frozen(date(2025, 2, 5)):  # the gate milestone's due day
        on_the_day = page_text(client.get(f"/engagements/{active.id}"))
    with clock.frozen(date(2025, 2, 6)):
        day_after = page_text(client.get(f"/engagements/{active.id}"))
    gate = "Kooperationsvereinbarung unterzeichnet (Voraussetzung für die nächste Phase) "
    assert gate + "fällig am 05.02.2025 · offen · verantwortlich" in on_the_day
    assert gate + "fällig am 05.02.2025 · offen überfällig" in day_after
    assert "Aktuelle Phase Auftragsklärung" in on_the_day
    assert "Aktuelle Phase Bestandsaufnahme & Analyse" in day_after


def test_engagement_page_shows_follow_ups_activities_barriers_and_history(
    client, session, two_engagements
):
    kim, noah, active, planned = two_engagements
    factories.make_follow_up(
        session, active, assignee=noah, due_on=date(2025, 3, 1), note="Steuerungsgruppe fragen"
    )
    factories.make_follow_up(session, active, assignee=kim, due_on=date(2025, 4, 1))
    factories.make_follow_up(
        session, active, assignee=kim, note="schon erledigt", status=FollowUpStatus.ERLEDIGT
    )
    factories.make_follow_up(session, planned, assignee=kim, note="andere Begleitung")
    for day in range(1, 13):  # 12 activities; the page shows the last 10
        factories.make_activity(
            session,
            active,
            occurred_on=date(2025, 1, day),
            note=f"Notiz {day:02d}",
            staff=[kim, noah] if day == 12 else [],
            kind=ActivityKind.WORKSHOP if day == 12 else ActivityKind.TELEFONAT,
            duration_minutes=90 if day == 12 else None,
            participants_count=14 if day == 12 else None,
        )
    factories.make_barrier(
        session,
        active,
        category=BarrierCategory.DIGITALE_ZUGAENGE,
        status=BarrierStatus.IN_BEARBEITUNG,
        description="Online-Termine nur mit deutscher Ausweis-ID",
        measure_taken="Termin auch per Telefon",
    )
    factories.make_audit_event(
        session,
        object_type="engagement",
        object_id=active.id,
        action="engagement.started",
        actor_label="Kim Berater",
        changes={"status": ["geplant", "aktiv"]},
    )
    factories.make_audit_event(
        session, object_type="engagement", object_id=planned.id, action="not.this.one"
    )
    _login(client, kim)
    with clock.frozen(TODAY):
        response = client.get(f"/engagements/{active.id}")
    text = page_text(response)

    follow_ups = body_rows(table(response, "Offene Wiedervorlagen dieser Prozessbegleitung"))
    assert [row[:4] for row in follow_ups] == [
        ["01.03.2025 – überfällig", "Check-in", "Noah Begleiter", "Steuerungsgruppe fragen"],
        ["01.04.2025", "Check-in", "Kim Berater", "–"],
    ]
    # Kim leads the engagement: each row offers its actions (tests/followups/test_pages.py)
    assert all(row[4].startswith("Erledigt Ändern Verwerfen") for row in follow_ups)

    activities = body_rows(table(response, "Die letzten Aktivitäten"))
    assert len(activities) == 10
    assert activities[0] == [
        "12.01.2025",
        "Workshop",
        "90 Min.",
        "14",
        "Kim Berater, Noah Begleiter",
        "Notiz 12",
    ]
    assert activities[-1][0] == "03.01.2025"
    assert "Notiz 02" not in text

    barriers = body_rows(table(response, "Register der Zugangsbarrieren"))
    assert barriers == [
        [
            "digitale Zugänge",
            "Online-Termine nur mit deutscher Ausweis-ID",
            "in Bearbeitung",
            "Termin auch per Telefon",
            "Ändern (Online-Termine nur mit deutscher…)",
        ]
    ]

    history = body_rows(table(response, "Protokollierte Änderungen"))
    actions = [row[2] for row in history]
    assert "engagement.started" in actions
    assert "Prozessbegleitung geplant" in actions
    assert "not.this.one" not in actions
    assert [
        "15.01.2025, 10:00",
        "Kim Berater",
        "engagement.started",
        "status: [geplant, aktiv]",
    ] in (history)


def test_engagement_page_empty_states(client, session, two_engagements):
    _kim, noah, _active, planned = two_engagements
    _login(client, noah)  # leads the planned one
    response = client.get(f"/engagements/{planned.id}")
    text = page_text(response)
    assert "Für diese Prozessbegleitung sind keine Wiedervorlagen offen." in text
    assert "Es sind noch keine Aktivitäten erfasst." in text
    assert "Es sind noch keine Zugangsbarrieren erfasst." in text


def test_a_closed_engagement_shows_its_actual_end(client, session, logged_in):
    lead = logged_in(Role.LEAD)
    closed = factories.make_engagement(
        session,
        lead=lead,
        start=date(2024, 5, 1),
        end=date(2025, 4, 30),
        status=EngagementStatus.ABGEBROCHEN,
        actual_end=date(2024, 12, 31),
    )
    response = client.get(f"/engagements/{closed.id}")
    text = page_text(response)
    assert "Status abgebrochen" in text
    assert "Tatsächliches Ende 31.12.2024" in text


def test_unknown_engagement_is_404(client, logged_in):
    logged_in(Role.CONSULTANT)
    assert client.get("/engagements/999999").status_code == 404


def test_closed_engagements_come_after_running_and_planned_ones(session, client, logged_in):
    logged_in(Role.LEAD)
    lead = factories.make_staff_member(session, name="Ria Leitung")
    factories.make_engagement(
        session,
        lead=lead,
        organisation=factories.make_organisation(session, name="Früh abgeschlossen"),
        start=date(2024, 5, 1),
        end=date(2024, 12, 31),
        status=EngagementStatus.ABGESCHLOSSEN,
    )
    factories.make_engagement(
        session,
        lead=lead,
        organisation=factories.make_organisation(session, name="Später aktiv"),
        start=date(2025, 1, 1),
        status=EngagementStatus.AKTIV,
    )
    with clock.frozen(TODAY):
        html = client.get("/engagements").get_data(as_text=True)
    assert html.index("Später aktiv") < html.index("Früh abgeschlossen")
