"""Uploads to one engagement at the same time (PostgreSQL, real transactions): an upload
takes long enough for another to commit meanwhile; both are kept, and two files under one
new title become versions 1 and 2 of one document."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest
from flask import Flask
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from caseflow.audit.models import AuditEvent
from caseflow.documents.models import Document, DocumentKind, DocumentVersion
from caseflow.engagements.models import Engagement, EngagementStatus, PhaseTemplate
from caseflow.extensions import db
from caseflow.organisations.models import Organisation
from caseflow.staff.models import StaffMember
from tests import factories

NOW = datetime(2025, 3, 10, 9, 0, tzinfo=UTC)
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"


@dataclass(frozen=True)
class Committed:
    engagement_id: int
    organisation_id: int
    lead_id: int


@pytest.fixture
def committed(app: Flask, session: Session) -> Iterator[Committed]:
    """A committed engagement and its lead; removed again afterwards."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("uploads at the same moment are tested on PostgreSQL")
    with Session(db.engine) as setup:
        last_event = setup.scalar(select(func.max(AuditEvent.id))) or 0
        last_template = setup.scalar(select(func.max(PhaseTemplate.id))) or 0
        lead = factories.make_staff_member(setup, name="Uwe Gleichzeitig")
        engagement = factories.make_engagement(
            setup, lead=lead, start=date(2025, 1, 1), status=EngagementStatus.AKTIV
        )
        ids = Committed(engagement.id, engagement.organisation_id, lead.id)
        setup.commit()
    try:
        yield ids
    finally:
        with Session(db.engine) as cleanup:
            cleanup.execute(delete(AuditEvent).where(AuditEvent.id > last_event))
            cleanup.execute(delete(Engagement).where(Engagement.id == ids.engagement_id))
            cleanup.execute(delete(Organisation).where(Organisation.id == ids.organisation_id))
            cleanup.execute(delete(StaffMember).where(StaffMember.id == ids.lead_id))
            cleanup.execute(delete(PhaseTemplate).where(PhaseTemplate.id > last_template))
            cleanup.commit()


def _upload(session: Session, committed: Committed, file_name: str, title: str | None = None):
    factories.make_document(
        session,
        session.get(Engagement, committed.engagement_id),
        actor=session.get(StaffMember, committed.lead_id),
        file_name=file_name,
        content=PDF + file_name.encode(),
        kind=DocumentKind.SONSTIGES,
        now=NOW,
        title=title,
    )


def _titles(committed: Committed) -> list[tuple[str, int]]:
    with Session(db.engine) as check:
        return [
            (title, count)
            for title, count in check.execute(
                select(Document.title, func.count(DocumentVersion.id))
                .join(DocumentVersion)
                .where(Document.engagement_id == committed.engagement_id)
                .group_by(Document.title)
                .order_by(Document.title)
            )
        ]


def test_an_upload_begun_before_another_committed_is_still_saved(
    app: Flask, committed: Committed
) -> None:
    slow, quick = Session(db.engine), Session(db.engine)
    try:
        with app.test_request_context():
            # The slow request read the engagement when it began (as load_engagement does)
            # and holds it, then received its files while the quick one was saved.
            began = slow.get(Engagement, committed.engagement_id)
            version = began.version
            _upload(quick, committed, "Protokoll.pdf")
            quick.commit()
            _upload(slow, committed, "Bericht.pdf")
            slow.commit()
            assert began.version == version + 2
    finally:
        slow.close()
        quick.close()
    assert _titles(committed) == [("Bericht", 1), ("Protokoll", 1)]


def test_two_uploads_of_one_new_title_at_once_become_two_versions(
    app: Flask, committed: Committed
) -> None:
    first, second = Session(db.engine), Session(db.engine)
    outcome: dict[str, object] = {}

    def upload_as_well() -> None:
        with app.test_request_context():
            try:
                _upload(second, committed, "zwei.pdf", title="Beratungsplan")
                second.commit()
                outcome["result"] = "saved"
            except Exception as error:  # the assertion below names it
                second.rollback()
                outcome["result"] = error

    try:
        with app.test_request_context():
            _upload(first, committed, "eins.pdf", title="Beratungsplan")  # holds the locks
            other = threading.Thread(target=upload_as_well)
            other.start()
            other.join(timeout=1)
            assert other.is_alive(), "the second upload did not wait for the first"
            first.commit()
            other.join(timeout=30)
        assert not other.is_alive()
        assert outcome["result"] == "saved"
    finally:
        first.close()
        second.close()
    assert _titles(committed) == [("Beratungsplan", 2)]
