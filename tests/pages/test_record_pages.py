"""The pages of activities and of the barrier register: each action, who may do it, German
messages at the fields for bad input (nothing saved, never a 500), and their structure."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import select, text

from caseflow import clock
from caseflow.audit.models import AuditEvent
from caseflow.engagements.models import (
    Activity,
    ActivityKind,
    Barrier,
    BarrierCategory,
    BarrierStatus,
    EngagementStatus,
)
from caseflow.engagements.services.common import stale_message
from caseflow.staff.models import Role
from tests import factories
from tests.conftest import csrf_token
from tests.pages.helpers import body_rows, page_text, table
from tests.pages.test_accessibility_structure import assert_accessible

TODAY = date(2025, 3, 10)
B = BarrierStatus


@pytest.fixture(autouse=True)
def _frozen_today():
    with clock.frozen(TODAY):
        yield


def _actions(session, engagement, prefix: str) -> list[str]:
    return list(
        session.scalars(
            select(AuditEvent.action).where(
                AuditEvent.object_type == "engagement",
                AuditEvent.object_id == engagement.id,
                AuditEvent.action.startswith(prefix),
            )
        )
    )


def _activities(session, engagement) -> list[Activity]:
    return list(session.scalars(select(Activity).where(Activity.engagement_id == engagement.id)))


def _barriers(session, engagement) -> list[Barrier]:
    return list(session.scalars(select(Barrier).where(Barrier.engagement_id == engagement.id)))


def _version_in(html: str) -> str:
    match = re.search(r'name="version" type="hidden" value="(\d+)"', html)
    assert match, "no version in the form"
    return match.group(1)


def _shown_version(client, path: str) -> str:
    return _version_in(client.get(path).get_data(as_text=True))


def _someone_else_changes(session, engagement) -> None:
    """Another person's change of the engagement (a milestone, the team, …) bumps its version."""
    session.connection().execute(
        text("UPDATE engagement SET version = version + 1 WHERE id = :id"), {"id": engagement.id}
    )


def _error_summary(response) -> str:
    """The text of the error summary at the top of the form."""
    html = response.get_data(as_text=True)
    match = re.search(r'<div class="error-summary".*?</div>', html, re.DOTALL)
    assert match, "no error summary"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match.group(0))).strip()


def _post(client, path: str, data: dict[str, object], *, form_path: str | None = None):
    """Post ``data`` to ``path`` with a CSRF token and the version the form page shows
    (unless ``data`` has a ``version``)."""
    values = {"csrf_token": csrf_token(client, "/engagements")}
    if "version" not in data:
        values["version"] = _shown_version(client, form_path or path)
    values.update(data)
    return client.post(path, data=values)


@pytest.fixture
def stale(app) -> str:
    """The German message for a form shown on an older state of the engagement."""
    with app.test_request_context():
        return stale_message()


@pytest.fixture
def me(logged_in):
    return logged_in(Role.CONSULTANT, name="Ich Selbst")


@pytest.fixture
def engagement(session, me):
    return factories.make_engagement(session, lead=me, status=EngagementStatus.AKTIV)


def _activity_form(**overrides: object) -> dict[str, object]:
    values: dict[str, object] = {
        "kind": "workshop",
        "occurred_on": "2025-03-05",
        "duration_minutes": "120",
        "participants_count": "14",
        "note": "Zielworkshop mit der Steuerungsgruppe",
    }
    values.update(overrides)
    return {key: value for key, value in values.items() if value is not None}


# --- activities --------------------------------------------------------------------------


def test_logging_an_activity_from_the_engagement_page(client, session, me, engagement):
    colleague = factories.make_staff_member(session, name="Alex Kollegin")
    page = client.get(f"/engagements/{engagement.id}")
    assert "Aktivität erfassen" in page_text(page)
    assert "Alle Aktivitäten" in page_text(page)

    path = f"/engagements/{engagement.id}/activities/new"
    form = client.get(path)
    assert form.status_code == 200
    html = form.get_data(as_text=True)
    assert 'value="2025-03-10"' in html  # today as the default day
    assert "Alex Kollegin" in html and "Ich Selbst" in html

    response = _post(client, path, _activity_form(staff=[str(colleague.id), str(me.id)]))
    assert response.status_code == 302
    shown = client.get(response.location)
    assert "Die Aktivität wurde erfasst." in page_text(shown)
    row = body_rows(table(shown, "Die letzten Aktivitäten"))[0]
    assert row[:4] == ["05.03.2025", "Workshop", "120 Min.", "14"]
    assert row[4] == "Alex Kollegin, Ich Selbst"
    assert "Aktivität erfasst" in page_text(shown)  # the history
    (activity,) = _activities(session, engagement)
    assert activity.author_id == me.id
    assert _actions(session, engagement, "activity.") == ["activity.created"]


