"""Property-based tests (hypothesis) of the plan generator and the date rules (issue 4, point 5).

For any start in the programme window (the default one and generated ones) and any length of
6–18 months that still ends by the programme end, the plan from the shipped template covers
exactly start … planned end with contiguous phases that hold their milestones. ``check_dates``
accepts exactly the range it documents and ``latest_start`` is the last start that still fits.

Shortest engagements: ``plan`` gives every phase at least one day as long as there are at least
as many days as phases (else ``TemplateError``). With the shipped template the shortest
engagement (6 months, at least 181 days) gives its smallest phase (10 %) 18 days, so no phase is
ever squeezed; generated templates with tiny shares and short ranges test the one-day floor.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from flask import Flask
from hypothesis import given, settings
from hypothesis import strategies as st

from caseflow.engagements.models import MilestonePosition
from caseflow.engagements.planning import (
    MilestoneSpec,
    PhaseSpec,
    PlannedPhase,
    TemplateError,
    plan,
    shipped_template,
)
from caseflow.engagements.rules import (
    MAX_MONTHS,
    MIN_MONTHS,
    DateRuleError,
    ProgrammeWindow,
    check_dates,
    end_after_months,
    latest_start,
)

_NAME, DEFAULT = shipped_template()
DEFAULT_WINDOW = ProgrammeWindow(date(2024, 4, 1), date(2026, 7, 31))
ONE_DAY = timedelta(days=1)

# No example database in the repository, no deadline (first calls pay for imports).
PROPERTY = settings(max_examples=200, deadline=None, database=None)

months_strategy = st.integers(min_value=MIN_MONTHS, max_value=MAX_MONTHS)


@st.composite
def windows(draw: st.DrawFn) -> ProgrammeWindow:
    """The default window or a generated one long enough for at least one 6-month engagement."""
    if draw(st.booleans()):
        return DEFAULT_WINDOW
    start = draw(st.dates(min_value=date(2020, 1, 1), max_value=date(2032, 12, 31)))
    # A 6-month engagement spans at most 184 days (start + 183 days).
    return ProgrammeWindow(start, start + timedelta(days=draw(st.integers(183, 6 * 366))))


@st.composite
def engagements(draw: st.DrawFn) -> tuple[ProgrammeWindow, date, int, date]:
    """(window, start, months, planned end) with the engagement inside the window."""
    window = draw(windows())
    fitting = [
        m for m in range(MIN_MONTHS, MAX_MONTHS + 1) if latest_start(m, window) >= window.start
    ]
    months = draw(st.sampled_from(fitting))
    start = draw(st.dates(min_value=window.start, max_value=latest_start(months, window)))
    return window, start, months, end_after_months(start, months)


def _days(phase: PlannedPhase) -> int:
    return (phase.end_date - phase.start_date).days + 1


def _assert_covers(phases: list[PlannedPhase], start: date, end: date) -> None:
    assert phases[0].start_date == start
    assert phases[-1].end_date == end
    for before, after in zip(phases, phases[1:], strict=False):
        assert after.start_date == before.end_date + ONE_DAY
    for phase in phases:
        assert phase.start_date <= phase.end_date  # at least one day


def _assert_milestone_positions(phases: list[PlannedPhase], specs: list[PhaseSpec]) -> None:
    for phase, spec in zip(phases, specs, strict=True):
        assert [(m.title, m.is_gate, m.sort_order) for m in phase.milestones] == [
            (m.title, m.is_gate, order) for order, m in enumerate(spec.milestones)
        ]
        for planned, template in zip(phase.milestones, spec.milestones, strict=True):
            assert phase.start_date <= planned.due_date <= phase.end_date
            if template.position is MilestonePosition.START:
                assert planned.due_date == phase.start_date
            elif template.position is MilestonePosition.END:
                assert planned.due_date == phase.end_date
            else:
                # The middle day: as many days before it as after it (one fewer when even).
                before = (planned.due_date - phase.start_date).days
                after = (phase.end_date - planned.due_date).days
                assert after - before in (0, 1)


@PROPERTY
@given(engagements())
def test_plan_from_shipped_template_covers_the_engagement(
    case: tuple[ProgrammeWindow, date, int, date],
) -> None:
    window, start, months, end = case
    assert window.start <= start and end <= window.end

    phases = plan(DEFAULT, start, end)

    assert [(p.position, p.name) for p in phases] == [
        (index, spec.name) for index, spec in enumerate(DEFAULT, start=1)
    ]
    _assert_covers(phases, start, end)
    _assert_milestone_positions(phases, DEFAULT)
    every_date = [d for p in phases for d in (p.start_date, p.end_date)] + [
        m.due_date for p in phases for m in p.milestones
    ]
    assert start <= min(every_date) and max(every_date) <= end
    # Scaled to the length: each phase's days are within one day of its share.
    total_days = (end - start).days + 1
    for phase, spec in zip(phases, DEFAULT, strict=True):
        assert abs(_days(phase) - total_days * spec.share_percent / 100) < 1
    # The shipped gate closes the first phase on its last day.
    gates = [(p.position, m.title, m.due_date) for p in phases for m in p.milestones if m.is_gate]
    assert gates == [(1, "Kooperationsvereinbarung unterzeichnet", phases[0].end_date)]


@st.composite
def templates(draw: st.DrawFn) -> list[PhaseSpec]:
    """1–8 phases with shares of at least 1 % adding up to 100 and random milestones."""
    count = draw(st.integers(1, 8))
    cuts = sorted(draw(st.sets(st.integers(1, 99), min_size=count - 1, max_size=count - 1)))
    bounds = [0, *cuts, 100]
    milestone = st.builds(
        MilestoneSpec,
        title=st.text(min_size=1, max_size=5),
        position=st.sampled_from(list(MilestonePosition)),
        is_gate=st.booleans(),
    )
    return [
        PhaseSpec(f"P{index}", high - low, tuple(draw(st.lists(milestone, max_size=4))))
        for index, (low, high) in enumerate(zip(bounds, bounds[1:], strict=False))
    ]


@PROPERTY
@given(
    templates(),
    st.dates(min_value=date(2024, 1, 1), max_value=date(2027, 12, 31)),
    st.integers(0, 60),
)
def test_any_template_gives_every_phase_a_day_or_refuses(
    specs: list[PhaseSpec], start: date, extra_days: int
) -> None:
    end = start + timedelta(days=extra_days)
    total_days = extra_days + 1
    if total_days < len(specs):
        with pytest.raises(TemplateError):
            plan(specs, start, end)
        return
    phases = plan(specs, start, end)
    assert [p.name for p in phases] == [s.name for s in specs]
    _assert_covers(phases, start, end)
    _assert_milestone_positions(phases, specs)


@st.composite
def start_and_end(draw: st.DrawFn) -> tuple[ProgrammeWindow, date, date]:
    """A window and any start/end around it, often right at the edges of the allowed range."""
    window = draw(windows())
    start = draw(
        st.one_of(
            st.dates(
                min_value=window.start - timedelta(days=60),
                max_value=window.end + timedelta(days=60),
            ),
            st.sampled_from([window.start - ONE_DAY, window.start, window.start + ONE_DAY]),
            months_strategy.map(lambda m: latest_start(m, window)),
        )
    )
    anchor = draw(
        st.sampled_from(
            [
                start,
                end_after_months(start, MIN_MONTHS),
                end_after_months(start, MAX_MONTHS),
                window.end,
            ]
        )
    )
    end = draw(
        st.one_of(
            st.integers(-2, 2).map(lambda offset: anchor + timedelta(days=offset)),
            st.integers(-30, 700).map(lambda offset: start + timedelta(days=offset)),
        )
    )
    return window, start, end


# ``check_dates`` needs a request context for its German messages (``app`` is session-scoped).
@PROPERTY
@given(start_and_end())
def test_check_dates_accepts_exactly_the_documented_range(
    app: Flask, case: tuple[ProgrammeWindow, date, date]
) -> None:
    window, start, end = case
    earliest = end_after_months(start, MIN_MONTHS)
    latest = min(end_after_months(start, MAX_MONTHS), window.end)
    allowed = start >= window.start and earliest <= end <= latest
    with app.test_request_context():
        if allowed:
            check_dates(start, end, window)
        else:
            with pytest.raises(DateRuleError) as error:
                check_dates(start, end, window)
            assert str(error.value)


@PROPERTY
@given(windows(), months_strategy, st.integers(1, 400))
def test_latest_start_is_the_last_start_that_ends_in_time(
    window: ProgrammeWindow, months: int, distance: int
) -> None:
    last = latest_start(months, window)
    assert end_after_months(last, months) <= window.end
    assert end_after_months(last + ONE_DAY, months) > window.end
    # Not just the neighbours: any later start ends too late, any earlier one in time.
    assert end_after_months(last + timedelta(days=distance), months) > window.end
    assert end_after_months(last - timedelta(days=distance), months) <= window.end


@PROPERTY
@given(engagements())
def test_every_start_up_to_latest_start_is_accepted_for_its_length(
    app: Flask, case: tuple[ProgrammeWindow, date, int, date]
) -> None:
    window, start, _months, end = case
    with app.test_request_context():
        check_dates(start, end, window)
