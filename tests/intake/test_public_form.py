"""The public form /apply: fields, every validation rule, bad and hostile input, honeypot,
rate limit, CSRF failure, closed rounds, the confirmation page and the public pages."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from urllib.parse import urlencode

import pytest
from flask import Flask
from sqlalchemy import func, select

from caseflow import clock
from caseflow.audit.models import AuditEvent
from caseflow.intake.models import Application, ApplicationStatus
from caseflow.intake.services.submission import CONSENT_TEXT_VERSION
from caseflow.organisations.choices import District, Sector
from caseflow.staff.models import Role
from tests import factories
from tests.conftest import csrf_token
from tests.pages.helpers import page_text

TODAY = date(2025, 1, 15)
CONTRACT_FIELDS = (
    "organisation_name",
    "sector",
    "subtype",
    "district",
    "address",
    "website",
    "staff_size",
    "contact_name",
    "contact_role",
    "contact_email",
    "contact_phone",
    "motivation",
    "known_barriers",
    "target_groups",
    "leadership_support",
    "steering_group",
    "desired_start",
    "desired_duration_months",
    "consent",
    "csrf_token",
)
HOSTILE = "<script>alert('x')</script><b>fett</b>'; DROP TABLE application; --"


@pytest.fixture(autouse=True)
def _frozen_today():
    with clock.frozen(TODAY):
        yield


@pytest.fixture
def open_round(session):
    return factories.make_round(
        session, name="Runde 2025", opens_on=date(2024, 12, 1), closes_on=date(2025, 3, 31)
    )


def _count(session) -> int:
    return session.scalar(select(func.count(Application.id)))


def _post(client, **overrides):
    data = factories.application_form(**overrides)
    data.setdefault("csrf_token", csrf_token(client, "/apply"))
    return client.post("/apply", data=data)


def _field_error(response, field_id: str) -> str:
    """The error message shown next to one field."""
    match = re.search(
        rf'<p class="field-error" id="{field_id}-error">(.*?)</p>',
        response.get_data(as_text=True),
        re.S,
    )
    assert match, f"no error next to {field_id}"
    return re.sub(r"<[^>]+>", "", match.group(1)).replace("Fehler:", "").strip()


# --- the page --------------------------------------------------------------------------------


def test_form_has_the_contract_fields_grouped_in_fieldsets(client, open_round) -> None:
    response = client.get("/apply")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    for name in CONTRACT_FIELDS:
        assert f'name="{name}"' in page, name
    legends = re.findall(r"<legend>([^<]+)</legend>", page)
    assert legends[:4] == ["Organisation", "Ansprechperson", "Anliegen", "Rahmen"]
    for token in (
        "organization",
        "street-address",
        "url",
        "name",
        "organization-title",
        "email",
        "tel",
    ):
        assert f'autocomplete="{token}"' in page, token
    assert 'value="ja"' in page and 'value="nein"' in page
    assert re.search(r'<input[^>]*name="consent"[^>]*type="checkbox" value="y"', page)
    # One select with a group per sector (works without JavaScript).
    assert '<optgroup label="Bürger*innendienste">' in page
    assert '<optgroup label="Gesundheitsversorgung">' in page
    assert "bis einschließlich 31.03.2025" in page


def test_privacy_information_sits_next_to_the_consent_box(client, open_round) -> None:
    page = client.get("/apply").get_data(as_text=True)
    consent = page.index('id="consent"')
    hint = page.index('id="consent-hint"')
    assert abs(consent - hint) < 1500
    assert 'aria-describedby="consent-hint"' in page
    assert 'href="/datenschutz"' in page[hint : hint + 1500]
    assert "anonymisieren wir nach sechs Monaten" in page


def test_honeypot_is_hidden_from_people(client, open_round) -> None:
    page = client.get("/apply").get_data(as_text=True)
    wrapper = re.search(r'<div class="hp-field" aria-hidden="true">(.*?)</div>', page, re.S)
    assert wrapper
    assert "Bitte leer lassen" in wrapper.group(1)
    assert re.search(r'<input[^>]*autocomplete="off"[^>]*name="fax_number"', wrapper.group(1))
    assert 'tabindex="-1"' in wrapper.group(1)


# --- success ---------------------------------------------------------------------------------


def test_valid_submission_is_stored_and_confirmed_once(client, session, open_round) -> None:
    response = _post(client)
    assert response.status_code == 302
    assert response.headers["Location"] == "/apply/done"

    application = session.scalar(select(Application))
    assert application.reference == "DF-2025-0001"
    assert application.round_id == open_round.id
    assert application.status is ApplicationStatus.EINGEGANGEN
    assert application.organisation_name == "Jugendamt Friedrichshain-Kreuzberg"
    assert application.sector is Sector.BUERGERDIENST
    assert application.subtype == "jugendamt"
    assert application.district is District.FRIEDRICHSHAIN_KREUZBERG
    assert application.address == "Frankfurter Allee 35/37\n10247 Berlin"
    assert application.website == "https://www.berlin.de/ba-friedrichshain-kreuzberg"
    assert application.staff_size == 250
    assert application.contact_email == "dilek.yilmaz@ba-fk.example.org"
    assert application.has_leadership_support is True
    assert application.leadership_support_by == "Amtsleitung"
    assert application.desired_start == date(2025, 3, 1)
    assert application.desired_duration_months == 12
    assert application.consent_at == clock.now()
    assert application.consent_text_version == CONSENT_TEXT_VERSION

    done = client.get("/apply/done")
    assert done.status_code == 200
    assert done.headers["Cache-Control"] == "no-store"
    assert done.headers["Referrer-Policy"] == "no-referrer"
    text = page_text(done)
    assert "DF-2025-0001" in text
    link = re.search(r'href="(http://caseflow\.test/apply/status/[A-Za-z0-9_-]{43})"', done.text)
    assert link, "the confirmation shows the status link"
    assert client.get(link.group(1)).status_code == 200

    # A reload shows neither the reference nor the link again, and stores nothing new.
    again = client.get("/apply/done")
    assert "DF-2025-0001" not in again.text
    assert "/apply/status/" not in again.text
    assert _count(session) == 1


def test_optional_fields_may_stay_empty(client, session, open_round) -> None:
    response = _post(
        client,
        address="",
        website="",
        staff_size="",
        contact_role="",
        contact_phone="",
        known_barriers="",
        target_groups="",
        leadership_support="nein",
        leadership_support_by=None,
        steering_group="",
    )
    assert response.status_code == 302
    application = session.scalar(select(Application))
    assert application.website is None and application.staff_size is None
    assert application.has_leadership_support is False
    assert application.known_barriers is None


def test_extra_fields_are_ignored(client, session, open_round) -> None:
    response = _post(
        client,
        status="angenommen",
        reference="DF-1999-9999",
        round_id="999",
        decided_at="2025-01-01",
        id="77",
    )
    assert response.status_code == 302
    application = session.scalar(select(Application))
    assert application.status is ApplicationStatus.EINGEGANGEN
    assert application.reference == "DF-2025-0001"
    assert application.decided_at is None


def test_hostile_text_is_stored_verbatim_and_shown_escaped(
    client, session, open_round, logged_in
) -> None:
    assert _post(client, organisation_name=HOSTILE[:200], motivation=HOSTILE).status_code == 302
    application = session.scalar(select(Application))
    assert application.motivation == HOSTILE
    assert application.organisation_name == HOSTILE[:200]
    done = client.get("/apply/done").get_data(as_text=True)
    token_url = re.search(r'href="http://caseflow\.test(/apply/status/[^"]+)"', done).group(1)

    status = client.get(token_url).get_data(as_text=True)
    assert "<script>alert" not in status
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in status
    assert "DROP TABLE application" in status

    logged_in(Role.CONSULTANT)
    staff = client.get(f"/applications/{application.id}").get_data(as_text=True)
    assert "<script>alert" not in staff
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in staff


# --- required fields and lists ---------------------------------------------------------------


def test_empty_form_gets_a_message_next_to_each_required_field(client, session, open_round):
    token = csrf_token(client, "/apply")
    response = client.post("/apply", data={"csrf_token": token})
    assert response.status_code == 422
    expected = {
        "organisation_name": "Bitte geben Sie den Namen Ihrer Organisation an.",
        "sector": "Bitte wählen Sie den Bereich Ihrer Organisation.",
        "subtype": "Bitte wählen Sie die Art Ihrer Einrichtung.",
        "district": "Bitte wählen Sie den Bezirk (oder „berlinweit“).",
        "contact_name": "Bitte geben Sie den Namen der Ansprechperson an.",
        "contact_email": "Bitte geben Sie Ihre E-Mail-Adresse an.",
        "motivation": "Bitte beschreiben Sie, warum Sie eine Prozessbegleitung möchten.",
        "leadership_support": "Bitte geben Sie an, ob Ihre Leitung die Bewerbung unterstützt.",
        "desired_start": "Bitte geben Sie den gewünschten Beginn an.",
        "desired_duration_months": "Bitte geben Sie die gewünschte Dauer in Monaten an.",
        "consent": "Bitte stimmen Sie der Verarbeitung Ihrer Angaben zu",
    }
    for field_id, message in expected.items():
        assert _field_error(response, field_id).startswith(message), field_id
    page = response.get_data(as_text=True)
    # The summary at the top links to every field (a radio group: to its first option).
    summary = page[
        page.index('id="error-summary"') : page.index('<form method="post" action="/apply"')
    ]
    for field_id in expected:
        target = "leadership_support-0" if field_id == "leadership_support" else field_id
        assert f'href="#{target}"' in summary, field_id
    for optional in ("address", "website", "staff_size", "known_barriers", "steering_group"):
        assert f'id="{optional}-error"' not in page
    assert "<title>Fehler:" in page
    assert _count(session) == 0


def test_whitespace_only_counts_as_empty(client, session, open_round) -> None:
    response = _post(client, organisation_name="   ", motivation="\r\n \r\n")
    assert response.status_code == 422
    assert _field_error(response, "organisation_name").startswith("Bitte geben Sie den Namen")
    assert _field_error(response, "motivation").startswith("Bitte beschreiben Sie")
    assert _count(session) == 0


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("contact_email", "keine-adresse", "Bitte geben Sie eine gültige E-Mail-Adresse an"),
        ("contact_email", "a@b", "Bitte geben Sie eine gültige E-Mail-Adresse an"),
        (
            "contact_email",
            "ok@amt.example.org\r\nBcc: alle@example.org",
            "Die E-Mail-Adresse darf keinen Zeilenumbruch enthalten.",
        ),
        (
            "contact_email",
            "ok@amt.example.org\nBcc: alle@example.org",
            "Die E-Mail-Adresse darf keinen Zeilenumbruch enthalten.",
        ),
        ("sector", "behoerde", "Bitte wählen Sie einen Bereich aus der Liste."),
        ("subtype", "finanzamt", "Bitte wählen Sie eine Art aus der Liste."),
        ("district", "hamburg", "Bitte wählen Sie einen Bezirk aus der Liste."),
        ("subtype", "krankenhaus", "Diese Art passt nicht zum gewählten Bereich"),
        ("leadership_support", "vielleicht", "Bitte wählen Sie „ja“ oder „nein“."),
        ("staff_size", "viele", "Bitte geben Sie die Zahl der Mitarbeitenden als ganze Zahl an."),
        ("staff_size", "0", "Bitte geben Sie eine Zahl zwischen 1 und 1.000.000 an."),
        ("staff_size", "-5", "Bitte geben Sie die Zahl der Mitarbeitenden als ganze Zahl an."),
        ("staff_size", "1000001", "Bitte geben Sie eine Zahl zwischen 1 und 1.000.000 an."),
        ("staff_size", "9" * 5000, "Bitte geben Sie die Zahl der Mitarbeitenden als ganze Zahl"),
        ("website", "javascript:alert(1)", "Bitte geben Sie eine Web-Adresse"),
        ("website", "ftp://example.org", "Bitte geben Sie eine Web-Adresse"),
        ("website", "keine adresse", "Bitte geben Sie eine Web-Adresse"),
        ("desired_duration_months", "abc", "Bitte geben Sie die Dauer als ganze Zahl von Monaten"),
        ("desired_duration_months", "12.5", "Bitte geben Sie die Dauer als ganze Zahl von Monaten"),
        ("desired_duration_months", "5", "Die Dauer muss zwischen 6 und 18 Monaten liegen."),
        ("desired_duration_months", "19", "Die Dauer muss zwischen 6 und 18 Monaten liegen."),
        ("desired_start", "2025-02-30", "Bitte geben Sie ein gültiges Datum im Format JJJJ-MM-TT"),
        ("desired_start", "01.03.2025", "Bitte geben Sie ein gültiges Datum im Format JJJJ-MM-TT"),
        ("desired_start", "morgen", "Bitte geben Sie ein gültiges Datum im Format JJJJ-MM-TT"),
        (
            "desired_start",
            "2025-01-14",
            "Der gewünschte Beginn darf nicht in der Vergangenheit liegen (frühestens 15.01.2025).",
        ),
    ],
)
def test_bad_values_get_a_german_message_and_nothing_is_stored(
    client, session, open_round, field, value, message
) -> None:
    response = _post(client, **{field: value})
    assert response.status_code == 422
    assert _field_error(response, field).startswith(message)
    assert _count(session) == 0


def test_a_bad_value_is_shown_again_as_entered(client, open_round) -> None:
    response = _post(client, desired_start="2025-02-30", desired_duration_months="abc")
    page = response.get_data(as_text=True)
    assert 'value="2025-02-30"' in page
    assert 'value="abc"' in page


def test_subtype_of_each_sector_is_accepted(client, session, open_round) -> None:
    response = _post(client, sector="gesundheit", subtype="krankenhaus", district="berlinweit")
    assert response.status_code == 302
    application = session.scalar(select(Application))
    assert (application.sector, application.subtype) == (Sector.GESUNDHEIT, "krankenhaus")


# --- dates -----------------------------------------------------------------------------------


def test_start_too_late_for_the_duration_names_the_latest_start(client, session, open_round):
    # 18 months must end by 31.07.2026: the latest start is 01.02.2025.
    response = _post(client, desired_start="2025-03-01", desired_duration_months="18")
    assert response.status_code == 422
    assert _field_error(response, "desired_start") == (
        "Eine Begleitung von 18 Monaten muss bis zum Ende des Förderzeitraums (31.07.2026) "
        "abgeschlossen sein. Für diese Dauer ist der späteste mögliche Beginn der 01.02.2025."
    )
    assert _count(session) == 0


def test_latest_start_itself_is_accepted(client, session, open_round) -> None:
    response = _post(client, desired_start="2025-02-01", desired_duration_months="18")
    assert response.status_code == 302


def test_start_after_the_programme_end_is_refused(client, session, open_round) -> None:
    response = _post(client, desired_start="2026-09-01", desired_duration_months="6")
    assert response.status_code == 422
    assert "späteste mögliche Beginn der 01.02.2026" in _field_error(response, "desired_start")
    response = _post(client, desired_start="2026-09-01", desired_duration_months="abc")
    assert _field_error(response, "desired_start") == (
        "Der Beginn liegt nach dem Ende des Förderzeitraums (31.07.2026)."
    )
    assert _count(session) == 0


def test_start_before_the_programme_start_is_refused(app: Flask, client, session) -> None:
    factories.make_round(session, opens_on=date(2023, 12, 1), closes_on=date(2024, 3, 1))
    with clock.frozen(date(2024, 1, 10)):
        response = _post(client, desired_start="2024-03-01")
    assert response.status_code == 422
    assert _field_error(response, "desired_start") == (
        "Der Beginn darf nicht vor dem Start des Förderzeitraums (01.04.2024) liegen."
    )


def test_when_no_start_fits_the_duration_the_longest_possible_is_named(client, session):
    factories.make_round(session, opens_on=date(2025, 12, 1), closes_on=date(2026, 3, 1))
    with clock.frozen(date(2025, 12, 15)):
        response = _post(client, desired_start="2026-01-05", desired_duration_months="12")
    assert response.status_code == 422
    assert _field_error(response, "desired_start") == (
        "Eine Begleitung von 12 Monaten passt nicht mehr in den Förderzeitraum (bis 31.07.2026). "
        "Möglich sind höchstens 7 Monate bei Beginn am 15.12.2025."
    )


# --- length limits ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "limit"),
    [
        ("organisation_name", 200),
        ("address", 300),
        ("contact_name", 200),
        ("contact_role", 200),
        ("contact_phone", 50),
        ("leadership_support_by", 200),
        ("motivation", 5000),
        ("known_barriers", 5000),
        ("target_groups", 2000),
        ("steering_group", 2000),
    ],
)
def test_every_text_has_a_length_limit_with_a_clear_message(
    client, session, open_round, field, limit
) -> None:
    response = _post(client, **{field: "ä" * (limit + 1)})
    assert response.status_code == 422
    assert _field_error(response, field) == (
        f"Bitte höchstens {limit} Zeichen eingeben – Sie haben {limit + 1} Zeichen eingegeben."
    )
    assert _count(session) == 0
    assert _post(client, **{field: "ä" * limit}).status_code == 302


def test_long_email_and_website_are_refused(client, session, open_round) -> None:
    response = _post(client, contact_email="a" * 250 + "@amt.example.org")
    assert "höchstens 254 Zeichen" in _field_error(response, "contact_email")
    response = _post(client, website="https://example.org/" + "x" * 300)
    assert "höchstens 300 Zeichen" in _field_error(response, "website")
    assert _count(session) == 0


def test_line_breaks_count_once(client, session, open_round) -> None:
    # Browsers send a textarea's line breaks as CRLF but count them as one character.
    text = "x\r\n" * 1666 + "xx"  # 5000 characters with LF line breaks
    assert _post(client, motivation=text).status_code == 302


def test_a_1_mb_motivation_is_refused_and_nothing_stored(client, session, open_round) -> None:
    response = _post(client, motivation="x" * (1024 * 1024))
    assert response.status_code in (413, 422)
    if response.status_code == 413:
        assert "zu umfangreich" in response.get_data(as_text=True)
    assert _count(session) == 0


def test_a_600_kb_motivation_is_refused_and_nothing_stored(client, session, open_round) -> None:
    response = _post(client, motivation="x" * (600 * 1024))
    assert response.status_code in (413, 422)
    assert _count(session) == 0


# --- malformed requests ----------------------------------------------------------------------


def test_undecodable_percent_escapes_are_kept_as_text(client, session, open_round) -> None:
    data = factories.application_form()
    data["csrf_token"] = csrf_token(client, "/apply")
    del data["motivation"]
    body = urlencode(data).encode() + b"&motivation=Gr%FC%DFe+%FF%FE"
    response = client.post("/apply", data=body, content_type="application/x-www-form-urlencoded")
    # Werkzeug keeps escapes that are no UTF-8 as they were: stored as text, no 500.
    assert response.status_code == 302
    assert session.scalar(select(Application.motivation)) == "Gr%FC%DFe %FF%FE"


def test_a_body_that_is_not_utf8_gets_a_400(client, session, open_round) -> None:
    data = factories.application_form()
    data["csrf_token"] = csrf_token(client, "/apply")
    body = urlencode(data).encode() + b"&known_barriers=Gr\xfc\xdfe+\xff\xfe"
    response = client.post("/apply", data=body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400
    assert "Ungültige Anfrage" in response.get_data(as_text=True)
    assert _count(session) == 0


def test_nul_bytes_get_a_400(client, session, open_round) -> None:
    response = _post(client, motivation="a\x00b")
    assert response.status_code == 400
    assert _count(session) == 0


# --- spam defence ----------------------------------------------------------------------------


def test_honeypot_filled_stores_nothing_and_answers_neutrally(client, session, open_round):
    response = _post(client, fax_number="+49 30 123456")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Ihre Bewerbung konnte nicht gesendet werden." in page
    assert "+49 30 123456" not in page  # cleared, so a person can simply send again
    assert "Jugendamt Friedrichshain-Kreuzberg" in page  # everything else kept
    assert _count(session) == 0
    assert session.scalar(select(func.count(AuditEvent.id))) == 0


def test_rate_limit_per_address_says_when_to_try_again(app: Flask, client, session, open_round):
    limit = app.config["APPLY_RATE_LIMIT"]
    app.config["APPLY_RATE_LIMIT"] = "2 per hour"
    try:
        assert _post(client, organisation_name="Erste").status_code == 302
        assert _post(client, organisation_name="Zweite").status_code == 302
        response = _post(client, organisation_name="Dritte")
        assert client.get("/apply").status_code == 200  # reading the form is not limited
    finally:
        app.config["APPLY_RATE_LIMIT"] = limit
    assert response.status_code == 429
    page = response.get_data(as_text=True)
    assert "Zu viele Versuche" in page
    assert re.search(r"Bitte versuchen Sie es in (1 Minute|\d+ Minuten) noch einmal", page)
    assert int(response.headers["Retry-After"]) > 0
    assert _count(session) == 2


def test_rate_limit_default_is_configurable(app: Flask) -> None:
    assert app.config["APPLY_RATE_LIMIT"] == "20 per hour"


# --- CSRF ------------------------------------------------------------------------------------


@pytest.mark.parametrize("token", [None, "abgelaufen-oder-gefaelscht"])
def test_csrf_failure_keeps_every_value(client, session, open_round, token) -> None:
    data = factories.application_form(motivation="Mein langer Text\nmit zwei Zeilen")
    if token:
        data["csrf_token"] = token
    response = client.post("/apply", data=data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert (
        "Ihre Sitzung war abgelaufen. Bitte senden Sie das Formular noch einmal ab – "
        "Ihre Angaben sind erhalten." in page
    )
    assert 'value="Jugendamt Friedrichshain-Kreuzberg"' in page
    assert 'value="dilek.yilmaz@ba-fk.example.org"' in page
    assert "Mein langer Text\nmit zwei Zeilen</textarea>" in page
    assert re.search(r'<option selected value="jugendamt">', page)
    assert re.search(r'checked[^>]*value="ja"|value="ja"[^>]*checked', page)
    assert 'value="2025-03-01"' in page
    assert _count(session) == 0
    # The page carries a fresh token: sending it again works.
    fresh = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    data["csrf_token"] = fresh
    assert client.post("/apply", data=data).status_code == 302
    assert _count(session) == 1


# --- outside a round -------------------------------------------------------------------------


def test_no_round_at_all_says_so_and_how_to_reach_the_team(client, session) -> None:
    response = client.get("/apply")
    assert response.status_code == 200
    text = page_text(response)
    assert "Zurzeit keine Bewerbung möglich" in text
    assert "steht noch nicht fest" in text
    assert "difair@bqn-berlin.de" in text
    assert 'name="motivation"' not in response.get_data(as_text=True)


def test_closed_round_names_the_next_round(client, session) -> None:
    factories.make_round(session, name="Alt", opens_on=date(2024, 9, 1), closes_on=date(2025, 1, 1))
    factories.make_round(
        session, name="Frühjahr 2025", opens_on=date(2025, 3, 1), closes_on=date(2025, 5, 1)
    )
    text = page_text(client.get("/apply"))
    assert "Die nächste Bewerbungsrunde „Frühjahr 2025“ beginnt am 01.03.2025." in text


def test_a_post_outside_a_round_stores_nothing(client, session) -> None:
    factories.make_round(session, opens_on=date(2025, 3, 1), closes_on=date(2025, 5, 1))
    response = _post(client, csrf_token="egal")
    assert response.status_code == 409
    assert "nicht gespeichert" in page_text(response)
    assert _count(session) == 0


def test_the_round_closing_is_exact(client, session) -> None:
    factories.make_round(session, opens_on=date(2024, 12, 1), closes_on=date(2025, 1, 15))
    closes = datetime(2025, 1, 15, tzinfo=UTC)
    with clock.frozen(datetime(2025, 1, 14, 23, 59, tzinfo=UTC)):
        assert 'name="motivation"' in client.get("/apply").get_data(as_text=True)
    with clock.frozen(closes):
        assert "Zurzeit keine Bewerbung möglich" in page_text(client.get("/apply"))


# --- public pages ----------------------------------------------------------------------------


def test_landing_page_links_the_form_and_shows_the_closing_date(client, open_round) -> None:
    response = client.get("/")
    page = response.get_data(as_text=True)
    assert 'href="/apply"' in page
    assert "Bewerbungsschluss: 31.03.2025" in page_text(response)
    assert "mailto:difair@bqn-berlin.de" in page
    assert 'href="/datenschutz"' in page and 'href="/barrierefreiheit"' in page
    for sector in ("Bürger*innendienste", "Soziale Dienste für Kinder und Familie"):
        assert sector in page


def test_landing_page_without_an_open_round(client, session) -> None:
    factories.make_round(
        session, name="Herbst 2025", opens_on=date(2025, 9, 1), closes_on=date(2025, 11, 1)
    )
    text = page_text(client.get("/"))
    assert "Zurzeit läuft keine Bewerbungsrunde. Die nächste Runde „Herbst 2025“" in text
    assert "Jetzt bewerben" not in text


def test_privacy_notice(client) -> None:
    response = client.get("/datenschutz")
    assert response.status_code == 200
    text = page_text(response)
    for part in (
        "BQN Berlin e. V.",
        "Art. 6 Abs. 1 Buchst. a DSGVO",
        "DiFair-Team",
        "sechs Monate nach der Entscheidung oder dem Zurückziehen anonymisiert",
        "Auskunft",
        "berichtigen",
        "Löschung",
        "widerrufen",
        "Berliner Beauftragte für Datenschutz und Informationsfreiheit",
        "difair@bqn-berlin.de",
        CONSENT_TEXT_VERSION,
    ):
        assert part in text, part


def test_accessibility_statement(client) -> None:
    response = client.get("/barrierefreiheit")
    assert response.status_code == 200
    text = page_text(response)
    for part in ("WCAG", "2.1", "BITV 2.0", "Barrieren melden", "Durchsetzungsverfahren"):
        assert part in text, part


def test_footer_links_privacy_and_accessibility_on_every_page(client) -> None:
    page = client.get("/login").get_data(as_text=True)
    footer = page[page.index("<footer") :]
    assert 'href="/datenschutz"' in footer and 'href="/barrierefreiheit"' in footer
