"""Two people close the same follow-up at the same moment: the conditional UPDATE lets only
one of them succeed; the other is told, and nothing is written twice (PostgreSQL, where the
second transaction waits on the first one's row lock)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from flask import Flask
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from caseflow.audit.models import AuditEvent
from caseflow.engagements.models import Engagement, EngagementStatus, PhaseTemplate
from caseflow.extensions import db
from caseflow.followups.models import FollowUp, FollowUpStatus
from caseflow.followups.services import FollowUpClosed, complete_follow_up, discard_follow_up
from caseflow.organisations.models import Organisation
from caseflow.staff.models import StaffMember
from tests import factories

NOW = datetime(2025, 3, 10, 9, 0, tzinfo=UTC)


@pytest.fixture
def committed(app: Flask, session: Session) -> Iterator[tuple[int, int]]:
    """A committed follow-up (outside the test's rolled-back transaction) and its
    engagement's lead; removed again afterwards."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("concurrent row locks are tested on PostgreSQL")
    with Session(db.engine) as setup:
        last_event = setup.scalar(select(func.max(AuditEvent.id))) or 0
        # Planning creates the default phase template when there is none: remove it too, or
        # later tests would find a default they did not make.
        last_template = setup.scalar(select(func.max(PhaseTemplate.id))) or 0
        lead = factories.make_staff_member(setup, name="Kim Gleichzeitig")
        engagement = factories.make_engagement(setup, lead=lead, status=EngagementStatus.AKTIV)
        follow_up = factories.make_follow_up(setup, engagement, assignee=lead)
        ids = (follow_up.id, lead.id, engagement.id, engagement.organisation_id)
        setup.commit()
    try:
        yield ids[0], ids[1]
    finally:
        with Session(db.engine) as cleanup:
            cleanup.execute(delete(AuditEvent).where(AuditEvent.id > last_event))
            cleanup.execute(delete(FollowUp).where(FollowUp.engagement_id == ids[2]))
            cleanup.execute(delete(Engagement).where(Engagement.id == ids[2]))
            cleanup.execute(delete(Organisation).where(Organisation.id == ids[3]))
            cleanup.execute(delete(StaffMember).where(StaffMember.id == ids[1]))
            for template in cleanup.scalars(
                select(PhaseTemplate).where(PhaseTemplate.id > last_template)
            ):
                cleanup.delete(template)
            cleanup.commit()


@pytest.mark.parametrize("second_action", [complete_follow_up, discard_follow_up])
def test_two_concurrent_closes_never_both_succeed(app, committed, second_action):
    follow_up_id, lead_id = committed
    first, second = Session(db.engine), Session(db.engine)
    try:
        mine = first.get(FollowUp, follow_up_id)
        theirs = second.get(FollowUp, follow_up_id)
        assert theirs.status is FollowUpStatus.OFFEN
        actor = second.get(StaffMember, lead_id)
        assert theirs.engagement.assignments  # loaded before the other thread uses them

        complete_follow_up(first, mine, actor=first.get(StaffMember, lead_id), now=NOW)
        outcome: dict[str, str] = {}

        def close_as_well() -> None:
            with app.app_context():
                try:
                    second_action(second, theirs, actor=actor, now=NOW)
                    second.commit()
                    outcome["result"] = "closed"
                except FollowUpClosed as error:
                    second.rollback()
                    outcome["result"] = str(error)

        other = threading.Thread(target=close_as_well)
        other.start()
        other.join(timeout=1)
        assert other.is_alive(), "the second close should wait for the first transaction"
        first.commit()
        other.join(timeout=30)
        assert outcome == {"result": "Diese Wiedervorlage ist bereits erledigt."}
    finally:
        first.close()
        second.close()

    with Session(db.engine) as check:
        follow_up = check.get(FollowUp, follow_up_id)
        assert follow_up.status is FollowUpStatus.ERLEDIGT
        events = check.scalars(
            select(AuditEvent.action).where(AuditEvent.action.like("follow_up.%"))
        ).all()
        assert events == ["follow_up.completed"]