def test_an_activity_day_typed_the_german_way_is_read(client, session, engagement):
    path = f"/engagements/{engagement.id}/activities/new"
    response = _post(client, path, _activity_form(occurred_on="5.3.2025"))
    assert response.status_code == 302
    (activity,) = _activities(session, engagement)
    assert activity.occurred_on == date(2025, 3, 5)


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"occurred_on": "2025-03-11"}, "occurred_on", "wenn sie stattgefunden haben"),
        ({"occurred_on": "2024-10-02"}, "occurred_on", "nicht vor dem 03.10.2024"),
        ({"occurred_on": "2025-02-30"}, "occurred_on", "gültiges Datum"),
        ({"occurred_on": "31.04.2025"}, "occurred_on", "gültiges Datum"),
        ({"occurred_on": "99999-01-01"}, "occurred_on", "gültiges Datum"),
        ({"occurred_on": ""}, "occurred_on", "wann die Aktivität stattfand"),
        ({"duration_minutes": "1441"}, "duration_minutes", "von 0 bis 1.440 Minuten"),
        ({"duration_minutes": "-5"}, "duration_minutes", "von 0 bis 1.440 Minuten"),
        ({"duration_minutes": "1,5"}, "duration_minutes", "von 0 bis 1.440 Minuten"),
        ({"duration_minutes": "9" * 40}, "duration_minutes", "von 0 bis 1.440 Minuten"),
        ({"participants_count": "abc"}, "participants_count", "von 0 bis 999"),
        ({"participants_count": "1000"}, "participants_count", "von 0 bis 999"),
        ({"kind": "<b>x</b>"}, "kind", "Bitte wählen Sie eine Art aus der Liste."),
        ({"kind": None}, "kind", "Bitte wählen Sie eine Art aus der Liste."),
        ({"staff": "999999"}, "staff", "nur Personen aus der Liste"),
        ({"staff": "abc"}, "staff", "nur Personen aus der Liste"),
        ({"staff": "9" * 40}, "staff", "nur Personen aus der Liste"),
        ({"note": "x" * 5001}, "note", "höchstens 5.000 Zeichen"),
    ],
)
def test_bad_activity_input_is_a_422_at_the_field(
    client, session, me, engagement, values, field, message
):
    path = f"/engagements/{engagement.id}/activities/new"
    response = _post(client, path, _activity_form(**values))
    assert response.status_code == 422
    assert message in page_text(response)
    html = response.get_data(as_text=True)
    error_id = f"{field}-error" if field != "staff" else "staff-error"
    assert f'id="{error_id}"' in html
    if "<b>" in str(values):
        assert "<b>x</b>" not in html
    assert _activities(session, engagement) == []
    assert _actions(session, engagement, "activity.") == []


def test_an_inactive_stranger_cannot_be_named(client, session, me, engagement):
    gone = factories.make_staff_member(session, name="Längst Weg")
    gone.is_active = False
    session.flush()
    path = f"/engagements/{engagement.id}/activities/new"
    assert "Längst Weg" not in client.get(path).get_data(as_text=True)
    response = _post(client, path, _activity_form(staff=str(gone.id)))
    assert response.status_code == 422
    assert _activities(session, engagement) == []


@pytest.mark.parametrize("version", ["", "abc", "9" * 40])
def test_a_malformed_version_is_a_422(client, session, me, engagement, version):
    path = f"/engagements/{engagement.id}/activities/new"
    response = _post(client, path, _activity_form(version=version))
    assert response.status_code == 422
    assert "Dieses Formular ist veraltet oder unvollständig." in page_text(response)
    assert _activities(session, engagement) == []


def test_a_missing_version_is_refused(client, session, me, engagement):
    path = f"/engagements/{engagement.id}/activities/new"
    data = {"csrf_token": csrf_token(client, path), **_activity_form()}
    response = client.post(path, data=data)
    assert response.status_code == 422
    assert _activities(session, engagement) == []


