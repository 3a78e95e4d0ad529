"""The documents' housekeeping sweep: the trash is emptied after its days, and files are
removed only once no row names them (the run after), old leftovers of crashed uploads too."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from flask import Flask
from sqlalchemy import select

from caseflow.audit.models import AuditEvent
from caseflow.documents.models import Document, DocumentKind
from caseflow.documents.services import trash_document
from caseflow.documents.storage import stored_path
from caseflow.documents.sweeps import documents_housekeeping, expire_documents, storage_root
from caseflow.engagements.models import EngagementStatus
from caseflow.staff.models import Role
from tests import factories

NOW = datetime(2025, 6, 1, 9, 0, tzinfo=UTC)


def _age(path: Path, hours: float) -> None:
    moment = (NOW - timedelta(hours=hours)).timestamp()
    os.utime(path, (moment, moment))


@dataclass(frozen=True)
class Stored:
    document: Document
    path: Path


def _stored(root: Path, session, engagement, lead, name: str, now: datetime) -> Stored:
    """A document uploaded at ``now`` and the place of its file."""
    version = factories.make_document(
        session, engagement, actor=lead, file_name=name, kind=DocumentKind.BERICHT, now=now
    )
    return Stored(version.document, stored_path(root, version.storage_name))


def test_expired_trash_loses_its_rows_then_its_files(app: Flask, session, make_staff) -> None:
    lead = make_staff(Role.CONSULTANT)
    engagement = factories.make_engagement(session, lead=lead, start=date(2025, 1, 1))
    with app.test_request_context():
        root = storage_root()
        kept, old = (
            _stored(root, session, engagement, lead, name, NOW - timedelta(days=40))
            for name in ("bleibt.pdf", "alt.pdf")
        )
        trash_document(
            session,
            old.document,
            actor=lead,
            now=NOW - timedelta(days=31),
            trash_days=30,
        )
        for path in (kept.path, old.path):
            _age(path, 24 * 40)
        leftover = root / "incoming" / ("0" * 32)
        leftover.write_bytes(b"halb")
        _age(leftover, 30)
        fresh = root / "incoming" / ("1" * 32)
        fresh.write_bytes(b"gerade")

        # First run: the leftover goes; the expired document loses its row, not yet its file.
        assert documents_housekeeping(session, NOW) == 2
        assert not leftover.exists() and fresh.exists()
        assert session.scalars(select(Document.title)).all() == ["bleibt"]
        assert old.path.exists() and kept.path.exists()
        event = session.scalar(select(AuditEvent).where(AuditEvent.action == "document.purged"))
        assert event.actor_id is None and event.changes["title"] == "alt"

        # The next run: the file no row names any more goes too; the kept one stays.
        assert documents_housekeeping(session, NOW + timedelta(days=1)) == 1
        assert not old.path.exists() and kept.path.exists()


def test_a_young_trash_and_a_young_orphan_stay(app: Flask, session, make_staff) -> None:
    lead = make_staff(Role.CONSULTANT)
    engagement = factories.make_engagement(session, lead=lead, start=date(2025, 1, 1))
    with app.test_request_context():
        root = storage_root()
        uploaded = _stored(root, session, engagement, lead, "neu.pdf", NOW)
        trash_document(
            session,
            uploaded.document,
            actor=lead,
            now=NOW - timedelta(days=29),
            trash_days=30,
        )
        orphan = root / "ab" / ("ab" + "c" * 30)
        orphan.parent.mkdir(parents=True, exist_ok=True)
        orphan.write_bytes(b"x")
        assert documents_housekeeping(session, NOW) == 0
        assert orphan.exists() and uploaded.path.exists()
        assert session.scalar(select(Document)) is not None


def test_documents_of_closed_engagements_go_when_the_retention_period_has_passed(
    app: Flask, session, make_staff
) -> None:
    lead = make_staff(Role.LEAD)
    closed = factories.make_engagement(
        session, lead=lead, start=date(2025, 1, 1), status=EngagementStatus.ABGESCHLOSSEN
    )
    running = factories.make_engagement(
        session, lead=lead, start=date(2025, 1, 1), status=EngagementStatus.AKTIV
    )
    with app.test_request_context():
        for engagement, name in ((closed, "alt.pdf"), (running, "laufend.pdf")):
            factories.make_document(
                session, engagement, actor=lead, file_name=name, kind=DocumentKind.BERICHT, now=NOW
            )
        # The programme ends on 31.07.2026; contacts and documents go three years later.
        before = datetime(2029, 7, 30, 12, 0, tzinfo=UTC)
        assert expire_documents(session, before) == 0
        assert expire_documents(session, datetime(2029, 7, 31, 12, 0, tzinfo=UTC)) == 1
        assert session.scalars(select(Document.title)).all() == ["laufend"]
        event = session.scalar(select(AuditEvent).where(AuditEvent.action == "document.expired"))
        assert event.actor_id is None and event.changes["title"] == "alt"
