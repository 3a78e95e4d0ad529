"""The public form /apply: fields, every validation rule, bad and hostile input, honeypot,
rate limit, CSRF failure, closed rounds, the confirmation page and the public pages."""

from __future__ import annotations

import io
import re
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from urllib.parse import urlencode

import flask_migrate
import itsdangerous.timed
import pytest
from flask import Flask
from sqlalchemy import func, select

from caseflow import clock, create_app
from caseflow.audit.models import AuditEvent
from caseflow.config import _ENV_PARSERS as ENV_VARIABLES
from caseflow.extensions import db
from caseflow.intake.models import Application, ApplicationStatus
from caseflow.intake.services.submission import CONSENT_TEXT, CONSENT_TEXT_VERSION
from caseflow.organisations.choices import District, Sector
from caseflow.staff.models import Role
from tests import factories
from tests.conftest import CSRF_PATTERN, csrf_token, dispose_engines
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
    box = re.search(r'<input[^>]*id="consent"[^>]*>', page).group(0)
    assert 'aria-describedby="consent-text consent-hint"' in box
    assert "required" in box
    assert 'href="/datenschutz/2025-01"' in page[hint : hint + 1500]  # the version shown
    assert "anonymisieren wir nach sechs Monaten" in page


def test_consent_has_a_short_label_and_its_full_text_next_to_the_box(client, open_round):
    page = client.get("/apply").get_data(as_text=True)
    label = re.search(r'<label for="consent">(.*?)</label>', page, re.S).group(1)
    assert re.sub(r"<[^>]+>", "", label).split() == [
        "Einwilligung",
        "in",
        "die",
        "Datenverarbeitung",
        "(Pflichtfeld)",
    ]
    text = re.search(r'<p class="consent-text" id="consent-text">(.*?)</p>', page, re.S)
    assert text.group(1) == str(CONSENT_TEXT)
    assert page.index('id="consent"') < page.index('id="consent-text"')

    # Without consent: the summary names the field by its short label, the box is marked.
    response = _post(client, consent=None)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    summary = page[
        page.index('id="error-summary"') : page.index('<form method="post" action="/apply"')
    ]
    link = re.search(r'<a href="#consent">(.*?)</a>', summary, re.S).group(1)
    assert link == (
        "Einwilligung in die Datenverarbeitung: Bitte stimmen Sie der Verarbeitung Ihrer "
        "Angaben zu, damit wir Ihre Bewerbung bearbeiten können."
    )
    assert "Ich willige ein" not in summary
    box = re.search(r'<input[^>]*id="consent"[^>]*>', page).group(0)
    assert 'aria-describedby="consent-text consent-hint consent-error"' in box
    assert 'aria-invalid="true"' in box
    assert _field_error(response, "consent").startswith("Bitte stimmen Sie der Verarbeitung")
    assert str(CONSENT_TEXT) in page  # still shown next to the box


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
        (
            "contact_email",
            "ü@b.de",
            "An Adressen mit Umlauten oder anderen Sonderzeichen vor dem @ können wir leider "
            "keine E-Mails senden.",
        ),
        ("contact_email", "jürgen.öz@amt.de", "An Adressen mit Umlauten oder anderen"),
        ("contact_email", "info@bürger amt.de", "Bitte geben Sie eine gültige E-Mail-Adresse an"),
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
        # The check the organisation pages use too: a port must be a number.
        ("website", "https://example.org:port/", "Bitte geben Sie eine Web-Adresse"),
        ("desired_duration_months", "abc", "Bitte geben Sie die Dauer als ganze Zahl von Monaten"),
        ("desired_duration_months", "12.5", "Bitte geben Sie die Dauer als ganze Zahl von Monaten"),
        ("desired_duration_months", "5", "Die Dauer muss zwischen 6 und 18 Monaten liegen."),
        ("desired_duration_months", "19", "Die Dauer muss zwischen 6 und 18 Monaten liegen."),
        (
            "desired_duration_months",
            "999999999999",
            "Die Dauer muss zwischen 6 und 18 Monaten liegen.",
        ),
        (
            "desired_duration_months",
            "99999999999999999999",
            "Bitte geben Sie die Dauer als ganze Zahl von Monaten an (6 bis 18).",
        ),
        (
            "staff_size",
            "99999999999999999999",
            "Bitte geben Sie die Zahl der Mitarbeitenden als ganze Zahl an.",
        ),
        ("desired_start", "2025-02-30", "Bitte geben Sie ein gültiges Datum an"),
        ("desired_start", "30.02.2025", "Bitte geben Sie ein gültiges Datum an"),
        ("desired_start", "1.3.25", "Bitte geben Sie ein gültiges Datum an"),
        ("desired_start", "morgen", "Bitte geben Sie ein gültiges Datum an"),
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