def test_logging_an_activity_conflicts_with_nothing(client, session, me, engagement):
    """A new activity is saved whatever changed since its form was shown, and it does not make
    the forms others have open stale."""
    path = f"/engagements/{engagement.id}/activities/new"
    shown = _shown_version(client, path)
    barrier = factories.make_barrier(session, engagement)
    barrier_path = f"/engagements/{engagement.id}/barriers/{barrier.id}/edit"
    _someone_else_changes(session, engagement)
    barrier_shown = _shown_version(client, barrier_path)

    response = _post(client, path, _activity_form(version=shown))
    assert response.status_code == 302
    assert "Die Aktivität wurde erfasst." in page_text(client.get(response.location))
    assert len(_activities(session, engagement)) == 1
    assert _actions(session, engagement, "activity.") == ["activity.created"]

    # The barrier form opened before the activity was logged still saves.
    response = _post(
        client, barrier_path, _barrier_form(status="in_bearbeitung", version=barrier_shown)
    )
    assert response.status_code == 302
    session.refresh(barrier)
    assert barrier.status is B.IN_BEARBEITUNG


def test_a_stale_activity_edit_is_shown_again_with_the_input(
    client, session, me, engagement, stale
):
    activity = factories.make_activity(session, engagement, author=me, note="alt")
    path = f"/engagements/{engagement.id}/activities/{activity.id}/edit"
    shown = _shown_version(client, path)
    _someone_else_changes(session, engagement)

    response = _post(client, path, _activity_form(note="mein neuer Text", version=shown))
    assert response.status_code == 409
    assert stale in _error_summary(response)
    html = response.get_data(as_text=True)
    assert re.search(r">\s*mein neuer Text</textarea>", html)
    assert 'value="120"' in html  # the duration entered
    fresh = _version_in(html)
    assert int(fresh) == int(shown) + 1
    session.refresh(activity)
    assert activity.note == "alt"
    assert _actions(session, engagement, "activity.") == []

    # Sent again as shown, it saves what was entered.
    response = _post(client, path, _activity_form(note="mein neuer Text", version=fresh))
    assert response.status_code == 302
    session.refresh(activity)
    assert activity.note == "mein neuer Text"
    assert _actions(session, engagement, "activity.") == ["activity.updated"]


def test_other_consultants_neither_read_nor_log(client, session, logged_in):
    """Off the team, the engagement's activities are not found (tests/test_idor.py)."""
    logged_in(Role.CONSULTANT)
    lead = factories.make_staff_member(session)
    engagement = factories.make_engagement(session, lead=lead)
    factories.make_activity(session, engagement, note="gelesen")
    page = client.get(f"/engagements/{engagement.id}")
    assert page.status_code == 404
    assert "Aktivität erfassen" not in page_text(page)
    listing = client.get(f"/engagements/{engagement.id}/activities")
    assert listing.status_code == 404
    assert "gelesen" not in page_text(listing)
    path = f"/engagements/{engagement.id}/activities/new"
    assert client.get(path).status_code == 404
    response = _post(client, path, _activity_form(version=str(engagement.version)))
    assert response.status_code == 404
    assert len(_activities(session, engagement)) == 1


def test_a_lead_outside_the_team_logs_on_a_closed_engagement(client, session, logged_in):
    logged_in(Role.LEAD)
    engagement = factories.make_engagement(
        session, lead=factories.make_staff_member(session), status=EngagementStatus.ABGESCHLOSSEN
    )
    path = f"/engagements/{engagement.id}/activities/new"
    response = _post(client, path, _activity_form(kind="telefonat"))
    assert response.status_code == 302
    assert [a.kind for a in _activities(session, engagement)] == [ActivityKind.TELEFONAT]


def test_the_full_list_is_newest_first_with_links_on_own_activities(
    client, session, me, engagement
):
    colleague = factories.make_staff_member(session)
    factories.make_activity(session, engagement, occurred_on=date(2025, 1, 10), author=colleague)
    mine = factories.make_activity(
        session, engagement, occurred_on=date(2025, 2, 10), author=me, note="meins"
    )
    for day in range(1, 12):  # more than the engagement page shows
        factories.make_activity(session, engagement, occurred_on=date(2024, 12, day))
    response = client.get(f"/engagements/{engagement.id}/activities")
    assert response.status_code == 200
    rows = body_rows(table(response, "13 Aktivitäten"))
    assert [row[0] for row in rows[:2]] == ["10.02.2025", "10.01.2025"]
    assert rows[0][-2] == "Ich Selbst"
    assert rows[0][-1].startswith("Ändern")
    assert rows[1][-1] == "–"
    html = response.get_data(as_text=True)
    assert f"/activities/{mine.id}/edit" in html
    assert f"/activities/{mine.id}/delete" in html
    assert len(body_rows(table(client.get(f"/engagements/{engagement.id}"), "letzten"))) == 10


