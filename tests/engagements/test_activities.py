"""Activities: the services' rules, the audit trail, who may change or delete one (only the
author, while still on the team), and which changes check the engagement's version."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from caseflow.audit.models import AuditEvent
from caseflow.engagements.models import Activity, ActivityKind, EngagementStatus
from caseflow.engagements.services.activities import (
    ActivityInput,
    activities_of,
    activity_was_deleted,
    delete_activity,
    find_activity,
    log_activity,
    may_change_activity,
    staff_choices,
    update_activity,
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


def _leave_team(session, engagement, member) -> None:
    """Take ``member`` off the team of ``engagement`` (as the team page would)."""
    (assignment,) = [a for a in engagement.assignments if a.staff_member_id == member.id]
    engagement.assignments.remove(assignment)
    session.flush()


@pytest.fixture
def lead(session):
    return factories.make_staff_member(session, name="Kim Berater")


@pytest.fixture
def engagement(session, lead):
    return factories.make_engagement(session, lead=lead, status=EngagementStatus.AKTIV)


def _log(session, engagement, actor, **values):
    data = {"kind": ActivityKind.TREFFEN, "occurred_on": date(2025, 3, 1), **values}
    return log_activity(
        session, engagement, ActivityInput(**data), actor=actor, now=NOW, today=TODAY
    )


# --- activities: logging -----------------------------------------------------------------


def test_logging_an_activity_records_everything_and_leaves_the_version(session, engagement, lead):
    colleague = factories.make_staff_member(session, name="Alex Aktiv")
    version = engagement.version
    activity = log_activity(
        session,
        engagement,
        ActivityInput(
            kind=ActivityKind.WORKSHOP,
            occurred_on=date(2025, 3, 1),
            duration_minutes=90,
            participants_count=12,
            staff_ids=[colleague.id, lead.id],
            note="  Vertraulich: Leitung skeptisch  ",
        ),
        actor=lead,
        now=NOW,
        today=TODAY,
    )
    assert activity.author is lead
    assert activity.created_at == NOW
    assert activity.note == "Vertraulich: Leitung skeptisch"
    assert [member.name for member in activity.staff] == ["Alex Aktiv", "Kim Berater"]
    # A new activity makes nobody's open form stale.
    session.flush()
    assert engagement.version == version
    (event,) = _events(session, engagement, "activity.created")
    assert event.actor_id == lead.id
    assert event.changes["activity"] == activity.id
    assert event.changes["kind"] == "workshop"
    assert event.changes["duration_minutes"] == 90
    assert event.changes["note"] == "[Freitext]"
    assert sorted(event.changes["staff"]) == sorted([colleague.id, lead.id])
    assert "Vertraulich" not in str(event.changes)


@pytest.mark.parametrize(
    ("day", "message"),
    [
        (TODAY, None),
        (
            date(2025, 3, 11),  # tomorrow
            "Aktivitäten können erst erfasst werden, wenn sie stattgefunden haben.",
        ),
        (date(2024, 10, 3), None),  # start (2025-01-01) minus 90 days
        (
            date(2024, 10, 2),
            "Das Datum darf höchstens 90 Tage vor dem Beginn der Prozessbegleitung liegen, "
            "also nicht vor dem 03.10.2024.",
        ),
    ],
)
def test_the_day_lies_between_start_minus_90_days_and_today(
    session, engagement, lead, day, message
):
    if message is None:
        assert _log(session, engagement, lead, occurred_on=day).occurred_on == day
        return
    with pytest.raises(EngagementError) as refused:
        _log(session, engagement, lead, occurred_on=day)
    assert refused.value.field == "occurred_on"
    assert str(refused.value) == message
    assert _count(session, Activity) == 0
    assert _events(session, engagement, "activity.created") == []


@pytest.mark.parametrize(
    ("field", "value", "allowed"),
    [
        ("duration_minutes", 0, True),
        ("duration_minutes", 1440, True),
        ("duration_minutes", 1441, False),
        ("duration_minutes", -1, False),
        ("participants_count", 999, True),
        ("participants_count", 1000, False),
        ("participants_count", -5, False),
    ],
)
def test_numbers_have_their_ranges(session, engagement, lead, field, value, allowed):
    if allowed:
        assert getattr(_log(session, engagement, lead, **{field: value}), field) == value
        return
    with pytest.raises(EngagementError, match="ganze Zahl von 0 bis") as refused:
        _log(session, engagement, lead, **{field: value})
    assert refused.value.field == field
    assert _count(session, Activity) == 0


def test_a_too_long_note_is_refused(session, engagement, lead):
    with pytest.raises(EngagementError, match="höchstens 5.000 Zeichen") as refused:
        _log(session, engagement, lead, note="x" * 5001)
    assert refused.value.field == "note"
    assert _log(session, engagement, lead, note="x" * 5000).note == "x" * 5000


def test_staff_must_be_on_the_team_or_active(session, lead):
    retired_co = factories.make_staff_member(session, name="Co im Ruhestand")
    engagement = factories.make_engagement(session, lead=lead, co=[retired_co])
    retired_co.is_active = False
    stranger = factories.make_staff_member(session, name="Ehemalige")
    stranger.is_active = False
    session.flush()

    names = [member.name for member in staff_choices(session, engagement)]
    assert "Co im Ruhestand" in names
    assert "Ehemalige" not in names
    assert names == sorted(names)

    activity = _log(session, engagement, lead, staff_ids=[retired_co.id])
    assert activity.staff == [retired_co]
    for wrong in ([stranger.id], [999_999], [lead.id, 999_999]):
        with pytest.raises(EngagementError, match="nur Personen aus der Liste") as refused:
            _log(session, engagement, lead, staff_ids=wrong)
        assert refused.value.field == "staff"
    assert _count(session, Activity) == 1


def test_only_the_team_and_leads_may_log(session, engagement, lead):
    other = factories.make_staff_member(session, role=Role.CONSULTANT)
    boss = factories.make_staff_member(session, role=Role.LEAD)
    with pytest.raises(EngagementNotPermitted):
        _log(session, engagement, other)
    assert _log(session, engagement, boss).author is boss
    assert _count(session, Activity) == 1


@pytest.mark.parametrize("status", [EngagementStatus.ABGESCHLOSSEN, EngagementStatus.ABGEBROCHEN])
def test_activities_may_be_logged_on_closed_engagements(session, lead, status):
    engagement = factories.make_engagement(session, lead=lead, status=status)
    assert _log(session, engagement, lead).engagement is engagement


def _bump(session, engagement) -> None:
    """Someone else changes the engagement (its version goes up)."""
    engagement.notes = f"geändert {engagement.version}"
    session.flush()


def test_a_change_or_deletion_on_a_stale_version_is_refused(session, engagement, lead):
    activity = _log(session, engagement, lead, note="alt")
    shown = engagement.version
    _bump(session, engagement)
    with pytest.raises(StaleEngagement):
        update_activity(
            session,
            activity,
            ActivityInput(kind=ActivityKind.NOTIZ, occurred_on=TODAY, note="neu"),
            actor=lead,
            now=NOW,
            today=TODAY,
            expected_version=shown,
        )
    with pytest.raises(StaleEngagement):
        delete_activity(session, activity, actor=lead, now=NOW, expected_version=shown)
    assert activity.note == "alt"
    assert _count(session, Activity) == 1
    assert _events(session, engagement, "activity.updated") == []
    assert _events(session, engagement, "activity.deleted") == []


# --- activities: changing and deleting ---------------------------------------------------


def test_the_author_changes_an_activity_and_the_audit_has_old_and_new(session, engagement, lead):
    colleague = factories.make_staff_member(session, name="Alex")
    activity = _log(session, engagement, lead, note="alt", duration_minutes=30)
    version = engagement.version
    update_activity(
        session,
        activity,
        ActivityInput(
            kind=ActivityKind.TELEFONAT,
            occurred_on=date(2025, 3, 2),
            duration_minutes=45,
            staff_ids=[colleague.id],
            note="neu",
        ),
        actor=lead,
        now=NOW,
        today=TODAY,
        expected_version=version,
    )
    assert (activity.kind, activity.occurred_on, activity.duration_minutes, activity.note) == (
        ActivityKind.TELEFONAT,
        date(2025, 3, 2),
        45,
        "neu",
    )
    assert activity.staff == [colleague]
    session.flush()
    assert engagement.version == version  # the author's own row: nobody else's form is stale
    (event,) = _events(session, engagement, "activity.updated")
    assert event.changes["activity"] == activity.id
    assert event.changes["kind"] == ["treffen", "telefonat"]
    assert event.changes["duration_minutes"] == [30, 45]
    assert event.changes["note"] == ["[Freitext]", "[Freitext]"]
    assert event.changes["staff"] == [[], [colleague.id]]
    assert "participants_count" not in event.changes


def test_an_unchanged_activity_writes_no_event(session, engagement, lead):
    activity = _log(session, engagement, lead)
    version = engagement.version
    update_activity(
        session,
        activity,
        ActivityInput(kind=ActivityKind.TREFFEN, occurred_on=date(2025, 3, 1)),
        actor=lead,
        now=NOW,
        today=TODAY,
    )
    assert _events(session, engagement, "activity.updated") == []
    assert engagement.version == version


def test_only_the_author_may_change_or_delete(session, lead):
    co = factories.make_staff_member(session)
    boss = factories.make_staff_member(session, role=Role.ADMIN)
    engagement = factories.make_engagement(session, lead=lead, co=[co])
    activity = _log(session, engagement, co, note="von co")
    for someone in (lead, boss):
        with pytest.raises(EngagementNotPermitted, match="Nur die Person, die die Aktivität"):
            update_activity(
                session,
                activity,
                ActivityInput(kind=ActivityKind.NOTIZ, occurred_on=TODAY, note="fremd"),
                actor=someone,
                now=NOW,
                today=TODAY,
            )
        with pytest.raises(EngagementNotPermitted, match="kann sie löschen"):
            delete_activity(session, activity, actor=someone, now=NOW)
    assert activity.note == "von co"
    assert _count(session, Activity) == 1
    assert _events(session, engagement, "activity.updated") == []


def test_the_author_deletes_and_the_audit_keeps_kind_and_day(session, engagement, lead):
    colleague = factories.make_staff_member(session)
    activity = _log(session, engagement, lead, note="geheim", staff_ids=[colleague.id])
    activity_id = activity.id
    version = engagement.version
    assert not activity_was_deleted(session, engagement, activity_id)
    delete_activity(session, activity, actor=lead, now=NOW, expected_version=version)
    assert session.get(Activity, activity_id) is None
    assert engagement.version == version
    assert activity_was_deleted(session, engagement, activity_id)
    assert not activity_was_deleted(session, engagement, activity_id + 1)
    (event,) = _events(session, engagement, "activity.deleted")
    assert event.changes == {
        "activity": activity_id,
        "kind": "treffen",
        "occurred_on": "2025-03-01",
        "note": "[Freitext]",
    }


def test_an_author_who_left_the_team_may_no_longer_change_or_delete(session, lead):
    co = factories.make_staff_member(session)
    engagement = factories.make_engagement(session, lead=lead, co=[co])
    activity = _log(session, engagement, co, note="von co")
    assert may_change_activity(activity, co)
    _leave_team(session, engagement, co)
    assert not may_change_activity(activity, co)
    left = "Sie gehören nicht mehr zum Team dieser Prozessbegleitung."
    with pytest.raises(EngagementNotPermitted) as refused:
        update_activity(
            session,
            activity,
            ActivityInput(kind=ActivityKind.NOTIZ, occurred_on=TODAY, note="später"),
            actor=co,
            now=NOW,
            today=TODAY,
        )
    assert str(refused.value) == left
    with pytest.raises(EngagementNotPermitted) as refused:
        delete_activity(session, activity, actor=co, now=NOW)
    assert str(refused.value) == left
    assert activity.note == "von co"
    assert _count(session, Activity) == 1
    assert _events(session, engagement, "activity.updated") == []
    assert _events(session, engagement, "activity.deleted") == []


def test_an_author_who_is_a_lead_keeps_their_activities_off_the_team(session, lead):
    boss = factories.make_staff_member(session, role=Role.LEAD)
    engagement = factories.make_engagement(session, lead=lead)
    activity = _log(session, engagement, boss, note="von der Leitung")
    assert may_change_activity(activity, boss)
    delete_activity(session, activity, actor=boss, now=NOW)
    assert _count(session, Activity) == 0


def test_an_activity_without_author_cannot_be_changed(session, engagement, lead):
    activity = factories.make_activity(session, engagement)
    with pytest.raises(EngagementNotPermitted):
        delete_activity(session, activity, actor=lead, now=NOW)


def test_lists_and_lookups(session, engagement, lead):
    other = factories.make_engagement(session, lead=lead)
    older = factories.make_activity(session, engagement, occurred_on=date(2025, 1, 5))
    newer = factories.make_activity(session, engagement, occurred_on=date(2025, 2, 5))
    foreign = factories.make_activity(session, other)
    assert activities_of(session, engagement.id) == [newer, older]
    assert find_activity(session, engagement, older.id) is older
    assert find_activity(session, engagement, foreign.id) is None
