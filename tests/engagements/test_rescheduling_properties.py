"""Property-based tests (hypothesis) of rescheduling (issue 4, point 5).

For any start in the programme window, any length of 6–18 months, any plan from the shipped
template with some milestones done or dropped and some follow-ups, and any shift of the start,
a phase's end or a milestone (with or without the later items), on any day: a done or dropped
milestone never moves; the shift is either refused or every new date lies within the limits
and nothing open is moved to a day before today; phases stay contiguous, keep at least one day
and cover start … planned end; milestones stay inside their phases; the plan's digest changes
with what it moves. ``plan_shift`` is tested on its own, and a smaller run goes through the
service on the database (baselines unchanged, nothing saved when refused).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from caseflow.engagements.models import MilestoneStatus
from caseflow.engagements.planning import plan, shipped_template
from caseflow.engagements.rules import (
    MAX_MONTHS,
    MIN_MONTHS,
    ProgrammeWindow,
    end_after_months,
    latest_start,
)
from caseflow.engagements.services.common import EngagementError
from caseflow.engagements.services.rescheduling import (
    find_anchor,
    preview_reschedule,
    reschedule,
)
from caseflow.engagements.shifting import (
    MILESTONE,
    AnchorKind,
    Dated,
    PhaseSpan,
    ProblemKind,
    ShiftPlan,
    ShiftRequest,
    plan_shift,
)
from caseflow.staff.models import Role
from tests import factories

_NAME, DEFAULT = shipped_template()
WINDOW = ProgrammeWindow(date(2024, 4, 1), date(2026, 7, 31))
NOW = datetime(2025, 3, 10, 9, 0, tzinfo=UTC)

# No example database in the repository, no deadline (first calls pay for imports).
PROPERTY = settings(max_examples=200, deadline=None, database=None)

shifts = st.one_of(
    st.integers(-60, 60).filter(bool),
    st.integers(-400, 400).filter(bool),
    st.integers(-(10**6), 10**6).filter(bool),
)


@st.composite
def engagements(draw: st.DrawFn) -> tuple[ProgrammeWindow, date, date]:
    """(window, start, planned end), the engagement inside the window."""
    months = draw(st.integers(MIN_MONTHS, MAX_MONTHS))
    start = draw(st.dates(min_value=WINDOW.start, max_value=latest_start(months, WINDOW)))
    # Sometimes a programme end that was moved earlier than the planned end.
    window = WINDOW
    if draw(st.integers(0, 9)) == 0:
        end = end_after_months(start, months)
        window = ProgrammeWindow(WINDOW.start, end - timedelta(days=draw(st.integers(0, 60))))
    return window, start, end_after_months(start, months)


@st.composite
def cases(draw: st.DrawFn):
    window, start, end = draw(engagements())
    phases: list[PhaseSpan] = []
    items: list[Dated] = []
    # Mostly the earlier milestones are done (or dropped); now and then a later one too.
    done_until = draw(st.integers(0, 12))
    count = 0
    for planned in plan(DEFAULT, start, end):
        phase_id = planned.position * 100
        phases.append(PhaseSpan(phase_id, planned.name, planned.start_date, planned.end_date))
        for milestone in planned.milestones:
            items.append(
                Dated(
                    MILESTONE,
                    phase_id + milestone.sort_order,
                    "Meilenstein",
                    milestone.title,
                    milestone.due_date,
                    is_open=not (
                        (count < done_until and draw(st.booleans()))
                        or draw(st.integers(0, 19)) == 0
                    ),
                    phase_id=phase_id,
                )
            )
            count += 1
    total = (end - start).days
    for number in range(draw(st.integers(0, 4))):
        due = start + timedelta(days=draw(st.integers(-30, total + 200)))
        items.append(Dated("follow_up", number + 1, "Wiedervorlage", f"Check-in {number}", due))
    kind = draw(st.sampled_from(list(AnchorKind)))
    anchor_id = None
    if kind is AnchorKind.PHASE:
        anchor_id = draw(st.sampled_from(phases[:-1])).phase_id
    elif kind is AnchorKind.MILESTONE:
        open_ones = [i for i in items if i.kind == MILESTONE and i.is_open]
        if not open_ones:
            kind = AnchorKind.START
        else:
            anchor_id = draw(st.sampled_from(open_ones)).item_id
    if kind is AnchorKind.START:
        # The start moves only before the engagement begins: nothing is done yet.
        items = [replace(item, is_open=True) for item in items]
    request = ShiftRequest(kind, draw(shifts), draw(st.booleans()), anchor_id)
    # Today: before the engagement (as when its start moves) or anywhere in it.
    today = start + timedelta(days=draw(st.integers(-60, total)))
    return window, start, end, phases, items, request, today


def _new_dates(items: list[Dated], result: ShiftPlan) -> dict[tuple[str, int], date]:
    moved = {(move.kind, move.item_id): move.new for move in result.moves}
    return {(i.kind, i.item_id): moved.get((i.kind, i.item_id), i.due) for i in items}


def _spans(phases: list[PhaseSpan], result: ShiftPlan) -> list[tuple[int, date, date]]:
    changed = {move.phase_id: move for move in result.phases}
    spans = []
    for phase in phases:
        move = changed.get(phase.phase_id)
        if move is None:
            spans.append((phase.phase_id, phase.start, phase.end))
        else:
            assert (move.old_start, move.old_end) == (phase.start, phase.end)
            spans.append((phase.phase_id, move.new_start, move.new_end))
    return spans


@PROPERTY
@given(cases())
def test_a_shift_is_refused_or_keeps_every_limit(case) -> None:
    window, start, end, phases, items, request, today = case
    result = plan_shift(
        start=start,
        planned_end=end,
        programme_end=window.end,
        today=today,
        phases=phases,
        items=items,
        request=request,
    )
    by_key = {(item.kind, item.item_id): item for item in items}

    # Done and dropped milestones never move; nothing moves by anything but ``days``.
    for move in result.moves:
        item = by_key[(move.kind, move.item_id)]
        assert item.is_open
        assert move.old == item.due
        assert (move.new - move.old).days == request.days or move.new in (date.min, date.max)
    # Only the start anchor moves the start, by ``days``.
    if request.kind is AnchorKind.START:
        assert result.new_start != start
    else:
        assert result.new_start == start
    latest = min(end, window.end)
    for problem in result.problems:
        if problem.kind in (ProblemKind.AFTER_PLANNED_END, ProblemKind.AFTER_PROGRAMME_END):
            assert problem.limit == latest
            assert any(m.title == problem.title and m.new > latest for m in result.moves)
        if problem.kind is ProblemKind.BEFORE_TODAY:
            assert any(m.title == problem.title and m.new == problem.on for m in result.moves)
            assert problem.on is not None and problem.on < today
        # A phase without a day is named as such, not through its milestones.
        assert problem.kind is not ProblemKind.OUTSIDE_PHASE or (
            problem.phase_start is not None
            and problem.phase_end is not None
            and problem.phase_start <= problem.phase_end
        )

    if not result.is_possible:
        return
    new_dates = _new_dates(items, result)
    for move in result.moves:
        assert result.new_start <= move.new <= latest
        assert move.new >= today  # nothing open lands in the past
    spans = _spans(phases, result)
    # Contiguous, at least a day each, covering the (new) start … the unchanged planned end.
    assert spans[0][1] == result.new_start
    assert spans[-1][2] == end
    for (_, first_start, first_end), (_, second_start, _) in zip(spans, spans[1:], strict=False):
        assert first_start <= first_end
        assert second_start == first_end + timedelta(days=1)
    assert spans[-1][1] <= spans[-1][2]
    # Every milestone inside its phase.
    span_of = {phase_id: (span_start, span_end) for phase_id, span_start, span_end in spans}
    for item in items:
        if item.phase_id is not None:
            span_start, span_end = span_of[item.phase_id]
            assert span_start <= new_dates[(item.kind, item.item_id)] <= span_end
    # The anchor itself moved.
    if request.kind is AnchorKind.MILESTONE:
        assert new_dates[(MILESTONE, request.anchor_id)] == by_key[
            (MILESTONE, request.anchor_id)
        ].due + timedelta(days=request.days)
    if request.kind is AnchorKind.PHASE:
        assert span_of[request.anchor_id][1] == next(
            p.end for p in phases if p.phase_id == request.anchor_id
        ) + timedelta(days=request.days)


@PROPERTY
@given(engagements(), st.integers(-3, -1), st.data())
def test_a_small_shift_earlier_of_all_later_items_is_possible(
    case: tuple[ProgrammeWindow, date, date], days: int, data: st.DataObject
) -> None:
    """Not everything is refused: with every milestone open, moving the start or a milestone
    that is not at its phase's start a few days earlier, with everything after it, fits."""
    _window, start, end = case
    phases: list[PhaseSpan] = []
    items: list[Dated] = []
    for planned in plan(DEFAULT, start, end):
        phase_id = planned.position * 100
        phases.append(PhaseSpan(phase_id, planned.name, planned.start_date, planned.end_date))
        for milestone in planned.milestones:
            items.append(
                Dated(
                    MILESTONE,
                    phase_id + milestone.sort_order,
                    "Meilenstein",
                    milestone.title,
                    milestone.due_date,
                    phase_id=phase_id,
                )
            )
    phase_start = {phase.phase_id: phase.start for phase in phases}
    movable = [i for i in items if i.due >= phase_start[i.phase_id] + timedelta(days=3)]
    today = start - timedelta(days=3)
    anchor = data.draw(st.sampled_from([None, *movable]))
    if anchor is None:
        request = ShiftRequest(AnchorKind.START, days, True)
    else:
        request = ShiftRequest(AnchorKind.MILESTONE, days, True, anchor.item_id)
    result = plan_shift(
        start=start,
        planned_end=end,
        programme_end=WINDOW.end,
        today=today,
        phases=phases,
        items=items,
        request=request,
    )
    assert result.is_possible, result.problems
    assert result.moves