def test_the_author_edits_an_activity(client, session, me, engagement):
    activity = factories.make_activity(
        session, engagement, author=me, note="alt", duration_minutes=30
    )
    path = f"/engagements/{engagement.id}/activities/{activity.id}/edit"
    form = client.get(path)
    assert form.status_code == 200
    assert re.search(r">\s*alt</textarea>", form.get_data(as_text=True))
    response = _post(client, path, _activity_form(kind="notiz", note="neu", duration_minutes=""))
    assert response.status_code == 302
    assert "Die Aktivität wurde geändert." in page_text(client.get(response.location))
    session.refresh(activity)
    assert (activity.kind, activity.note, activity.duration_minutes) == (
        ActivityKind.NOTIZ,
        "neu",
        None,
    )
    assert _actions(session, engagement, "activity.") == ["activity.updated"]


def test_an_edit_with_bad_input_keeps_the_values(client, session, me, engagement):
    activity = factories.make_activity(session, engagement, author=me, note="alt")
    path = f"/engagements/{engagement.id}/activities/{activity.id}/edit"
    response = _post(client, path, _activity_form(note="neu", participants_count="-1"))
    assert response.status_code == 422
    assert re.search(r">\s*neu</textarea>", response.get_data(as_text=True))
    session.refresh(activity)
    assert activity.note == "alt"


def test_only_the_author_may_edit_or_delete(client, session, me):
    co = factories.make_staff_member(session, name="Co")
    engagement = factories.make_engagement(session, lead=me, co=[co])
    activity = factories.make_activity(session, engagement, author=co, note="von co")
    listing = client.get(f"/engagements/{engagement.id}/activities")
    assert f"/activities/{activity.id}/edit" not in listing.get_data(as_text=True)
    for action in ("edit", "delete"):
        path = f"/engagements/{engagement.id}/activities/{activity.id}/{action}"
        page = client.get(path)
        assert page.status_code == 403
        assert "Nur die Person, die die Aktivität erfasst hat" in page.get_data(as_text=True)
        data = _activity_form(note="fremd", version=str(engagement.version))
        assert _post(client, path, data).status_code == 403
    session.refresh(activity)
    assert activity.note == "von co"
    assert _actions(session, engagement, "activity.") == []


def test_the_author_deletes_after_confirming(client, session, me, engagement):
    activity = factories.make_activity(session, engagement, author=me, note="weg damit")
    path = f"/engagements/{engagement.id}/activities/{activity.id}/delete"
    confirm = client.get(path)
    assert confirm.status_code == 200
    assert "weg damit" in page_text(confirm)
    assert_accessible(confirm)
    response = _post(client, path, {})
    assert response.status_code == 302
    assert "Die Aktivität wurde gelöscht." in page_text(client.get(response.location))
    assert _activities(session, engagement) == []
    assert _actions(session, engagement, "activity.") == ["activity.deleted"]


def test_a_stale_delete_asks_again(client, session, me, engagement, stale):
    activity = factories.make_activity(session, engagement, author=me, note="noch da")
    path = f"/engagements/{engagement.id}/activities/{activity.id}/delete"
    shown = _shown_version(client, path)
    _someone_else_changes(session, engagement)
    response = _post(client, path, {"version": shown})
    assert response.status_code == 409
    assert stale in _error_summary(response)
    assert "noch da" in page_text(response)
    fresh = _version_in(response.get_data(as_text=True))
    assert int(fresh) == int(shown) + 1
    assert len(_activities(session, engagement)) == 1
    assert _actions(session, engagement, "activity.") == []
    assert _post(client, path, {"version": fresh}).status_code == 302
    assert _activities(session, engagement) == []


