"""The Selbstcheck questionnaire pages (``/admin/selbstcheck``): admins only; the list by
category, a statement's versions with their answers; adding, revising, retiring, restoring
and moving through the forms (with CSRF); every bad or stale form answered with a German
message and nothing saved, and no 500 for anything a browser can send."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from caseflow import clock
from caseflow.admin.views import selfcheck as views
from caseflow.audit.models import AuditEvent
from caseflow.engagements.models import BarrierCategory
from caseflow.outcomes.models import RoundKind, SelfcheckStatement
from caseflow.outcomes.questionnaire import revise_statement
from caseflow.outcomes.rules import Rating
from caseflow.outcomes.services import (
    AnswerInput,
    current_statements,
    open_round,
    save_answers,
    start_response,
)
from caseflow.staff.models import Role
from tests import factories
from tests.conftest import csrf_token
from tests.pages.helpers import body_rows, page_text, table
from tests.pages.test_accessibility_structure import assert_accessible

TODAY = date(2025, 3, 10)
NOW = datetime(2025, 3, 10, 9, 0, tzinfo=UTC)
LIST = "/admin/selbstcheck"
KEY = "sprache_information.sprachmittlung"
PAGE = f"{LIST}/{KEY}"
NEW_TEXT = "Wir ziehen für wichtige Gespräche professionelle Sprachmittlung hinzu."


@pytest.fixture(autouse=True)
def _frozen_today():
    with clock.frozen(TODAY):
        yield


@pytest.fixture
def admin(logged_in):
    return logged_in(Role.ADMIN)


def _current(session, key: str = KEY) -> SelfcheckStatement:
    session.expire_all()
    return session.scalars(
        select(SelfcheckStatement).where(
            SelfcheckStatement.key == key, SelfcheckStatement.retired_at.is_(None)
        )
    ).one()


def _rows(session) -> int:
    return session.scalar(select(func.count()).select_from(SelfcheckStatement))


def _events(session) -> list[AuditEvent]:
    return list(
        session.scalars(
            select(AuditEvent)
            .where(AuditEvent.action.like("selfcheck.statement_%"))
            .order_by(AuditEvent.id)
        )
    )


def _token(client) -> str:
    return csrf_token(client, LIST)


def _revise(client, shown: object, text: str | None = NEW_TEXT, **extra):
    data = {"csrf_token": _token(client), "revise-shown": str(shown), **extra}
    if text is not None:
        data["revise-text"] = text
    return client.post(f"{PAGE}/bearbeiten", data=data)


def _retire(client, shown: object, *, confirm: bool = True, key: str = KEY):
    data = {"csrf_token": _token(client), "retire-shown": str(shown)}
    if confirm:
        data["retire-confirm"] = "y"
    return client.post(f"{LIST}/{key}/zurueckziehen", data=data)


def _add(client, **fields: str):
    return client.post(LIST, data={"csrf_token": _token(client), **fields})


def _flashed(client, response) -> str:
    assert response.status_code == 302, response.status_code
    return page_text(client.get(response.headers["Location"]))


# --- who may -------------------------------------------------------------------------------


POSTS = ["", f"/{KEY}/bearbeiten", f"/{KEY}/zurueckziehen", f"/{KEY}/wiederaufnehmen"]


def test_anonymous_visitors_are_sent_to_the_login(client, session):
    for path in (LIST, PAGE, f"{LIST}/fassung/1"):
        response = client.get(path)
        assert response.status_code == 302
        assert "/login" in response.headers["Location"]
    for suffix in [*POSTS, f"/{KEY}/verschieben"]:
        response = client.post(LIST + suffix, data={"csrf_token": csrf_token(client)})
        assert response.status_code == 302
        assert "/login" in response.headers["Location"]


@pytest.mark.parametrize("role", [Role.CONSULTANT, Role.LEAD])
def test_consultants_and_leads_get_403(client, session, logged_in, role):
    logged_in(role)
    statement = _current(session)
    assert client.get(LIST).status_code == 403
    assert client.get(PAGE).status_code == 403
    assert client.get(f"{LIST}/fassung/{statement.id}").status_code == 403
    data = {
        "csrf_token": csrf_token(client, "/dashboard"),
        "add-category": "daten_monitoring",
        "add-text": "Wir zählen.",
        "revise-shown": str(statement.id),
        "revise-text": NEW_TEXT,
        "retire-shown": str(statement.id),
        "retire-confirm": "y",
        "shown": str(statement.id),
        "direction": "down",
    }
    rows = _rows(session)
    for suffix in [*POSTS, f"/{KEY}/verschieben"]:
        assert client.post(LIST + suffix, data=data).status_code == 403
    assert _rows(session) == rows
    assert _current(session).id == statement.id
    assert _events(session) == []


def test_the_admin_menu_leads_to_the_questionnaire(client, admin):
    response = client.get("/admin/")
    assert f'href="{LIST}"' in response.get_data(as_text=True)
    html = client.get(LIST).get_data(as_text=True)
    assert f'<a href="{LIST}" aria-current="page">Selbstcheck</a>' in html


# --- the pages -----------------------------------------------------------------------------


def test_the_list_shows_the_current_statements_by_category(client, session, admin):
    response = client.get(LIST)
    assert response.status_code == 200
    assert_accessible(response)
    statements = current_statements(session)
    text = page_text(response)
    for category in BarrierCategory:
        assert category.label in text
    sprache = table(response, "der Kategorie „Sprache & Information“")
    expected = [s for s in statements if s.category is BarrierCategory.SPRACHE_INFORMATION]
    assert [row[0] for row in body_rows(sprache)] == [s.text for s in expected]
    assert body_rows(sprache)[0][1:3] == [expected[0].key, "1"]
    assert "Es gibt keine zurückgezogenen Aussagen." in text


def test_the_list_takes_a_fixed_number_of_queries(client, session, admin, count_queries):
    client.get(LIST)
    with count_queries() as few:
        client.get(LIST)
    for number in range(5):
        session.add(
            SelfcheckStatement(
                key=f"daten_monitoring.zusatz_{number}",
                version=1,
                category=BarrierCategory.DATEN_MONITORING,
                text=f"Zusatz {number}",
                position=100 + number,
                created_at=NOW,
                retired_at=NOW if number % 2 else None,
            )
        )
    session.flush()
    with count_queries() as more:
        response = client.get(LIST)
    assert "Zusatz 4" in page_text(response)
    assert more.count == few.count


def test_the_statement_page_shows_its_versions_with_their_answers(client, session, admin):
    consultant = factories.make_staff_member(session, role=Role.CONSULTANT)
    engagement = factories.make_engagement(session, lead=consultant)
    old = _current(session)
    old_text = old.text
    round_, _link = open_round(
        session, engagement, RoundKind.VORHER, actor=consultant, now=NOW, secret="s"
    )
    for rating in (Rating(2), Rating(3)):
        response, _resume = start_response(session, round_, name=None, role=None, now=NOW)
        save_answers(
            session,
            response,
            {old.id: AnswerInput(given=True, rating=rating)},
            submit=True,
            now=NOW,
        )
    revise_statement(session, old, text=NEW_TEXT, actor=admin, now=NOW)
    session.flush()

    response = client.get(PAGE)
    assert response.status_code == 200
    assert_accessible(response)
    versions = body_rows(table(response, "Fassungen der Aussage"))
    assert versions[0][:2] == ["1", old_text]
    assert versions[0][3:] == ["10.03.2025", "2"]
    assert versions[1] == ["2", NEW_TEXT, "10.03.2025", "aktuell", "0"]
    html = response.get_data(as_text=True)
    assert f'name="revise-shown" type="hidden" value="{_current(session).id}"' in html
    assert f'value="{NEW_TEXT}"' in html
    # The audit log's link to one version leads here.
    link = client.get(f"{LIST}/fassung/{old.id}")
    assert link.status_code == 200
    assert_accessible(link)
    marked = body_rows(table(link, "Fassungen der Aussage"))
    assert [row[0] for row in marked] == ["1 (diese Fassung)", "2"]


@pytest.mark.parametrize(
    "path",
    [
        f"{LIST}/unbekannt.aussage",
        f"{LIST}/KAPUTT",
        f"{LIST}/%00",
        f"{LIST}/{'x' * 500}",
        f"{LIST}/fassung/abc",
        f"{LIST}/fassung/99999999",
        f"{LIST}/fassung/99999999999999999999",
    ],
)
def test_unknown_statements_are_404(client, admin, path):
    assert client.get(path).status_code in (400, 404)


# --- adding --------------------------------------------------------------------------------


def test_adding_a_statement(client, session, admin):
    response = _add(
        client,
        **{"add-category": "daten_monitoring", "add-text": "Wir werten Beschwerden jährlich aus."},
    )
    assert response.status_code == 302
    key = "daten_monitoring.wir_werten_beschwerden_jaehrlich_aus"
    assert response.headers["Location"].endswith(f"{LIST}#aussage-{key}")
    statement = _current(session, key)
    assert (statement.version, statement.created_by_id) == (1, admin.id)
    page = page_text(client.get(response.headers["Location"]))
    assert f"Die Aussage wurde aufgenommen (Schlüssel {key})." in page
    assert "Wir werten Beschwerden jährlich aus." in page
    [event] = _events(session)
    assert (event.action, event.object_id) == ("selfcheck.statement_added", statement.id)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"add-category": "daten_monitoring", "add-text": ""}, "Bitte geben Sie den Wortlaut"),
        ({"add-category": "daten_monitoring"}, "Bitte geben Sie den Wortlaut"),
        (
            {"add-category": "daten_monitoring", "add-text": "y" * 161},
            "höchstens 160 Zeichen lang sein (jetzt: 161)",
        ),
        (
            {"add-category": "daten_monitoring", "add-text": "Eins\r\nZwei"},
            "in einer Zeile",
        ),
        ({"add-category": "wetter", "add-text": "Wir zählen."}, "Bitte wählen Sie eine Kategorie"),
        ({"add-text": "Wir zählen."}, "Bitte wählen Sie eine Kategorie"),
        ({}, "Bitte wählen Sie eine Kategorie"),
    ],
)
def test_adding_refuses_bad_input_at_its_field(client, session, admin, fields, message):
    rows = _rows(session)
    response = _add(client, **fields)
    assert response.status_code == 422
    assert message in page_text(response)
    assert_accessible(response)
    assert "Fehler:" in response.get_data(as_text=True).split("</title>")[0]
    assert _rows(session) == rows
    assert _events(session) == []


def test_adding_without_csrf_is_refused(client, session, admin):
    rows = _rows(session)
    response = client.post(LIST, data={"add-category": "daten_monitoring", "add-text": "Wir."})
    assert response.status_code == 400
    assert _rows(session) == rows


# --- revising ------------------------------------------------------------------------------


def test_revising_saves_a_new_version(client, session, admin):
    old = _current(session)
    response = _revise(client, old.id)
    assert "Die neue Fassung wurde gespeichert." in _flashed(client, response)
    new = _current(session)
    assert (new.version, new.text) == (2, NEW_TEXT)
    assert session.get(SelfcheckStatement, old.id).retired_at is not None
    [event] = _events(session)
    assert (event.action, event.object_id) == ("selfcheck.statement_revised", new.id)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "Bitte geben Sie den Wortlaut der Aussage ein."),
        (None, "Bitte geben Sie den Wortlaut der Aussage ein."),
        ("z" * 200, "höchstens 160 Zeichen lang sein (jetzt: 200)"),
        ("Eins\nZwei", "in einer Zeile"),
    ],
)
def test_revising_refuses_bad_text(client, session, admin, text, message):
    old = _current(session)
    rows = _rows(session)
    response = _revise(client, old.id, text=text)
    assert response.status_code == 422
    assert message in page_text(response)
    assert_accessible(response)
    assert _rows(session) == rows
    assert _current(session).id == old.id
    assert _events(session) == []


def test_revising_with_the_same_text_is_refused(client, session, admin):
    old = _current(session)
    response = _revise(client, old.id, text=old.text)
    assert response.status_code == 422
    assert "Der Wortlaut ist unverändert" in page_text(response)
    assert _current(session).id == old.id


def test_a_form_shown_before_another_revision_is_refused(client, session, admin):
    shown = _current(session)
    assert _revise(client, shown.id).status_code == 302  # the other admin, or a double click
    rows = _rows(session)
    response = _revise(client, shown.id, text="Ganz anders formuliert.")
    assert response.status_code == 409
    text = page_text(response)
    assert "inzwischen geändert" in text
    # What was typed is kept, now on the current version: sending it again is on purpose.
    html = response.get_data(as_text=True)
    assert 'value="Ganz anders formuliert."' in html
    assert f'name="revise-shown" type="hidden" value="{_current(session).id}"' in html
    assert _rows(session) == rows
    assert _current(session).text == NEW_TEXT


def test_a_revision_at_the_same_moment_is_answered(client, session, admin):
    """Another admin's version 2 was written after this request read the statement."""
    current = _current(session)
    session.add(
        SelfcheckStatement(
            key=KEY,
            version=2,
            category=current.category,
            text="Schon geändert.",
            position=current.position,
            created_at=NOW,
            retired_at=NOW,
        )
    )
    session.flush()
    response = _revise(client, current.id)
    assert "Gleichzeitig wurde diese Aussage schon geändert" in _flashed(client, response)
    assert _current(session).id == current.id
    assert _events(session) == []


