"""Milestones and phases of an engagement: complete, reopen, drop, edit and add milestones,
and start the next phase once its gates are done (DESIGN.md §3).

Every change happens inside an engagement, so it bumps the engagement's version (a form shown
before it is refused as stale) and is recorded on the engagement's history.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import format_date
from sqlalchemy.orm import Session

from caseflow import clock
from caseflow.audit.services import record, redacted
from caseflow.engagements.models import (
    CLOSED_STATUSES,
    Engagement,
    EngagementStatus,
    Milestone,
    MilestoneStatus,
    Phase,
)
from caseflow.engagements.services.common import (
    EngagementError,
    check_version,
    clean_text,
    require_editor,
    touch,
)
from caseflow.staff.models import StaffMember
from caseflow.translating import gettext as _
from caseflow.translating import ngettext

TITLE_MAX_LENGTH = 200
NOTE_MAX_LENGTH = 2000


@dataclass(frozen=True)
class PhaseState:
    """Whether a phase has begun, and what keeps it from beginning now."""

    phase: Phase
    is_next: bool
    blocking_gates: tuple[Milestone, ...]

    @property
    def is_started(self) -> bool:
        return self.phase.started_on is not None

    @property
    def can_start(self) -> bool:
        """The phase is the next one to begin and no gate of an earlier phase is open (the
        engagement's status is checked by ``start_phase``)."""
        return self.is_next and not self.blocking_gates


def _open_gates_before(engagement: Engagement, phase: Phase) -> tuple[Milestone, ...]:
    return tuple(
        milestone
        for earlier in engagement.phases
        if earlier.position < phase.position
        for milestone in earlier.milestones
        if milestone.is_gate and milestone.status is MilestoneStatus.OFFEN
    )


def _next_phase(engagement: Engagement) -> Phase | None:
    """The first phase (by position) that has not begun: phases begin in order."""
    return next((phase for phase in engagement.phases if phase.started_on is None), None)


def phase_states(engagement: Engagement) -> dict[int, PhaseState]:
    """Each phase of ``engagement`` (by id) with whether it is the next one to begin and
    the open gate milestones of earlier phases that block it. Uses the loaded phases and
    milestones only (no statements)."""
    upcoming = _next_phase(engagement)
    return {
        phase.id: PhaseState(
            phase=phase,
            is_next=upcoming is not None and phase.id == upcoming.id,
            blocking_gates=_open_gates_before(engagement, phase),
        )
        for phase in engagement.phases
    }


def require_open(engagement: Engagement) -> None:
    """Raise ``EngagementError`` when ``engagement`` is closed (abgeschlossen, abgebrochen):
    its milestones and phases are then kept as they were."""
    if engagement.status in CLOSED_STATUSES:
        raise EngagementError(
            _(
                "Die Prozessbegleitung ist %(status)s; ihre Meilensteine und Phasen können "
                "nicht mehr geändert werden.",
                status=engagement.status.label,
            )
        )


def _prepare(engagement: Engagement, actor: StaffMember, expected_version: int | None) -> None:
    """The checks every change here starts with: permission, the form's version, an open
    engagement."""
    require_editor(engagement, actor)
    check_version(engagement, expected_version)
    require_open(engagement)


def require_completable(milestone: Milestone) -> None:
    """Raise ``EngagementError`` unless ``milestone`` is open (done or dropped ones are
    reopened first)."""
    if milestone.status is not MilestoneStatus.OFFEN:
        raise EngagementError(
            _(
                "Der Meilenstein „%(title)s“ ist %(status)s; nur ein offener Meilenstein kann "
                "erledigt werden.",
                title=milestone.title,
                status=milestone.status.label,
            )
        )


def require_droppable(milestone: Milestone) -> None:
    """Raise ``EngagementError`` unless ``milestone`` is open (a done one is reopened first)."""
    if milestone.status is not MilestoneStatus.OFFEN:
        raise EngagementError(
            _(
                "Der Meilenstein „%(title)s“ ist %(status)s; nur ein offener Meilenstein kann "
                "entfallen.",
                title=milestone.title,
                status=milestone.status.label,
            )
        )


def owner_candidates(
    engagement: Engagement, current: StaffMember | None = None
) -> list[StaffMember]:
    """Who may own a milestone of ``engagement``: its active team members (lead first), and
    ``current`` (the milestone's owner) even when no longer on it."""
    candidates = [member for member in engagement.team if member.is_active]
    if current is not None and all(member.id != current.id for member in candidates):
        candidates.append(current)
    return candidates


def _day(value: date) -> str:
    return format_date(value, "dd.MM.yyyy")


def _check_due_date(engagement: Engagement, phase: Phase, due_date: date | None) -> date:
    if due_date is None:
        raise EngagementError(_("Bitte geben Sie das Fälligkeitsdatum an."), field="due_date")
    first = max(phase.start_date, engagement.start_date)
    last = min(phase.end_date, engagement.planned_end_date)
    if not first <= due_date <= last:
        raise EngagementError(
            _(
                "Das Fälligkeitsdatum muss in der Phase „%(phase)s“ liegen, also zwischen dem "
                "%(first)s und dem %(last)s.",
                phase=phase.name,
                first=_day(first),
                last=_day(last),
            ),
            field="due_date",
        )
    return due_date


def _check_owner(
    session: Session, engagement: Engagement, owner_id: int | None, *, keep_id: int | None
) -> StaffMember:
    """The owner with ``owner_id``: an active member of the engagement's team; the
    milestone's current owner (``keep_id``) may stay even when no longer on it."""
    if owner_id is None:
        raise EngagementError(_("Bitte wählen Sie, wer verantwortlich ist."), field="owner")
    owner = session.get(StaffMember, owner_id)
    if owner is not None and owner.id == keep_id:
        return owner
    on_team = any(assignment.staff_member_id == owner_id for assignment in engagement.assignments)
    if owner is None or not on_team or not owner.is_active:
        raise EngagementError(
            _(
                "Verantwortlich kann nur eine aktive Person aus dem Team dieser "
                "Prozessbegleitung sein."
            ),
            field="owner",
        )
    return owner


def _clean_title(title: str | None) -> str:
    cleaned = clean_text(
        title,
        field="title",
        required_message=_("Bitte geben Sie dem Meilenstein einen Titel."),
        max_length=TITLE_MAX_LENGTH,
    )
    assert cleaned is not None  # required_message makes an empty title an error
    return cleaned


def complete_milestone(
    session: Session,
    milestone: Milestone,
    *,
    actor: StaffMember,
    now: datetime,
    completed_on: date | None,
    evidence_note: str | None = None,
    expected_version: int | None = None,
) -> None:
    """Mark ``milestone`` done.

    Before: ``actor`` may edit the engagement; the form was shown on its current version; the
    engagement is open (geplant, aktiv, pausiert); the milestone is ``offen``;
    ``completed_on`` lies neither after today (of ``now``, Europe/Berlin) nor before the
    engagement's start. A milestone of a phase that has not begun yet may be completed: work
    often happens early, and what the gates guard is beginning the next phase.
    After: status ``erledigt``, ``completed_on``, ``completed_by = actor``, the cleaned
    ``evidence_note``; the engagement's version counts up; one
    ``engagement.milestone_completed`` audit event (the note redacted); flushed.
    Raises ``EngagementNotPermitted``, ``StaleEngagement`` or ``EngagementError`` (with
    ``field`` ``completed_on`` or ``evidence_note``), changing nothing.
    """
    engagement = milestone.phase.engagement
    _prepare(engagement, actor, expected_version)
    require_completable(milestone)
    today = clock.local(now).date()
    if completed_on is None:
        raise EngagementError(
            _("Bitte geben Sie an, wann der Meilenstein erledigt wurde."), field="completed_on"
        )
    if completed_on > today:
        raise EngagementError(
            _(
                "Das Datum darf nicht in der Zukunft liegen (heute ist der %(today)s).",
                today=_day(today),
            ),
            field="completed_on",
        )
    if completed_on < engagement.start_date:
        raise EngagementError(
            _(
                "Das Datum darf nicht vor dem Beginn der Prozessbegleitung (%(start)s) liegen.",
                start=_day(engagement.start_date),
            ),
            field="completed_on",
        )
    note = clean_text(evidence_note, field="evidence_note", max_length=NOTE_MAX_LENGTH)

    milestone.status = MilestoneStatus.ERLEDIGT
    milestone.completed_on = completed_on
    milestone.completed_by_id = actor.id
    milestone.evidence_note = note
    touch(engagement)
    record(
        session,
        actor=actor,
        action="engagement.milestone_completed",
        object_type="engagement",
        object_id=engagement.id,
        changes={
            "milestone": milestone.id,
            "status": [MilestoneStatus.OFFEN, MilestoneStatus.ERLEDIGT],
            "completed_on": [None, completed_on],
            "evidence_note": [None, redacted(note)],
        },
        at=now,
    )
    session.flush()


def reopen_milestone(
    session: Session,
    milestone: Milestone,
    *,
    actor: StaffMember,
    now: datetime,
    expected_version: int | None = None,
) -> None:
    """Open a done or dropped ``milestone`` again.

    Before: ``actor`` may edit; the form was shown on the current version; the engagement is
    open; the milestone is ``erledigt`` or ``entfallen``. Reopening a gate of a phase whose
    successor has begun already is allowed: the gate guards beginning, not what came after.
    After: status ``offen``; ``completed_on``, ``completed_by``, ``evidence_note`` and
    ``drop_reason`` cleared; the engagement's version counts up; one
    ``engagement.milestone_reopened`` audit event; flushed.
    Raises ``EngagementNotPermitted``, ``StaleEngagement`` or ``EngagementError``.
    """
    engagement = milestone.phase.engagement
    _prepare(engagement, actor, expected_version)
    if milestone.status is MilestoneStatus.OFFEN:
        raise EngagementError(
            _("Der Meilenstein „%(title)s“ ist bereits offen.", title=milestone.title)
        )
    changes: dict[str, object] = {
        "milestone": milestone.id,
        "status": [milestone.status, MilestoneStatus.OFFEN],
    }
    if milestone.completed_on is not None:
        changes["completed_on"] = [milestone.completed_on, None]
    if milestone.evidence_note is not None:
        changes["evidence_note"] = [redacted(milestone.evidence_note), None]
    if milestone.drop_reason is not None:
        changes["drop_reason"] = [redacted(milestone.drop_reason), None]
    milestone.status = MilestoneStatus.OFFEN
    milestone.completed_on = None
    milestone.completed_by_id = None
    milestone.evidence_note = None
    milestone.drop_reason = None
    touch(engagement)
    record(
        session,
        actor=actor,
        action="engagement.milestone_reopened",
        object_type="engagement",
        object_id=engagement.id,
        changes=changes,
        at=now,
    )
    session.flush()


def drop_milestone(
    session: Session,
    milestone: Milestone,
    *,
    actor: StaffMember,
    now: datetime,
    reason: str | None,
    expected_version: int | None = None,
) -> None:
    """Mark ``milestone`` as no longer needed (``entfallen``).

    Before: ``actor`` may edit; the form was shown on the current version; the engagement is
    open; the milestone is ``offen`` (a done one is reopened first); a ``reason`` is given.
    A dropped gate no longer blocks the next phase.
    After: status ``entfallen`` with the cleaned ``drop_reason``; the engagement's version
    counts up; one ``engagement.milestone_dropped`` audit event (the reason redacted);
    flushed. Raises ``EngagementNotPermitted``, ``StaleEngagement`` or ``EngagementError``
    (``field="reason"`` for the reason), changing nothing.
    """
    engagement = milestone.phase.engagement
    _prepare(engagement, actor, expected_version)
    require_droppable(milestone)
    cleaned = clean_text(
        reason,
        field="reason",
        required_message=_("Bitte begründen Sie, warum der Meilenstein entfällt."),
        max_length=NOTE_MAX_LENGTH,
    )
    milestone.status = MilestoneStatus.ENTFALLEN
    milestone.drop_reason = cleaned
    touch(engagement)
    record(
        session,
        actor=actor,
        action="engagement.milestone_dropped",
        object_type="engagement",
        object_id=engagement.id,
        changes={
            "milestone": milestone.id,
            "status": [MilestoneStatus.OFFEN, MilestoneStatus.ENTFALLEN],
            "drop_reason": [None, redacted(cleaned)],
        },
        at=now,
    )
    session.flush()


def edit_milestone(
    session: Session,
    milestone: Milestone,
    *,
    actor: StaffMember,
    now: datetime,
    title: str | None,
    owner_id: int | None,
    due_date: date | None,
    expected_version: int | None = None,
) -> None:
    """Change the title, owner and due date of one ``milestone`` (no other item moves; the
    reschedule page shifts later items too).

    Before: ``actor`` may edit; the form was shown on the current version; the engagement is
    open; a title of at most ``TITLE_MAX_LENGTH`` characters; ``owner_id`` an active member of
    the engagement's team (or the current owner); ``due_date`` inside the milestone's phase
    and inside the engagement's start and planned end.
    After: the new values; ``baseline_due_date`` unchanged; when anything changed the
    engagement's version counts up and one ``engagement.milestone_edited`` audit event is
    written (the title redacted); flushed. Raises ``EngagementNotPermitted``,
    ``StaleEngagement`` or ``EngagementError`` (``field`` ``title``, ``owner`` or
    ``due_date``), changing nothing.
    """
    engagement = milestone.phase.engagement
    _prepare(engagement, actor, expected_version)
    cleaned = _clean_title(title)
    owner = _check_owner(session, engagement, owner_id, keep_id=milestone.owner_id)
    due = _check_due_date(engagement, milestone.phase, due_date)

    changes: dict[str, object] = {}
    if cleaned != milestone.title:
        changes["title"] = [redacted(milestone.title), redacted(cleaned)]
    if owner.id != milestone.owner_id:
        changes["owner"] = [milestone.owner_id, owner.id]
    if due != milestone.due_date:
        changes["due_date"] = [milestone.due_date, due]
    if not changes:
        return
    milestone.title = cleaned
    milestone.owner = owner
    milestone.due_date = due
    touch(engagement)
    record(
        session,
        actor=actor,
        action="engagement.milestone_edited",
        object_type="engagement",
        object_id=engagement.id,
        changes={"milestone": milestone.id, **changes},
        at=now,
    )
    session.flush()


def add_milestone(
    session: Session,
    phase: Phase,
    *,
    actor: StaffMember,
    now: datetime,
    title: str | None,
    owner_id: int | None,
    due_date: date | None,
    is_gate: bool = False,
    expected_version: int | None = None,
) -> Milestone:
    """Add an extra milestone to ``phase``.

    Before: as for ``edit_milestone`` (the owner an active team member).
    After: a new ``offen`` milestone with ``baseline_due_date = due_date``, after the phase's
    other milestones of that day; the engagement's version counts up; one
    ``engagement.milestone_added`` audit event (the title redacted); flushed. Raises
    ``EngagementNotPermitted``, ``StaleEngagement`` or ``EngagementError`` (``field``
    ``title``, ``owner`` or ``due_date``); nothing is added then.
    """
    engagement = phase.engagement
    _prepare(engagement, actor, expected_version)
    cleaned = _clean_title(title)
    owner = _check_owner(session, engagement, owner_id, keep_id=None)
    due = _check_due_date(engagement, phase, due_date)

    milestone = Milestone(
        title=cleaned,
        due_date=due,
        baseline_due_date=due,
        owner=owner,
        is_gate=is_gate,
        sort_order=max((m.sort_order for m in phase.milestones), default=-1) + 1,
        created_at=now,
    )
    phase.milestones.append(milestone)
    touch(engagement)
    session.flush()
    record(
        session,
        actor=actor,
        action="engagement.milestone_added",
        object_type="engagement",
        object_id=engagement.id,
        changes={
            "milestone": milestone.id,
            "phase": phase.id,
            "title": [None, redacted(cleaned)],
            "due_date": [None, due],
            "owner": [None, owner.id],
            "is_gate": [None, is_gate],
        },
        at=now,
    )
    session.flush()
    return milestone


def start_phase(
    session: Session,
    phase: Phase,
    *,
    actor: StaffMember,
    now: datetime,
    expected_version: int | None = None,
) -> None:
    """Mark ``phase`` as begun today ("Phase beginnen").

    Before: ``actor`` may edit; the form was shown on the current version; the engagement is
    ``aktiv``; every earlier phase has begun (phases begin in order) and this one has not;
    no gate milestone of an earlier phase is ``offen`` (done or dropped gates let it begin).
    After: ``phase.started_on`` today (of ``now``, Europe/Berlin); the engagement's version
    counts up; one ``engagement.phase_started`` audit event; flushed. Raises
    ``EngagementNotPermitted``, ``StaleEngagement`` or ``EngagementError`` naming what
    blocks, changing nothing.
    """
    engagement = phase.engagement
    _prepare(engagement, actor, expected_version)
    if engagement.status is not EngagementStatus.AKTIV:
        raise EngagementError(
            _(
                "Eine Phase kann nur in einer aktiven Prozessbegleitung beginnen (jetzt: "
                "%(status)s).",
                status=engagement.status.label,
            )
        )
    if phase.started_on is not None:
        raise EngagementError(
            _(
                "Die Phase „%(phase)s“ hat bereits am %(day)s begonnen.",
                phase=phase.name,
                day=_day(phase.started_on),
            )
        )
    upcoming = _next_phase(engagement)
    if upcoming is not None and upcoming.id != phase.id:
        raise EngagementError(
            _(
                "Die Phase „%(phase)s“ kann erst beginnen, wenn die Phase „%(earlier)s“ "
                "begonnen hat.",
                phase=phase.name,
                earlier=upcoming.name,
            )
        )
    gates = _open_gates_before(engagement, phase)
    if gates:
        raise EngagementError(
            ngettext(
                "Die Phase „%(phase)s“ kann erst beginnen, wenn %(titles)s erledigt ist.",
                "Die Phase „%(phase)s“ kann erst beginnen, wenn %(titles)s erledigt sind.",
                len(gates),
                phase=phase.name,
                titles=", ".join(f"„{gate.title}“" for gate in gates),
            )
        )
    today = clock.local(now).date()
    phase.started_on = today
    touch(engagement)
    record(
        session,
        actor=actor,
        action="engagement.phase_started",
        object_type="engagement",
        object_id=engagement.id,
        changes={"phase": phase.id, "started_on": [None, today]},
        at=now,
    )
    session.flush()