def test_deleting_twice_leads_back_to_the_list(client, session, me, engagement):
    """A double click: the second request finds the activity gone."""
    activity = factories.make_activity(session, engagement, author=me)
    path = f"/engagements/{engagement.id}/activities/{activity.id}/delete"
    version = _shown_version(client, path)
    assert _post(client, path, {"version": version}).status_code == 302
    client.get(f"/engagements/{engagement.id}/activities")  # shows the first flash
    for send in (lambda: _post(client, path, {"version": version}), lambda: client.get(path)):
        response = send()
        assert response.status_code == 302
        assert response.location.endswith(f"/engagements/{engagement.id}/activities")
        listing = client.get(response.location)
        assert "Hinweis: Die Aktivität ist bereits gelöscht." in page_text(listing)
    assert _actions(session, engagement, "activity.") == ["activity.deleted"]


def test_an_author_who_left_the_team_may_no_longer_edit_or_delete(client, session, logged_in):
    lead = factories.make_staff_member(session)
    co = logged_in(Role.CONSULTANT, name="Ehemals im Team")
    engagement = factories.make_engagement(session, lead=lead, co=[co])
    activity = factories.make_activity(session, engagement, author=co, note="von co")
    listing = client.get(f"/engagements/{engagement.id}/activities")
    assert f"/activities/{activity.id}/edit" in listing.get_data(as_text=True)

    (assignment,) = [a for a in engagement.assignments if a.staff_member_id == co.id]
    engagement.assignments.remove(assignment)
    session.flush()
    listing = client.get(f"/engagements/{engagement.id}/activities")
    assert listing.status_code == 404  # off the team: not even readable any more
    for action in ("edit", "delete"):
        path = f"/engagements/{engagement.id}/activities/{activity.id}/{action}"
        page = client.get(path)
        assert page.status_code == 404
        assert "von co" not in page_text(page)
        data = _activity_form(note="später", version=str(engagement.version))
        response = _post(client, path, data)
        assert response.status_code == 404
    session.refresh(activity)
    assert activity.note == "von co"
    assert _actions(session, engagement, "activity.") == []


def test_foreign_and_unknown_ids_are_404(client, session, me, engagement):
    other = factories.make_engagement(session, lead=me)
    foreign = factories.make_activity(session, other, author=me)
    foreign_barrier = factories.make_barrier(session, other)
    base = f"/engagements/{engagement.id}"
    for path in (
        f"{base}/activities/{foreign.id}/edit",
        f"{base}/activities/{foreign.id}/delete",
        f"{base}/barriers/{foreign_barrier.id}/edit",
        f"{base}/activities/99999999999999999999999/edit",
        f"{base}/activities/999999/delete",  # never existed: no "already deleted" note
        "/engagements/99999999999999999999999/activities",
        "/engagements/999999/activities/new",
        "/engagements/999999/barriers/new",
    ):
        assert client.get(path).status_code == 404, path
    data = _activity_form(note="fremd", version=str(engagement.version))
    assert _post(client, f"{base}/activities/{foreign.id}/edit", data).status_code == 404
    assert _post(client, f"{base}/activities/{foreign.id}/delete", data).status_code == 404
    session.refresh(foreign)
    assert foreign.note is None


# --- barriers ----------------------------------------------------------------------------


def _barrier_form(**overrides: object) -> dict[str, object]:
    values: dict[str, object] = {
        "category": "sprache_information",
        "description": "Bescheide nur auf Deutsch",
        "status": "erkannt",
        "identified_on": "2025-03-01",
        "resolved_on": "",
        "measure_taken": "",
    }
    values.update(overrides)
    return {key: value for key, value in values.items() if value is not None}


