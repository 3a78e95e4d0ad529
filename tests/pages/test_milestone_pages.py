"""The milestone and phase actions on the engagement page: the timeline, who sees which
action, each form (422 with the message at its field, nothing saved), stale and foreign
forms, closed engagements, and a fixed number of queries."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select, text

from caseflow import clock
from caseflow.audit.models import AuditEvent
from caseflow.engagements.models import Engagement, EngagementStatus, MilestoneStatus
from caseflow.staff.models import Role
from tests import factories
from tests.conftest import csrf_token
from tests.pages.helpers import page_text
from tests.pages.test_accessibility_structure import assert_accessible

S = EngagementStatus
TODAY = date(2025, 3, 10)
GATE = "Kooperationsvereinbarung unterzeichnet"


@pytest.fixture(autouse=True)
def _frozen_today():
    with clock.frozen(TODAY):
        yield


def _milestone(engagement: Engagement, title: str):
    (found,) = [m for m in factories.milestones_of(engagement) if m.title == title]
    return found


def _events(session, engagement: Engagement) -> list[AuditEvent]:
    return list(
        session.scalars(
            select(AuditEvent)
            .where(
                AuditEvent.object_type == "engagement",
                AuditEvent.object_id == engagement.id,
                AuditEvent.action != "engagement.planned",
            )
            .order_by(AuditEvent.id)
        )
    )


def _post(client, path: str, engagement: Engagement, **values):
    data = {"csrf_token": csrf_token(client, "/engagements"), "version": str(engagement.version)}
    data.update(values)
    return client.post(path, data=data)


def _url(engagement: Engagement, milestone, action: str) -> str:
    return f"/engagements/{engagement.id}/milestones/{milestone.id}/{action}"


def _phase_url(engagement: Engagement, phase, action: str) -> str:
    return f"/engagements/{engagement.id}/phases/{phase.id}/{action}"


def _flash(client, response) -> str:
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return page_text(client.get(response.location))


@pytest.fixture
def member(logged_in):
    return logged_in(Role.CONSULTANT, name="Mia Team")


@pytest.fixture
def engagement(session, member):
    return factories.make_engagement(session, lead=member, status=S.AKTIV)


# --- the timeline ------------------------------------------------------------------------


def test_the_timeline_shows_status_dates_notes_and_gates(client, session, member, engagement):
    first = factories.make_staff_member(session, name="Ole Owner")
    gate = _milestone(engagement, GATE)
    talk = _milestone(engagement, "Erstgespräch")
    talk.status = MilestoneStatus.ERLEDIGT
    talk.completed_on = date(2025, 1, 3)
    talk.evidence_note = "Protokoll liegt vor"
    dropped = _milestone(engagement, "Steuerungsgruppe benannt")
    dropped.status = MilestoneStatus.ENTFALLEN
    dropped.drop_reason = "gibt es schon"
    moved = _milestone(engagement, "Selbstcheck durchgeführt")
    moved.due_date = date(2025, 4, 2)
    moved.owner = first
    engagement.phases[0].started_on = date(2025, 1, 2)
    session.flush()

    response = client.get(f"/engagements/{engagement.id}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    text_ = page_text(response)
    assert "begonnen am 02.01.2025" in text_
    assert "noch nicht begonnen" in text_
    assert "Erstgespräch fällig am 01.01.2025 · erledigt am 03.01.2025" in text_
    assert "Nachweis: Protokoll liegt vor" in text_
    assert f"<s>{dropped.title}</s>" in html
    assert "Begründung: gibt es schon" in text_
    assert "überfällig" in text_  # the gate was due on 05.02.2025
    assert f'id="milestone-{gate.id}" class="milestone milestone--overdue overdue"' in html
    assert (
        "fällig am 02.04.2025 (ursprünglich geplant: 23.03.2025) · offen · "
        "verantwortlich: Ole Owner"
    ) in text_
    assert (
        f"{GATE} (Voraussetzung für die nächste Phase) fällig am 05.02.2025 · offen überfällig"
    ) in text_
    assert (
        "Gesperrt: Die Phase kann erst beginnen, wenn „Kooperationsvereinbarung unterzeichnet“ "
        "erledigt ist." in text_
    )
    assert "Phase beginnen" not in text_
    for action in ("complete", "drop", "edit"):
        assert _url(engagement, gate, action) in html
    assert _url(engagement, talk, "reopen") in html
    assert _url(engagement, talk, "complete") not in html
    assert _phase_url(engagement, engagement.phases[0], "milestones/new") in html
    assert_accessible(response)


def test_the_next_phase_offers_phase_beginnen_once_the_gate_is_done(
    client, session, member, engagement
):
    engagement.phases[0].started_on = date(2025, 1, 2)
    factories.complete_milestone(session, _milestone(engagement, GATE), on=date(2025, 2, 5))
    html = client.get(f"/engagements/{engagement.id}").get_data(as_text=True)
    assert "Gesperrt" not in html
    assert html.count(">Phase beginnen<") == 1
    assert _phase_url(engagement, engagement.phases[1], "start") in html


def test_the_page_runs_a_fixed_number_of_queries(client, session, member, count_queries):
    def queries(engagement_id: int) -> int:
        session.expunge_all()
        with count_queries() as counter:
            assert client.get(f"/engagements/{engagement_id}").status_code == 200
        return counter.count

    small = factories.make_engagement(session, lead=member, status=S.AKTIV)
    factories.complete_milestone(session, factories.milestones_of(small)[0], on=TODAY)
    co = factories.make_staff_member(session)
    large = factories.make_engagement(session, lead=member, co=[co], status=S.AKTIV)
    for index, milestone in enumerate(factories.milestones_of(large)):
        milestone.owner = co if index % 2 else member
        if index % 3 == 0:
            factories.complete_milestone(session, milestone, on=TODAY)
            milestone.completed_by_id = co.id
        elif index % 3 == 1:
            factories.drop_milestone(session, milestone)
    session.flush()
    small_id, large_id = small.id, large.id
    assert queries(small_id) == queries(large_id)


# --- who may -----------------------------------------------------------------------------


def test_other_consultants_see_nothing_and_get_404(client, session, logged_in):
    """Off the team, the engagement and its milestones are not found (tests/test_idor.py)."""
    logged_in(Role.CONSULTANT)
    engagement = factories.make_engagement(
        session, lead=factories.make_staff_member(session), status=S.AKTIV
    )
    gate = _milestone(engagement, GATE)
    talk = factories.complete_milestone(session, _milestone(engagement, "Erstgespräch"), on=TODAY)
    response = client.get(f"/engagements/{engagement.id}")
    assert response.status_code == 404
    text_ = page_text(response)
    assert GATE not in text_
    for label in ("Erledigen", "Entfallen lassen", "Bearbeiten", "Wieder öffnen"):
        assert label not in text_
    assert "Meilenstein hinzufügen" not in text_
    assert "/milestones/" not in response.get_data(as_text=True)

    phase = engagement.phases[0]
    for path in (
        _url(engagement, gate, "complete"),
        _url(engagement, gate, "drop"),
        _url(engagement, gate, "edit"),
        _phase_url(engagement, phase, "milestones/new"),
    ):
        assert client.get(path).status_code == 404, path
    posts = {
        _url(engagement, gate, "complete"): {"completed_on": "2025-03-01"},
        _url(engagement, talk, "reopen"): {},
        _url(engagement, gate, "drop"): {"reason": "x"},
        _url(engagement, gate, "edit"): {"title": "x", "due_date": "2025-02-01"},
        _phase_url(engagement, phase, "milestones/new"): {"title": "x"},
        _phase_url(engagement, phase, "start"): {},
    }
    for path, values in posts.items():
        assert _post(client, path, engagement, **values).status_code == 404, path
    session.refresh(gate)
    assert gate.status is MilestoneStatus.OFFEN
    assert phase.started_on is None
    assert _events(session, engagement) == []


def test_a_lead_outside_the_team_completes_a_milestone(client, session, logged_in):
    boss = logged_in(Role.LEAD)
    engagement = factories.make_engagement(
        session, lead=factories.make_staff_member(session), status=S.AKTIV
    )
    gate = _milestone(engagement, GATE)
    response = _post(
        client, _url(engagement, gate, "complete"), engagement, completed_on="2025-03-01"
    )
    assert f"Der Meilenstein „{GATE}“ ist erledigt." in _flash(client, response)
    session.refresh(gate)
    assert (gate.status, gate.completed_by_id) == (MilestoneStatus.ERLEDIGT, boss.id)


def test_anonymous_is_sent_to_the_login(client, session):
    engagement = factories.make_engagement(session, lead=factories.make_staff_member(session))
    path = _url(engagement, _milestone(engagement, GATE), "complete")
    assert "/login" in client.get(path).location


# --- complete ----------------------------------------------------------------------------


def test_complete_form_defaults_to_today_and_saves(client, session, member, engagement):
    gate = _milestone(engagement, GATE)
    page = client.get(_url(engagement, gate, "complete"))
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'value="2025-03-10"' in html
    assert '<label for="evidence_note">Nachweis' in html
    assert_accessible(page)
    version = engagement.version
    response = _post(
        client,
        _url(engagement, gate, "complete"),
        engagement,
        completed_on="2025-02-04",
        evidence_note="unterschriebene Vereinbarung liegt vor",
    )
    text_ = _flash(client, response)
    assert f"Der Meilenstein „{GATE}“ ist erledigt." in text_
    assert "Meilenstein erledigt" in text_  # the history
    session.refresh(engagement)
    session.refresh(gate)
    assert gate.status is MilestoneStatus.ERLEDIGT
    assert gate.completed_on == date(2025, 2, 4)
    assert gate.completed_by_id == member.id
    assert gate.evidence_note == "unterschriebene Vereinbarung liegt vor"
    assert engagement.version == version + 1
    assert [event.action for event in _events(session, engagement)] == [
        "engagement.milestone_completed"
    ]


def test_line_breaks_count_once_as_in_the_browser(client, session, member, engagement):
    """The browser counts a line break as one character for maxlength but sends CRLF."""
    gate = _milestone(engagement, GATE)
    note = ("x" * 199 + "\r\n") * 10  # 2,000 characters as the browser counts them
    response = _post(
        client,
        _url(engagement, gate, "complete"),
        engagement,
        completed_on="2025-02-04",
        evidence_note=note,
    )
    assert response.status_code == 302
    session.refresh(gate)
    assert gate.evidence_note == note.replace("\r\n", "\n").strip()


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"completed_on": "2025-03-11"}, "completed_on", "nicht in der Zukunft liegen"),
        ({"completed_on": "2024-12-31"}, "completed_on", "nicht vor dem Beginn"),
        ({"completed_on": ""}, "completed_on", "wann der Meilenstein erledigt wurde"),
        ({"completed_on": "2025-02-30"}, "completed_on", "Kein gültiges Datum."),
        ({"completed_on": "0001-01-01"}, "completed_on", "in den Jahren 1900 bis 2999"),
        (
            {"completed_on": "2025-03-01", "evidence_note": "x" * 2001},
            "evidence_note",
            "höchstens 2.000 Zeichen",
        ),
    ],
)
def test_complete_with_bad_input_is_a_422_at_the_field(
    client, session, member, engagement, values, field, message
):
    gate = _milestone(engagement, GATE)
    response = _post(client, _url(engagement, gate, "complete"), engagement, **values)
    assert response.status_code == 422
    assert message in page_text(response)
    html = response.get_data(as_text=True)
    assert f'id="{field}-error"' in html
    if "evidence_note" in values:
        assert "x" * 2001 in html  # the value is kept
    assert_accessible(response)
    session.refresh(gate)
    assert gate.status is MilestoneStatus.OFFEN
    assert _events(session, engagement) == []


# --- reopen, drop ------------------------------------------------------------------------


def test_reopen_from_the_page(client, session, member, engagement):
    talk = factories.complete_milestone(
        session, _milestone(engagement, "Erstgespräch"), on=date(2025, 1, 3)
    )
    response = _post(client, _url(engagement, talk, "reopen"), engagement)
    assert "Der Meilenstein „Erstgespräch“ ist wieder offen." in _flash(client, response)
    session.refresh(talk)
    assert (talk.status, talk.completed_on) == (MilestoneStatus.OFFEN, None)
    # reopening it again: refused with a flash, nothing recorded
    session.refresh(engagement)
    response = _post(client, _url(engagement, talk, "reopen"), engagement)
    assert "ist bereits offen" in _flash(client, response)
    assert len(_events(session, engagement)) == 1


def test_drop_needs_a_reason(client, session, member, engagement):
    milestone = _milestone(engagement, "Selbstcheck durchgeführt")
    page = client.get(_url(engagement, milestone, "drop"))
    assert page.status_code == 200
    assert_accessible(page)
    response = _post(client, _url(engagement, milestone, "drop"), engagement, reason="  ")
    assert response.status_code == 422
    assert "Bitte begründen Sie, warum der Meilenstein entfällt." in page_text(response)
    assert 'id="reason-error"' in response.get_data(as_text=True)
    session.refresh(milestone)
    assert milestone.status is MilestoneStatus.OFFEN

    response = _post(
        client, _url(engagement, milestone, "drop"), engagement, reason="macht die Leitung"
    )
    assert "entfällt." in _flash(client, response)
    session.refresh(milestone)
    assert (milestone.status, milestone.drop_reason) == (
        MilestoneStatus.ENTFALLEN,
        "macht die Leitung",
    )


def test_a_done_milestone_offers_no_drop_form(client, session, member, engagement):
    talk = factories.complete_milestone(session, _milestone(engagement, "Erstgespräch"), on=TODAY)
    response = client.get(_url(engagement, talk, "drop"))
    assert "nur ein offener Meilenstein kann entfallen" in _flash(client, response)
    response = client.get(_url(engagement, talk, "complete"))
    assert "nur ein offener Meilenstein kann erledigt werden" in _flash(client, response)


# --- edit, add ---------------------------------------------------------------------------


def test_edit_changes_one_milestone_and_keeps_the_baseline(client, session, member):
    co = factories.make_staff_member(session, name="Cem Co")
    engagement = factories.make_engagement(session, lead=member, co=[co], status=S.AKTIV)
    milestone = _milestone(engagement, "Selbstcheck durchgeführt")
    page = client.get(_url(engagement, milestone, "edit"))
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert f'value="{milestone.title}"' in html
    assert f'<option selected value="{member.id}">' in html
    assert f"/engagements/{engagement.id}/reschedule?milestone={milestone.id}" in html
    assert_accessible(page)
    response = _post(
        client,
        _url(engagement, milestone, "edit"),
        engagement,
        title="Selbstcheck mit Leitung",
        owner=str(co.id),
        due_date="2025-04-15",
    )
    assert "ist gespeichert" in _flash(client, response)
    session.refresh(milestone)
    assert (milestone.title, milestone.owner_id, milestone.due_date) == (
        "Selbstcheck mit Leitung",
        co.id,
        date(2025, 4, 15),
    )
    assert milestone.baseline_due_date == date(2025, 3, 23)
    # the next milestone did not move
    assert _milestone(engagement, "Analysebericht Zugangsbarrieren").due_date == date(2025, 5, 7)


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"due_date": "2025-05-08"}, "due_date", "zwischen dem 06.02.2025 und dem 07.05.2025"),
        ({"due_date": ""}, "due_date", "Bitte geben Sie das Fälligkeitsdatum an."),
        ({"title": " "}, "title", "Bitte geben Sie dem Meilenstein einen Titel."),
        ({"title": "x" * 201}, "title", "höchstens 200 Zeichen"),
        ({"owner": "stranger"}, "owner", "aktive Person aus dem Team"),
        ({"owner": "999999999999999999999"}, "owner", "aktive Person aus dem Team"),
        ({"owner": "abc"}, "owner", "aktive Person aus dem Team"),
        ({"owner": ""}, "owner", "Bitte wählen Sie, wer verantwortlich ist."),
    ],
)
def test_edit_with_bad_input_is_a_422_at_the_field(
    client, session, member, engagement, values, field, message
):
    stranger = factories.make_staff_member(session)
    factories.make_engagement(session, lead=stranger)
    milestone = _milestone(engagement, "Selbstcheck durchgeführt")
    data = {"title": "Neu", "owner": str(member.id), "due_date": "2025-04-01", **values}
    if data["owner"] == "stranger":
        data["owner"] = str(stranger.id)
    response = _post(client, _url(engagement, milestone, "edit"), engagement, **data)
    assert response.status_code == 422
    assert message in page_text(response)
    assert f'id="{field}-error"' in response.get_data(as_text=True)
    assert_accessible(response)
    session.refresh(milestone)
    assert (milestone.title, milestone.due_date) == ("Selbstcheck durchgeführt", date(2025, 3, 23))
    assert _events(session, engagement) == []


def test_add_a_milestone_to_a_phase(client, session, member, engagement):
    phase = engagement.phases[1]
    page = client.get(_phase_url(engagement, phase, "milestones/new"))
    assert page.status_code == 200
    assert_accessible(page)
    response = _post(
        client,
        _phase_url(engagement, phase, "milestones/new"),
        engagement,
        title="Interviews",
        owner=str(member.id),
        due_date="2025-04-01",
        is_gate="y",
    )
    assert "Der Meilenstein „Interviews“ ist hinzugefügt." in _flash(client, response)
    session.expire_all()
    (added,) = [m for m in phase.milestones if m.title == "Interviews"]
    assert (added.due_date, added.baseline_due_date, added.is_gate, added.owner_id) == (
        date(2025, 4, 1),
        date(2025, 4, 1),
        True,
        member.id,
    )
    assert [event.action for event in _events(session, engagement)] == [
        "engagement.milestone_added"
    ]


def test_add_outside_the_phase_is_a_422(client, session, member, engagement):
    phase = engagement.phases[1]
    count = len(phase.milestones)
    response = _post(
        client,
        _phase_url(engagement, phase, "milestones/new"),
        engagement,
        title="Interviews",
        owner=str(member.id),
        due_date="2025-07-01",
    )
    assert response.status_code == 422
    assert "in der Phase „Bestandsaufnahme & Analyse“ liegen" in page_text(response)
    assert 'value="Interviews"' in response.get_data(as_text=True)
    session.expire_all()
    assert len(phase.milestones) == count


# --- phases ------------------------------------------------------------------------------


def test_beginning_phases_from_the_page(client, session, member, engagement):
    first, second = engagement.phases[:2]
    response = _post(client, _phase_url(engagement, first, "start"), engagement)
    assert "Die Phase „Auftragsklärung“ hat begonnen." in _flash(client, response)
    session.refresh(engagement)
    response = _post(client, _phase_url(engagement, second, "start"), engagement)
    assert (
        "Die Phase „Bestandsaufnahme & Analyse“ kann erst beginnen, wenn "
        "„Kooperationsvereinbarung unterzeichnet“ erledigt ist."
    ) in _flash(client, response)
    session.refresh(first)
    session.refresh(second)
    assert (first.started_on, second.started_on) == (TODAY, None)
    assert [event.action for event in _events(session, engagement)] == ["engagement.phase_started"]


# --- stale, tampered and foreign forms; closed engagements -------------------------------


def test_a_stale_form_is_refused_and_nothing_changes(client, session, member, engagement):
    gate = _milestone(engagement, GATE)
    shown = str(engagement.version)
    session.connection().execute(
        text("UPDATE engagement SET version = version + 1 WHERE id = :id"), {"id": engagement.id}
    )
    for path, values in (
        (_url(engagement, gate, "complete"), {"completed_on": "2025-03-01"}),
        (_url(engagement, gate, "drop"), {"reason": "x"}),
        (
            _url(engagement, gate, "edit"),
            {"title": "x", "owner": str(member.id), "due_date": "2025-02-01"},
        ),
        (_phase_url(engagement, engagement.phases[0], "start"), {}),
    ):
        response = _post(client, path, engagement, version=shown, **values)
        assert "Diese Prozessbegleitung wurde gerade geändert" in _flash(client, response), path
    session.refresh(gate)
    assert (gate.status, gate.title) == (MilestoneStatus.OFFEN, GATE)
    assert _events(session, engagement) == []


@pytest.mark.parametrize("version", ["", "abc", "9" * 40])
def test_a_malformed_version(client, session, member, engagement, version):
    gate = _milestone(engagement, GATE)
    response = _post(
        client,
        _url(engagement, gate, "complete"),
        engagement,
        version=version,
        completed_on="2025-03-01",
    )
    assert response.status_code == 422
    assert "Dieses Formular ist veraltet oder unvollständig." in page_text(response)
    response = _post(
        client, _phase_url(engagement, engagement.phases[0], "start"), engagement, version=version
    )
    assert "Dieses Formular ist veraltet oder unvollständig." in _flash(client, response)
    session.refresh(gate)
    assert gate.status is MilestoneStatus.OFFEN
    assert engagement.phases[0].started_on is None


def test_ids_of_another_engagement_are_a_404(client, session, member, engagement):
    other = factories.make_engagement(session, lead=member, status=S.AKTIV)
    foreign = _milestone(other, GATE)
    foreign_phase = other.phases[0]
    for path in (
        _url(engagement, foreign, "complete"),
        _url(engagement, foreign, "drop"),
        _url(engagement, foreign, "edit"),
        _phase_url(engagement, foreign_phase, "milestones/new"),
    ):
        assert client.get(path).status_code == 404, path
    for path in (
        _url(engagement, foreign, "complete"),
        _url(engagement, foreign, "reopen"),
        _phase_url(engagement, foreign_phase, "start"),
        "/engagements/999999/milestones/1/complete",
        f"/engagements/{engagement.id}/milestones/999999/reopen",
    ):
        assert _post(client, path, engagement, completed_on="2025-03-01").status_code == 404, path
    session.refresh(foreign)
    assert foreign.status is MilestoneStatus.OFFEN
    assert foreign_phase.started_on is None


@pytest.mark.parametrize("status", [S.ABGESCHLOSSEN, S.ABGEBROCHEN])
def test_closed_engagements_show_no_actions_and_refuse(client, session, member, status):
    engagement = factories.make_engagement(session, lead=member, status=status)
    gate = _milestone(engagement, GATE)
    response = client.get(f"/engagements/{engagement.id}")
    text_ = page_text(response)
    assert GATE in text_
    assert "Erledigen" not in text_ and "Meilenstein hinzufügen" not in text_
    assert "Gesperrt" not in text_
    message = f"Die Prozessbegleitung ist {status.value}; ihre Meilensteine"
    assert message in _flash(client, client.get(_url(engagement, gate, "complete")))
    response = _post(
        client, _url(engagement, gate, "complete"), engagement, completed_on="2025-03-01"
    )
    assert message in _flash(client, response)
    response = _post(client, _phase_url(engagement, engagement.phases[0], "start"), engagement)
    assert message in _flash(client, response)
    session.refresh(gate)
    assert gate.status is MilestoneStatus.OFFEN
    assert _events(session, engagement) == []
