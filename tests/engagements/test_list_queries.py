"""``list_engagements`` at scale and its next-milestone rule: one statement past SQLAlchemy's
select-in batch of 500 parents, and the tie-breaking order of the next open milestone;
``engagement_slice``: a slice of the list with whole teams and the count of all rows."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import insert

from caseflow.engagements.models import (
    Assignment,
    AssignmentRole,
    Engagement,
    EngagementStatus,
    Milestone,
)
from caseflow.engagements.queries import (
    EngagementFilter,
    count_engagements,
    engagement_slice,
    list_engagements,
)
from caseflow.staff.models import Role
from tests import factories

TODAY = date(2025, 3, 10)
NOW = datetime(2025, 3, 10, 9, 0, tzinfo=UTC)
# More engagements than one select-in batch (500 parents) holds.
MANY = 510


def _add_engagements(session, organisation, lead, co, count: int) -> None:
    """``count`` bare engagements (no phases) of ``organisation``, each with ``lead`` as lead
    and ``co`` as co-consultant; two bulk inserts, so that the test stays fast."""
    engagement_ids = session.scalars(
        insert(Engagement).returning(Engagement.id),
        [
            {
                "organisation_id": organisation.id,
                "status": EngagementStatus.AKTIV,
                "start_date": date(2025, 1, 1),
                "planned_end_date": date(2025, 12, 31),
                "baseline_end_date": date(2025, 12, 31),
                "status_changed_at": NOW,
                "created_at": NOW,
                "version": 1,
            }
            for _ in range(count)
        ],
    ).all()
    session.execute(
        insert(Assignment),
        [
            {"engagement_id": engagement_id, "staff_member_id": member.id, "role": role}
            for engagement_id in engagement_ids
            for member, role in ((lead, AssignmentRole.LEAD), (co, AssignmentRole.CO))
        ],
    )
    session.flush()


def test_the_list_stays_one_statement_past_the_select_in_batch(session, count_queries):
    lead = factories.make_staff_member(session, name="Lea Leitung")
    co = factories.make_staff_member(session, name="Cem Co")
    organisation = factories.make_organisation(session, name="Jugendamt Mitte")
    _add_engagements(session, organisation, lead, co, 1)
    # Nothing in the identity map: the team must come from the list's own statements.
    session.expunge_all()
    with count_queries() as one:
        rows = list_engagements(session, today=TODAY)
        teams = [[member.name for member in row.engagement.team] for row in rows]
    assert teams == [["Lea Leitung", "Cem Co"]]

    _add_engagements(session, organisation, lead, co, MANY - 1)
    session.expunge_all()
    with count_queries() as many:
        rows = list_engagements(session, today=TODAY)
        teams = [[member.name for member in row.engagement.team] for row in rows]
    assert len(rows) == MANY
    assert len({row.engagement.id for row in rows}) == MANY
    assert teams == [["Lea Leitung", "Cem Co"]] * MANY
    assert one.count == many.count, many.statements


def test_a_slice_holds_whole_engagements_and_counts_them_all(session, count_queries):
    """The LIMIT counts engagements, not the rows per team member; equal sort keys are
    ordered by id, so slices neither overlap nor skip."""
    lead = factories.make_staff_member(session, name="Lea Leitung")
    co = factories.make_staff_member(session, name="Cem Co")
    organisation = factories.make_organisation(session, name="Jugendamt Mitte")
    _add_engagements(session, organisation, lead, co, 120)
    everything = [row.engagement.id for row in list_engagements(session, today=TODAY)]
    assert everything == sorted(everything)
    assert len(everything) == 120
    session.expunge_all()
    filters = EngagementFilter(staff_member_id=co.id)
    with count_queries() as counter:
        slices = [
            engagement_slice(session, filters, today=TODAY, limit=50, offset=offset)
            for offset in (0, 50, 100)
        ]
        teams = {len(row.engagement.team) for part in slices for row in part.rows}
    assert counter.count == 3
    assert [len(part.rows) for part in slices] == [50, 50, 20]
    assert [row.engagement.id for part in slices for row in part.rows] == everything
    assert teams == {2}
    assert {part.total for part in slices} == {120}
    assert slices[0].rest == 70
    past = engagement_slice(session, filters, today=TODAY, limit=50, offset=150)
    assert (past.rows, past.total) == ([], 0)
    assert count_engagements(session, filters, today=TODAY) == 120
    assert count_engagements(session, EngagementFilter(overdue_only=True), today=TODAY) == 0


def _milestone(session, phase, title: str, due: date, sort_order: int) -> Milestone:
    milestone = Milestone(
        phase=phase,
        title=title,
        due_date=due,
        baseline_due_date=due,
        sort_order=sort_order,
        created_at=NOW,
    )
    session.add(milestone)
    session.flush()
    return milestone


def _next_of(session, engagement: Engagement) -> tuple[str | None, date | None]:
    (row,) = [
        row for row in list_engagements(session, today=TODAY) if row.engagement.id == engagement.id
    ]
    return row.next_milestone_title, row.next_milestone_due


def test_the_next_milestone_is_the_earliest_open_then_by_phase_sort_order_and_id(session):
    lead = factories.make_staff_member(session)
    engagement = factories.make_engagement(session, lead=lead, status=EngagementStatus.AKTIV)
    # Only the milestones added here stay open.
    for milestone in factories.milestones_of(engagement):
        factories.complete_milestone(session, milestone, on=date(2025, 1, 2))
    first, second, third = engagement.phases[:3]
    due = date(2025, 6, 2)
    # Inserted in this order, so that each rule is what decides (not the insertion order).
    later = _milestone(session, first, "A später fällig", date(2025, 6, 3), 0)
    third_phase = _milestone(session, third, "B dritte Phase", due, 0)
    second_phase = _milestone(session, second, "C zweite Phase", due, 0)
    high_order = _milestone(session, first, "D hohe Reihenfolge", due, 7)
    lower_id = _milestone(session, first, "Z kleinere id", due, 3)
    higher_id = _milestone(session, first, "E größere id", due, 3)
    dropped = _milestone(session, first, "F entfallen", date(2025, 5, 1), 0)
    factories.drop_milestone(session, dropped)
    done = _milestone(session, first, "G erledigt", date(2025, 5, 1), 0)
    factories.complete_milestone(session, done, on=date(2025, 3, 1))

    expected = [lower_id, higher_id, high_order, second_phase, third_phase, later]
    seen = []
    for milestone in expected:
        seen.append(_next_of(session, engagement))
        factories.complete_milestone(session, milestone, on=TODAY)
    assert seen == [(milestone.title, milestone.due_date) for milestone in expected]
    assert _next_of(session, engagement) == (None, None)


def test_an_overdue_open_milestone_comes_before_later_ones(session):
    lead = factories.make_staff_member(session)
    engagement = factories.make_engagement(session, lead=lead, status=EngagementStatus.AKTIV)
    for milestone in factories.milestones_of(engagement):
        factories.complete_milestone(session, milestone, on=date(2025, 1, 2))
    phase = engagement.phases[-1]
    _milestone(session, phase, "Künftig", date(2025, 4, 1), 0)
    _milestone(session, phase, "Überfällig", date(2025, 2, 1), 9)

    (row,) = list_engagements(session, today=TODAY)
    assert (row.next_milestone_title, row.next_milestone_due, row.overdue_count) == (
        "Überfällig",
        date(2025, 2, 1),
        1,
    )
    assert (row.milestones_done, row.milestones_total) == (
        len(factories.milestones_of(engagement)) - 2,
        len(factories.milestones_of(engagement)),
    )


def test_the_kept_statement_of_a_slice_is_the_viewers_own(session):
    """``engagement_slice`` keeps its statement per filter (``EngagementFilter.as_key``): a
    consultant's list after the lead's, and a second consultant's after the first, still
    holds only what each may see."""
    lead = factories.make_staff_member(session, name="Lea Leitung", role=Role.LEAD)
    first = factories.make_staff_member(session, name="Cem Co")
    second = factories.make_staff_member(session, name="Dana Zweite")
    organisation = factories.make_organisation(session, name="Bürgeramt Nord")
    _add_engagements(session, organisation, lead, first, 3)
    _add_engagements(session, organisation, lead, second, 2)
    assert EngagementFilter(viewer=lead).as_key() == EngagementFilter()
    assert EngagementFilter(viewer=first, statuses=["aktiv", "aktiv"]).as_key() == (
        EngagementFilter(visible_team_of=first.id, statuses=(EngagementStatus.AKTIV,))
    )
    totals = [
        engagement_slice(session, EngagementFilter(viewer=viewer), today=TODAY, limit=50).total
        for viewer in (lead, first, second, first, lead)
    ]
    assert totals == [5, 3, 2, 3, 5]
    seen_by_second = engagement_slice(session, EngagementFilter(viewer=second), today=TODAY)
    assert len(seen_by_second.rows) == 2
    assert all(second.id in {m.id for m in row.engagement.team} for row in seen_by_second.rows)