def test_adding_a_barrier_and_the_register_with_its_counts(client, session, me, engagement):
    factories.make_barrier(
        session,
        engagement,
        category=BarrierCategory.DATEN_MONITORING,
        status=B.ABGEBAUT,
        identified_on=date(2025, 1, 2),
        measure_taken="Zahlen erhoben",
    )
    path = f"/engagements/{engagement.id}/barriers/new"
    form = client.get(path)
    assert form.status_code == 200
    html = form.get_data(as_text=True)
    assert "Sprache &amp; Information" in html and "digitale Zugänge" in html
    response = _post(client, path, _barrier_form())
    assert response.status_code == 302
    page = client.get(response.location)
    assert "Die Zugangsbarriere wurde erfasst." in page_text(page)
    register = table(page, "Register der Zugangsbarrieren")
    assert register.rows[0] == ["Kategorie", "Beschreibung", "Status", "Maßnahme", "Aktionen"]
    assert register.row("Sprache & Information")[1:] == [
        "Bescheide nur auf Deutsch",
        "erkannt",
        "–",
        "Ändern (Bescheide nur auf Deutsch)",
    ]
    assert register.row("Daten & Monitoring")[2:4] == [
        "abgebaut am 03.03.2025",
        "Zahlen erhoben",
    ]
    (created,) = [b for b in _barriers(session, engagement) if b.status is B.ERKANNT]
    assert created.identified_on == date(2025, 3, 1)
    assert f"/barriers/{created.id}/edit" in page.get_data(as_text=True)
    counts = table(page, "nach Kategorie und Status")
    assert counts.rows[0] == ["Kategorie", "erkannt", "in Bearbeitung", "abgebaut", "gesamt"]
    assert len(body_rows(counts)) == 7
    assert counts.row("Sprache & Information")[1:] == ["1", "0", "0", "1"]
    assert counts.row("Daten & Monitoring")[1:] == ["0", "0", "1", "1"]
    assert counts.row("Verfahren & Formulare")[1:] == ["0", "0", "0", "0"]
    assert _actions(session, engagement, "barrier.") == ["barrier.created"]


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"description": "   "}, "description", "Bitte beschreiben Sie die Zugangsbarriere."),
        ({"description": "x" * 5001}, "description", "höchstens 5.000 Zeichen"),
        ({"category": "unbekannt"}, "category", "Bitte wählen Sie eine Kategorie"),
        ({"status": "weg"}, "status", "Bitte wählen Sie einen Status aus der Liste."),
        ({"identified_on": "2025-03-11"}, "identified_on", "nicht in der Zukunft"),
        ({"identified_on": "2025-13-01"}, "identified_on", "gültiges Datum"),
        ({"status": "abgebaut"}, "measure_taken", "Welche Maßnahme hat die Barriere abgebaut?"),
        (
            {"status": "abgebaut", "measure_taken": "M", "resolved_on": "2025-02-01"},
            "resolved_on",
            "bevor sie erkannt wurde",
        ),
        ({"measure_taken": "y" * 5001}, "measure_taken", "höchstens 5.000 Zeichen"),
    ],
)
def test_bad_barrier_input_is_a_422_at_the_field(
    client, session, me, engagement, values, field, message
):
    path = f"/engagements/{engagement.id}/barriers/new"
    response = _post(client, path, _barrier_form(**values))
    assert response.status_code == 422
    assert message in page_text(response)
    assert f'id="{field}-error"' in response.get_data(as_text=True)
    assert _barriers(session, engagement) == []
    assert _actions(session, engagement, "barrier.") == []


def test_a_barrier_moves_along_the_table(client, session, me, engagement):
    barrier = factories.make_barrier(session, engagement, identified_on=date(2025, 2, 1))
    path = f"/engagements/{engagement.id}/barriers/{barrier.id}/edit"
    form = client.get(path).get_data(as_text=True)
    offered = re.findall(r'<option[^>]*value="(\w+)"', form.split('id="status"', 1)[1])[:3]
    assert offered[:2] == ["erkannt", "in_bearbeitung"]
    assert "abgebaut" not in offered

    # erkannt → abgebaut is not a move: refused at the field
    response = _post(client, path, _barrier_form(status="abgebaut", measure_taken="M"))
    assert response.status_code == 422
    assert "nicht möglich" in page_text(response)

    assert _post(client, path, _barrier_form(status="in_bearbeitung")).status_code == 302
    response = _post(client, path, _barrier_form(status="abgebaut", measure_taken="Übersetzt"))
    assert response.status_code == 302
    session.refresh(barrier)
    assert (barrier.status, barrier.resolved_on, barrier.measure_taken) == (
        B.ABGEBAUT,
        TODAY,
        "Übersetzt",
    )
    # reopened
    assert _post(client, path, _barrier_form(status="in_bearbeitung")).status_code == 302
    session.refresh(barrier)
    assert (barrier.status, barrier.resolved_on) == (B.IN_BEARBEITUNG, None)
    assert _actions(session, engagement, "barrier.") == ["barrier.updated"] * 3


