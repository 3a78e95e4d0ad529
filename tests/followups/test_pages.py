"""The follow-ups on the engagement page and the routes that add, complete and discard them:
permissions, German messages at the fields (422, values kept, nothing saved), refusals of
closed or foreign follow-ups, and the structure checks of the pages."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from caseflow import clock
from caseflow.audit.models import AuditEvent
from caseflow.engagements.models import EngagementStatus
from caseflow.followups.models import FollowUp, FollowUpKind, FollowUpStatus
from caseflow.staff.models import Role
from tests import factories
from tests.conftest import csrf_token, login
from tests.pages.helpers import body_rows, page_text, table
from tests.pages.test_accessibility_structure import assert_accessible

TODAY = date(2025, 3, 10)
CAPTION = "Offene Wiedervorlagen dieser Prozessbegleitung"


@pytest.fixture(autouse=True)
def _frozen_today():
    with clock.frozen(TODAY):
        yield


@pytest.fixture
def team(session, make_staff):
    """Kim leads an active engagement with Noah; Ola is a consultant outside the team."""
    kim = make_staff(Role.CONSULTANT, name="Kim Berater")
    noah = make_staff(Role.CONSULTANT, name="Noah Begleiter")
    ola = make_staff(Role.CONSULTANT, name="Ola Außen")
    engagement = factories.make_engagement(
        session, lead=kim, co=[noah], status=EngagementStatus.AKTIV
    )
    return kim, noah, ola, engagement


def _login(client, member) -> None:
    assert login(client, member.email).status_code == 302


def _new_path(engagement) -> str:
    return f"/engagements/{engagement.id}/follow-ups/new"


def _form(client, engagement, **values: str) -> dict[str, str]:
    data = {
        "csrf_token": csrf_token(client, f"/engagements/{engagement.id}"),
        "due_on": "2025-03-20",
        "due_time": "",
        "kind": "check_in",
        "assignee": "",
        "note": "Steuerungsgruppe fragen",
    }
    data.update(values)
    return data


def _follow_ups(session) -> list[FollowUp]:
    session.expire_all()
    return list(session.scalars(select(FollowUp).order_by(FollowUp.id)))


def _post_action(client, engagement, follow_up_id: int, action: str, **values: str):
    data = {"csrf_token": csrf_token(client, f"/engagements/{engagement.id}"), **values}
    return client.post(
        f"/engagements/{engagement.id}/follow-ups/{follow_up_id}/{action}", data=data
    )


def _flashes(client, response) -> str:
    assert response.status_code == 302
    return page_text(client.get(response.location))


# -- the section ------------------------------------------------------------------------------


def test_the_team_sees_the_actions_and_the_link(client, session, team):
    kim, noah, _ola, engagement = team
    factories.make_follow_up(session, engagement, assignee=noah, due_on=date(2025, 3, 1))
    _login(client, kim)
    response = client.get(f"/engagements/{engagement.id}")
    assert response.status_code == 200
    assert_accessible(response)
    html = response.get_data(as_text=True)
    (row,) = body_rows(table(response, CAPTION))
    assert row[:4] == ["01.03.2025 – überfällig", "Check-in", "Noah Begleiter", "–"]
    assert row[4] == "Erledigt Ändern Verwerfen … Grund (optional) Verwerfen"
    assert f'href="{_new_path(engagement)}"' in html
    assert "Wiedervorlage anlegen" in page_text(response)


def test_other_consultants_see_nothing(client, session, team):
    """Off the team, the engagement and its follow-ups are not found (tests/test_idor.py)."""
    _kim, noah, ola, engagement = team
    follow_up = factories.make_follow_up(session, engagement, assignee=noah)
    _login(client, ola)
    response = client.get(f"/engagements/{engagement.id}")
    assert response.status_code == 404
    assert CAPTION not in page_text(response)
    assert "Wiedervorlage anlegen" not in page_text(response)
    assert "/follow-ups/" not in response.get_data(as_text=True)

    assert client.get(_new_path(engagement)).status_code == 404
    assert client.post(_new_path(engagement), data=_form(client, engagement)).status_code == 404
    assert _post_action(client, engagement, follow_up.id, "complete").status_code == 404
    assert _post_action(client, engagement, follow_up.id, "discard").status_code == 404
    (unchanged,) = _follow_ups(session)
    assert unchanged.status is FollowUpStatus.OFFEN


def test_the_assignee_outside_the_team_cannot_reach_the_follow_up(client, session, team):
    """A follow-up assigned to someone off the team (before they left it) is the team's to
    close: its assignee gets 404 like any consultant outside the team; nothing changes."""
    _kim, _noah, ola, engagement = team
    mine = factories.make_follow_up(session, engagement, assignee=ola, note="meins")
    factories.make_follow_up(session, engagement, assignee=_noah, note="nicht meins")
    _login(client, ola)
    assert client.get(f"/engagements/{engagement.id}").status_code == 404
    assert _post_action(client, engagement, mine.id, "discard").status_code == 404
    assert _post_action(client, engagement, mine.id, "complete").status_code == 404
    assert [f.status for f in _follow_ups(session)] == [FollowUpStatus.OFFEN] * 2


def test_follow_ups_are_offered_to_whoever_may_open_the_engagement(
    client, session, team, make_staff
):
    """The assignee list holds the team, leads and admins, not consultants outside the team
    (they could not open what they were handed); a current assignee stays offered."""
    kim, noah, ola, engagement = team
    lea = make_staff(Role.LEAD, name="Lea Leitung")
    _login(client, kim)
    html = client.get(_new_path(engagement)).get_data(as_text=True)
    for member in (kim, noah, lea):
        assert f'value="{member.id}"' in html, member.name
    assert f'value="{ola.id}"' not in html
    theirs = factories.make_follow_up(session, engagement, assignee=ola)
    html = client.get(_edit_path(engagement, theirs.id)).get_data(as_text=True)
    assert f'<option selected value="{ola.id}">Ola Außen</option>' in html


def test_anonymous_visitors_are_sent_to_the_login(client, session, team):
    _kim, noah, _ola, engagement = team
    follow_up = factories.make_follow_up(session, engagement, assignee=noah)
    response = client.get(_new_path(engagement))
    assert response.status_code == 302
    assert "/login" in response.location
    response = client.post(f"/engagements/{engagement.id}/follow-ups/{follow_up.id}/complete")
    assert response.status_code in (302, 400)
    assert _follow_ups(session)[0].status is FollowUpStatus.OFFEN


# -- adding -------------------------------------------------------------------------------------


def test_the_new_page(client, session, team):
    kim, _noah, _ola, engagement = team
    _login(client, kim)
    response = client.get(_new_path(engagement))
    assert response.status_code == 200
    page = assert_accessible(response)
    assert len(page.controls) == 5
    html = response.get_data(as_text=True)
    assert f'<option selected value="{kim.id}">Kim Berater</option>' in html
    assert '<option value="nachhaltigkeit">Nachhaltigkeitscheck</option>' in html
    assert "spätestens 31.01.2027" in page_text(response)


def test_adding_a_follow_up(client, session, team):
    kim, noah, _ola, engagement = team
    _login(client, kim)
    data = _form(client, engagement, assignee=str(noah.id), due_time="14:30", kind="reminder")
    response = client.post(_new_path(engagement), data=data)
    assert response.status_code == 302
    assert response.location.endswith(f"/engagements/{engagement.id}#follow-ups-title")
    page = client.get(response.location)
    assert "Die Wiedervorlage ist angelegt: fällig am 20.03.2025." in page_text(page)
    (follow_up,) = _follow_ups(session)
    assert follow_up.kind is FollowUpKind.REMINDER
    assert follow_up.assignee_id == noah.id
    assert follow_up.due_at == datetime(2025, 3, 20, 13, 30, tzinfo=UTC)
    assert follow_up.note == "Steuerungsgruppe fragen"
    rows = body_rows(table(page, CAPTION))
    assert rows[0][:4] == [
        "20.03.2025, 14:30 Uhr",
        "Erinnerung",
        "Noah Begleiter",
        "Steuerungsgruppe fragen",
    ]
    event = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "follow_up.created")
    ).one()
    assert (event.object_type, event.object_id) == ("engagement", engagement.id)
    assert event.changes["follow_up"] == follow_up.id


def test_without_a_time_it_is_due_at_nine(client, session, team):
    kim, _noah, _ola, engagement = team
    _login(client, kim)
    data = _form(client, engagement, assignee=str(kim.id))
    assert client.post(_new_path(engagement), data=data).status_code == 302
    (follow_up,) = _follow_ups(session)
    assert clock.local(follow_up.due_at).strftime("%H:%M") == "09:00"


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"due_on": ""}, "Bitte geben Sie an, wann die Wiedervorlage fällig ist."),
        ({"due_on": "2025-02-30"}, "Bitte geben Sie ein gültiges Datum an"),
        ({"due_on": "0001-01-01"}, "Bitte geben Sie ein Datum in den Jahren 1900 bis 2999 an."),
        ({"due_on": "2025-03-09"}, "Das Fälligkeitsdatum liegt in der Vergangenheit."),
        ({"due_on": "2027-02-01"}, "spätestens am 31.01.2027"),
        ({"due_time": "25:99"}, "Bitte geben Sie die Uhrzeit als Stunden:Minuten an"),
        ({"kind": "sonstwas"}, "Bitte wählen Sie eine der angebotenen Arten."),
        ({"assignee": ""}, "Bitte wählen Sie, wer zuständig ist."),
        ({"assignee": "abc"}, "Bitte wählen Sie eine aktive Person aus der Liste"),
        ({"assignee": "999999"}, "Bitte wählen Sie eine aktive Person aus der Liste"),
        # beyond the INTEGER primary keys: no DataError from PostgreSQL
        ({"assignee": "999999999999999999"}, "Bitte wählen Sie eine aktive Person aus der Liste"),
        ({"assignee": "2147483648"}, "Bitte wählen Sie eine aktive Person aus der Liste"),
        (
            {"due_on": "2025-03-30", "due_time": "02:30"},
            "Diese Uhrzeit gibt es am 30.03.2025 wegen der Umstellung auf Sommerzeit nicht.",
        ),
        ({"note": "x" * 2001}, "Bitte kürzen Sie den Text auf höchstens 2.000 Zeichen."),
    ],
)
def test_bad_input_gets_a_message_at_its_field(client, session, team, values, message):
    kim, _noah, _ola, engagement = team
    _login(client, kim)
    data = _form(client, engagement, assignee=str(kim.id), note="bleibt stehen")
    data.update(values)
    response = client.post(_new_path(engagement), data=data)
    assert response.status_code == 422
    assert message in page_text(response)
    page = assert_accessible(response)
    assert page.error_summaries == 1
    html = response.get_data(as_text=True)
    field = list(values)[-1]
    assert f'id="{field}-error"' in html
    if field != "note":
        assert "bleibt stehen</textarea>" in html  # values kept
    assert _follow_ups(session) == []


def test_an_inactive_assignee_is_refused(client, session, team, make_staff):
    kim, _noah, _ola, engagement = team
    gone = make_staff(Role.CONSULTANT, name="Weg Gegangen", is_active=False)
    _login(client, kim)
    response = client.get(_new_path(engagement))
    assert "Weg Gegangen" not in response.get_data(as_text=True)
    response = client.post(
        _new_path(engagement), data=_form(client, engagement, assignee=str(gone.id))
    )
    assert response.status_code == 422
    assert "Bitte wählen Sie eine aktive Person aus der Liste" in page_text(response)
    assert _follow_ups(session) == []


def test_staff_without_a_login_are_neither_offered_nor_accepted(client, session, team, make_staff):
    kim, _noah, _ola, engagement = team
    contact = make_staff(Role.CONSULTANT, name="Nur Im Adressbuch", with_login=False)
    _login(client, kim)
    response = client.get(_new_path(engagement))
    assert "Nur Im Adressbuch" not in response.get_data(as_text=True)
    assert "Noah Begleiter" in response.get_data(as_text=True)
    response = client.post(
        _new_path(engagement), data=_form(client, engagement, assignee=str(contact.id))
    )
    assert response.status_code == 422
    assert "keinen Zugang zu caseflow" in page_text(response)
    assert 'id="assignee-error"' in response.get_data(as_text=True)
    assert _follow_ups(session) == []


def test_line_breaks_count_once_as_in_the_browser(client, session, team):
    kim, _noah, _ola, engagement = team
    _login(client, kim)
    # 2,000 characters in the browser's count, 2,999 with the CRLF it sends
    note = "\r\n".join(["x"] * 1000)
    data = _form(client, engagement, assignee=str(kim.id), note=note)
    assert client.post(_new_path(engagement), data=data).status_code == 302
    (follow_up,) = _follow_ups(session)
    assert follow_up.note == "\n".join(["x"] * 1000)
    response = _post_action(client, engagement, follow_up.id, "discard", reason=note)
    assert "Die Wiedervorlage ist verworfen." in _flashes(client, response)
    (discarded,) = _follow_ups(session)
    assert discarded.status is FollowUpStatus.VERWORFEN
    assert "\r" not in discarded.note
    assert discarded.note.endswith("Verworfen: " + "\n".join(["x"] * 1000))


@pytest.mark.parametrize("status", [EngagementStatus.ABGESCHLOSSEN, EngagementStatus.ABGEBROCHEN])
def test_closed_engagements_take_no_new_follow_ups(client, session, make_staff, status):
    kim = make_staff(Role.CONSULTANT, name="Kim Berater")
    engagement = factories.make_engagement(session, lead=kim, status=status)
    _login(client, kim)
    page = client.get(f"/engagements/{engagement.id}")
    assert "Wiedervorlage anlegen" not in page_text(page)
    response = client.get(_new_path(engagement))
    assert "keine Wiedervorlagen angelegt werden" in _flashes(client, response)
    response = client.post(
        _new_path(engagement), data=_form(client, engagement, assignee=str(kim.id))
    )
    assert "keine Wiedervorlagen angelegt werden" in _flashes(client, response)
    assert _follow_ups(session) == []


def test_unknown_engagement_is_a_404(client, session, team):
    kim, _noah, _ola, _engagement = team
    _login(client, kim)
    assert client.get("/engagements/999999/follow-ups/new").status_code == 404


# -- completing and discarding ----------------------------------------------------------------


def test_complete_twice(client, session, team):
    kim, noah, _ola, engagement = team
    follow_up = factories.make_follow_up(session, engagement, assignee=noah)
    _login(client, kim)
    response = _post_action(client, engagement, follow_up.id, "complete")
    assert response.location.endswith(f"/engagements/{engagement.id}#follow-ups-title")
    text = _flashes(client, response)
    assert "Die Wiedervorlage ist erledigt." in text
    assert "Für diese Prozessbegleitung sind keine Wiedervorlagen offen." in text
    (done,) = _follow_ups(session)
    assert done.status is FollowUpStatus.ERLEDIGT
    closed_at = done.closed_at

    again = _post_action(client, engagement, follow_up.id, "complete")
    assert "Diese Wiedervorlage ist bereits erledigt." in _flashes(client, again)
    discard = _post_action(client, engagement, follow_up.id, "discard")
    assert "Diese Wiedervorlage ist bereits erledigt." in _flashes(client, discard)
    (still,) = _follow_ups(session)
    assert (still.status, still.closed_at) == (FollowUpStatus.ERLEDIGT, closed_at)
    actions = session.scalars(
        select(AuditEvent.action).where(AuditEvent.action.like("follow_up.%"))
    ).all()
    assert actions == ["follow_up.completed"]


def test_discard_with_a_reason(client, session, team):
    kim, noah, _ola, engagement = team
    follow_up = factories.make_follow_up(session, engagement, assignee=noah, note="alt")
    _login(client, kim)
    response = _post_action(client, engagement, follow_up.id, "discard", reason="hat sich erledigt")
    assert "Die Wiedervorlage ist verworfen." in _flashes(client, response)
    (discarded,) = _follow_ups(session)
    assert discarded.status is FollowUpStatus.VERWORFEN
    assert discarded.note == "alt\n\nVerworfen: hat sich erledigt"


def test_too_long_a_reason_is_shown_on_its_own_page(client, session, team):
    kim, noah, _ola, engagement = team
    follow_up = factories.make_follow_up(session, engagement, assignee=noah, note="alt")
    _login(client, kim)
    response = _post_action(client, engagement, follow_up.id, "discard", reason="y" * 2001)
    assert response.status_code == 422
    assert "Bitte kürzen Sie den Text auf höchstens 2.000 Zeichen." in page_text(response)
    page = assert_accessible(response)
    assert page.error_summaries == 1
    assert "y" * 2001 + "</textarea>" in response.get_data(as_text=True)
    (unchanged,) = _follow_ups(session)
    assert (unchanged.status, unchanged.note) == (FollowUpStatus.OFFEN, "alt")


@pytest.mark.parametrize("action", ["complete", "discard"])
def test_a_follow_up_of_another_engagement_is_a_404(client, session, team, action):
    kim, _noah, _ola, engagement = team
    elsewhere = factories.make_engagement(session, lead=kim, status=EngagementStatus.AKTIV)
    foreign = factories.make_follow_up(session, elsewhere, assignee=kim)
    _login(client, kim)
    assert _post_action(client, engagement, foreign.id, action).status_code == 404
    assert _post_action(client, engagement, 999_999, action).status_code == 404
    (unchanged,) = _follow_ups(session)
    assert unchanged.status is FollowUpStatus.OFFEN


def test_the_section_runs_one_statement_whatever_the_rows(client, session, team, count_queries):
    kim, noah, ola, engagement = team
    factories.make_follow_up(session, engagement, assignee=noah)
    _login(client, kim)
    path = f"/engagements/{engagement.id}"

    def statements() -> int:
        client.get(path)  # warm up
        with count_queries() as counter:
            assert client.get(path).status_code == 200
        return len([s for s in counter.statements if "follow_up" in s])

    one = statements()
    for member in (kim, ola, None):
        factories.make_follow_up(session, engagement, assignee=member)
    assert statements() == one == 1


# -- changing ------------------------------------------------------------------------------------


def _edit_path(engagement, follow_up_id: int) -> str:
    return f"/engagements/{engagement.id}/follow-ups/{follow_up_id}/edit"


def _shown(client, engagement, follow_up_id: int) -> str:
    """The digest the edit form carries of the state it shows."""
    html = client.get(_edit_path(engagement, follow_up_id)).get_data(as_text=True)
    match = re.search(r'<input[^>]*name="shown"[^>]*>', html)
    assert match, "the edit form carries what it shows"
    value = re.search(r'value="([^"]*)"', match.group(0))
    assert value and value.group(1)
    return value.group(1)


def _edit_form(client, engagement, follow_up_id: int, **values: str) -> dict[str, str]:
    data = _form(client, engagement, **values)
    del data["kind"]
    data["shown"] = _shown(client, engagement, follow_up_id)
    return data


def test_the_edit_page_shows_the_current_values(client, session, team):
    kim, noah, _ola, engagement = team
    follow_up = factories.make_follow_up(
        session, engagement, assignee=noah, due_on=date(2025, 3, 20), note="alt"
    )
    _login(client, kim)
    response = client.get(_edit_path(engagement, follow_up.id))
    assert response.status_code == 200
    page = assert_accessible(response)
    assert len(page.controls) == 4  # no kind: it stays
    html = response.get_data(as_text=True)
    assert 'value="2025-03-20"' in html
    assert 'value="09:00"' in html
    assert f'<option selected value="{noah.id}">Noah Begleiter</option>' in html
    assert "alt</textarea>" in html


def test_changing_a_follow_up(client, session, team):
    kim, noah, _ola, engagement = team
    follow_up = factories.make_follow_up(session, engagement, assignee=noah, note="alt")
    _login(client, kim)
    data = _edit_form(
        client, engagement, follow_up.id, due_on="2025-04-02", due_time="10:15", note="neu"
    )
    data["assignee"] = str(kim.id)
    response = client.post(_edit_path(engagement, follow_up.id), data=data)
    assert "Die Wiedervorlage ist geändert." in _flashes(client, response)
    (changed,) = _follow_ups(session)
    assert changed.due_at == datetime(2025, 4, 2, 8, 15, tzinfo=UTC)
    assert (changed.assignee_id, changed.note) == (kim.id, "neu")
    event = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "follow_up.updated")
    ).one()
    assert event.changes["follow_up"] == follow_up.id


def test_a_bad_change_is_shown_at_its_field(client, session, team):
    kim, noah, _ola, engagement = team
    follow_up = factories.make_follow_up(session, engagement, assignee=noah, note="alt")
    _login(client, kim)
    data = _edit_form(
        client, engagement, follow_up.id, due_on="2025-03-02", assignee=str(noah.id), note="neu"
    )
    response = client.post(_edit_path(engagement, follow_up.id), data=data)
    assert response.status_code == 422
    assert "Das Fälligkeitsdatum liegt in der Vergangenheit." in page_text(response)
    assert assert_accessible(response).error_summaries == 1
    assert "neu</textarea>" in response.get_data(as_text=True)
    (unchanged,) = _follow_ups(session)
    assert unchanged.note == "alt"


def test_edit_is_refused_for_closed_foreign_and_outsiders(client, session, team):
    kim, noah, ola, engagement = team
    done = factories.make_follow_up(
        session, engagement, assignee=noah, status=FollowUpStatus.ERLEDIGT
    )
    elsewhere = factories.make_engagement(session, lead=kim, status=EngagementStatus.AKTIV)
    foreign = factories.make_follow_up(session, elsewhere, assignee=kim)
    _login(client, kim)
    response = client.get(_edit_path(engagement, done.id))
    assert "nicht mehr offen" in _flashes(client, response)
    assert client.get(_edit_path(engagement, foreign.id)).status_code == 404
    outsider = client.application.test_client()  # a browser of its own
    _login(outsider, ola)
    assert outsider.get(_edit_path(elsewhere, foreign.id)).status_code == 404
    data = _form(outsider, elsewhere, assignee=str(ola.id), note="übernommen")
    assert outsider.post(_edit_path(elsewhere, foreign.id), data=data).status_code == 404
    assert [f.note for f in _follow_ups(session)] == [None, None]


@pytest.mark.parametrize(
    "values",
    [
        {"assignee": "999999999999999999"},
        {"due_on": "2025-03-30", "due_time": "02:30"},
    ],
)
def test_bad_changes_are_refused_at_their_field(client, session, team, values):
    kim, noah, _ola, engagement = team
    follow_up = factories.make_follow_up(session, engagement, assignee=noah, note="alt")
    _login(client, kim)
    data = _edit_form(client, engagement, follow_up.id, assignee=str(noah.id), note="neu")
    data.update(values)
    response = client.post(_edit_path(engagement, follow_up.id), data=data)
    assert response.status_code == 422
    assert f'id="{list(values)[-1]}-error"' in response.get_data(as_text=True)
    assert assert_accessible(response).error_summaries == 1
    (unchanged,) = _follow_ups(session)
    assert (unchanged.assignee_id, unchanged.note) == (noah.id, "alt")


def test_a_change_from_an_old_form_is_refused(client, session, team):
    kim, noah, _ola, engagement = team
    follow_up = factories.make_follow_up(
        session, engagement, assignee=noah, due_on=date(2025, 3, 20), note="alt"
    )
    _login(client, kim)
    old = _edit_form(client, engagement, follow_up.id, assignee=str(noah.id), note="alt")
    old["due_on"] = "2025-03-20"
    # Noah moves it to 14:00 and takes it over in the meantime (another browser)
    other = client.application.test_client()
    _login(other, noah)
    newer = _edit_form(
        other, engagement, follow_up.id, due_on="2025-03-20", due_time="14:00", note="alt"
    )
    newer["assignee"] = str(kim.id)
    assert "Die Wiedervorlage ist geändert." in _flashes(
        other, other.post(_edit_path(engagement, follow_up.id), data=newer)
    )

    old["note"] = "alt, ergänzt"
    response = client.post(_edit_path(engagement, follow_up.id), data=old)
    assert response.status_code == 302
    assert response.location.endswith(f"/engagements/{engagement.id}#follow-ups-title")
    assert "Jemand anderes hat diese Wiedervorlage gerade geändert" in _flashes(client, response)
    (kept,) = _follow_ups(session)
    assert (kept.assignee_id, kept.note) == (kim.id, "alt")
    assert kept.due_at == datetime(2025, 3, 20, 13, 0, tzinfo=UTC)
    # a form without (or with a made-up) digest is refused the same way
    for shown in ("", "0" * 32):
        old["shown"] = shown
        response = client.post(_edit_path(engagement, follow_up.id), data=old)
        assert "Jemand anderes hat diese Wiedervorlage gerade geändert" in _flashes(
            client, response
        )
    (kept,) = _follow_ups(session)
    assert kept.note == "alt"
    events = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "follow_up.updated")
    ).all()
    assert len(events) == 1
