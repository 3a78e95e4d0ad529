"""Phases and milestones generated from the default template, for every start and length."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from caseflow.engagements.models import MilestonePosition
from caseflow.engagements.planning import (
    MilestoneSpec,
    PhaseSpec,
    TemplateError,
    plan,
    shipped_template,
)
from caseflow.engagements.rules import end_after_months

_NAME, DEFAULT = shipped_template()
STARTS = [date(2024, 4, 1) + timedelta(days=day) for day in range(0, 700, 37)]


def test_the_shipped_template_is_the_designed_one() -> None:
    assert [(p.name, p.share_percent) for p in DEFAULT] == [
        ("Auftragsklärung", 10),
        ("Bestandsaufnahme & Analyse", 25),
        ("Zielentwicklung & Maßnahmenplanung", 15),
        ("Umsetzung & Begleitung", 35),
        ("Evaluation & Verstetigung", 15),
    ]
    gates = [m.title for p in DEFAULT for m in p.milestones if m.is_gate]
    assert gates == ["Kooperationsvereinbarung unterzeichnet"]
    assert sum(len(p.milestones) for p in DEFAULT) == 12


@pytest.mark.parametrize("months", range(6, 19))
@pytest.mark.parametrize("start", STARTS, ids=str)
def test_phases_are_contiguous_and_hold_their_milestones(start: date, months: int) -> None:
    end = end_after_months(start, months)
    phases = plan(DEFAULT, start, end)
    assert phases[0].start_date == start
    assert phases[-1].end_date == end
    for before, after in zip(phases, phases[1:], strict=False):
        assert after.start_date == before.end_date + timedelta(days=1)
    total_days = (end - start).days + 1
    for phase, spec in zip(phases, DEFAULT, strict=True):
        assert phase.start_date <= phase.end_date
        days = (phase.end_date - phase.start_date).days + 1
        assert abs(days - total_days * spec.share_percent / 100) <= 1
        assert len(phase.milestones) == len(spec.milestones)
        for milestone in phase.milestones:
            assert phase.start_date <= milestone.due_date <= phase.end_date


def test_milestone_positions_fall_on_start_middle_and_end() -> None:
    phases = plan(DEFAULT, date(2025, 1, 1), date(2025, 12, 31))
    first, second = phases[0], phases[1]
    assert (first.start_date, first.end_date) == (date(2025, 1, 1), date(2025, 2, 5))
    assert [m.due_date for m in first.milestones] == [
        date(2025, 1, 1),  # Erstgespräch (start)
        date(2025, 2, 5),  # Kooperationsvereinbarung (end, gate)
        date(2025, 2, 5),  # Steuerungsgruppe benannt (end)
    ]
    assert first.milestones[1].is_gate
    middle = second.start_date + timedelta(days=(second.end_date - second.start_date).days // 2)
    assert second.milestones[0].due_date == middle


def test_tiny_shares_still_get_a_day_each() -> None:
    specs = [
        PhaseSpec("A", 1, (MilestoneSpec("a", MilestonePosition.END),)),
        PhaseSpec("B", 1),
        PhaseSpec("C", 98),
    ]
    phases = plan(specs, date(2025, 1, 1), date(2025, 1, 5))
    assert [(p.start_date.day, p.end_date.day) for p in phases] == [(1, 1), (2, 2), (3, 5)]


@pytest.mark.parametrize(
    ("specs", "message"),
    [
        ([], "keine Phasen"),
        ([PhaseSpec("A", 50), PhaseSpec("B", 40)], "100 Prozent"),
    ],
)
def test_broken_templates_are_refused(app, specs, message) -> None:
    with app.test_request_context(), pytest.raises(TemplateError, match=message):
        plan(specs, date(2025, 1, 1), date(2025, 12, 31))
