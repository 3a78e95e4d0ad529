"""Plan an engagement's phases and milestones from a phase template, scaled to its length.

``plan`` is a pure function (tested with hypothesis later); ``default_template`` loads the
template that ships in ``caseflow/data/phase_template.json`` into the database once.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from importlib import resources

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from caseflow.engagements.models import (
    MilestonePosition,
    PhaseTemplate,
    TemplateMilestone,
    TemplatePhase,
)
from caseflow.translating import gettext as _


@dataclass(frozen=True)
class MilestoneSpec:
    title: str
    position: MilestonePosition
    is_gate: bool = False


@dataclass(frozen=True)
class PhaseSpec:
    name: str
    share_percent: int
    milestones: tuple[MilestoneSpec, ...] = ()


@dataclass
class PlannedMilestone:
    title: str
    due_date: date
    is_gate: bool
    sort_order: int


@dataclass
class PlannedPhase:
    position: int
    name: str
    start_date: date
    end_date: date
    milestones: list[PlannedMilestone] = field(default_factory=list)


class TemplateError(ValueError):
    """A phase template that cannot plan anything (German message)."""


def plan(phases: list[PhaseSpec], start: date, end: date) -> list[PlannedPhase]:
    """Lay the template's phases end to end over ``start``…``end`` (both inclusive).

    Each phase gets its share of the days (rounded down, the last phase ends exactly on
    ``end``, every phase has at least one day); milestones fall on the phase's first day
    (start), its middle day, or its last day (end).
    """
    if not phases:
        raise TemplateError(_("Die Vorlage hat keine Phasen."))
    if sum(phase.share_percent for phase in phases) != 100:
        raise TemplateError(_("Die Anteile der Phasen müssen zusammen 100 Prozent ergeben."))
    total_days = (end - start).days + 1
    if total_days < len(phases):
        raise TemplateError(_("Der Zeitraum ist kürzer als die Zahl der Phasen."))

    planned: list[PlannedPhase] = []
    cumulative = 0
    phase_start = start
    for index, spec in enumerate(phases):
        cumulative += spec.share_percent
        remaining_phases = len(phases) - index - 1
        if remaining_phases == 0:
            phase_end = end
        else:
            boundary = start + timedelta(days=total_days * cumulative // 100)
            # At least one day for this phase and for each phase still to come.
            boundary = max(boundary, phase_start + timedelta(days=1))
            boundary = min(boundary, end - timedelta(days=remaining_phases - 1))
            phase_end = boundary - timedelta(days=1)
        phase = PlannedPhase(index + 1, spec.name, phase_start, phase_end)
        middle = phase_start + timedelta(days=(phase_end - phase_start).days // 2)
        due_by_position = {
            MilestonePosition.START: phase_start,
            MilestonePosition.MIDDLE: middle,
            MilestonePosition.END: phase_end,
        }
        for order, milestone in enumerate(spec.milestones):
            phase.milestones.append(
                PlannedMilestone(
                    milestone.title, due_by_position[milestone.position], milestone.is_gate, order
                )
            )
        planned.append(phase)
        phase_start = phase_end + timedelta(days=1)
    return planned


def specs_of(template: PhaseTemplate) -> list[PhaseSpec]:
    """The template's phases as plain values."""
    return [
        PhaseSpec(
            name=phase.name,
            share_percent=phase.share_percent,
            milestones=tuple(
                MilestoneSpec(m.title, m.position, m.is_gate) for m in phase.milestones
            ),
        )
        for phase in template.phases
    ]


def shipped_template() -> tuple[str, list[PhaseSpec]]:
    """The default template shipped in ``caseflow/data/phase_template.json``."""
    raw = json.loads(
        resources.files("caseflow.data").joinpath("phase_template.json").read_text("utf-8")
    )
    phases = [
        PhaseSpec(
            name=phase["name"],
            share_percent=phase["share_percent"],
            milestones=tuple(
                MilestoneSpec(
                    m["title"], MilestonePosition(m["position"]), bool(m.get("is_gate", False))
                )
                for m in phase["milestones"]
            ),
        )
        for phase in raw["phases"]
    ]
    return raw["name"], phases


def default_template(session: Session, *, now: datetime) -> PhaseTemplate:
    """The default phase template, created from the shipped file when there is none yet."""
    template = session.scalar(
        select(PhaseTemplate)
        .where(PhaseTemplate.is_default.is_(True))
        .options(selectinload(PhaseTemplate.phases).selectinload(TemplatePhase.milestones))
    )
    if template is not None:
        return template
    name, phases = shipped_template()
    template = PhaseTemplate(name=name, is_default=True, created_at=now)
    for position, spec in enumerate(phases, start=1):
        template.phases.append(
            TemplatePhase(
                position=position,
                name=spec.name,
                share_percent=spec.share_percent,
                milestones=[
                    TemplateMilestone(
                        title=m.title, position=m.position, is_gate=m.is_gate, sort_order=order
                    )
                    for order, m in enumerate(spec.milestones)
                ],
            )
        )
    session.add(template)
    session.flush()
    return template
