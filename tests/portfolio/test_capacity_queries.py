"""/capacity and its cell pages: a fixed number of statements, and fast on a large portfolio."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import insert, select

from caseflow.engagements.models import Assignment, Engagement, EngagementStatus
from caseflow.engagements.rules import end_after_months
from caseflow.portfolio.capacity import capacity_table, count_months, months_between
from caseflow.staff.models import Role, StaffMember
from tests import factories

WINDOW = (date(2024, 4, 1), date(2026, 7, 31))
MOMENT = datetime(2025, 1, 15, 9, 0, tzinfo=UTC)


def _engagements(session, count: int, *, lead: StaffMember, co: StaffMember) -> None:
    statuses = list(EngagementStatus)
    for index in range(count):
        start = date(2024, 6 + index % 6, 1 + index % 28)
        status = statuses[index % len(statuses)]
        factories.make_engagement(
            session,
            lead=lead if index % 2 else co,
            co=[co if index % 2 else lead],
            start=start,
            end=end_after_months(start, 12),
            status=status,
            actual_end=end_after_months(start, 8),
        )


def _queries(client, session, count_queries, path: str) -> int:
    # Empty the identity map so a missing eager load shows up as extra statements.
    session.expunge_all()
    with count_queries() as counter:
        response = client.get(path)
    assert response.status_code == 200, path
    return counter.count


def test_capacity_pages_run_a_fixed_number_of_queries(client, session, logged_in, count_queries):
    me = logged_in(Role.LEAD, name="Lea Leitung")
    other = factories.make_staff_member(session, name="Ben Beratung")
    paths = ["/capacity", f"/capacity/{me.id}/2025-01", f"/capacity/{other.id}/2025-03"]
    _engagements(session, 1, lead=me, co=other)
    small = [_queries(client, session, count_queries, path) for path in paths]
    _engagements(session, 9, lead=me, co=other)
    factories.make_staff_member(session, name="Cem Co")
    large = [_queries(client, session, count_queries, path) for path in paths]
    print(f"capacity pages: {small} queries with 1 engagement, {large} with 10")
    assert small == large
    # The login's user, the people, the spans; on a cell page the person and the list.
    # with the sign-in session and the settings, one statement each
    assert large[0] <= 6
    assert large[1] <= 6


def _bulk_portfolio(session, count: int) -> list[int]:
    """``count`` engagements (inserted in bulk, not planned: only what capacity reads), each
    with a lead and a co-consultant out of 30 people."""
    session.execute(
        insert(StaffMember),
        [
            {"name": f"Person {index:02d}", "role": Role.CONSULTANT, "created_at": MOMENT}
            for index in range(30)
        ],
    )
    people = list(session.scalars(select(StaffMember.id).order_by(StaffMember.id)))[-30:]
    organisation_id = factories.make_organisation(session).id
    statuses = list(EngagementStatus)
    rows = []
    for index in range(count):
        start = date(2024, 4, 1) + timedelta(days=(index * 7) % 540)
        end = end_after_months(start, 6 + index % 13)
        status = statuses[index % len(statuses)]
        is_closed = status in (EngagementStatus.ABGESCHLOSSEN, EngagementStatus.ABGEBROCHEN)
        rows.append(
            {
                "organisation_id": organisation_id,
                "status": status,
                "start_date": start,
                "planned_end_date": end,
                "baseline_end_date": end,
                "actual_end_date": end - timedelta(days=40) if is_closed else None,
                "status_changed_at": MOMENT,
                "created_at": MOMENT,
                "version": 1,
            }
        )
    session.execute(insert(Engagement), rows)
    ids = list(session.scalars(select(Engagement.id).order_by(Engagement.id)))[-count:]
    session.execute(
        insert(Assignment),
        [
            {"engagement_id": engagement_id, "staff_member_id": people[index % 30], "role": "lead"}
            for index, engagement_id in enumerate(ids)
        ]
        + [
            {
                "engagement_id": engagement_id,
                "staff_member_id": people[(index + 7) % 30],
                "role": "co",
            }
            for index, engagement_id in enumerate(ids)
        ],
    )
    session.flush()
    return people


def test_capacity_of_1200_engagements_over_28_months_is_fast(session):
    _bulk_portfolio(session, 1200)
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        result = capacity_table(session, today=WINDOW[0], start=WINDOW[0], end=WINDOW[1])
        best = min(best, time.perf_counter() - started)
    print(f"capacity_table, 1200 engagements x 28 months: {best * 1000:.1f} ms")
    assert len(result.months) == 28
    assert sum(cell.total for cell in result.totals) > 1200 * 2 * 6 * 0.9
    assert best < 0.1


def test_counting_is_linear_in_spans_not_spans_times_months():
    months = months_between(*WINDOW)
    spans = [
        (index % 30, index % 4 == 0, date(2024, 4, 1) + timedelta(days=index % 600), WINDOW[1])
        for index in range(2400)
    ]
    started = time.perf_counter()
    counts = count_months(spans, months=months)
    elapsed = time.perf_counter() - started
    print(f"count_months, 2400 spans x 28 months: {elapsed * 1000:.2f} ms")
    assert elapsed < 0.05
    # Every span runs to the window's end: the last month holds all of them.
    assert sum(running[-1] + planned[-1] for running, planned in counts.values()) == 2400
