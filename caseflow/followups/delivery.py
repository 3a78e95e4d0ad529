"""Sending the email of notifications after the commit that recorded them.

A notification's email moves through ``mail_status`` (``MailStatus``):

    pending ──claim──▶ sending ──sent──▶ sent
       ▲                  │
       └──retry (backoff)─┤──last attempt──▶ failed ──admin: "Erneut senden"──▶ pending
    pending/sending ──recipient wants no email, has no address, is inactive, superseded──▶ none

``deliver_mail`` reads the due rows (pending and due, or claimed by a sender that has not
finished within ``MAIL_CLAIM_TIMEOUT_SECONDS`` — it crashed between claim and send), claims
them with one conditional UPDATE … RETURNING that stamps a random token of this call, and
commits the claim before it sends anything. Only the ids the UPDATE returned are this
sender's: two senders at once (two processes, or a scheduler and ``caseflow jobs run``) never
send the same message. Right before each message the sender renews its claim (a conditional
UPDATE on its token, committed); a sender whose claim was taken over meanwhile (it was slower
than the claim timeout, or another sender's clock runs ahead) skips the message, and a batch
stops at half the claim timeout and hands the rest back. Each outcome is committed right
after its message. Only a crash after sending and before recording sends a message again
(after the claim timeout); it carries the same ``Message-ID`` (built from the notification),
so mail programs show it once.

Unlike the rest of the feature, ``deliver_mail`` commits itself (claim first, then one commit
per message): mail must only go out for recorded claims, and a sent message must be recorded
at once. Call it with a session that has nothing pending of its own.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import time
import traceback
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from flask import current_app, has_request_context, request
from flask_babel import force_locale
from sqlalchemy import ColumnElement, Row, and_, func, or_, select, update
from sqlalchemy.orm import Session

from caseflow.audit.services import Actor, record
from caseflow.followups.models import MailStatus, Notification
from caseflow.followups.notify import page_path
from caseflow.followups.preferences import EMAIL, KINDS_BY_KEY, channel_of, stored_channels
from caseflow.mail import MailError, MailMessage, compose, safe_reason, send_mail
from caseflow.staff.models import StaffMember
from caseflow.web.errors import error_kinds

log = logging.getLogger(__name__)

# Messages per call. The scheduler calls every minute, so a backlog drains at this rate per
# minute, and one call stays well inside the claim timeout.
BATCH_SIZE = 200
# After this many failures in a row the server is taken to be down: the call stops and puts
# the remaining claimed rows back (pending, no attempt counted) instead of waiting for a
# timeout per message.
MAX_FAILURES_IN_A_ROW = 3
# Where links point without BASE_URL, no request and no SERVER_NAME: ``make run``'s server.
DEVELOPMENT_ORIGIN = "http://127.0.0.1:5000"
# RFC 3834: an automatic message; no out-of-office replies, please.
AUTO_HEADERS = (("Auto-Submitted", "auto-generated"), ("X-Auto-Response-Suppress", "All"))


@dataclass(frozen=True)
class DeliveryResult:
    """What one ``deliver_mail`` call did: messages sent, messages that wait for another try
    (failed now, or put back after the server failed repeatedly), messages given up after the
    last attempt, and notifications that get no email."""

    sent: int = 0
    retrying: int = 0
    failed: int = 0
    skipped: int = 0


@dataclass(frozen=True)
class Claim:
    """What one sender claimed: the rows to send, how many due rows get no email, and the
    sender's token that marks its claims."""

    rows: list[Row[Any]]
    skipped: int
    token: str


@dataclass(frozen=True)
class MailProblem:
    """A notification whose email failed or waits for another try (``/admin/outbox``)."""

    id: int
    recipient_name: str
    recipient_email: str | None
    kind: str
    created_at: datetime
    mail_status: MailStatus
    mail_attempts: int
    mail_error: str | None
    mail_next_at: datetime | None

    @property
    def kind_label(self) -> str:
        return kind_label(self.kind)

    @property
    def is_failed(self) -> bool:
        return self.mail_status == MailStatus.FAILED


def kind_label(kind: str) -> str:
    """The label of a notification kind in the current language (the key if unknown)."""
    known = KINDS_BY_KEY.get(kind)
    return str(known.label) if known else kind


# -- claiming ----------------------------------------------------------------------------------


