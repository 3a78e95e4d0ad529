"""Audit rows are append-only on PostgreSQL: with the privileges of
``deploy/postgresql-roles.sql`` the application's role ``caseflow_app`` may insert audit
events and clear their IP address (the retention sweep), but not change anything else in
them, delete or truncate them; every other table stays writable.

The file runs inside the test's transaction, which is rolled back: the role (cluster-wide)
and the grants exist only for the test, so runs in parallel databases and repeated runs do
not disturb each other (a second run waits for the first's uncommitted CREATE ROLE). Where
``caseflow_app`` already exists (an earlier commit, an operator), the file keeps it; the test
never drops it, since its grants in other databases would stop a DROP ROLE."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg.errors
import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import ProgrammingError
from sqlalchemy.orm import Session

from caseflow.intake.models import ApplicationStatus
from caseflow.intake.services.retention import anonymise_expired
from caseflow.organisations.models import Organisation
from tests import factories

pytestmark = pytest.mark.postgres_only

ROLES_SQL = Path(__file__).resolve().parents[2] / "deploy" / "postgresql-roles.sql"
DECIDED_AT = datetime(2025, 5, 20, 10, 30, tzinfo=UTC)


def run_roles_file(session: Session) -> None:
    """Run the operator's file as it stands on this (superuser) connection, in the test's
    transaction. The driver's own ``execute`` without parameters sends the whole script at
    once and leaves its ``%`` alone."""
    session.connection().connection.driver_connection.execute(ROLES_SQL.read_text())


@pytest.fixture
def as_app(session: Session) -> Iterator[Session]:
    """The test's session acting as ``caseflow_app`` (until the transaction ends)."""
    if session.get_bind().dialect.name != "postgresql":
        pytest.skip("database roles and privileges need PostgreSQL")
    run_roles_file(session)
    session.execute(text("SET LOCAL ROLE caseflow_app"))
    yield session
    session.execute(text("RESET ROLE"))


def assert_denied(session: Session, statement: str, **parameters: object) -> None:
    """``statement`` fails for want of privileges (in a savepoint, so the test goes on)."""
    with pytest.raises(ProgrammingError) as raised, session.begin_nested():
        session.execute(text(statement), parameters)
    assert isinstance(raised.value.orig, psycopg.errors.InsufficientPrivilege)


def test_the_file_is_idempotent_and_grants_what_it_says(as_app):
    as_app.execute(text("RESET ROLE"))
    run_roles_file(as_app)  # a second run, as after a migration: no error, the same result
    privileges = dict(
        as_app.execute(
            text(
                "SELECT privilege, has_table_privilege('caseflow_app', 'audit_event', privilege)"
                " FROM unnest(ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE'])"
                " AS privilege"
            )
        ).all()
    )
    assert privileges == {
        "SELECT": True,
        "INSERT": True,
        "UPDATE": False,
        "DELETE": False,
        "TRUNCATE": False,
    }
    updatable = as_app.scalars(
        text(
            "SELECT column_name FROM information_schema.column_privileges"
            " WHERE grantee = 'caseflow_app' AND table_name = 'audit_event'"
            " AND privilege_type = 'UPDATE'"
        )
    ).all()
    assert updatable == ["ip_address"]


def test_audit_events_can_be_added_and_lose_their_ip_address_only(as_app):
    event = factories.make_audit_event(
        as_app, object_type="application", object_id=1, action="application.submitted"
    )
    as_app.execute(
        text("UPDATE audit_event SET ip_address = '192.0.2.7' WHERE id = :id"), {"id": event.id}
    )
    as_app.execute(
        text("UPDATE audit_event SET ip_address = NULL WHERE id = :id"), {"id": event.id}
    )
    assert_denied(as_app, "UPDATE audit_event SET action = 'x' WHERE id = :id", id=event.id)
    assert_denied(
        as_app,
        "UPDATE audit_event SET ip_address = NULL, actor_label = 'x' WHERE id = :id",
        id=event.id,
    )
    assert_denied(as_app, "DELETE FROM audit_event WHERE id = :id", id=event.id)
    assert_denied(as_app, "TRUNCATE audit_event")
    assert as_app.execute(
        text("SELECT action, actor_label FROM audit_event WHERE id = :id"), {"id": event.id}
    ).one() == ("application.submitted", "Testperson")


def test_other_tables_stay_writable(as_app):
    organisation = factories.make_organisation(as_app, name="Jugendamt Rechte")
    organisation.name = "Jugendamt Rechte geändert"
    as_app.flush()
    as_app.delete(organisation)
    as_app.flush()
    left = select(Organisation).where(Organisation.name.like("Jugendamt Rechte%"))
    assert as_app.scalar(left) is None


def test_the_retention_sweep_runs_as_the_application_role(session):
    if session.get_bind().dialect.name != "postgresql":
        pytest.skip("database roles and privileges need PostgreSQL")
    # The data as the superuser; the sweep (UPDATE of the audit events' ip_address) as the app.
    application = factories.make_application(
        session, status=ApplicationStatus.ABGELEHNT, decided_at=DECIDED_AT
    )
    event = factories.make_audit_event(
        session,
        object_type="application",
        object_id=application.id,
        action="application.submitted",
    )
    event.ip_address = "192.0.2.7"
    session.flush()
    run_roles_file(session)
    session.execute(text("SET LOCAL ROLE caseflow_app"))
    run = anonymise_expired(session, now=DECIDED_AT + timedelta(days=200), months=6)
    assert run.ids == (application.id,)
    session.refresh(event)
    assert event.ip_address is None
    assert event.action == "application.submitted"
    session.execute(text("RESET ROLE"))
