"""Error pages: German, with the layout, and never a stack trace; nothing a browser can send
produces a 500."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask, abort
from sqlalchemy.exc import OperationalError

from caseflow import create_app
from caseflow.staff import access
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


class _DatabaseDown:
    """Stands in for ``db`` in the user loader: every lookup fails as an outage would."""

    class session:  # noqa: N801  (mimics ``db.session``)
        @staticmethod
        def get(*_args, **_kwargs):
            raise OperationalError("SELECT", {}, Exception("connection refused"))


def test_database_outage_gives_a_logged_in_user_the_german_503(client, logged_in, monkeypatch):
    logged_in()
    monkeypatch.setattr(access, "db", _DatabaseDown)
    response = client.get("/dashboard")
    assert response.status_code == 503
    page = response.get_data(as_text=True)
    assert "Vorübergehend nicht erreichbar" in page
    assert '<html lang="de">' in page