def test_other_consultants_cannot_add_or_change_barriers(client, session, logged_in):
    logged_in(Role.CONSULTANT)
    engagement = factories.make_engagement(session, lead=factories.make_staff_member(session))
    barrier = factories.make_barrier(session, engagement)
    page = client.get(f"/engagements/{engagement.id}")
    assert page.status_code == 404  # off the team (tests/test_idor.py)
    assert "Zugangsbarriere erfassen" not in page_text(page)
    assert f"/barriers/{barrier.id}/edit" not in page.get_data(as_text=True)
    for path in (
        f"/engagements/{engagement.id}/barriers/new",
        f"/engagements/{engagement.id}/barriers/{barrier.id}/edit",
    ):
        assert client.get(path).status_code == 404
        data = _barrier_form(status="in_bearbeitung", version=str(engagement.version))
        assert _post(client, path, data).status_code == 404
    session.refresh(barrier)
    assert barrier.status is B.ERKANNT
    assert len(_barriers(session, engagement)) == 1


def test_a_closed_engagements_register_is_read_only(client, session, me):
    engagement = factories.make_engagement(session, lead=me, status=EngagementStatus.ABGESCHLOSSEN)
    barrier = factories.make_barrier(session, engagement)
    page = client.get(f"/engagements/{engagement.id}")
    assert "Zugangsbarriere erfassen" not in page_text(page)
    for path in (
        f"/engagements/{engagement.id}/barriers/new",
        f"/engagements/{engagement.id}/barriers/{barrier.id}/edit",
    ):
        response = _post(client, path, _barrier_form(version=str(engagement.version)))
        assert response.status_code == 302
        assert "Zugangsbarrieren können nicht mehr" in page_text(client.get(response.location))
    assert len(_barriers(session, engagement)) == 1


def test_a_stale_barrier_edit_is_shown_again_with_the_input(client, session, me, engagement, stale):
    barrier = factories.make_barrier(session, engagement, description="alt")
    path = f"/engagements/{engagement.id}/barriers/{barrier.id}/edit"
    shown = _shown_version(client, path)
    _someone_else_changes(session, engagement)
    entered = _barrier_form(
        description="Neue Beschreibung", status="in_bearbeitung", measure_taken="Erste Schritte"
    )

    response = _post(client, path, {**entered, "version": shown})
    assert response.status_code == 409
    assert stale in _error_summary(response)
    html = response.get_data(as_text=True)
    assert re.search(r">\s*Neue Beschreibung</textarea>", html)
    assert re.search(r">\s*Erste Schritte</textarea>", html)
    assert re.search(r'<option selected value="in_bearbeitung"', html)
    fresh = _version_in(html)
    assert int(fresh) == int(shown) + 1
    session.refresh(barrier)
    assert (barrier.status, barrier.description) == (B.ERKANNT, "alt")
    assert _actions(session, engagement, "barrier.") == []

    response = _post(client, path, {**entered, "version": fresh})
    assert response.status_code == 302
    session.refresh(barrier)
    assert (barrier.status, barrier.description) == (B.IN_BEARBEITUNG, "Neue Beschreibung")
    assert _actions(session, engagement, "barrier.") == ["barrier.updated"]


def test_adding_a_barrier_conflicts_with_nothing(client, session, me, engagement):
    path = f"/engagements/{engagement.id}/barriers/new"
    shown = _shown_version(client, path)
    _someone_else_changes(session, engagement)
    session.refresh(engagement)
    version = engagement.version
    response = _post(client, path, _barrier_form(version=shown))
    assert response.status_code == 302
    assert "Die Zugangsbarriere wurde erfasst." in page_text(client.get(response.location))
    assert len(_barriers(session, engagement)) == 1
    session.refresh(engagement)
    assert engagement.version == version  # other open forms stay valid


def test_a_blank_identification_day_keeps_the_stored_one(client, session, me, engagement):
    barrier = factories.make_barrier(session, engagement, identified_on=date(2025, 2, 1))
    path = f"/engagements/{engagement.id}/barriers/{barrier.id}/edit"
    form = page_text(client.get(path))
    assert "Leer lassen: bleibt wie gespeichert; nicht in der Zukunft." in form
    assert "Leer lassen für heute" not in form
    response = _post(client, path, _barrier_form(identified_on="", status="in_bearbeitung"))
    assert response.status_code == 302
    session.refresh(barrier)
    assert (barrier.identified_on, barrier.status) == (date(2025, 2, 1), B.IN_BEARBEITUNG)

    new = page_text(client.get(f"/engagements/{engagement.id}/barriers/new"))
    assert "Leer lassen für heute; nicht in der Zukunft." in new
    assert "Nur bei „abgebaut“; leer lassen für heute." in new
    assert "bleibt wie gespeichert" not in new