def _changes(result: ShiftPlan) -> tuple[object, ...]:
    return (
        result.new_start,
        tuple((move.kind, move.item_id, move.old, move.new) for move in result.moves),
        result.phases,
    )


@PROPERTY
@given(cases(), st.integers(-30, 600))
def test_the_digest_changes_exactly_when_the_plan_does(case, offset: int) -> None:
    """The preview's digest: the same for the same plan, different as soon as one more item
    (a follow-up added after the preview) moves with it."""
    window, start, end, phases, items, request, today = case
    arguments = {
        "start": start,
        "planned_end": end,
        "programme_end": window.end,
        "today": today,
        "phases": phases,
        "request": request,
    }
    added = Dated("follow_up", 999, "Wiedervorlage", "Neu", start + timedelta(days=offset))
    first = plan_shift(items=items, **arguments)
    again = plan_shift(items=list(reversed(items)), **arguments)
    second = plan_shift(items=[*items, added], **arguments)
    assert first.digest == again.digest
    assert (first.digest == second.digest) is (_changes(first) == _changes(second))
    if any((move.kind, move.item_id) == ("follow_up", 999) for move in second.moves):
        assert first.digest != second.digest


# --- through the service, on the database ---------------------------------------------------


@st.composite
def service_cases(draw: st.DrawFn):
    months = draw(st.integers(MIN_MONTHS, MAX_MONTHS))
    start = draw(st.dates(min_value=WINDOW.start, max_value=latest_start(months, WINDOW)))
    done = draw(st.sets(st.integers(0, 11), max_size=4))
    kind = draw(st.sampled_from(list(AnchorKind)))
    pick = draw(st.integers(0, 11))
    days = draw(st.integers(-120, 120).filter(bool))
    today = start + timedelta(days=draw(st.integers(-30, 200)))
    shift_later = draw(st.booleans())
    return start, end_after_months(start, months), done, kind, pick, days, shift_later, today


