"""Damaged files: the daily check marks a version whose stored bytes no longer match its
SHA-256 (or are missing) once, and clears the mark when the file is intact again; a download
marks it too; every active admin is told once per damage."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from flask import Flask
from sqlalchemy import select

from caseflow.audit.models import AuditEvent
from caseflow.documents.models import DocumentVersion
from caseflow.documents.storage import stored_path
from caseflow.documents.sweeps import documents_integrity, storage_root
from caseflow.engagements.models import EngagementStatus
from caseflow.followups.models import Notification
from caseflow.followups.sweeps import SWEEPS as FOLLOW_UP_SWEEPS
from caseflow.followups.sweeps.documents import documents_damaged
from caseflow.jobs import SWEEPS
from caseflow.staff.models import Role
from tests import factories

NOW = datetime(2025, 6, 1, 4, 15, tzinfo=UTC)
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"


@pytest.fixture
def stored(app: Flask, session, make_staff):
    """Two stored versions of one engagement, and the engagement's lead."""
    lead = make_staff(Role.CONSULTANT)
    organisation = factories.make_organisation(session, name="Jugendamt Neukölln")
    engagement = factories.make_engagement(
        session,
        lead=lead,
        organisation=organisation,
        start=date(2025, 1, 1),
        status=EngagementStatus.AKTIV,
    )
    with app.test_request_context():
        plan = factories.make_document(session, engagement, actor=lead, file_name="Plan.pdf")
        report = factories.make_document(
            session, engagement, actor=lead, file_name="Bericht.pdf", content=PDF
        )
    return engagement, plan, report


def _path(app: Flask, version: DocumentVersion):
    with app.test_request_context():
        return stored_path(storage_root(), version.storage_name)


def _check(app: Flask, session, now: datetime = NOW) -> int:
    with app.test_request_context():
        return documents_integrity(session, now)


def _actions(session, action: str) -> list[AuditEvent]:
    return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def test_the_check_marks_a_changed_file_once_and_clears_it_when_restored(app, session, stored):
    engagement, plan, report = stored
    path = _path(app, report)
    original = path.read_bytes()
    path.write_bytes(original.replace(b"Catalog", b"Katalog"))

    assert _check(app, session) == 1
    assert report.damaged_at == NOW and plan.damaged_at is None
    (event,) = _actions(session, "document.damaged")
    assert event.actor_id is None and event.object_id == engagement.id
    assert event.changes == {
        "document": report.document_id,
        "version": 1,
        "storage_name": report.storage_name,
    }

    # The next day: still damaged, nothing new to record.
    assert _check(app, session, NOW + timedelta(days=1)) == 0
    assert report.damaged_at == NOW
    assert len(_actions(session, "document.damaged")) == 1

    # Put back from a backup: intact again, the mark goes.
    path.write_bytes(original)
    assert _check(app, session, NOW + timedelta(days=2)) == 1
    assert report.damaged_at is None
    (repaired,) = _actions(session, "document.repaired")
    assert repaired.changes["document"] == report.document_id


def test_a_missing_file_is_damaged_too(app, session, stored):
    _engagement, plan, _report = stored
    _path(app, plan).unlink()
    assert _check(app, session) == 1
    assert plan.damaged_at == NOW


def test_a_download_marks_the_damage_once(app, client, session, stored, logged_in):
    engagement, plan, _report = stored
    logged_in(Role.LEAD)
    _path(app, plan).write_bytes(b"%PDF-1.4 changed")
    url = f"/engagements/{engagement.id}/dokumente/{plan.document_id}/fassung/1"
    for _ in range(2):
        answer = client.get(url)
        assert answer.status_code == 409
        answer.close()
    session.expire_all()
    assert session.get(DocumentVersion, plan.id).damaged_at is not None
    assert len(_actions(session, "document.damaged")) == 1
    page = client.get(f"/engagements/{engagement.id}/dokumente").get_data(as_text=True)
    assert page.count("Datei beschädigt") == 1


def test_every_active_admin_is_told_once_per_damage(app, session, stored, make_staff):
    engagement, plan, _report = stored
    admin = make_staff(Role.ADMIN)
    retired = make_staff(Role.ADMIN)
    retired.is_active = False
    make_staff(Role.LEAD)
    session.flush()
    with app.test_request_context():
        assert documents_damaged(session, NOW) == 0  # nothing damaged yet
    _path(app, plan).unlink()
    _check(app, session)

    with app.test_request_context():
        assert documents_damaged(session, NOW) == 1
        assert documents_damaged(session, NOW + timedelta(minutes=10)) == 0
    (notice,) = session.scalars(select(Notification))
    assert notice.recipient_id == admin.id and notice.kind == "document_damaged"
    assert "„Plan“ (Fassung 1, Jugendamt Neukölln)" in notice.text
    assert notice.link == f"/engagements/{engagement.id}/dokumente"

    # Repaired, then damaged again: a new damage, told again.
    _path(app, plan).write_bytes(b"%PDF-1.4 another change")
    later = NOW + timedelta(days=1)
    plan.damaged_at = None
    session.flush()
    _check(app, session, later)
    with app.test_request_context():
        assert documents_damaged(session, later) == 1


def test_telling_the_admins_takes_the_same_statements_for_one_or_many_files(
    app, session, stored, make_staff, count_queries
):
    engagement, plan, report = stored
    make_staff(Role.ADMIN)
    _path(app, plan).unlink()
    _check(app, session)
    with app.test_request_context():
        with count_queries() as one:
            documents_damaged(session, NOW)
        _path(app, report).unlink()
        for number in range(3):
            version = factories.make_document(
                session,
                engagement,
                actor=engagement.assignments[0].staff_member,
                file_name=f"Protokoll {number}.pdf",
            )
            _path(app, version).unlink()
    _check(app, session)
    with app.test_request_context(), count_queries() as many:
        documents_damaged(session, NOW + timedelta(minutes=10))
    assert many.count == one.count


def test_both_sweeps_are_scheduled():
    assert "documents_integrity" in {sweep.key for sweep in SWEEPS}
    assert "documents_damaged" in {sweep.key for sweep in FOLLOW_UP_SWEEPS}


def test_the_files_are_read_before_the_first_statement(app, session, stored, monkeypatch):
    """On SQLite the job's transaction holds the write lock from its first statement: the
    files are hashed before it."""
    from sqlalchemy import event

    from caseflow.documents import storage
    from caseflow.extensions import db

    statements: list[str] = []
    reads: list[int] = []
    hashed = storage.sha256_of

    def counting(path):
        reads.append(len(statements))
        return hashed(path)

    def statement(_connection, _cursor, sql, *_args) -> None:
        statements.append(sql)

    monkeypatch.setattr(storage, "sha256_of", counting)
    event.listen(db.engine, "before_cursor_execute", statement)
    try:
        assert _check(app, session) == 0
    finally:
        event.remove(db.engine, "before_cursor_execute", statement)
    assert len(reads) == 2 and statements
    assert reads == [0, 0]
