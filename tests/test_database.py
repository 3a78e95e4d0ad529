"""SQLite under concurrency, with real commits on a database of its own (the rest of the suite
runs each test inside one rolled-back transaction and cannot show this)."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import flask_migrate
import pytest
from flask import Flask
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from caseflow import create_app
from caseflow.extensions import db
from caseflow.organisations.choices import District, Sector
from caseflow.organisations.models import Organisation
from tests.conftest import clock, config_for_tests, dispose_engines

pytestmark = pytest.mark.skipif(
    bool(os.environ.get("TEST_DATABASE_URL")), reason="SQLite only (the transaction mode)"
)


@pytest.fixture
def sqlite_app(tmp_path: Path) -> Iterator[Flask]:
    config = config_for_tests(f"sqlite:///{tmp_path / 'concurrency.sqlite3'}", tmp_path)
    app = create_app({**config, "SQLITE_BUSY_TIMEOUT_MS": 3000})
    with app.app_context():
        flask_migrate.upgrade()
        organisation = Organisation(
            name="Zähler",
            sector=Sector.SONSTIGE,
            subtype="sonstige",
            district=District.MITTE,
            staff_size=1,
            created_at=clock.now(),
        )
        db.session.add(organisation)
        db.session.commit()
    yield app
    dispose_engines(app)


def test_concurrent_read_modify_write_loses_nothing(sqlite_app: Flask) -> None:
    """Writers start with BEGIN IMMEDIATE, so they queue; none reads a value another is about
    to overwrite and none fails with "database is locked"."""
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(10):
                with sqlite_app.app_context():
                    organisation = db.session.scalars(db.select(Organisation)).one()
                    organisation.staff_size += 1
                    db.session.commit()
        except BaseException as exc:  # noqa: BLE001  (reported below)
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with sqlite_app.app_context():
        assert db.session.scalars(db.select(Organisation.staff_size)).one() == 81


def test_get_requests_read_while_someone_writes_but_post_requests_wait(sqlite_app: Flask):
    with sqlite_app.app_context():
        writer = db.engine.connect()
        writer.exec_driver_sql("UPDATE organisation SET staff_size = 5")  # holds the write lock
        try:
            with sqlite_app.test_request_context("/organisations", method="GET"):
                assert db.session.execute(text("SELECT count(*) FROM organisation")).scalar() == 1
                db.session.rollback()
            with sqlite_app.test_request_context("/organisations", method="POST"):
                with pytest.raises(OperationalError, match="locked"):
                    db.session.execute(text("SELECT count(*) FROM organisation"))
                db.session.rollback()
        finally:
            writer.rollback()
            writer.close()