@settings(
    max_examples=40,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(service_cases())
def test_the_service_saves_a_consistent_plan_or_nothing(session: Session, case) -> None:
    start, end, done, kind, pick, days, shift_later, today = case
    savepoint = session.begin_nested()
    try:
        lead = factories.make_staff_member(session, role=Role.LEAD)
        engagement = factories.make_engagement(session, lead=lead, start=start, end=end)
        milestones = factories.milestones_of(engagement)
        for index in done:
            factories.complete_milestone(session, milestones[index], on=start)
        open_ones = [m for m in milestones if m.status is MilestoneStatus.OFFEN]
        if kind is AnchorKind.PHASE:
            anchor = find_anchor(engagement, kind, engagement.phases[pick % 4].id)
        elif kind is AnchorKind.MILESTONE and open_ones:
            anchor = find_anchor(engagement, kind, open_ones[pick % len(open_ones)].id)
        else:
            anchor = find_anchor(engagement, AnchorKind.START)
        assert anchor is not None
        before = {m.id: (m.due_date, m.baseline_due_date, m.status) for m in milestones}
        spans = [(p.start_date, p.end_date) for p in engagement.phases]
        version = engagement.version
        arguments = {
            "anchor": anchor,
            "days": days,
            "shift_later": shift_later,
            "actor": lead,
            "today": today,
            "window": WINDOW,
        }
        try:
            digest = preview_reschedule(session, engagement, **arguments).digest
        except EngagementError:
            digest = ""
        try:
            reschedule(
                session,
                engagement,
                now=NOW,
                expected_version=version,
                expected_digest=digest,
                **arguments,
            )
        except EngagementError:
            assert digest == "", "the preview showed a plan that could not be saved"
            session.expire_all()
            assert {m.id: (m.due_date, m.baseline_due_date, m.status) for m in milestones} == (
                before
            )
            assert [(p.start_date, p.end_date) for p in engagement.phases] == spans
            assert engagement.start_date == start
            return
        assert digest, "saved without a preview"
        session.expire_all()
        assert engagement.version == version + 1
        assert engagement.planned_end_date == engagement.baseline_end_date == end
        phases = engagement.phases
        assert phases[0].start_date == engagement.start_date
        assert phases[-1].end_date == end
        for first, second in zip(phases, phases[1:], strict=False):
            assert first.start_date <= first.end_date
            assert second.start_date == first.end_date + timedelta(days=1)
        for phase in phases:
            for milestone in phase.milestones:
                old_due, baseline, status = before[milestone.id]
                assert milestone.baseline_due_date == baseline
                assert phase.start_date <= milestone.due_date <= phase.end_date
                if status is not MilestoneStatus.OFFEN:
                    assert milestone.due_date == old_due
                elif milestone.due_date != old_due:
                    assert milestone.due_date >= today  # nothing open moved into the past
    finally:
        savepoint.rollback()
