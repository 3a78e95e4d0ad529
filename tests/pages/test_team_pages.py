"""The team section of the engagement page and the page ``/engagements/<id>/team``: who may
see and use it, saving, refusals at the field, stale forms, the capacity confirmation, and
the accessible structure of the page."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import select

from caseflow import clock
from caseflow.audit.models import AuditEvent
from caseflow.engagements.models import AssignmentRole, Engagement, EngagementStatus
from caseflow.staff.models import Role
from tests import factories
from tests.conftest import csrf_token
from tests.pages.helpers import page_text
from tests.pages.test_accessibility_structure import assert_accessible

S = EngagementStatus
TODAY = date(2025, 3, 10)


@pytest.fixture(autouse=True)
def _frozen_today():
    with clock.frozen(TODAY):
        yield


def _path(engagement: Engagement) -> str:
    return f"/engagements/{engagement.id}/team"


def _team(session, engagement: Engagement) -> tuple[int | None, list[int]]:
    session.expire_all()
    engagement = session.get(Engagement, engagement.id)
    lead = engagement.lead
    co = sorted(a.staff_member_id for a in engagement.assignments if a.role is AssignmentRole.CO)
    return (lead.id if lead else None, co)


def _post(client, engagement: Engagement, *, lead, co=(), version=None, **extra):
    data = {
        "csrf_token": csrf_token(client, _path(engagement)),
        "lead": str(lead.id) if hasattr(lead, "id") else lead,
        "co": [str(member.id) if hasattr(member, "id") else member for member in co],
        "version": str(engagement.version if version is None else version),
        **extra,
    }
    return client.post(_path(engagement), data=data)


def _team_events(session, engagement: Engagement) -> list[AuditEvent]:
    return list(
        session.scalars(
            select(AuditEvent).where(
                AuditEvent.object_id == engagement.id,
                AuditEvent.action == "engagement.team_changed",
            )
        )
    )


@pytest.fixture
def pia(session):
    return factories.make_measure3_consultant(
        session, name="Pia Prozess", email="pia@example.org", phone="030 123 45"
    )


@pytest.fixture
def ole(session):
    return factories.make_staff_member(session, name="Ole Co")


# --- the section on the engagement page -----------------------------------------------------


def test_the_section_lists_the_team_with_contacts_and_the_edit_link(
    client, session, logged_in, pia
):
    me = logged_in(Role.CONSULTANT, name="Kim Berater")
    engagement = factories.make_engagement(session, lead=me, co=[pia])
    response = client.get(f"/engagements/{engagement.id}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert '<h2 id="team-title">Team</h2>' in html
    assert 'href="mailto:pia@example.org"' in html
    assert 'href="tel:03012345"' in html
    assert f'href="/engagements/{engagement.id}/team"' in html
    text = page_text(response)
    assert "Federführung Kim Berater" in text
    assert "Co-Begleitung Pia Prozess" in text
    assert "Team ändern" in text
    assert_accessible(response)


def test_other_consultants_see_neither_the_team_nor_the_edit_page(
    client, session, logged_in, pia, ole
):
    """Off the team, the engagement and its team page are not found (tests/test_idor.py)."""
    logged_in(Role.CONSULTANT)
    engagement = factories.make_engagement(session, lead=pia)
    response = client.get(f"/engagements/{engagement.id}")
    assert response.status_code == 404
    assert "Pia Prozess" not in page_text(response)
    assert "Team ändern" not in page_text(response)
    assert client.get(_path(engagement)).status_code == 404
    token = csrf_token(client, "/engagements")
    response = client.post(
        _path(engagement),
        data={"csrf_token": token, "lead": str(ole.id), "version": str(engagement.version)},
    )
    assert response.status_code == 404
    assert _team(session, engagement) == (pia.id, [])


def test_a_closed_engagement_offers_no_edit_and_refuses_the_page(client, session, logged_in):
    me = logged_in(Role.LEAD)
    engagement = factories.make_engagement(session, lead=me, status=S.ABGESCHLOSSEN)
    assert "Team ändern" not in page_text(client.get(f"/engagements/{engagement.id}"))
    response = client.get(_path(engagement))
    assert response.status_code == 302
    assert "ihr Team kann nicht mehr geändert werden" in page_text(client.get(response.location))


def test_unknown_engagement_is_a_404(client, logged_in):
    logged_in(Role.LEAD)
    assert client.get("/engagements/999999/team").status_code == 404


# --- the page --------------------------------------------------------------------------------


def test_the_form_shows_the_current_team(client, session, logged_in, pia, ole):
    me = logged_in(Role.CONSULTANT, name="Kim Berater")
    engagement = factories.make_engagement(session, lead=me, co=[pia])
    response = client.get(_path(engagement))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert f'<option selected value="{me.id}">Kim Berater</option>' in html
    assert re.search(
        rf'<input checked id="co-\d+" name="co" type="checkbox" value="{pia.id}">', html
    )
    assert re.search(rf'<input id="co-\d+" name="co" type="checkbox" value="{ole.id}">', html)
    page = assert_accessible(response)
    assert any(tag == "select" for tag, _ in page.controls)
    assert "<legend>Co-Begleitung" in html  # checkboxes in a fieldset with a legend


def test_saving_changes_the_team_and_says_whose_milestones_moved(
    client, session, logged_in, pia, ole
):
    logged_in(Role.LEAD)
    kim = factories.make_measure3_consultant(session, name="Kim Berater")
    engagement = factories.make_engagement(session, lead=kim, co=[pia])
    response = _post(client, engagement, lead=pia, co=[ole])
    assert response.status_code == 302
    assert response.location.endswith(f"/engagements/{engagement.id}#team-title")
    assert _team(session, engagement) == (pia.id, [ole.id])
    text = page_text(client.get(response.location))
    assert "Das Team wurde gespeichert." in text
    assert "offene Meilensteine von Kim Berater sind jetzt bei Pia Prozess." in text
    assert "Team geändert" in text  # the history
    assert len(_team_events(session, engagement)) == 1


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"lead": ""}, "Bitte wählen Sie, wer die Federführung übernimmt."),
        ({"lead": "abc"}, "Bitte wählen Sie aus der Liste."),
        ({"lead": "99999999"}, "Diese Person gibt es nicht (mehr)."),
        ({"co": ["x1"]}, "Bitte wählen Sie aus der Liste."),
        # Beyond PostgreSQL's integer range: a 500 there before the form checked it.
        ({"lead": "99999999999"}, "Bitte wählen Sie aus der Liste."),
        ({"co": ["99999999999"]}, "Bitte wählen Sie aus der Liste."),
        ({"co": [str(n) for n in range(1, 500)]}, "Bitte wählen Sie aus der Liste."),
        ({"co": ["lead"]}, "hat die Federführung und kann nicht zugleich Co-Begleitung sein."),
        ({"co": ["inactive"]}, "Nicht aktiv und deshalb nicht im Team möglich: Gerd Weg."),
    ],
)
def test_bad_choices_are_a_422_at_the_field_and_nothing_is_saved(
    client, session, logged_in, pia, values, message
):
    me = logged_in(Role.CONSULTANT, name="Kim Berater")
    gone = factories.make_staff_member(session, name="Gerd Weg", is_active=False)
    engagement = factories.make_engagement(session, lead=me, co=[pia])
    replace = {"lead": str(me.id), "inactive": str(gone.id)}
    lead = values.get("lead", me)
    co = [replace.get(value, value) for value in values.get("co", [])]
    response = _post(client, engagement, lead=lead, co=co)
    assert response.status_code == 422
    assert message in page_text(response)
    page = assert_accessible(response)
    assert page.error_summaries == 1
    assert 'class="field-error"' in response.get_data(as_text=True)
    assert _team(session, engagement) == (me.id, [pia.id])
    assert _team_events(session, engagement) == []


def test_a_stale_form_is_refused_with_a_flash(client, session, logged_in, pia, ole):
    me = logged_in(Role.CONSULTANT)
    engagement = factories.make_engagement(session, lead=me, co=[pia])
    response = _post(client, engagement, lead=me, co=[ole], version=engagement.version - 1)
    assert response.status_code == 302
    assert "Diese Prozessbegleitung wurde gerade geändert" in page_text(
        client.get(response.location)
    )
    assert _team(session, engagement) == (me.id, [pia.id])


@pytest.mark.parametrize("version", ["", "abc", "9" * 40])
def test_a_malformed_version_is_refused_with_a_flash(client, session, logged_in, ole, version):
    me = logged_in(Role.CONSULTANT)
    engagement = factories.make_engagement(session, lead=me)
    response = _post(client, engagement, lead=me, co=[ole], version=version)
    assert response.status_code == 302
    assert "Dieses Formular ist veraltet oder unvollständig." in page_text(
        client.get(response.location)
    )
    assert _team(session, engagement) == (me.id, [])


def test_capacity_warning_asks_for_confirmation_then_saves(
    client, app, session, logged_in, monkeypatch
):
    monkeypatch.setitem(app.config, "CAPACITY_LIMIT", 2)
    me = logged_in(Role.CONSULTANT)
    kim = factories.make_staff_member(session, name="Kim Berater")
    for _ in range(2):
        factories.make_engagement(
            session, lead=kim, start=date(2025, 1, 1), end=date(2025, 9, 30), status=S.AKTIV
        )
    engagement = factories.make_engagement(
        session, lead=me, start=date(2025, 3, 1), end=date(2025, 12, 31)
    )
    response = _post(client, engagement, lead=me, co=[kim])
    assert response.status_code == 200
    text = page_text(response)
    assert "Kim Berater begleitet im Zeitraum bereits 2 Prozessbegleitungen (Grenze: 2)." in text
    html = response.get_data(as_text=True)
    assert f'name="confirm" value="{kim.id}"' in html
    # the choice is kept
    assert re.search(
        rf'<input checked id="co-\d+" name="co" type="checkbox" value="{kim.id}">', html
    )
    assert_accessible(response)
    assert _team(session, engagement) == (me.id, [])

    response = _post(client, engagement, lead=me, co=[kim], confirm=str(kim.id))
    assert response.status_code == 302
    assert _team(session, engagement) == (me.id, [kim.id])
    [event] = _team_events(session, engagement)
    assert event.changes["capacity_confirmed"] == [kim.id]


def test_at_the_limit_saves_without_asking(client, app, session, logged_in, monkeypatch):
    monkeypatch.setitem(app.config, "CAPACITY_LIMIT", 2)
    me = logged_in(Role.CONSULTANT)
    kim = factories.make_staff_member(session, name="Kim Berater")
    factories.make_engagement(
        session, lead=kim, start=date(2025, 1, 1), end=date(2025, 9, 30), status=S.AKTIV
    )
    engagement = factories.make_engagement(
        session, lead=me, start=date(2025, 3, 1), end=date(2025, 12, 31)
    )
    response = _post(client, engagement, lead=me, co=[kim])
    assert response.status_code == 302
    assert _team(session, engagement) == (me.id, [kim.id])


def test_unchanged_team_says_so(client, session, logged_in, pia):
    me = logged_in(Role.CONSULTANT)
    engagement = factories.make_engagement(session, lead=me, co=[pia])
    response = _post(client, engagement, lead=me, co=[pia])
    assert response.status_code == 302
    assert "Das Team ist unverändert." in page_text(client.get(response.location))
    assert _team_events(session, engagement) == []
