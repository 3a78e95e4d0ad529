"""/applications (list with status and round filters) and /applications/<id>."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from caseflow.intake.models import ApplicationStatus
from caseflow.organisations.choices import District, Sector
from caseflow.staff.models import Role
from tests import factories
from tests.pages.helpers import body_rows, page_text, table


@pytest.fixture
def applications(session, make_staff):
    """Three applications in two rounds; the first has two reviews."""
    reviewer_a = make_staff(Role.CONSULTANT, name="Ada Prüferin")
    reviewer_b = make_staff(Role.LEAD, name="Ben Leitung")
    spring = factories.make_round(session, name="Frühjahr 2025")
    autumn = factories.make_round(session, name="Herbst 2025")
    reviewed = factories.make_application(
        session,
        round=spring,
        organisation_name="Jugendamt Neukölln",
        sector=Sector.BUERGERDIENST,
        subtype="jugendamt",
        district=District.NEUKOELLN,
        submitted_at=datetime(2025, 2, 3, 9, 30, tzinfo=UTC),
    )
    factories.make_review(session, reviewed, reviewer_a, scores=(4, 3, 5, 2), comment="Gut")
    factories.make_review(session, reviewed, reviewer_b, scores=(5, 5, 4, 4))
    in_review = factories.make_application(
        session,
        round=spring,
        status=ApplicationStatus.IN_PRUEFUNG,
        organisation_name="Kita-Träger Süd",
        sector=Sector.KINDER_FAMILIE,
        subtype="kita_traeger",
        district=District.STEGLITZ_ZEHLENDORF,
        submitted_at=datetime(2025, 2, 10, 9, 0, tzinfo=UTC),
    )
    factories.make_review(session, in_review, reviewer_a, scores=(3, 3, 3, 4))
    waiting = factories.make_application(
        session,
        round=autumn,
        status=ApplicationStatus.WARTELISTE,
        organisation_name="Klinikum Ost",
        sector=Sector.GESUNDHEIT,
        subtype="krankenhaus",
        district=District.BERLINWEIT,
        decided_by=reviewer_b,
        submitted_at=datetime(2025, 9, 15, 12, 0, tzinfo=UTC),
    )
    return {
        "reviewed": reviewed,
        "in_review": in_review,
        "waiting": waiting,
        "spring": spring,
        "autumn": autumn,
    }


def _references(response) -> list[str]:
    return [row[0] for row in body_rows(table(response, "Bewerbungen"))]


def test_list_shows_every_column(client, logged_in, applications):
    logged_in(Role.CONSULTANT)
    response = client.get("/applications")
    assert response.status_code == 200
    rows = body_rows(table(response, "Bewerbungen"))
    assert rows == [
        [
            applications["waiting"].reference,
            "Klinikum Ost",
            "Gesundheitsversorgung",
            "berlinweit",
            "Herbst 2025",
            "Warteliste",
            "15.09.2025",
            "–",
            "0",
        ],
        [
            applications["in_review"].reference,
            "Kita-Träger Süd",
            "Soziale Dienste für Kinder und Familie",
            "Steglitz-Zehlendorf",
            "Frühjahr 2025",
            "in Prüfung",
            "10.02.2025",
            "3,25",
            "1",
        ],
        [
            applications["reviewed"].reference,
            "Jugendamt Neukölln",
            "Bürger*innendienste",
            "Neukölln",
            "Frühjahr 2025",
            "eingegangen",
            "03.02.2025",
            "4,0",
            "2",
        ],
    ]
    html = response.get_data(as_text=True)
    assert f'href="/applications/{applications["reviewed"].id}"' in html
    assert '<span class="badge badge--warteliste">Warteliste</span>' in html


def test_filter_by_status_and_round(client, logged_in, applications):
    logged_in(Role.CONSULTANT)
    spring, autumn = applications["spring"].id, applications["autumn"].id
    assert _references(client.get("/applications?status=in_pruefung")) == [
        applications["in_review"].reference
    ]
    assert _references(client.get(f"/applications?round={spring}")) == [
        applications["in_review"].reference,
        applications["reviewed"].reference,
    ]
    assert _references(client.get(f"/applications?round={autumn}&status=warteliste")) == [
        applications["waiting"].reference
    ]
    nothing = client.get(f"/applications?round={autumn}&status=eingegangen")
    assert "Keine Bewerbung passt zu diesem Filter." in page_text(nothing)


def test_the_filter_form_keeps_the_selection(client, logged_in, applications):
    logged_in(Role.CONSULTANT)
    spring = applications["spring"].id
    html = client.get(f"/applications?status=in_pruefung&round={spring}").get_data(as_text=True)
    assert '<form method="get" class="filters"' in html
    assert '<label for="filter-status">Status</label>' in html
    assert '<label for="filter-round">Bewerbungsrunde</label>' in html
    assert '<option value="in_pruefung" selected>in Prüfung</option>' in html
    assert f'<option value="{spring}" selected>Frühjahr 2025</option>' in html


@pytest.mark.parametrize(
    ("query", "note"),
    [
        ("status=offen", "Den Status „offen“ gibt es nicht; der Filter wurde ignoriert."),
        ("round=abc", "Die Bewerbungsrunde „abc“ gibt es nicht; der Filter wurde ignoriert."),
        ("round=999999", "Die Bewerbungsrunde „999999“ gibt es nicht"),
        ("round=1e309&status=%F0%9F", "der Filter wurde ignoriert."),
        ("status=<script>", "Den Status „<script>“ gibt es nicht"),
    ],
)
def test_unknown_filter_values_are_ignored_with_a_note(
    client, logged_in, applications, query, note
):
    logged_in(Role.CONSULTANT)
    response = client.get(f"/applications?{query}")
    assert response.status_code == 200
    assert note in page_text(response)
    assert len(_references(response)) == 3
    assert "<script>" not in response.get_data(as_text=True)


def test_empty_list(client, logged_in):
    logged_in(Role.CONSULTANT)
    assert "Es sind noch keine Bewerbungen eingegangen." in page_text(client.get("/applications"))


def test_application_page_shows_the_submitted_data_grouped(client, session, logged_in):
    logged_in(Role.CONSULTANT)
    application = factories.make_application(
        session,
        organisation_name="Sozialamt Lichtenberg",
        sector=Sector.BUERGERDIENST,
        subtype="sozialamt",
        district=District.LICHTENBERG,
        address="Alt-Friedrichsfelde 60, 10315 Berlin",
        website="https://www.berlin.de/ba-lichtenberg",
        staff_size=240,
        contact_name="Dana Demir",
        contact_role="Fachbereichsleitung",
        contact_email="dana.demir@ba-lichtenberg.example.org",
        contact_phone="030 1234567",
        motivation="Viele Anträge scheitern an der Sprache.\nWir wollen das ändern.",
        known_barriers="Formulare nur auf Deutsch",
        target_groups="Geflüchtete Familien",
        has_leadership_support=True,
        leadership_support_by="Bezirksstadträtin",
        steering_group="Drei Teamleitungen, je 2 Stunden im Monat",
        desired_start=date(2025, 4, 1),
        desired_duration_months=12,
        consent_text_version="2024-09",
    )
    response = client.get(f"/applications/{application.id}")
    assert response.status_code == 200
    text = page_text(response)
    assert f"Bewerbung {application.reference}: Sozialamt Lichtenberg" in text
    html = response.get_data(as_text=True)
    headings = [
        f">{group}</h3>" for group in ("Organisation", "Ansprechperson", "Anliegen", "Rahmen")
    ]
    positions = [html.index(heading) for heading in headings]
    assert positions == sorted(positions)
    for fact in (
        "Bereich Bürger*innendienste",
        "Art Sozialamt",
        "Bezirk Lichtenberg",
        "Adresse Alt-Friedrichsfelde 60, 10315 Berlin",
        "Website https://www.berlin.de/ba-lichtenberg",
        "Zahl der Mitarbeitenden 240",
        "Name Dana Demir",
        "Funktion Fachbereichsleitung",
        "E-Mail dana.demir@ba-lichtenberg.example.org",
        "Telefon 030 1234567",
        "Motivation Viele Anträge scheitern an der Sprache. Wir wollen das ändern.",
        "Bekannte Zugangsbarrieren Formulare nur auf Deutsch",
        "Zielgruppen Geflüchtete Familien",
        "Unterstützung durch die Leitung ja – Bezirksstadträtin",
        "Ressourcen für eine Steuerungsgruppe Drei Teamleitungen, je 2 Stunden im Monat",
        "Gewünschter Beginn 01.04.2025",
        "Gewünschte Dauer 12 Monate",
        "Einwilligung in die Datenverarbeitung am 15.01.2025, 10:00 (Textversion 2024-09)",
        "Status eingegangen",
    ):
        assert fact in text, fact
    assert "Viele Anträge scheitern an der Sprache.<br>Wir wollen das ändern." in html
    assert "Diese Bewerbung wurde noch nicht bewertet." in text
    assert "Über diese Bewerbung ist noch nicht entschieden." in text


def test_application_page_shows_reviews_with_scores_and_averages(client, logged_in, applications):
    logged_in(Role.CONSULTANT)
    response = client.get(f"/applications/{applications['reviewed'].id}")
    reviews = table(response, "Bewertungen je Kriterium")
    assert reviews.rows[0] == [
        "Bewertet von",
        "Leitungsunterstützung",
        "Ressourcen für eine Prozessgruppe",
        "Relevanz für Drittstaatsangehörige",
        "Machbarkeit im Förderzeitraum",
        "Durchschnitt",
        "Kommentar",
    ]
    assert reviews.row("Ada Prüferin") == ["Ada Prüferin", "4", "3", "5", "2", "3,5", "Gut"]
    assert reviews.row("Ben Leitung") == ["Ben Leitung", "5", "5", "4", "4", "4,5", "–"]
    assert reviews.row("Durchschnitt aller Bewertungen") == [
        "Durchschnitt aller Bewertungen",
        "4,5",
        "4,0",
        "4,5",
        "3,0",
        "4,0",
        "",
    ]
    assert "Ø Bewertung 4,0 (2 Bewertungen)" in page_text(response)


def test_application_page_shows_the_decision_and_links(client, session, logged_in):
    lead = logged_in(Role.LEAD, name="Lea Leitung")
    engagement = factories.make_engagement(
        session,
        lead=lead,
        organisation=factories.make_organisation(session, name="Gesundheitsamt Mitte"),
        start=date(2025, 4, 1),
        end=date(2026, 3, 31),
    )
    accepted = factories.make_application(
        session,
        status=ApplicationStatus.ANGENOMMEN,
        decided_by=lead,
        engagement=engagement,
        preliminary_talk_on=date(2025, 1, 28),
        decision_reason="Starke Leitungsunterstützung",
    )
    response = client.get(f"/applications/{accepted.id}")
    text = page_text(response)
    for fact in (
        "Vorgespräch am 28.01.2025",
        "Status angenommen",
        "Entschieden am 04.02.2025, 10:00",
        "Entschieden von Lea Leitung",
        "Begründung Starke Leitungsunterstützung",
        "Organisation Gesundheitsamt Mitte",
        "Prozessbegleitung Prozessbegleitung ab 01.04.2025",
    ):
        assert fact in text, fact
    html = response.get_data(as_text=True)
    assert f'href="/organisations/{engagement.organisation.id}"' in html
    assert f'href="/engagements/{engagement.id}"' in html


def test_declined_and_withdrawn_applications(client, session, logged_in):
    lead = logged_in(Role.LEAD)
    declined = factories.make_application(
        session, status=ApplicationStatus.ABGELEHNT, decided_by=lead
    )
    withdrawn = factories.make_application(session, status=ApplicationStatus.ZURUECKGEZOGEN)
    declined_text = page_text(client.get(f"/applications/{declined.id}"))
    withdrawn_text = page_text(client.get(f"/applications/{withdrawn.id}"))
    assert "Begründung Passt nicht in diese Runde." in declined_text
    assert "Status abgelehnt" in declined_text
    assert "Zurückgezogen am 18.01.2025, 10:00" in withdrawn_text


def test_application_page_shows_its_audit_history(client, session, logged_in, applications):
    logged_in(Role.CONSULTANT)
    application = applications["in_review"]
    factories.make_audit_event(
        session,
        object_type="application",
        object_id=application.id,
        action="application.submitted",
        actor_label="System",
        at=datetime(2025, 2, 10, 9, 0, tzinfo=UTC),
    )
    factories.make_audit_event(
        session,
        object_type="application",
        object_id=application.id,
        action="application.status_changed",
        actor_label="Ben Leitung",
        changes={"status": ["eingegangen", "in_pruefung"]},
        at=datetime(2025, 2, 12, 15, 30, tzinfo=UTC),
    )
    factories.make_audit_event(
        session,
        object_type="engagement",
        object_id=application.id,
        action="same.id.other.type",
    )
    response = client.get(f"/applications/{application.id}")
    assert body_rows(table(response, "Protokollierte Änderungen")) == [
        [
            "12.02.2025, 16:30",
            "Ben Leitung",
            "application.status_changed",
            "status: [eingegangen, in_pruefung]",
        ],
        ["10.02.2025, 10:00", "System", "application.submitted", "–"],
    ]


def test_unknown_application_is_404(client, logged_in):
    logged_in(Role.CONSULTANT)
    assert client.get("/applications/424242").status_code == 404
    assert client.get("/applications/abc").status_code == 404
