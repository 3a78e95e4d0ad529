"""The application state machine: one table of who may move an application from which status
to which, and the rule for the preliminary talk's date.

Staff (consultants and up) move an application along ``eingegangen → in_pruefung →
vorgespraech``; while it is in ``vorgespraech`` the talk's date may be changed (the move
``vorgespraech → vorgespraech``). Only leads (and admins) decide:

- ``abgelehnt`` from every open status and from the waitlist: an application that is plainly
  out of scope can be declined without a review or talk;
- ``warteliste`` from ``in_pruefung`` and ``vorgespraech``: a waitlist place says "good, but no
  capacity now", which needs at least a look at the application;
- ``angenommen`` from ``vorgespraech`` and ``warteliste``: the procedure promises a
  preliminary talk before an acceptance (form → review → talk → decision); a waitlisted
  application may be accepted when a place frees up.

``zurueckgezogen`` is reached only by the applicant through the status link (the public side),
while the application is open. Nothing leaves ``angenommen``, ``abgelehnt`` or
``zurueckgezogen``.
"""

from __future__ import annotations

from datetime import date

from caseflow.intake.models import ApplicationStatus
from caseflow.staff.models import Role
from caseflow.translating import gettext as _
from caseflow.web.i18n import format_day

S = ApplicationStatus

# Marks the moves only the applicant makes (through the status link, never through staff).
APPLICANT = "applicant"

# (from, to) → the minimum staff role, or APPLICANT. A move not listed is not possible.
TRANSITIONS: dict[tuple[ApplicationStatus, ApplicationStatus], Role | str] = {
    (S.EINGEGANGEN, S.IN_PRUEFUNG): Role.CONSULTANT,
    (S.IN_PRUEFUNG, S.VORGESPRAECH): Role.CONSULTANT,
    (S.VORGESPRAECH, S.VORGESPRAECH): Role.CONSULTANT,  # a new date for the talk
    (S.EINGEGANGEN, S.ABGELEHNT): Role.LEAD,
    (S.IN_PRUEFUNG, S.ABGELEHNT): Role.LEAD,
    (S.VORGESPRAECH, S.ABGELEHNT): Role.LEAD,
    (S.IN_PRUEFUNG, S.WARTELISTE): Role.LEAD,
    (S.VORGESPRAECH, S.WARTELISTE): Role.LEAD,
    (S.VORGESPRAECH, S.ANGENOMMEN): Role.LEAD,
    (S.WARTELISTE, S.ANGENOMMEN): Role.LEAD,
    (S.WARTELISTE, S.ABGELEHNT): Role.LEAD,
    (S.EINGEGANGEN, S.ZURUECKGEZOGEN): APPLICANT,
    (S.IN_PRUEFUNG, S.ZURUECKGEZOGEN): APPLICANT,
    (S.VORGESPRAECH, S.ZURUECKGEZOGEN): APPLICANT,
}

FINAL_STATUSES = frozenset({S.ANGENOMMEN, S.ABGELEHNT, S.ZURUECKGEZOGEN})
DECISIONS = (S.ANGENOMMEN, S.ABGELEHNT, S.WARTELISTE)


class TransitionError(ValueError):
    """A status move that is not possible; the message is German and meant for the user."""


class MoveNotPermitted(TransitionError):
    """A possible move that the acting person's role does not allow (a 403 in a view)."""


class TalkDateError(TransitionError):
    """The preliminary talk's date is missing or breaks the date rule."""


def _reaches(role: Role, minimum: Role | str) -> bool:
    return minimum != APPLICANT and role.rank >= Role(minimum).rank


def allowed_moves(status: ApplicationStatus, role: Role) -> list[ApplicationStatus]:
    """The statuses a staff member of ``role`` may move an application in ``status`` to, in
    the order of ``ApplicationStatus`` (the talk's rescheduling included as ``status``)."""
    reachable = {
        target
        for (source, target), minimum in TRANSITIONS.items()
        if source is status and _reaches(role, minimum)
    }
    return [target for target in ApplicationStatus if target in reachable]


def withdrawable_statuses() -> list[ApplicationStatus]:
    """The statuses from which the applicant may withdraw (the open ones)."""
    return [
        source
        for (source, target), minimum in TRANSITIONS.items()
        if target is S.ZURUECKGEZOGEN and minimum == APPLICANT
    ]


def check_move(current: ApplicationStatus, target: ApplicationStatus, role: Role) -> None:
    """Refuse the move ``current → target`` for a staff member of ``role``.

    Raises ``TransitionError`` when the move does not exist and ``MoveNotPermitted`` when it
    exists but needs a higher role; both with a German message.
    """
    if current in FINAL_STATUSES:
        raise TransitionError(
            _(
                "Die Bewerbung ist bereits „%(status)s“; ihr Status kann nicht mehr geändert "
                "werden.",
                status=current.label,
            )
        )
    if target is S.ZURUECKGEZOGEN:
        raise TransitionError(
            _(
                "Nur die Bewerber*innen selbst können eine Bewerbung über ihren Status-Link "
                "zurückziehen."
            )
        )
    minimum = TRANSITIONS.get((current, target))
    if minimum is None:
        if current is target:
            raise TransitionError(
                _("Die Bewerbung ist bereits „%(status)s“.", status=current.label)
            )
        raise TransitionError(
            _(
                "Eine Bewerbung mit dem Status „%(current)s“ kann nicht auf „%(target)s“ "
                "gesetzt werden.",
                current=current.label,
                target=target.label,
            )
        )
    if not _reaches(role, minimum):
        raise MoveNotPermitted(
            _("Nur die Projektleitung kann über Bewerbungen entscheiden.")
            if target in DECISIONS
            else _("Sie dürfen den Status dieser Bewerbung nicht ändern.")
        )


def check_talk_date(talk_on: date | None, *, submitted_on: date, programme_end: date) -> None:
    """Refuse a preliminary talk's date that is missing, before the day the application came
    in, or after the programme's end. Raises ``TalkDateError`` with a German message."""
    if talk_on is None:
        raise TalkDateError(_("Bitte geben Sie das Datum des Vorgesprächs an."))
    if talk_on < submitted_on:
        raise TalkDateError(
            _(
                "Das Vorgespräch kann nicht vor dem Eingang der Bewerbung (%(day)s) liegen.",
                day=format_day(submitted_on),
            )
        )
    if talk_on > programme_end:
        raise TalkDateError(
            _(
                "Das Vorgespräch kann nicht nach dem Ende des Förderzeitraums (%(day)s) liegen.",
                day=format_day(programme_end),
            )
        )
