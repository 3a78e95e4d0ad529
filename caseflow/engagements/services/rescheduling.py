"""Rescheduling and extending an engagement (DESIGN.md §3: "rescheduling is first-class").

``reschedule`` moves the start, a phase's end or one milestone (optionally with every later
open milestone and follow-up) as worked out by ``shifting.plan_shift``; ``preview_reschedule``
shows the same plan without saving it. ``extend`` moves the planned end later with a reason.
Follow-ups (a feature above this one) take part through the ``shift_candidates`` signal.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from functools import partial

from flask_babel import gettext as _
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from caseflow.audit.services import record, redacted
from caseflow.engagements.models import (
    CLOSED_STATUSES,
    Engagement,
    EngagementStatus,
    Milestone,
    MilestoneStatus,
)
from caseflow.engagements.rules import (
    DateRuleError,
    ProgrammeWindow,
    check_dates,
    check_extension,
)
from caseflow.engagements.services.common import (
    REASON_MAX_LENGTH,
    EngagementError,
    check_version,
    clean_text,
    require_editor,
)
from caseflow.engagements.shifting import (
    MILESTONE,
    AnchorKind,
    Dated,
    PhaseSpan,
    ShiftPlan,
    ShiftRequest,
    describe,
    plan_shift,
    shift_candidates,
)
from caseflow.staff.models import StaffMember
from caseflow.web.i18n import format_day

# The form field a refusal of a shift belongs to (the new date of the anchor).
DATE_FIELD = "new_date"


@dataclass(frozen=True)
class Anchor:
    """What is moved: the start, a phase (its end) or a milestone, with its current date and
    a German description for the page ("Ende der Phase „Analyse“")."""

    kind: AnchorKind
    anchor_id: int | None
    current: date
    description: str


def find_anchor(
    engagement: Engagement, kind: AnchorKind, anchor_id: int | None = None
) -> Anchor | None:
    """The anchor of ``engagement`` named by ``kind`` and ``anchor_id``; None when the phase
    or milestone is not one of this engagement's."""
    if kind is AnchorKind.START:
        return Anchor(kind, None, engagement.start_date, _("Beginn der Prozessbegleitung"))
    for phase in engagement.phases:
        if kind is AnchorKind.PHASE and phase.id == anchor_id:
            return Anchor(
                kind, phase.id, phase.end_date, _("Ende der Phase „%(name)s“", name=phase.name)
            )
        for milestone in phase.milestones:
            if kind is AnchorKind.MILESTONE and milestone.id == anchor_id:
                return Anchor(
                    kind,
                    milestone.id,
                    milestone.due_date,
                    _("Meilenstein „%(title)s“", title=milestone.title),
                )
    return None


def require_open(engagement: Engagement) -> None:
    """Raise ``EngagementError`` for a completed or cancelled engagement."""
    if engagement.status in CLOSED_STATUSES:
        raise EngagementError(
            _(
                "Die Prozessbegleitung ist %(status)s; ihre Termine werden nicht mehr geändert.",
                status=engagement.status.label,
            )
        )


def check_anchor(engagement: Engagement, anchor: Anchor) -> None:
    """Refuse an anchor that cannot be moved: any anchor of a closed engagement, the start
    once the engagement has begun, the last phase's end (that is the planned end: extend
    instead), a done or dropped milestone. Raises ``EngagementError``."""
    require_open(engagement)
    if anchor.kind is AnchorKind.START and engagement.status is not EngagementStatus.GEPLANT:
        raise EngagementError(
            _(
                "Der Beginn kann nur verschoben werden, solange die Prozessbegleitung geplant "
                "ist. Verschieben Sie stattdessen Phasen oder Meilensteine."
            )
        )
    if anchor.kind is AnchorKind.PHASE:
        last = max(engagement.phases, key=lambda phase: phase.position)
        if last.id == anchor.anchor_id:
            raise EngagementError(
                _(
                    "Das Ende der letzten Phase ist das geplante Ende der Prozessbegleitung. "
                    "Um es zu verschieben, verlängern Sie die Prozessbegleitung."
                )
            )
    if anchor.kind is AnchorKind.MILESTONE:
        milestone = _milestone(engagement, anchor.anchor_id)
        if milestone.status is not MilestoneStatus.OFFEN:
            raise EngagementError(
                _(
                    "Der Meilenstein „%(title)s“ ist %(status)s und wird nicht verschoben.",
                    title=milestone.title,
                    status=milestone.status.label,
                )
            )


