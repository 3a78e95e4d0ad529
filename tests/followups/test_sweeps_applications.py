"""The application rules: a new application → the leads at once; an application undecided
after ten Berlin working days → the leads; each once, with the reference and organisation
but never the contact person."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from flask import url_for
from sqlalchemy import select

from caseflow.followups.models import Notification
from caseflow.followups.sweeps import applications_new, applications_undecided
from caseflow.intake.models import ApplicationStatus
from caseflow.staff.models import Role
from tests import factories

BERLIN = ZoneInfo("Europe/Berlin")


def at(day: date, hour: int = 12, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=BERLIN).astimezone(UTC)


def notifications(session) -> list[Notification]:
    return list(session.scalars(select(Notification).order_by(Notification.id)))


@pytest.fixture
def leads(session):
    """Two active leads; an inactive lead, a consultant and an admin who hear nothing."""
    first = factories.make_staff_member(session, name="Lea Leitung", role=Role.LEAD)
    second = factories.make_staff_member(session, name="Leo Leitung", role=Role.LEAD, locale="en")
    factories.make_staff_member(session, name="Ina Aktiv", role=Role.LEAD, is_active=False)
    factories.make_staff_member(session, name="Cora Consultant", role=Role.CONSULTANT)
    factories.make_staff_member(session, name="Adam Admin", role=Role.ADMIN)
    return first, second


def submitted(session, when: datetime, **fields):
    return factories.make_application(
        session,
        submitted_at=when,
        organisation_name="Jobcenter Spandau",
        contact_name="Petra Vertraulich",
        **fields,
    )


# -- new applications --------------------------------------------------------------------------


def test_a_new_application_goes_to_every_active_lead_once(app, session, leads):
    application = submitted(session, at(date(2025, 11, 3), 9))
    now = at(date(2025, 11, 3), 9, 5)
    assert applications_new(session, now) == 2
    assert applications_new(session, now + timedelta(hours=1)) == 0
    rows = notifications(session)
    assert {row.recipient_id for row in rows} == {lead.id for lead in leads}
    for row in rows:
        assert row.kind == "application_new"
        assert row.dedup_key == f"application:{application.id}:new:{row.recipient_id}"
        assert row.topic == f"application:{application.id}"
        assert row.link == f"/applications/{application.id}"
        assert application.reference in row.text and "Jobcenter Spandau" in row.text
        assert "Petra" not in row.text and "Vertraulich" not in row.text
        assert row.created_at == now
    with app.test_request_context():
        assert url_for("intake.application", application_id=application.id) == rows[0].link


def test_without_an_active_lead_the_admins_hear_of_it(session):
    admin = factories.make_staff_member(session, role=Role.ADMIN)
    factories.make_staff_member(session, role=Role.ADMIN, is_active=False)
    factories.make_staff_member(session, role=Role.LEAD, is_active=False)
    submitted(session, at(date(2025, 11, 3)))
    assert applications_new(session, at(date(2025, 11, 3), 13)) == 1
    assert [row.recipient_id for row in notifications(session)] == [admin.id]


def test_nobody_to_tell_creates_nothing(session):
    submitted(session, at(date(2025, 11, 3)))
    assert applications_new(session, at(date(2025, 11, 4))) == 0


@pytest.mark.parametrize(("days", "expected"), [(29, 2), (31, 0)])
def test_the_catch_up_reaches_back_30_days(session, leads, days, expected):
    now = at(date(2025, 11, 30))
    submitted(session, now - timedelta(days=days))
    assert applications_new(session, now) == expected


def test_an_application_submitted_after_now_is_not_announced_yet(session, leads):
    submitted(session, at(date(2025, 11, 3), 12))
    assert applications_new(session, at(date(2025, 11, 3), 11, 59)) == 0


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (ApplicationStatus.EINGEGANGEN, 2),
        (ApplicationStatus.IN_PRUEFUNG, 2),
        (ApplicationStatus.VORGESPRAECH, 2),
        (ApplicationStatus.ABGELEHNT, 0),
        (ApplicationStatus.WARTELISTE, 0),
        (ApplicationStatus.ZURUECKGEZOGEN, 0),
        (ApplicationStatus.ANGENOMMEN, 0),
    ],
)
def test_only_undecided_applications_are_announced(session, leads, status, expected):
    submitted(session, at(date(2025, 11, 3)), status=status)
    assert applications_new(session, at(date(2025, 11, 4))) == expected


def test_an_anonymised_application_is_not_announced(session, leads):
    submitted(session, at(date(2025, 11, 3)), anonymised_at=at(date(2025, 11, 3), 13))
    assert applications_new(session, at(date(2025, 11, 4))) == 0
    assert applications_undecided(session, at(date(2025, 12, 31))) == 0


# -- undecided applications --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("submitted_on", "due_on"),
    [
        (date(2026, 4, 2), date(2026, 4, 21)),  # across Easter 2026
        (date(2027, 3, 5), date(2027, 3, 23)),  # Frauentag on Monday 08.03.2027
        (date(2025, 10, 2), date(2025, 10, 18)),  # Tag der Deutschen Einheit (Friday)
        (date(2025, 12, 22), date(2026, 1, 9)),  # Christmas and New Year
    ],
)
def test_undecided_after_ten_working_days_goes_to_the_leads(session, leads, submitted_on, due_on):
    application = submitted(session, at(submitted_on, 10))
    assert applications_undecided(session, at(due_on - timedelta(days=1), 23, 59)) == 0
    assert applications_undecided(session, at(due_on, 0, 0)) == 2
    assert applications_undecided(session, at(due_on + timedelta(days=3))) == 0
    rows = notifications(session)
    assert {row.recipient_id for row in rows} == {lead.id for lead in leads}
    for row in rows:
        assert row.kind == "application_undecided"
        assert row.dedup_key == f"application:{application.id}:undecided:{row.recipient_id}"
        assert row.topic == f"application:{application.id}"
        assert row.link == f"/applications/{application.id}"
        assert application.reference in row.text and "Jobcenter Spandau" in row.text
        assert "Petra" not in row.text


def test_a_decided_application_is_not_reported_as_undecided(session, leads):
    for status in (ApplicationStatus.ABGELEHNT, ApplicationStatus.ZURUECKGEZOGEN):
        submitted(session, at(date(2025, 11, 3)), status=status)
    assert applications_undecided(session, at(date(2025, 12, 1))) == 0


def test_a_scheduler_down_for_weeks_reports_an_old_undecided_application_once(session, leads):
    submitted(session, at(date(2025, 9, 1)))
    assert applications_undecided(session, at(date(2025, 12, 1))) == 2
    assert applications_undecided(session, at(date(2025, 12, 2))) == 0


def test_the_undecided_notice_replaces_the_unread_new_one(session, leads):
    submitted(session, at(date(2025, 11, 3)))
    assert applications_new(session, at(date(2025, 11, 3), 13)) == 2
    read = notifications(session)[1]
    read.read_at = at(date(2025, 11, 4))
    session.flush()
    assert applications_undecided(session, at(date(2025, 11, 18))) == 2
    session.expire_all()
    new_unread, new_read, *undecided = notifications(session)
    assert {row.kind for row in undecided} == {"application_undecided"}
    assert new_unread.superseded_at == at(date(2025, 11, 18))
    assert new_read.superseded_at is None  # read ones stay as they are
    assert all(row.superseded_at is None for row in undecided)


def test_application_texts_follow_the_recipients_language(session, leads):
    german, english = leads
    submitted(session, at(date(2025, 11, 3)))
    assert applications_undecided(session, at(date(2025, 11, 18))) == 2
    texts = {row.recipient_id: row.text for row in notifications(session)}
    # The dates show the language even before the integrator's English catalogue exists.
    assert "03.11.2025" in texts[german.id]
    assert "3 Nov 2025" in texts[english.id]
