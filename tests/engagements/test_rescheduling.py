"""Rescheduling and extending an engagement: the services, their refusals and messages, the
audit rows, and follow-ups moving along through the ``shift_candidates`` signal."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, time

import pytest
from sqlalchemy import select

from caseflow import clock
from caseflow.audit.models import AuditEvent
from caseflow.engagements.models import Engagement, EngagementStatus, Milestone
from caseflow.engagements.rules import ProgrammeWindow
from caseflow.engagements.services.common import (
    EngagementError,
    EngagementNotPermitted,
    StaleEngagement,
)
from caseflow.engagements.services.rescheduling import (
    Anchor,
    PlanChanged,
    ShiftRefused,
    extend,
    find_anchor,
    preview_reschedule,
    reschedule,
)
from caseflow.engagements.shifting import AnchorKind, ShiftItem, shift_candidates
from caseflow.followups.models import FollowUp, FollowUpStatus
from caseflow.staff.models import Role
from tests import factories

S = EngagementStatus
NOW = datetime(2025, 3, 10, 9, 0, tzinfo=UTC)
TODAY = date(2025, 3, 10)
# A day before the engagement of the ``engagement`` fixture begins (moves into January allowed).
EARLY = date(2024, 12, 1)
WINDOW = factories.WINDOW


@pytest.fixture
def lead(session):
    return factories.make_staff_member(session, name="Kim Berater", role=Role.CONSULTANT)


@pytest.fixture
def engagement(session, lead) -> Engagement:
    """2025-01-01 … 2025-12-31, active, planned from the default template."""
    return factories.make_engagement(session, lead=lead, status=S.AKTIV)


@pytest.fixture
def follow_ups_move_along(session) -> Iterator[None]:
    """A receiver like the follow-ups feature's: open follow-ups of the engagement dated on or
    after ``after``, moved keeping their time of day."""

    def receiver(engagement: Engagement, *, session, after: date) -> list[ShiftItem]:
        rows = session.scalars(
            select(FollowUp).where(
                FollowUp.engagement_id == engagement.id,
                FollowUp.status == FollowUpStatus.OFFEN,
            )
        )
        items = []
        for row in rows:
            due = clock.local(row.due_at).date()
            if due < after:
                continue

            def move(new: date, row: FollowUp = row) -> None:
                row.due_at = clock.start_of_day(new) + (
                    clock.local(row.due_at) - clock.start_of_day(clock.local(row.due_at).date())
                )

            items.append(
                ShiftItem("follow_up", row.id, "Wiedervorlage", row.note or "Check-in", due, move)
            )
        return items

    shift_candidates.connect(receiver, weak=False)
    try:
        yield
    finally:
        shift_candidates.disconnect(receiver)


def _milestone(engagement: Engagement, title: str) -> Milestone:
    (found,) = [m for m in factories.milestones_of(engagement) if m.title == title]
    return found


def _anchor(engagement: Engagement, kind: AnchorKind, anchor_id: int | None = None) -> Anchor:
    anchor = find_anchor(engagement, kind, anchor_id)
    assert anchor is not None
    return anchor


def _dates(engagement: Engagement) -> dict[str, date]:
    return {m.title: m.due_date for m in factories.milestones_of(engagement)}


def _spans(engagement: Engagement) -> list[tuple[date, date]]:
    return [(p.start_date, p.end_date) for p in engagement.phases]


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


def _preview(session, engagement, anchor, days, *, shift_later=True, actor, **kw):
    return preview_reschedule(
        session,
        engagement,
        anchor=anchor,
        days=days,
        shift_later=shift_later,
        actor=actor,
        today=kw.pop("today", TODAY),
        window=kw.pop("window", WINDOW),
    )


def _move(
    session, engagement, anchor, days, *, shift_later=True, actor, window=WINDOW, today=TODAY, **kw
):
    """Save a shift as the page does: the digest of the preview shown first (a refused preview
    leaves none; the save then raises the same refusal)."""
    digest = kw.pop("expected_digest", None)
    if digest is None:
        try:
            shown = _preview(
                session,
                engagement,
                anchor,
                days,
                shift_later=shift_later,
                actor=actor,
                today=today,
                window=window,
            )
            digest = shown.digest
        except EngagementError:
            digest = ""
    return reschedule(
        session,
        engagement,
        anchor=anchor,
        days=days,
        shift_later=shift_later,
        actor=actor,
        now=NOW,
        today=today,
        expected_version=kw.pop("expected_version", engagement.version),
        expected_digest=digest,
        window=window,
    )


def _assert_unchanged(session, engagement, dates, spans, start=date(2025, 1, 1)):
    session.expire_all()
    assert _dates(engagement) == dates
    assert _spans(engagement) == spans
    assert engagement.start_date == start
    assert _events(session, engagement, "engagement.rescheduled") == []


# --- a milestone --------------------------------------------------------------------------

FINAL = "Abschlussbericht und Verstetigungsplan"
SELFCHECK = "Selbstcheck durchgeführt"


def _finish_final_report(session, engagement: Engagement) -> Milestone:
    return factories.complete_milestone(session, _milestone(engagement, FINAL), on=date(2025, 3, 1))


def test_a_milestone_with_all_later_open_items(session, lead, engagement, follow_ups_move_along):
    final = _finish_final_report(session, engagement)
    done = factories.complete_milestone(
        session, _milestone(engagement, "Zielworkshop"), on=date(2025, 3, 1)
    )
    early = factories.make_follow_up(session, engagement, assignee=lead, due_on=date(2025, 3, 1))
    later = factories.make_follow_up(session, engagement, assignee=lead, due_on=date(2025, 6, 1))
    closed = factories.make_follow_up(
        session, engagement, assignee=lead, due_on=date(2025, 6, 2), status=FollowUpStatus.ERLEDIGT
    )
    version = engagement.version
    selfcheck = _milestone(engagement, SELFCHECK)
    anchor = _anchor(engagement, AnchorKind.MILESTONE, selfcheck.id)

    plan = _move(session, engagement, anchor, 14, actor=lead)

    dates = _dates(engagement)
    assert dates[SELFCHECK] == date(2025, 4, 6)
    assert dates["Analysebericht Zugangsbarrieren"] == date(2025, 5, 21)
    assert dates["Maßnahmenplan verabschiedet"] == date(2025, 7, 15)
    assert dates["Fortbildung für Mitarbeitende"] == date(2025, 11, 20)
    assert dates["Abschlussevaluation"] == date(2025, 12, 18)
    # earlier open ones and done ones stay
    assert dates["Kooperationsvereinbarung unterzeichnet"] == date(2025, 2, 5)
    assert (done.due_date, final.due_date) == (date(2025, 6, 4), date(2025, 12, 31))
    # every later boundary moved; the last phase still ends on the planned end
    assert _spans(engagement) == [
        (date(2025, 1, 1), date(2025, 2, 5)),
        (date(2025, 2, 6), date(2025, 5, 21)),
        (date(2025, 5, 22), date(2025, 7, 15)),
        (date(2025, 7, 16), date(2025, 11, 20)),
        (date(2025, 11, 21), date(2025, 12, 31)),
    ]
    assert selfcheck.baseline_due_date == date(2025, 3, 23)
    assert engagement.planned_end_date == engagement.baseline_end_date == date(2025, 12, 31)
    # follow-ups: the later open one moved (keeping 09:00), the others did not
    assert clock.local(later.due_at).date() == date(2025, 6, 15)
    assert clock.local(later.due_at).time() == time(9, 0)
    assert clock.local(early.due_at).date() == date(2025, 3, 1)
    assert clock.local(closed.due_at).date() == date(2025, 6, 2)
    assert engagement.version == version + 1

    (event,) = _events(session, engagement, "engagement.rescheduled")
    assert (event.actor_id, event.occurred_at) == (lead.id, NOW)
    assert event.changes["anchor"] == "milestone"
    assert event.changes["anchor_id"] == selfcheck.id
    assert event.changes["days"] == 14
    moved = event.changes["moved"]
    assert {"kind": "follow_up", "id": later.id, "old": "2025-06-01", "new": "2025-06-15"} in moved
    assert {"kind": "milestone", "id": selfcheck.id, "old": "2025-03-23", "new": "2025-04-06"} in (
        moved
    )
    assert len(moved) == len(plan.moves) == 8  # 7 milestones and 1 follow-up
    assert len(event.changes["phases"]) == 4


def test_shifting_past_the_planned_end_is_refused_naming_the_item(session, lead, engagement):
    dates, spans = _dates(engagement), _spans(engagement)
    anchor = _anchor(engagement, AnchorKind.MILESTONE, _milestone(engagement, SELFCHECK).id)
    with pytest.raises(EngagementError) as refused:
        _move(session, engagement, anchor, 1, actor=lead)
    assert (
        "„Abschlussbericht und Verstetigungsplan“ (Meilenstein) läge nach dem geplanten Ende "
        "31.12.2025" in str(refused.value)
    )
    assert "Abschlussevaluation" not in str(refused.value)
    assert str(refused.value).endswith(
        "Verlängern Sie zuerst die Prozessbegleitung oder verschieben Sie ohne die späteren "
        "Termine."
    )
    assert isinstance(refused.value, ShiftRefused)
    assert refused.value.suggests_extension
    assert refused.value.field == "new_date"
    _assert_unchanged(session, engagement, dates, spans)


def test_passing_the_end_of_an_engagement_that_cannot_be_extended(session, lead):
    """18 months already: moving without the later dates is the only way left."""
    engagement = factories.make_engagement(
        session, lead=lead, status=S.AKTIV, end=date(2026, 6, 30)
    )
    anchor = _anchor(engagement, AnchorKind.MILESTONE, _milestone(engagement, SELFCHECK).id)
    with pytest.raises(ShiftRefused) as refused:
        _move(session, engagement, anchor, 1, actor=lead)
    message = str(refused.value)
    assert "läge nach dem geplanten Ende 30.06.2026" in message
    assert message.endswith("Verschieben Sie ohne die späteren Termine.")
    assert "Verlängern" not in message
    assert not refused.value.suggests_extension


def test_a_single_milestone_past_the_end_suggests_extending_only(session, lead, engagement):
    final = _milestone(engagement, FINAL)
    with pytest.raises(ShiftRefused) as refused:
        _move(
            session,
            engagement,
            _anchor(engagement, AnchorKind.MILESTONE, final.id),
            3,
            shift_later=False,
            actor=lead,
        )
    assert str(refused.value).endswith("Verlängern Sie zuerst die Prozessbegleitung.")
    assert refused.value.suggests_extension


def test_shifting_past_the_programme_end_is_refused(session, lead, engagement):
    _finish_final_report(session, engagement)
    dates, spans = _dates(engagement), _spans(engagement)
    evaluation = _milestone(engagement, "Abschlussevaluation")
    short = ProgrammeWindow(WINDOW.start, date(2025, 12, 10))
    with pytest.raises(EngagementError) as refused:
        _move(
            session,
            engagement,
            _anchor(engagement, AnchorKind.MILESTONE, evaluation.id),
            10,
            shift_later=False,
            actor=lead,
            window=short,
        )
    assert (
        "„Abschlussevaluation“ (Meilenstein) läge nach dem Ende des Förderzeitraums 10.12.2025"
        in str(refused.value)
    )
    _assert_unchanged(session, engagement, dates, spans)


def test_a_follow_up_passing_the_planned_end_is_named(
    session, lead, engagement, follow_ups_move_along
):
    _finish_final_report(session, engagement)
    factories.make_follow_up(
        session, engagement, assignee=lead, due_on=date(2025, 12, 30), note="Letzter Anruf"
    )
    evaluation = _milestone(engagement, "Abschlussevaluation")
    with pytest.raises(EngagementError) as refused:
        _move(
            session,
            engagement,
            _anchor(engagement, AnchorKind.MILESTONE, evaluation.id),
            7,
            actor=lead,
        )
    # (the follow-ups feature's own receiver may name it "Check-in: Letzter Anruf")
    assert "Letzter Anruf“ (Wiedervorlage) läge nach dem geplanten Ende 31.12.2025" in str(
        refused.value
    )


def test_a_follow_up_after_the_planned_end_keeps_its_date(
    session, lead, engagement, follow_ups_move_along
):
    _finish_final_report(session, engagement)
    check = factories.make_follow_up(session, engagement, assignee=lead, due_on=date(2026, 3, 31))
    evaluation = _milestone(engagement, "Abschlussevaluation")
    _move(
        session, engagement, _anchor(engagement, AnchorKind.MILESTONE, evaluation.id), 7, actor=lead
    )
    assert clock.local(check.due_at).date() == date(2026, 3, 31)
    assert evaluation.due_date == date(2025, 12, 11)


def test_moving_before_the_start_is_refused(session, lead, engagement):
    dates, spans = _dates(engagement), _spans(engagement)
    first = _milestone(engagement, "Erstgespräch")
    with pytest.raises(
        EngagementError, match="„Erstgespräch“ \\(Meilenstein\\) läge vor dem Beginn 01.01.2025"
    ):
        _move(
            session,
            engagement,
            _anchor(engagement, AnchorKind.MILESTONE, first.id),
            -1,
            shift_later=False,
            actor=lead,
        )
    _assert_unchanged(session, engagement, dates, spans)


def test_a_single_milestone_moved_past_its_phase_end_takes_the_boundary(session, lead, engagement):
    gate = _milestone(engagement, "Kooperationsvereinbarung unterzeichnet")
    anchor = _anchor(engagement, AnchorKind.MILESTONE, gate.id)
    _move(session, engagement, anchor, 10, shift_later=False, actor=lead, today=EARLY)
    assert gate.due_date == date(2025, 2, 15)
    assert _milestone(engagement, "Steuerungsgruppe benannt").due_date == date(2025, 2, 5)
    assert _spans(engagement)[:2] == [
        (date(2025, 1, 1), date(2025, 2, 15)),
        (date(2025, 2, 16), date(2025, 5, 7)),
    ]


def test_a_milestone_may_not_push_another_out_of_its_phase(session, lead, engagement):
    dates, spans = _dates(engagement), _spans(engagement)
    anchor = _anchor(engagement, AnchorKind.MILESTONE, _milestone(engagement, SELFCHECK).id)
    with pytest.raises(EngagementError) as refused:
        # 2025-03-23 → 2025-06-10: phase 2 would end then, but the Zielworkshop (2025-06-04)
        # belongs to phase 3.
        _move(session, engagement, anchor, 79, shift_later=False, actor=lead)
    assert (
        "„Zielworkshop“ (Meilenstein) läge außerhalb seiner Phase „Zielentwicklung & "
        "Maßnahmenplanung“ (11.06.2025–01.07.2025)" in str(refused.value)
    )
    _assert_unchanged(session, engagement, dates, spans)


def test_done_or_dropped_milestones_cannot_be_moved(session, lead, engagement):
    done = factories.complete_milestone(
        session, _milestone(engagement, "Erstgespräch"), on=date(2025, 1, 1)
    )
    anchor = _anchor(engagement, AnchorKind.MILESTONE, done.id)
    with pytest.raises(EngagementError, match="„Erstgespräch“ ist erledigt und wird nicht"):
        _move(session, engagement, anchor, 3, actor=lead)
    assert done.due_date == date(2025, 1, 1)


# --- nothing open moves into the past ------------------------------------------------------


def test_nothing_open_is_moved_into_the_past(session, lead, engagement, follow_ups_move_along):
    """Today is 10.03.2025: the self-check (23.03.) to 01.03. with every later date would put
    it and a follow-up of 25.03. into the past."""
    follow_up = factories.make_follow_up(
        session, engagement, assignee=lead, due_on=date(2025, 3, 25), note="Rückruf Amtsleitung"
    )
    dates, spans = _dates(engagement), _spans(engagement)
    anchor = _anchor(engagement, AnchorKind.MILESTONE, _milestone(engagement, SELFCHECK).id)
    with pytest.raises(EngagementError) as refused:
        _move(session, engagement, anchor, -22, actor=lead)
    message = str(refused.value)
    assert f"„{SELFCHECK}“ (Meilenstein) läge in der Vergangenheit (01.03.2025)" in message
    assert "Rückruf Amtsleitung“ (Wiedervorlage) läge in der Vergangenheit (03.03.2025)" in message
    assert "Analysebericht" not in message  # 07.05. → 15.04. is fine
    assert refused.value.field == "new_date"
    _assert_unchanged(session, engagement, dates, spans)
    assert clock.local(follow_up.due_at).date() == date(2025, 3, 25)
    # Up to today is fine.
    _move(session, engagement, anchor, -13, actor=lead)
    assert _milestone(engagement, SELFCHECK).due_date == TODAY
    assert clock.local(follow_up.due_at).date() == date(2025, 3, 12)


def test_an_overdue_milestone_moves_to_today_or_later(session, lead, engagement):
    gate = _milestone(engagement, "Kooperationsvereinbarung unterzeichnet")  # due 05.02.
    anchor = _anchor(engagement, AnchorKind.MILESTONE, gate.id)
    with pytest.raises(EngagementError, match=r"läge in der Vergangenheit \(09.03.2025\)"):
        _move(session, engagement, anchor, 32, shift_later=False, actor=lead)
    assert gate.due_date == date(2025, 2, 5)
    _move(session, engagement, anchor, 33, shift_later=False, actor=lead)
    assert gate.due_date == TODAY
    # The other overdue milestone of the phase does not move, and is not in the way.
    assert _milestone(engagement, "Steuerungsgruppe benannt").due_date == date(2025, 2, 5)


def test_a_planned_start_may_be_back_dated_but_nothing_open_moves_into_the_past(session, lead):
    """Decided: a planned engagement may record that it began earlier (the start may lie
    before today, not before the programme start), but its open dates do not move into the
    past: the Erstgespräch on the start must be done first."""
    engagement = factories.make_engagement(
        session, lead=lead, start=date(2025, 3, 1), end=date(2026, 2, 28)
    )
    with pytest.raises(
        EngagementError,
        match=r"„Erstgespräch“ \(Meilenstein\) läge in der Vergangenheit \(15.02.2025\)",
    ):
        _move(
            session,
            engagement,
            _anchor(engagement, AnchorKind.START),
            -14,
            shift_later=False,
            actor=lead,
        )
    assert engagement.start_date == date(2025, 3, 1)
    factories.complete_milestone(session, _milestone(engagement, "Erstgespräch"), on=TODAY)
    _move(
        session,
        engagement,
        _anchor(engagement, AnchorKind.START),
        -14,
        shift_later=False,
        actor=lead,
    )
    assert engagement.start_date == date(2025, 2, 15)
    assert engagement.phases[0].start_date == date(2025, 2, 15)


# --- the preview is what is saved ------------------------------------------------------------


def test_a_follow_up_added_after_the_preview_is_not_moved_unseen(
    session, lead, engagement, follow_ups_move_along
):
    _finish_final_report(session, engagement)
    anchor = _anchor(engagement, AnchorKind.MILESTONE, _milestone(engagement, SELFCHECK).id)
    shown = _preview(session, engagement, anchor, 14, actor=lead)
    added = factories.make_follow_up(
        session, engagement, assignee=lead, due_on=date(2025, 6, 1), note="Neu"
    )
    dates, spans, version = _dates(engagement), _spans(engagement), engagement.version
    with pytest.raises(PlanChanged) as changed:
        _move(session, engagement, anchor, 14, actor=lead, expected_digest=shown.digest)
    assert str(changed.value) == (
        "Seit der Vorschau hat sich etwas geändert. Bitte prüfen Sie die neue Vorschau und "
        "speichern Sie dann."
    )
    new_plan = changed.value.plan
    assert ("follow_up", added.id, date(2025, 6, 15)) in {
        (move.kind, move.item_id, move.new) for move in new_plan.moves
    }
    assert new_plan.digest != shown.digest
    session.flush()
    assert engagement.version == version
    _assert_unchanged(session, engagement, dates, spans)
    assert clock.local(added.due_at).date() == date(2025, 6, 1)
    # Saved on the new preview: done.
    _move(session, engagement, anchor, 14, actor=lead, expected_digest=new_plan.digest)
    assert clock.local(added.due_at).date() == date(2025, 6, 15)


def test_a_save_without_a_preview_or_of_another_shift_is_not_made(session, lead, engagement):
    anchor = _anchor(engagement, AnchorKind.MILESTONE, _milestone(engagement, SELFCHECK).id)
    dates, spans = _dates(engagement), _spans(engagement)
    with pytest.raises(PlanChanged, match="Bitte prüfen Sie die Vorschau und speichern") as none:
        _move(session, engagement, anchor, -3, actor=lead, expected_digest="")
    assert none.value.plan.moves
    shown = _preview(session, engagement, anchor, -3, actor=lead)
    with pytest.raises(PlanChanged, match="Seit der Vorschau hat sich etwas geändert"):
        _move(session, engagement, anchor, -4, actor=lead, expected_digest=shown.digest)
    with pytest.raises(PlanChanged):
        _move(
            session,
            engagement,
            anchor,
            -3,
            shift_later=False,
            actor=lead,
            expected_digest=shown.digest,
        )
    _assert_unchanged(session, engagement, dates, spans)


# --- a phase ------------------------------------------------------------------------------


def test_a_phase_end_moves_its_end_milestones_and_the_next_start(session, lead, engagement):
    first = engagement.phases[0]
    _move(
        session,
        engagement,
        _anchor(engagement, AnchorKind.PHASE, first.id),
        7,
        shift_later=False,
        actor=lead,
        today=EARLY,
    )
    assert _spans(engagement)[:2] == [
        (date(2025, 1, 1), date(2025, 2, 12)),
        (date(2025, 2, 13), date(2025, 5, 7)),
    ]
    dates = _dates(engagement)
    assert dates["Kooperationsvereinbarung unterzeichnet"] == date(2025, 2, 12)
    assert dates["Steuerungsgruppe benannt"] == date(2025, 2, 12)
    assert dates[SELFCHECK] == date(2025, 3, 23)


def test_a_phase_end_earlier_with_the_later_items(session, lead, engagement):
    second = engagement.phases[1]
    _move(session, engagement, _anchor(engagement, AnchorKind.PHASE, second.id), -7, actor=lead)
    dates = _dates(engagement)
    assert dates["Analysebericht Zugangsbarrieren"] == date(2025, 4, 30)
    assert dates["Zielworkshop"] == date(2025, 5, 28)
    assert dates[FINAL] == date(2025, 12, 24)
    assert dates[SELFCHECK] == date(2025, 3, 23)
    assert _spans(engagement)[1:] == [
        (date(2025, 2, 6), date(2025, 4, 30)),
        (date(2025, 5, 1), date(2025, 6, 24)),
        (date(2025, 6, 25), date(2025, 10, 30)),
        (date(2025, 10, 31), date(2025, 12, 31)),
    ]


def test_a_phase_end_earlier_than_its_milestones_is_refused(session, lead, engagement):
    second = engagement.phases[1]
    dates, spans = _dates(engagement), _spans(engagement)
    with pytest.raises(
        EngagementError,
        match="„Selbstcheck durchgeführt“ \\(Meilenstein\\) läge außerhalb seiner Phase",
    ):
        # 2025-05-07 → 2025-03-20: the self-check (2025-03-23) is not at the end, so it stays.
        _move(
            session,
            engagement,
            _anchor(engagement, AnchorKind.PHASE, second.id),
            -48,
            shift_later=False,
            actor=lead,
        )
    _assert_unchanged(session, engagement, dates, spans)


def test_a_phase_cannot_lose_all_its_days(session, lead, engagement):
    first = engagement.phases[0]
    dates, spans = _dates(engagement), _spans(engagement)
    with pytest.raises(
        EngagementError, match="Die Phase „Auftragsklärung“ hätte keinen Tag mehr"
    ) as refused:
        _move(
            session,
            engagement,
            _anchor(engagement, AnchorKind.PHASE, first.id),
            -40,
            shift_later=False,
            actor=lead,
            today=EARLY,
        )
    # Not its Erstgespräch "outside its phase (01.01.2025–27.12.2024)": a backwards range.
    assert "außerhalb" not in str(refused.value)
    _assert_unchanged(session, engagement, dates, spans)


def test_the_last_phase_end_is_the_planned_end(session, lead, engagement):
    last = engagement.phases[-1]
    with pytest.raises(EngagementError, match="verlängern Sie die Prozessbegleitung"):
        _move(session, engagement, _anchor(engagement, AnchorKind.PHASE, last.id), 7, actor=lead)


# --- the start ----------------------------------------------------------------------------


def test_moving_the_start_of_a_planned_engagement_keeps_the_planned_end(session, lead):
    engagement = factories.make_engagement(session, lead=lead)
    _move(
        session,
        engagement,
        _anchor(engagement, AnchorKind.START),
        14,
        shift_later=False,
        actor=lead,
        today=EARLY,
    )
    assert engagement.start_date == date(2025, 1, 15)
    assert engagement.planned_end_date == date(2025, 12, 31)
    assert engagement.phases[0].start_date == date(2025, 1, 15)
    assert _milestone(engagement, "Erstgespräch").due_date == date(2025, 1, 15)
    assert _milestone(engagement, "Erstgespräch").baseline_due_date == date(2025, 1, 1)
    (event,) = _events(session, engagement, "engagement.rescheduled")
    assert event.changes["start_date"] == ["2025-01-01", "2025-01-15"]


def test_moving_the_start_earlier_with_everything(session, lead):
    engagement = factories.make_engagement(session, lead=lead)
    _move(session, engagement, _anchor(engagement, AnchorKind.START), -14, actor=lead, today=EARLY)
    assert engagement.start_date == date(2024, 12, 18)
    assert _milestone(engagement, FINAL).due_date == date(2025, 12, 17)
    assert _spans(engagement)[0] == (date(2024, 12, 18), date(2025, 1, 22))
    assert _spans(engagement)[-1] == (date(2025, 10, 24), date(2025, 12, 31))


def test_moving_the_start_keeps_the_date_rules(session, lead):
    engagement = factories.make_engagement(session, lead=lead, end=date(2025, 6, 30))
    with pytest.raises(EngagementError, match="Das Ende muss zwischen dem") as refused:
        _move(
            session,
            engagement,
            _anchor(engagement, AnchorKind.START),
            1,
            shift_later=False,
            actor=lead,
        )
    assert refused.value.field == "new_date"
    assert engagement.start_date == date(2025, 1, 1)
    early = factories.make_engagement(
        session, lead=lead, start=date(2024, 4, 1), end=date(2025, 3, 31)
    )
    with pytest.raises(EngagementError, match="nicht vor dem Start des Förderzeitraums"):
        _move(session, early, _anchor(early, AnchorKind.START), -1, shift_later=False, actor=lead)


def test_the_start_of_a_running_engagement_stays(session, lead, engagement):
    with pytest.raises(EngagementError, match="solange die Prozessbegleitung geplant ist"):
        _move(session, engagement, _anchor(engagement, AnchorKind.START), 7, actor=lead)


# --- every shift ---------------------------------------------------------------------------


def test_zero_days_is_refused(session, lead, engagement):
    anchor = _anchor(engagement, AnchorKind.MILESTONE, _milestone(engagement, SELFCHECK).id)
    with pytest.raises(EngagementError, match="nichts zu verschieben") as refused:
        _move(session, engagement, anchor, 0, actor=lead)
    assert refused.value.field == "new_date"


@pytest.mark.parametrize("days", [10**6, -(10**6), 3_000_000])
def test_huge_shifts_are_refused_not_crashed(session, lead, engagement, days):
    anchor = _anchor(engagement, AnchorKind.MILESTONE, _milestone(engagement, SELFCHECK).id)
    with pytest.raises(EngagementError, match="So lässt sich nicht verschieben") as refused:
        _move(session, engagement, anchor, days, actor=lead)
    # Every later milestone and phase passes a limit: 5 problems are named, the rest counted.
    message = str(refused.value)
    assert message.count("; ") == 4
    assert re.search(r" … und \d+ weitere\.", message)


def test_closed_engagements_are_not_rescheduled(session, lead):
    engagement = factories.make_engagement(session, lead=lead, status=S.ABGESCHLOSSEN)
    anchor = _anchor(engagement, AnchorKind.MILESTONE, _milestone(engagement, SELFCHECK).id)
    with pytest.raises(EngagementError, match="ist abgeschlossen"):
        _move(session, engagement, anchor, 3, actor=lead)


def test_other_consultants_may_not_reschedule(session, lead, engagement):
    other = factories.make_staff_member(session, role=Role.CONSULTANT)
    anchor = _anchor(engagement, AnchorKind.MILESTONE, _milestone(engagement, SELFCHECK).id)
    with pytest.raises(EngagementNotPermitted):
        _move(session, engagement, anchor, -3, actor=other)
    with pytest.raises(EngagementNotPermitted):
        _preview(session, engagement, anchor, -3, actor=other)


def test_a_stale_form_is_refused(session, lead, engagement):
    anchor = _anchor(engagement, AnchorKind.MILESTONE, _milestone(engagement, SELFCHECK).id)
    shown = engagement.version
    _move(session, engagement, anchor, -3, actor=lead)
    anchor = _anchor(engagement, AnchorKind.MILESTONE, _milestone(engagement, SELFCHECK).id)
    with pytest.raises(StaleEngagement):
        _move(session, engagement, anchor, -3, actor=lead, expected_version=shown)
    assert _milestone(engagement, SELFCHECK).due_date == date(2025, 3, 20)


def test_the_preview_saves_nothing(session, lead, engagement, follow_ups_move_along):
    _finish_final_report(session, engagement)
    follow_up = factories.make_follow_up(
        session, engagement, assignee=lead, due_on=date(2025, 6, 1)
    )
    dates, spans, version = _dates(engagement), _spans(engagement), engagement.version
    anchor = _anchor(engagement, AnchorKind.MILESTONE, _milestone(engagement, SELFCHECK).id)
    plan = _preview(session, engagement, anchor, 14, actor=lead)
    assert ("follow_up", follow_up.id, date(2025, 6, 15)) in {
        (move.kind, move.item_id, move.new) for move in plan.moves
    }
    session.flush()
    assert engagement.version == version
    assert clock.local(follow_up.due_at).date() == date(2025, 6, 1)
    _assert_unchanged(session, engagement, dates, spans)


def test_an_anchor_of_another_engagement_is_not_found(session, lead, engagement):
    other = factories.make_engagement(session, lead=lead)
    assert (
        find_anchor(engagement, AnchorKind.MILESTONE, factories.milestones_of(other)[0].id) is None
    )
    assert find_anchor(engagement, AnchorKind.PHASE, other.phases[0].id) is None


# --- extension ----------------------------------------------------------------------------


def _extend(session, engagement, new_end, reason="Personalwechsel beim Träger", **kw):
    extend(
        session,
        engagement,
        new_end=new_end,
        reason=reason,
        actor=kw.pop("actor"),
        now=NOW,
        today=kw.pop("today", TODAY),
        expected_version=kw.pop("expected_version", engagement.version),
        window=kw.pop("window", WINDOW),
    )


def test_an_extension_moves_the_planned_end_and_the_last_phase(session, lead, engagement):
    dates, version = _dates(engagement), engagement.version
    _extend(session, engagement, date(2026, 3, 31), reason="  Personalwechsel  ", actor=lead)
    assert engagement.planned_end_date == date(2026, 3, 31)
    assert engagement.baseline_end_date == date(2025, 12, 31)
    assert engagement.extension_reason == "10.03.2025: bis 31.03.2026 – Personalwechsel"
    assert engagement.phases[-1].end_date == date(2026, 3, 31)
    assert _dates(engagement) == dates
    assert engagement.version == version + 1
    (event,) = _events(session, engagement, "engagement.extended")
    assert event.changes["planned_end_date"] == ["2025-12-31", "2026-03-31"]
    assert event.changes["extension_reason"] == [None, "[Freitext]"]
    assert "Personalwechsel" not in str(event.changes)


def test_a_second_extension_keeps_the_first_reason(session, lead, engagement):
    _extend(session, engagement, date(2026, 3, 31), reason="Personalwechsel", actor=lead)
    _extend(
        session,
        engagement,
        date(2026, 6, 30),
        reason=" Fortbildung\n  erst im Sommer ",
        actor=lead,
        today=date(2025, 9, 1),
    )
    assert engagement.extension_reason == (
        "10.03.2025: bis 31.03.2026 – Personalwechsel\n"
        "01.09.2025: bis 30.06.2026 – Fortbildung erst im Sommer"
    )
    assert engagement.baseline_end_date == date(2025, 12, 31)
    first, second = _events(session, engagement, "engagement.extended")
    assert first.changes["extension_reason"] == [None, "[Freitext]"]
    assert second.changes["extension_reason"] == ["[Freitext]", "[Freitext]"]
    assert second.changes["planned_end_date"] == ["2026-03-31", "2026-06-30"]
    assert "Fortbildung" not in str(second.changes)


def test_each_extension_reason_may_have_2000_characters(session, lead, engagement):
    _extend(session, engagement, date(2026, 3, 31), reason="a" * 2000, actor=lead)
    with pytest.raises(EngagementError, match="höchstens 2.000 Zeichen") as refused:
        _extend(session, engagement, date(2026, 6, 30), reason="b" * 2001, actor=lead)
    assert refused.value.field == "reason"
    assert engagement.planned_end_date == date(2026, 3, 31)
    _extend(session, engagement, date(2026, 6, 30), reason="b" * 2000, actor=lead)
    session.flush()
    session.expire_all()
    assert engagement.extension_reason.splitlines()[1].endswith("b" * 2000)
    assert len(engagement.extension_reason) > 4000


@pytest.mark.parametrize(
    ("new_end", "message"),
    [
        (date(2025, 12, 31), "nach dem bisherigen geplanten Ende (31.12.2025) liegen"),
        (date(2025, 11, 30), "nur verlängern, nicht verkürzen"),
        (date(2026, 7, 1), "zwischen dem 30.06.2025 und dem 30.06.2026 liegen"),
    ],
)
def test_extension_date_rules(session, lead, engagement, new_end, message):
    with pytest.raises(EngagementError, match=re.escape(message)) as refused:
        _extend(session, engagement, new_end, actor=lead)
    assert refused.value.field == "new_end"
    assert engagement.planned_end_date == date(2025, 12, 31)
    assert engagement.phases[-1].end_date == date(2025, 12, 31)
    assert _events(session, engagement, "engagement.extended") == []


def test_extension_stays_inside_the_programme(session, lead):
    engagement = factories.make_engagement(
        session, lead=lead, start=date(2025, 6, 1), end=date(2026, 5, 31)
    )
    with pytest.raises(EngagementError, match="und dem 31.07.2026 liegen"):
        _extend(session, engagement, date(2026, 8, 31), actor=lead)
    _extend(session, engagement, date(2026, 7, 31), actor=lead)
    assert engagement.planned_end_date == date(2026, 7, 31)


@pytest.mark.parametrize("reason", [None, "", "  \n "])
def test_extension_needs_a_reason(session, lead, engagement, reason):
    with pytest.raises(EngagementError, match="Bitte begründen Sie die Verlängerung") as refused:
        _extend(session, engagement, date(2026, 3, 31), reason=reason, actor=lead)
    assert refused.value.field == "reason"
    assert engagement.planned_end_date == date(2025, 12, 31)


def test_extension_refusals_for_closed_stale_and_outsiders(session, lead, engagement):
    other = factories.make_staff_member(session, role=Role.CONSULTANT)
    with pytest.raises(EngagementNotPermitted):
        _extend(session, engagement, date(2026, 3, 31), actor=other)
    with pytest.raises(StaleEngagement):
        _extend(session, engagement, date(2026, 3, 31), actor=lead, expected_version=0)
    closed = factories.make_engagement(session, lead=lead, status=S.ABGEBROCHEN)
    with pytest.raises(EngagementError, match="ist abgebrochen"):
        _extend(session, closed, date(2026, 3, 31), actor=lead)
    assert engagement.planned_end_date == date(2025, 12, 31)
