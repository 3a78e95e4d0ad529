"""Two processes run the same sweep at the same moment (PostgreSQL, committed data): the
unique dedup key and ``ON CONFLICT DO NOTHING`` let exactly one of them notify; the other
waits for the first transaction and then creates nothing, without an error. Retention: the
second run waits for the first's row locks and then finds nothing left to anonymise."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from flask import Flask
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from caseflow.audit.models import AuditEvent
from caseflow.engagements.models import Engagement, EngagementStatus, PhaseTemplate
from caseflow.extensions import db
from caseflow.followups.models import FollowUp, Notification
from caseflow.followups.sweeps import (
    applications_new,
    applications_undecided,
    milestone_reminders,
    retention,
    weekly_digest,
)
from caseflow.intake.models import Application, ApplicationRound, ApplicationStatus
from caseflow.intake.services.retention import PLACEHOLDER
from caseflow.organisations.models import Organisation
from caseflow.staff.models import Role, StaffMember
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


# -- the application rules, the digest and retention -------------------------------------------

MONDAY = datetime(2025, 6, 16, 8, 0, tzinfo=UTC)  # 10:00 in Berlin


@pytest.fixture
def committed_intake(app: Flask, session: Session) -> Iterator[dict[str, int]]:
    """Committed: a project lead with a login who leads an open engagement, an undecided
    application submitted on 26.05.2025 (new, and undecided since 12.06.) and one declined
    on 01.12.2024 (due for anonymisation); all removed afterwards."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("concurrent sweeps are tested on PostgreSQL")
    with Session(db.engine) as setup:
        last_event = setup.scalar(select(func.max(AuditEvent.id))) or 0
        last_template = setup.scalar(select(func.max(PhaseTemplate.id))) or 0
        lead = factories.make_staff_member(
            setup,
            name="Lou Gleichzeitig",
            role=Role.LEAD,
            email="lou.gleichzeitig@bqn.example.org",
            password_hash="x",
        )
        engagement = factories.make_engagement(setup, lead=lead, status=EngagementStatus.AKTIV)
        round_ = factories.make_round(setup)
        undecided = factories.make_application(
            setup, round=round_, submitted_at=datetime(2025, 5, 26, 9, 0, tzinfo=UTC)
        )
        declined = factories.make_application(
            setup,
            round=round_,
            status=ApplicationStatus.ABGELEHNT,
            submitted_at=datetime(2024, 11, 1, 9, 0, tzinfo=UTC),
            decided_at=datetime(2024, 12, 1, 9, 0, tzinfo=UTC),
        )
        ids = {
            "lead": lead.id,
            "engagement": engagement.id,
            "organisation": engagement.organisation_id,
            "round": round_.id,
            "undecided": undecided.id,
            "declined": declined.id,
        }
        setup.commit()
    try:
        yield ids
    finally:
        with Session(db.engine) as cleanup:
            cleanup.execute(delete(Notification).where(Notification.recipient_id == ids["lead"]))
            cleanup.execute(delete(AuditEvent).where(AuditEvent.id > last_event))
            cleanup.execute(
                delete(Application).where(Application.id.in_([ids["undecided"], ids["declined"]]))
            )
            cleanup.execute(delete(ApplicationRound).where(ApplicationRound.id == ids["round"]))
            cleanup.execute(delete(Engagement).where(Engagement.id == ids["engagement"]))
            cleanup.execute(delete(Organisation).where(Organisation.id == ids["organisation"]))
            cleanup.execute(delete(StaffMember).where(StaffMember.id == ids["lead"]))
            for template in cleanup.scalars(
                select(PhaseTemplate).where(PhaseTemplate.id > last_template)
            ):
                cleanup.delete(template)
            cleanup.commit()


def _outcome_of_two_at_once(app: Flask, run: Callable[[Session, datetime], int]) -> int:
    """Run ``run`` in one session (uncommitted) and in a second thread's session, which has
    to wait; returns what the first created and checks the second created nothing."""
    first, second = Session(db.engine), Session(db.engine)
    outcome: dict[str, object] = {}
    try:
        created = run(first, MONDAY)
        assert created == 1

        def run_as_well() -> None:
            with app.app_context():
                try:
                    outcome["created"] = run(second, MONDAY + timedelta(minutes=1))
                    second.commit()
                except Exception as error:  # pragma: no cover - reported below
                    outcome["error"] = error

        thread = threading.Thread(target=run_as_well)
        thread.start()
        thread.join(timeout=1)
        assert thread.is_alive(), "the second run should wait for the first transaction"
        first.commit()
        thread.join(timeout=10)
        assert not thread.is_alive()
        assert outcome == {"created": 0}
        return created
    finally:
        first.close()
        second.close()


@pytest.mark.parametrize(
    ("sweep", "kind"),
    [
        (applications_new, "application_new"),
        (applications_undecided, "application_undecided"),
        (weekly_digest, "digest"),
    ],
)
def test_the_new_sweeps_in_two_sessions_at_once_notify_once(
    app: Flask, committed_intake, sweep, kind
):
    _outcome_of_two_at_once(app, sweep)
    with Session(db.engine) as check:
        rows = check.execute(
            select(Notification.kind, Notification.created_at).where(
                Notification.recipient_id == committed_intake["lead"]
            )
        ).all()
    assert [(row.kind, row.created_at) for row in rows] == [(kind, MONDAY)]


def test_retention_in_two_sessions_at_once_anonymises_once(app: Flask, committed_intake):
    last_event = 0
    with Session(db.engine) as before:
        last_event = before.scalar(select(func.max(AuditEvent.id))) or 0
    _outcome_of_two_at_once(app, retention)
    with Session(db.engine) as check:
        events = check.scalars(
            select(AuditEvent).where(
                AuditEvent.id > last_event, AuditEvent.action == "application.anonymised"
            )
        ).all()
        declined = check.get(Application, committed_intake["declined"])
        assert declined is not None
        assert declined.anonymised_at == MONDAY
        assert declined.contact_name == PLACEHOLDER
    # One run anonymised it, the other found nothing and records that (count 0); which
    # of the two wrote its event first is up to the database.
    assert sorted(event.changes["count"] for event in events) == [0, 1]
