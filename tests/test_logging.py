"""The logs keep no personal data and no secrets: no status tokens from paths, no submitted
values from database errors."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy import text

from caseflow import create_app
from caseflow.extensions import db
from tests.conftest import config_for_tests, dispose_engines

SECRET_TOKEN = "geheimes-token-aus-dem-pfad"


@pytest.fixture
def failing_app(app: Flask, database_url: str, tmp_path) -> Iterator[Flask]:
    """A second app on the migrated test database, with routes that fail."""
    failing = create_app(
        {**config_for_tests(database_url, tmp_path), "PROPAGATE_EXCEPTIONS": False}
    )

    @failing.get("/kaputt/<token>")
    def broken(token: str):
        raise RuntimeError("boom")

    @failing.get("/kaputte-zeile")
    def broken_row():
        # No opens_at: a NOT NULL violation whose message may quote the row.
        db.session.execute(
            text("INSERT INTO application_round (name) VALUES (:name)"),
            {"name": "Erika Beispiel, erika@example.org"},
        )

    broken.is_public = True
    broken_row.is_public = True
    yield failing
    dispose_engines(failing)


def test_an_unexpected_error_logs_the_route_not_the_path(
    failing_app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR):
        response = failing_app.test_client().get(f"/kaputt/{SECRET_TOKEN}")
    assert response.status_code == 500
    assert "unhandled error on GET /kaputt/<token>" in caplog.text
    assert SECRET_TOKEN not in caplog.text


def test_database_errors_do_not_carry_the_submitted_values(
    failing_app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    """PostgreSQL quotes the failing row in its message; SQLAlchemy the bound values."""
    with caplog.at_level(logging.ERROR):
        response = failing_app.test_client().get("/kaputte-zeile")
    assert response.status_code == 500
    assert "unhandled database error on GET /kaputte-zeile: IntegrityError" in caplog.text
    assert "erika@example.org" not in caplog.text
    with failing_app.app_context():
        assert db.engine.hide_parameters