def test_an_internationalised_domain_is_stored_and_mailed_in_its_ascii_form(
    client, session, open_round, smtp_server
) -> None:
    # caseflow.mail would write "info@bürgeramt.de" as an encoded word inside the address
    # (not a valid To header) and need SMTPUTF8 from the server; the ASCII form works anywhere.
    response = _post(client, contact_email="Info@Bürgeramt.de")
    assert response.status_code == 302
    assert session.scalar(select(Application.contact_email)) == "Info@xn--brgeramt-65a.de"
    [message] = smtp_server.wait_for(1)
    assert message.envelope_rcpt == ["Info@xn--brgeramt-65a.de"]
    assert message["To"] == "Info@xn--brgeramt-65a.de"
    assert "Ihre Bewerbung" in message["Subject"]
    # An address that is ASCII already is kept exactly as entered.
    assert _post(client, contact_email="Dilek@BA-FK.example.org").status_code == 302
    emails = session.scalars(select(Application.contact_email).order_by(Application.id))
    assert list(emails)[-1] == "Dilek@BA-FK.example.org"


def test_an_address_refused_for_its_umlauts_is_shown_again_as_entered(client, open_round):
    response = _post(client, contact_email="jürgen@amt.de")
    assert response.status_code == 422
    assert 'value="jürgen@amt.de"' in response.get_data(as_text=True)


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


def test_a_day_typed_the_german_way_is_read(client, session, open_round) -> None:
    """Where a browser shows a plain text box, "1.3.2025" is what people type."""
    assert _post(client, desired_start="1.3.2025").status_code == 302
    assert session.scalar(select(Application.desired_start)) == date(2025, 3, 1)


def test_a_day_read_goes_back_to_the_date_input_as_it_needs_it(client, open_round) -> None:
    response = _post(client, desired_start="01.03.2025", desired_duration_months="abc")
    assert response.status_code == 422
    assert 'value="2025-03-01"' in response.get_data(as_text=True)


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


@pytest.mark.parametrize(
    ("start", "months", "message"),
    [
        (
            "9999-12-31",
            "12",
            "Eine Begleitung von 12 Monaten muss bis zum Ende des Förderzeitraums (31.07.2026) "
            "abgeschlossen sein. Für diese Dauer ist der späteste mögliche Beginn der 01.08.2025.",
        ),
        ("9999-12-31", "18", "Für diese Dauer ist der späteste mögliche Beginn der 01.02.2025."),
        ("9999-12-31", "", "Der Beginn liegt nach dem Ende des Förderzeitraums (31.07.2026)."),
        (
            "9999-12-31",
            "99999999999999999999",
            "Der Beginn liegt nach dem Ende des Förderzeitraums (31.07.2026).",
        ),
        (
            "0001-01-01",
            "12",
            "Der gewünschte Beginn darf nicht in der Vergangenheit liegen (frühestens 15.01.2025).",
        ),
        ("0000-01-01", "12", "Bitte geben Sie ein gültiges Datum an"),
        ("１９９９-０１-０１", "12", "Bitte geben Sie ein gültiges Datum an"),
        ("０１.０３.２０２５", "12", "Bitte geben Sie ein gültiges Datum an"),
    ],
)
def test_dates_at_the_ends_of_the_calendar_get_the_normal_message(
    client, session, open_round, start, months, message
) -> None:
    response = _post(client, desired_start=start, desired_duration_months=months)
    assert response.status_code == 422
    assert message in _field_error(response, "desired_start")
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


