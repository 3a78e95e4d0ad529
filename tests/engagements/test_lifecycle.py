"""The engagement lifecycle: the transition table, its guards, the service and the page."""

from __future__ import annotations

import itertools
import re
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select, text

from caseflow import clock
from caseflow.audit.models import AuditEvent
from caseflow.engagements.models import Engagement, EngagementStatus, MilestoneStatus
from caseflow.engagements.services import (
    EngagementError,
    EngagementNotPermitted,
    StaleEngagement,
    change_status,
)
from caseflow.engagements.transitions import (
    TransitionError,
    allowed_transitions,
    check_transition,
)
from caseflow.staff.models import Role
from tests import factories
from tests.conftest import csrf_token
from tests.pages.helpers import page_text

S = EngagementStatus
NOW = datetime(2025, 3, 10, 9, 0, tzinfo=UTC)
TODAY = date(2025, 3, 10)

# Written from the issue, independently of caseflow.engagements.transitions.
EXPECTED_MOVES = {
    ("geplant", "aktiv"),
    ("geplant", "abgebrochen"),
    ("aktiv", "pausiert"),
    ("pausiert", "aktiv"),
    ("aktiv", "abgeschlossen"),
    ("aktiv", "abgebrochen"),
    ("pausiert", "abgebrochen"),
}
ALL_PAIRS = list(itertools.product([s.value for s in S], repeat=2))
FINAL_TITLES = ("Abschlussevaluation", "Abschlussbericht und Verstetigungsplan")


def _events(session, engagement: Engagement) -> list[AuditEvent]:
    return list(
        session.scalars(
            select(AuditEvent)
            .where(
                AuditEvent.object_type == "engagement",
                AuditEvent.object_id == engagement.id,
                AuditEvent.action == "engagement.status_changed",
            )
            .order_by(AuditEvent.id)
        )
    )


def _final_milestones(engagement: Engagement):
    return max(engagement.phases, key=lambda phase: phase.position).milestones


def _finish_final_phase(session, engagement: Engagement) -> None:
    for milestone in _final_milestones(engagement):
        factories.complete_milestone(session, milestone, on=date(2025, 3, 1))


@pytest.fixture
def lead(session):
    return factories.make_staff_member(session, name="Kim Berater", role=Role.CONSULTANT)


# --- the table ---------------------------------------------------------------------------


@pytest.mark.parametrize(("current", "target"), ALL_PAIRS)
def test_check_transition_matches_the_table(app, current, target):
    with app.test_request_context():
        if (current, target) in EXPECTED_MOVES:
            check_transition(S(current), S(target))
        else:
            with pytest.raises(TransitionError):
                check_transition(S(current), S(target))


@pytest.mark.parametrize("current", [s.value for s in S])
def test_allowed_transitions_lists_exactly_the_table(current):
    expected = {target for source, target in EXPECTED_MOVES if source == current}
    assert {s.value for s in allowed_transitions(S(current))} == expected


def test_refusal_messages_are_german(app):
    with app.test_request_context():
        with pytest.raises(TransitionError) as closed:
            check_transition(S.ABGESCHLOSSEN, S.AKTIV)
        with pytest.raises(TransitionError) as skipped:
            check_transition(S.GEPLANT, S.ABGESCHLOSSEN)
    assert "bereits „abgeschlossen“" in str(closed.value)
    assert str(skipped.value) == (
        "Eine Prozessbegleitung mit dem Status „geplant“ kann nicht auf „abgeschlossen“ "
        "gesetzt werden."
    )


@pytest.mark.parametrize(("current", "target"), ALL_PAIRS)
def test_change_status_follows_the_table(session, lead, current, target):
    engagement = factories.make_engagement(session, lead=lead, status=S(current))
    _finish_final_phase(session, engagement)
    version = engagement.version
    if (current, target) in EXPECTED_MOVES:
        change_status(session, engagement, S(target), actor=lead, now=NOW, reason="Grund")
        assert engagement.status is S(target)
        assert engagement.status_changed_at == NOW
        assert engagement.version == version + 1
        assert len(_events(session, engagement)) == 1
    else:
        with pytest.raises(TransitionError):
            change_status(session, engagement, S(target), actor=lead, now=NOW, reason="Grund")
        assert engagement.status is S(current)
        assert _events(session, engagement) == []


# --- guards ------------------------------------------------------------------------------


