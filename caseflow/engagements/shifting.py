"""Rescheduling: shifting an engagement's later open dates by N days (DESIGN.md §3).

The contract between the rescheduling service and the features whose rows move with it:

- ``ShiftItem`` is one dated thing that a shift may move (an open milestone of this feature,
  an open follow-up of ``caseflow.followups``): what it is, its title for the preview, its
  current date, and ``move`` to set a new date on its row (the caller flushes).
- ``shift_candidates`` is a blinker signal sent by the rescheduling service with the engagement
  as sender and ``session`` and ``after`` (a date) as keyword arguments; every receiver returns
  a list of ``ShiftItem`` of its open rows of that engagement dated on or after ``after``.
  Features above engagements (follow-ups) connect to it, so engagements never imports them.

The shift itself is ``plan_shift``, a pure function of plain values (``PhaseSpan``, ``Dated``,
``ShiftRequest``): the service builds them from the rows, shows the ``ShiftPlan`` as the
preview, and writes it back only when it has no ``problems`` and is still the plan that was
shown (``ShiftPlan.digest``).
"""

from __future__ import annotations

import enum
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from blinker import Namespace

from caseflow.translating import gettext as _
from caseflow.translating import ngettext
from caseflow.web.i18n import format_day

_signals = Namespace()
shift_candidates = _signals.signal("shift-candidates")

MILESTONE = "milestone"
# A refusal names this many problems and counts the rest ("… und 7 weitere").
PROBLEMS_NAMED = 5


@dataclass(frozen=True)
class ShiftItem:
    """One dated row a shift may move.

    ``kind`` is a stable key (``"milestone"``, ``"follow_up"``) used in the audit trail;
    ``label`` the German kind shown in the preview ("Meilenstein", "Wiedervorlage");
    ``move(new_date)`` sets the row's date (a follow-up keeps its time of day).
    """

    kind: str
    item_id: int
    label: str
    title: str
    due: date
    move: Callable[[date], None]


class AnchorKind(enum.StrEnum):
    """What the user moves: the engagement's start, the end of a phase, or one milestone."""

    START = "start"
    PHASE = "phase"
    MILESTONE = "milestone"


class ProblemKind(enum.StrEnum):
    AFTER_PLANNED_END = "after_planned_end"
    AFTER_PROGRAMME_END = "after_programme_end"
    BEFORE_START = "before_start"
    BEFORE_TODAY = "before_today"
    OUTSIDE_PHASE = "outside_phase"
    PHASE_EMPTY = "phase_empty"


@dataclass(frozen=True)
class PhaseSpan:
    """One phase of the engagement."""

    phase_id: int
    name: str
    start: date
    end: date


@dataclass(frozen=True)
class Dated:
    """One dated row: a milestone (open or not, with its phase) or an open follow-up.

    Only open rows move; closed milestones are passed so that they stay inside their phases.
    """

    kind: str
    item_id: int
    label: str
    title: str
    due: date
    is_open: bool = True
    phase_id: int | None = None


@dataclass(frozen=True)
class ShiftRequest:
    """Move the anchor by ``days`` (negative: earlier); with ``shift_later`` every later
    open item and phase boundary moves with it. ``anchor_id``: the phase or milestone."""

    kind: AnchorKind
    days: int
    shift_later: bool
    anchor_id: int | None = None


@dataclass(frozen=True)
class Move:
    kind: str
    item_id: int
    label: str
    title: str
    old: date
    new: date


@dataclass(frozen=True)
class PhaseMove:
    phase_id: int
    name: str
    old_start: date
    old_end: date
    new_start: date
    new_end: date


@dataclass(frozen=True)
class Problem:
    """Why a shift is refused: ``title`` (a milestone, a follow-up, a phase) would pass the
    day ``limit`` (for ``BEFORE_TODAY``: land on the past day ``on``), or leave its phase
    ``phase`` (``phase_start``…``phase_end``)."""

    kind: ProblemKind
    title: str
    label: str = ""
    limit: date | None = None
    on: date | None = None
    phase: str = ""
    phase_start: date | None = None
    phase_end: date | None = None


@dataclass(frozen=True)
class ShiftPlan:
    """A shift worked out: the start before and after, every item whose date changes, every
    phase whose span changes, and the problems (none: the shift may be saved)."""

    days: int
    old_start: date
    new_start: date
    moves: tuple[Move, ...]
    phases: tuple[PhaseMove, ...]
    problems: tuple[Problem, ...]

    @property
    def is_possible(self) -> bool:
        return not self.problems

    @property
    def digest(self) -> str:
        """A fingerprint of what the plan changes (the start, every item's and phase's old
        and new dates, by id): the preview carries it, so saving can tell whether the plan
        is still the one that was shown. Not a secret: it only detects change."""
        lines = [f"days {self.days}", f"start {self.old_start} {self.new_start}"]
        lines += [f"{move.kind} {move.item_id} {move.old} {move.new}" for move in self.moves]
        lines += [
            f"phase {move.phase_id} {move.old_start} {move.old_end} {move.new_start} {move.new_end}"
            for move in self.phases
        ]
        return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def plus_days(day: date, days: int) -> date:
    """``day`` + ``days``, clipped to the calendar (a huge shift must not crash)."""
    try:
        return day + timedelta(days=days)
    except OverflowError:
        return date.max if days > 0 else date.min


