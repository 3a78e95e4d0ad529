"""Error pages: German, with the layout, and never a stack trace; nothing a browser can send
produces a 500."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from datetime import date
from urllib.parse import urlencode

import pytest
from flask import Flask, abort
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from caseflow import clock, create_app
from caseflow.engagements.models import Engagement
from caseflow.intake.models import ApplicationReview, ApplicationStatus
from caseflow.staff import sessions
from caseflow.staff.models import Role
from tests import factories
from tests.conftest import config_for_tests, csrf_token, dispose_engines


@pytest.fixture
def failing_app(database_url: str, tmp_path) -> Iterator[Flask]:
    """An app with extra routes that fail in the ways the error handlers must catch."""
    app = create_app({**config_for_tests(database_url, tmp_path), "PROPAGATE_EXCEPTIONS": False})

    @app.get("/boom")
    def boom():
        raise RuntimeError("secret detail: Ansprechperson Erika Beispiel")

    @app.get("/db-down")
    def db_down():
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    @app.get("/bad")
    def bad():
        abort(400)

    for view in (boom, db_down, bad):
        view.is_public = True
    yield app
    dispose_engines(app)


def test_404_page_is_german(client) -> None:
    response = client.get("/gibt-es-nicht")
    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert "Seite nicht gefunden" in page
    assert '<html lang="de">' in page
    assert 'href="#main"' in page  # the layout with its skip link


def test_405_page_is_german(client) -> None:
    response = client.post("/healthz")
    assert response.status_code == 405
    assert "Nicht erlaubt" in response.get_data(as_text=True)
    assert "GET" in response.headers["Allow"]


def test_500_page_is_german_and_reveals_nothing(failing_app: Flask) -> None:
    response = failing_app.test_client().get("/boom")
    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "Interner Fehler" in page
    assert "Erika" not in page and "Traceback" not in page and "RuntimeError" not in page


def test_database_outage_is_a_clean_503(failing_app: Flask) -> None:
    response = failing_app.test_client().get("/db-down")
    assert response.status_code == 503
    assert "Vorübergehend nicht erreichbar" in response.get_data(as_text=True)
    assert response.headers["Retry-After"] == "30"


def test_400_page_is_german(failing_app: Flask) -> None:
    response = failing_app.test_client().get("/bad")
    assert response.status_code == 400
    assert "Ungültige Anfrage" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "path",
    [
        "/engagements/abc",
        "/engagements/99999999999999999999999",
        "/engagements/3000000000",
        "/organisations/2147483648",
        "/applications/2147483647",
        "/applications/-1",
        "/%ff%fe",
        "/login?next=%ff%fe",
        "/staff/../admin/",
        "/static/../../etc/passwd",
    ],
)
def test_odd_urls_never_give_a_500(client, logged_in, path) -> None:
    logged_in()
    assert client.get(path).status_code in (200, 302, 400, 403, 404)


@pytest.mark.parametrize(
    "data",
    [
        {"email": "\x00", "password": "\x00"},
        {"email": "a" * 300, "password": "b" * 300},
        {"email": "<script>alert(1)</script>", "password": "x"},
        {"email": "x@example.org\r\nBcc: y@example.org", "password": "x"},
        {"email": ["a@example.org", "b@example.org"], "password": "x"},
    ],
)
def test_hostile_login_input_never_gives_a_500(client, data) -> None:
    response = client.post("/login", data={**data, "csrf_token": csrf_token(client)})
    assert response.status_code in (400, 422)
    assert "<script>alert(1)</script>" not in response.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/engagements?status=%00", "/applications?round=1%00"])
def test_nul_characters_in_the_query_are_a_400(client, logged_in, path) -> None:
    logged_in()
    response = client.get(path)
    assert response.status_code == 400
    assert "Ungültige Anfrage" in response.get_data(as_text=True)


def _database_down(*_args, **_kwargs):
    """Stands in for the session lookup of the user loader: it fails as an outage would."""
    raise OperationalError("SELECT", {}, Exception("connection refused"))


def test_database_outage_gives_a_logged_in_user_the_german_503(client, logged_in, monkeypatch):
    logged_in()
    monkeypatch.setattr(sessions, "resume_session", _database_down)
    response = client.get("/dashboard")
    assert response.status_code == 503
    page = response.get_data(as_text=True)
    assert "Vorübergehend nicht erreichbar" in page
    assert '<html lang="de">' in page


# --- bodies no view takes, and days at the calendar's ends on staff forms ---------------------

SCORES = {
    "review-score_leadership": "4",
    "review-score_resources": "3",
    "review-score_relevance": "5",
    "review-score_feasibility": "2",
}


def _reviews(session) -> int:
    return session.scalar(select(func.count(ApplicationReview.id)))


@pytest.mark.parametrize("name", ["review-comment", "review-score_leadership", "anhang"])
def test_a_file_upload_to_a_staff_form_gets_a_400(client, session, logged_in, name) -> None:
    logged_in()
    application = factories.make_application(session)
    path = f"/applications/{application.id}"
    data: dict = {"review-csrf_token": csrf_token(client, path), **SCORES}
    data[name] = (io.BytesIO(b"Kommentar als Datei"), "kommentar.txt")
    response = client.post(f"{path}/review", data=data, content_type="multipart/form-data")
    assert response.status_code == 400
    assert "Ungültige Anfrage" in response.get_data(as_text=True)
    assert _reviews(session) == 0


@pytest.mark.parametrize("payload", [{**SCORES, "review-comment": 5}, [1, 2], 7])
def test_a_json_body_to_a_staff_form_gets_a_400(client, session, logged_in, payload) -> None:
    # Flask-WTF would take JSON as form data, and the CSRF token from a header.
    logged_in()
    application = factories.make_application(session)
    path = f"/applications/{application.id}"
    token = csrf_token(client, path)
    response = client.post(f"{path}/review", json=payload, headers={"X-CSRFToken": token})
    assert response.status_code == 400
    assert _reviews(session) == 0


@pytest.mark.parametrize("comment", [b"Gr%FC%DFe", b"J%C3rgen", b"%ED%A0%80"])
def test_percent_escapes_that_are_no_utf8_on_a_staff_form_get_a_400(
    client, session, logged_in, comment
) -> None:
    logged_in()
    application = factories.make_application(session)
    path = f"/applications/{application.id}"
    data = {"review-csrf_token": csrf_token(client, path), **SCORES}
    body = urlencode(data).encode() + b"&review-comment=" + comment
    response = client.post(
        f"{path}/review", data=body, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 400
    assert _reviews(session) == 0


def test_utf8_on_a_staff_form_is_stored_as_sent(client, session, logged_in) -> None:
    logged_in()
    application = factories.make_application(session)
    path = f"/applications/{application.id}"
    data = {"review-csrf_token": csrf_token(client, path), **SCORES}
    data["review-comment"] = "Größe 👍 – Çelik"
    response = client.post(f"{path}/review", data=data)
    assert response.status_code == 302
    assert session.scalar(select(ApplicationReview.comment)) == "Größe 👍 – Çelik"


YEARS_MESSAGE = "Bitte geben Sie ein Datum in den Jahren 1900 bis 2999 an."


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "3000-01-01"])
def test_a_talk_date_at_the_calendars_ends_gets_a_message(client, session, logged_in, day):
    logged_in(Role.LEAD)
    application = factories.make_application(session, status=ApplicationStatus.IN_PRUEFUNG)
    path = f"/applications/{application.id}"
    data = {
        "move-csrf_token": csrf_token(client, path),
        "move-target": "vorgespraech",
        "move-talk_on": day,
    }
    response = client.post(f"{path}/move", data=data)
    assert response.status_code == 422
    error = re.search(r'<p class="field-error" id="move-talk_on-error">(.*?)</p>', response.text)
    assert YEARS_MESSAGE in error.group(1)
    session.refresh(application)
    assert application.status is ApplicationStatus.IN_PRUEFUNG
    assert application.preliminary_talk_on is None


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01"])
def test_an_acceptance_start_at_the_calendars_ends_gets_a_message(
    client, session, logged_in, day
) -> None:
    with clock.frozen(date(2025, 10, 15)):
        logged_in(Role.LEAD)
        consultant = factories.make_measure3_consultant(session)
        application = factories.make_application(
            session,
            status=ApplicationStatus.VORGESPRAECH,
            preliminary_talk_on=date(2025, 10, 1),
            desired_start=date(2025, 12, 1),
            desired_duration_months=6,
        )
        path = f"/applications/{application.id}/accept"
        data = {
            "csrf_token": csrf_token(client, path),
            "organisation": "neu",
            "start_date": day,
            "duration_months": "6",
            "lead": str(consultant.id),
        }
        response = client.post(path, data=data)
    assert response.status_code == 422
    error = re.search(r'<p class="field-error" id="start_date-error">(.*?)</p>', response.text)
    assert YEARS_MESSAGE in error.group(1)
    session.refresh(application)
    assert application.status is ApplicationStatus.VORGESPRAECH
    assert session.scalar(select(func.count(Engagement.id))) == 0