def test_start_keeps_the_start_date_and_needs_no_end(session, lead):
    engagement = factories.make_engagement(session, lead=lead)
    change_status(session, engagement, S.AKTIV, actor=lead, now=NOW)
    assert engagement.start_date == date(2025, 1, 1)
    assert engagement.actual_end_date is None
    assert engagement.status_reason is None


def test_start_begins_the_first_phase_once(session, lead):
    engagement = factories.make_engagement(session, lead=lead)
    change_status(session, engagement, S.AKTIV, actor=lead, now=NOW)
    assert [phase.started_on for phase in engagement.phases] == [TODAY, None, None, None, None]
    event = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "engagement.status_changed")
    ).one()
    assert event.changes["phase_started"] == engagement.phases[0].id
    # Pausing and resuming does not begin anything again.
    change_status(session, engagement, S.PAUSIERT, actor=lead, now=NOW)
    change_status(session, engagement, S.AKTIV, actor=lead, now=NOW)
    assert [phase.started_on for phase in engagement.phases] == [TODAY, None, None, None, None]


def test_start_waits_for_the_start_date(session, lead):
    engagement = factories.make_engagement(
        session, lead=lead, start=date(2025, 4, 1), end=date(2025, 12, 31)
    )
    with pytest.raises(EngagementError, match=r"beginnt laut Plan am 01\.04\.2025"):
        change_status(session, engagement, S.AKTIV, actor=lead, now=NOW)
    assert engagement.status is S.GEPLANT
    assert engagement.phases[0].started_on is None
    assert not session.scalars(
        select(AuditEvent).where(AuditEvent.action == "engagement.status_changed")
    ).all()
    on_the_day = datetime(2025, 3, 31, 22, 0, tzinfo=UTC)  # 1 April in Berlin
    change_status(session, engagement, S.AKTIV, actor=lead, now=on_the_day)
    assert engagement.phases[0].started_on == date(2025, 4, 1)


def test_a_closed_engagement_shows_nothing_overdue_and_no_next_milestone(
    client, session, logged_in
):
    member = logged_in(Role.CONSULTANT)
    engagement = factories.make_engagement(session, lead=member, status=S.AKTIV)
    with clock.frozen(TODAY):
        running = page_text(client.get(f"/engagements/{engagement.id}"))
        engagement.status = S.ABGEBROCHEN
        engagement.actual_end_date = TODAY
        session.flush()
        cancelled = page_text(client.get(f"/engagements/{engagement.id}"))
    assert "überfällig" in running and "Nächster Meilenstein Erstgespräch" in running
    assert "überfällig" not in cancelled
    assert "Nächster Meilenstein –" in cancelled


def test_start_needs_a_lead(session, lead):
    admin = factories.make_staff_member(session, role=Role.ADMIN)
    engagement = factories.make_engagement(session, lead=lead)
    engagement.assignments.clear()  # delete-orphan: the lead's row goes
    session.flush()
    session.expire(engagement)
    with pytest.raises(EngagementError, match="genau eine aktive Person die Federführung"):
        change_status(session, engagement, S.AKTIV, actor=admin, now=NOW)
    assert engagement.status is S.GEPLANT
    assert _events(session, engagement) == []


def test_start_needs_an_active_lead(session, lead):
    engagement = factories.make_engagement(session, lead=lead)
    lead.is_active = False
    session.flush()
    admin = factories.make_staff_member(session, role=Role.ADMIN)
    with pytest.raises(EngagementError, match="Federführung"):
        change_status(session, engagement, S.AKTIV, actor=admin, now=NOW)
    assert engagement.status is S.GEPLANT


def test_completing_names_the_open_final_milestones(session, lead):
    engagement = factories.make_engagement(session, lead=lead, status=S.AKTIV)
    first, second = _final_milestones(engagement)
    assert (first.title, second.title) == FINAL_TITLES
    factories.complete_milestone(session, first, on=date(2025, 3, 1))
    with pytest.raises(EngagementError) as refused:
        change_status(session, engagement, S.ABGESCHLOSSEN, actor=lead, now=NOW)
    message = str(refused.value)
    assert "„Abschlussbericht und Verstetigungsplan“" in message
    assert "„Abschlussevaluation“" not in message
    assert "Evaluation & Verstetigung" in message
    assert (engagement.status, engagement.actual_end_date) == (S.AKTIV, None)

    factories.drop_milestone(session, second, reason="nicht mehr nötig")
    change_status(session, engagement, S.ABGESCHLOSSEN, actor=lead, now=NOW)
    assert (engagement.status, engagement.actual_end_date) == (S.ABGESCHLOSSEN, TODAY)