@pytest.mark.parametrize(
    "shown", ["", "abc", "-1", "1.5", "٣", "99999999999999999999", "99999999", "other"]
)
def test_a_tampered_version_field_is_refused(client, session, admin, shown):
    if shown == "other":
        shown = current_statements(session)[-1].id
    rows = _rows(session)
    response = _revise(client, shown)
    assert "Dieses Formular ist veraltet oder unvollständig." in _flashed(client, response)
    assert _rows(session) == rows


def test_the_version_field_may_be_missing(client, session, admin):
    response = client.post(
        f"{PAGE}/bearbeiten", data={"csrf_token": _token(client), "revise-text": NEW_TEXT}
    )
    assert response.status_code == 302
    assert _current(session).version == 1


# --- retiring, restoring, moving -----------------------------------------------------------


def test_retiring_needs_a_confirmation(client, session, admin):
    statement = _current(session)
    response = _retire(client, statement.id, confirm=False)
    assert response.status_code == 422
    assert "Bitte bestätigen Sie, dass die Aussage zurückgezogen werden soll." in page_text(
        response
    )
    assert_accessible(response)
    assert _current(session).id == statement.id


def test_retiring_and_restoring(client, session, admin):
    statement = _current(session)
    response = _retire(client, statement.id)
    assert "Die Aussage wurde zurückgezogen." in _flashed(client, response)
    assert statement.id not in {row.id for row in current_statements(session)}

    page = client.get(LIST)
    retired = table(page, "Zurückgezogene Aussagen")
    assert body_rows(retired)[0][:4] == [statement.text, "Sprache & Information", KEY, "1"]
    assert_accessible(page)
    assert_accessible(client.get(PAGE))
    # Sent twice (a double click): refused with a message.
    assert "inzwischen geändert" in _flashed(client, _retire(client, statement.id))

    response = client.post(
        f"{PAGE}/wiederaufnehmen", data={"csrf_token": _token(client), "shown": statement.id}
    )
    assert "Die Aussage ist wieder im Fragebogen." in _flashed(client, response)
    restored = _current(session)
    assert (restored.version, restored.text) == (2, statement.text)
    assert [event.action for event in _events(session)] == [
        "selfcheck.statement_retired",
        "selfcheck.statement_restored",
    ]
    response = client.post(
        f"{PAGE}/wiederaufnehmen", data={"csrf_token": _token(client), "shown": statement.id}
    )
    assert "inzwischen geändert" in _flashed(client, response)
    assert _current(session).id == restored.id


