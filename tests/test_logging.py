"""The logs keep no personal data and no secrets: no status tokens from paths, no submitted
values from database errors."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy import text
from sqlalchemy.exc import StatementError

from caseflow import create_app
from caseflow.extensions import db
from tests.conftest import config_for_tests, dispose_engines

SECRET_TOKEN = "geheimes-token-aus-dem-pfad"


@pytest.fixture
def failing_app(database_url: str, tmp_path) -> Iterator[Flask]:
    app = create_app({**config_for_tests(database_url, tmp_path), "PROPAGATE_EXCEPTIONS": False})

    @app.get("/kaputt/<token>")
    def broken(token: str):
        raise RuntimeError("boom")

    broken.is_public = True
    yield app
    dispose_engines(app)


def test_an_unexpected_error_logs_the_route_not_the_path(
    failing_app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR):
        response = failing_app.test_client().get(f"/kaputt/{SECRET_TOKEN}")
    assert response.status_code == 500
    assert "unhandled error on GET /kaputt/<token>" in caplog.text
    assert SECRET_TOKEN not in caplog.text


def test_database_errors_do_not_carry_the_submitted_values(app: Flask, session) -> None:
    with pytest.raises(StatementError) as caught, session.begin_nested():
        session.execute(
            text("INSERT INTO application_round (name) VALUES (:name)"),
            {"name": "Erika Beispiel, erika@example.org"},
        )
    assert "erika@example.org" not in str(caught.value)
    assert db.engine.hide_parameters