def test_completing_ignores_open_milestones_of_earlier_phases(session, lead):
    engagement = factories.make_engagement(session, lead=lead, status=S.AKTIV)
    _finish_final_phase(session, engagement)
    assert engagement.phases[0].milestones[0].status is MilestoneStatus.OFFEN
    change_status(session, engagement, S.ABGESCHLOSSEN, actor=lead, now=NOW)
    assert engagement.status is S.ABGESCHLOSSEN


@pytest.mark.parametrize("reason", [None, "", "   \n"])
def test_cancelling_needs_a_reason(session, lead, reason):
    engagement = factories.make_engagement(session, lead=lead, status=S.AKTIV)
    with pytest.raises(EngagementError, match="Bitte begründen Sie") as refused:
        change_status(session, engagement, S.ABGEBROCHEN, actor=lead, now=NOW, reason=reason)
    assert refused.value.field == "reason"
    assert (engagement.status, engagement.actual_end_date) == (S.AKTIV, None)
    assert _events(session, engagement) == []


def test_cancelling_before_the_start_records_reason_and_end(session, lead):
    engagement = factories.make_engagement(session, lead=lead)
    change_status(
        session, engagement, S.ABGEBROCHEN, actor=lead, now=NOW, reason="  Kein Personal  "
    )
    assert engagement.status is S.ABGEBROCHEN
    assert engagement.status_reason == "Kein Personal"
    assert engagement.actual_end_date == TODAY


def test_a_too_long_reason_is_refused(session, lead):
    engagement = factories.make_engagement(session, lead=lead, status=S.AKTIV)
    with pytest.raises(EngagementError, match="höchstens 2.000 Zeichen") as refused:
        change_status(session, engagement, S.ABGEBROCHEN, actor=lead, now=NOW, reason="x" * 2001)
    assert refused.value.field == "reason"
    assert engagement.status is S.AKTIV


def test_pausing_takes_an_optional_reason_and_resuming_clears_it(session, lead):
    engagement = factories.make_engagement(session, lead=lead, status=S.AKTIV)
    change_status(session, engagement, S.PAUSIERT, actor=lead, now=NOW)
    assert (engagement.status, engagement.status_reason) == (S.PAUSIERT, None)
    change_status(session, engagement, S.AKTIV, actor=lead, now=NOW)
    change_status(session, engagement, S.PAUSIERT, actor=lead, now=NOW, reason="Elternzeit")
    assert engagement.status_reason == "Elternzeit"
    change_status(session, engagement, S.AKTIV, actor=lead, now=NOW, reason="ignoriert")
    assert (engagement.status, engagement.status_reason) == (S.AKTIV, None)


def test_the_audit_event_has_from_to_and_a_redacted_reason(session, lead):
    engagement = factories.make_engagement(session, lead=lead, status=S.AKTIV)
    change_status(session, engagement, S.ABGEBROCHEN, actor=lead, now=NOW, reason="Geheim")
    (event,) = _events(session, engagement)
    assert event.actor_id == lead.id
    assert event.occurred_at == NOW
    assert event.changes["status"] == ["aktiv", "abgebrochen"]
    assert event.changes["status_reason"] == [None, "[Freitext]"]
    assert event.changes["actual_end_date"][1] in (TODAY, TODAY.isoformat())
    assert "Geheim" not in str(event.changes)


def test_only_the_team_and_leads_may_change_the_status(session, lead):
    co = factories.make_staff_member(session, role=Role.CONSULTANT)
    other = factories.make_staff_member(session, role=Role.CONSULTANT)
    boss = factories.make_staff_member(session, role=Role.LEAD)
    engagement = factories.make_engagement(session, lead=lead, co=[co])
    with pytest.raises(EngagementNotPermitted):
        change_status(session, engagement, S.AKTIV, actor=other, now=NOW)
    assert engagement.status is S.GEPLANT
    change_status(session, engagement, S.AKTIV, actor=co, now=NOW)
    change_status(session, engagement, S.PAUSIERT, actor=boss, now=NOW)
    assert engagement.status is S.PAUSIERT


