"""Status moves and decisions on applications (acceptance: see ``acceptance``).

Every change goes through the transition table (``caseflow.intake.transitions``), writes the
audit trail and only flushes; the caller commits. Two people changing one application at
once: the application's ``version`` column makes the later flush fail with SQLAlchemy's
``StaleDataError`` (the caller rolls back and tells the user). That only covers the moment
between loading and flushing in one request; a form filled in on an older state passes the
version it was shown as ``expected_version``, and a service refuses it (``StaleApplication``)
when the application has changed since.
"""

from __future__ import annotations

from datetime import date, datetime

from flask_babel import format_number
from sqlalchemy.orm import Session

from caseflow import clock
from caseflow.audit.services import record, redacted
from caseflow.engagements.rules import (
    ProgrammeWindow,
)
from caseflow.intake.models import Application, ApplicationStatus
from caseflow.intake.transitions import DECISIONS, TalkDateError, check_move, check_talk_date
from caseflow.staff.models import StaffMember
from caseflow.translating import gettext as _
from caseflow.web.i18n import format_day

S = ApplicationStatus

REASON_MAX_LENGTH = 2000


class DecisionError(ValueError):
    """A decision was refused; the message is German. ``field`` names the offending input of
    the form (``start_date``, ``duration_months``, ``lead``, ``note``, …) when there is one."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class StaleApplication(DecisionError):
    """The application changed after the form was shown (its version is not the expected
    one): the change asked for is based on an old state and is not made."""


def check_version(application: Application, expected_version: int | None) -> None:
    """Refuse a change made on an older state of ``application``.

    ``expected_version`` is the application's ``version`` the form was shown with (None: the
    caller has no form, nothing to compare). Raises ``StaleApplication`` when they differ.
    """
    if expected_version is not None and expected_version != application.version:
        raise StaleApplication(
            _(
                "Jemand anderes hat diese Bewerbung gerade geändert. Ihre Änderung wurde nicht "
                "gespeichert; bitte prüfen Sie den aktuellen Stand und versuchen Sie es noch "
                "einmal."
            )
        )


def _submitted_on(application: Application) -> date:
    return clock.local(application.submitted_at).date()


def clean_text(value: str | None, *, field: str, label: str) -> str | None:
    value = (value or "").strip()
    if len(value) > REASON_MAX_LENGTH:
        raise DecisionError(
            _(
                "%(label)s darf höchstens %(max)s Zeichen lang sein (jetzt: %(length)s).",
                label=label,
                max=format_number(REASON_MAX_LENGTH),
                length=format_number(len(value)),
            ),
            field=field,
        )
    return value or None


def move_application(
    session: Session,
    application: Application,
    target: ApplicationStatus,
    *,
    actor: StaffMember,
    now: datetime,
    window: ProgrammeWindow,
    talk_on: date | None = None,
    expected_version: int | None = None,
) -> None:
    """Move ``application`` along the review steps: to ``in_pruefung`` or ``vorgespraech``,
    or give the preliminary talk a new date while it is in ``vorgespraech``.

    Before: the transition table allows ``status → target`` for ``actor``'s role; for
    ``vorgespraech`` ``talk_on`` is a date from the submission day to the programme's end
    (``talk_on`` is ignored for other targets). Decisions have their own services.
    After: the new status (and talk date); one audit event, ``application.status_changed``
    or ``application.talk_rescheduled``; flushed. Raises ``TransitionError`` (its subclass
    ``MoveNotPermitted`` for a role that may not) or ``DecisionError`` (its subclass
    ``StaleApplication`` when ``expected_version`` is given and not the application's
    version), changing nothing.
    """
    if target in DECISIONS:
        raise DecisionError(_("Entscheidungen werden über ihr eigenes Formular getroffen."))
    check_version(application, expected_version)
    current = application.status
    check_move(current, target, actor.role)
    old_talk_on = application.preliminary_talk_on
    if target is S.VORGESPRAECH:
        check_talk_date(talk_on, submitted_on=_submitted_on(application), programme_end=window.end)
        if current is S.VORGESPRAECH and talk_on == old_talk_on:
            raise TalkDateError(
                _(
                    "Das Vorgespräch ist bereits für den %(day)s eingetragen.",
                    day=format_day(talk_on),
                )
            )
        application.preliminary_talk_on = talk_on
    application.status = target
    changes: dict[str, object] = {}
    if target is not current:
        changes["status"] = [current, target]
    if application.preliminary_talk_on != old_talk_on:
        changes["preliminary_talk_on"] = [old_talk_on, application.preliminary_talk_on]
    if target is current:
        record(
            session,
            actor=actor,
            action="application.talk_rescheduled",
            object_type="application",
            object_id=application.id,
            changes=changes,
            at=now,
        )
    else:
        record(
            session,
            actor=actor,
            action="application.status_changed",
            object_type="application",
            object_id=application.id,
            changes=changes,
            at=now,
        )
    session.flush()


def apply_decision(
    application: Application,
    target: ApplicationStatus,
    *,
    actor: StaffMember,
    now: datetime,
    reason: str | None = None,
    note: str | None = None,
) -> dict[str, object]:
    """Set the decision fields; return the changes for the audit trail (texts redacted).

    ``reason`` (a decline's, for the applicant) replaces ``decision_reason``; a decision
    without one keeps what is there. ``note`` (internal) replaces ``decision_note``; without
    one the note of an earlier waitlist place stays.
    """
    changes: dict[str, object] = {"status": [application.status, target]}
    if reason is not None and reason != application.decision_reason:
        changes["decision_reason"] = [redacted(application.decision_reason), redacted(reason)]
        application.decision_reason = reason
    if note is not None and note != application.decision_note:
        changes["decision_note"] = [redacted(application.decision_note), redacted(note)]
        application.decision_note = note
    application.status = target
    application.decided_at = now
    application.decided_by = actor
    return changes


def decline_application(
    session: Session,
    application: Application,
    *,
    actor: StaffMember,
    now: datetime,
    reason: str,
    expected_version: int | None = None,
) -> None:
    """Decline ``application``.

    Before: the transition table allows ``→ abgelehnt`` for ``actor`` (a lead); ``reason`` is
    not blank and at most ``REASON_MAX_LENGTH`` characters. After: status ``abgelehnt``,
    decided at ``now`` by ``actor`` with the reason in ``decision_reason`` (emailed to the
    applicant; the internal ``decision_note`` of a waitlist place stays); audit
    ``application.declined``; flushed.
    Raises ``TransitionError`` / ``MoveNotPermitted`` / ``DecisionError`` (``StaleApplication``
    for an ``expected_version`` that is not the application's), changing nothing.
    """
    check_version(application, expected_version)
    check_move(application.status, S.ABGELEHNT, actor.role)
    cleaned = clean_text(reason, field="reason", label=_("Die Begründung"))
    if cleaned is None:
        raise DecisionError(
            _("Bitte begründen Sie die Absage."),
            field="reason",
        )
    changes = apply_decision(application, S.ABGELEHNT, actor=actor, now=now, reason=cleaned)
    record(
        session,
        actor=actor,
        action="application.declined",
        object_type="application",
        object_id=application.id,
        changes=changes,
        at=now,
    )
    session.flush()


def waitlist_application(
    session: Session,
    application: Application,
    *,
    actor: StaffMember,
    now: datetime,
    note: str | None = None,
    expected_version: int | None = None,
) -> None:
    """Put ``application`` on the waitlist, with an optional internal note.

    Before: the transition table allows ``→ warteliste`` for ``actor`` (a lead); ``note`` at
    most ``REASON_MAX_LENGTH`` characters. After: status ``warteliste``, decided at ``now`` by
    ``actor``, the note (if any) as the internal ``decision_note``; audit
    ``application.waitlisted``; flushed. Raises ``TransitionError`` / ``MoveNotPermitted`` /
    ``DecisionError`` (``StaleApplication`` for an ``expected_version`` that is not the
    application's), changing nothing.
    """
    check_version(application, expected_version)
    check_move(application.status, S.WARTELISTE, actor.role)
    cleaned = clean_text(note, field="note", label=_("Die Notiz"))
    changes = apply_decision(application, S.WARTELISTE, actor=actor, now=now, note=cleaned)
    record(
        session,
        actor=actor,
        action="application.waitlisted",
        object_type="application",
        object_id=application.id,
        changes=changes,
        at=now,
    )
    session.flush()
