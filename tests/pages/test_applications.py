"""/applications (list with filters, sorting, counts per status and possible duplicates) and
/applications/<id>."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from urllib.parse import parse_qs, urlsplit

import pytest

from caseflow import clock
from caseflow.intake.models import ApplicationStatus
from caseflow.organisations.choices import District, Sector
from caseflow.staff.models import Role
from tests import factories
from tests.pages.helpers import body_rows, page_text, table

TODAY = date(2025, 10, 15)


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


def _get(client, path: str):
    with clock.frozen(TODAY):
        response = client.get(path)
    assert response.status_code == 200, path
    return response


def _references(response) -> list[str]:
    return [row[0] for row in body_rows(table(response, "Bewerbungen"))]


def _links(response) -> dict[str, dict[str, list[str]]]:
    """The query parameters of every link to the list, by link text."""
    html = response.get_data(as_text=True)
    found = {}
    for href, text in re.findall(r'<a href="(/applications\?[^"]*)"[^>]*>([^<]*)</a>', html):
        found[" ".join(text.split())] = parse_qs(urlsplit(href.replace("&amp;", "&")).query)
    return found


def test_list_shows_every_column(client, logged_in, applications):
    logged_in(Role.CONSULTANT)
    response = _get(client, "/applications")
    listing = table(response, "Bewerbungen")
    assert listing.rows[0] == [
        "Kennung",
        "Organisation",
        "Runde",
        "Eingegangen am ↓",
        "Alter in Tagen",
        "Status",
        "Ø Bewertung",
        "Dubletten",
    ]
    assert body_rows(listing) == [
        [
            applications["waiting"].reference,
            "Klinikum Ost Gesundheitsversorgung · berlinweit",
            "Herbst 2025",
            "15.09.2025",
            "20 bis zur Entscheidung",
            "Warteliste",
            "– (0 Bewertungen)",
            "–",
        ],
        [
            applications["in_review"].reference,
            "Kita-Träger Süd Soziale Dienste für Kinder und Familie · Steglitz-Zehlendorf",
            "Frühjahr 2025",
            "10.02.2025",
            str((TODAY - date(2025, 2, 10)).days),
            "in Prüfung",
            "3,25 (1 Bewertung)",
            "–",
        ],
        [
            applications["reviewed"].reference,
            "Jugendamt Neukölln Bürger*innendienste · Neukölln",
            "Frühjahr 2025",
            "03.02.2025",
            "254",
            "eingegangen",
            "4,0 (2 Bewertungen)",
            "–",
        ],
    ]
    assert listing.caption == "Bewerbungen (3), sortiert: Eingang, neueste zuerst"
    html = response.get_data(as_text=True)
    assert f'href="/applications/{applications["reviewed"].id}"' in html
    assert '<span class="badge badge--warteliste">Warteliste</span>' in html
    assert 'aria-describedby="applications-hint"' in html
    assert "Alter: Tage seit dem Eingang." in page_text(response)


def test_age_of_withdrawn_applications_counts_to_the_withdrawal(client, session, logged_in):
    logged_in(Role.CONSULTANT)
    factories.make_application(
        session,
        status=ApplicationStatus.ZURUECKGEZOGEN,
        submitted_at=datetime(2025, 9, 1, 10, 0, tzinfo=UTC),
    )
    factories.make_application(session, submitted_at=datetime(2025, 10, 14, 22, 30, tzinfo=UTC))
    rows = body_rows(table(_get(client, "/applications"), "Bewerbungen"))
    # 22:30 UTC on 14 October is already the 15th in Berlin (CEST): received today, age 0.
    assert [(row[3], row[4]) for row in rows] == [
        ("15.10.2025", "0"),
        ("01.09.2025", "3 bis zum Rückzug"),
    ]


def test_filter_by_status_and_round(client, logged_in, applications):
    logged_in(Role.CONSULTANT)
    spring, autumn = applications["spring"].id, applications["autumn"].id
    assert _references(_get(client, "/applications?status=in_pruefung")) == [
        applications["in_review"].reference
    ]
    assert _references(_get(client, f"/applications?round={spring}")) == [
        applications["in_review"].reference,
        applications["reviewed"].reference,
    ]
    assert _references(_get(client, f"/applications?round={autumn}&status=warteliste")) == [
        applications["waiting"].reference
    ]
    nothing = _get(client, f"/applications?round={autumn}&status=eingegangen")
    assert "Keine Bewerbung passt zu diesem Filter." in page_text(nothing)


def test_filter_by_sector_and_district(client, logged_in, applications):
    logged_in(Role.CONSULTANT)
    health = _get(client, "/applications?sector=gesundheit")
    assert _references(health) == [applications["waiting"].reference]
    assert table(health, "Bewerbungen").caption.startswith("Bewerbungen – Gesundheitsversorgung")
    assert _references(_get(client, "/applications?district=neukoelln")) == [
        applications["reviewed"].reference
    ]
    assert _references(
        _get(client, "/applications?sector=kinder_familie&district=steglitz-zehlendorf")
    ) == [applications["in_review"].reference]
    nothing = _get(client, "/applications?sector=buergerdienst&district=mitte")
    assert "Keine Bewerbung passt zu diesem Filter." in page_text(nothing)


def test_filter_by_days_received_in_berlin_time(client, session, logged_in):
    logged_in(Role.CONSULTANT)
    # 23:30 UTC on 3 February is 00:30 on the 4th in Berlin; 22:30 UTC is 23:30 on the 3rd.
    after_midnight = factories.make_application(
        session, submitted_at=datetime(2025, 2, 3, 23, 30, tzinfo=UTC)
    )
    before_midnight = factories.make_application(
        session, submitted_at=datetime(2025, 2, 3, 22, 30, tzinfo=UTC)
    )
    later = factories.make_application(
        session, submitted_at=datetime(2025, 2, 5, 10, 0, tzinfo=UTC)
    )
    assert _references(_get(client, "/applications?received_to=2025-02-03")) == [
        before_midnight.reference
    ]
    assert _references(_get(client, "/applications?received_from=2025-02-04")) == [
        later.reference,
        after_midnight.reference,
    ]
    one_day = _get(client, "/applications?received_from=2025-02-04&received_to=2025-02-04")
    assert _references(one_day) == [after_midnight.reference]
    assert body_rows(table(one_day, "Bewerbungen"))[0][3] == "04.02.2025"
    assert table(one_day, "Bewerbungen").caption.startswith(
        "Bewerbungen – ab 04.02.2025 – bis 04.02.2025 (1)"
    )
    assert _references(
        _get(client, "/applications?received_from=2025-02-03&received_to=2025-02-05")
    ) == [later.reference, after_midnight.reference, before_midnight.reference]


def test_a_reversed_date_range_says_why_nothing_matches(client, logged_in, applications):
    logged_in(Role.CONSULTANT)
    response = _get(client, "/applications?received_from=2025-03-01&received_to=2025-02-01")
    text = page_text(response)
    assert "„Eingegangen bis“ liegt vor „Eingegangen ab“" in text
    assert "Keine Bewerbung passt zu diesem Filter." in text


def test_the_filter_form_keeps_the_selection(client, logged_in, applications):
    logged_in(Role.CONSULTANT)
    spring = applications["spring"].id
    html = _get(
        client,
        f"/applications?status=in_pruefung&round={spring}&sector=kinder_familie"
        "&district=steglitz-zehlendorf&received_from=2025-01-01&received_to=2025-12-31&sort=name",
    ).get_data(as_text=True)
    assert '<form method="get" class="filters"' in html
    for control, label in (
        ("filter-status", "Status"),
        ("filter-round", "Bewerbungsrunde"),
        ("filter-sector", "Bereich"),
        ("filter-district", "Bezirk"),
        ("filter-received-from", "Eingegangen ab"),
        ("filter-received-to", "Eingegangen bis"),
        ("filter-sort", "Sortierung"),
    ):
        assert f'<label for="{control}">{label}</label>' in html
        assert f'id="{control}"' in html
    assert '<option value="in_pruefung" selected>in Prüfung</option>' in html
    assert f'<option value="{spring}" selected>Frühjahr 2025</option>' in html
    assert (
        '<option value="kinder_familie" selected>Soziale Dienste für Kinder und Familie</option>'
        in html
    )
    assert '<option value="steglitz-zehlendorf" selected>Steglitz-Zehlendorf</option>' in html
    assert 'name="received_from" value="2025-01-01"' in html
    assert 'name="received_to" value="2025-12-31"' in html
    assert '<option value="name" selected>Organisation A–Z</option>' in html
    assert 'href="/applications">Filter zurücksetzen</a>' in html


@pytest.mark.parametrize(
    ("query", "note"),
    [
        ("status=offen", "Den Status „offen“ gibt es nicht; der Filter wurde ignoriert."),
        ("round=abc", "Die Bewerbungsrunde „abc“ gibt es nicht; der Filter wurde ignoriert."),
        ("round=999999", "Die Bewerbungsrunde „999999“ gibt es nicht"),
        ("round=1e309&status=%F0%9F", "der Filter wurde ignoriert."),
        ("status=<script>", "Den Status „<script>“ gibt es nicht"),
        ("sector=amt", "Den Bereich „amt“ gibt es nicht; der Filter wurde ignoriert."),
        ("district=Neukölln", "Den Bezirk „Neukölln“ gibt es nicht; der Filter wurde ignoriert."),
        (
            "received_from=2025-02-30",
            "Eingegangen ab: „2025-02-30“ ist kein gültiges Datum; der Filter wurde ignoriert.",
        ),
        ("received_to=30.02.2025", "Eingegangen bis: „30.02.2025“ ist kein gültiges Datum"),
        ("received_to=20250203", "Eingegangen bis: „20250203“ ist kein gültiges Datum"),
        ("received_from=2025-W06-1", "„2025-W06-1“ ist kein gültiges Datum"),
        ("received_from=%D9%A2%D9%A0%D9%A2%D9%A5-01-01", "ist kein gültiges Datum"),
        ("received_from=<script>", "Eingegangen ab: „<script>“ ist kein gültiges Datum"),
        (
            "received_from=0001-01-01",
            "Eingegangen ab: „0001-01-01“ liegt außerhalb des möglichen Zeitraums; "
            "der Filter wurde ignoriert.",
        ),
        ("received_to=9999-12-31", "„9999-12-31“ liegt außerhalb des möglichen Zeitraums"),
        (
            "sort=best",
            "Die Sortierung „best“ gibt es nicht; die Liste ist nach Eingang sortiert, "
            "neueste zuerst.",
        ),
        ("sort=<script>", "Die Sortierung „<script>“ gibt es nicht"),
    ],
)
def test_unknown_filter_values_are_ignored_with_a_note(
    client, logged_in, applications, query, note
):
    logged_in(Role.CONSULTANT)
    response = _get(client, f"/applications?{query}")
    assert note in page_text(response)
    assert len(_references(response)) == 3
    assert "<script>" not in response.get_data(as_text=True)


@pytest.fixture
def to_sort(session, make_staff):
    """Four applications that each order puts differently."""
    reviewer = make_staff(Role.CONSULTANT)
    zentrum = factories.make_application(
        session,
        organisation_name="Zentrum Nord",
        submitted_at=datetime(2025, 1, 10, 9, 0, tzinfo=UTC),
    )
    factories.make_review(session, zentrum, reviewer, scores=(2, 2, 2, 2))
    aerztehaus = factories.make_application(
        session,
        status=ApplicationStatus.ABGELEHNT,
        organisation_name="ärztehaus Süd",
        submitted_at=datetime(2025, 3, 1, 9, 0, tzinfo=UTC),
    )
    factories.make_review(session, aerztehaus, reviewer, scores=(5, 5, 5, 5))
    buergeramt = factories.make_application(
        session,
        status=ApplicationStatus.IN_PRUEFUNG,
        organisation_name="Bürgeramt Ost",
        submitted_at=datetime(2025, 2, 1, 9, 0, tzinfo=UTC),
    )
    amt = factories.make_application(
        session,
        status=ApplicationStatus.WARTELISTE,
        organisation_name="Amt West",
        submitted_at=datetime(2024, 12, 20, 9, 0, tzinfo=UTC),
    )
    factories.make_review(session, amt, reviewer, scores=(3, 3, 3, 3))
    return {
        "zentrum": zentrum.reference,
        "aerztehaus": aerztehaus.reference,
        "buergeramt": buergeramt.reference,
        "amt": amt.reference,
    }


@pytest.mark.parametrize(
    ("sort", "order", "header", "direction"),
    [
        ("", ["aerztehaus", "buergeramt", "zentrum", "amt"], "Eingegangen am", "descending"),
        (
            "received",
            ["aerztehaus", "buergeramt", "zentrum", "amt"],
            "Eingegangen am",
            "descending",
        ),
        (
            "received_asc",
            ["amt", "zentrum", "buergeramt", "aerztehaus"],
            "Eingegangen am",
            "ascending",
        ),
        ("score", ["aerztehaus", "amt", "zentrum", "buergeramt"], "Ø Bewertung", "descending"),
        ("age", ["zentrum", "buergeramt", "amt", "aerztehaus"], "Alter in Tagen", "descending"),
        ("name", ["amt", "aerztehaus", "buergeramt", "zentrum"], "Organisation", "ascending"),
        ("reference", ["amt", "zentrum", "aerztehaus", "buergeramt"], "Kennung", "ascending"),
    ],
)
def test_sorting(client, logged_in, to_sort, sort, order, header, direction):
    logged_in(Role.CONSULTANT)
    response = _get(client, f"/applications?sort={sort}")
    assert _references(response) == [to_sort[key] for key in order]
    html = response.get_data(as_text=True)
    sorted_headers = re.findall(r'<th scope="col" aria-sort="(\w+)"><a [^>]*>([^<]*)</a>', html)
    assert sorted_headers == [(direction, header)]
    label = table(response, "Bewerbungen").caption.split("sortiert: ")[1]
    assert f"selected>{label}</option>" in html


def test_column_headers_link_to_their_order_keeping_the_filters(client, logged_in, applications):
    logged_in(Role.CONSULTANT)
    newest_first = _links(_get(client, "/applications?sector=gesundheit"))
    assert newest_first["Eingegangen am"] == {"sector": ["gesundheit"], "sort": ["received_asc"]}
    assert newest_first["Ø Bewertung"] == {"sector": ["gesundheit"], "sort": ["score"]}
    assert newest_first["Kennung"] == {"sector": ["gesundheit"], "sort": ["reference"]}
    oldest_first = _links(_get(client, "/applications?sort=received_asc"))
    assert oldest_first["Eingegangen am"] == {"sort": ["received"]}


def test_count_per_status_follows_the_other_filters(client, logged_in, applications):
    logged_in(Role.CONSULTANT)
    spring = str(applications["spring"].id)
    response = _get(client, f"/applications?round={spring}&status=in_pruefung&sort=score")
    assert (
        "Anzahl je Status: eingegangen 1 · in Prüfung 1 · im Vorgespräch 0 · angenommen 0 · "
        "abgelehnt 0 · Warteliste 0 · zurückgezogen 0 · alle 2"
    ) in page_text(response)
    links = _links(response)
    assert links["eingegangen 1"] == {
        "round": [spring],
        "status": ["eingegangen"],
        "sort": ["score"],
    }
    assert links["alle 2"] == {"round": [spring], "sort": ["score"]}
    assert 'aria-current="page">in Prüfung 1</a>' in response.get_data(as_text=True)
    everything = page_text(_get(client, "/applications"))
    assert "eingegangen 1 · in Prüfung 1 · im Vorgespräch 0" in everything
    assert "Warteliste 1 · zurückgezogen 0 · alle 3" in everything
    health = page_text(_get(client, "/applications?sector=gesundheit"))
    assert "eingegangen 0 · in Prüfung 0" in health
    assert "Warteliste 1 · zurückgezogen 0 · alle 1" in health


def test_possible_duplicates_are_flagged_on_both(client, session, logged_in):
    logged_in(Role.CONSULTANT)
    spring = factories.make_round(session, name="Frühjahr 2025")
    autumn = factories.make_round(session, name="Herbst 2025")

    def make(name: str, email: str, on: date, **fields):
        return factories.make_application(
            session,
            organisation_name=name,
            contact_email=email,
            submitted_at=datetime(on.year, on.month, on.day, 9, 0, tzinfo=UTC),
            **fields,
        )

    first = make("Bezirksamt Neukölln", "a@neukoelln.example.org", date(2025, 1, 10), round=spring)
    second = make("bezirksamt  neukolln", "b@neukoelln.example.org", date(2025, 6, 1), round=autumn)
    by_mail = make("Jugendamt Pankow", "Kontakt@JA.example.org", date(2025, 3, 1), round=spring)
    by_mail_too = make("Jugendamt", "kontakt@ja.example.org", date(2025, 3, 5), round=spring)
    too_late = make("Bezirksamt Neukölln", "c@neukoelln.example.org", date(2026, 6, 2))
    anonymised = make(
        "Bezirksamt Neukölln",
        "a@neukoelln.example.org",
        date(2025, 2, 1),
        round=spring,
        anonymised_at=datetime(2025, 9, 1, tzinfo=UTC),
    )
    response = _get(client, "/applications")
    flags = {row[0]: row[7] for row in body_rows(table(response, "Bewerbungen"))}
    assert flags == {
        first.reference: f"mögliche Dublette: {second.reference} (gleicher Name)",
        second.reference: f"mögliche Dublette: {first.reference} (gleicher Name)",
        by_mail.reference: f"mögliche Dublette: {by_mail_too.reference} (gleiche E-Mail)",
        by_mail_too.reference: f"mögliche Dublette: {by_mail.reference} (gleiche E-Mail)",
        too_late.reference: "–",
        anonymised.reference: "–",
    }
    html = response.get_data(as_text=True)
    assert f'<a href="/applications/{second.id}"><span class="nowrap">{second.reference}' in html
    # The other application is named even when the filter hides it.
    autumn_only = _get(client, f"/applications?round={autumn.id}")
    assert body_rows(table(autumn_only, "Bewerbungen"))[0][7] == (
        f"mögliche Dublette: {first.reference} (gleicher Name)"
    )


def test_empty_list(client, logged_in):
    logged_in(Role.CONSULTANT)
    text = page_text(_get(client, "/applications"))
    assert "Es sind noch keine Bewerbungen eingegangen." in text
    assert "Anzahl je Status" not in text


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
        decision_note="Starke Leitungsunterstützung",
    )
    response = client.get(f"/applications/{accepted.id}")
    text = page_text(response)
    for fact in (
        "Vorgespräch am 28.01.2025",
        "Status angenommen",
        "Entschieden am 04.02.2025, 10:00",
        "Entschieden von Lea Leitung",
        "Interne Notiz Starke Leitungsunterstützung",
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
    assert "Begründung der Absage (an die Bewerber*in) Passt nicht in diese Runde." in declined_text
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
            "Status geändert",
            "status: [eingegangen, in_pruefung]",
        ],
        ["10.02.2025, 10:00", "System", "Bewerbung eingegangen", "–"],
    ]


def test_unknown_application_is_404(client, logged_in):
    logged_in(Role.CONSULTANT)
    assert client.get("/applications/424242").status_code == 404
    assert client.get("/applications/abc").status_code == 404