def test_a_stale_version_is_refused(session, lead):
    engagement = factories.make_engagement(session, lead=lead, status=S.AKTIV)
    shown = engagement.version
    change_status(session, engagement, S.PAUSIERT, actor=lead, now=NOW)
    with pytest.raises(StaleEngagement, match="gerade geändert"):
        change_status(
            session,
            engagement,
            S.ABGEBROCHEN,
            actor=lead,
            now=NOW,
            reason="x",
            expected_version=shown,
        )
    assert engagement.status is S.PAUSIERT
    change_status(
        session, engagement, S.AKTIV, actor=lead, now=NOW, expected_version=engagement.version
    )
    assert engagement.status is S.AKTIV


# --- the page ----------------------------------------------------------------------------


def _shown_version(client, engagement_id: int) -> str | None:
    page = client.get(f"/engagements/{engagement_id}").get_data(as_text=True)
    match = re.search(r'name="status-version" type="hidden" value="(\d*)"', page)
    return match.group(1) if match else None


def _post(client, engagement_id: int, **values: str):
    """Post the status form of the engagement page, with the version the page shows now
    unless ``version`` is given."""
    data = {"status-csrf_token": csrf_token(client, "/engagements")}
    if "version" not in values:
        shown = _shown_version(client, engagement_id)
        if shown is not None:
            data["status-version"] = shown
    data.update({f"status-{key}": value for key, value in values.items()})
    return client.post(f"/engagements/{engagement_id}/status", data=data)


def _buttons(response) -> list[str]:
    section = response.get_data(as_text=True).split('id="status-title"', 1)
    if len(section) == 1:
        return []
    section_html = section[1].split("</section>", 1)[0]
    return re.findall(r'<button type="submit" class="button">([^<]+)</button>', section_html)


@pytest.mark.parametrize(
    ("status", "buttons"),
    [
        # Full names: "Abbrechen" alone reads as "leave without saving" elsewhere.
        (S.GEPLANT, ["Prozessbegleitung beginnen", "Prozessbegleitung abbrechen"]),
        (
            S.AKTIV,
            [
                "Prozessbegleitung pausieren",
                "Prozessbegleitung abschließen",
                "Prozessbegleitung abbrechen",
            ],
        ),
        (S.PAUSIERT, ["Prozessbegleitung fortsetzen", "Prozessbegleitung abbrechen"]),
        (S.ABGESCHLOSSEN, []),
        (S.ABGEBROCHEN, []),
    ],
)
def test_the_page_offers_only_the_allowed_moves(client, session, logged_in, status, buttons):
    member = logged_in(Role.CONSULTANT)
    engagement = factories.make_engagement(session, lead=member, status=status)
    with clock.frozen(TODAY):
        response = client.get(f"/engagements/{engagement.id}")
    assert response.status_code == 200
    assert _buttons(response) == buttons
    html = response.get_data(as_text=True)
    if "Abbrechen" in buttons:
        # the reason has a label tied to its textarea
        assert '<label for="status-abgebrochen-reason"' in html
        assert 'id="status-abgebrochen-reason"' in html
    if not buttons:
        assert "Status ändern" not in page_text(response)


def test_other_consultants_neither_see_the_engagement_nor_move_its_status(
    client, session, logged_in
):
    logged_in(Role.CONSULTANT)
    lead = factories.make_staff_member(session)
    engagement = factories.make_engagement(session, lead=lead)
    page = client.get(f"/engagements/{engagement.id}")
    assert page.status_code == 404
    assert "Status ändern" not in page_text(page)
    response = _post(client, engagement.id, target="aktiv", version=str(engagement.version))
    assert response.status_code == 404
    session.refresh(engagement)
    assert engagement.status is S.GEPLANT
    assert _events(session, engagement) == []


def test_anonymous_is_sent_to_the_login(client, session):
    lead = factories.make_staff_member(session)
    engagement = factories.make_engagement(session, lead=lead)
    data = {
        "status-csrf_token": csrf_token(client),
        "status-target": "aktiv",
        "status-version": str(engagement.version),
    }
    response = client.post(f"/engagements/{engagement.id}/status", data=data)
    assert response.status_code == 302
    assert "/login" in response.location
    assert "/login" in client.get(f"/engagements/{engagement.id}").location
    session.refresh(engagement)
    assert engagement.status is S.GEPLANT


