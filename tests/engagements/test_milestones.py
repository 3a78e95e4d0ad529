"""Milestones and phases: the services that complete, reopen, drop, edit and add milestones
and begin phases, each rule and each refusal (nothing saved), and their audit rows."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from caseflow.audit.models import AuditEvent
from caseflow.engagements.models import Engagement, EngagementStatus, MilestoneStatus
from caseflow.engagements.services.common import (
    EngagementError,
    EngagementNotPermitted,
    StaleEngagement,
)
from caseflow.engagements.services.milestones import (
    add_milestone,
    complete_milestone,
    drop_milestone,
    edit_milestone,
    owner_candidates,
    phase_states,
    reopen_milestone,
    start_phase,
)
from caseflow.staff.models import Role
from tests import factories

S = EngagementStatus
NOW = datetime(2025, 3, 10, 9, 0, tzinfo=UTC)
TODAY = date(2025, 3, 10)
GATE = "Kooperationsvereinbarung unterzeichnet"


def _events(session, engagement: Engagement, action: str) -> list[AuditEvent]:
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


def _milestone(engagement: Engagement, title: str):
    (found,) = [m for m in factories.milestones_of(engagement) if m.title == title]
    return found


@pytest.fixture
def lead(session):
    return factories.make_staff_member(session, name="Kim Berater")


@pytest.fixture
def engagement(session, lead):
    return factories.make_engagement(session, lead=lead, status=S.AKTIV)


# --- complete ----------------------------------------------------------------------------


def test_complete_sets_status_day_person_note_and_bumps_the_version(session, lead, engagement):
    milestone = _milestone(engagement, GATE)
    version = engagement.version
    complete_milestone(
        session,
        milestone,
        actor=lead,
        now=NOW,
        completed_on=date(2025, 2, 3),
        evidence_note="  unterschriebene Vereinbarung liegt vor ",
        expected_version=version,
    )
    assert milestone.status is MilestoneStatus.ERLEDIGT
    assert milestone.completed_on == date(2025, 2, 3)
    assert milestone.completed_by_id == lead.id
    assert milestone.evidence_note == "unterschriebene Vereinbarung liegt vor"
    assert engagement.version == version + 1
    (event,) = _events(session, engagement, "engagement.milestone_completed")
    assert event.actor_id == lead.id
    assert event.changes["milestone"] == milestone.id
    assert event.changes["status"] == ["offen", "erledigt"]
    assert event.changes["evidence_note"] == [None, "[Freitext]"]
    assert "Vereinbarung" not in str(event.changes)


def test_complete_on_today_without_a_note(session, lead, engagement):
    milestone = _milestone(engagement, "Erstgespräch")
    complete_milestone(session, milestone, actor=lead, now=NOW, completed_on=TODAY)
    assert (milestone.completed_on, milestone.evidence_note) == (TODAY, None)


def test_a_milestone_of_a_phase_not_yet_begun_may_be_completed(session, lead, engagement):
    milestone = _milestone(engagement, "Selbstcheck durchgeführt")
    assert milestone.phase.started_on is None
    complete_milestone(session, milestone, actor=lead, now=NOW, completed_on=TODAY)
    assert milestone.status is MilestoneStatus.ERLEDIGT


@pytest.mark.parametrize(
    ("day", "message"),
    [
        (date(2025, 3, 11), r"nicht in der Zukunft liegen \(heute ist der 10\.03\.2025\)"),
        (date(2024, 12, 31), r"nicht vor dem Beginn der Prozessbegleitung \(01\.01\.2025\)"),
        (None, "wann der Meilenstein erledigt wurde"),
    ],
)
def test_complete_refuses_a_day_in_the_future_or_before_the_start(
    session, lead, engagement, day, message
):
    milestone = _milestone(engagement, GATE)
    version = engagement.version
    with pytest.raises(EngagementError, match=message) as refused:
        complete_milestone(session, milestone, actor=lead, now=NOW, completed_on=day)
    assert refused.value.field == "completed_on"
    assert (milestone.status, milestone.completed_on) == (MilestoneStatus.OFFEN, None)
    assert engagement.version == version
    assert _events(session, engagement, "engagement.milestone_completed") == []


def test_complete_refuses_a_too_long_note(session, lead, engagement):
    milestone = _milestone(engagement, GATE)
    with pytest.raises(EngagementError, match="höchstens 2.000 Zeichen") as refused:
        complete_milestone(
            session, milestone, actor=lead, now=NOW, completed_on=TODAY, evidence_note="x" * 2001
        )
    assert refused.value.field == "evidence_note"
    assert milestone.status is MilestoneStatus.OFFEN


@pytest.mark.parametrize("status", [MilestoneStatus.ERLEDIGT, MilestoneStatus.ENTFALLEN])
def test_only_an_open_milestone_can_be_completed(session, lead, engagement, status):
    milestone = _milestone(engagement, GATE)
    if status is MilestoneStatus.ERLEDIGT:
        factories.complete_milestone(session, milestone, on=date(2025, 2, 1))
    else:
        factories.drop_milestone(session, milestone)
    with pytest.raises(EngagementError, match=f"ist {status.value}; nur ein offener"):
        complete_milestone(session, milestone, actor=lead, now=NOW, completed_on=TODAY)
    assert milestone.status is status


# --- reopen ------------------------------------------------------------------------------


def test_reopen_a_done_milestone_clears_the_completion(session, lead, engagement):
    milestone = _milestone(engagement, GATE)
    complete_milestone(
        session, milestone, actor=lead, now=NOW, completed_on=TODAY, evidence_note="liegt vor"
    )
    version = engagement.version
    reopen_milestone(session, milestone, actor=lead, now=NOW, expected_version=version)
    assert milestone.status is MilestoneStatus.OFFEN
    assert (milestone.completed_on, milestone.completed_by_id, milestone.evidence_note) == (
        None,
        None,
        None,
    )
    assert engagement.version == version + 1
    (event,) = _events(session, engagement, "engagement.milestone_reopened")
    assert event.changes["status"] == ["erledigt", "offen"]
    assert event.changes["evidence_note"] == ["[Freitext]", None]


def test_reopen_a_dropped_milestone_clears_the_reason(session, lead, engagement):
    milestone = _milestone(engagement, GATE)
    drop_milestone(session, milestone, actor=lead, now=NOW, reason="nicht mehr nötig")
    reopen_milestone(session, milestone, actor=lead, now=NOW)
    assert (milestone.status, milestone.drop_reason) == (MilestoneStatus.OFFEN, None)
    (event,) = _events(session, engagement, "engagement.milestone_reopened")
    assert event.changes["drop_reason"] == ["[Freitext]", None]


def test_reopen_refuses_an_open_milestone(session, lead, engagement):
    milestone = _milestone(engagement, GATE)
    with pytest.raises(EngagementError, match="ist bereits offen"):
        reopen_milestone(session, milestone, actor=lead, now=NOW)
    assert _events(session, engagement, "engagement.milestone_reopened") == []


# --- drop --------------------------------------------------------------------------------


def test_drop_needs_a_reason_and_records_it_redacted(session, lead, engagement):
    milestone = _milestone(engagement, "Selbstcheck durchgeführt")
    for reason in (None, "", "  \n "):
        with pytest.raises(EngagementError, match="warum der Meilenstein entfällt") as refused:
            drop_milestone(session, milestone, actor=lead, now=NOW, reason=reason)
        assert refused.value.field == "reason"
        assert milestone.status is MilestoneStatus.OFFEN
    drop_milestone(session, milestone, actor=lead, now=NOW, reason=" Geheimer Grund ")
    assert (milestone.status, milestone.drop_reason) == (
        MilestoneStatus.ENTFALLEN,
        "Geheimer Grund",
    )
    (event,) = _events(session, engagement, "engagement.milestone_dropped")
    assert event.changes["drop_reason"] == [None, "[Freitext]"]
    assert "Geheim" not in str(event.changes)


def test_a_done_milestone_cannot_be_dropped(session, lead, engagement):
    milestone = _milestone(engagement, GATE)
    factories.complete_milestone(session, milestone, on=date(2025, 2, 1))
    with pytest.raises(EngagementError, match="ist erledigt; nur ein offener Meilenstein kann"):
        drop_milestone(session, milestone, actor=lead, now=NOW, reason="x")
    assert milestone.status is MilestoneStatus.ERLEDIGT


# --- edit --------------------------------------------------------------------------------


def test_edit_changes_title_owner_and_due_date_but_not_the_baseline(session, lead):
    co = factories.make_staff_member(session, name="Co Beraterin")
    engagement = factories.make_engagement(session, lead=lead, co=[co], status=S.AKTIV)
    milestone = _milestone(engagement, "Selbstcheck durchgeführt")
    baseline = milestone.baseline_due_date
    version = engagement.version
    edit_milestone(
        session,
        milestone,
        actor=lead,
        now=NOW,
        title="  Selbstcheck mit Leitung ",
        owner_id=co.id,
        due_date=date(2025, 4, 1),
        expected_version=version,
    )
    assert (milestone.title, milestone.owner_id, milestone.due_date) == (
        "Selbstcheck mit Leitung",
        co.id,
        date(2025, 4, 1),
    )
    assert milestone.baseline_due_date == baseline == date(2025, 3, 23)
    assert engagement.version == version + 1
    (event,) = _events(session, engagement, "engagement.milestone_edited")
    assert event.changes["milestone"] == milestone.id
    assert event.changes["owner"] == [lead.id, co.id]
    assert event.changes["due_date"] in (
        [date(2025, 3, 23), date(2025, 4, 1)],
        ["2025-03-23", "2025-04-01"],
    )
    assert event.changes["title"] == ["[Freitext]", "[Freitext]"]


def test_edit_without_a_change_writes_nothing(session, lead, engagement):
    milestone = _milestone(engagement, GATE)
    version = engagement.version
    edit_milestone(
        session,
        milestone,
        actor=lead,
        now=NOW,
        title=milestone.title,
        owner_id=lead.id,
        due_date=milestone.due_date,
    )
    assert engagement.version == version
    assert _events(session, engagement, "engagement.milestone_edited") == []


@pytest.mark.parametrize(
    ("due", "message"),
    [
        (date(2025, 2, 5), "in der Phase „Bestandsaufnahme & Analyse“ liegen"),
        (date(2025, 5, 8), "zwischen dem 06.02.2025 und dem 07.05.2025"),
        (None, "Bitte geben Sie das Fälligkeitsdatum an."),
    ],
)
def test_edit_keeps_the_due_date_inside_its_phase(session, lead, engagement, due, message):
    milestone = _milestone(engagement, "Selbstcheck durchgeführt")
    with pytest.raises(EngagementError, match=message) as refused:
        edit_milestone(
            session, milestone, actor=lead, now=NOW, title="Neu", owner_id=lead.id, due_date=due
        )
    assert refused.value.field == "due_date"
    assert (milestone.title, milestone.due_date) == ("Selbstcheck durchgeführt", date(2025, 3, 23))


def test_edit_keeps_the_due_date_inside_the_engagement(session, lead, engagement):
    # A phase that (after someone's rescheduling) reaches past the planned end.
    last = engagement.phases[-1]
    last.end_date = date(2026, 1, 31)
    session.flush()
    milestone = last.milestones[-1]
    with pytest.raises(EngagementError, match="und dem 31.12.2025") as refused:
        edit_milestone(
            session,
            milestone,
            actor=lead,
            now=NOW,
            title=milestone.title,
            owner_id=lead.id,
            due_date=date(2026, 1, 15),
        )
    assert refused.value.field == "due_date"


@pytest.mark.parametrize("title", [None, "", "   ", "x" * 201])
def test_edit_needs_a_short_title(session, lead, engagement, title):
    milestone = _milestone(engagement, GATE)
    with pytest.raises(EngagementError) as refused:
        edit_milestone(
            session,
            milestone,
            actor=lead,
            now=NOW,
            title=title,
            owner_id=lead.id,
            due_date=milestone.due_date,
        )
    assert refused.value.field == "title"
    assert milestone.title == GATE


def test_the_owner_must_be_an_active_member_of_the_team(session, lead):
    co = factories.make_staff_member(session)
    stranger = factories.make_staff_member(session)
    engagement = factories.make_engagement(session, lead=lead, co=[co], status=S.AKTIV)
    milestone = _milestone(engagement, GATE)
    co.is_active = False
    session.flush()
    for owner_id in (stranger.id, co.id, 999_999, None):
        with pytest.raises(EngagementError) as refused:
            edit_milestone(
                session,
                milestone,
                actor=lead,
                now=NOW,
                title=GATE,
                owner_id=owner_id,
                due_date=milestone.due_date,
            )
        assert refused.value.field == "owner"
        assert milestone.owner_id == lead.id
    assert "aktive Person aus dem Team" in str(refused.value) or "wer verantwortlich" in str(
        refused.value
    )
    assert owner_candidates(engagement) == [lead]


def test_the_current_owner_may_stay_after_leaving_the_team(session, lead):
    co = factories.make_staff_member(session)
    engagement = factories.make_engagement(session, lead=lead, co=[co], status=S.AKTIV)
    milestone = _milestone(engagement, GATE)
    milestone.owner = co
    engagement.assignments[:] = [a for a in engagement.assignments if a.staff_member_id != co.id]
    session.flush()
    assert owner_candidates(engagement, co) == [lead, co]
    edit_milestone(
        session,
        milestone,
        actor=lead,
        now=NOW,
        title="Vereinbarung unterzeichnet",
        owner_id=co.id,
        due_date=milestone.due_date,
    )
    assert (milestone.title, milestone.owner_id) == ("Vereinbarung unterzeichnet", co.id)


# --- add ---------------------------------------------------------------------------------


def test_add_a_milestone_to_a_phase(session, lead, engagement):
    phase = engagement.phases[1]
    version = engagement.version
    milestone = add_milestone(
        session,
        phase,
        actor=lead,
        now=NOW,
        title="Interviews mit Mitarbeitenden",
        owner_id=lead.id,
        due_date=date(2025, 3, 23),
        is_gate=True,
        expected_version=version,
    )
    assert milestone.id is not None
    assert milestone.phase_id == phase.id
    assert milestone.status is MilestoneStatus.OFFEN
    assert milestone.due_date == milestone.baseline_due_date == date(2025, 3, 23)
    assert milestone.is_gate
    assert milestone.created_at == NOW
    # after the phase's other milestone of that day
    session.expire(phase, ["milestones"])
    assert [m.title for m in phase.milestones][:2] == [
        "Selbstcheck durchgeführt",
        "Interviews mit Mitarbeitenden",
    ]
    assert engagement.version == version + 1
    (event,) = _events(session, engagement, "engagement.milestone_added")
    assert event.changes["milestone"] == milestone.id
    assert event.changes["phase"] == phase.id
    assert event.changes["title"] == [None, "[Freitext]"]
    assert event.changes["is_gate"] == [None, True]


def test_add_refuses_a_due_date_outside_the_phase(session, lead, engagement):
    phase = engagement.phases[1]
    count = len(phase.milestones)
    with pytest.raises(EngagementError, match="in der Phase") as refused:
        add_milestone(
            session,
            phase,
            actor=lead,
            now=NOW,
            title="Zu spät",
            owner_id=lead.id,
            due_date=date(2025, 6, 1),
        )
    assert refused.value.field == "due_date"
    session.expire_all()
    assert len(phase.milestones) == count
    assert _events(session, engagement, "engagement.milestone_added") == []


def test_add_refuses_an_owner_from_another_team(session, lead, engagement):
    other_lead = factories.make_staff_member(session)
    factories.make_engagement(session, lead=other_lead)
    with pytest.raises(EngagementError, match="aus dem Team") as refused:
        add_milestone(
            session,
            engagement.phases[0],
            actor=lead,
            now=NOW,
            title="Extra",
            owner_id=other_lead.id,
            due_date=date(2025, 1, 20),
        )
    assert refused.value.field == "owner"


# --- gates and beginning phases ----------------------------------------------------------


def test_phases_begin_in_order_and_the_gate_guards_the_second(session, lead, engagement):
    first, second, third = engagement.phases[:3]
    with pytest.raises(EngagementError, match="erst beginnen, wenn die Phase „Auftragsklärung“"):
        start_phase(session, second, actor=lead, now=NOW)
    start_phase(session, first, actor=lead, now=NOW)
    assert first.started_on == TODAY
    (event,) = _events(session, engagement, "engagement.phase_started")
    assert event.changes["phase"] == first.id

    with pytest.raises(EngagementError) as refused:
        start_phase(session, second, actor=lead, now=NOW)
    assert str(refused.value) == (
        "Die Phase „Bestandsaufnahme & Analyse“ kann erst beginnen, wenn "
        "„Kooperationsvereinbarung unterzeichnet“ erledigt ist."
    )
    assert second.started_on is None
    states = phase_states(engagement)
    assert states[second.id].is_next and not states[second.id].can_start
    assert [gate.title for gate in states[second.id].blocking_gates] == [GATE]
    assert not states[third.id].is_next

    complete_milestone(
        session, _milestone(engagement, GATE), actor=lead, now=NOW, completed_on=TODAY
    )
    assert phase_states(engagement)[second.id].can_start
    start_phase(session, second, actor=lead, now=NOW)
    assert second.started_on == TODAY
    with pytest.raises(EngagementError, match="hat bereits am 10.03.2025 begonnen"):
        start_phase(session, second, actor=lead, now=NOW)


def test_a_dropped_gate_does_not_block(session, lead, engagement):
    first, second = engagement.phases[:2]
    start_phase(session, first, actor=lead, now=NOW)
    drop_milestone(session, _milestone(engagement, GATE), actor=lead, now=NOW, reason="entfällt")
    start_phase(session, second, actor=lead, now=NOW)
    assert second.started_on == TODAY


def test_the_refusal_names_every_open_gate(session, lead, engagement):
    first, second, third = engagement.phases[:3]
    extra = add_milestone(
        session,
        second,
        actor=lead,
        now=NOW,
        title="Analyse abgenommen",
        owner_id=lead.id,
        due_date=date(2025, 5, 7),
        is_gate=True,
    )
    start_phase(session, first, actor=lead, now=NOW)
    drop_milestone(session, _milestone(engagement, GATE), actor=lead, now=NOW, reason="x")
    start_phase(session, second, actor=lead, now=NOW)
    reopen_milestone(session, _milestone(engagement, GATE), actor=lead, now=NOW)
    with pytest.raises(EngagementError) as refused:
        start_phase(session, third, actor=lead, now=NOW)
    assert f"„{GATE}“, „{extra.title}“ erledigt sind." in str(refused.value)


@pytest.mark.parametrize("status", [S.GEPLANT, S.PAUSIERT])
def test_a_phase_begins_only_in_an_active_engagement(session, lead, status):
    engagement = factories.make_engagement(session, lead=lead, status=status)
    with pytest.raises(EngagementError, match="nur in einer aktiven Prozessbegleitung"):
        start_phase(session, engagement.phases[0], actor=lead, now=NOW)
    assert engagement.phases[0].started_on is None


# --- what every service checks -----------------------------------------------------------


def _every_change(session, engagement, actor, expected_version=None):
    """One call of each service on ``engagement`` (each fails or succeeds on its own)."""
    gate = _milestone(engagement, GATE)
    done = _milestone(engagement, "Erstgespräch")
    return [
        lambda: complete_milestone(
            session,
            gate,
            actor=actor,
            now=NOW,
            completed_on=TODAY,
            expected_version=expected_version,
        ),
        lambda: reopen_milestone(
            session, done, actor=actor, now=NOW, expected_version=expected_version
        ),
        lambda: drop_milestone(
            session, gate, actor=actor, now=NOW, reason="x", expected_version=expected_version
        ),
        lambda: edit_milestone(
            session,
            gate,
            actor=actor,
            now=NOW,
            title="Neu",
            owner_id=gate.owner_id,
            due_date=gate.due_date,
            expected_version=expected_version,
        ),
        lambda: add_milestone(
            session,
            engagement.phases[0],
            actor=actor,
            now=NOW,
            title="Neu",
            owner_id=gate.owner_id,
            due_date=gate.due_date,
            expected_version=expected_version,
        ),
        lambda: start_phase(
            session, engagement.phases[0], actor=actor, now=NOW, expected_version=expected_version
        ),
    ]


def _audit_count(session, engagement) -> int:
    return len(
        list(
            session.scalars(
                select(AuditEvent).where(
                    AuditEvent.object_type == "engagement", AuditEvent.object_id == engagement.id
                )
            )
        )
    )


@pytest.mark.parametrize("index", range(6))
def test_other_consultants_may_not_change_anything(session, lead, engagement, index):
    factories.complete_milestone(session, _milestone(engagement, "Erstgespräch"), on=TODAY)
    other = factories.make_staff_member(session, role=Role.CONSULTANT)
    before = _audit_count(session, engagement)
    version = engagement.version
    with pytest.raises(EngagementNotPermitted):
        _every_change(session, engagement, other)[index]()
    assert _audit_count(session, engagement) == before
    assert engagement.version == version


@pytest.mark.parametrize("index", range(6))
def test_a_lead_outside_the_team_and_a_co_consultant_may(session, lead, index):
    co = factories.make_staff_member(session)
    boss = factories.make_staff_member(session, role=Role.LEAD)
    for actor in (co, boss):
        engagement = factories.make_engagement(session, lead=lead, co=[co], status=S.AKTIV)
        factories.complete_milestone(session, _milestone(engagement, "Erstgespräch"), on=TODAY)
        version = engagement.version
        _every_change(session, engagement, actor, expected_version=version)[index]()
        assert engagement.version == version + 1


@pytest.mark.parametrize("index", range(6))
def test_a_stale_version_is_refused(session, lead, engagement, index):
    factories.complete_milestone(session, _milestone(engagement, "Erstgespräch"), on=TODAY)
    shown = engagement.version
    reopen_milestone(session, _milestone(engagement, "Erstgespräch"), actor=lead, now=NOW)
    factories.complete_milestone(session, _milestone(engagement, "Erstgespräch"), on=TODAY)
    before = _audit_count(session, engagement)
    with pytest.raises(StaleEngagement, match="gerade geändert"):
        _every_change(session, engagement, lead, expected_version=shown)[index]()
    assert _audit_count(session, engagement) == before
    assert engagement.phases[0].started_on is None
    assert _milestone(engagement, GATE).status is MilestoneStatus.OFFEN


@pytest.mark.parametrize("status", [S.ABGESCHLOSSEN, S.ABGEBROCHEN])
@pytest.mark.parametrize("index", range(6))
def test_closed_engagements_are_kept_as_they_were(session, lead, status, index):
    engagement = factories.make_engagement(session, lead=lead, status=status)
    factories.complete_milestone(session, _milestone(engagement, "Erstgespräch"), on=TODAY)
    version = engagement.version
    before = _audit_count(session, engagement)
    with pytest.raises(EngagementError, match=f"ist {status.value}; ihre Meilensteine"):
        _every_change(session, engagement, lead)[index]()
    assert engagement.version == version
    assert _audit_count(session, engagement) == before


@pytest.mark.parametrize("status", [S.GEPLANT, S.PAUSIERT])
def test_milestones_change_in_planned_and_paused_engagements(session, lead, status):
    engagement = factories.make_engagement(session, lead=lead, status=status)
    complete_milestone(
        session, _milestone(engagement, "Erstgespräch"), actor=lead, now=NOW, completed_on=TODAY
    )
    assert _milestone(engagement, "Erstgespräch").status is MilestoneStatus.ERLEDIGT
