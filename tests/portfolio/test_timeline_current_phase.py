"""The current phase, one rule (``engagements.queries.current_of``) in three places: over ORM
phases (``current_phase``), in SQL (``current_phase_name``, the engagement list) and over
the timeline's plain phases. They must agree."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from caseflow.engagements.models import Engagement, EngagementStatus
from caseflow.engagements.queries import current_phase, current_phase_name
from caseflow.portfolio.timeline import TimelineFilters, load_engagements
from caseflow.staff.models import Role
from tests import factories

# The default template's five phases of an engagement from 2025-01-01 to 2025-12-31.
START, END = date(2025, 1, 1), date(2025, 12, 31)


def _plan(session, lead, *, begun: tuple[int, ...] = (), overlap: bool = False) -> Engagement:
    engagement = factories.make_engagement(
        session, lead=lead, start=START, end=END, status=EngagementStatus.AKTIV
    )
    for phase in engagement.phases:
        if phase.position in begun:
            phase.started_on = phase.start_date
    if overlap:  # phase 3 planned back to the start of phase 2
        phases = engagement.phases
        phases[2].start_date = phases[1].start_date
    session.flush()
    return engagement


def _three_ways(session, engagement: Engagement, today: date) -> tuple[str | None, ...]:
    session.expire_all()
    loaded = session.get(Engagement, engagement.id)
    assert loaded is not None
    orm = current_phase(loaded, today)
    sql = session.scalar(select(current_phase_name(today)).where(Engagement.id == engagement.id))
    plain = next(
        row.current_phase
        for row in load_engagements(session, today=today, filters=TimelineFilters())
        if row.id == engagement.id
    )
    return (orm.name if orm is not None else None, sql, plain)


@pytest.mark.parametrize(
    ("begun", "overlap", "expected_position"),
    [
        ((), False, "by plan"),  # none begun: the phase planned around today
        ((1,), False, 1),  # phase 1 begun, today in phase 2's plan: still phase 1
        ((1, 3), False, 3),  # the last one begun wins, even past today's plan
        ((2, 1), False, 2),
        ((), True, "lowest"),  # two phases planned around today: the lower position
    ],
)
def test_the_orm_the_sql_and_the_timeline_agree(
    session, logged_in, begun, overlap, expected_position
):
    lead = logged_in(Role.LEAD, name="Lea Leitung")
    engagement = _plan(session, lead, begun=begun, overlap=overlap)
    phases = sorted(engagement.phases, key=lambda phase: phase.position)
    today = phases[1].start_date + (phases[1].end_date - phases[1].start_date) // 2
    if expected_position == "by plan":
        expected = next(p.name for p in phases if p.start_date <= today <= p.end_date)
    elif expected_position == "lowest":
        expected = phases[1].name
        assert phases[2].start_date <= today <= phases[2].end_date  # both contain today
    else:
        expected = next(p.name for p in phases if p.position == expected_position)
    assert _three_ways(session, engagement, today) == (expected, expected, expected)


def test_nothing_is_current_outside_every_plan_and_none_begun(session, logged_in):
    lead = logged_in(Role.LEAD, name="Lea Leitung")
    engagement = _plan(session, lead)
    assert _three_ways(session, engagement, date(2026, 3, 1)) == (None, None, None)


def test_a_closed_engagement_has_no_current_phase_in_python(session, logged_in):
    lead = logged_in(Role.LEAD, name="Lea Leitung")
    engagement = _plan(session, lead, begun=(1, 2))
    engagement.status = EngagementStatus.ABGESCHLOSSEN
    engagement.actual_end_date = END
    session.flush()
    orm, sql, plain = _three_ways(session, engagement, date(2025, 6, 1))
    # The SQL expression leaves the closed check to its caller (the list wraps it in a CASE).
    assert (orm, plain) == (None, None)
    assert sql == engagement.phases[1].name