def test_a_removed_barriers_hint_keeps_its_day(client, session, me, engagement):
    barrier = factories.make_barrier(
        session, engagement, status=B.ABGEBAUT, identified_on=date(2025, 1, 2), measure_taken="M"
    )
    resolved_on = barrier.resolved_on
    path = f"/engagements/{engagement.id}/barriers/{barrier.id}/edit"
    assert "Nur bei „abgebaut“; leer lassen: bleibt wie gespeichert." in page_text(client.get(path))
    data = _barrier_form(
        status="abgebaut", identified_on="", resolved_on="", measure_taken="M", description="neu"
    )
    assert _post(client, path, data).status_code == 302
    session.refresh(barrier)
    assert (barrier.identified_on, barrier.resolved_on) == (date(2025, 1, 2), resolved_on)


def test_each_barrier_has_its_own_edit_link(client, session, me, engagement):
    """Several barriers of one category: each link names its barrier."""
    first = factories.make_barrier(
        session,
        engagement,
        category=BarrierCategory.SPRACHE_INFORMATION,
        description="Bescheide und Merkblätter gibt es nur auf Deutsch,\nauch online.",
    )
    second = factories.make_barrier(
        session,
        engagement,
        category=BarrierCategory.SPRACHE_INFORMATION,
        description="Keine Dolmetschenden",
    )
    page = client.get(f"/engagements/{engagement.id}")
    html = page.get_data(as_text=True)
    assert "aria-label=" not in html.split('id="barriers-title"', 1)[1].split("</section>", 1)[0]
    links = {
        href: re.sub(r"<[^>]+>", "", text)
        for href, text in re.findall(r'<a href="([^"]*/barriers/\d+/edit)">(.*?)</a>', html)
    }
    assert links == {
        f"/engagements/{engagement.id}/barriers/{first.id}/edit": (
            "Ändern (Bescheide und Merkblätter gibt es nur…)"
        ),
        f"/engagements/{engagement.id}/barriers/{second.id}/edit": "Ändern (Keine Dolmetschenden)",
    }
    assert 'Ändern<span class="visually-hidden"> (Keine Dolmetschenden)</span>' in html
    rows = body_rows(table(page, "Register der Zugangsbarrieren"))
    assert [row[0] for row in rows] == ["Sprache & Information"] * 2  # plain text, no link


def test_readers_see_the_register_without_actions(client, session, logged_in):
    # Everyone who may see an engagement may change it; nobody changes the register of a
    # closed one: the team reads it without actions.
    me = logged_in(Role.CONSULTANT)
    engagement = factories.make_engagement(session, lead=me, status=EngagementStatus.ABGESCHLOSSEN)
    factories.make_barrier(session, engagement, description="Nur Online-Termine")
    register = table(client.get(f"/engagements/{engagement.id}"), "Register der Zugangsbarrieren")
    assert register.rows[0] == ["Kategorie", "Beschreibung", "Status", "Maßnahme"]
    assert len(body_rows(register)[0]) == 4


# --- structure ---------------------------------------------------------------------------


def test_the_pages_are_accessible(client, session, me, engagement):
    activity = factories.make_activity(session, engagement, author=me, staff=[me])
    barrier = factories.make_barrier(session, engagement)
    base = f"/engagements/{engagement.id}"
    for path in (
        base,
        f"{base}/activities",
        f"{base}/activities/new",
        f"{base}/activities/{activity.id}/edit",
        f"{base}/barriers/new",
        f"{base}/barriers/{barrier.id}/edit",
    ):
        response = client.get(path)
        assert response.status_code == 200, path
        assert_accessible(response)
    page = assert_accessible(client.get(base))
    assert len(page.scroll_containers) >= 3  # activities, register, counts


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("activities/new", {"kind": "x", "occurred_on": "x", "staff": "x", "version": "1"}),
        ("barriers/new", {"category": "x", "description": "", "status": "abgebaut"}),
    ],
)
def test_forms_with_errors_are_accessible(client, session, me, engagement, path, data):
    values = {"version": str(engagement.version), **data}
    response = _post(client, f"/engagements/{engagement.id}/{path}", values)
    assert response.status_code == 422
    page = assert_accessible(response)
    assert page.error_summaries == 1
