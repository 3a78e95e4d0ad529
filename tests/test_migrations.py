"""Migrations: a single head, empty → head → base on the test database's engine (SQLite or
PostgreSQL), and the migrated schema is exactly what the models describe."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import flask_migrate
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from caseflow import create_app
from caseflow.extensions import db, migrate
from caseflow.intake.models import ApplicationStatus
from tests import factories
from tests.conftest import config_for_tests, dispose_engines


@pytest.fixture
def empty_database(database_url: str, tmp_path: Path) -> Iterator[str]:
    """A new, empty database on the same server as the test database."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrations.sqlite3'}"
        return
    name = f"caseflow_migrations_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def migration_app(empty_database: str, tmp_path: Path) -> Iterator[Flask]:
    app = create_app(config_for_tests(empty_database, tmp_path))
    yield app
    dispose_engines(app)


def test_there_is_a_single_head(app: Flask) -> None:
    with app.app_context():
        config = migrate.get_config()
    heads = ScriptDirectory.from_config(config).get_heads()
    assert len(heads) == 1, heads


def test_upgrade_from_empty_to_head_matches_the_models_and_downgrades_to_base(
    migration_app: Flask,
) -> None:
    with migration_app.app_context():
        flask_migrate.upgrade()
        with db.engine.connect() as connection:
            tables = set(inspect(connection).get_table_names())
            assert set(db.metadata.tables) <= tables
            differences = compare_metadata(
                MigrationContext.configure(connection, opts={"compare_type": True}),
                db.metadata,
            )
        assert differences == [], differences

        flask_migrate.downgrade(revision="base")
        with db.engine.connect() as connection:
            left = set(inspect(connection).get_table_names()) - {"alembic_version"}
        assert left == set()

        flask_migrate.upgrade()  # and up again: downgrade left nothing behind
        with db.engine.connect() as connection:
            assert set(db.metadata.tables) <= set(inspect(connection).get_table_names())


@pytest.mark.skipif(bool(os.environ.get("TEST_DATABASE_URL")), reason="SQLite only")
def test_sqlite_migration_leaves_foreign_keys_on(migration_app: Flask) -> None:
    """Batch migrations switch foreign keys off; pooled connections must get them back."""
    with migration_app.app_context():
        flask_migrate.upgrade()
        with db.engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_postgresql_run_really_uses_postgresql(database_url: str) -> None:
    """CI sets TEST_DATABASE_URL for its second run; that run must not fall back to SQLite."""
    if os.environ.get("TEST_DATABASE_URL"):
        assert make_url(database_url).get_backend_name() == "postgresql"
    else:
        assert make_url(database_url).get_backend_name() == "sqlite"


def test_0004_moves_internal_decision_texts_to_the_note_and_back(migration_app: Flask) -> None:
    """Before 0004 the note of a waitlist place or an acceptance sat in ``decision_reason``
    (which the applicant's decline mail reads); 0004 moves it to ``decision_note``."""
    with migration_app.app_context():
        flask_migrate.upgrade()
        session = db.session
        waitlisted = factories.make_application(session, status=ApplicationStatus.WARTELISTE)
        accepted = factories.make_application(session, status=ApplicationStatus.ANGENOMMEN)
        declined = factories.make_application(session, status=ApplicationStatus.ABGELEHNT)
        waitlisted.decision_note, accepted.decision_note = "Platz 1", "Starke Leitung"
        declined.decision_note = "aus der Warteliste"
        session.commit()
        ids = (waitlisted.id, accepted.id, declined.id)
        session.remove()

        def texts(column: str) -> list[object]:
            with db.engine.connect() as connection:
                return [
                    connection.execute(
                        text(f"SELECT {column} FROM application WHERE id = :id"), {"id": id_}
                    ).scalar_one()
                    for id_ in ids
                ]

        flask_migrate.downgrade(revision="0003")
        assert texts("decision_reason") == [
            "Platz 1",
            "Starke Leitung",
            "Passt nicht in diese Runde.",
        ]
        flask_migrate.upgrade()
        assert texts("decision_reason") == [None, None, "Passt nicht in diese Runde."]
        assert texts("decision_note") == ["Platz 1", "Starke Leitung", None]
