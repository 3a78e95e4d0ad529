"""``/admin/outbox``: failed and retrying notification emails with a button to send a failed
one again (admins only, CSRF, audited), the files of the outbox folder, and the warning on
the admin start page."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from caseflow import clock
from caseflow.audit.models import AuditEvent
from caseflow.followups.delivery import DeliveryResult, deliver_mail
from caseflow.followups.heartbeat import beat
from caseflow.followups.models import MailStatus, Notification
from caseflow.followups.notify import notify
from caseflow.staff.models import Role, StaffMember
from tests.conftest import csrf_token
from tests.mail_server import LocalSmtpServer, free_port
from tests.pages.helpers import page_text, table
from tests.pages.test_accessibility_structure import assert_accessible

NOW = datetime(2025, 6, 13, 8, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _frozen() -> Iterator[None]:
    with clock.frozen(NOW):
        yield


@pytest.fixture(autouse=True)
def _scheduler_alive(session: Session) -> None:
    """A running scheduler: these pages are looked at without its warning."""
    beat(session, NOW, "test", NOW)


@pytest.fixture
def outbox(app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Mail goes to an outbox folder of this test alone."""
    folder = tmp_path / "outbox"
    monkeypatch.setitem(app.config, "MAIL_URL", None)
    monkeypatch.setitem(app.config, "MAIL_OUTBOX", str(folder))
    return folder


@pytest.fixture
def raise_notification(session: Session) -> Callable[..., Notification]:
    counter = iter(range(1, 10_000))

    def raise_one(recipient: StaffMember, kind: str = "milestone_overdue") -> Notification:
        key = f"test:outbox:{next(counter)}"
        notify(
            session,
            recipient_id=recipient.id,
            kind=kind,
            text="Ein Meilenstein ist überfällig.",
            link="/",
            dedup_key=key,
            now=NOW,
        )
        return session.scalar(select(Notification).where(Notification.dedup_key == key))

    return raise_one


def _fail(
    session: Session, notification: Notification, *, attempts: int = 6, status=MailStatus.FAILED
) -> None:
    notification.mail_status = status
    notification.mail_attempts = attempts
    notification.mail_error = "SMTP mail.example.org:587 failed: ConnectionRefusedError"
    notification.mail_next_at = None if status == MailStatus.FAILED else NOW + timedelta(hours=1)
    session.flush()


def test_failed_and_retrying_mails_are_listed(
    client, session: Session, logged_in, make_staff, raise_notification
) -> None:
    logged_in(Role.ADMIN)
    failed = raise_notification(make_staff(name="Frida Fehlschlag"))
    _fail(session, failed)
    waiting = raise_notification(make_staff(name="Willi Wartend"), kind="follow_up_due")
    _fail(session, waiting, attempts=2, status=MailStatus.PENDING)
    raise_notification(make_staff(name="Paula Pünktlich"))  # pending, never failed: not listed

    response = client.get("/admin/outbox")
    assert response.status_code == 200
    assert_accessible(response)
    rows = table(response, "Fehlgeschlagene E-Mails zuerst").rows
    assert len(rows) == 3
    first, second = rows[1], rows[2]
    assert first[0] == f"Frida Fehlschlag {failed.recipient.email}"
    assert second[0].startswith("Willi Wartend")
    assert first[1] == "Meilenstein überfällig"
    assert first[3] == "fehlgeschlagen" and first[4] == "6"
    assert "ConnectionRefusedError" in first[5]
    assert "Erneut senden" in first[7]
    assert second[1] == "Wiedervorlage fällig"
    assert second[3] == "wartet auf neuen Versuch" and second[4] == "2"
    assert "Erneut senden" not in second[7]
    assert "Paula" not in page_text(response)