def test_a_team_member_starts_and_the_history_shows_it(client, session, logged_in):
    member = logged_in(Role.CONSULTANT)
    lead = factories.make_staff_member(session)
    engagement = factories.make_engagement(session, lead=lead, co=[member])
    with clock.frozen(TODAY):
        response = _post(client, engagement.id, target="aktiv")
        assert response.status_code == 302
        page = page_text(client.get(response.location))
    assert "Der Status ist jetzt „aktiv“." in page
    assert "Status der Prozessbegleitung geändert" in page
    session.refresh(engagement)
    assert engagement.status is S.AKTIV
    assert len(_events(session, engagement)) == 1


def test_a_lead_outside_the_team_may_cancel(client, session, logged_in):
    logged_in(Role.LEAD)
    engagement = factories.make_engagement(
        session, lead=factories.make_staff_member(session), status=S.PAUSIERT
    )
    with clock.frozen(TODAY):
        response = _post(client, engagement.id, target="abgebrochen", reason="Keine Zeit")
    assert response.status_code == 302
    assert "Begründung des Status Keine Zeit" in page_text(client.get(response.location))
    session.refresh(engagement)
    assert (engagement.status, engagement.status_reason, engagement.actual_end_date) == (
        S.ABGEBROCHEN,
        "Keine Zeit",
        TODAY,
    )


def test_cancelling_without_reason_is_a_422_next_to_the_field(client, session, logged_in):
    member = logged_in(Role.CONSULTANT)
    engagement = factories.make_engagement(session, lead=member, status=S.AKTIV)
    response = _post(client, engagement.id, target="abgebrochen", reason=" ")
    assert response.status_code == 422
    assert "Bitte begründen Sie, warum die Prozessbegleitung abgebrochen wird." in page_text(
        response
    )
    assert 'id="status-abgebrochen-reason-error"' in response.get_data(as_text=True)
    session.refresh(engagement)
    assert engagement.status is S.AKTIV
    assert _events(session, engagement) == []


def test_completing_with_open_final_milestones_is_a_422_naming_them(client, session, logged_in):
    member = logged_in(Role.CONSULTANT)
    engagement = factories.make_engagement(session, lead=member, status=S.AKTIV)
    response = _post(client, engagement.id, target="abgeschlossen")
    assert response.status_code == 422
    text_ = page_text(response)
    assert all(f"„{title}“" in text_ for title in FINAL_TITLES)
    session.refresh(engagement)
    assert engagement.status is S.AKTIV


def test_a_stale_form_is_refused_and_nothing_changes(client, session, logged_in):
    member = logged_in(Role.CONSULTANT)
    engagement = factories.make_engagement(session, lead=member, status=S.AKTIV)
    shown = _shown_version(client, engagement.id)
    # Someone else pauses and resumes it meanwhile (same status, newer version).
    session.connection().execute(
        text("UPDATE engagement SET version = version + 2 WHERE id = :id"), {"id": engagement.id}
    )
    response = _post(client, engagement.id, target="abgebrochen", reason="x", version=shown)
    assert response.status_code == 302
    assert "Diese Prozessbegleitung wurde gerade geändert" in page_text(
        client.get(response.location)
    )
    session.refresh(engagement)
    assert engagement.status is S.AKTIV
    assert _events(session, engagement) == []


@pytest.mark.parametrize("target", ["abgeschlossen", "<b>x</b>", ""])
def test_a_move_the_page_does_not_offer_is_refused_with_a_flash(client, session, logged_in, target):
    member = logged_in(Role.CONSULTANT)
    engagement = factories.make_engagement(session, lead=member)
    response = _post(client, engagement.id, target=target)
    assert response.status_code == 302
    page = client.get(response.location)
    assert "<b>x</b>" not in page.get_data(as_text=True)
    assert "kann nicht auf „abgeschlossen“ gesetzt werden" in page_text(
        page
    ) or "Dieser Statuswechsel ist nicht möglich." in page_text(page)
    session.refresh(engagement)
    assert engagement.status is S.GEPLANT


@pytest.mark.parametrize("version", ["", "abc", "9" * 40])
def test_a_malformed_version_is_a_422(client, session, logged_in, version):
    member = logged_in(Role.CONSULTANT)
    engagement = factories.make_engagement(session, lead=member)
    response = _post(client, engagement.id, target="aktiv", version=version)
    assert response.status_code == 422
    assert "Dieses Formular ist veraltet oder unvollständig." in page_text(response)
    session.refresh(engagement)
    assert engagement.status is S.GEPLANT


def test_unknown_engagement_is_a_404(client, logged_in):
    logged_in(Role.LEAD)
    assert _post(client, 999_999, target="aktiv", version="1").status_code == 404
