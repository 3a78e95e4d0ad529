"""/dashboard: my milestones, my engagements, my follow-ups; for leads the decisions due."""

from __future__ import annotations

from datetime import date

from caseflow import clock
from caseflow.engagements.models import EngagementStatus
from caseflow.followups.models import FollowUpStatus
from caseflow.intake.models import ApplicationStatus
from caseflow.staff.models import Role
from tests import factories
from tests.pages.helpers import body_rows, page_text, table

TODAY = date(2025, 3, 10)


def test_my_milestones_overdue_first_and_within_fourteen_days(client, session, logged_in):
    me = logged_in(Role.CONSULTANT, name="Kim Berater")
    other = factories.make_staff_member(session, name="Noah Begleiter")
    mine = factories.make_engagement(
        session,
        lead=me,
        organisation=factories.make_organisation(session, name="Jugendamt Mitte"),
        status=EngagementStatus.AKTIV,
    )
    factories.complete_milestone(session, factories.milestones_of(mine)[0], on=date(2025, 1, 2))
    # Someone else's engagement: its milestones belong to its lead, not to me.
    factories.make_engagement(session, lead=other, co=[me], status=EngagementStatus.AKTIV)
    # A closed engagement's open milestones are no work any more.
    factories.make_engagement(
        session, lead=me, status=EngagementStatus.ABGEBROCHEN, actual_end=date(2025, 2, 1)
    )
    with clock.frozen(TODAY):
        response = client.get("/dashboard")
    assert response.status_code == 200
    rows = body_rows(table(response, "Meine Meilensteine"))
    assert rows == [
        [
            "Kooperationsvereinbarung unterzeichnet",
            "Jugendamt Mitte",
            "Auftragsklärung",
            "05.02.2025 überfällig seit 33 Tagen",
        ],
        [
            "Steuerungsgruppe benannt",
            "Jugendamt Mitte",
            "Auftragsklärung",
            "05.02.2025 überfällig seit 33 Tagen",
        ],
        [
            "Selbstcheck durchgeführt",
            "Jugendamt Mitte",
            "Bestandsaufnahme & Analyse",
            "23.03.2025 in 13 Tagen",
        ],
    ]
    html = response.get_data(as_text=True)
    assert html.count('<tr class="overdue">') >= 2


def test_the_fourteen_day_horizon_moves_with_today(client, session, logged_in):
    me = logged_in(Role.CONSULTANT)
    engagement = factories.make_engagement(session, lead=me, status=EngagementStatus.AKTIV)
    for milestone in factories.milestones_of(engagement)[:3]:
        factories.complete_milestone(session, milestone, on=date(2025, 2, 1))
    with clock.frozen(date(2025, 3, 8)):  # Selbstcheck (23.03.) is 15 days away
        early = client.get("/dashboard")
    with clock.frozen(date(2025, 3, 9)):
        in_range = client.get("/dashboard")
    with clock.frozen(date(2025, 3, 23)):
        due_today = client.get("/dashboard")
    assert "Sie haben keine offenen Meilensteine" in page_text(early)
    assert body_rows(table(in_range, "Meine Meilensteine"))[0][-1] == "23.03.2025 in 14 Tagen"
    assert body_rows(table(due_today, "Meine Meilensteine"))[0][-1] == "23.03.2025 heute fällig"


def test_my_engagements_are_the_open_ones_i_am_on(client, session, logged_in):
    me = logged_in(Role.CONSULTANT)
    other = factories.make_staff_member(session)
    factories.make_engagement(
        session,
        lead=other,
        co=[me],
        organisation=factories.make_organisation(session, name="Sozialamt Pankow"),
        status=EngagementStatus.AKTIV,
        start=date(2024, 10, 1),
        end=date(2025, 9, 30),
    )
    factories.make_engagement(
        session,
        lead=me,
        organisation=factories.make_organisation(session, name="Familienzentrum Wedding"),
        start=date(2025, 5, 1),
        end=date(2025, 10, 31),
    )
    factories.make_engagement(
        session,
        lead=me,
        organisation=factories.make_organisation(session, name="Abgeschlossen GmbH"),
        status=EngagementStatus.ABGESCHLOSSEN,
        start=date(2024, 4, 1),
        end=date(2024, 12, 31),
    )
    factories.make_engagement(
        session, lead=other, organisation=factories.make_organisation(session, name="Fremd")
    )
    with clock.frozen(TODAY):
        response = client.get("/dashboard")
    rows = body_rows(table(response, "Laufende und geplante Prozessbegleitungen"))
    assert rows == [
        ["Sozialamt Pankow", "aktiv", "Zielentwicklung & Maßnahmenplanung", "30.09.2025"],
        ["Familienzentrum Wedding", "geplant", "–", "31.10.2025"],
    ]


def test_my_open_follow_ups(client, session, logged_in):
    me = logged_in(Role.CONSULTANT)
    other = factories.make_staff_member(session)
    engagement = factories.make_engagement(
        session, lead=me, organisation=factories.make_organisation(session, name="Bürgeramt")
    )
    factories.make_follow_up(session, engagement, assignee=me, due_on=date(2025, 3, 20), note="B")
    factories.make_follow_up(session, engagement, assignee=me, due_on=date(2025, 3, 9), note="A")
    factories.make_follow_up(session, engagement, assignee=other, note="nicht meins")
    factories.make_follow_up(
        session, engagement, assignee=me, note="erledigt", status=FollowUpStatus.ERLEDIGT
    )
    with clock.frozen(TODAY):
        response = client.get("/dashboard")
    rows = body_rows(table(response, "Meine offenen Wiedervorlagen"))
    assert rows == [
        ["09.03.2025 – überfällig", "Check-in", "Bürgeramt", "A"],
        ["20.03.2025", "Check-in", "Bürgeramt", "B"],
    ]