def _milestone(engagement: Engagement, milestone_id: int | None) -> Milestone:
    for phase in engagement.phases:
        for milestone in phase.milestones:
            if milestone.id == milestone_id:
                return milestone
    raise LookupError(milestone_id)


def _collect(
    session: Session, engagement: Engagement, after: date
) -> tuple[list[PhaseSpan], list[Dated], dict[tuple[str, int], Callable[[date], None]]]:
    """The engagement's phases and dated items as plain values, and how to move each item."""
    phases: list[PhaseSpan] = []
    items: list[Dated] = []
    movers: dict[tuple[str, int], Callable[[date], None]] = {}
    label = _("Meilenstein")
    for phase in engagement.phases:
        phases.append(PhaseSpan(phase.id, phase.name, phase.start_date, phase.end_date))
        for milestone in phase.milestones:
            items.append(
                Dated(
                    MILESTONE,
                    milestone.id,
                    label,
                    milestone.title,
                    milestone.due_date,
                    is_open=milestone.status is MilestoneStatus.OFFEN,
                    phase_id=phase.id,
                )
            )
            movers[(MILESTONE, milestone.id)] = partial(setattr, milestone, "due_date")
    for _receiver, result in shift_candidates.send(engagement, session=session, after=after):
        for item in result or ():
            key = (item.kind, item.item_id)
            if key in movers:
                continue  # milestones are ours; a receiver offering them again adds nothing
            items.append(Dated(item.kind, item.item_id, item.label, item.title, item.due))
            movers[key] = item.move
    return phases, items, movers


def _plan(
    session: Session,
    engagement: Engagement,
    *,
    anchor: Anchor,
    days: int,
    shift_later: bool,
    window: ProgrammeWindow,
) -> tuple[ShiftPlan, dict[tuple[str, int], Callable[[date], None]]]:
    check_anchor(engagement, anchor)
    if days == 0:
        raise EngagementError(
            _("Das neue Datum ist das bisherige. Es gibt nichts zu verschieben."), field=DATE_FIELD
        )
    phases, items, movers = _collect(session, engagement, anchor.current)
    plan = plan_shift(
        start=engagement.start_date,
        planned_end=engagement.planned_end_date,
        programme_end=window.end,
        phases=phases,
        items=items,
        request=ShiftRequest(anchor.kind, days, shift_later, anchor.anchor_id),
    )
    if plan.new_start != plan.old_start:
        try:
            check_dates(plan.new_start, engagement.planned_end_date, window)
        except DateRuleError as error:
            raise EngagementError(str(error), field=DATE_FIELD) from None
        if plan.new_start >= engagement.baseline_end_date:
            raise EngagementError(
                _(
                    "Der Beginn muss vor dem ursprünglich geplanten Ende (%(day)s) liegen.",
                    day=format_day(engagement.baseline_end_date),
                ),
                field=DATE_FIELD,
            )
    if not plan.is_possible:
        raise EngagementError(
            _(
                "So lässt sich nicht verschieben: %(problems)s.",
                problems="; ".join(describe(problem) for problem in plan.problems),
            ),
            field=DATE_FIELD,
        )
    return plan, movers


def preview_reschedule(
    session: Session,
    engagement: Engagement,
    *,
    anchor: Anchor,
    days: int,
    shift_later: bool,
    actor: StaffMember,
    window: ProgrammeWindow,
) -> ShiftPlan:
    """What ``reschedule`` with the same arguments would do; nothing is changed.

    Raises what ``reschedule`` raises (but never ``StaleEngagement``).
    """
    require_editor(engagement, actor)
    plan, _movers = _plan(
        session, engagement, anchor=anchor, days=days, shift_later=shift_later, window=window
    )
    return plan


