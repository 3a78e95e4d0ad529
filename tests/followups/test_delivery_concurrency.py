"""Two senders deliver the same pending notification emails at the same moment (PostgreSQL,
committed data): the conditional claim lets each message out exactly once."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from caseflow.extensions import db
from caseflow.followups.delivery import DeliveryResult, claim_due, deliver_mail, send_claimed
from caseflow.followups.models import MailStatus, Notification
from caseflow.followups.notify import Notice, notify_all
from caseflow.staff.models import StaffMember
from tests import factories
from tests.mail_server import LocalSmtpServer

NOW = datetime(2025, 6, 13, 8, 0, tzinfo=UTC)
COUNT = 30


@pytest.fixture
def pending(app: Flask, session: Session) -> Iterator[list[int]]:
    """``COUNT`` committed pending notifications for three staff members; removed after."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("concurrent claims are tested on PostgreSQL")
    with Session(db.engine) as setup:
        members = [
            factories.make_staff_member(setup, email=f"parallel{number}@example.org")
            for number in range(3)
        ]
        member_ids = [member.id for member in members]
        notify_all(
            setup,
            [
                Notice(
                    recipient_id=member_ids[number % 3],
                    kind="follow_up_due",
                    text=f"Wiedervorlage {number} ist fällig.",
                    link="/",
                    dedup_key=f"test:parallel:{number}",
                )
                for number in range(COUNT)
            ],
            now=NOW,
        )
        setup.commit()
    try:
        yield member_ids
    finally:
        with Session(db.engine) as cleanup:
            cleanup.execute(delete(Notification).where(Notification.recipient_id.in_(member_ids)))
            cleanup.execute(delete(StaffMember).where(StaffMember.id.in_(member_ids)))
            cleanup.commit()


def _statuses(member_ids: list[int]) -> Counter[MailStatus]:
    with Session(db.engine) as check:
        return Counter(
            check.scalars(
                select(Notification.mail_status).where(Notification.recipient_id.in_(member_ids))
            )
        )


def test_a_second_claim_waits_for_the_first_and_gets_nothing(
    app: Flask, pending: list[int], smtp_server: LocalSmtpServer
) -> None:
    first, second = Session(db.engine), Session(db.engine)
    outcome: dict[str, object] = {}
    try:
        claim = claim_due(first, NOW)  # claimed, not yet committed: the rows are locked
        assert len(claim.rows) == COUNT

        def deliver_as_well() -> None:
            with app.app_context():
                try:
                    outcome["result"] = deliver_mail(second, NOW + timedelta(seconds=1))
                except Exception as error:  # pragma: no cover - reported below
                    outcome["error"] = error

        thread = threading.Thread(target=deliver_as_well)
        thread.start()
        thread.join(timeout=1)
        assert thread.is_alive(), "the second claim should wait for the first transaction"
        first.commit()
        thread.join(timeout=10)
        assert not thread.is_alive()
        assert outcome == {"result": DeliveryResult()}
        assert smtp_server.messages == []

        assert send_claimed(first, claim, NOW) == DeliveryResult(sent=COUNT)
        messages = smtp_server.wait_for(COUNT)
        assert len(messages) == COUNT
        assert len({message["Message-ID"] for message in messages}) == COUNT
        assert _statuses(pending) == Counter({MailStatus.SENT: COUNT})
    finally:
        first.close()
        second.close()


def test_two_senders_at_once_send_each_message_exactly_once(
    app: Flask, pending: list[int], smtp_server: LocalSmtpServer
) -> None:
    start = threading.Barrier(2)
    results: list[DeliveryResult] = []
    errors: list[Exception] = []

    def sender() -> None:
        with app.app_context(), Session(db.engine) as own:
            try:
                start.wait(timeout=5)
                results.append(deliver_mail(own, NOW))
            except Exception as error:  # pragma: no cover - reported below
                errors.append(error)

    threads = [threading.Thread(target=sender) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors
    assert sum(result.sent for result in results) == COUNT
    messages = smtp_server.wait_for(COUNT)
    # Give a duplicate the chance to arrive before counting.
    assert deliver_mail(db.session, NOW + timedelta(hours=1)) == DeliveryResult()
    assert len(smtp_server.messages) == COUNT
    ids = Counter(message["Message-ID"] for message in messages)
    assert len(ids) == COUNT and set(ids.values()) == {1}
    assert _statuses(pending) == Counter({MailStatus.SENT: COUNT})
