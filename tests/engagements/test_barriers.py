"""The barrier register: the services' rules, the status transitions, the audit trail,
that changing a barrier checks and bumps the engagement's version, and the counts of the
register."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from caseflow.audit.models import AuditEvent
from caseflow.engagements.models import (
    Barrier,
    BarrierCategory,
    BarrierStatus,
    EngagementStatus,
)
from caseflow.engagements.services.barriers import (
    BarrierInput,
    add_barrier,
    allowed_barrier_statuses,
    barrier_register,
    find_barrier,
    update_barrier,
)
from caseflow.engagements.services.common import (
    EngagementError,
    EngagementNotPermitted,
    StaleEngagement,
)
from caseflow.staff.models import Role
from tests import factories

NOW = datetime(2025, 3, 10, 9, 0, tzinfo=UTC)
TODAY = date(2025, 3, 10)
B = BarrierStatus


def _events(session, engagement, action: str) -> list[AuditEvent]:
    return list(
        session.scalars(
            select(AuditEvent)
            .where(
                AuditEvent.object_type == "engagement",
                AuditEvent.object_id == engagement.id,
                AuditEvent.action == action,
            )
            .order_by(AuditEvent.id)
        )
    )


def _count(session, model) -> int:
    return len(list(session.scalars(select(model))))


@pytest.fixture
def lead(session):
    return factories.make_staff_member(session, name="Kim Berater")


@pytest.fixture
def engagement(session, lead):
    return factories.make_engagement(session, lead=lead, status=EngagementStatus.AKTIV)


def _add(session, engagement, actor, **values):
    data = {"category": BarrierCategory.DIGITALE_ZUGAENGE, "description": "Nur Online-Termine"}
    data.update(values)
    return add_barrier(session, engagement, BarrierInput(**data), actor=actor, now=NOW, today=TODAY)


def _update(session, barrier, actor, **values):
    data = {
        "category": barrier.category,
        "description": barrier.description,
        "status": barrier.status,
        "identified_on": barrier.identified_on,
        "resolved_on": barrier.resolved_on,
        "measure_taken": barrier.measure_taken,
    }
    data.update(values)
    update_barrier(session, barrier, BarrierInput(**data), actor=actor, now=NOW, today=TODAY)


def test_adding_a_barrier_defaults_to_today_and_is_audited(session, engagement, lead):
    version = engagement.version
    barrier = _add(session, engagement, lead, description="  Formulare nur auf Deutsch ")
    assert barrier.description == "Formulare nur auf Deutsch"
    assert (barrier.status, barrier.identified_on, barrier.resolved_on) == (B.ERKANNT, TODAY, None)
    session.flush()
    assert engagement.version == version  # a new barrier makes nobody's open form stale
    (event,) = _events(session, engagement, "barrier.created")
    assert event.changes["barrier"] == barrier.id
    assert event.changes["category"] == "digitale_zugaenge"
    assert event.changes["description"] == "[Freitext]"
    assert "Formulare" not in str(event.changes)


@pytest.mark.parametrize("description", [None, "", "   "])
def test_a_barrier_needs_a_description(session, engagement, lead, description):
    with pytest.raises(EngagementError, match="Bitte beschreiben Sie") as refused:
        _add(session, engagement, lead, description=description)
    assert refused.value.field == "description"
    assert _count(session, Barrier) == 0


def test_texts_are_limited_and_days_not_in_the_future(session, engagement, lead):
    with pytest.raises(EngagementError, match="5.000") as refused:
        _add(session, engagement, lead, description="x" * 5001)
    assert refused.value.field == "description"
    with pytest.raises(EngagementError) as refused:
        _add(session, engagement, lead, identified_on=date(2025, 3, 11))
    assert refused.value.field == "identified_on"
    assert _count(session, Barrier) == 0


# Written from the issue, independently of BARRIER_TRANSITIONS.
EXPECTED_BARRIER_MOVES = {
    ("erkannt", "in_bearbeitung"),
    ("in_bearbeitung", "abgebaut"),
    ("in_bearbeitung", "erkannt"),
    ("abgebaut", "in_bearbeitung"),
}


@pytest.mark.parametrize("current", list(B))
@pytest.mark.parametrize("target", list(B))
def test_barrier_status_follows_the_table(session, engagement, lead, current, target):
    barrier = factories.make_barrier(
        session,
        engagement,
        status=current,
        measure_taken="Übersetzt",
        identified_on=date(2025, 1, 2),  # resolved (if so) 60 days later: before TODAY
    )
    allowed = current is target or (current.value, target.value) in EXPECTED_BARRIER_MOVES
    assert (target in allowed_barrier_statuses(current)) == allowed
    if allowed:
        _update(session, barrier, lead, status=target, measure_taken="Übersetzt")
        assert barrier.status is target
        assert (barrier.resolved_on is not None) == (target is B.ABGEBAUT)
    else:
        with pytest.raises(EngagementError, match="kann nicht auf") as refused:
            _update(session, barrier, lead, status=target)
        assert refused.value.field == "status"
        assert barrier.status is current
        assert _events(session, engagement, "barrier.updated") == []


def test_removing_needs_a_measure_and_sets_the_day(session, engagement, lead):
    barrier = factories.make_barrier(session, engagement, status=B.IN_BEARBEITUNG)
    with pytest.raises(EngagementError, match="Welche Maßnahme hat die Barriere abgebaut?") as r:
        _update(session, barrier, lead, status=B.ABGEBAUT, measure_taken="  ")
    assert r.value.field == "measure_taken"
    assert (barrier.status, barrier.resolved_on) == (B.IN_BEARBEITUNG, None)

    _update(session, barrier, lead, status=B.ABGEBAUT, measure_taken="Mehrsprachige Bescheide")
    assert (barrier.status, barrier.resolved_on) == (B.ABGEBAUT, TODAY)
    (event,) = _events(session, engagement, "barrier.updated")
    assert event.changes["status"] == ["in_bearbeitung", "abgebaut"]
    assert event.changes["resolved_on"] == [None, "2025-03-10"]
    assert event.changes["measure_taken"] == [None, "[Freitext]"]


def test_the_resolution_day_is_checked(session, engagement, lead):
    barrier = factories.make_barrier(
        session, engagement, status=B.IN_BEARBEITUNG, identified_on=date(2025, 2, 1)
    )
    for day in (date(2025, 3, 11), date(2025, 1, 31)):
        with pytest.raises(EngagementError) as refused:
            _update(session, barrier, lead, status=B.ABGEBAUT, measure_taken="M", resolved_on=day)
        assert refused.value.field == "resolved_on"
    _update(
        session, barrier, lead, status=B.ABGEBAUT, measure_taken="M", resolved_on=date(2025, 2, 1)
    )
    assert barrier.resolved_on == date(2025, 2, 1)


def test_reopening_clears_the_day_and_keeps_the_measure(session, engagement, lead):
    barrier = factories.make_barrier(session, engagement, status=B.ABGEBAUT, measure_taken="M")
    _update(session, barrier, lead, status=B.IN_BEARBEITUNG, resolved_on=None)
    assert (barrier.status, barrier.resolved_on, barrier.measure_taken) == (
        B.IN_BEARBEITUNG,
        None,
        "M",
    )
    session.flush()  # the CHECK constraint holds


def test_barriers_are_for_the_team_and_open_engagements(session, lead):
    other = factories.make_staff_member(session, role=Role.CONSULTANT)
    engagement = factories.make_engagement(session, lead=lead)
    with pytest.raises(EngagementNotPermitted):
        _add(session, engagement, other)
    closed = factories.make_engagement(session, lead=lead, status=EngagementStatus.ABGESCHLOSSEN)
    barrier = factories.make_barrier(session, closed)
    with pytest.raises(EngagementError, match="beendet"):
        _add(session, closed, lead)
    with pytest.raises(EngagementError, match="beendet"):
        _update(session, barrier, lead, status=B.IN_BEARBEITUNG)
    assert barrier.status is B.ERKANNT
    assert _count(session, Barrier) == 1


def test_changing_a_barrier_bumps_the_version(session, engagement, lead):
    barrier = factories.make_barrier(session, engagement)
    version = engagement.version
    _update(session, barrier, lead, status=B.IN_BEARBEITUNG)
    assert engagement.version == version + 1


def test_a_blank_identification_day_keeps_the_stored_one_on_edit(session, engagement, lead):
    barrier = factories.make_barrier(
        session, engagement, status=B.ABGEBAUT, identified_on=date(2025, 1, 2), measure_taken="M"
    )
    resolved_on = barrier.resolved_on
    _update(session, barrier, lead, identified_on=None, resolved_on=None, description="neu")
    assert (barrier.identified_on, barrier.resolved_on) == (date(2025, 1, 2), resolved_on)
    (event,) = _events(session, engagement, "barrier.updated")
    assert set(event.changes) == {"barrier", "description"}


def test_a_barrier_change_on_a_stale_form_is_refused(session, engagement, lead):
    barrier = factories.make_barrier(session, engagement)
    shown = engagement.version
    _update(session, factories.make_barrier(session, engagement), lead, description="anders")
    with pytest.raises(StaleEngagement):
        update_barrier(
            session,
            barrier,
            BarrierInput(category=barrier.category, description="neu", status=B.IN_BEARBEITUNG),
            actor=lead,
            now=NOW,
            today=TODAY,
            expected_version=shown,
        )
    assert barrier.status is B.ERKANNT


def test_the_register_counts_every_category_and_status(session, engagement):
    factories.make_barrier(session, engagement, category=BarrierCategory.SPRACHE_INFORMATION)
    factories.make_barrier(
        session, engagement, category=BarrierCategory.SPRACHE_INFORMATION, status=B.ABGEBAUT
    )
    factories.make_barrier(
        session, engagement, category=BarrierCategory.DATEN_MONITORING, status=B.IN_BEARBEITUNG
    )
    register = barrier_register(engagement.barriers)
    assert [row.category for row in register] == list(BarrierCategory)
    by_category = {row.category: row for row in register}
    language = by_category[BarrierCategory.SPRACHE_INFORMATION]
    assert language.by_status == {B.ERKANNT: 1, B.IN_BEARBEITUNG: 0, B.ABGEBAUT: 1}
    assert language.total == 2
    assert by_category[BarrierCategory.DATEN_MONITORING].by_status[B.IN_BEARBEITUNG] == 1
    assert by_category[BarrierCategory.DIGITALE_ZUGAENGE].total == 0


def test_a_barrier_is_found_only_on_its_engagement(session, engagement, lead):
    other = factories.make_engagement(session, lead=lead)
    barrier = factories.make_barrier(session, other)
    assert find_barrier(session, engagement, barrier.id) is None
    assert find_barrier(session, other, barrier.id) is barrier
