"""Two people of one organisation submit the first Selbstcheck answers at the same moment
(PostgreSQL, two real transactions): both answers are kept, and the milestone "Selbstcheck
durchgeführt" is checked once, with one audit event."""

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
from caseflow.engagements.models import (
    Engagement,
    EngagementStatus,
    Milestone,
    MilestoneStatus,
    Phase,
    PhaseTemplate,
)
from caseflow.extensions import db
from caseflow.organisations.models import Organisation
from caseflow.outcomes.models import RoundKind, SelfcheckResponse
from caseflow.outcomes.rules import Rating
from caseflow.outcomes.services import AnswerInput, open_round, save_answers, start_response
from caseflow.staff.models import StaffMember
from tests import factories

NOW = datetime(2025, 3, 10, 9, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Committed:
    engagement_id: int
    organisation_id: int
    lead_id: int
    response_ids: tuple[int, int]
    milestone_id: int


@pytest.fixture
def committed(app: Flask, session: Session) -> Iterator[Committed]:
    """A committed engagement with its plan, a round at the start and two begun responses;
    removed again afterwards (with the default phase template, if planning created it)."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("two submissions at once are tested on PostgreSQL")
    with Session(db.engine) as setup:
        last_event = setup.scalar(select(func.max(AuditEvent.id))) or 0
        # Planning creates the default phase template when there is none yet.
        last_template = setup.scalar(select(func.max(PhaseTemplate.id))) or 0
        lead = factories.make_staff_member(setup, name="Lea Zugleich")
        engagement = factories.make_engagement(
            setup, lead=lead, start=date(2025, 1, 1), status=EngagementStatus.AKTIV
        )
        round_, _token = open_round(
            setup, engagement, RoundKind.VORHER, actor=lead, now=NOW, secret="x"
        )
        responses = [
            start_response(setup, round_, name=None, role=None, now=NOW)[0] for _ in range(2)
        ]
        milestone_id = setup.scalar(
            select(Milestone.id)
            .join(Phase)
            .where(
                Phase.engagement_id == engagement.id,
                Milestone.title == "Selbstcheck durchgeführt",
            )
        )
        ids = Committed(
            engagement.id,
            engagement.organisation_id,
            lead.id,
            (responses[0].id, responses[1].id),
            milestone_id,
        )
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


def _submit(session: Session, response_id: int) -> None:
    response = session.get(SelfcheckResponse, response_id)
    first = response.round.statements[0].statement_id
    save_answers(
        session,
        response,
        {first: AnswerInput(given=True, rating=Rating.TRIFFT_EHER_ZU)},
        submit=True,
        now=NOW,
    )


def test_two_first_submissions_at_once_keep_both_and_check_the_milestone_once(
    app: Flask, committed: Committed
) -> None:
    first, second = Session(db.engine), Session(db.engine)
    outcome: dict[str, object] = {}

    def submit_as_well() -> None:
        with app.app_context():
            try:
                _submit(second, committed.response_ids[1])
                second.commit()
                outcome["result"] = "saved"
            except Exception as error:  # the assertion below names it
                second.rollback()
                outcome["result"] = error

    try:
        _submit(first, committed.response_ids[0])  # holds the milestone's and engagement's rows
        other = threading.Thread(target=submit_as_well)
        other.start()
        other.join(timeout=1)
        first.commit()
        other.join(timeout=30)
        assert not other.is_alive()
        assert outcome["result"] == "saved"
        with Session(db.engine) as check:
            submitted = check.scalar(
                select(func.count())
                .select_from(SelfcheckResponse)
                .where(
                    SelfcheckResponse.id.in_(committed.response_ids),
                    SelfcheckResponse.submitted_at.is_not(None),
                )
            )
            assert submitted == 2
            milestone = check.get(Milestone, committed.milestone_id)
            assert milestone.status is MilestoneStatus.ERLEDIGT
            completed = check.scalar(
                select(func.count())
                .select_from(AuditEvent)
                .where(
                    AuditEvent.object_id == committed.engagement_id,
                    AuditEvent.action == "engagement.milestone_completed",
                )
            )
            assert completed == 1
    finally:
        first.close()
        second.close()