def _post_body(client, body: bytes, content_type: str = "application/x-www-form-urlencoded"):
    return client.post("/apply", data=body, content_type=content_type)


def _form_body(client, **overrides) -> bytes:
    data = factories.application_form(**overrides)
    data["csrf_token"] = csrf_token(client, "/apply")
    return urlencode(data).encode()


@pytest.mark.parametrize(
    ("name", "escaped"),
    [
        ("contact_name", b"J%FCrgen"),  # ISO-8859-1, not UTF-8
        ("motivation", b"Gr%FC%DFe+%FF%FE"),
        ("contact_name", b"J%C3rgen"),  # a UTF-8 sequence cut short
        ("organisation_name", b"Amt%ED%A0%80"),  # a lone surrogate
        ("x%FF", b"egal"),  # in a field name
    ],
)
def test_percent_escapes_that_are_no_utf8_get_a_400(client, session, open_round, name, escaped):
    body = _form_body(client, **{name: None}) + b"&" + name.encode() + b"=" + escaped
    response = _post_body(client, body)
    assert response.status_code == 400
    assert "Ungültige Anfrage" in response.get_data(as_text=True)
    assert _count(session) == 0


def test_utf8_escapes_and_raw_utf8_are_stored_as_sent(client, session, open_round) -> None:
    name = "Jürgen Çelik 😀 – Straße"
    response = _post_body(client, _form_body(client, contact_name=name))
    assert response.status_code == 302
    assert session.scalar(select(Application.contact_name)) == name
    # Raw UTF-8 bytes (no escapes, as curl sends them) are fine too.
    body = _form_body(client, contact_name=None) + "&contact_name=Ağrı Öz".encode()
    assert _post_body(client, body).status_code == 302
    names = session.scalars(select(Application.contact_name).order_by(Application.id))
    assert list(names) == [name, "Ağrı Öz"]


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


@pytest.mark.parametrize("name", ["motivation", "contact_email", "desired_start", "anhang"])
def test_a_file_upload_gets_a_400(client, session, open_round, name) -> None:
    data: dict = factories.application_form()
    data["csrf_token"] = csrf_token(client, "/apply")
    data[name] = (io.BytesIO(b"Motivation als Datei"), "motivation.txt")
    response = client.post("/apply", data=data, content_type="multipart/form-data")
    assert response.status_code == 400
    assert "Ungültige Anfrage" in response.get_data(as_text=True)
    assert _count(session) == 0


def test_a_multipart_form_without_files_is_read(client, session, open_round) -> None:
    data = factories.application_form(contact_name="Jürgen")
    data["csrf_token"] = csrf_token(client, "/apply")
    response = client.post("/apply", data=data, content_type="multipart/form-data")
    assert response.status_code == 302
    assert session.scalar(select(Application.contact_name)) == "Jürgen"


@pytest.mark.parametrize(
    "payload",
    [{"motivation": 5, "consent": True}, [1, 2, 3], 7],
)
def test_a_json_body_gets_a_400(client, session, open_round, payload) -> None:
    token = csrf_token(client, "/apply")
    if isinstance(payload, dict):
        payload = {**factories.application_form(), **payload, "csrf_token": token}
    response = client.post("/apply", json=payload)
    assert response.status_code == 400
    assert _count(session) == 0


def test_a_body_of_another_type_gets_the_form_back(client, session, open_round) -> None:
    response = _post_body(client, _form_body(client), content_type="text/plain")
    assert response.status_code == 422
    assert "Ihre Sitzung war abgelaufen" in response.get_data(as_text=True)
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


def test_only_stored_submissions_use_up_the_rate_limit(
    app: Flask, client, session, open_round, monkeypatch
) -> None:
    monkeypatch.setitem(app.config, "APPLY_RATE_LIMIT", "2 per hour")
    for _attempt in range(5):  # someone correcting their entries is never locked out
        assert _post(client, desired_start="2025-02-30").status_code == 422
    assert _post(client, fax_number="Bot").status_code == 422
    assert _post(client, organisation_name="Erste").status_code == 302
    assert _post(client, motivation="").status_code == 422
    assert _post(client, organisation_name="Zweite").status_code == 302
    # Two stored: now every POST from this address is refused before the form is read.
    response = _post(client, motivation="")
    assert response.status_code == 429
    assert re.search(
        r"Bitte versuchen Sie es in (1 Minute|\d+ Minuten) noch einmal", page_text(response)
    )
    assert 0 < int(response.headers["Retry-After"]) <= 3600
    assert _post(client, organisation_name="Dritte").status_code == 429
    assert _count(session) == 2


