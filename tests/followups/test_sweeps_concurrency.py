"""Two processes run the same sweep at the same moment (PostgreSQL, committed data): the
unique dedup key and ``ON CONFLICT DO NOTHING`` let exactly one of them notify; the other
waits for the first transaction and then creates nothing, without an error."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from flask import Flask
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from caseflow.audit.models import AuditEvent
from caseflow.engagements.models import Engagement, EngagementStatus, PhaseTemplate
from caseflow.extensions import db
from caseflow.followups.models import FollowUp, Notification
from caseflow.followups.sweeps import milestone_reminders
from caseflow.organisations.models import Organisation
from caseflow.staff.models import StaffMember
from tests import factories

DUE = date(2025, 6, 16)
NOW = datetime(2025, 6, 13, 10, 0, tzinfo=UTC)  # three days before


@pytest.fixture
def committed(app: Flask, session: Session) -> Iterator[int]:
    """A committed engagement with one milestone due on ``DUE``; everything it made
    (including a default phase template created by planning) is removed afterwards."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("concurrent inserts are tested on PostgreSQL")
    with Session(db.engine) as setup:
        last_event = setup.scalar(select(func.max(AuditEvent.id))) or 0
        last_template = setup.scalar(select(func.max(PhaseTemplate.id))) or 0
        lead = factories.make_staff_member(setup, name="Kim Gleichzeitig")
        engagement = factories.make_engagement(setup, lead=lead, status=EngagementStatus.AKTIV)
        milestones = factories.milestones_of(engagement)
        for other in milestones[1:]:
            other.due_date = date(2030, 1, 1)
        milestones[0].due_date = DUE
        setup.flush()
        ids = (lead.id, engagement.id, engagement.organisation_id)
        setup.commit()
    try:
        yield ids[0]
    finally:
        with Session(db.engine) as cleanup:
            cleanup.execute(delete(Notification).where(Notification.recipient_id == ids[0]))
            cleanup.execute(delete(AuditEvent).where(AuditEvent.id > last_event))
            cleanup.execute(delete(FollowUp).where(FollowUp.engagement_id == ids[1]))
            cleanup.execute(delete(Engagement).where(Engagement.id == ids[1]))
            cleanup.execute(delete(Organisation).where(Organisation.id == ids[2]))
            cleanup.execute(delete(StaffMember).where(StaffMember.id == ids[0]))
            for template in cleanup.scalars(
                select(PhaseTemplate).where(PhaseTemplate.id > last_template)
            ):
                cleanup.delete(template)
            cleanup.commit()


def test_the_same_sweep_in_two_sessions_at_once_notifies_once(app: Flask, committed):
    lead_id = committed
    first, second = Session(db.engine), Session(db.engine)
    outcome: dict[str, object] = {}
    try:
        assert milestone_reminders(first, NOW) == 1  # inserted, not yet committed

        def sweep_as_well() -> None:
            with app.app_context():
                try:
                    outcome["created"] = milestone_reminders(second, NOW + timedelta(minutes=1))
                    second.commit()
                except Exception as error:  # pragma: no cover - reported below
                    outcome["error"] = error

        thread = threading.Thread(target=sweep_as_well)
        thread.start()
        thread.join(timeout=1)
        assert thread.is_alive(), "the second insert should wait for the first transaction"
        first.commit()
        thread.join(timeout=10)
        assert not thread.is_alive()
        assert outcome == {"created": 0}
        with Session(db.engine) as check:
            rows = check.execute(
                select(Notification.dedup_key, Notification.created_at).where(
                    Notification.recipient_id == lead_id
                )
            ).all()
        assert len(rows) == 1
        assert rows[0].dedup_key.endswith(f":{DUE.isoformat()}:3")
        assert rows[0].created_at == NOW
    finally:
        first.close()
        second.close()