def test_the_last_statement_cannot_be_retired(client, session, admin):
    keep = _current(session)
    for statement in current_statements(session):
        if statement.id != keep.id:
            statement.retired_at = NOW
    session.flush()
    response = _retire(client, keep.id)
    assert "letzte Aussage des Fragebogens" in _flashed(client, response)
    assert _current(session).id == keep.id
    assert _events(session) == []


def test_moving_a_statement(client, session, admin):
    statements = [
        s for s in current_statements(session) if s.category is BarrierCategory.SPRACHE_INFORMATION
    ]
    first, second = statements[0], statements[1]
    response = client.post(
        f"{LIST}/{second.key}/verschieben",
        data={"csrf_token": _token(client), "shown": second.id, "direction": "up"},
    )
    assert "Die Reihenfolge wurde geändert." in _flashed(client, response)
    session.expire_all()
    assert (
        session.get(SelfcheckStatement, second.id).position
        < session.get(SelfcheckStatement, first.id).position
    )
    response = client.post(
        f"{LIST}/{second.key}/verschieben",
        data={"csrf_token": _token(client), "shown": second.id, "direction": "up"},
    )
    assert "an erster Stelle ihrer Kategorie" in _flashed(client, response)


@pytest.mark.parametrize(
    "data",
    [
        {"shown": "x", "direction": "up"},
        {"direction": "up"},
        {"shown": "1"},
        {"shown": "1", "direction": "sideways"},
    ],
)
def test_garbage_move_and_restore_forms_are_refused(client, session, admin, data):
    data = {**data, "csrf_token": _token(client)}
    rows = _rows(session)
    order = [row.id for row in current_statements(session)]
    for suffix in ("verschieben", "wiederaufnehmen"):
        response = client.post(f"{PAGE}/{suffix}", data=data)
        assert response.status_code == 302
    session.expire_all()
    assert [row.id for row in current_statements(session)] == order
    assert _rows(session) == rows
    assert _events(session) == []


@pytest.mark.parametrize("suffix", ["bearbeiten", "zurueckziehen", "wiederaufnehmen"])
def test_posts_to_unknown_statements_are_404(client, admin, suffix):
    response = client.post(
        f"{LIST}/unbekannt.aussage/{suffix}", data={"csrf_token": _token(client), "shown": "1"}
    )
    assert response.status_code == 404


def test_views_module_registers_its_routes(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert {
        "admin.selfcheck",
        "admin.add_selfcheck_statement",
        "admin.selfcheck_statement",
        "admin.revise_selfcheck_statement",
        "admin.retire_selfcheck_statement",
        "admin.restore_selfcheck_statement",
        "admin.move_selfcheck_statement",
        "admin.selfcheck_version",
    } <= endpoints
    assert views.bp.name == "admin"
