"""/engagements/<id>/export: the printable handout for the client organisation."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.exc import InvalidRequestError

from caseflow import clock
from caseflow.engagements.models import (
    ActivityKind,
    BarrierCategory,
    BarrierStatus,
    EngagementStatus,
)
from caseflow.organisations.choices import District, Sector
from caseflow.portfolio.handout import engagement_handout
from caseflow.staff.models import Role
from tests import factories
from tests.conftest import login
from tests.pages.helpers import body_rows, page_text, table

TODAY = date(2025, 6, 2)
SECRETS = ("INTERNE-NOTIZ-E", "INTERNE-NOTIZ-A", "NACHWEIS-INTERN", "STATUSGRUND-INTERN")


def _engagement(session):
    """An active, extended engagement with everything a handout shows and internal notes."""
    lead = factories.make_staff_member(session, name="Lena Lead")
    co = factories.make_staff_member(session, name="Cem Co")
    organisation = factories.make_organisation(
        session,
        name="Gesundheitsamt Pankow",
        sector=Sector.BUERGERDIENST,
        subtype="gesundheitsamt",
        district=District.PANKOW,
    )
    engagement = factories.make_engagement(
        session,
        lead=lead,
        co=[co],
        organisation=organisation,
        start=date(2025, 1, 1),
        end=date(2025, 12, 31),
        status=EngagementStatus.AKTIV,
    )
    engagement.planned_end_date = date(2026, 3, 31)
    engagement.extension_reason = "Personalwechsel im Amt"
    engagement.notes = "INTERNE-NOTIZ-E: Leitung skeptisch"
    engagement.status_reason = "STATUSGRUND-INTERN"
    first_phase = engagement.phases[0]
    first_phase.started_on = date(2025, 1, 6)
    milestone = factories.milestones_of(engagement)[0]
    factories.complete_milestone(session, milestone, on=date(2025, 1, 9))
    milestone.evidence_note = "NACHWEIS-INTERN"
    factories.make_activity(
        session,
        engagement,
        occurred_on=date(2025, 1, 9),
        kind=ActivityKind.TREFFEN,
        staff=[lead, co],
        duration_minutes=90,
        participants_count=12,
        note="INTERNE-NOTIZ-A: schwieriges Gespräch",
    )
    factories.make_activity(
        session, engagement, occurred_on=date(2025, 3, 20), kind=ActivityKind.WORKSHOP
    )
    # A note is internal by nature, whatever its fields say.
    factories.make_activity(
        session,
        engagement,
        occurred_on=date(2025, 2, 14),
        kind=ActivityKind.NOTIZ,
        staff=[lead],
        duration_minutes=15,
    )
    factories.make_barrier(
        session,
        engagement,
        category=BarrierCategory.VERFAHREN_FORMULARE,
        status=BarrierStatus.IN_BEARBEITUNG,
        description="Antragsformular nur auf Deutsch",
        measure_taken="Übersetzung in fünf Sprachen beauftragt",
    )
    session.flush()
    return engagement


def test_handout_shows_everything_for_the_client(client, session, logged_in):
    logged_in(Role.LEAD)
    engagement = _engagement(session)
    with clock.frozen(TODAY):
        response = client.get(f"/engagements/{engagement.id}/export")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<title>Prozessbegleitung Gesundheitsamt Pankow – caseflow DiFair</title>" in html
    assert html.count("<h1") == 1
    assert "css/handout.css" in html
    text = page_text(response)
    assert "Prozessbegleitung Gesundheitsamt Pankow" in text
    assert "Stand: 02.06.2025" in text
    assert "Bürger*innendienste – Gesundheitsamt" in text
    assert "Bezirk Pankow" in text
    assert "01.01.2025 – 31.03.2026 (geplant)" in text
    assert "verlängert; ursprünglich geplant bis 31.12.2025" in text
    assert "Tatsächliches Ende" not in text
    assert "Status aktiv" in text
    assert "Lena Lead (Federführung)" in text and "Cem Co (Co-Begleitung)" in text
    assert text.index("Lena Lead") < text.index("Cem Co")

    plan = body_rows(table(response, "Phasen mit geplanten Terminen"))
    assert [row[0] for row in plan] == [
        f"{phase.position}. {phase.name}" for phase in engagement.phases
    ]
    first = engagement.phases[0]
    assert plan[0][1:] == [
        f"{first.start_date:%d.%m.%Y}",
        f"{first.end_date:%d.%m.%Y}",
        "06.01.2025",
    ]
    assert plan[1][3] == "noch nicht begonnen"

    milestones = factories.milestones_of(engagement)
    first_milestones = body_rows(table(response, f"Meilensteine der Phase {first.name}"))
    assert first_milestones[0] == [
        milestones[0].title,
        f"{milestones[0].due_date:%d.%m.%Y}",
        "erledigt",
        "09.01.2025",
    ]
    assert first_milestones[1][2:] == ["offen", "–"]
    shown = sum(
        len(body_rows(table(response, f"Meilensteine der Phase {phase.name}")))
        for phase in engagement.phases
    )
    assert shown == len(milestones)

    assert body_rows(table(response, "Aktivitäten, älteste zuerst")) == [
        ["09.01.2025", "Treffen", "90 Min.", "12", "Cem Co, Lena Lead"],
        ["20.03.2025", "Workshop", "–", "–", "–"],
    ]
    assert body_rows(table(response, "Zugangsbarrieren")) == [
        [
            "Verfahren & Formulare",
            "Antragsformular nur auf Deutsch",
            "in Bearbeitung",
            "Übersetzung in fünf Sprachen beauftragt",
        ]
    ]
    assert "interne Notizen des Beratungsteams (auch Aktivitäten der Art „Notiz“)" in text


def test_handout_leaves_staff_internal_notes_out(client, session, logged_in):
    logged_in(Role.LEAD)
    engagement = _engagement(session)
    html = client.get(f"/engagements/{engagement.id}/export").get_data(as_text=True)
    for secret in SECRETS:
        assert secret not in html, secret
    assert "Personalwechsel im Amt" not in html  # the extension's reason stays inside, too
    # The engagement page itself shows them (so the test would notice a leak).
    detail = client.get(f"/engagements/{engagement.id}").get_data(as_text=True)
    assert "INTERNE-NOTIZ-A" in detail


def test_closed_engagement_shows_its_actual_end(client, session, logged_in):
    logged_in(Role.LEAD)
    lead = factories.make_staff_member(session, name="Lena Lead")
    engagement = factories.make_engagement(
        session,
        lead=lead,
        start=date(2025, 1, 1),
        end=date(2025, 12, 31),
        status=EngagementStatus.ABGESCHLOSSEN,
        actual_end=date(2025, 11, 14),
    )
    text = page_text(client.get(f"/engagements/{engagement.id}/export"))
    assert "Tatsächliches Ende 14.11.2025" in text
    assert "Status abgeschlossen" in text
    assert "verlängert" not in text
    assert "Es sind noch keine Aktivitäten erfasst." in text
    assert "Es sind noch keine Zugangsbarrieren erfasst." in text


def test_unknown_engagement_is_404(client, logged_in):
    logged_in(Role.LEAD)
    assert client.get("/engagements/999999/export").status_code == 404
    assert client.get("/engagements/3000000000/export").status_code == 404


def test_the_team_and_leads_may_read_it_others_may_not(app, client, session, make_staff):
    engagement = _engagement(session)
    path = f"/engagements/{engagement.id}/export"
    anonymous = client.get(path)
    assert anonymous.status_code == 302 and "/login" in anonymous.location
    for role, status in ((Role.CONSULTANT, 404), (Role.LEAD, 200)):  # the consultant: no team
        reader = app.test_client()
        login(reader, make_staff(role).email)
        assert reader.get(path).status_code == status, role


def test_engagement_page_links_to_the_handout(client, session, logged_in):
    logged_in(Role.LEAD)
    engagement = _engagement(session)
    html = client.get(f"/engagements/{engagement.id}").get_data(as_text=True)
    assert f'href="/engagements/{engagement.id}/export"' in html
    assert "Druckansicht für die Organisation" in html


def test_handout_runs_a_fixed_number_of_queries(client, session, logged_in, count_queries):
    logged_in(Role.LEAD)
    engagement = _engagement(session)
    path = f"/engagements/{engagement.id}/export"

    def measure() -> int:
        session.expunge_all()
        with count_queries() as counter:
            assert client.get(path).status_code == 200
        return counter.count

    small = measure()
    again = session.get(type(engagement), engagement.id)
    members = [factories.make_staff_member(session) for _ in range(3)]
    for day in range(2, 12):
        factories.make_activity(session, again, occurred_on=date(2025, 4, day), staff=members)
        factories.make_barrier(session, again, description=f"Barriere {day}")
    large = measure()
    print(f"handout: {small} queries with 2 activities, {large} with 12")
    assert small == large
    assert large <= 11  # with the settings (the sender in effect)


def test_query_function_loads_everything_in_seven_statements(session, count_queries):
    engagement = _engagement(session)
    session.expunge_all()
    with count_queries() as counter:
        handout = engagement_handout(session, engagement.id)
        # Reading what the template reads runs no further statement.
        names = [assignment.staff_member.name for assignment in handout.team]
        titles = [m.title for phase in handout.engagement.phases for m in phase.milestones]
        staff = [member.name for activity in handout.activities for member in activity.staff]
        sector = handout.engagement.organisation.sector
    assert counter.count == 7
    assert names == ["Lena Lead", "Cem Co"]
    assert len(titles) == len(factories.milestones_of(engagement))
    assert staff == ["Cem Co", "Lena Lead"]
    assert sector is Sector.BUERGERDIENST
    assert engagement_handout(session, 999999) is None


def test_handout_leaves_note_activities_out_and_names_staff_neutrally(client, session, logged_in):
    logged_in(Role.LEAD)
    engagement = _engagement(session)  # has a "Notiz" on 14.02.2025
    with clock.frozen(TODAY):
        response = client.get(f"/engagements/{engagement.id}/export")
    activities = table(response, "Aktivitäten, älteste zuerst")
    assert activities.rows[0][-1] == "Beteiligte Berater*innen"
    assert [row[:2] for row in body_rows(activities)] == [
        ["09.01.2025", "Treffen"],
        ["20.03.2025", "Workshop"],
    ]
    assert "14.02.2025" not in page_text(response)
    assert "Von BQN beteiligt" not in page_text(response)


def test_handout_contact_is_the_configured_sender(client, session, logged_in, app, monkeypatch):
    logged_in(Role.LEAD)
    engagement = _engagement(session)
    path = f"/engagements/{engagement.id}/export"
    monkeypatch.setitem(app.config, "MAIL_DEFAULT_SENDER", "DiFair Team <kontakt@example.org>")

    def footer() -> str:
        html = client.get(path).get_data(as_text=True)
        return html[html.index('<footer class="handout-footer">') :].split("</footer>")[0]

    assert '<a href="mailto:kontakt@example.org">kontakt@example.org</a>' in footer()
    monkeypatch.setitem(app.config, "MAIL_DEFAULT_SENDER", None)
    assert "@" not in footer()


def test_internal_columns_are_not_even_loaded(session, count_queries):
    engagement = _engagement(session)
    session.expunge_all()
    with count_queries() as counter:
        handout = engagement_handout(session, engagement.id)
    selected = " ".join(counter.statements).lower()
    for column in ("notes", "status_reason", "extension_reason", "evidence_note", "drop_reason"):
        assert column not in selected, column
    assert "activities.note" not in selected
    # Reading one raises rather than loading it quietly.
    for read in (
        lambda: handout.engagement.notes,
        lambda: handout.engagement.status_reason,
        lambda: handout.engagement.phases[0].milestones[0].evidence_note,
        lambda: handout.activities[0].note,
    ):
        with pytest.raises(InvalidRequestError):
            read()
