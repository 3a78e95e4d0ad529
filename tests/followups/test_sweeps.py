"""The scheduled rules as sweeps of ``(session, now)``: each raises its notification (or
follow-up) exactly once, at the right local day, and catches up once after downtime."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from caseflow import clock
from caseflow.audit.models import AuditEvent
from caseflow.documents.models import Document, DocumentKind, DocumentVersion
from caseflow.engagements.models import EngagementStatus
from caseflow.followups.models import FollowUp, FollowUpKind, FollowUpStatus, Notification
from caseflow.followups.notify import notify
from caseflow.followups.sweeps import (
    SWEEPS,
    engagements_ending,
    follow_ups_due,
    milestone_reminders,
    sustainability_follow_ups,
)
from caseflow.followups.sweeps import engagements as engagement_sweeps
from caseflow.intake.models import ApplicationStatus
from caseflow.staff.models import Role
from tests import factories

BERLIN = ZoneInfo("Europe/Berlin")
DUE = date(2025, 6, 16)


def at(day: date, hour: int = 12, minute: int = 0) -> datetime:
    """``day`` at ``hour:minute`` Berlin wall time, as aware UTC."""
    return datetime.combine(day, time(hour, minute), tzinfo=BERLIN).astimezone(UTC)


def notifications(session) -> list[Notification]:
    return list(session.scalars(select(Notification).order_by(Notification.id)))


def keys(session) -> list[str]:
    return [notification.dedup_key for notification in notifications(session)]


@pytest.fixture
def lead(session):
    """The engagements' lead consultant; a project lead with a login, so the application
    rules and the digest reach her too."""
    return factories.make_staff_member(
        session,
        name="Lea Leitung",
        role=Role.LEAD,
        email="lea.leitung@bqn.example.org",
        password_hash="x",
    )


def one_milestone(session, lead, *, due=DUE, status=EngagementStatus.AKTIV, owner="lead"):
    """An engagement whose only milestone near ``due`` is the returned one (the others are
    moved far away)."""
    engagement = factories.make_engagement(session, lead=lead, status=status)
    milestones = factories.milestones_of(engagement)
    for other in milestones[1:]:
        other.due_date = date(2030, 1, 1)
    milestone = milestones[0]
    milestone.due_date = due
    if owner != "lead":
        milestone.owner = owner
    session.flush()
    return milestone


# -- milestone reminders -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("days_left", "stage"),
    [(15, None), (14, "14"), (4, "14"), (3, "3"), (0, "3"), (-1, "overdue"), (-30, "overdue")],
)
def test_milestone_reminder_boundaries(session, lead, days_left, stage):
    milestone = one_milestone(session, lead)
    created = milestone_reminders(session, at(DUE - timedelta(days=days_left)))
    if stage is None:
        assert created == 0 and keys(session) == []
        return
    assert created == 1
    [notification] = notifications(session)
    assert notification.dedup_key == f"milestone:{milestone.id}:2025-06-16:{stage}"
    assert notification.recipient_id == lead.id
    assert notification.kind == ("milestone_overdue" if stage == "overdue" else "milestone_due")
    assert "16.06.2025" in notification.text
    assert milestone.title in notification.text
    assert notification.link.endswith(f"#milestone-{milestone.id}")
    assert notification.read_at is None and notification.emailed_at is None


@pytest.mark.parametrize(
    ("days_left", "stage"), [(22, None), (21, "21"), (8, "21"), (7, "7"), (2, "7"), (1, "1")]
)
def test_milestone_reminder_lead_times_come_from_the_configuration(
    app, session, lead, monkeypatch, days_left, stage
):
    monkeypatch.setitem(app.config, "MILESTONE_REMINDER_DAYS", (21, 7, 1))
    milestone = one_milestone(session, lead)
    milestone_reminders(session, at(DUE - timedelta(days=days_left)))
    expected = [] if stage is None else [f"milestone:{milestone.id}:2025-06-16:{stage}"]
    assert keys(session) == expected


def test_daily_sweeps_remind_14_and_3_days_before_and_on_the_first_overdue_day(session, lead):
    milestone = one_milestone(session, lead)
    created_on = {}
    day = DUE - timedelta(days=20)
    while day <= DUE + timedelta(days=5):
        for hour in (0, 9, 23):  # several runs a day change nothing
            created = milestone_reminders(session, at(day, hour, 30))
            if created:
                created_on[day] = created_on.get(day, 0) + created
        day += timedelta(days=1)
    assert created_on == {
        DUE - timedelta(days=14): 1,
        DUE - timedelta(days=3): 1,
        DUE + timedelta(days=1): 1,
    }
    assert keys(session) == [
        f"milestone:{milestone.id}:2025-06-16:{stage}" for stage in ("14", "3", "overdue")
    ]


def test_catch_up_after_downtime_notifies_once_and_never_sends_the_older_reminder(session, lead):
    milestone = one_milestone(session, lead)
    # Down from 20 days before until 2 days before: one reminder, the urgent one.
    assert milestone_reminders(session, at(DUE - timedelta(days=2))) == 1
    for days_left in (1, 0):
        assert milestone_reminders(session, at(DUE - timedelta(days=days_left))) == 0
    assert keys(session) == [f"milestone:{milestone.id}:2025-06-16:3"]


def test_a_week_of_downtime_past_the_due_day_gives_one_overdue_alert(session, lead):
    milestone = one_milestone(session, lead)
    assert milestone_reminders(session, at(DUE + timedelta(days=7))) == 1
    assert milestone_reminders(session, at(DUE + timedelta(days=8))) == 0
    assert keys(session) == [f"milestone:{milestone.id}:2025-06-16:overdue"]


def test_a_rescheduled_milestone_is_reminded_again_for_its_new_day(session, lead):
    milestone = one_milestone(session, lead)
    assert milestone_reminders(session, at(DUE - timedelta(days=3))) == 1
    milestone.due_date = DUE + timedelta(days=20)
    session.flush()
    assert milestone_reminders(session, at(DUE - timedelta(days=2))) == 0
    assert milestone_reminders(session, at(DUE + timedelta(days=6))) == 1
    assert keys(session)[-1] == f"milestone:{milestone.id}:2025-07-06:14"


def test_the_owner_gets_the_reminder_and_the_lead_when_there_is_no_owner(session, lead):
    owner = factories.make_staff_member(session, name="Otto Owner")
    owned = one_milestone(session, lead, owner=owner)
    orphan = one_milestone(session, lead, owner=None)
    assert milestone_reminders(session, at(DUE - timedelta(days=3))) == 2
    recipients = {n.dedup_key.split(":")[1]: n.recipient_id for n in notifications(session)}
    assert recipients == {str(owned.id): owner.id, str(orphan.id): lead.id}


def test_an_inactive_owners_reminder_goes_to_the_lead_in_her_language(session, lead):
    lead.locale = "en"
    owner = factories.make_staff_member(session, name="Otto Owner", locale="de")
    milestone = one_milestone(session, lead, owner=owner)
    owner.is_active = False
    session.flush()
    assert milestone_reminders(session, at(DUE - timedelta(days=3))) == 1
    [notification] = notifications(session)
    assert notification.recipient_id == lead.id
    assert notification.dedup_key == f"milestone:{milestone.id}:2025-06-16:3"
    assert "16 Jun 2025" in notification.text


def test_without_anyone_active_no_reminder_until_someone_is_again(session, lead):
    owner = factories.make_staff_member(session, name="Otto Owner")
    owned = one_milestone(session, lead, owner=owner)
    orphan = one_milestone(session, lead, owner=None)
    lead.is_active = False
    session.flush()
    # The active owner still hears of hers; the lead's own milestone reaches no one.
    assert milestone_reminders(session, at(DUE - timedelta(days=3))) == 1
    assert [(n.recipient_id, n.dedup_key) for n in notifications(session)] == [
        (owner.id, f"milestone:{owned.id}:2025-06-16:3")
    ]
    owner.is_active = False
    lead.is_active = True
    session.flush()
    assert milestone_reminders(session, at(DUE - timedelta(days=2))) == 1
    assert notifications(session)[-1].recipient_id == lead.id
    assert notifications(session)[-1].dedup_key == f"milestone:{orphan.id}:2025-06-16:3"


@pytest.mark.parametrize("status", [EngagementStatus.ABGESCHLOSSEN, EngagementStatus.ABGEBROCHEN])
def test_closed_engagements_get_no_milestone_reminders(session, lead, status):
    one_milestone(session, lead, status=status)
    assert milestone_reminders(session, at(DUE + timedelta(days=1))) == 0
    assert keys(session) == []


@pytest.mark.parametrize("status", list(EngagementStatus)[:3])
def test_open_engagements_get_milestone_reminders(session, lead, status):
    one_milestone(session, lead, status=status)
    assert milestone_reminders(session, at(DUE)) == 1


def test_done_and_dropped_milestones_get_no_reminders(session, lead):
    done = one_milestone(session, lead)
    factories.complete_milestone(session, done, on=DUE)
    dropped = one_milestone(session, lead)
    factories.drop_milestone(session, dropped)
    assert milestone_reminders(session, at(DUE + timedelta(days=1))) == 0


def test_milestone_days_are_berlin_days_in_the_week_summer_time_begins(session, lead):
    due = date(2026, 3, 29)  # summer time begins at 02:00 that night
    milestone = one_milestone(session, lead, due=due)
    # 15.03.2026 23:30 CET is still 22:30 UTC: the local day counts.
    assert milestone_reminders(session, at(date(2026, 3, 14), 23, 59)) == 0
    assert milestone_reminders(session, at(date(2026, 3, 15), 0, 1)) == 1
    assert milestone_reminders(session, at(date(2026, 3, 25), 23, 59)) == 0
    assert milestone_reminders(session, at(date(2026, 3, 26), 0, 1)) == 1
    # The due day itself is 23 hours long; overdue starts at 00:00 CEST on 30.03.
    assert milestone_reminders(session, at(due, 23, 59)) == 0
    assert milestone_reminders(session, at(date(2026, 3, 30), 0, 0)) == 1
    assert keys(session) == [
        f"milestone:{milestone.id}:2026-03-29:{stage}" for stage in ("14", "3", "overdue")
    ]


# -- follow-ups due ----------------------------------------------------------------------------


def test_a_follow_up_is_announced_once_when_it_falls_due(session, lead):
    engagement = factories.make_engagement(session, lead=lead, status=EngagementStatus.AKTIV)
    assignee = factories.make_staff_member(session, name="Ada Assigned")
    follow_up = factories.make_follow_up(session, engagement, assignee=assignee)
    due_at = follow_up.due_at
    assert follow_ups_due(session, due_at - timedelta(seconds=1)) == 0
    assert follow_ups_due(session, due_at) == 1
    assert follow_ups_due(session, due_at + timedelta(days=3)) == 0
    [notification] = notifications(session)
    assert notification.recipient_id == assignee.id
    assert notification.kind == "follow_up_due"
    assert notification.dedup_key == f"follow_up:{follow_up.id}:{due_at.isoformat()}"
    assert notification.link.endswith(f"#follow-up-{follow_up.id}")
    assert "01.03.2025" in notification.text


def test_a_follow_up_without_assignee_goes_to_the_lead_and_a_moved_one_comes_again(session, lead):
    engagement = factories.make_engagement(session, lead=lead, status=EngagementStatus.AKTIV)
    follow_up = factories.make_follow_up(session, engagement, assignee=None)
    now = follow_up.due_at + timedelta(hours=1)
    assert follow_ups_due(session, now) == 1
    assert notifications(session)[0].recipient_id == lead.id
    follow_up.due_at += timedelta(days=7)
    session.flush()
    assert follow_ups_due(session, now) == 0
    assert follow_ups_due(session, follow_up.due_at) == 1


def test_an_inactive_assignees_follow_up_goes_to_the_active_lead_only(session, lead):
    engagement = factories.make_engagement(session, lead=lead, status=EngagementStatus.AKTIV)
    assignee = factories.make_staff_member(session, name="Ada Assigned")
    handed_over = factories.make_follow_up(session, engagement, assignee=assignee)
    unassigned = factories.make_follow_up(session, engagement, assignee=None)
    assignee.is_active = False
    session.flush()
    now = handed_over.due_at + timedelta(hours=1)
    assert follow_ups_due(session, now) == 2
    assert {n.dedup_key.split(":")[1]: n.recipient_id for n in notifications(session)} == {
        str(handed_over.id): lead.id,
        str(unassigned.id): lead.id,
    }


def test_a_follow_up_reaches_no_one_when_nobody_active_is_left(session, lead):
    engagement = factories.make_engagement(session, lead=lead, status=EngagementStatus.AKTIV)
    assignee = factories.make_staff_member(session, name="Ada Assigned")
    factories.make_follow_up(session, engagement, assignee=assignee)
    follow_up = factories.make_follow_up(session, engagement, assignee=None)
    assignee.is_active = False
    lead.is_active = False
    session.flush()
    assert follow_ups_due(session, follow_up.due_at + timedelta(hours=1)) == 0
    assert keys(session) == []


def test_closed_follow_ups_and_closed_engagements_are_not_announced(session, lead):
    engagement = factories.make_engagement(session, lead=lead, status=EngagementStatus.AKTIV)
    for status in (FollowUpStatus.ERLEDIGT, FollowUpStatus.VERWORFEN):
        factories.make_follow_up(session, engagement, assignee=lead, status=status)
    for status in (EngagementStatus.ABGEBROCHEN, EngagementStatus.ABGESCHLOSSEN):
        closed = factories.make_engagement(session, lead=lead, status=status)
        factories.make_follow_up(session, closed, assignee=lead)
    assert follow_ups_due(session, at(date(2025, 4, 1))) == 0


def test_a_follow_up_due_in_the_night_summer_time_ends(session, lead):
    engagement = factories.make_engagement(session, lead=lead, status=EngagementStatus.AKTIV)
    # 25.10.2026: clocks go back at 03:00 CEST; 09:00 local is then 08:00 UTC (CET).
    due_at = datetime(2026, 10, 25, 9, 0, tzinfo=BERLIN)
    assert due_at.astimezone(UTC) == datetime(2026, 10, 25, 8, 0, tzinfo=UTC)
    follow_up = factories.make_follow_up(session, engagement, assignee=lead)
    follow_up.due_at = due_at
    session.flush()
    assert follow_ups_due(session, datetime(2026, 10, 25, 7, 59, tzinfo=UTC)) == 0
    assert follow_ups_due(session, datetime(2026, 10, 25, 8, 0, tzinfo=UTC)) == 1
    assert "25.10.2026" in notifications(session)[0].text


# -- engagements ending ------------------------------------------------------------------------


def test_the_lead_hears_30_days_before_the_planned_end_once(session, lead):
    engagement = factories.make_engagement(
        session, lead=lead, status=EngagementStatus.AKTIV, end=date(2025, 12, 31)
    )
    assert engagements_ending(session, at(date(2025, 11, 30))) == 0  # 31 days
    assert engagements_ending(session, at(date(2025, 12, 1))) == 1  # 30 days
    assert engagements_ending(session, at(date(2025, 12, 20))) == 0
    [notification] = notifications(session)
    assert notification.recipient_id == lead.id
    assert notification.dedup_key == f"engagement:{engagement.id}:ending:2025-12-31"
    assert "31.12.2025" in notification.text
    # Extended: the new end is announced again when it comes near.
    engagement.planned_end_date = date(2026, 3, 31)
    session.flush()
    assert engagements_ending(session, at(date(2025, 12, 21))) == 0
    assert engagements_ending(session, at(date(2026, 3, 10))) == 1


def test_the_ending_window_and_the_sustainability_months_come_from_the_configuration(
    app, session, lead, monkeypatch
):
    monkeypatch.setitem(app.config, "ENDING_WITHIN_DAYS", 10)
    monkeypatch.setitem(app.config, "SUSTAINABILITY_MONTHS", (12,))
    factories.make_engagement(
        session, lead=lead, status=EngagementStatus.AKTIV, end=date(2025, 12, 31)
    )
    assert engagements_ending(session, at(date(2025, 12, 20))) == 0  # 11 days
    assert engagements_ending(session, at(date(2025, 12, 21))) == 1  # 10 days
    done = factories.make_engagement(
        session, lead=lead, status=EngagementStatus.ABGESCHLOSSEN, actual_end=date(2025, 8, 31)
    )
    assert sustainability_follow_ups(session, at(date(2025, 9, 1))) == 1
    [check] = session.scalars(select(FollowUp).where(FollowUp.engagement_id == done.id))
    assert check.rule_key == f"engagement:{done.id}:sustainability:12"
    assert clock.local(check.due_at).date() == date(2026, 8, 31)


def test_an_inactive_lead_hears_nothing_of_the_ending(session, lead):
    factories.make_engagement(
        session, lead=lead, status=EngagementStatus.AKTIV, end=date(2025, 12, 31)
    )
    lead.is_active = False
    session.flush()
    assert engagements_ending(session, at(date(2025, 12, 1))) == 0
    lead.is_active = True
    session.flush()
    assert engagements_ending(session, at(date(2025, 12, 2))) == 1


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (EngagementStatus.GEPLANT, 0),
        (EngagementStatus.AKTIV, 1),
        (EngagementStatus.PAUSIERT, 1),
        (EngagementStatus.ABGESCHLOSSEN, 0),
        (EngagementStatus.ABGEBROCHEN, 0),
    ],
)
def test_only_running_engagements_are_announced_as_ending(session, lead, status, expected):
    factories.make_engagement(session, lead=lead, status=status, end=date(2025, 12, 31))
    assert engagements_ending(session, at(date(2025, 12, 15))) == expected


# -- sustainability checks ---------------------------------------------------------------------


def test_a_completed_engagement_gets_two_sustainability_checks_once(session, lead):
    engagement = factories.make_engagement(
        session, lead=lead, status=EngagementStatus.ABGESCHLOSSEN, actual_end=date(2025, 8, 31)
    )
    factories.make_engagement(
        session, lead=lead, status=EngagementStatus.ABGEBROCHEN, actual_end=date(2025, 8, 31)
    )
    now = at(date(2025, 9, 1))
    assert sustainability_follow_ups(session, now) == 2
    assert sustainability_follow_ups(session, now) == 0
    checks = list(session.scalars(select(FollowUp).order_by(FollowUp.due_at)))
    assert [check.rule_key for check in checks] == [
        f"engagement:{engagement.id}:sustainability:3",
        f"engagement:{engagement.id}:sustainability:6",
    ]
    assert [clock.local(check.due_at) for check in checks] == [
        datetime(2025, 11, 30, 9, 0, tzinfo=BERLIN),
        datetime(2026, 2, 28, 9, 0, tzinfo=BERLIN),
    ]
    for check in checks:
        assert check.engagement_id == engagement.id
        assert check.kind is FollowUpKind.NACHHALTIGKEIT
        assert check.status is FollowUpStatus.OFFEN and check.closed_at is None
        assert check.assignee_id == lead.id
        assert check.created_at == now
    # When the first falls due, its assignee hears of it (the engagement is closed).
    assert follow_ups_due(session, checks[0].due_at) == 1
    assert notifications(session)[0].recipient_id == lead.id


# -- all sweeps --------------------------------------------------------------------------------


def busy_programme(session, lead):
    """Something for every sweep on Monday 15.12.2025 (engagement ends 31.12.2025): a new
    co-consultant with a login for the digest, an application submitted on 28.11.2025 (new,
    and undecided after ten working days on 13.12.), one declined in May (retention), and
    an admin with a document whose file was found damaged on 1.12."""
    organisation = factories.make_organisation(session, name="Bezirksamt Mitte Jugendamt")
    factories.make_contact(session, organisation, name="Petra Vertraulich")
    colleague = factories.make_staff_member(
        session, email=f"co{organisation.id}@bqn.example.org", password_hash="x"
    )
    engagement = factories.make_engagement(
        session,
        lead=lead,
        co=[colleague],
        status=EngagementStatus.AKTIV,
        organisation=organisation,
    )
    factories.make_application(
        session,
        submitted_at=at(date(2025, 11, 28), 10),
        organisation_name="Bezirksamt Mitte Jugendamt",
        contact_name="Petra Vertraulich",
    )
    factories.make_application(
        session,
        status=ApplicationStatus.ABGELEHNT,
        submitted_at=at(date(2025, 4, 1)),
        contact_name="Petra Vertraulich",
    )
    factories.make_follow_up(session, engagement, assignee=lead, due_on=date(2025, 12, 1))
    factories.make_engagement(
        session, lead=lead, status=EngagementStatus.ABGESCHLOSSEN, actual_end=date(2025, 6, 30)
    )
    factories.make_staff_member(session, role=Role.ADMIN)
    document = Document(
        engagement_id=engagement.id,
        title="Kooperationsvereinbarung",
        title_key="kooperationsvereinbarung",
        kind=DocumentKind.VEREINBARUNG,
        created_at=at(date(2025, 11, 3)),
    )
    document.versions.append(
        DocumentVersion(
            number=1,
            storage_name=f"{engagement.id:032x}",
            file_name="Kooperationsvereinbarung.pdf",
            file_kind="pdf",
            size=1,
            sha256="0" * 64,
            uploaded_at=at(date(2025, 11, 3)),
            damaged_at=at(date(2025, 12, 1)),
        )
    )
    session.add(document)
    session.flush()
    return engagement


def test_every_sweep_run_twice_creates_the_same_rows(session, lead):
    busy_programme(session, lead)
    now = at(date(2025, 12, 15))
    first = {sweep.key: sweep.run(session, now) for sweep in SWEEPS}
    assert all(first.values()), first
    before = (keys(session), list(session.scalars(select(FollowUp.id).order_by(FollowUp.id))))
    second = {sweep.key: sweep.run(session, now) for sweep in SWEEPS}
    assert set(second.values()) == {0}
    after = (keys(session), list(session.scalars(select(FollowUp.id).order_by(FollowUp.id))))
    assert after == before
    assert len(set(before[0])) == len(before[0])


def test_texts_name_organisations_but_never_contact_persons(session, lead):
    busy_programme(session, lead)
    for sweep in SWEEPS:
        sweep.run(session, at(date(2025, 12, 15)))
    texts = [notification.text for notification in notifications(session)]
    texts += [notification.body for notification in notifications(session) if notification.body]
    kinds = {notification.kind for notification in notifications(session)}
    assert {"application_new", "application_undecided", "digest"} <= kinds
    assert any("Bezirksamt Mitte Jugendamt" in text for text in texts)
    for text in texts:
        assert "Petra" not in text and "Vertraulich" not in text


def test_each_sweep_runs_a_fixed_number_of_statements(session, lead, count_queries):
    def statements(now):
        counts = {}
        for sweep in SWEEPS:
            with count_queries() as counter:
                sweep.run(session, now)
            counts[sweep.key] = counter.count
        return counts

    busy_programme(session, lead)
    few = statements(at(date(2025, 12, 15)))
    for _ in range(4):
        busy_programme(session, lead)
    many = statements(at(date(2025, 12, 16)))
    assert many == few
    # Every completed engagement has its checks now: the next run reads and writes none.
    # The settings, then the reads: the next run writes none.
    assert statements(at(date(2025, 12, 17)))["sustainability"] == 2
    # The settings (where the sweep reads one), reads, one insert, and one update
    # superseding older notifications of the topics (the sustainability checks and
    # retention: one audit event instead of the update).
    assert few == {
        "milestones": 4,
        "sustainability": 4,
        "follow_ups": 3,
        "engagements_ending": 4,
        "applications_new": 4,  # applications, leads, insert, supersede
        "applications_undecided": 5,
        "digest": 5,  # recipients, milestones, follow-ups, insert, supersede
        # settings, reviews, applications, audit addresses, audit event, contact rule's event
        "retention": 6,
        "documents_damaged": 4,  # damaged files, admins, insert, supersede
    }


def test_a_sustainability_run_that_creates_checks_records_one_audit_event(session, lead):
    first = factories.make_engagement(
        session, lead=lead, status=EngagementStatus.ABGESCHLOSSEN, actual_end=date(2025, 8, 31)
    )
    second = factories.make_engagement(
        session, lead=lead, status=EngagementStatus.ABGESCHLOSSEN, actual_end=date(2025, 7, 31)
    )
    now = at(date(2025, 9, 1))

    def events():
        return list(
            session.scalars(
                select(AuditEvent).where(AuditEvent.action == "follow_up.sustainability_created")
            )
        )

    assert sustainability_follow_ups(session, now) == 4
    [event] = events()
    assert event.actor_id is None and event.occurred_at == now
    assert event.changes["count"] == 4
    assert event.changes["rule_keys"] == sorted(
        f"engagement:{engagement.id}:sustainability:{months}"
        for engagement in (first, second)
        for months in (3, 6)
    )
    assert sustainability_follow_ups(session, now) == 0
    assert len(events()) == 1  # a run that created nothing records nothing


def test_a_sustainability_run_reads_only_engagements_lacking_a_check(
    app, session, lead, count_queries, monkeypatch
):
    completed = [
        factories.make_engagement(
            session,
            lead=lead,
            status=EngagementStatus.ABGESCHLOSSEN,
            actual_end=date(2025, 8, day),
        )
        for day in range(1, 7)
    ]
    now = at(date(2025, 9, 1))
    assert sustainability_follow_ups(session, now) == 12
    built: list[int] = []
    original = engagement_sweeps.insert_or_skip

    def spy(session, table, rows, key):
        built.append(len(rows))
        return original(session, table, rows, key)

    monkeypatch.setattr(engagement_sweeps, "insert_or_skip", spy)
    with count_queries() as counter:
        assert sustainability_follow_ups(session, now) == 0
    assert built == [0] and counter.count == 2  # the settings and the read
    # A check deleted by hand comes back, alone; new months in the settings add theirs.
    rule_key = f"engagement:{completed[2].id}:sustainability:6"
    check = session.scalar(select(FollowUp).where(FollowUp.rule_key == rule_key))
    session.delete(check)
    session.flush()
    assert sustainability_follow_ups(session, now) == 1
    assert built[-1] == 2  # both rows of that one engagement; the other is skipped
    monkeypatch.setitem(app.config, "SUSTAINABILITY_MONTHS", (3, 6, 12))
    assert sustainability_follow_ups(session, now) == len(completed)
    assert built[-1] == 3 * len(completed)
    assert sustainability_follow_ups(session, now) == 0 and built[-1] == 0


def test_texts_are_in_the_recipients_language(session, lead):
    lead.locale = "en"
    owner = factories.make_staff_member(session, name="Gerd Deutsch", locale="de")
    english = one_milestone(session, lead)
    german = one_milestone(session, lead, owner=owner)
    engagement = english.phase.engagement
    factories.make_follow_up(session, engagement, assignee=owner, due_on=DUE)
    factories.make_follow_up(session, engagement, assignee=None, due_on=DUE)
    now = at(DUE - timedelta(days=3))
    assert milestone_reminders(session, now) == 2
    assert follow_ups_due(session, at(DUE + timedelta(days=1))) == 2
    by_recipient = {}
    for notification in notifications(session):
        by_recipient.setdefault(notification.recipient_id, []).append(notification.text)
    # Dates show the language even before the integrator's translations exist.
    assert all("16 Jun 2025" in text for text in by_recipient[lead.id])
    assert all("16.06.2025" in text for text in by_recipient[owner.id])
    assert len(by_recipient[lead.id]) == len(by_recipient[owner.id]) == 2
    assert english.id != german.id


def test_the_sweeps_use_the_frozen_clock_only_through_their_argument(session, lead):
    one_milestone(session, lead)
    with clock.frozen(DUE - timedelta(days=30)):
        assert milestone_reminders(session, at(DUE)) == 1


# -- notify ------------------------------------------------------------------------------------


def test_notify_creates_a_row_once_per_dedup_key(session, lead):
    values = {
        "recipient_id": lead.id,
        "kind": "test",
        "text": "Hallo",
        "link": None,
        "dedup_key": "test:1",
        "now": at(DUE),
    }
    assert notify(session, **values) is True
    assert notify(session, **{**values, "text": "Noch einmal"}) is False
    [notification] = notifications(session)
    assert notification.text == "Hallo" and notification.created_at == at(DUE)


def test_milestone_reminders_ignore_milestones_far_away(session, lead):
    far = one_milestone(session, lead, due=DUE + timedelta(days=100))
    near = one_milestone(session, lead, due=DUE + timedelta(days=14))
    assert milestone_reminders(session, at(DUE)) == 1
    assert keys(session) == [f"milestone:{near.id}:2025-06-30:14"]
    factories.complete_milestone(session, near, on=DUE)
    # The far one is reminded once it is 14 days away, and not before.
    assert milestone_reminders(session, at(DUE + timedelta(days=85))) == 0
    assert milestone_reminders(session, at(DUE + timedelta(days=86))) == 1
    assert keys(session)[-1] == f"milestone:{far.id}:2025-09-24:14"
