"""How far a demo engagement has got: milestones settled, activities and barriers added."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from caseflow.demo.context import Demo, Entry, at, parse_day
from caseflow.engagements.models import (
    Activity,
    ActivityKind,
    Barrier,
    BarrierCategory,
    BarrierStatus,
    Engagement,
    EngagementStatus,
    Milestone,
    MilestoneStatus,
)
from caseflow.staff.models import StaffMember

# Days a milestone was completed after (negative: before) its due date.
COMPLETION_OFFSETS = (-4, -2, -1, 0, 0, 0, 1, 2, 3, 6)
GATE_COMPLETION_OFFSETS = (0, 0, -1, -2)
CO_COMPLETES_SHARE = 0.25
CO_JOINS_ACTIVITY_SHARE = 0.5

# How far barriers have got, by the share of the engagement that has passed.
BARRIER_STATUS_BY_PROGRESS = (
    (0.5, ("abgebaut", "abgebaut", "in_bearbeitung", "erkannt")),
    (0.2, ("in_bearbeitung", "in_bearbeitung", "erkannt", "abgebaut")),
    (0.0, ("erkannt", "erkannt", "in_bearbeitung")),
)
BARRIER_STATUS_WHEN_FINISHED = ("abgebaut", "abgebaut", "abgebaut", "in_bearbeitung")
BARRIER_RESOLUTION_DAYS = (30, 180)


def record_progress(demo: Demo, engagement: Engagement, spec: Entry, horizon: date) -> None:
    """Phases started, milestones settled, activities and barriers added up to ``horizon``."""
    for phase in engagement.phases:
        if phase.start_date <= horizon:
            phase.started_on = phase.start_date
        for milestone in phase.milestones:
            _settle_milestone(demo, engagement, milestone, spec, horizon)
    _add_activities(demo, engagement, spec, horizon)
    _add_barriers(demo, engagement, horizon)


def _settle_milestone(
    demo: Demo, engagement: Engagement, milestone: Milestone, spec: Entry, horizon: date
) -> None:
    """Done if due by the horizon (all of them in a completed engagement), unless the spec
    keeps it open (overdue) or dropped."""
    dropped = spec.get("dropped", {})
    is_completed = engagement.status is EngagementStatus.ABGESCHLOSSEN
    if milestone.title in dropped:
        _drop(milestone, dropped[milestone.title])
    elif milestone.due_date > horizon and not is_completed:
        if "dropped_after_end" in spec:
            _drop(milestone, spec["dropped_after_end"])
    elif milestone.title not in spec.get("open", ()):
        _complete(demo, engagement, milestone, horizon)


def _drop(milestone: Milestone, reason: str) -> None:
    milestone.status = MilestoneStatus.ENTFALLEN
    milestone.drop_reason = reason


def _complete(demo: Demo, engagement: Engagement, milestone: Milestone, horizon: date) -> None:
    # A gate is done by its due date: the next phase starts the day after.
    offsets = GATE_COMPLETION_OFFSETS if milestone.is_gate else COMPLETION_OFFSETS
    completed_on = milestone.due_date + timedelta(days=demo.rng.choice(offsets))
    milestone.status = MilestoneStatus.ERLEDIGT
    milestone.completed_on = min(max(completed_on, engagement.start_date), horizon)
    milestone.completed_by = _completer(demo, engagement)
    texts = demo.texts["milestones"].get(milestone.title)
    milestone.evidence_note = demo.rng.choice(texts["evidence"]) if texts else None


def _completer(demo: Demo, engagement: Engagement) -> StaffMember:
    team = engagement.team
    if len(team) > 1 and demo.rng.random() < CO_COMPLETES_SHARE:
        return demo.rng.choice(team[1:])
    return team[0]


# --- activities -------------------------------------------------------------------------


def _add_activities(demo: Demo, engagement: Engagement, spec: Entry, horizon: date) -> None:
    """An activity for each completed milestone that has one, fillers and scripted extras."""
    for milestone in _completed_milestones(engagement):
        template = demo.texts["milestones"].get(milestone.title, {}).get("activity")
        if template:
            note = demo.rng.choice(template["notes"])
            _add_activity(demo, engagement, milestone.completed_on, template, note)
    for day, filler in _fillers(demo, engagement, horizon):
        _add_activity(demo, engagement, day, filler, filler["note"])
    for extra in spec.get("activities", ()):
        _add_activity(demo, engagement, parse_day(extra["on"]), extra, extra["note"])


def _completed_milestones(engagement: Engagement) -> list[Milestone]:
    return [
        milestone
        for phase in engagement.phases
        for milestone in phase.milestones
        if milestone.status is MilestoneStatus.ERLEDIGT
    ]


def _fillers(demo: Demo, engagement: Engagement, horizon: date) -> list[tuple[date, Entry]]:
    """A few calls, notes and meetings between the milestones, two plus one per four months,
    each on a day in or after the phase it belongs to."""
    phase_starts = [phase.start_date for phase in engagement.phases]
    fitting = [f for f in demo.texts["filler_activities"] if phase_starts[f["phase"] - 1] < horizon]
    count = min(2 + (horizon - engagement.start_date).days // 120, 5, len(fitting))
    chosen = []
    for filler in demo.rng.sample(fitting, count):
        earliest = phase_starts[filler["phase"] - 1]
        chosen.append(
            (earliest + timedelta(days=demo.rng.randint(1, (horizon - earliest).days)), filler)
        )
    return sorted(chosen, key=lambda pair: pair[0])


def _add_activity(
    demo: Demo, engagement: Engagement, day: date, template: Entry, note: str
) -> None:
    team = engagement.team
    staff = [team[0]]
    if len(team) > 1 and demo.rng.random() < CO_JOINS_ACTIVITY_SHARE:
        staff.append(team[1])
    engagement.activities.append(
        Activity(
            occurred_on=day,
            kind=ActivityKind(template["kind"]),
            duration_minutes=template.get("minutes"),
            participants_count=_participants(demo, template.get("participants")),
            note=note,
            author=team[0],
            staff=staff,
            created_at=at(day, 17),
        )
    )


def _participants(demo: Demo, participants: int | Sequence[int] | None) -> int | None:
    if participants is None or isinstance(participants, int):
        return participants
    low, high = participants
    return demo.rng.randint(low, high)


# --- barriers ---------------------------------------------------------------------------


def _add_barriers(demo: Demo, engagement: Engagement, horizon: date) -> None:
    """Two to five barriers in different categories, as far along as the engagement is."""
    span = (horizon - engagement.start_date).days
    if span < 14:
        return
    count = 2 if span < 60 else demo.rng.randint(2, 5)
    for category in demo.rng.sample(list(BarrierCategory), count):
        text = demo.rng.choice(demo.texts["barriers"][category.value])
        identified_on = _identified_on(demo, engagement, horizon)
        engagement.barriers.append(
            _barrier(demo, engagement, category, text, identified_on, horizon)
        )


def _identified_on(demo: Demo, engagement: Engagement, horizon: date) -> date:
    """A day in the analysis phase (phase 2) up to the horizon, else since the start."""
    analysis = engagement.phases[1]
    first = analysis.start_date if analysis.start_date <= horizon else engagement.start_date
    last = min(analysis.end_date, horizon)
    return first + timedelta(days=demo.rng.randint(0, (last - first).days))


def _barrier(
    demo: Demo,
    engagement: Engagement,
    category: BarrierCategory,
    text: Entry,
    identified_on: date,
    horizon: date,
) -> Barrier:
    status = BarrierStatus(demo.rng.choice(_barrier_statuses(engagement, horizon)))
    resolved_on = None
    if status is BarrierStatus.ABGEBAUT:
        resolved_on = identified_on + timedelta(days=demo.rng.randint(*BARRIER_RESOLUTION_DAYS))
        if resolved_on > horizon:
            status, resolved_on = BarrierStatus.IN_BEARBEITUNG, None
    return Barrier(
        category=category,
        description=text["description"],
        status=status,
        measure_taken=_measure_taken(demo, status, text),
        identified_on=identified_on,
        resolved_on=resolved_on,
        created_at=at(identified_on, 15),
    )


def _measure_taken(demo: Demo, status: BarrierStatus, text: Entry) -> str | None:
    if status is BarrierStatus.ABGEBAUT:
        return text["measure"]
    if status is BarrierStatus.IN_BEARBEITUNG:
        return demo.rng.choice(demo.texts["barrier_progress"]["in_bearbeitung"])
    return None


def _barrier_statuses(engagement: Engagement, horizon: date) -> Sequence[str]:
    if engagement.status is EngagementStatus.ABGESCHLOSSEN:
        return BARRIER_STATUS_WHEN_FINISHED
    progress = (horizon - engagement.start_date) / (
        engagement.planned_end_date - engagement.start_date
    )
    return next(choices for floor, choices in BARRIER_STATUS_BY_PROGRESS if progress >= floor)