def _due(now: datetime, stale: datetime) -> ColumnElement[bool]:
    """Waiting and due, or claimed by a sender that has not finished by ``stale``."""
    return or_(
        and_(
            Notification.mail_status == MailStatus.PENDING,
            or_(Notification.mail_next_at <= now, Notification.mail_next_at.is_(None)),
        ),
        and_(
            Notification.mail_status == MailStatus.SENDING,
            Notification.mail_claimed_at < stale,
        ),
    )


def claim_due(session: Session, now: datetime) -> Claim:
    """Claim up to ``BATCH_SIZE`` due emails for this sender; the caller commits (before it
    sends anything).

    Rows that get no email (superseded; the recipient has no address, is inactive or wants
    this kind in the app only) become ``none``; the others ``sending`` with
    ``mail_claimed_at = now`` and this call's token, if no other sender claimed them
    meanwhile. Returns the claimed rows (notification and recipient columns), how many were
    skipped, and the token. At most four statements, whatever the number of rows.
    """
    token = secrets.token_hex(16)
    stale = now - timedelta(seconds=current_app.config["MAIL_CLAIM_TIMEOUT_SECONDS"])
    rows = session.execute(
        select(
            Notification.id,
            Notification.recipient_id,
            Notification.kind,
            Notification.text,
            Notification.body,
            Notification.link,
            Notification.dedup_key,
            Notification.superseded_at,
            Notification.mail_attempts,
            StaffMember.name,
            StaffMember.email,
            StaffMember.locale,
            StaffMember.is_active,
        )
        .join(StaffMember, StaffMember.id == Notification.recipient_id)
        .where(_due(now, stale))
        .order_by(Notification.id)
        .limit(BATCH_SIZE)
    ).all()
    if not rows:
        return Claim([], 0, token)
    channels = stored_channels(session, {row.recipient_id for row in rows})
    wanted = [
        row
        for row in rows
        if row.superseded_at is None
        and row.is_active
        and row.email
        and channel_of(channels, row.recipient_id, row.kind) == EMAIL
    ]
    wanted_ids = {row.id for row in wanted}
    skip_ids = [row.id for row in rows if row.id not in wanted_ids]
    skipped = 0
    if skip_ids:
        skipped = session.execute(
            update(Notification)
            .where(Notification.id.in_(skip_ids), _due(now, stale))
            .values(mail_status=MailStatus.NONE, mail_claimed_at=None, mail_claim_token=None)
            .execution_options(synchronize_session=False)
        ).rowcount
    claimed_ids: set[int] = set()
    if wanted_ids:
        # On PostgreSQL a second sender's UPDATE waits for the first one's commit, then finds
        # the rows claimed (not stale) and leaves them out of its RETURNING.
        claimed_ids = set(
            session.scalars(
                update(Notification)
                .where(Notification.id.in_(sorted(wanted_ids)), _due(now, stale))
                .values(mail_status=MailStatus.SENDING, mail_claimed_at=now, mail_claim_token=token)
                .returning(Notification.id)
                .execution_options(synchronize_session=False)
            )
        )
    return Claim([row for row in wanted if row.id in claimed_ids], skipped, token)


# -- composing ---------------------------------------------------------------------------------


def _origin() -> str:
    """Scheme and host for links in emails: ``BASE_URL`` when set (always in production),
    else what ``url_for(…, _external=True)`` would use."""
    base = current_app.config.get("BASE_URL")
    if base:
        return base
    if has_request_context():
        return request.host_url.rstrip("/")
    server = current_app.config.get("SERVER_NAME")
    if server:
        return f"{current_app.config.get('PREFERRED_URL_SCHEME') or 'http'}://{server}"
    return DEVELOPMENT_ORIGIN


def message_id(notification_id: int, dedup_key: str) -> str:
    """The left part of the notification's stable ``Message-ID``."""
    digest = hashlib.sha256(dedup_key.encode()).hexdigest()[:12]
    return f"notification-{notification_id}.{digest}"