def test_the_page_takes_a_fixed_number_of_queries(
    client, session: Session, logged_in, make_staff, raise_notification, count_queries
) -> None:
    logged_in(Role.ADMIN)
    counts = []
    for size in (1, 10):
        for _ in range(size):
            _fail(session, raise_notification(make_staff()))
        with count_queries() as counter:
            assert client.get("/admin/outbox").status_code == 200
        counts.append(counter.count)
    assert counts[0] == counts[1], counts


def test_retry_resets_the_mail_and_is_audited(
    app: Flask,
    client,
    session: Session,
    logged_in,
    make_staff,
    raise_notification,
    smtp_server: LocalSmtpServer,
) -> None:
    admin = logged_in(Role.ADMIN)
    notification = raise_notification(make_staff(email="nochmal@example.org"))
    _fail(session, notification)
    path = f"/admin/outbox/{notification.id}/retry"

    token = csrf_token(client, "/admin/outbox")
    assert client.post(path).status_code == 400  # no CSRF token: nothing changes
    assert session.get(Notification, notification.id, populate_existing=True).mail_attempts == 6

    response = client.post(path, data={"csrf_token": token})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/admin/outbox")
    stored = session.get(Notification, notification.id, populate_existing=True)
    assert stored.mail_status == MailStatus.PENDING
    assert stored.mail_attempts == 0
    assert stored.mail_next_at == NOW
    assert stored.mail_error is None
    [event] = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "notification.mail_retried")
    ).all()
    assert (event.actor_id, event.object_id) == (admin.id, notification.id)
    assert "erneut gesendet" in page_text(client.get("/admin/outbox"))

    # A second click (or another admin) finds nothing to retry: no second event.
    again = client.post(path, data={"csrf_token": token}, follow_redirects=True)
    assert "nicht (mehr) fehlgeschlagen" in page_text(again)
    assert (
        len(
            session.scalars(
                select(AuditEvent).where(AuditEvent.action == "notification.mail_retried")
            ).all()
        )
        == 1
    )
    assert client.post("/admin/outbox/999999/retry", data={"csrf_token": token}).status_code == 302

    assert deliver_mail(session, NOW) == DeliveryResult(sent=1)
    [message] = smtp_server.wait_for(1)
    assert message["To"] == "nochmal@example.org"


