"""Sweeps on the Sundays the clocks change (29.03.2026: 02:00 CET → 03:00 CEST; 25.10.2026:
03:00 CEST → 02:00 CET): days are Berlin days, a sweep in the missing or the repeated hour
neither skips nor repeats a notification."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from caseflow.engagements.models import EngagementStatus
from caseflow.followups.models import Notification
from caseflow.followups.services import due_moment
from caseflow.followups.sweeps import follow_ups_due, milestone_reminders, weekly_digest
from tests import factories

BERLIN = ZoneInfo("Europe/Berlin")
SPRING = date(2026, 3, 29)
AUTUMN = date(2026, 10, 25)


def utc(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


def keys(session) -> list[str]:
    return list(session.scalars(select(Notification.dedup_key).order_by(Notification.id)))


@pytest.fixture
def lead(session):
    return factories.make_staff_member(
        session, name="Lea Leitung", email="lea@bqn.example.org", password_hash="x"
    )


@pytest.fixture
def engagement(session, lead):
    engagement = factories.make_engagement(session, lead=lead, status=EngagementStatus.AKTIV)
    for milestone in factories.milestones_of(engagement):
        milestone.due_date = date(2030, 1, 1)
    session.flush()
    return engagement


def milestone_due(session, engagement, due: date):
    milestone = factories.milestones_of(engagement)[0]
    milestone.due_date = due
    session.flush()
    return milestone


def test_the_14_day_reminder_on_the_sunday_summer_time_begins(session, engagement):
    milestone = milestone_due(session, engagement, SPRING + timedelta(days=14))
    # 28.03. 23:59 CET = 22:59 UTC: still 15 days.
    assert milestone_reminders(session, utc(date(2026, 3, 28), 22, 59)) == 0
    # 29.03. 00:00 CET = 28.03. 23:00 UTC.
    assert milestone_reminders(session, utc(date(2026, 3, 28), 23, 0)) == 1
    # 01:59 CET and 03:00 CEST (01:00 UTC): the same Sunday, nothing more.
    assert milestone_reminders(session, utc(SPRING, 0, 59)) == 0
    assert milestone_reminders(session, utc(SPRING, 1, 0)) == 0
    # 29.03. 23:59 CEST = 21:59 UTC is still Sunday; Monday begins at 22:00 UTC.
    assert milestone_reminders(session, utc(SPRING, 21, 59)) == 0
    assert keys(session) == [f"milestone:{milestone.id}:2026-04-12:14"]


def test_the_overdue_alert_after_the_25_hour_sunday(session, engagement):
    milestone = milestone_due(session, engagement, AUTUMN)
    # 02:30 CEST (00:30 UTC) and 02:30 CET (01:30 UTC): the repeated hour, due today.
    assert milestone_reminders(session, utc(AUTUMN, 0, 30)) == 1  # the 3-day stage
    assert milestone_reminders(session, utc(AUTUMN, 1, 30)) == 0
    # 25.10. 23:59 CET = 22:59 UTC: still the due day; 26.10. 00:00 CET = 23:00 UTC.
    assert milestone_reminders(session, utc(AUTUMN, 22, 59)) == 0
    assert milestone_reminders(session, utc(AUTUMN, 23, 0)) == 1
    assert keys(session) == [
        f"milestone:{milestone.id}:2026-10-25:3",
        f"milestone:{milestone.id}:2026-10-25:overdue",
    ]


def test_a_follow_up_due_on_the_sunday_summer_time_begins(session, engagement, lead):
    follow_up = factories.make_follow_up(session, engagement, assignee=lead, due_on=SPRING)
    # (The factory adds 9 hours to midnight, which is 10:00 on this 23-hour day.)
    follow_up.due_at = due_moment(SPRING)
    session.flush()
    # 09:00 CEST is 07:00 UTC (the day before, 09:00 CET was 08:00 UTC).
    assert follow_up.due_at == utc(SPRING, 7, 0)
    assert follow_ups_due(session, utc(SPRING, 6, 59)) == 0
    assert follow_ups_due(session, utc(SPRING, 7, 0)) == 1
    assert follow_ups_due(session, utc(SPRING, 8, 0)) == 0
    [text] = session.scalars(select(Notification.text))
    assert "29.03.2026" in text


def test_a_follow_up_due_in_the_repeated_hour_comes_once(session, engagement, lead):
    follow_up = factories.make_follow_up(session, engagement, assignee=lead, due_on=AUTUMN)
    # 02:30 CEST, the first of the two 02:30s.
    follow_up.due_at = datetime(2026, 10, 25, 2, 30, tzinfo=BERLIN, fold=0)
    session.flush()
    assert follow_up.due_at.astimezone(UTC) == utc(AUTUMN, 0, 30)
    assert follow_ups_due(session, utc(AUTUMN, 0, 29)) == 0
    assert follow_ups_due(session, utc(AUTUMN, 0, 30)) == 1
    assert follow_ups_due(session, utc(AUTUMN, 1, 30)) == 0  # 02:30 CET
    assert len(keys(session)) == 1


@pytest.mark.parametrize(
    ("sunday", "monday_eight_utc", "weeks"),
    [
        (SPRING, utc(date(2026, 3, 30), 6, 0), ("2026-W13", "2026-W14")),
        (AUTUMN, utc(date(2026, 10, 26), 7, 0), ("2026-W43", "2026-W44")),
    ],
)
def test_the_digest_around_the_change_of_time(
    session, engagement, lead, sunday, monday_eight_utc, weeks
):
    # A scheduler down all week sends that week's digest on the Sunday of the change …
    assert weekly_digest(session, utc(sunday, 1, 30)) == 1
    assert weekly_digest(session, utc(sunday, 21, 0)) == 0
    # … and the next one at 08:00 local time on Monday, not an hour early or late.
    assert weekly_digest(session, monday_eight_utc - timedelta(minutes=1)) == 0
    assert weekly_digest(session, monday_eight_utc) == 1
    assert keys(session) == [f"digest:{lead.id}:{week}" for week in weeks]
