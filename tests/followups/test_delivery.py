"""Notification emails (caseflow.followups.delivery) against a real SMTP server (aiosmtpd):
sent once after the commit, in the recipient's language, skipped when not wanted, retried
with backoff while the server is down, given up after the last attempt, and sent once after
a crash between claim and send."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from caseflow.followups import delivery
from caseflow.followups.delivery import (
    DeliveryResult,
    claim_due,
    deliver_mail,
    message_id,
)
from caseflow.followups.models import MailStatus, Notification, NotificationPreference
from caseflow.followups.notify import notify
from caseflow.followups.preferences import KINDS_BY_KEY, Kind
from caseflow.mail import MailError, safe_reason
from caseflow.staff.models import StaffMember
from tests.mail_server import LocalSmtpServer, free_port

NOW = datetime(2025, 6, 13, 8, 0, tzinfo=UTC)
TEXT = "Der Meilenstein „Auftaktgespräch“ bei Muster e. V. ist seit gestern überfällig."


@pytest.fixture
def raise_notification(session: Session) -> Callable[..., Notification]:
    counter = iter(range(1, 10_000))

    def raise_one(
        recipient: StaffMember,
        *,
        kind: str = "milestone_overdue",
        at: datetime = NOW,
        topic: str | None = None,
        text: str = TEXT,
        link: str | None = "/engagements/7#milestone-3",
    ) -> Notification:
        key = f"test:{kind}:{next(counter)}"
        assert notify(
            session,
            recipient_id=recipient.id,
            kind=kind,
            text=text,
            link=link,
            dedup_key=key,
            now=at,
            topic=topic,
        )
        return session.scalar(select(Notification).where(Notification.dedup_key == key))

    return raise_one


def _fresh(session: Session, notification: Notification) -> Notification:
    return session.scalar(
        select(Notification)
        .where(Notification.id == notification.id)
        .execution_options(populate_existing=True)
    )


def _plain(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def _closed_port_url() -> str:
    return f"smtp://127.0.0.1:{free_port()}"


def test_a_due_notification_is_mailed_once_in_german(
    app: Flask, session: Session, make_staff, raise_notification, smtp_server: LocalSmtpServer
) -> None:
    recipient = make_staff(name="Ada Beispiel", email="ada@example.org")
    make_staff(name="Bo Andere", email="bo@example.org")  # no notification, no mail
    notification = raise_notification(recipient)

    assert deliver_mail(session, NOW) == DeliveryResult(sent=1)
    assert deliver_mail(session, NOW + timedelta(minutes=1)) == DeliveryResult()

    [message] = smtp_server.wait_for(1)
    assert message.envelope_rcpt == ["ada@example.org"]
    assert message["To"] == "ada@example.org"
    assert message["Subject"] == "caseflow: Meilenstein überfällig"
    assert "Ada" not in message["Subject"] and "Muster" not in message["Subject"]
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["Content-Language"] == "de"
    assert message["Message-ID"] == (
        f"<{message_id(notification.id, notification.dedup_key)}@bqn-berlin.de>"
    )
    text = _plain(message)
    assert text.startswith("Hallo Ada Beispiel,")
    assert TEXT in text
    # The link opens the notification (marking it read), which leads on to its object.
    assert f"http://caseflow.test/notifications/{notification.id}\n" in text
    assert "http://caseflow.test/notifications/settings" in text
    assert "„Meilenstein überfällig“" in text
    stored = _fresh(session, notification)
    assert stored.mail_status == MailStatus.SENT
    assert stored.emailed_at == NOW
    assert stored.mail_claimed_at is None
    assert len(smtp_server.messages) == 1


def test_links_use_base_url_and_the_digest_body(
    app: Flask,
    session: Session,
    make_staff,
    raise_notification,
    smtp_server: LocalSmtpServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(app.config, "BASE_URL", "https://caseflow.example.org")
    recipient = make_staff(name="Ada Beispiel")
    notification = raise_notification(recipient, kind="digest", text="Ihre Woche", link=None)
    notification.body = "Überfällig: 2\nNächste zwei Wochen: 3"
    session.flush()

    assert deliver_mail(session, NOW).sent == 1
    [message] = smtp_server.wait_for(1)
    text = _plain(message)
    assert "Überfällig: 2\nNächste zwei Wochen: 3" in text
    assert "https://caseflow.example.org/" in text
    assert "caseflow.test" not in text
    assert message["Subject"] == "caseflow: Wochenübersicht (montags)"


def test_staff_who_chose_english_get_english_mail(
    app: Flask,
    session: Session,
    make_staff,
    raise_notification,
    smtp_server: LocalSmtpServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A kind labelled with a string the English catalogue surely has: the subject shows
    # which language the mail was written in.
    monkeypatch.setitem(KINDS_BY_KEY, "test_kind", Kind("test_kind", _l("Abmelden")))
    english = make_staff(name="Eve English", email="eve@example.org")
    english.locale = "en"
    german = make_staff(name="Gerd Deutsch", email="gerd@example.org")
    german.locale = "de"
    raise_notification(english, kind="test_kind")
    raise_notification(german, kind="test_kind")

    assert deliver_mail(session, NOW).sent == 2
    by_recipient = {message["To"]: message for message in smtp_server.wait_for(2)}
    assert by_recipient["eve@example.org"]["Subject"] == "caseflow: Log out"
    assert by_recipient["eve@example.org"]["Content-Language"] == "en"
    assert by_recipient["gerd@example.org"]["Subject"] == "caseflow: Abmelden"
    assert by_recipient["gerd@example.org"]["Content-Language"] == "de"
    with force_locale("en"):
        greeting = str(_l("Hallo %(name)s,", name="Eve English"))
    assert _plain(by_recipient["eve@example.org"]).startswith(greeting)
    assert "„Log out“" in _plain(by_recipient["eve@example.org"])


def test_no_mail_for_app_only_inactive_or_addressless_recipients(
    app: Flask, session: Session, make_staff, raise_notification, smtp_server: LocalSmtpServer
) -> None:
    app_only = make_staff()
    session.add(
        NotificationPreference(staff_member_id=app_only.id, kind="milestone_overdue", channel="app")
    )
    inactive = make_staff(is_active=False)
    addressless = make_staff(with_login=False)
    wants_mail = make_staff(email="will@example.org")
    skipped = [raise_notification(member) for member in (app_only, inactive, addressless)]
    # The preference is per kind: another kind still goes out by email.
    other_kind = raise_notification(app_only, kind="follow_up_due")
    wanted = raise_notification(wants_mail)

    assert deliver_mail(session, NOW) == DeliveryResult(sent=2, skipped=3)
    assert sorted(message["To"] for message in smtp_server.wait_for(2)) == sorted(
        [app_only.email, "will@example.org"]
    )
    for notification in skipped:
        stored = _fresh(session, notification)
        assert stored.mail_status == MailStatus.NONE
        assert stored.emailed_at is None
    assert _fresh(session, other_kind).mail_status == MailStatus.SENT
    assert _fresh(session, wanted).mail_status == MailStatus.SENT
    assert deliver_mail(session, NOW + timedelta(hours=1)) == DeliveryResult()
    assert len(smtp_server.messages) == 2


def test_superseded_notifications_are_not_mailed(
    app: Flask, session: Session, make_staff, raise_notification, smtp_server: LocalSmtpServer
) -> None:
    recipient = make_staff(email="sam@example.org")
    older = raise_notification(recipient, topic="milestone:3", text="Bald fällig")
    newer = raise_notification(
        recipient, topic="milestone:3", text="Jetzt überfällig", at=NOW + timedelta(seconds=1)
    )
    # Superseded after it was read for sending (say, by a sender that crashed): the state
    # says pending, the superseded mark wins.
    late = raise_notification(recipient, topic="milestone:4")
    late.superseded_at = NOW
    session.flush()

    result = deliver_mail(session, NOW + timedelta(seconds=1))
    assert result == DeliveryResult(sent=1, skipped=1)
    [message] = smtp_server.wait_for(1)
    assert "Jetzt überfällig" in _plain(message)
    assert _fresh(session, older).mail_status == MailStatus.NONE
    assert _fresh(session, late).mail_status == MailStatus.NONE
    assert _fresh(session, newer).mail_status == MailStatus.SENT


def test_a_notification_is_not_mailed_before_its_time(
    app: Flask, session: Session, make_staff, raise_notification, smtp_server: LocalSmtpServer
) -> None:
    notification = raise_notification(make_staff())
    assert deliver_mail(session, NOW - timedelta(seconds=1)) == DeliveryResult()
    assert _fresh(session, notification).mail_status == MailStatus.PENDING
    assert deliver_mail(session, NOW).sent == 1


def test_an_unreachable_server_keeps_the_mail_queued_with_backoff(
    app: Flask,
    session: Session,
    make_staff,
    raise_notification,
    smtp_server: LocalSmtpServer,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setitem(app.config, "MAIL_RETRY_SECONDS", 60)
    monkeypatch.setitem(app.config, "MAIL_MAX_ATTEMPTS", 6)
    monkeypatch.setitem(app.config, "MAIL_URL", _closed_port_url())
    notification = raise_notification(make_staff(email="queued@example.org"))

    assert deliver_mail(session, NOW) == DeliveryResult(retrying=1)
    stored = _fresh(session, notification)
    assert stored.mail_status == MailStatus.PENDING
    assert stored.mail_attempts == 1
    assert stored.mail_next_at == NOW + timedelta(seconds=60)
    assert "127.0.0.1" in stored.mail_error
    assert "queued@example.org" not in stored.mail_error
    assert "notification" in caplog.text and "attempt 1 of 6" in caplog.text

    # Not due yet: nothing is tried.
    assert deliver_mail(session, NOW + timedelta(seconds=59)) == DeliveryResult()
    assert _fresh(session, notification).mail_attempts == 1

    second = NOW + timedelta(seconds=60)
    assert deliver_mail(session, second) == DeliveryResult(retrying=1)
    stored = _fresh(session, notification)
    assert stored.mail_attempts == 2
    assert stored.mail_next_at == second + timedelta(seconds=120)  # doubled

    monkeypatch.setitem(app.config, "MAIL_URL", smtp_server.url)
    assert deliver_mail(session, second + timedelta(seconds=119)) == DeliveryResult()
    back = second + timedelta(seconds=120)
    assert deliver_mail(session, back) == DeliveryResult(sent=1)
    assert deliver_mail(session, back + timedelta(hours=1)) == DeliveryResult()
    [message] = smtp_server.wait_for(1)
    assert message["To"] == "queued@example.org"
    stored = _fresh(session, notification)
    assert stored.mail_status == MailStatus.SENT
    assert stored.emailed_at == back
    assert stored.mail_error is None
    assert len(smtp_server.messages) == 1


def test_after_the_last_attempt_the_mail_has_failed(
    app: Flask,
    session: Session,
    make_staff,
    raise_notification,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(app.config, "MAIL_MAX_ATTEMPTS", 2)
    monkeypatch.setitem(app.config, "MAIL_RETRY_SECONDS", 10)
    monkeypatch.setitem(
        app.config, "MAIL_URL", _closed_port_url().replace("smtp://", "smtp://user:geheim99@")
    )
    monkeypatch.setitem(app.config, "MAIL_PASSWORD", "geheim99")
    notification = raise_notification(make_staff())

    assert deliver_mail(session, NOW) == DeliveryResult(retrying=1)
    assert deliver_mail(session, NOW + timedelta(seconds=10)) == DeliveryResult(failed=1)
    stored = _fresh(session, notification)
    assert stored.mail_status == MailStatus.FAILED
    assert stored.mail_attempts == 2
    assert stored.mail_next_at is None
    assert stored.mail_error and "geheim99" not in stored.mail_error
    assert len(stored.mail_error) <= 500
    assert deliver_mail(session, NOW + timedelta(days=1)) == DeliveryResult()
    assert _fresh(session, notification).mail_attempts == 2


def test_a_failing_server_stops_the_batch_without_counting_the_rest(
    app: Flask,
    session: Session,
    make_staff,
    raise_notification,
    smtp_server: LocalSmtpServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(app.config, "MAIL_URL", _closed_port_url())
    monkeypatch.setitem(app.config, "MAIL_RETRY_SECONDS", 60)
    recipient = make_staff()
    notifications = [raise_notification(recipient) for _ in range(5)]

    tried = delivery.MAX_FAILURES_IN_A_ROW
    assert deliver_mail(session, NOW) == DeliveryResult(retrying=5)
    attempts = sorted(_fresh(session, item).mail_attempts for item in notifications)
    assert attempts == [0] * (5 - tried) + [1] * tried
    assert all(_fresh(session, item).mail_status == MailStatus.PENDING for item in notifications)

    monkeypatch.setitem(app.config, "MAIL_URL", smtp_server.url)
    assert deliver_mail(session, NOW + timedelta(seconds=30)).sent == 5 - tried  # untried ones
    assert deliver_mail(session, NOW + timedelta(hours=1)).sent == tried
    assert len(smtp_server.wait_for(5)) == 5


def test_a_crash_between_claim_and_send_sends_once_after_the_claim_timeout(
    app: Flask,
    session: Session,
    make_staff,
    raise_notification,
    smtp_server: LocalSmtpServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(app.config, "MAIL_CLAIM_TIMEOUT_SECONDS", 600)
    notification = raise_notification(make_staff(email="crash@example.org"))

    claim = claim_due(session, NOW)
    session.commit()  # claimed and recorded; then the sender dies before sending
    assert [row.id for row in claim.rows] == [notification.id] and claim.skipped == 0
    stored = _fresh(session, notification)
    assert stored.mail_status == MailStatus.SENDING
    assert stored.mail_claimed_at == NOW

    assert deliver_mail(session, NOW + timedelta(seconds=599)) == DeliveryResult()
    assert smtp_server.messages == []
    assert _fresh(session, notification).mail_status == MailStatus.SENDING

    later = NOW + timedelta(seconds=601)
    assert deliver_mail(session, later) == DeliveryResult(sent=1)
    assert deliver_mail(session, later + timedelta(seconds=601)) == DeliveryResult()
    [message] = smtp_server.wait_for(1)
    assert message["To"] == "crash@example.org"
    assert _fresh(session, notification).emailed_at == later
    assert len(smtp_server.messages) == 1


def test_a_sender_that_lost_its_claim_neither_sends_nor_overwrites_the_new_one(
    app: Flask, session: Session, make_staff, raise_notification, smtp_server: LocalSmtpServer
) -> None:
    notification = raise_notification(make_staff())
    claim = claim_due(session, NOW)
    session.commit()
    # A second sender whose clock runs an hour ahead takes the row over.
    taken_over = NOW + timedelta(hours=1)
    second = claim_due(session, taken_over)
    session.commit()
    assert [row.id for row in second.rows] == [notification.id]
    # The first sender comes back: it sees its claim is gone and sends nothing.
    assert delivery.send_claimed(session, claim, NOW) == DeliveryResult()
    stored = _fresh(session, notification)
    assert stored.mail_status == MailStatus.SENDING
    assert stored.mail_claim_token == second.token
    assert delivery.send_claimed(session, second, taken_over) == DeliveryResult(sent=1)
    assert _fresh(session, notification).emailed_at == taken_over
    assert len(smtp_server.wait_for(1)) == 1
    assert len(smtp_server.messages) == 1


def test_a_batch_stops_at_half_the_claim_timeout_and_hands_the_rest_back(
    app: Flask,
    session: Session,
    make_staff,
    raise_notification,
    smtp_server: LocalSmtpServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(app.config, "MAIL_CLAIM_TIMEOUT_SECONDS", 600)
    recipient = make_staff()
    notifications = [raise_notification(recipient) for _ in range(4)]
    claim = claim_due(session, NOW)
    session.commit()
    seconds = iter([0, 0, 100, 301, 301, 301])  # started, then before each message
    result = delivery.send_claimed(session, claim, NOW, clock=lambda: next(seconds))
    assert result == DeliveryResult(sent=2, retrying=2)
    states = [_fresh(session, item).mail_status for item in notifications]
    assert states == [MailStatus.SENT] * 2 + [MailStatus.PENDING] * 2
    # The second message renewed the claim with the time the batch had run.
    assert deliver_mail(session, NOW + timedelta(minutes=1)) == DeliveryResult(sent=2)
    assert len(smtp_server.wait_for(4)) == 4


def test_an_unexpected_error_counts_as_an_attempt_and_frees_the_claim(
    app: Flask,
    session: Session,
    make_staff,
    raise_notification,
    smtp_server: LocalSmtpServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    notification = raise_notification(make_staff())

    def broken(row):
        raise LookupError("unknown encoding")

    monkeypatch.setattr(delivery, "compose_notification", broken)
    assert deliver_mail(session, NOW) == DeliveryResult(retrying=1)
    stored = _fresh(session, notification)
    assert (stored.mail_status, stored.mail_attempts) == (MailStatus.PENDING, 1)
    assert stored.mail_claim_token is None and "unknown encoding" in stored.mail_error
    assert smtp_server.messages == []


def test_retries_wait_twice_as_long_each_time_up_to_the_longest_delay(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "MAIL_RETRY_SECONDS", 60)
    monkeypatch.setitem(app.config, "MAIL_RETRY_MAX_SECONDS", 3600)
    minutes = [delivery.retry_delay(attempt).total_seconds() / 60 for attempt in range(1, 10)]
    assert minutes == [1, 2, 4, 8, 16, 32, 60, 60, 60]
    assert delivery.retry_delay(500).total_seconds() == 3600


@pytest.mark.parametrize("rows", [1, 12])
def test_reading_and_claiming_take_a_fixed_number_of_statements(
    app: Flask,
    session: Session,
    make_staff,
    raise_notification,
    count_queries,
    rows: int,
) -> None:
    members = [make_staff() for _ in range(rows)]
    app_only = make_staff()
    session.add(
        NotificationPreference(staff_member_id=app_only.id, kind="milestone_overdue", channel="app")
    )
    for member in members:
        raise_notification(member)
        raise_notification(app_only)
    session.flush()
    with count_queries() as counter:
        claim = claim_due(session, NOW)
    assert (len(claim.rows), claim.skipped) == (rows, rows)
    # Read the due rows, the preferences; mark the skipped ones, claim the others.
    assert counter.count == 4, counter.statements


def test_stored_errors_hold_no_password_and_no_address(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "MAIL_URL", "smtp://user:ge%40heim@mail.example.org:587")
    monkeypatch.setitem(app.config, "MAIL_PASSWORD", None)
    error = MailError("535 login user/ge@heim refused for ada@example.org " + "x" * 600)
    reason = safe_reason(error, "ada@example.org")
    assert "ge@heim" not in reason and "ada@example.org" not in reason
    assert reason.startswith("535 login user/*** refused for <recipient> x")
    assert len(reason) == 500