def test_empty_dashboard_of_a_consultant(client, logged_in):
    logged_in(Role.CONSULTANT)
    with clock.frozen(TODAY):
        response = client.get("/dashboard")
    text = page_text(response)
    assert "Sie haben keine offenen Meilensteine, die überfällig oder in den nächsten 14 Tagen" in (
        text
    )
    assert "Sie sind derzeit keiner laufenden oder geplanten Prozessbegleitung zugeordnet." in text
    assert "Ihnen sind keine offenen Wiedervorlagen zugewiesen." in text
    # The leads' sections are not there at all.
    assert "Bewerbungen, die auf eine Entscheidung warten" not in text
    assert "Prozessbegleitungen mit überfälligen Meilensteinen" not in text


def test_leads_see_applications_awaiting_a_decision_with_links(client, session, logged_in):
    lead = logged_in(Role.LEAD)
    for status, count in (
        (ApplicationStatus.EINGEGANGEN, 3),
        (ApplicationStatus.VORGESPRAECH, 1),
        (ApplicationStatus.WARTELISTE, 2),
        (ApplicationStatus.ABGELEHNT, 4),
    ):
        for _ in range(count):
            factories.make_application(session, status=status, decided_by=lead)
    with clock.frozen(TODAY):
        response = client.get("/dashboard")
    text = page_text(response)
    assert "eingegangen: 3 in Prüfung: 0 im Vorgespräch: 1 Warteliste: 2" in text
    html = response.get_data(as_text=True)
    assert 'href="/applications?status=eingegangen"' in html
    assert 'href="/applications?status=warteliste"' in html
    assert "abgelehnt" not in text


def test_leads_see_engagements_with_overdue_milestones(client, session, logged_in):
    logged_in(Role.LEAD)
    kim = factories.make_staff_member(session, name="Kim Berater")
    late = factories.make_engagement(
        session,
        lead=kim,
        organisation=factories.make_organisation(session, name="Jugendamt Mitte"),
        status=EngagementStatus.AKTIV,
    )
    factories.complete_milestone(session, factories.milestones_of(late)[0], on=date(2025, 1, 2))
    factories.make_engagement(
        session,
        lead=kim,
        organisation=factories.make_organisation(session, name="Pünktlich"),
        start=date(2025, 3, 15),
        end=date(2025, 9, 14),
        status=EngagementStatus.AKTIV,
    )
    with clock.frozen(TODAY):
        response = client.get("/dashboard")
    rows = body_rows(table(response, "Prozessbegleitungen mit überfälligen Meilensteinen"))
    assert rows == [
        [
            "Jugendamt Mitte",
            "Kim Berater",
            "2 überfällig",
            "Kooperationsvereinbarung unterzeichnet (05.02.2025)",
        ]
    ]


def test_empty_lead_sections(client, logged_in):
    logged_in(Role.ADMIN)
    response = client.get("/dashboard")
    text = page_text(response)
    assert "Keine Bewerbung wartet auf eine Entscheidung." in text
    assert "Keine laufende Prozessbegleitung hat überfällige Meilensteine." in text


# Long lists ----------------------------------------------------------------------------------


def test_long_lists_show_the_first_twenty_and_link_to_the_rest(
    client, session, logged_in, count_queries
):
    """A lead with 25 running engagements (each with two overdue milestones and a follow-up
    of their own): every list stops at 20, says how many there are and links to them all."""
    me = logged_in(Role.LEAD, name="Lea Leitung")

    def add(count: int) -> None:
        for _ in range(count):
            engagement = factories.make_engagement(session, lead=me, status=EngagementStatus.AKTIV)
            factories.make_follow_up(session, engagement, assignee=me, due_on=date(2025, 3, 1))

    def queries() -> int:
        session.expunge_all()
        with count_queries() as counter:
            assert client.get("/dashboard").status_code == 200
        return counter.count

    with clock.frozen(TODAY):
        add(1)
        one = queries()
        add(24)
        many = queries()
        response = client.get("/dashboard")
    assert one == many
    text = page_text(response)
    for caption in (
        "Meine Meilensteine",
        "Laufende und geplante Prozessbegleitungen",
        "Meine offenen Wiedervorlagen",
        "Prozessbegleitungen mit überfälligen Meilensteinen",
    ):
        assert len(body_rows(table(response, caption))) == 20, caption
    # Four of each engagement's milestones are overdue or due within 14 days.
    assert "Gezeigt werden die ersten 20 von 100." in text
    assert text.count("Gezeigt werden die ersten 20 von 25.") == 3
    html = response.get_data(as_text=True)
    assert html.count('<a href="/engagements?mine=1">Alle meine Prozessbegleitungen</a>') == 3
    assert (
        '<a href="/engagements?overdue=1">Alle Prozessbegleitungen mit überfälligen '
        "Meilensteinen</a>" in html
    )
    # The most urgent first: every milestone shown is due no later than any one left out.
    shown = body_rows(table(response, "Meine Meilensteine"))
    assert all("überfällig seit" in row[-1] for row in shown)


def test_short_lists_have_no_link_to_the_rest(client, session, logged_in):
    me = logged_in(Role.CONSULTANT)
    engagement = factories.make_engagement(session, lead=me, status=EngagementStatus.AKTIV)
    factories.make_follow_up(session, engagement, assignee=me)
    with clock.frozen(TODAY):
        response = client.get("/dashboard")
    assert "Gezeigt werden die ersten" not in page_text(response)
