"""/apply/status/<token>: status in plain words, dates, next steps; the withdrawal with its
confirmation step; 404 without any hint for unknown and malformed tokens."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from caseflow import clock
from caseflow.audit.models import AuditEvent
from caseflow.intake.models import Application, ApplicationStatus
from caseflow.intake.tokens import issue_token
from caseflow.staff.models import Role
from tests import factories
from tests.conftest import csrf_token
from tests.pages.helpers import page_text

SECRET = "test-secret-key"
TODAY = date(2025, 2, 10)


@pytest.fixture(autouse=True)
def _frozen_today():
    with clock.frozen(TODAY):
        yield


def _with_token(session, **fields) -> tuple[Application, str]:
    application = factories.make_application(
        session, submitted_at=datetime(2025, 1, 20, 10, 0, tzinfo=UTC), **fields
    )
    token = issue_token(application, SECRET)
    session.flush()
    return application, token


def _status(session, application: Application) -> ApplicationStatus:
    session.expire_all()
    return session.get(Application, application.id).status


# --- the status page -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "fields", "says", "next_step"),
    [
        (
            ApplicationStatus.EINGEGANGEN,
            {},
            "Ihre Bewerbung ist bei uns eingegangen.",
            "Vorgespräch zu vereinbaren",
        ),
        (
            ApplicationStatus.IN_PRUEFUNG,
            {},
            "Das Team prüft Ihre Bewerbung.",
            "laden wir Sie zu einem Vorgespräch ein",
        ),
        (
            ApplicationStatus.VORGESPRAECH,
            {"preliminary_talk_on": date(2025, 2, 20)},
            "Wir führen am 20.02.2025 ein Vorgespräch mit Ihnen.",
            "entscheidet die Projektleitung",
        ),
        (
            ApplicationStatus.ANGENOMMEN,
            {},
            "Ihre Bewerbung ist angenommen",
            "Kooperationsvereinbarung",
        ),
        (
            ApplicationStatus.ABGELEHNT,
            {"decision_reason": "Der Förderzeitraum reicht nicht mehr."},
            "Ihre Bewerbung konnten wir leider nicht annehmen.",
            "spätere Bewerbungsrunde",
        ),
        (
            ApplicationStatus.WARTELISTE,
            {},
            "Ihre Bewerbung steht auf der Warteliste.",
            "Sobald ein Platz frei wird",
        ),
        (
            ApplicationStatus.ZURUECKGEZOGEN,
            {},
            "Sie haben Ihre Bewerbung zurückgezogen.",
            "anonymisiert",
        ),
    ],
)
def test_status_in_plain_words_with_what_happens_next(
    client, session, status, fields, says, next_step
) -> None:
    application, token = _with_token(session, status=status, **fields)
    response = client.get(f"/apply/status/{token}")
    assert response.status_code == 200
    text = page_text(response)
    assert f"Stand Ihrer Bewerbung {application.reference}" in text
    assert says in text
    assert next_step in text
    assert "Eingegangen am 20.01.2025" in text
    assert "difair@bqn-berlin.de" in text
    if status is ApplicationStatus.ABGELEHNT:
        assert "Der Förderzeitraum reicht nicht mehr." in text
    if status in (ApplicationStatus.ANGENOMMEN, ApplicationStatus.ABGELEHNT):
        assert "Entschieden am 09.02.2025" in text  # the factory decides 20 days later
    has_withdraw = 'href="/apply/status/' + token + '/withdraw"' in response.text
    assert has_withdraw == (
        status
        in (
            ApplicationStatus.EINGEGANGEN,
            ApplicationStatus.IN_PRUEFUNG,
            ApplicationStatus.VORGESPRAECH,
        )
    )


def test_status_page_shows_the_talk_date_and_is_never_cached(client, session) -> None:
    _, token = _with_token(
        session, status=ApplicationStatus.VORGESPRAECH, preliminary_talk_on=date(2025, 3, 3)
    )
    response = client.get(f"/apply/status/{token}")
    assert "Vorgespräch 03.03.2025" in page_text(response)
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"


def test_status_page_shows_the_submitted_text_escaped(client, session) -> None:
    _, token = _with_token(
        session,
        organisation_name="<img src=x onerror=alert(1)>",
        motivation="<script>alert(1)</script>\n' OR 1=1; --",
    )
    page = client.get(f"/apply/status/{token}").get_data(as_text=True)
    assert "<img src=x" not in page and "<script>alert(1)" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;\n&#39; OR 1=1; --" in page


def test_anonymised_application_shows_no_personal_data(client, session) -> None:
    _, token = _with_token(
        session,
        status=ApplicationStatus.ABGELEHNT,
        contact_name="Anonym",
        anonymised_at=datetime(2025, 2, 1, tzinfo=UTC),
    )
    text = page_text(client.get(f"/apply/status/{token}"))
    assert "Ihre Angaben" not in text
    assert "Anonym" not in text


@pytest.mark.parametrize(
    "bad",
    [
        "A" * 43,  # well formed, unknown
        "nicht-da",  # malformed
        "x" * 200,
        "%FF%FE",
        "..%2F..%2Fadmin",
    ],
)
def test_unknown_and_malformed_tokens_get_the_same_404(client, session, bad) -> None:
    _with_token(session)
    reference = client.get("/apply/status/" + "B" * 43)
    response = client.get("/apply/status/" + bad)
    assert response.status_code == 404 == reference.status_code
    assert "Seite nicht gefunden" in page_text(response)
    # Identical apart from the address itself (the language switch sends visitors back).
    assert _without_path(response) == _without_path(reference)
    assert client.get(f"/apply/status/{bad}/withdraw").status_code in (404, 405)
    assert client.post(f"/apply/status/{bad}/withdraw").status_code in (400, 404)


def _without_path(response) -> str:
    """The page without its address and its CSRF token (signed with the second it was made,
    so two pages a second apart differ there)."""
    page = re.sub(r'name="next" value="[^"]*"', "", response.get_data(as_text=True))
    return re.sub(r'name="csrf_token" value="[^"]*"', "", page)


def test_an_old_link_stops_working_when_a_new_one_is_issued(client, session) -> None:
    application, old = _with_token(session)
    new = issue_token(application, SECRET)
    session.flush()
    assert client.get(f"/apply/status/{old}").status_code == 404
    assert client.get(f"/apply/status/{new}").status_code == 200


# --- withdrawing -----------------------------------------------------------------------------


def test_withdraw_asks_first_then_withdraws(client, session, smtp_server) -> None:
    application, token = _with_token(session, status=ApplicationStatus.IN_PRUEFUNG)
    confirm = client.get(f"/apply/status/{token}/withdraw")
    assert confirm.status_code == 200
    assert confirm.headers["Cache-Control"] == "no-store"
    assert f"Bewerbung {application.reference} wirklich zurückziehen?" in page_text(confirm)
    assert _status(session, application) is ApplicationStatus.IN_PRUEFUNG  # GET changes nothing

    response = client.post(
        f"/apply/status/{token}/withdraw",
        data={"csrf_token": csrf_token(client, f"/apply/status/{token}/withdraw")},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == f"/apply/status/{token}"
    page = client.get(response.headers["Location"])
    text = page_text(page)
    assert "Ihre Bewerbung ist zurückgezogen. Sie erhalten eine Bestätigung per E-Mail." in text
    assert "Zurückgezogen am 10.02.2025" in text
    assert "Bewerbung zurückziehen" not in text

    assert _status(session, application) is ApplicationStatus.ZURUECKGEZOGEN
    stored = session.get(Application, application.id)
    assert stored.withdrawn_at == clock.now()
    actions = session.scalars(
        select(AuditEvent.action).where(AuditEvent.object_id == application.id)
    ).all()
    assert "application.withdrawn" in actions and "application.mail_sent" in actions
    [mail] = smtp_server.wait_for(1)
    assert mail["Subject"] == f"DiFair – Ihre Bewerbung {application.reference} ist zurückgezogen"
    assert mail["To"] == application.contact_email


@pytest.mark.parametrize(
    "status",
    [
        ApplicationStatus.ANGENOMMEN,
        ApplicationStatus.ABGELEHNT,
        ApplicationStatus.WARTELISTE,
        ApplicationStatus.ZURUECKGEZOGEN,
    ],
)
def test_no_withdrawal_after_a_decision(client, session, status) -> None:
    application, token = _with_token(session, status=status)
    token_field = csrf_token(client, f"/apply/status/{token}")
    response = client.get(f"/apply/status/{token}/withdraw")
    assert response.status_code == 302
    response = client.post(f"/apply/status/{token}/withdraw", data={"csrf_token": token_field})
    assert response.status_code == 302
    text = page_text(client.get(response.headers["Location"]))
    assert "Diese Bewerbung kann nicht mehr zurückgezogen werden." in text
    assert _status(session, application) is status


def test_withdraw_needs_a_csrf_token(client, session) -> None:
    application, token = _with_token(session)
    response = client.post(f"/apply/status/{token}/withdraw", data={})
    assert response.status_code == 400
    assert "Das Formular ist abgelaufen" in response.get_data(as_text=True)
    response = client.post(f"/apply/status/{token}/withdraw", data={"csrf_token": "gefälscht"})
    assert response.status_code == 400
    assert _status(session, application) is ApplicationStatus.EINGEGANGEN


def test_staff_see_the_withdrawal_in_the_history(client, session, logged_in) -> None:
    application, token = _with_token(session)
    client.post(
        f"/apply/status/{token}/withdraw",
        data={"csrf_token": csrf_token(client, f"/apply/status/{token}/withdraw")},
    )
    logged_in(Role.CONSULTANT)
    text = page_text(client.get(f"/applications/{application.id}"))
    assert "Bewerbung zurückgezogen" in text
