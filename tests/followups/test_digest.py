"""The weekly digest: from Monday 08:00 Berlin time (also in the weeks the clocks change),
once per person and ISO week, for everyone with a login on an open engagement's team who
has not turned it off; overdue and coming milestones and open follow-ups."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from caseflow.engagements.models import EngagementStatus
from caseflow.followups.models import FollowUpStatus, Notification, NotificationPreference
from caseflow.followups.sweeps import digest_week, weekly_digest
from tests import factories

BERLIN = ZoneInfo("Europe/Berlin")
MONDAY = date(2025, 11, 17)  # ISO week 47


def at(day: date, hour: int = 12, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=BERLIN).astimezone(UTC)


def notifications(session) -> list[Notification]:
    return list(session.scalars(select(Notification).order_by(Notification.id)))


def person(session, name: str | None = None, **fields):
    """A staff member with a login."""
    number = factories._next()
    fields.setdefault("email", f"person{number}@bqn.example.org")
    fields.setdefault("password_hash", "x")
    return factories.make_staff_member(session, name=name, **fields)


def on_team(session, lead, *, co=(), status=EngagementStatus.AKTIV, organisation=None):
    """An engagement whose milestones are all far away (tests place the ones they need)."""
    engagement = factories.make_engagement(
        session, lead=lead, co=co, status=status, organisation=organisation
    )
    for milestone in factories.milestones_of(engagement):
        milestone.due_date = date(2030, 1, 1)
    session.flush()
    return engagement


def place(engagement, index: int, due: date, title: str, owner=None):
    milestone = factories.milestones_of(engagement)[index]
    milestone.due_date = due
    milestone.title = title
    milestone.owner = owner
    return milestone


@pytest.fixture
def lead(session):
    return person(session, name="Lea Leitung")


@pytest.fixture
def programme(session, lead):
    """Lea leads an engagement with an overdue milestone, one due in five days, one due in
    exactly 14 days (outside the two weeks) and an open follow-up in two days; her
    colleague Cem owns one milestone due this week."""
    colleague = person(session, name="Cem Kollege")
    organisation = factories.make_organisation(session, name="Jobcenter Neukölln")
    factories.make_contact(session, organisation, name="Petra Vertraulich")
    engagement = on_team(session, lead, co=[colleague], organisation=organisation)
    place(engagement, 0, MONDAY - timedelta(days=3), "Auftaktgespräch")
    place(engagement, 1, MONDAY + timedelta(days=5), "Bestandsaufnahme")
    place(engagement, 2, MONDAY + timedelta(days=14), "Zwischenbilanz")
    place(engagement, 3, MONDAY + timedelta(days=1), "Workshop planen", owner=colleague)
    factories.make_follow_up(session, engagement, assignee=lead, due_on=MONDAY + timedelta(days=2))
    factories.make_follow_up(
        session, engagement, assignee=lead, due_on=MONDAY, status=FollowUpStatus.ERLEDIGT
    )
    factories.make_follow_up(session, engagement, assignee=lead, due_on=MONDAY + timedelta(days=20))
    session.flush()
    return colleague


def digest_of(session, staff_member) -> Notification:
    [row] = [row for row in notifications(session) if row.recipient_id == staff_member.id]
    return row


def test_the_digest_lists_overdue_and_coming_milestones_and_open_follow_ups(
    session, lead, programme
):
    now = at(MONDAY, 8)
    assert weekly_digest(session, now) == 2
    digest = digest_of(session, lead)
    assert digest.kind == "digest" and digest.topic == "digest"
    assert digest.dedup_key == f"digest:{lead.id}:2025-W47"
    assert digest.link == "/dashboard"
    assert digest.text == (
        "Wochenübersicht KW 47: 1 Meilenstein in den nächsten zwei Wochen, 1 überfällig, "
        "1 offene Wiedervorlage"
    )
    body = digest.body
    assert body.startswith(digest.text + "\n")
    assert "- 14.11.2025 · Jobcenter Neukölln · Auftaktgespräch" in body
    assert "- 22.11.2025 · Jobcenter Neukölln · Bestandsaufnahme" in body
    assert "- 19.11.2025 · Jobcenter Neukölln · Check-in" in body
    assert body.index("Auftaktgespräch") < body.index("Bestandsaufnahme")
    for absent in ("Zwischenbilanz", "Workshop planen", "Petra", "Vertraulich", "07.12.2025"):
        assert absent not in body
    colleague = digest_of(session, programme)
    assert colleague.text == (
        "Wochenübersicht KW 47: 1 Meilenstein in den nächsten zwei Wochen, 0 überfällig, "
        "0 offene Wiedervorlagen"
    )
    assert "Workshop planen" in colleague.body and "– keine –" in colleague.body


@pytest.mark.parametrize(
    ("monday", "eight_utc", "week"),
    [
        # Summer time began on Sunday 29.03.2026: 08:00 CEST is 06:00 UTC.
        (date(2026, 3, 30), datetime(2026, 3, 30, 6, 0, tzinfo=UTC), "2026-W14"),
        # Summer time ended on Sunday 25.10.2026: 08:00 CET is 07:00 UTC.
        (date(2026, 10, 26), datetime(2026, 10, 26, 7, 0, tzinfo=UTC), "2026-W44"),
        (MONDAY, datetime(2025, 11, 17, 7, 0, tzinfo=UTC), "2025-W47"),
    ],
)
def test_the_digest_starts_at_monday_0800_berlin_time(session, lead, monday, eight_utc, week):
    assert at(monday, 8) == eight_utc
    colleague = person(session)
    on_team(session, lead, co=[colleague])
    assert weekly_digest(session, eight_utc - timedelta(minutes=1)) == 0
    assert digest_week(eight_utc - timedelta(minutes=1)) is None
    assert weekly_digest(session, eight_utc) == 2
    assert weekly_digest(session, eight_utc + timedelta(hours=3)) == 0
    assert sorted(row.dedup_key for row in notifications(session)) == sorted(
        f"digest:{member.id}:{week}" for member in (lead, colleague)
    )


def test_a_scheduler_down_on_monday_catches_up_once_that_week(session, lead):
    on_team(session, lead)
    assert weekly_digest(session, at(MONDAY - timedelta(days=1), 23, 59)) == 1  # week 46
    assert weekly_digest(session, at(MONDAY + timedelta(days=2), 15)) == 1  # Wednesday
    assert weekly_digest(session, at(MONDAY + timedelta(days=6), 23, 59)) == 0  # Sunday
    assert weekly_digest(session, at(MONDAY + timedelta(days=7), 7, 59)) == 0
    assert weekly_digest(session, at(MONDAY + timedelta(days=7), 8, 0)) == 1
    assert [row.dedup_key.rsplit(":", 1)[1] for row in notifications(session)] == [
        "2025-W46",
        "2025-W47",
        "2025-W48",
    ]


def test_the_new_digest_replaces_last_weeks_unread_one(session, lead):
    on_team(session, lead)
    weekly_digest(session, at(MONDAY, 8))
    weekly_digest(session, at(MONDAY + timedelta(days=7), 8))
    session.expire_all()
    old, new = notifications(session)
    assert old.superseded_at == at(MONDAY + timedelta(days=7), 8)
    assert new.superseded_at is None


def test_who_gets_a_digest(session, lead):
    gets = [lead, person(session, name="Mit Kanal App")]
    silent = [
        person(session, name="Aus"),
        factories.make_staff_member(session, name="Ohne Login"),
        person(session, name="Inaktiv"),
        person(session, name="Ohne E-Mail", email=None),
        person(session, name="Nur Abgeschlossen"),
        person(session, name="Ohne Team"),
    ]
    on_team(session, lead, co=[gets[1], *silent[:4]])
    on_team(session, silent[4], status=EngagementStatus.ABGESCHLOSSEN)
    silent[2].is_active = False  # left after joining the team
    session.add_all(
        [
            NotificationPreference(staff_member_id=silent[0].id, kind="digest", channel="off"),
            NotificationPreference(staff_member_id=gets[1].id, kind="digest", channel="app"),
            # Other kinds turned off do not matter.
            NotificationPreference(staff_member_id=lead.id, kind="milestone_due", channel="off"),
        ]
    )
    session.flush()
    assert weekly_digest(session, at(MONDAY, 9)) == 2
    assert sorted(row.recipient_id for row in notifications(session)) == sorted(
        member.id for member in gets
    )


def test_an_inactive_colleagues_items_are_in_the_leads_digest(session, lead, programme):
    engagement = on_team(session, lead, co=[programme])
    factories.make_follow_up(
        session, engagement, assignee=programme, due_on=MONDAY + timedelta(days=3)
    )
    programme.is_active = False
    session.flush()
    assert weekly_digest(session, at(MONDAY, 8)) == 1
    digest = digest_of(session, lead)
    assert "Workshop planen" in digest.body
    assert digest.text.endswith("2 offene Wiedervorlagen")
    assert "20.11.2025" in digest.body


def test_items_of_an_inactive_lead_reach_no_digest(session, lead):
    colleague = person(session, name="Cem Kollege")
    engagement = on_team(session, lead, co=[colleague])
    place(engagement, 0, MONDAY + timedelta(days=2), "Ohne Verantwortliche")
    place(engagement, 1, MONDAY + timedelta(days=3), "Cems Meilenstein", owner=colleague)
    lead.is_active = False
    session.flush()
    assert weekly_digest(session, at(MONDAY, 8)) == 1
    [digest] = notifications(session)
    assert digest.recipient_id == colleague.id
    assert "Cems Meilenstein" in digest.body
    assert "Ohne Verantwortliche" not in digest.body


def test_the_digest_is_in_the_recipients_language(session, lead, programme):
    lead.locale = "en"
    programme.locale = "de"
    session.flush()
    weekly_digest(session, at(MONDAY, 8))
    assert "14 Nov 2025" in digest_of(session, lead).body
    assert "18.11.2025" in digest_of(session, programme).body


def test_the_digest_runs_a_fixed_number_of_statements(session, lead, count_queries):
    def statements(now: datetime) -> int:
        with count_queries() as counter:
            assert weekly_digest(session, now) > 0
        return counter.count

    on_team(session, lead)
    few = statements(at(MONDAY, 8))
    for _ in range(5):
        engagement = on_team(session, person(session), co=[person(session)])
        place(engagement, 0, MONDAY + timedelta(days=8), "Meilenstein")
        factories.make_follow_up(session, engagement, assignee=None, due_on=MONDAY)
    many = statements(at(MONDAY + timedelta(days=7), 8))
    assert few == many == 5