def reschedule(
    session: Session,
    engagement: Engagement,
    *,
    anchor: Anchor,
    days: int,
    shift_later: bool,
    actor: StaffMember,
    now: datetime,
    expected_version: int | None,
    window: ProgrammeWindow,
) -> ShiftPlan:
    """Move ``anchor`` by ``days`` (negative: earlier), with ``shift_later`` every later open
    milestone and follow-up too (see ``shifting.plan_shift`` for what moves).

    Before: ``actor`` may edit; the form was shown on the current version; the engagement is
    open; the anchor can be moved (``check_anchor``: the start only while ``geplant``, not the
    last phase's end, only an open milestone); ``days`` is not 0; a new start keeps the date
    rules (``rules.check_dates``); nothing passes the engagement's start, its planned end or
    the programme end, phases keep at least one day and milestones stay inside their phases.
    After: the dates of the plan on the rows (start, phase spans, milestones' due dates,
    follow-ups through their ``ShiftItem.move``); baselines unchanged; the engagement's
    version bumped; one ``engagement.rescheduled`` audit event listing every moved item
    (kind, id, old, new) and phase; flushed. Raises ``EngagementNotPermitted``,
    ``StaleEngagement`` or ``EngagementError`` (``field="new_date"`` for the date; the
    message names each item that would pass a limit), changing nothing.
    """
    require_editor(engagement, actor)
    check_version(engagement, expected_version)
    plan, movers = _plan(
        session, engagement, anchor=anchor, days=days, shift_later=shift_later, window=window
    )
    for move in plan.moves:
        movers[(move.kind, move.item_id)](move.new)
    phases = {phase.id: phase for phase in engagement.phases}
    for phase_move in plan.phases:
        phase = phases[phase_move.phase_id]
        phase.start_date = phase_move.new_start
        phase.end_date = phase_move.new_end
    changes: dict[str, object] = {
        "anchor": anchor.kind.value,
        "anchor_id": anchor.anchor_id,
        "days": days,
        "shift_later": shift_later,
        "moved": [
            {
                "kind": move.kind,
                "id": move.item_id,
                "old": move.old.isoformat(),
                "new": move.new.isoformat(),
            }
            for move in plan.moves
        ],
        "phases": [
            {
                "id": move.phase_id,
                "start": [move.old_start.isoformat(), move.new_start.isoformat()],
                "end": [move.old_end.isoformat(), move.new_end.isoformat()],
            }
            for move in plan.phases
        ],
    }
    if plan.new_start != plan.old_start:
        changes["start_date"] = [plan.old_start, plan.new_start]
        engagement.start_date = plan.new_start
    else:
        # The engagement's own row changes too, so its version counts up.
        flag_modified(engagement, "status")
    record(
        session,
        actor=actor,
        action="engagement.rescheduled",
        object_type="engagement",
        object_id=engagement.id,
        changes=changes,
        at=now,
    )
    session.flush()
    return plan


def extend(
    session: Session,
    engagement: Engagement,
    *,
    new_end: date,
    reason: str | None,
    actor: StaffMember,
    now: datetime,
    expected_version: int | None,
    window: ProgrammeWindow,
) -> None:
    """Extend ``engagement`` to end on ``new_end``.

    Before: ``actor`` may edit; the form was shown on the current version; the engagement is
    open; ``new_end`` is later than the planned end and keeps the date rules (at most 18
    months from the start, by the programme end: ``rules.check_extension``); a ``reason``.
    After: ``planned_end_date = new_end``, ``extension_reason`` the cleaned reason,
    ``baseline_end_date`` kept; the last phase ends on ``new_end``; milestones keep their
    dates; one ``engagement.extended`` audit event (the reason redacted); flushed. Raises
    ``EngagementNotPermitted``, ``StaleEngagement`` or ``EngagementError`` (``field`` is
    ``new_end`` or ``reason``), changing nothing.
    """
    require_editor(engagement, actor)
    check_version(engagement, expected_version)
    require_open(engagement)
    try:
        check_extension(engagement.start_date, engagement.planned_end_date, new_end, window)
    except DateRuleError as error:
        raise EngagementError(str(error), field="new_end") from None
    cleaned = clean_text(
        reason,
        field="reason",
        required_message=_("Bitte begründen Sie die Verlängerung."),
        max_length=REASON_MAX_LENGTH,
    )
    old_end = engagement.planned_end_date
    changes: dict[str, object] = {
        "planned_end_date": [old_end, new_end],
        "extension_reason": [redacted(engagement.extension_reason), redacted(cleaned)],
    }
    engagement.planned_end_date = new_end
    engagement.extension_reason = cleaned
    if engagement.phases:
        last = max(engagement.phases, key=lambda phase: phase.position)
        changes["phase"] = {
            "id": last.id,
            "end": [last.end_date.isoformat(), new_end.isoformat()],
        }
        last.end_date = new_end
    record(
        session,
        actor=actor,
        action="engagement.extended",
        object_type="engagement",
        object_id=engagement.id,
        changes=changes,
        at=now,
    )
    session.flush()