def test_mails_that_failed_for_good_after_the_last_attempt_show_up(
    app: Flask,
    client,
    session: Session,
    logged_in,
    make_staff,
    raise_notification,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(app.config, "MAIL_URL", f"smtp://127.0.0.1:{free_port()}")
    monkeypatch.setitem(app.config, "MAIL_MAX_ATTEMPTS", 1)
    raise_notification(make_staff(name="Karla Kaputt"))
    assert deliver_mail(session, NOW) == DeliveryResult(failed=1)

    logged_in(Role.ADMIN)
    start = client.get("/admin/")
    warning = page_text(start)
    assert "Warnung: E-Mails fehlgeschlagen" in warning
    assert "1 Benachrichtigung konnte nicht per E-Mail verschickt werden." in warning
    assert 'href="/admin/outbox">Fehlgeschlagene E-Mails' in start.get_data(as_text=True)
    page = client.get("/admin/outbox")
    row = table(page, "Fehlgeschlagene E-Mails zuerst").rows[1]
    assert row[0].startswith("Karla Kaputt")
    assert "Connection refused" in row[5]


def test_no_warning_without_failed_mail(client, logged_in) -> None:
    logged_in(Role.ADMIN)
    start = client.get("/admin/")
    assert "fehlgeschlagen" not in page_text(start)
    assert 'href="/admin/outbox"' in start.get_data(as_text=True)  # the page is linked anyway
    page = client.get("/admin/outbox")
    assert "Keine E-Mail ist fehlgeschlagen" in page_text(page)


def test_outbox_files_are_listed_and_shown(
    client, session: Session, logged_in, make_staff, raise_notification, outbox: Path
) -> None:
    logged_in(Role.ADMIN)
    raise_notification(make_staff(name="Olga Ordner", email="olga@example.org"))
    assert deliver_mail(session, NOW).sent == 1
    [file] = outbox.glob("*.eml")

    page = client.get("/admin/outbox")
    assert_accessible(page)
    [header, row] = table(page, "E-Mails im Postausgang").rows
    assert row[1:] == ["olga@example.org", "caseflow: Meilenstein überfällig"]
    assert f'href="/admin/outbox/{file.name}"' in page.get_data(as_text=True)

    shown = client.get(f"/admin/outbox/{file.name}")
    assert shown.status_code == 200
    assert_accessible(shown)
    text = page_text(shown)
    assert "Auto-Submitted auto-generated" in text
    assert "Hallo Olga Ordner," in text
    assert "Ein Meilenstein ist überfällig." in text


@pytest.mark.parametrize(
    "name",
    [
        "..%2Fsecret_key",
        "20251015T093012123456Z-0000000000000000.eml",  # well formed, not there
        "notizen.txt",
    ],
)
def test_unknown_outbox_files_are_404(client, logged_in, outbox: Path, name: str) -> None:
    outbox.mkdir(parents=True, exist_ok=True)
    (outbox / "notizen.txt").write_text("x")
    logged_in(Role.ADMIN)
    assert client.get(f"/admin/outbox/{name}").status_code == 404


def test_a_message_in_an_unknown_charset_or_unreadable_is_no_500(
    client, logged_in, outbox: Path
) -> None:
    outbox.mkdir(parents=True, exist_ok=True)
    odd = outbox / "20251015T093012123456Z-00000000000000aa.eml"
    odd.write_bytes(
        b"Subject: Test\nTo: x@example.org\n"
        b"Content-Type: text/plain; charset=x-unbekannt\n\nGr\xfc\xdfe\n"
    )
    folder_as_file = outbox / "20251015T093012123456Z-00000000000000bb.eml"
    folder_as_file.mkdir()
    logged_in(Role.ADMIN)
    shown = client.get(f"/admin/outbox/{odd.name}")
    assert shown.status_code == 200 and "Gr" in page_text(shown)
    assert client.get(f"/admin/outbox/{folder_as_file.name}").status_code == 404
    assert client.get("/admin/outbox").status_code == 200


def test_with_smtp_the_page_says_there_is_no_folder(
    app: Flask, client, logged_in, smtp_server: LocalSmtpServer
) -> None:
    logged_in(Role.ADMIN)
    page = page_text(client.get("/admin/outbox"))
    assert "einen Postausgang-Ordner gibt es nicht" in page
    assert client.get("/admin/outbox/20251015T093012123456Z-0000000000000000.eml").status_code == (
        404
    )


@pytest.mark.parametrize("role", [Role.CONSULTANT, Role.LEAD])
def test_only_admins_see_the_outbox(
    client, session: Session, logged_in, make_staff, raise_notification, outbox: Path, role
) -> None:
    notification = raise_notification(make_staff())
    _fail(session, notification)
    assert deliver_mail(session, NOW) == DeliveryResult()  # failed stays failed
    outbox.mkdir(parents=True, exist_ok=True)
    name = "20251015T093012123456Z-0000000000000000.eml"
    (outbox / name).write_bytes(b"To: x@example.org\nSubject: geheim\n\nText\n")
    logged_in(role)
    assert client.get("/admin/outbox").status_code == 403
    assert client.get(f"/admin/outbox/{name}").status_code == 403
    token = csrf_token(client, "/dashboard")
    response = client.post(f"/admin/outbox/{notification.id}/retry", data={"csrf_token": token})
    assert response.status_code == 403
    stored = session.get(Notification, notification.id, populate_existing=True)
    assert stored.mail_status == MailStatus.FAILED


def test_anonymous_visitors_are_sent_to_the_login(client) -> None:
    response = client.get("/admin/outbox")
    assert response.status_code == 302
    assert re.search(r"/login", response.headers["Location"])
