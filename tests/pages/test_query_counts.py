"""Every list page runs the same number of SQL statements for 3 rows as for 25 (DESIGN.md §7).

The counts include Flask-Login loading the user. Each test prints what it measured
(``pytest -s``), and a bound keeps a regression from hiding behind equal counts.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from caseflow import clock
from caseflow.engagements.models import EngagementStatus
from caseflow.engagements.rules import end_after_months
from caseflow.intake.models import Application, ApplicationRound, ApplicationStatus
from caseflow.staff.models import Role, StaffMember
from tests import factories
from tests.pages.helpers import body_rows, table

TODAY = date(2025, 3, 10)
# Each page also reads its sign-in session and the settings (one statement each); the
# engagement page also the Selbstcheck rounds and the client-view link (one each) and its
# documents with their versions (two).
MAX_QUERIES = 17
APPLICATION_STATUSES = [
    ApplicationStatus.EINGEGANGEN,
    ApplicationStatus.IN_PRUEFUNG,
    ApplicationStatus.VORGESPRAECH,
    ApplicationStatus.WARTELISTE,
    ApplicationStatus.ANGENOMMEN,
    ApplicationStatus.ABGELEHNT,
]
ENGAGEMENT_STATUSES = [
    EngagementStatus.AKTIV,
    EngagementStatus.GEPLANT,
    EngagementStatus.PAUSIERT,
    EngagementStatus.ABGESCHLOSSEN,
]


def _portfolio(
    session, count: int, *, me: StaffMember, other: StaffMember, round_: ApplicationRound
) -> None:
    """``count`` organisations, each with contacts, an engagement with everything, and an
    application with reviews; ``me`` leads half of the engagements and co-supports the rest."""
    for index in range(count):
        organisation = factories.make_organisation(session)
        factories.make_contact(session, organisation)
        factories.make_contact(session, organisation)
        start = date(2024, 6, 1).replace(day=1 + index % 28)
        status = ENGAGEMENT_STATUSES[index % len(ENGAGEMENT_STATUSES)]
        lead, co = (me, other) if index % 2 == 0 else (other, me)
        engagement = factories.make_engagement(
            session,
            lead=lead,
            co=[co],
            organisation=organisation,
            start=start,
            end=end_after_months(start, 12),
            status=status,
        )
        factories.complete_milestone(session, factories.milestones_of(engagement)[0], on=start)
        factories.make_activity(session, engagement, staff=[me, other])
        factories.make_barrier(session, engagement)
        factories.make_follow_up(session, engagement, assignee=me, due_on=date(2025, 3, 1))
        status = APPLICATION_STATUSES[index % len(APPLICATION_STATUSES)]
        application = factories.make_application(
            session,
            round=round_,
            status=status,
            decided_by=me,
            engagement=engagement if status is ApplicationStatus.ANGENOMMEN else None,
        )
        factories.make_review(session, application, me)
        factories.make_review(session, application, other, scores=(2, 3, 4, 5))


def _queries(client, session, count_queries, path: str) -> int:
    # The request shares the test's session (Flask reuses the active app context): empty
    # its identity map so that a missing eager load shows up as extra statements here.
    session.expunge_all()
    with count_queries() as counter:
        response = client.get(path)
    assert response.status_code == 200, path
    return counter.count


@pytest.mark.parametrize(
    "path",
    [
        "/dashboard",
        "/applications",
        "/applications?status=eingegangen",
        "/organisations",
        "/engagements",
        "/engagements?mine=1&status=aktiv",
        "/engagements?sector=buergerdienst&district=mitte&starts_from=2024-01-01"
        "&starts_to=2025-12-31&ends_from=2025-01-01&ends_to=2026-12-31&lead=abc",
        "/timeline",
        "/capacity",
        "/reports",
        "/admin/",
    ],
)
def test_list_pages_run_a_fixed_number_of_queries(client, session, logged_in, count_queries, path):
    me = logged_in(Role.ADMIN, name="Ada Admin")
    other = factories.make_staff_member(session, name="Ben Beratung")
    round_ = factories.make_round(session)
    with clock.frozen(TODAY):
        _portfolio(session, 3, me=me, other=other, round_=round_)
        small = _queries(client, session, count_queries, path)
        _portfolio(session, 22, me=me, other=other, round_=round_)
        large = _queries(client, session, count_queries, path)
    print(f"{path}: {small} queries with 3 rows, {large} with 25")
    assert small == large
    assert large <= MAX_QUERIES


def _applications(
    session, count: int, *, rounds: list[ApplicationRound], reviewers: list[StaffMember]
) -> None:
    """``count`` more applications in every status, over two rounds, with zero to two reviews;
    organisation names (spelt differently) and contact emails repeat, so most rows are flagged
    as possible duplicates."""
    statuses = list(ApplicationStatus)
    start = len(session.scalars(select(Application.id)).all())
    for index in range(start, start + count):
        application = factories.make_application(
            session,
            round=rounds[index % len(rounds)],
            status=statuses[index % len(statuses)],
            decided_by=reviewers[0],
            organisation_name=("Bezirksamt Neukölln " if index % 2 else "bezirksamt  neukolln ")
            + str(index % 4),
            contact_email=f"Amt{index % 5}@example.org",
            submitted_at=datetime(2025, 1, 1, 9, 0, tzinfo=UTC) + timedelta(days=index),
        )
        for reviewer in reviewers[: index % 3]:
            factories.make_review(session, application, reviewer)


@pytest.mark.parametrize(
    "query",
    [
        "",
        "?status=eingegangen&sort=age",
        "?round={round}&sector=buergerdienst&district=neukoelln"
        "&received_from=2025-01-01&received_to=2025-12-31&sort=name",
        "?sort=score&received_from=2025-01-02&status=abc&district=nirgends",
    ],
)
def test_application_list_runs_a_fixed_number_of_queries(
    client, session, logged_in, count_queries, query
):
    me = logged_in(Role.LEAD)
    reviewers = [me, factories.make_staff_member(session)]
    rounds = [factories.make_round(session), factories.make_round(session)]
    path = "/applications" + query.format(round=rounds[0].id)
    with clock.frozen(TODAY):
        _applications(session, 3, rounds=rounds, reviewers=reviewers)
        small = _queries(client, session, count_queries, path)
        few = len(body_rows(table(client.get(path), "Bewerbungen")))
        _applications(session, 27, rounds=rounds, reviewers=reviewers)
        large = _queries(client, session, count_queries, path)
        response = client.get(path)
    rows = body_rows(table(response, "Bewerbungen"))
    print(f"{path}: {small} queries with 3 applications, {large} with 30")
    assert 0 < few < len(rows)
    assert any(row[-1].startswith("mögliche Dublette") for row in rows)
    assert small == large
    assert large <= MAX_QUERIES


def test_consultant_engagement_list_runs_a_fixed_number_of_queries(
    client, session, logged_in, count_queries
):
    me = logged_in(Role.CONSULTANT)
    other = factories.make_staff_member(session)
    round_ = factories.make_round(session)
    with clock.frozen(TODAY):
        _portfolio(session, 3, me=me, other=other, round_=round_)
        small = _queries(client, session, count_queries, "/engagements")
        _portfolio(session, 22, me=me, other=other, round_=round_)
        large = _queries(client, session, count_queries, "/engagements")
    print(f"/engagements (consultant): {small} queries with 3 rows, {large} with 25")
    assert small == large


def test_engagement_page_runs_a_fixed_number_of_queries(client, session, logged_in, count_queries):
    me = logged_in(Role.CONSULTANT)
    other = factories.make_staff_member(session)
    engagement = factories.make_engagement(
        session, lead=me, co=[other], status=EngagementStatus.AKTIV
    )
    factories.make_barrier(session, engagement)
    factories.make_follow_up(session, engagement, assignee=me)
    factories.make_activity(session, engagement, staff=[me])
    path = f"/engagements/{engagement.id}"
    with clock.frozen(TODAY):
        one = _queries(client, session, count_queries, path)
        for day in range(2, 6):
            factories.make_activity(
                session,
                engagement,
                occurred_on=date(2025, 2, day),
                staff=[me, other],
                author_id=me.id,
            )
            factories.make_barrier(session, engagement)
            factories.make_follow_up(session, engagement, assignee=other)
        five = _queries(client, session, count_queries, path)
    print(f"{path}: {one} queries with 1 activity, {five} with 5")
    assert one == five
    assert five <= MAX_QUERIES


def test_application_page_runs_a_fixed_number_of_queries(client, session, logged_in, count_queries):
    me = logged_in(Role.LEAD)
    application = factories.make_application(
        session, status=ApplicationStatus.ANGENOMMEN, decided_by=me
    )
    factories.make_review(session, application, me)
    path = f"/applications/{application.id}"
    one = _queries(client, session, count_queries, path)
    for _ in range(4):
        factories.make_review(session, application, factories.make_staff_member(session))
    five = _queries(client, session, count_queries, path)
    print(f"{path}: {one} queries with 1 review, {five} with 5")
    assert one == five


@pytest.mark.parametrize(
    "status",
    [ApplicationStatus.EINGEGANGEN, ApplicationStatus.VORGESPRAECH, ApplicationStatus.WARTELISTE],
)
def test_undecided_application_page_runs_a_fixed_number_of_queries(
    client, session, logged_in, count_queries, status
):
    """With its action forms, reviews, possible duplicates and history growing."""
    me = logged_in(Role.LEAD)
    extra = (
        {"preliminary_talk_on": date(2025, 2, 1)}
        if status is not ApplicationStatus.EINGEGANGEN
        else {}
    )
    application = factories.make_application(
        session, status=status, decided_by=me, contact_email="gleich@amt.example.org", **extra
    )
    factories.make_review(session, application, me)
    path = f"/applications/{application.id}"
    with clock.frozen(TODAY):
        one = _queries(client, session, count_queries, path)
        for number in range(4):
            factories.make_review(session, application, factories.make_staff_member(session))
            factories.make_application(session, contact_email="gleich@amt.example.org")
            factories.make_audit_event(
                session,
                object_type="application",
                object_id=application.id,
                action="application.review_saved",
                changes={"new": True, "number": number},
            )
        five = _queries(client, session, count_queries, path)
    print(f"{path} ({status.value}): {one} queries with 1 review, {five} with 5")
    assert one == five
    assert five <= MAX_QUERIES


def test_accept_page_runs_a_fixed_number_of_queries(client, session, logged_in, count_queries):
    """With more organisations to choose from and more possible leads."""
    logged_in(Role.LEAD)
    application = factories.make_application(
        session, status=ApplicationStatus.VORGESPRAECH, preliminary_talk_on=date(2025, 2, 1)
    )
    factories.make_organisation(session, name="Bezirksamt Test Ähnlich")
    factories.make_measure3_consultant(session)
    path = f"/applications/{application.id}/accept"
    with clock.frozen(TODAY):
        one = _queries(client, session, count_queries, path)
        for number in range(10):
            factories.make_organisation(session, name=f"Bezirksamt Test Ähnlich {number}")
            factories.make_measure3_consultant(session)
        more = _queries(client, session, count_queries, path)
    print(f"{path}: {one} queries with 1 organisation and lead, {more} with 11")
    assert one == more
    assert more <= MAX_QUERIES


def test_organisation_page_runs_a_fixed_number_of_queries(
    client, session, logged_in, count_queries
):
    me = logged_in(Role.LEAD)
    organisation = factories.make_organisation(session)
    round_ = factories.make_round(session)

    def add_one(start: date) -> None:
        factories.make_contact(session, organisation)
        engagement = factories.make_engagement(
            session,
            lead=me,
            organisation=organisation,
            start=start,
            end=end_after_months(start, 6),
            status=EngagementStatus.AKTIV,
        )
        factories.make_application(
            session,
            round=round_,
            status=ApplicationStatus.ANGENOMMEN,
            decided_by=me,
            engagement=engagement,
        )

    add_one(date(2024, 5, 1))
    path = f"/organisations/{organisation.id}"
    with clock.frozen(TODAY):
        one = _queries(client, session, count_queries, path)
        for month in range(6, 10):
            add_one(date(2024, month, 1))
        five = _queries(client, session, count_queries, path)
    print(f"{path}: {one} queries with 1 engagement, {five} with 5")
    assert one == five
