"""The engagement team service: choosing the lead and co-consultants, swaps, milestones of
people who leave, the capacity warning, and refusals that change nothing."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm.exc import StaleDataError

from caseflow.audit.models import AuditEvent
from caseflow.engagements.models import (
    Assignment,
    AssignmentRole,
    Engagement,
    EngagementStatus,
    MilestoneStatus,
)
from caseflow.engagements.services.common import (
    EngagementError,
    EngagementNotPermitted,
    StaleEngagement,
)
from caseflow.engagements.services.team import (
    TeamNeedsConfirmation,
    capacity_warnings,
    set_team,
    team_candidates,
)
from caseflow.staff.models import Role
from tests import factories

NOW = datetime(2025, 3, 10, 9, 0, tzinfo=UTC)
S = EngagementStatus


def _team(engagement: Engagement) -> tuple[int | None, list[int]]:
    lead = engagement.lead
    co = sorted(a.staff_member_id for a in engagement.assignments if a.role is AssignmentRole.CO)
    return (lead.id if lead else None, co)


def _stored_team(session, engagement: Engagement) -> tuple[int | None, list[int]]:
    rows = session.execute(
        select(Assignment.staff_member_id, Assignment.role).where(
            Assignment.engagement_id == engagement.id
        )
    ).all()
    leads = [member_id for member_id, role in rows if role is AssignmentRole.LEAD]
    assert len(leads) <= 1
    return (leads[0] if leads else None, sorted(m for m, r in rows if r is AssignmentRole.CO))


def _events(session, engagement: Engagement) -> list[AuditEvent]:
    return list(
        session.scalars(
            select(AuditEvent)
            .where(
                AuditEvent.object_type == "engagement",
                AuditEvent.object_id == engagement.id,
                AuditEvent.action == "engagement.team_changed",
            )
            .order_by(AuditEvent.id)
        )
    )


def _set(session, engagement: Engagement, lead, co=(), *, actor=None, limit=4, **extra):
    return set_team(
        session,
        engagement,
        lead_id=lead.id if lead is not None else None,
        co_ids=[member.id for member in co],
        actor=actor or engagement.lead,
        now=NOW,
        expected_version=extra.pop("expected_version", engagement.version),
        capacity_limit=limit,
        **extra,
    )


@pytest.fixture
def kim(session):
    return factories.make_measure3_consultant(session, name="Kim Berater")


@pytest.fixture
def pia(session):
    return factories.make_measure3_consultant(session, name="Pia Prozess")


@pytest.fixture
def ole(session):
    return factories.make_staff_member(session, name="Ole Co", email="ole@example.org")


@pytest.fixture
def engagement(session, kim, pia):
    return factories.make_engagement(session, lead=kim, co=[pia], status=S.AKTIV)


# --- changing the team ---------------------------------------------------------------------


def test_adding_a_co_consultant_keeps_rows_bumps_the_version_and_is_audited(
    session, engagement, kim, pia, ole
):
    rows_before = {a.staff_member_id: a.id for a in engagement.assignments}
    version = engagement.version
    change = _set(session, engagement, kim, [pia, ole])
    assert change.changed
    assert _stored_team(session, engagement) == (kim.id, sorted([pia.id, ole.id]))
    rows_after = {a.staff_member_id: a.id for a in engagement.assignments}
    assert rows_after[kim.id] == rows_before[kim.id]
    assert rows_after[pia.id] == rows_before[pia.id]
    assert engagement.version == version + 1
    [event] = _events(session, engagement)
    assert event.actor_id == kim.id
    assert event.changes["lead"] == [kim.id, kim.id]
    assert event.changes["co_consultants"] == [[pia.id], sorted([pia.id, ole.id])]
    assert event.occurred_at == NOW


def test_swapping_lead_and_co_back_and_forth_never_has_two_leads(session, engagement, kim, pia):
    rows_before = {a.staff_member_id: a.id for a in engagement.assignments}
    _set(session, engagement, pia, [kim])
    assert _stored_team(session, engagement) == (pia.id, [kim.id])
    # Now the lead's row is the newer one: promoting the older row first would break the
    # one-lead index, so the service must demote before it promotes.
    _set(session, engagement, kim, [pia], actor=pia)
    assert _stored_team(session, engagement) == (kim.id, [pia.id])
    assert {a.staff_member_id: a.id for a in engagement.assignments} == rows_before
    events = _events(session, engagement)
    assert [event.changes["lead"] for event in events] == [[kim.id, pia.id], [pia.id, kim.id]]


def test_a_new_lead_takes_over_the_open_milestones_of_the_one_who_left(
    session, engagement, kim, pia, ole
):
    milestones = factories.milestones_of(engagement)
    done = factories.complete_milestone(session, milestones[0], on=date(2025, 1, 10))
    version = engagement.version
    change = _set(session, engagement, ole, [pia])
    assert _stored_team(session, engagement) == (ole.id, [pia.id])
    assert engagement.version == version + 1
    assert change.removed == [kim]
    assert change.reassigned_from == [kim]
    open_ones = [m for m in milestones if m.status is MilestoneStatus.OFFEN]
    assert open_ones and all(m.owner_id == ole.id for m in open_ones)
    assert done.owner_id == kim.id  # what is done keeps who did it
    assert len(change.reassigned) == len(open_ones)
    [event] = _events(session, engagement)
    assert event.changes["removed"] == [kim.id]
    assert sorted(event.changes["milestones_reassigned"]) == sorted(m.id for m in open_ones)
    assert event.changes["milestones_reassigned_to"] == ole.id


def test_an_old_lead_who_stays_as_co_keeps_the_milestones(session, engagement, kim, pia):
    change = _set(session, engagement, pia, [kim])
    assert change.reassigned == []
    assert all(m.owner_id == kim.id for m in factories.milestones_of(engagement))
    assert "milestones_reassigned" not in _events(session, engagement)[0].changes


def test_removing_a_co_consultant_hands_their_milestones_to_the_lead(session, engagement, kim, pia):
    milestone = factories.milestones_of(engagement)[-1]
    milestone.owner = pia
    session.flush()
    change = _set(session, engagement, kim, [])
    assert _stored_team(session, engagement) == (kim.id, [])
    assert milestone.owner_id == kim.id
    assert change.reassigned == [milestone]


def test_an_unchanged_team_changes_nothing(session, engagement, kim, pia):
    version = engagement.version
    change = _set(session, engagement, kim, [pia])
    assert not change.changed
    assert engagement.version == version
    assert _events(session, engagement) == []


def test_a_planned_engagement_can_get_its_team(session, kim, ole):
    engagement = factories.make_engagement(session, lead=kim)
    _set(session, engagement, kim, [ole])
    assert _stored_team(session, engagement) == (kim.id, [ole.id])


def test_a_lead_outside_the_team_may_change_it(session, engagement, kim, ole):
    boss = factories.make_staff_member(session, role=Role.LEAD)
    _set(session, engagement, ole, [kim], actor=boss)
    assert _stored_team(session, engagement) == (ole.id, [kim.id])
    assert _events(session, engagement)[0].actor_id == boss.id


# --- refusals: a message at the field, nothing saved ---------------------------------------


def _refused(session, engagement, call, field: str | None, message: str) -> None:
    before = _stored_team(session, engagement)
    version = engagement.version
    with pytest.raises(EngagementError) as refused:
        call()
    assert refused.value.field == field
    assert message in str(refused.value)
    assert _stored_team(session, engagement) == before
    assert engagement.version == version
    assert _events(session, engagement) == []


def test_no_lead_is_refused(session, engagement, pia):
    _refused(
        session,
        engagement,
        lambda: _set(session, engagement, None, [pia]),
        "lead",
        "Bitte wählen Sie, wer die Federführung übernimmt.",
    )


def test_an_unknown_lead_is_refused(session, engagement, kim, pia):
    _refused(
        session,
        engagement,
        lambda: set_team(
            session,
            engagement,
            lead_id=999_999,
            co_ids=[pia.id],
            actor=kim,
            now=NOW,
            expected_version=engagement.version,
            capacity_limit=4,
        ),
        "lead",
        "Diese Person gibt es nicht (mehr).",
    )


def test_an_unknown_co_consultant_is_refused(session, engagement, kim, pia):
    _refused(
        session,
        engagement,
        lambda: set_team(
            session,
            engagement,
            lead_id=kim.id,
            co_ids=[pia.id, 999_999],
            actor=kim,
            now=NOW,
            expected_version=engagement.version,
            capacity_limit=4,
        ),
        "co",
        "Mindestens eine gewählte Person gibt es nicht (mehr).",
    )


def test_an_inactive_lead_is_refused(session, engagement, pia):
    gone = factories.make_staff_member(session, name="Gerd Weg", is_active=False)
    _refused(
        session,
        engagement,
        lambda: _set(session, engagement, gone, [pia]),
        "lead",
        "Gerd Weg ist nicht aktiv und kann keine Federführung übernehmen.",
    )


def test_an_inactive_co_consultant_is_refused(session, engagement, kim):
    gone = factories.make_staff_member(session, name="Gerd Weg", is_active=False)
    _refused(
        session,
        engagement,
        lambda: _set(session, engagement, kim, [gone]),
        "co",
        "Nicht aktiv und deshalb nicht im Team möglich: Gerd Weg.",
    )


def test_the_lead_cannot_also_be_co(session, engagement, kim, pia):
    _refused(
        session,
        engagement,
        lambda: _set(session, engagement, kim, [kim, pia]),
        "co",
        "Kim Berater hat die Federführung und kann nicht zugleich Co-Begleitung sein.",
    )


@pytest.mark.parametrize("status", [S.ABGESCHLOSSEN, S.ABGEBROCHEN])
def test_a_closed_engagement_is_refused(session, kim, pia, ole, status):
    engagement = factories.make_engagement(session, lead=kim, co=[pia], status=status)
    _refused(
        session,
        engagement,
        lambda: _set(session, engagement, kim, [pia, ole]),
        None,
        "ihr Team kann nicht mehr geändert werden",
    )


def test_a_stale_version_is_refused(session, engagement, kim, ole):
    with pytest.raises(StaleEngagement):
        _set(session, engagement, kim, [ole], expected_version=engagement.version - 1)
    assert _events(session, engagement) == []


def test_a_concurrent_change_fails_at_flush(session, engagement, kim, ole):
    # Someone else saved the engagement after it was loaded here.
    session.execute(
        text("UPDATE engagement SET version = version + 1 WHERE id = :id"),
        {"id": engagement.id},
    )
    with pytest.raises(StaleDataError):
        _set(session, engagement, ole, [kim])


def test_a_consultant_outside_the_team_may_not(session, engagement, kim, ole):
    outsider = factories.make_staff_member(session, role=Role.CONSULTANT)
    with pytest.raises(EngagementNotPermitted):
        _set(session, engagement, kim, [ole], actor=outsider)
    assert _events(session, engagement) == []


# --- capacity --------------------------------------------------------------------------------

THIS_START, THIS_END = date(2025, 3, 1), date(2025, 12, 31)


def _others(session, member, count: int, *, start=date(2025, 1, 1), end=date(2025, 9, 30)):
    for _ in range(count):
        factories.make_engagement(session, lead=member, start=start, end=end, status=S.AKTIV)


@pytest.fixture
def this(session, kim):
    return factories.make_engagement(session, lead=kim, start=THIS_START, end=THIS_END)


def test_exactly_at_the_limit_is_no_warning_one_more_is(session, this, ole):
    _others(session, ole, 3)
    assert capacity_warnings(session, this, [ole], limit=4) == []
    _others(session, ole, 1)
    [warning] = capacity_warnings(session, this, [ole], limit=4)
    assert (warning.member, warning.other_count, warning.limit) == (ole, 4, 4)
    assert (
        warning.message == "Ole Co begleitet im Zeitraum bereits 4 Prozessbegleitungen (Grenze: 4)."
    )


@pytest.mark.parametrize(
    ("start", "end", "counts"),
    [
        (date(2024, 9, 1), date(2025, 3, 1), True),  # ends on this start
        (date(2024, 9, 1), date(2025, 2, 28), False),  # ends the day before
        (date(2025, 12, 31), date(2026, 6, 30), True),  # starts on this planned end
        (date(2026, 1, 1), date(2026, 6, 30), False),  # starts the day after
        (date(2025, 4, 1), date(2025, 11, 30), True),  # inside
    ],
)
def test_overlap_boundaries(session, this, ole, start, end, counts):
    _others(session, ole, 1, start=start, end=end)
    warnings = capacity_warnings(session, this, [ole], limit=1)
    assert bool(warnings) is counts


@pytest.mark.parametrize(
    ("status", "counts"),
    [
        (S.GEPLANT, True),
        (S.AKTIV, True),
        (S.PAUSIERT, True),
        (S.ABGESCHLOSSEN, False),
        (S.ABGEBROCHEN, False),
    ],
)
def test_only_open_engagements_count(session, this, ole, status, counts):
    factories.make_engagement(
        session, lead=ole, start=date(2025, 1, 1), end=date(2025, 9, 30), status=status
    )
    assert bool(capacity_warnings(session, this, [ole], limit=1)) is counts


def test_co_consultancies_count_too_and_this_engagement_only_once(session, this, kim, ole):
    factories.make_engagement(
        session, lead=kim, co=[ole], start=date(2025, 1, 1), end=date(2025, 9, 30)
    )
    [warning] = capacity_warnings(session, this, [ole], limit=1)
    assert warning.other_count == 1
    # kim leads ``this``; it is not counted among kim's others.
    [kims] = capacity_warnings(session, this, [kim], limit=1)
    assert kims.other_count == 1


def test_the_check_is_one_statement_whatever_the_number_of_people(session, this, count_queries):
    people = [factories.make_staff_member(session) for _ in range(5)]
    for member in people:
        _others(session, member, 2)
    with count_queries() as one:
        capacity_warnings(session, this, people[:1], limit=1)
    with count_queries() as five:
        warnings = capacity_warnings(session, this, people, limit=1)
    assert len(warnings) == 5
    assert one.count == five.count == 1


def test_a_warning_stops_the_change_until_confirmed(session, this, kim, ole):
    _others(session, ole, 2)
    version = this.version
    with pytest.raises(TeamNeedsConfirmation) as pending:
        _set(session, this, kim, [ole], limit=2)
    assert pending.value.member_ids == [ole.id]
    assert _stored_team(session, this) == (kim.id, [])
    assert this.version == version
    assert _events(session, this) == []

    _set(session, this, kim, [ole], limit=2, confirmed_ids=[ole.id])
    assert _stored_team(session, this) == (kim.id, [ole.id])
    [event] = _events(session, this)
    assert event.changes["capacity_confirmed"] == [ole.id]
    assert event.changes["capacity_limit"] == 2


def test_confirming_someone_else_does_not_count(session, this, kim, pia, ole):
    _others(session, ole, 2)
    with pytest.raises(TeamNeedsConfirmation):
        _set(session, this, kim, [ole], limit=2, confirmed_ids=[pia.id])


def test_people_already_on_the_team_are_not_warned_again(session, this, kim, ole):
    _others(session, kim, 5)
    _set(session, this, kim, [ole], limit=2)  # kim leads already: no confirmation needed
    assert _stored_team(session, this) == (kim.id, [ole.id])


def test_a_new_lead_is_checked_too(session, this, kim, ole):
    _others(session, ole, 2)
    with pytest.raises(TeamNeedsConfirmation):
        _set(session, this, ole, [kim], limit=2)


# --- who the form offers ---------------------------------------------------------------------


def test_candidates_are_active_staff_measure3_first_and_inactive_team_members(session, kim, pia):
    anna = factories.make_staff_member(session, name="Anna Andere")
    gone = factories.make_staff_member(session, name="Gerd Weg")
    also_gone = factories.make_staff_member(session, name="Hans Fort", is_active=False)
    engagement = factories.make_engagement(session, lead=kim, co=[gone])
    gone.is_active = False
    session.flush()
    candidates = team_candidates(session, engagement)
    names = [c.member.name for c in candidates]
    assert names.index("Kim Berater") < names.index("Anna Andere")
    assert names.index("Pia Prozess") < names.index("Anna Andere")
    assert "Gerd Weg" in names  # on the team, so shown (to be taken off)
    assert "Hans Fort" not in names
    assert {c.member.id: c.is_measure3 for c in candidates}[anna.id] is False
    assert also_gone.id not in {c.member.id for c in candidates}