def compose_notification(row: Row[Any]) -> MailMessage:
    """The email of one claimed notification, in the recipient's language (German unless
    they chose English). The subject names the kind only, never a person."""
    locale = "en" if row.locale == "en" else "de"
    origin = _origin()
    # Through the inbox's "open": it marks the notification read and goes on to its link.
    path = page_path("followups.open_notification", notification_id=row.id)
    with force_locale(locale):
        label = kind_label(row.kind)
    message = compose(
        row.email,
        f"caseflow: {label}",
        "notification",
        locale=locale,
        name=row.name,
        message=row.body or row.text,
        url=origin + path,
        kind_label=label,
        settings_url=origin + page_path("followups.notification_settings"),
    )
    return replace(
        message,
        headers=(*AUTO_HEADERS, ("Content-Language", locale)),
        message_id=message_id(row.id, row.dedup_key),
    )


# -- sending -----------------------------------------------------------------------------------


def _mine(notification_id: int, token: str) -> ColumnElement[bool]:
    """The row as this sender claimed it (not taken over after a timeout)."""
    return and_(
        Notification.id == notification_id,
        Notification.mail_status == MailStatus.SENDING,
        Notification.mail_claim_token == token,
    )


def _renew(session: Session, notification_id: int, token: str, moment: datetime) -> bool:
    """Renew this sender's claim right before sending (committed); False when another
    sender has taken the row over, which then must not be sent here."""
    renewed = session.scalar(
        update(Notification)
        .where(_mine(notification_id, token))
        .values(mail_claimed_at=moment)
        .returning(Notification.id)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return renewed is not None


def _record_sent(session: Session, notification_id: int, token: str, now: datetime) -> None:
    session.execute(
        update(Notification)
        .where(_mine(notification_id, token))
        .values(
            mail_status=MailStatus.SENT,
            emailed_at=now,
            mail_claimed_at=None,
            mail_claim_token=None,
            mail_error=None,
        )
        .execution_options(synchronize_session=False)
    )
    session.commit()


def retry_delay(attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failure: ``MAIL_RETRY_SECONDS`` doubled per
    attempt, at most ``MAIL_RETRY_MAX_SECONDS``."""
    config = current_app.config
    seconds = config["MAIL_RETRY_SECONDS"] * 2 ** min(attempts - 1, 30)
    return timedelta(seconds=min(seconds, config["MAIL_RETRY_MAX_SECONDS"]))


def _record_failure(
    session: Session, row: Row[Any], token: str, reason: str, now: datetime
) -> bool:
    """Count the attempt; back to pending with backoff, or failed after the last attempt.
    Returns whether it failed for good."""
    config = current_app.config
    attempts = row.mail_attempts + 1
    given_up = attempts >= config["MAIL_MAX_ATTEMPTS"]
    values: dict[str, Any] = {
        "mail_attempts": attempts,
        "mail_error": reason,
        "mail_claimed_at": None,
        "mail_claim_token": None,
    }
    if given_up:
        values |= {"mail_status": MailStatus.FAILED, "mail_next_at": None}
    else:
        values |= {"mail_status": MailStatus.PENDING, "mail_next_at": now + retry_delay(attempts)}
    session.execute(
        update(Notification)
        .where(_mine(row.id, token))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    log.warning(
        "mail of notification %s failed (attempt %s of %s%s): %s",
        row.id,
        attempts,
        config["MAIL_MAX_ATTEMPTS"],
        ", giving up" if given_up else "",
        reason,
    )
    return given_up


def _release(session: Session, ids: Sequence[int], token: str) -> int:
    """Put claimed rows back, untried: due at once for the next call."""
    if not ids:
        return 0
    released = session.execute(
        update(Notification)
        .where(
            Notification.id.in_(ids),
            Notification.mail_status == MailStatus.SENDING,
            Notification.mail_claim_token == token,
        )
        .values(mail_status=MailStatus.PENDING, mail_claimed_at=None, mail_claim_token=None)
        .execution_options(synchronize_session=False)
    ).rowcount
    session.commit()
    return released


def deliver_mail(session: Session, now: datetime) -> DeliveryResult:
    """Send every notification email due at ``now`` (up to ``BATCH_SIZE``); commits itself.

    Before: nothing of the caller's is pending in ``session`` (it would be committed too).
    After: each due notification is ``sent`` (``emailed_at = now``), back to ``pending`` with
    ``mail_next_at = now + retry_delay(attempts)`` after a failure, ``failed`` after
    ``MAIL_MAX_ATTEMPTS`` failures, or ``none`` when it gets no email; rows another sender
    took over are left to it. Never raises for a failing message (failures are logged and
    counted as attempts); needs an app context.
    """
    claim = claim_due(session, now)
    session.commit()
    result = send_claimed(session, claim, now)
    return replace(result, skipped=claim.skipped)


def send_claimed(
    session: Session, claim: Claim, now: datetime, *, clock: Any = time.monotonic
) -> DeliveryResult:
    """Send the emails of ``claim`` (made at ``now`` and committed) and commit each outcome;
    see ``deliver_mail``. ``clock`` measures how long the batch runs (seconds)."""
    sent = retrying = failed = 0
    failures_in_a_row = 0
    started = clock()
    budget = current_app.config["MAIL_CLAIM_TIMEOUT_SECONDS"] / 2
    for index, row in enumerate(claim.rows):
        elapsed = clock() - started
        if failures_in_a_row >= MAX_FAILURES_IN_A_ROW or elapsed > budget:
            rest = [later.id for later in claim.rows[index:]]
            retrying += _release(session, rest, claim.token)
            log.warning("mail delivery paused: %s notification(s) left for later", len(rest))
            break
        if not _renew(session, row.id, claim.token, now + timedelta(seconds=elapsed)):
            continue  # taken over by another sender, which sends it
        try:
            send_mail(compose_notification(row))
        except Exception as error:  # any failure is an attempt, never a stuck claim
            if not isinstance(error, MailError):
                # The kind and the traceback locate the fault; the message might quote the
                # recipient's address or a text (minimisation: no personal data in logs).
                log.error(
                    "mail of notification %s could not be built or sent: %s\n%s",
                    row.id,
                    error_kinds(error),
                    "".join(traceback.format_tb(error.__traceback__)),
                )
            failures_in_a_row += 1
            reason = safe_reason(error, row.email)
            if _record_failure(session, row, claim.token, reason, now):
                failed += 1
            else:
                retrying += 1
            continue
        failures_in_a_row = 0
        _record_sent(session, row.id, claim.token, now)
        sent += 1
    return DeliveryResult(sent=sent, retrying=retrying, failed=failed)


# -- administration ----------------------------------------------------------------------------

PROBLEM_LIMIT = 200


def mail_problems(session: Session, *, limit: int = PROBLEM_LIMIT) -> list[MailProblem]:
    """Notifications whose email failed (newest first), then those waiting for another try
    (next try first); at most ``limit``; one statement."""
    rows = session.execute(
        select(
            Notification.id,
            StaffMember.name,
            StaffMember.email,
            Notification.kind,
            Notification.created_at,
            Notification.mail_status,
            Notification.mail_attempts,
            Notification.mail_error,
            Notification.mail_next_at,
        )
        .join(StaffMember, StaffMember.id == Notification.recipient_id)
        .where(
            or_(
                Notification.mail_status == MailStatus.FAILED,
                and_(
                    Notification.mail_status.in_([MailStatus.PENDING, MailStatus.SENDING]),
                    Notification.mail_attempts > 0,
                ),
            )
        )
        .order_by(
            (Notification.mail_status == MailStatus.FAILED).desc(),
            Notification.mail_next_at,
            Notification.created_at.desc(),
            Notification.id.desc(),
        )
        .limit(limit)
    ).all()
    return [MailProblem(*row) for row in rows]


def failed_mail_count(session: Session) -> int:
    """How many notification emails failed for good; one statement."""
    return (
        session.scalar(
            select(func.count())
            .select_from(Notification)
            .where(Notification.mail_status == MailStatus.FAILED)
        )
        or 0
    )


def retry_mail(session: Session, notification_id: int, *, actor: Actor, now: datetime) -> bool:
    """Send a failed notification's email again: pending from ``now`` with no attempts.

    Returns False (and changes nothing) when the email has not failed (any more): another
    admin retried it already, or there is no such notification. Records
    ``notification.mail_retried`` in the audit trail; only flushes, the caller commits.
    """
    changed = session.execute(
        update(Notification)
        .where(
            Notification.id == notification_id,
            Notification.mail_status == MailStatus.FAILED,
        )
        .values(
            mail_status=MailStatus.PENDING,
            mail_attempts=0,
            mail_next_at=now,
            mail_claimed_at=None,
            mail_error=None,
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    if not changed:
        return False
    record(
        session,
        actor=actor,
        action="notification.mail_retried",
        object_type="notification",
        object_id=notification_id,
        changes={"mail_status": [MailStatus.FAILED, MailStatus.PENDING]},
        at=now,
    )
    session.flush()
    return True