def anchor_day(
    request: ShiftRequest, *, start: date, phases: Sequence[PhaseSpan], items: Sequence[Dated]
) -> date:
    """The current date of the anchor of ``request``. Raises ``ValueError`` for an anchor
    that is not among ``phases`` / the milestones of ``items``."""
    if request.kind is AnchorKind.START:
        return start
    if request.kind is AnchorKind.PHASE:
        for phase in phases:
            if phase.phase_id == request.anchor_id:
                return phase.end
        raise ValueError(f"no phase {request.anchor_id}")
    for item in items:
        if item.kind == MILESTONE and item.item_id == request.anchor_id:
            return item.due
    raise ValueError(f"no milestone {request.anchor_id}")


def plan_shift(
    *,
    start: date,
    planned_end: date,
    programme_end: date,
    today: date,
    phases: Sequence[PhaseSpan],
    items: Sequence[Dated],
    request: ShiftRequest,
) -> ShiftPlan:
    """What ``request`` does to an engagement running ``start``…``planned_end`` whose
    ``phases`` lie end to end over that range.

    - START: the engagement and its first phase start ``days`` later (earlier); the planned
      end stays. PHASE: the phase's end and the next phase's start move; the last phase ends
      on the planned end and is not moved here (``ValueError``: extend instead). Open items
      dated on the start or on the phase's end move with it.
    - MILESTONE: that open milestone moves (``ValueError`` for a closed one); if it leaves its
      phase, the phase's boundary moves to it.
    - ``shift_later``: every open item dated on or after the anchor's date moves by ``days``
      (items dated after the planned end – sustainability checks – keep theirs), and so does
      every phase end on or after it except the last one, the planned end.
    - Done and dropped milestones never move; baselines are not part of this.
    - Problems, each item named once: a moved or open item before the (new) start or after the
      planned end or programme end; a moved item on a day before ``today`` (nothing open is
      moved into the past; items already overdue that do not move stay as they are); a phase
      left without a day; a milestone that was inside its phase and would not be any more
      (not reported for a phase left without a day: that phase is the problem).
    - The start itself may move to a day before ``today`` (a planned engagement recorded as
      having begun earlier); only the date rules of the service limit it. The open items that
      move with it may not: an open Erstgespräch on the start keeps a back-dated start out.
    """
    ordered = sorted(phases, key=lambda phase: phase.start)
    days = request.days
    anchor_on = anchor_day(request, start=start, phases=ordered, items=items)
    new_start = plus_days(start, days) if request.kind is AnchorKind.START else start
    last = len(ordered) - 1
    ends = [phase.end for phase in ordered]
    index_of = {phase.phase_id: index for index, phase in enumerate(ordered)}

    anchor_index = None
    if request.kind is AnchorKind.PHASE:
        anchor_index = index_of[request.anchor_id]  # type: ignore[index]
        if anchor_index == last:
            raise ValueError("the last phase ends on the planned end")
        ends[anchor_index] = plus_days(ends[anchor_index], days)
    if request.shift_later:
        for index in range(last):
            if index != anchor_index and ends[index] >= anchor_on:
                ends[index] = plus_days(ends[index], days)

    new_dates: dict[tuple[str, int], date] = {}
    anchor_item: Dated | None = None
    for item in items:
        key = (item.kind, item.item_id)
        if request.kind is AnchorKind.MILESTONE and key == (MILESTONE, request.anchor_id):
            if not item.is_open:
                raise ValueError("only open milestones move")
            anchor_item = item
            new_dates[key] = plus_days(item.due, days)
        elif not item.is_open or item.due > planned_end:
            continue
        elif (request.shift_later and item.due >= anchor_on) or (
            request.kind is not AnchorKind.MILESTONE and item.due == anchor_on
        ):
            new_dates[key] = plus_days(item.due, days)

    if anchor_item is not None and anchor_item.phase_id in index_of:
        # A milestone moved out of its phase takes the phase's boundary with it.
        index = index_of[anchor_item.phase_id]
        moved_to = new_dates[(MILESTONE, anchor_item.item_id)]
        if index < last and moved_to > ends[index]:
            ends[index] = moved_to
        if index > 0 and moved_to < _start_of(index, new_start, ends):
            ends[index - 1] = plus_days(moved_to, -1)

    spans = [(_start_of(index, new_start, ends), ends[index]) for index in range(len(ordered))]
    problems = [
        Problem(ProblemKind.PHASE_EMPTY, phase.name)
        for phase, (span_start, span_end) in zip(ordered, spans, strict=True)
        if span_end < span_start
    ]
    problems += _item_problems(
        items,
        new_dates,
        start=start,
        new_start=new_start,
        planned_end=planned_end,
        programme_end=programme_end,
        today=today,
        phases=ordered,
        spans=spans,
    )
    moves = sorted(
        (
            Move(item.kind, item.item_id, item.label, item.title, item.due, new)
            for item in items
            if (new := new_dates.get((item.kind, item.item_id), item.due)) != item.due
        ),
        key=lambda move: (move.old, move.kind, move.title, move.item_id),
    )
    phase_moves = tuple(
        PhaseMove(phase.phase_id, phase.name, phase.start, phase.end, span_start, span_end)
        for phase, (span_start, span_end) in zip(ordered, spans, strict=True)
        if (span_start, span_end) != (phase.start, phase.end)
    )
    return ShiftPlan(days, start, new_start, tuple(moves), phase_moves, tuple(problems))