@pytest.fixture
def app_from_environment(tmp_path, monkeypatch) -> Iterator[Callable[[dict[str, str]], Flask]]:
    """Build an app configured only by the given environment, on a new SQLite database."""
    built: list[Flask] = []

    def build(environ: dict[str, str]) -> Flask:
        for name in (*ENV_VARIABLES, "DATABASE_URL"):
            monkeypatch.delenv(name, raising=False)
        environ = {
            "CASEFLOW_ENV": "testing",
            "SECRET_KEY": "test-secret-key",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'environment.sqlite3'}",
            **environ,
        }
        for name, value in environ.items():
            monkeypatch.setenv(name, value)
        app = create_app({"INSTANCE_PATH": str(tmp_path)})
        built.append(app)
        with app.app_context():
            flask_migrate.upgrade()
        return app

    yield build
    for app in built:
        dispose_engines(app)


def test_the_rate_limit_is_set_through_the_environment(app_from_environment) -> None:
    app = app_from_environment({"APPLY_RATE_LIMIT": "1 per 2 hours"})
    assert app.config["APPLY_RATE_LIMIT"] == "1 per 2 hours"
    with app.app_context():
        factories.make_round(db.session, opens_on=date(2024, 12, 1), closes_on=date(2025, 3, 31))
        db.session.commit()
    client = app.test_client()
    assert _post(client, motivation="").status_code == 422
    assert _post(client).status_code == 302
    response = _post(client)
    assert response.status_code == 429
    assert 3600 < int(response.headers["Retry-After"]) <= 7260
    assert re.search(r"Bitte versuchen Sie es in 12[01] Minuten noch einmal", page_text(response))
    with app.app_context():
        assert db.session.scalar(select(func.count(Application.id))) == 1


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


class _ShiftedTime:
    """Stands in for the ``time`` module inside itsdangerous, where Flask-WTF's signed CSRF
    token gets its timestamp and is checked for its age (``TimestampSigner.get_timestamp``)."""

    def __init__(self, hours: float) -> None:
        self.seconds = hours * 3600

    def time(self) -> float:
        return time.time() + self.seconds


def test_a_csrf_token_two_hours_old_is_still_accepted(client, session, open_round, monkeypatch):
    token = csrf_token(client, "/apply")
    monkeypatch.setattr(itsdangerous.timed, "time", _ShiftedTime(hours=2))
    response = _post(client, csrf_token=token)
    assert response.status_code == 302
    assert _count(session) == 1


def test_a_csrf_token_nine_hours_old_gives_the_form_back_with_every_value(
    client, session, open_round, monkeypatch
) -> None:
    token = csrf_token(client, "/apply")
    monkeypatch.setattr(itsdangerous.timed, "time", _ShiftedTime(hours=9))
    data = {**factories.application_form(motivation="Eine Stunde Arbeit"), "csrf_token": token}
    response = client.post("/apply", data=data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert (
        "Ihre Sitzung war abgelaufen. Bitte senden Sie das Formular noch einmal ab – "
        "Ihre Angaben sind erhalten." in page_text(response)
    )
    assert 'value="Jugendamt Friedrichshain-Kreuzberg"' in page
    assert 'value="dilek.yilmaz@ba-fk.example.org"' in page
    assert "Eine Stunde Arbeit</textarea>" in page
    assert 'value="2025-03-01"' in page and 'value="12"' in page
    assert re.search(r'<input[^>]* checked id="consent"', page)
    assert _count(session) == 0
    # The page carries a fresh token, valid from now on.
    data["csrf_token"] = CSRF_PATTERN.search(page).group(1)
    assert client.post("/apply", data=data).status_code == 302


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
