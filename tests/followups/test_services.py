"""Follow-ups by hand: the rules of adding, completing and discarding, the audit trail, the
conditional close, and the follow-ups moving with a rescheduled engagement."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, time

import pytest
from sqlalchemy import select

from caseflow import clock
from caseflow.audit.models import AuditEvent
from caseflow.engagements.models import EngagementStatus
from caseflow.engagements.services.common import EngagementError, EngagementNotPermitted
from caseflow.engagements.services.team import set_team
from caseflow.engagements.shifting import ShiftItem, shift_candidates
from caseflow.followups.models import FollowUp, FollowUpKind, FollowUpStatus
from caseflow.followups.services import (
    FollowUpClosed,
    StaleFollowUp,
    add_follow_up,
    assignee_candidates,
    complete_follow_up,
    discard_follow_up,
    due_moment,
    edit_follow_up,
    fingerprint,
    latest_due_on,
    open_follow_ups_of,
)
from caseflow.staff.models import Role
from tests import factories

# 10 March 2025, 10:00 in Berlin (CET, UTC+1).
NOW = datetime(2025, 3, 10, 9, 0, tzinfo=UTC)
TODAY = date(2025, 3, 10)
PROGRAMME_END = date(2026, 7, 31)
_numbers = itertools.count(1)


def _staff(session, **fields):
    """A staff member with a login (follow-ups go only to people who can log in)."""
    number = next(_numbers)
    fields.setdefault("email", f"wv-{number}@example.org")
    fields.setdefault("password_hash", "scrypt:test")
    return factories.make_staff_member(session, **fields)


@pytest.fixture
def kim(session):
    return _staff(session, name="Kim Berater")


@pytest.fixture
def noah(session):
    return _staff(session, name="Noah Begleiter")


@pytest.fixture
def engagement(session, kim, noah):
    return factories.make_engagement(session, lead=kim, co=[noah], status=EngagementStatus.AKTIV)


def _add(session, engagement, actor, **values):
    arguments = {
        "due_on": date(2025, 3, 20),
        "kind": FollowUpKind.CHECK_IN,
        "assignee_id": actor.id,
        "note": "Steuerungsgruppe fragen",
        "actor": actor,
        "now": NOW,
        "programme_end": PROGRAMME_END,
    }
    arguments.update(values)
    return add_follow_up(session, engagement, **arguments)


def _events(session, engagement, action):
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


def _count(session) -> int:
    return len(list(session.scalars(select(FollowUp.id))))


# -- adding ------------------------------------------------------------------------------------


def test_add_follow_up_at_nine_local_time_with_audit(session, engagement, kim, noah):
    version = engagement.version
    follow_up = _add(session, engagement, kim, assignee_id=noah.id)
    assert follow_up.status is FollowUpStatus.OFFEN
    assert follow_up.assignee is noah
    assert follow_up.note == "Steuerungsgruppe fragen"
    assert follow_up.created_at == NOW
    assert follow_up.closed_at is None
    # 09:00 in Berlin on 20 March 2025 (CET) is 08:00 UTC
    assert follow_up.due_at == datetime(2025, 3, 20, 8, 0, tzinfo=UTC)
    # a follow-up is a row of its own: the engagement's plan (version) is untouched
    assert engagement.version == version
    (event,) = _events(session, engagement, "follow_up.created")
    assert event.actor_id == kim.id
    assert event.changes["follow_up"] == follow_up.id
    assert event.changes["note"] == [None, "[Freitext]"]
    assert event.changes["kind"] == [None, "check_in"]
    assert event.changes["assignee_id"] == [None, noah.id]
    assert "Steuerungsgruppe" not in str(event.changes)


def test_due_time_is_local_time_also_in_summer(session, engagement, kim):
    follow_up = _add(session, engagement, kim, due_on=date(2025, 7, 1), due_time=time(14, 30))
    assert follow_up.due_at == datetime(2025, 7, 1, 12, 30, tzinfo=UTC)  # CEST, UTC+2
    assert clock.local(follow_up.due_at).time() == time(14, 30)


def test_today_is_allowed_yesterday_is_not(session, engagement, kim):
    assert _add(session, engagement, kim, due_on=TODAY).id
    with pytest.raises(EngagementError) as refused:
        _add(session, engagement, kim, due_on=date(2025, 3, 9))
    assert refused.value.field == "due_on"
    assert "in der Vergangenheit" in str(refused.value)
    assert "10.03.2025" in str(refused.value)
    assert _count(session) == 1


def test_today_is_the_local_day(session, engagement, kim):
    # 23:30 UTC on 9 March is already 10 March in Berlin
    late = datetime(2025, 3, 9, 23, 30, tzinfo=UTC)
    assert _add(session, engagement, kim, due_on=TODAY, now=late).id


def test_due_day_at_most_six_months_after_the_programme_end(session, engagement, kim):
    assert latest_due_on(PROGRAMME_END) == date(2027, 1, 31)
    # after the engagement's own end (31.12.2025): a sustainability check by hand is fine
    assert _add(session, engagement, kim, due_on=date(2027, 1, 31)).id
    with pytest.raises(EngagementError) as refused:
        _add(session, engagement, kim, due_on=date(2027, 2, 1))
    assert refused.value.field == "due_on"
    assert "spätestens am 31.01.2027" in str(refused.value)
    assert _count(session) == 1


@pytest.mark.parametrize("status", [EngagementStatus.GEPLANT, EngagementStatus.PAUSIERT])
def test_open_engagements_take_follow_ups(session, kim, status):
    engagement = factories.make_engagement(session, lead=kim, status=status)
    assert _add(session, engagement, kim).id


@pytest.mark.parametrize("status", [EngagementStatus.ABGESCHLOSSEN, EngagementStatus.ABGEBROCHEN])
def test_closed_engagements_take_no_new_follow_ups(session, kim, status):
    engagement = factories.make_engagement(session, lead=kim, status=status)
    with pytest.raises(EngagementError) as refused:
        _add(session, engagement, kim)
    assert refused.value.field is None
    assert "nur für geplante, aktive oder pausierte" in str(refused.value)
    assert _count(session) == 0
    assert _events(session, engagement, "follow_up.created") == []


def test_only_editors_add(session, engagement, kim):
    outsider = _staff(session)
    with pytest.raises(EngagementNotPermitted):
        _add(session, engagement, outsider)
    lead = _staff(session, role=Role.LEAD)
    assert _add(session, engagement, lead, assignee_id=kim.id).id
    assert _count(session) == 1


def test_assignee_must_be_an_active_staff_member(session, engagement, kim):
    gone = _staff(session, is_active=False)
    # beyond the INTEGER primary key: refused before the database is asked (PostgreSQL
    # would raise a DataError)
    for assignee_id in (gone.id, 999_999, 2**31, 999_999_999_999_999_999):
        with pytest.raises(EngagementError) as refused:
            _add(session, engagement, kim, assignee_id=assignee_id)
        assert refused.value.field == "assignee"
        assert "aktive Person" in str(refused.value)
    # a consultant outside the team could not open the engagement (issue 7 point 11) …
    outsider = _staff(session, name="Otto Außenstehend")
    with pytest.raises(EngagementError) as refused:
        _add(session, engagement, kim, assignee_id=outsider.id)
    assert refused.value.field == "assignee"
    assert "Otto Außenstehend gehört nicht zum Team" in str(refused.value)
    # … a lead outside the team can
    other = _staff(session, role=Role.LEAD)
    assert _add(session, engagement, kim, assignee_id=other.id).assignee is other
    assert _count(session) == 1


def test_assignee_must_be_able_to_log_in(session, engagement, kim):
    contact_only = factories.make_staff_member(session, name="Nur Kontakt")
    no_password = factories.make_staff_member(session, email="ohne-passwort@example.org")
    no_email = factories.make_staff_member(session, password_hash="scrypt:test")
    gone = _staff(session, name="Weg Gegangen", is_active=False)
    for member in (contact_only, no_password, no_email):
        with pytest.raises(EngagementError) as refused:
            _add(session, engagement, kim, assignee_id=member.id)
        assert refused.value.field == "assignee"
        assert "keinen Zugang zu caseflow" in str(refused.value)
    assert _count(session) == 0
    offered = assignee_candidates(session)
    assert kim in offered
    assert not {contact_only, no_password, no_email, gone} & set(offered)
    assert all(member.can_log_in for member in offered)


def test_a_time_that_does_not_exist_is_refused(session, engagement, kim):
    # 30 March 2025: the clocks jump from 02:00 to 03:00 in Berlin
    with pytest.raises(EngagementError) as refused:
        _add(session, engagement, kim, due_on=date(2025, 3, 30), due_time=time(2, 30))
    assert refused.value.field == "due_time"
    assert "Diese Uhrzeit gibt es am 30.03.2025 wegen der Umstellung auf Sommerzeit nicht." in str(
        refused.value
    )
    assert _count(session) == 0
    follow_up = _add(session, engagement, kim, due_on=date(2025, 3, 30), due_time=time(3, 0))
    assert clock.local(follow_up.due_at).time() == time(3, 0)
    with pytest.raises(EngagementError) as refused:
        _edit(session, follow_up, kim, due_time=time(2, 0))
    assert refused.value.field == "due_time"
    session.expire_all()
    assert clock.local(follow_up.due_at).time() == time(3, 0)


def test_an_ambiguous_time_is_its_first_occurrence(session, engagement, kim):
    # 26 October 2025: 02:00 to 03:00 happens twice in Berlin; the first time counts (CEST)
    assert due_moment(date(2025, 10, 26), time(2, 30)) == datetime(2025, 10, 26, 0, 30, tzinfo=UTC)
    follow_up = _add(session, engagement, kim, due_on=date(2025, 10, 26), due_time=time(2, 30))
    assert follow_up.due_at == datetime(2025, 10, 26, 0, 30, tzinfo=UTC)


def test_note_is_optional_and_limited(session, engagement, kim):
    assert _add(session, engagement, kim, note="   ").note is None
    with pytest.raises(EngagementError) as refused:
        _add(session, engagement, kim, note="x" * 2001)
    assert refused.value.field == "note"
    assert _count(session) == 1


# -- completing and discarding -----------------------------------------------------------------


@pytest.fixture
def follow_up(session, engagement, noah):
    return factories.make_follow_up(session, engagement, assignee=noah, note="alt")


def test_complete_with_audit(session, engagement, follow_up, kim):
    complete_follow_up(session, follow_up, actor=kim, now=NOW)
    session.expire_all()
    assert follow_up.status is FollowUpStatus.ERLEDIGT
    assert follow_up.closed_at == NOW
    (event,) = _events(session, engagement, "follow_up.completed")
    assert event.changes == {"follow_up": follow_up.id, "status": ["offen", "erledigt"]}
    assert open_follow_ups_of(session, engagement.id) == []


def test_a_second_complete_is_refused_with_a_message(session, engagement, follow_up, kim):
    complete_follow_up(session, follow_up, actor=kim, now=NOW)
    with pytest.raises(FollowUpClosed, match="bereits erledigt"):
        complete_follow_up(session, follow_up, actor=kim, now=NOW)
    with pytest.raises(FollowUpClosed, match="bereits erledigt"):
        discard_follow_up(session, follow_up, actor=kim, now=NOW)
    assert len(_events(session, engagement, "follow_up.completed")) == 1
    assert _events(session, engagement, "follow_up.discarded") == []


def test_close_is_conditional_on_the_row_still_being_open(session, engagement, follow_up, kim):
    """Another request closed the row after this one loaded it (its copy still says
    "offen"): the conditional UPDATE changes nothing, and the loser is told."""
    later = datetime(2025, 3, 11, 9, 0, tzinfo=UTC)
    session.execute(
        FollowUp.__table__.update()
        .where(FollowUp.__table__.c.id == follow_up.id)
        .values(status="verworfen", closed_at=NOW)
    )
    assert follow_up.status is FollowUpStatus.OFFEN  # the stale copy in this session
    with pytest.raises(FollowUpClosed, match="bereits verworfen"):
        complete_follow_up(session, follow_up, actor=kim, now=later)
    session.expire_all()
    assert follow_up.status is FollowUpStatus.VERWORFEN
    assert follow_up.closed_at == NOW
    assert _events(session, engagement, "follow_up.completed") == []


def test_the_assignee_may_complete_but_not_discard(session, engagement, kim):
    helper = factories.make_staff_member(session, name="Außen Stehend")
    follow_up = factories.make_follow_up(session, engagement, assignee=helper)
    other = factories.make_follow_up(session, engagement, assignee=kim)
    with pytest.raises(EngagementNotPermitted):
        complete_follow_up(session, other, actor=helper, now=NOW)
    with pytest.raises(EngagementNotPermitted):
        discard_follow_up(session, follow_up, actor=helper, now=NOW)
    complete_follow_up(session, follow_up, actor=helper, now=NOW)
    assert follow_up.status is FollowUpStatus.ERLEDIGT
    assert other.status is FollowUpStatus.OFFEN


def test_follow_ups_of_closed_engagements_can_still_be_completed(session, kim):
    engagement = factories.make_engagement(session, lead=kim, status=EngagementStatus.ABGESCHLOSSEN)
    follow_up = factories.make_follow_up(
        session, engagement, assignee=kim, kind=FollowUpKind.NACHHALTIGKEIT
    )
    complete_follow_up(session, follow_up, actor=kim, now=NOW)
    assert follow_up.status is FollowUpStatus.ERLEDIGT


def test_discard_with_a_reason_adds_it_to_the_note(session, engagement, follow_up, kim):
    discard_follow_up(session, follow_up, actor=kim, now=NOW, reason="  erledigt sich  ")
    session.expire_all()
    assert follow_up.status is FollowUpStatus.VERWORFEN
    assert follow_up.closed_at == NOW
    assert follow_up.note == "alt\n\nVerworfen: erledigt sich"
    (event,) = _events(session, engagement, "follow_up.discarded")
    assert event.changes == {
        "follow_up": follow_up.id,
        "status": ["offen", "verworfen"],
        "note": ["[Freitext]", "[Freitext]"],
    }


def test_discard_without_a_reason_keeps_the_note(session, engagement, follow_up, kim):
    discard_follow_up(session, follow_up, actor=kim, now=NOW, reason="")
    assert follow_up.note == "alt"
    (event,) = _events(session, engagement, "follow_up.discarded")
    assert "note" not in event.changes


def test_too_long_a_reason_discards_nothing(session, engagement, follow_up, kim):
    with pytest.raises(EngagementError) as refused:
        discard_follow_up(session, follow_up, actor=kim, now=NOW, reason="x" * 2001)
    assert refused.value.field == "reason"
    session.expire_all()
    assert follow_up.status is FollowUpStatus.OFFEN
    assert _events(session, engagement, "follow_up.discarded") == []


# -- changing ----------------------------------------------------------------------------------


def _edit(session, follow_up, actor, **values):
    local = clock.local(follow_up.due_at)
    arguments = {
        "due_on": local.date(),
        "due_time": local.time(),
        "assignee_id": follow_up.assignee_id,
        "note": follow_up.note,
        "actor": actor,
        "now": NOW,
        "programme_end": PROGRAMME_END,
    }
    arguments.update(values)
    return edit_follow_up(session, follow_up, **arguments)


def test_edit_records_only_what_changed(session, engagement, kim, noah):
    follow_up = factories.make_follow_up(
        session, engagement, assignee=noah, due_on=date(2025, 3, 20), note="alt"
    )
    assert _edit(session, follow_up, kim) is False
    assert _events(session, engagement, "follow_up.updated") == []

    assert _edit(session, follow_up, kim, due_on=date(2025, 4, 2), assignee_id=kim.id, note="neu")
    session.expire_all()
    assert follow_up.due_at == datetime(2025, 4, 2, 7, 0, tzinfo=UTC)  # 09:00 CEST
    assert (follow_up.assignee_id, follow_up.note) == (kim.id, "neu")
    (event,) = _events(session, engagement, "follow_up.updated")
    assert event.changes == {
        "follow_up": follow_up.id,
        "due_at": ["2025-03-20T08:00:00+00:00", "2025-04-02T07:00:00+00:00"],
        "assignee_id": [noah.id, kim.id],
        "note": ["[Freitext]", "[Freitext]"],
    }


def test_an_overdue_follow_up_keeps_its_day_when_only_the_note_changes(session, engagement, kim):
    follow_up = factories.make_follow_up(session, engagement, assignee=kim, due_on=date(2025, 3, 1))
    assert _edit(session, follow_up, kim, note="nachgefragt")
    with pytest.raises(EngagementError) as refused:
        _edit(session, follow_up, kim, due_on=date(2025, 3, 2))
    assert refused.value.field == "due_on"
    session.expire_all()
    assert clock.local(follow_up.due_at).date() == date(2025, 3, 1)


def test_edit_refuses_closed_follow_ups_outsiders_and_inactive_assignees(session, engagement, kim):
    follow_up = factories.make_follow_up(session, engagement, assignee=kim)
    with pytest.raises(EngagementNotPermitted):
        _edit(session, follow_up, _staff(session), note="x")
    gone = _staff(session, is_active=False)
    with pytest.raises(EngagementError) as refused:
        _edit(session, follow_up, kim, assignee_id=gone.id)
    assert refused.value.field == "assignee"
    complete_follow_up(session, follow_up, actor=kim, now=NOW)
    with pytest.raises(FollowUpClosed, match="bereits erledigt"):
        _edit(session, follow_up, kim, note="zu spät")
    session.expire_all()
    assert (follow_up.assignee_id, follow_up.note) == (kim.id, None)
    assert _events(session, engagement, "follow_up.updated") == []


def test_edit_from_an_older_state_is_refused(session, engagement, kim, noah):
    follow_up = factories.make_follow_up(
        session, engagement, assignee=noah, due_on=date(2025, 3, 20), note="alt"
    )
    shown = fingerprint(follow_up)
    assert fingerprint(follow_up) == shown  # stable
    # someone else changes the assignee after the form was shown
    assert _edit(session, follow_up, noah, assignee_id=kim.id, expected_fingerprint=shown)
    assert fingerprint(follow_up) != shown
    with pytest.raises(StaleFollowUp) as refused:
        _edit(
            session,
            follow_up,
            kim,
            assignee_id=noah.id,
            note="von vorhin",
            expected_fingerprint=shown,
        )
    assert "Jemand anderes hat diese Wiedervorlage gerade geändert" in str(refused.value)
    session.expire_all()
    assert (follow_up.assignee_id, follow_up.note) == (kim.id, "alt")
    assert len(_events(session, engagement, "follow_up.updated")) == 1
    # the note and the due moment count as well
    for change in ({"note": "neu"}, {"due_on": date(2025, 3, 21)}):
        current = fingerprint(follow_up)
        assert _edit(session, follow_up, kim, expected_fingerprint=current, **change)
        assert fingerprint(follow_up) != current
        with pytest.raises(StaleFollowUp):
            _edit(session, follow_up, kim, note="x", expected_fingerprint=current)


# -- rescheduling --------------------------------------------------------------------------------


def _shift_items(session, engagement, after: date) -> list[ShiftItem]:
    items = []
    for _receiver, result in shift_candidates.send(engagement, session=session, after=after):
        items.extend(item for item in result if item.kind == "follow_up")
    return items


def test_open_follow_ups_on_or_after_the_day_are_shift_candidates(session, engagement, kim):
    before = factories.make_follow_up(session, engagement, assignee=kim, due_on=date(2025, 3, 19))
    on_the_day = factories.make_follow_up(
        session, engagement, assignee=kim, due_on=date(2025, 3, 20), note="Termin klären"
    )
    later = factories.make_follow_up(session, engagement, assignee=kim, due_on=date(2025, 5, 2))
    factories.make_follow_up(
        session, engagement, assignee=kim, due_on=date(2025, 4, 1), status=FollowUpStatus.ERLEDIGT
    )
    other = factories.make_engagement(session, lead=kim)
    factories.make_follow_up(session, other, assignee=kim, due_on=date(2025, 4, 1))

    items = _shift_items(session, engagement, date(2025, 3, 20))
    assert [item.item_id for item in items] == [on_the_day.id, later.id]
    first = items[0]
    assert first.label == "Wiedervorlage"
    assert first.title == "Check-in: Termin klären"
    assert first.due == date(2025, 3, 20)
    assert before.id not in {item.item_id for item in items}


def test_an_early_morning_follow_up_counts_by_its_local_day(session, engagement, kim):
    # 00:30 in Berlin on 20 March is still 19 March in UTC
    follow_up = factories.make_follow_up(session, engagement, assignee=kim)
    follow_up.due_at = due_moment(date(2025, 3, 20), time(0, 30))
    session.flush()
    assert follow_up.due_at.date() == date(2025, 3, 19)
    (item,) = _shift_items(session, engagement, date(2025, 3, 20))
    assert item.due == date(2025, 3, 20)
    assert _shift_items(session, engagement, date(2025, 3, 21)) == []


def test_move_keeps_the_local_time_of_day_across_daylight_saving(session, engagement, kim):
    follow_up = factories.make_follow_up(session, engagement, assignee=kim)
    follow_up.due_at = due_moment(date(2025, 3, 20), time(14, 15))  # CET
    session.flush()
    (item,) = _shift_items(session, engagement, date(2025, 3, 1))
    item.move(date(2025, 4, 3))  # CEST
    session.flush()
    session.expire_all()
    assert follow_up.due_at == datetime(2025, 4, 3, 12, 15, tzinfo=UTC)
    assert clock.local(follow_up.due_at).time() == time(14, 15)


def test_the_open_follow_ups_of_someone_who_leaves_the_team_go_to_the_lead(
    session, engagement, kim, noah
):
    open_one = factories.make_follow_up(session, engagement, assignee=noah, note="offen")
    done = factories.make_follow_up(session, engagement, assignee=noah, note="erledigt")
    complete_follow_up(session, done, actor=noah, now=NOW)
    kims = factories.make_follow_up(session, engagement, assignee=kim, note="Kims")
    set_team(
        session,
        engagement,
        lead_id=kim.id,
        co_ids=[],
        actor=kim,
        now=NOW,
        expected_version=engagement.version,
        capacity_limit=4,
    )
    session.expire_all()
    assert open_one.assignee_id == kim.id
    assert done.assignee_id == noah.id  # what is done keeps who did it
    assert kims.assignee_id == kim.id
    event = session.scalars(
        select(AuditEvent)
        .where(AuditEvent.action == "engagement.team_changed")
        .order_by(AuditEvent.id.desc())
    ).first()
    assert event.changes["removed"] == [noah.id]
    assert event.changes["follow_ups_reassigned"] == [open_one.id]
