"""Rescheduling and extending an engagement (DESIGN.md §3: "rescheduling is first-class").

``reschedule`` moves the start, a phase's end or one milestone (optionally with every later
open milestone and follow-up) as worked out by ``shifting.plan_shift``; ``preview_reschedule``
shows the same plan without saving it, and ``reschedule`` saves only the plan the preview
showed (its ``digest``). ``extend`` moves the planned end later and adds its reason to the
earlier ones. Follow-ups (a feature above this one) take part through the
``shift_candidates`` signal.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from functools import partial

from sqlalchemy.orm import Session

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
    allowed_end_range,
    check_dates,
    check_extension,
)
from caseflow.engagements.services.common import (
    REASON_MAX_LENGTH,
    EngagementError,
    check_version,
    clean_text,
    require_editor,
    touch,
)
from caseflow.engagements.shifting import (
    MILESTONE,
    AnchorKind,
    Dated,
    PhaseSpan,
    Problem,
    ProblemKind,
    ShiftPlan,
    ShiftRequest,
    describe_all,
    plan_shift,
    shift_candidates,
)
from caseflow.staff.models import StaffMember
from caseflow.translating import gettext as _
from caseflow.web.i18n import format_day

# The form field a refusal of a shift belongs to (the new date of the anchor).
DATE_FIELD = "new_date"


class ShiftRefused(EngagementError):
    """A shift would break a limit (``problems`` says which; the message names them).
    ``suggests_extension``: an item would pass the planned end, and the engagement can still
    be extended, so the page offers the extension."""

    def __init__(
        self, message: str, *, problems: tuple[Problem, ...], suggests_extension: bool
    ) -> None:
        super().__init__(message, field=DATE_FIELD)
        self.problems = problems
        self.suggests_extension = suggests_extension


class PlanChanged(EngagementError):
    """Saving a shift whose plan is not the one the preview showed (something moved in
    between, the form was changed after the preview, or there was no preview): ``plan`` is
    the current plan, to be shown as the new preview."""

    def __init__(self, message: str, *, plan: ShiftPlan) -> None:
        super().__init__(message)
        self.plan = plan


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
    today: date,
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
        today=today,
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
        _refuse(engagement, plan, shift_later=shift_later, window=window)
    return plan, movers


def _refuse(
    engagement: Engagement, plan: ShiftPlan, *, shift_later: bool, window: ProgrammeWindow
) -> None:
    """Raise ``ShiftRefused`` naming the problems of ``plan``; when something would pass the
    planned end, say how to get there (extend first, or move without the later dates)."""
    message = _(
        "So lässt sich nicht verschieben: %(problems)s.",
        problems=describe_all(plan.problems),
    )
    passes_end = any(problem.kind is ProblemKind.AFTER_PLANNED_END for problem in plan.problems)
    _earliest, latest_end = allowed_end_range(engagement.start_date, window)
    can_extend = passes_end and latest_end > engagement.planned_end_date
    if can_extend and shift_later:
        message += " " + _(
            "Verlängern Sie zuerst die Prozessbegleitung oder verschieben Sie ohne die "
            "späteren Termine."
        )
    elif can_extend:
        message += " " + _("Verlängern Sie zuerst die Prozessbegleitung.")
    elif passes_end and shift_later:
        message += " " + _("Verschieben Sie ohne die späteren Termine.")
    raise ShiftRefused(message, problems=plan.problems, suggests_extension=can_extend)


def preview_reschedule(
    session: Session,
    engagement: Engagement,
    *,
    anchor: Anchor,
    days: int,
    shift_later: bool,
    actor: StaffMember,
    today: date,
    window: ProgrammeWindow,
) -> ShiftPlan:
    """What ``reschedule`` with the same arguments would do; nothing is changed. The page
    shows the plan and carries its ``digest`` to the save.

    Raises what ``reschedule`` raises (but never ``StaleEngagement`` or ``PlanChanged``).
    """
    require_editor(engagement, actor)
    plan, _movers = _plan(
        session,
        engagement,
        anchor=anchor,
        days=days,
        shift_later=shift_later,
        today=today,
        window=window,
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
    today: date,
    expected_version: int | None,
    expected_digest: str,
    window: ProgrammeWindow,
) -> ShiftPlan:
    """Move ``anchor`` by ``days`` (negative: earlier), with ``shift_later`` every later open
    milestone and follow-up too (see ``shifting.plan_shift`` for what moves).

    Before: ``actor`` may edit; the form was shown on the current version; the engagement is
    open; the anchor can be moved (``check_anchor``: the start only while ``geplant``, not the
    last phase's end, only an open milestone); ``days`` is not 0; a new start keeps the date
    rules (``rules.check_dates``); nothing passes the engagement's start, its planned end or
    the programme end, no open item moves to a day before ``today``, phases keep at least one
    day and milestones stay inside their phases; the plan is the one the preview showed
    (``expected_digest`` is its ``ShiftPlan.digest``: follow-ups do not bump the version, so
    one added or moved since the preview changes the plan but not the version).
    After: the dates of the plan on the rows (start, phase spans, milestones' due dates,
    follow-ups through their ``ShiftItem.move``); baselines unchanged; the engagement's
    version bumped; one ``engagement.rescheduled`` audit event listing every moved item
    (kind, id, old, new) and phase; flushed. Raises ``EngagementNotPermitted``,
    ``StaleEngagement``, ``ShiftRefused`` (the message names the items that would pass a
    limit), ``PlanChanged`` (with the current plan) or ``EngagementError``
    (``field="new_date"`` for the date), changing nothing.
    """
    require_editor(engagement, actor)
    check_version(engagement, expected_version)
    plan, movers = _plan(
        session,
        engagement,
        anchor=anchor,
        days=days,
        shift_later=shift_later,
        today=today,
        window=window,
    )
    if not expected_digest:
        raise PlanChanged(
            _("Bitte prüfen Sie die Vorschau und speichern Sie dann."),
            plan=plan,
        )
    if expected_digest != plan.digest:
        raise PlanChanged(
            _(
                "Seit der Vorschau hat sich etwas geändert. Bitte prüfen Sie die neue Vorschau "
                "und speichern Sie dann."
            ),
            plan=plan,
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
        touch(engagement)
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
    today: date,
    expected_version: int | None,
    window: ProgrammeWindow,
) -> None:
    """Extend ``engagement`` to end on ``new_end``.

    Before: ``actor`` may edit; the form was shown on the current version; the engagement is
    open; ``new_end`` is later than the planned end and keeps the date rules (at most 18
    months from the start, by the programme end: ``rules.check_extension``); a ``reason`` of
    at most ``REASON_MAX_LENGTH`` characters.
    After: ``planned_end_date = new_end``; ``extension_reason`` keeps the reasons of earlier
    extensions and gains the line ``extension_line(today, new_end, reason)``;
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
    line = extension_line(today, new_end, cleaned or "")
    reasons = "\n".join(filter(None, [engagement.extension_reason, line]))
    changes: dict[str, object] = {
        "planned_end_date": [old_end, new_end],
        "extension_reason": [redacted(engagement.extension_reason), redacted(reasons)],
    }
    engagement.planned_end_date = new_end
    engagement.extension_reason = reasons
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


def extension_line(day: date, new_end: date, reason: str) -> str:
    """One extension as kept in ``Engagement.extension_reason``, a line per extension:
    "dd.mm.yyyy: bis dd.mm.yyyy – <reason>" (the day of the change, the new planned end;
    the reason on one line). Stored data, so German whatever the language of the page."""
    return f"{day:%d.%m.%Y}: bis {new_end:%d.%m.%Y} – {' '.join(reason.split())}"