def _start_of(index: int, new_start: date, ends: list[date]) -> date:
    return new_start if index == 0 else plus_days(ends[index - 1], 1)


def _item_problems(
    items: Sequence[Dated],
    new_dates: dict[tuple[str, int], date],
    *,
    start: date,
    new_start: date,
    planned_end: date,
    programme_end: date,
    today: date,
    phases: list[PhaseSpan],
    spans: list[tuple[date, date]],
) -> list[Problem]:
    if planned_end <= programme_end:
        latest, latest_kind = planned_end, ProblemKind.AFTER_PLANNED_END
    else:
        latest, latest_kind = programme_end, ProblemKind.AFTER_PROGRAMME_END
    index_of = {phase.phase_id: index for index, phase in enumerate(phases)}
    problems = []
    for item in items:
        key = (item.kind, item.item_id)
        is_moved = key in new_dates
        new = new_dates.get(key, item.due)
        if is_moved and new > latest:
            problems.append(Problem(latest_kind, item.title, item.label, latest))
            continue
        # An open item that was inside the engagement must stay inside its (new) start.
        if (is_moved or item.is_open) and start <= item.due and new < new_start:
            problems.append(Problem(ProblemKind.BEFORE_START, item.title, item.label, new_start))
            continue
        if is_moved and new < today:
            problems.append(
                Problem(ProblemKind.BEFORE_TODAY, item.title, item.label, limit=today, on=new)
            )
            continue
        if item.phase_id in index_of:
            index = index_of[item.phase_id]
            phase = phases[index]
            span_start, span_end = spans[index]
            if span_end < span_start:
                continue  # the phase has no day left: reported as such, not per milestone
            if phase.start <= item.due <= phase.end and not span_start <= new <= span_end:
                problems.append(
                    Problem(
                        ProblemKind.OUTSIDE_PHASE,
                        item.title,
                        item.label,
                        phase=phase.name,
                        phase_start=span_start,
                        phase_end=span_end,
                    )
                )
    return problems


def describe(problem: Problem) -> str:
    """The German words for ``problem``, naming the item and the limit it would pass."""
    if problem.kind is ProblemKind.PHASE_EMPTY:
        return _("Die Phase „%(phase)s“ hätte keinen Tag mehr", phase=problem.title)
    if problem.kind is ProblemKind.OUTSIDE_PHASE:
        return _(
            "„%(title)s“ (%(label)s) läge außerhalb seiner Phase „%(phase)s“ (%(start)s–%(end)s)",
            title=problem.title,
            label=problem.label,
            phase=problem.phase,
            start=_day(problem.phase_start),
            end=_day(problem.phase_end),
        )
    if problem.kind is ProblemKind.BEFORE_START:
        return _(
            "„%(title)s“ (%(label)s) läge vor dem Beginn %(day)s",
            title=problem.title,
            label=problem.label,
            day=_day(problem.limit),
        )
    if problem.kind is ProblemKind.BEFORE_TODAY:
        return _(
            "„%(title)s“ (%(label)s) läge in der Vergangenheit (%(day)s)",
            title=problem.title,
            label=problem.label,
            day=_day(problem.on),
        )
    if problem.kind is ProblemKind.AFTER_PROGRAMME_END:
        return _(
            "„%(title)s“ (%(label)s) läge nach dem Ende des Förderzeitraums %(day)s",
            title=problem.title,
            label=problem.label,
            day=_day(problem.limit),
        )
    return _(
        "„%(title)s“ (%(label)s) läge nach dem geplanten Ende %(day)s",
        title=problem.title,
        label=problem.label,
        day=_day(problem.limit),
    )


def describe_all(problems: Sequence[Problem], *, limit: int = PROBLEMS_NAMED) -> str:
    """The German words for ``problems``, joined by "; ": the first ``limit`` named, the rest
    counted ("… und 7 weitere"), so a huge shift does not list every date of the plan."""
    named = problems if len(problems) <= limit + 1 else problems[:limit]
    text = "; ".join(describe(problem) for problem in named)
    rest = len(problems) - len(named)
    if rest:
        text += " " + ngettext("… und %(num)d weiterer", "… und %(num)d weitere", rest)
    return text


def _day(value: date | None) -> str:
    if value is None or value in (date.min, date.max):
        return "–"
    return format_day(value)
