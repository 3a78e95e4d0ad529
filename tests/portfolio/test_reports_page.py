"""/reports: the key figures."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from flask_babel import force_locale
from markupsafe import escape

from caseflow import clock
from caseflow.engagements.models import BarrierCategory, BarrierStatus, EngagementStatus
from caseflow.followups.models import FollowUpStatus
from caseflow.intake.models import ApplicationStatus
from caseflow.organisations.choices import Sector
from caseflow.portfolio.figures import ReportPeriod, report_figures
from caseflow.portfolio.report import report_tables
from caseflow.staff.models import Role
from tests import factories
from tests.pages.helpers import body_rows, page_text, table, tables

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
    # The overdue ones are part of the open ones: their own column, never summed twice.
    milestones_table = table(response, "Meilensteine nach Stand")
    assert milestones_table.rows == [
        ["Stand", "Anzahl", "davon überfällig"],
        ["erledigt", "1", "–"],
        ["offen", "22", "1"],
        ["entfallen", "1", "–"],
        ["Summe", "24", "1"],
    ]

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
        on_the_day = table(client.get("/reports"), "Meilensteine nach Stand")
    with clock.frozen(date(2025, 1, 2)):
        day_after = table(client.get("/reports"), "Meilensteine nach Stand")
    assert on_the_day.row("offen")[2] == "0"
    assert day_after.row("offen")[2] == "1"


# The period ---------------------------------------------------------------------------------

PERIOD = "from=2025-03-01&to=2025-05-31"


def _activity_day(client, day: str) -> dict[str, str]:
    return _figures(client.get(f"/reports?from={day}&to={day}"), "Aktivitäten nach Art")


def test_the_period_form_defaults_to_the_programme(client, logged_in):
    logged_in(Role.LEAD)
    with clock.frozen(TODAY):
        response = client.get("/reports")
    html = response.get_data(as_text=True)
    assert 'type="date" id="report-from" name="from" value="2024-04-01"' in html
    assert 'type="date" id="report-to" name="to" value="2026-07-31"' in html
    assert "Zeitraum: 01.04.2024 bis 31.07.2026" in page_text(response)
    assert 'role="alert"' not in html


def test_a_day_before_on_and_after_the_period(client, session, logged_in):
    lead = logged_in(Role.LEAD)
    engagement = factories.make_engagement(session, lead=lead)
    factories.make_activity(session, engagement, occurred_on=date(2025, 3, 1))
    with clock.frozen(TODAY):
        before = _activity_day(client, "2025-02-28")
        on = _activity_day(client, "2025-03-01")
        after = _activity_day(client, "2025-03-02")
    assert (before["Treffen"], on["Treffen"], after["Treffen"]) == ("0", "1", "0")


def test_key_figures_in_german_number_format(client, session, logged_in):
    lead = logged_in(Role.LEAD)
    engagement = factories.make_engagement(
        session,
        lead=lead,
        start=date(2025, 3, 1),
        end=date(2026, 2, 28),
        status=EngagementStatus.AKTIV,
    )
    # 90 + 45 minutes = 2,25 hours → 2,3; 7 + 3 participants
    factories.make_activity(
        session, engagement, occurred_on=date(2025, 3, 3), duration_minutes=90, participants_count=7
    )
    factories.make_activity(
        session, engagement, occurred_on=date(2025, 3, 4), duration_minutes=45, participants_count=3
    )
    for status in (ApplicationStatus.ANGENOMMEN, ApplicationStatus.ABGELEHNT):
        factories.make_application(
            session,
            status=status,
            decided_by=lead,
            engagement=engagement if status is ApplicationStatus.ANGENOMMEN else None,
            submitted_at=datetime(2025, 3, 10, 9, 0, tzinfo=UTC),
        )
    factories.make_application(
        session,
        status=ApplicationStatus.ABGELEHNT,
        decided_by=lead,
        submitted_at=datetime(2025, 3, 11, 9, 0, tzinfo=UTC),
    )
    with clock.frozen(TODAY):
        response = client.get(f"/reports?{PERIOD}")
    assert response.status_code == 200
    activities = table(response, "Aktivitäten nach Art")
    assert activities.row("Treffen") == ["Treffen", "2", "2,3", "10"]
    assert activities.row("Summe") == ["Summe", "2", "2,3", "10"]
    # 1 accepted of 3 decided
    rate = table(response, "Annahmequote")
    assert rate.rows[0][-1] == "Annahmequote"
    assert rate.rows[1] == ["im Zeitraum eingegangen", "1", "2", "3", "0", "33,3 %"]
    durations = table(response, "Durchschnittliche Laufzeit")
    assert durations.row("geplant, aktuell (im Zeitraum begonnen)")[1:] == ["1", "12,0"]
    assert durations.row("ursprünglich geplant (im Zeitraum begonnen)")[1:] == ["1", "12,0"]
    assert durations.row("tatsächlich (im Zeitraum abgeschlossen)")[1:] == ["0", "–"]
    engagements = _figures(response, "Prozessbegleitungen im Zeitraum")
    assert engagements == {
        "begonnen": "1",
        "aktiv an mindestens einem Tag": "1",
        "abgeschlossen": "0",
        "abgebrochen": "0",
    }


def test_no_decisions_show_a_dash_not_a_rate(client, logged_in):
    logged_in(Role.LEAD)
    with clock.frozen(TODAY):
        response = client.get("/reports")
    assert table(response, "Annahmequote").rows[1][-1] == "–"


def test_every_category_has_a_row_even_without_data(client, logged_in):
    logged_in(Role.LEAD)
    with clock.frozen(TODAY):
        response = client.get("/reports")
    assert len(body_rows(table(response, "Bewerbungen nach Status"))) == len(ApplicationStatus) + 1
    assert len(body_rows(table(response, "Bewerbungen nach Bezirk"))) == 13 + 1
    assert len(body_rows(table(response, "Aktivitäten nach Art"))) == 5 + 1
    assert len(body_rows(table(response, "Erledigte Wiedervorlagen"))) == 3 + 1


@pytest.mark.parametrize(
    "query",
    [
        "from=abc",
        "from=2025-13-01",
        "to=31.02.2025",
        "from=2025-06-01&to=2025-05-31",
        "from=0001-01-01",
        "to=9999-12-31",
        "from=10000-01-01",
        "from=2025-03-01T00:00",
        "from=%E2%80%8B",
    ],
)
def test_unusable_periods_show_a_message_and_the_programme(client, logged_in, query):
    logged_in(Role.LEAD)
    with clock.frozen(TODAY):
        response = client.get(f"/reports?{query}")
        csv_response = client.get(f"/reports/bewerbungen-status.csv?{query}")
        xlsx = client.get(f"/reports/export.xlsx?{query}")
        printed = client.get(f"/reports/print?{query}")
    assert response.status_code == 200
    text = page_text(response)
    assert "Angezeigt wird der ganze Förderzeitraum" in text
    assert "Zeitraum: 01.04.2024 bis 31.07.2026" in text
    assert printed.status_code == 200
    # A file of another period than the one asked for would mislead: refused, with the reason.
    assert csv_response.status_code == 400
    refusal = page_text(csv_response)
    assert "Bitte wählen Sie den Zeitraum auf der Berichtsseite neu." in refusal
    assert "Förderzeitraum" not in refusal  # nothing is shown for the whole programme
    assert xlsx.status_code == 400


@pytest.mark.parametrize(
    "typed",
    # What date.fromisoformat alone would take, and a German day that does not exist: the
    # app's list filters (web.filters.date_filter) refuse them all.
    ["20250301", "2025-W10-1", "\u0662\u0660\u0662\u0665-\u0660\u0663-\u0660\u0661", "30.02.2025"],
)
def test_only_iso_dates_count_and_the_form_keeps_what_was_typed(client, logged_in, typed):
    logged_in(Role.LEAD)
    with clock.frozen(TODAY):
        response = client.get("/reports", query_string={"from": typed, "to": "2025-03-31"})
        csv_response = client.get(
            "/reports/bewerbungen-status.csv", query_string={"from": typed, "to": "2025-03-31"}
        )
    assert response.status_code == 200
    text = page_text(response)
    assert f"Von: „{typed}“ ist kein gültiges Datum" in text
    assert "Angezeigt wird der ganze Förderzeitraum." in text
    assert "Zeitraum: 01.04.2024 bis 31.07.2026" in text
    # The form shows the input, so it can be corrected; the exports keep the period used.
    html = response.get_data(as_text=True)
    assert f'id="report-from" name="from" value="{escape(typed)}"' in html
    assert 'id="report-to" name="to" value="2025-03-31"' in html
    assert 'href="/reports/export.xlsx?from=2024-04-01&amp;to=2026-07-31"' in html
    assert csv_response.status_code == 400


def test_a_day_typed_the_german_way_counts_and_goes_back_in_iso(client, logged_in):
    """A browser without a date picker shows a text box, where "1.3.2025" is what people
    type; the date input gets the day back as it needs it."""
    logged_in(Role.LEAD)
    with clock.frozen(TODAY):
        response = client.get("/reports", query_string={"from": "1.3.2025", "to": "31.03.2025"})
    assert "Zeitraum: 01.03.2025 bis 31.03.2025" in page_text(response)
    html = response.get_data(as_text=True)
    assert 'id="report-from" name="from" value="2025-03-01"' in html
    assert 'id="report-to" name="to" value="2025-03-31"' in html


def test_a_period_from_after_to_says_so(client, logged_in):
    logged_in(Role.LEAD)
    with clock.frozen(TODAY):
        response = client.get("/reports?from=2025-06-01&to=2025-05-31")
    assert "Der Zeitraum beginnt nach seinem Ende." in page_text(response)


def test_one_sided_periods_take_the_programme_bound(client, logged_in):
    logged_in(Role.LEAD)
    with clock.frozen(TODAY):
        response = client.get("/reports?from=2025-01-01")
    assert "Zeitraum: 01.01.2025 bis 31.07.2026" in page_text(response)


# Charts, links, print ---------------------------------------------------------------------


def test_charts_are_accessible_images_with_their_numbers(client, session, logged_in):
    logged_in(Role.LEAD)
    for _ in range(3):
        factories.make_application(session)
    with clock.frozen(TODAY):
        response = client.get("/reports")
    html = response.get_data(as_text=True)
    for slug in ("bewerbungen-status", "zugangsbarrieren", "meilensteine-termintreue"):
        assert f'role="img" aria-labelledby="chart-{slug}-title chart-{slug}-desc"' in html
        assert f'<title id="chart-{slug}-title">' in html
        assert f'<desc id="chart-{slug}-desc">' in html
    assert "eingegangen: 3; in Prüfung: 0" in html
    assert 'font-weight="bold">3</text>' in html
    assert "style=" not in html
    # stacked series differ by pattern, not colour alone
    assert 'fill="url(#chart-zugangsbarrieren-hatch)"' in html


def test_links_to_the_exports_keep_the_period(client, logged_in):
    logged_in(Role.LEAD)
    with clock.frozen(TODAY):
        html = client.get(f"/reports?{PERIOD}").get_data(as_text=True)
    assert 'href="/reports/export.xlsx?from=2025-03-01&amp;to=2025-05-31"' in html
    assert 'href="/reports/bewerbungen-status.csv?from=2025-03-01&amp;to=2025-05-31"' in html
    assert 'href="/reports/print?from=2025-03-01&amp;to=2025-05-31"' in html


def test_print_page_has_everything_but_the_controls(client, logged_in):
    logged_in(Role.LEAD)
    with clock.frozen(datetime(2025, 3, 10, 11, 0, tzinfo=UTC)):
        screen = client.get(f"/reports?{PERIOD}")
        response = client.get(f"/reports/print?{PERIOD}")
    assert response.status_code == 200
    text = page_text(response)
    assert "Zeitraum 01.03.2025 bis 31.05.2025" in text
    assert "Erstellt am 10.03.2025, 12:00" in text
    html = response.get_data(as_text=True)
    assert [t.caption for t in tables(response)] == [t.caption for t in tables(screen)]
    assert html.count('role="img"') == 3
    main = html[html.index("<main") :]
    assert 'name="from"' not in main
    assert ".csv" not in main
    assert "export.xlsx" not in main


# Access and queries ---------------------------------------------------------------------

REPORT_URLS = [
    "/reports",
    "/reports?from=2025-01-01&to=2025-12-31",
    "/reports/print",
    "/reports/export.xlsx",
    "/reports/bewerbungen-status.csv",
    "/reports/gibt-es-nicht.csv",
]


@pytest.mark.parametrize("path", REPORT_URLS)
def test_consultants_may_not_see_any_report(client, logged_in, path):
    logged_in(Role.CONSULTANT)
    assert client.get(path).status_code == 403


@pytest.mark.parametrize("path", REPORT_URLS)
def test_anonymous_visitors_are_sent_to_the_login(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


@pytest.mark.parametrize("role", [Role.LEAD, Role.ADMIN])
def test_leads_and_admins_get_every_report(client, logged_in, role):
    logged_in(role)
    with clock.frozen(TODAY):
        assert [client.get(path).status_code for path in REPORT_URLS] == [200] * 5 + [404]


def _engagement_with_everything(session, lead, index: int) -> None:
    engagement = factories.make_engagement(
        session, lead=lead, start=date(2024, 6, 1 + index), end=date(2025, 5, 31)
    )
    factories.complete_milestone(session, factories.milestones_of(engagement)[0], on=TODAY)
    factories.make_activity(session, engagement, duration_minutes=60)
    factories.make_barrier(session, engagement)
    factories.make_follow_up(session, engagement, assignee=lead, status=FollowUpStatus.ERLEDIGT)
    factories.make_application(session, status=ApplicationStatus.ABGELEHNT, decided_by=lead)


def _count(client, session, count_queries, path: str) -> int:
    session.expunge_all()
    with count_queries() as counter:
        response = client.get(path)
    assert response.status_code == 200, path
    return counter.count


@pytest.mark.parametrize(
    "path",
    ["/reports", "/reports/print", "/reports/export.xlsx", "/reports/aktivitaeten.csv"],
)
def test_reports_run_a_fixed_number_of_queries(client, session, logged_in, count_queries, path):
    lead = logged_in(Role.LEAD)
    with clock.frozen(TODAY):
        _engagement_with_everything(session, lead, 0)
        one = _count(client, session, count_queries, path)
        for index in range(1, 6):
            _engagement_with_everything(session, lead, index)
        several = _count(client, session, count_queries, path)
    print(f"{path}: {one} queries with 1 engagement, {several} with 6")
    assert one == several
    assert several <= 12


def test_report_tables_keep_their_order_and_slugs(session, app):
    with app.test_request_context(), force_locale("de"):
        period = ReportPeriod(date(2025, 3, 1), date(2025, 5, 31))
        tables_ = report_tables(report_figures(session, period, today=TODAY))
    assert [table_.slug for table_ in tables_] == [
        "bewerbungen-status",
        "bewerbungen-bereich",
        "bewerbungen-bezirk",
        "annahmequote",
        "prozessbegleitungen",
        "prozessbegleitungen-status",
        "laufzeit",
        "meilensteine-termintreue",
        "meilensteine-stand",
        "aktivitaeten",
        "zugangsbarrieren",
        "wiedervorlagen",
        "organisationen-bereich",
    ]
