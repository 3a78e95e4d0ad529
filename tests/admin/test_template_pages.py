"""The phase template pages: admins only, the editor without JavaScript (add rows, remove
rows, reorder), every bad input answered with a German message at its field (422) and
nothing saved, stale and tampered forms refused, default switch and copy."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from caseflow import clock
from caseflow.admin.views import templates as views
from caseflow.audit.models import AuditEvent
from caseflow.engagements.models import MilestonePosition, PhaseTemplate
from caseflow.engagements.planning import MilestoneSpec, PhaseSpec, default_template, specs_of
from caseflow.engagements.services.templates import (
    copy_template,
    template_version,
    update_template,
)
from caseflow.staff.models import Role
from tests.conftest import csrf_token
from tests.pages.helpers import page_text, table
from tests.pages.test_accessibility_structure import assert_accessible

NOW = datetime(2025, 3, 10, 9, 0, tzinfo=UTC)
TODAY = date(2025, 3, 10)


@pytest.fixture(autouse=True)
def _frozen_today():
    with clock.frozen(TODAY):
        yield


@pytest.fixture
def template(session):
    return default_template(session, now=NOW)


@pytest.fixture
def admin(logged_in):
    return logged_in(Role.ADMIN)


def _path(template: PhaseTemplate, suffix: str = "") -> str:
    return f"/admin/templates/{template.id}{suffix}"


def form_data(client, template: PhaseTemplate, *, action: str = "save") -> dict[str, str]:
    """What the edit page posts for ``template`` as it is stored."""
    data = {
        "csrf_token": csrf_token(client, _path(template)),
        "version": template_version(template),
        "name": template.name,
        "action": action,
    }
    for index, phase in enumerate(template.phases):
        data[f"phases-{index}-name"] = phase.name
        data[f"phases-{index}-share"] = str(phase.share_percent)
        data[f"phases-{index}-order"] = str(index + 1)
        for number, milestone in enumerate(phase.milestones):
            prefix = f"phases-{index}-milestones-{number}-"
            data[prefix + "title"] = milestone.title
            data[prefix + "position"] = milestone.position.value
            data[prefix + "order"] = str(number + 1)
            if milestone.is_gate:
                data[prefix + "is_gate"] = "y"
    return data


def _stored(session, template: PhaseTemplate) -> str:
    session.expire_all()
    return template_version(session.get(PhaseTemplate, template.id))


def _title(response) -> str:
    match = re.search(r"<title>(.*?)</title>", response.get_data(as_text=True), re.S)
    assert match is not None
    return match.group(1).strip()


def _updates(session) -> list[AuditEvent]:
    return list(
        session.scalars(select(AuditEvent).where(AuditEvent.action.like("phase_template.%")))
    )


# -- who may -----------------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", ["", "/default", "/copy"])
def test_anonymous_visitors_are_sent_to_the_login(client, template, suffix):
    if suffix == "":
        for path in ("/admin/templates", _path(template)):
            response = client.get(path)
            assert response.status_code == 302
            assert "/login" in response.headers["Location"]
    response = client.post(_path(template, suffix), data={"csrf_token": csrf_token(client)})
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


@pytest.mark.parametrize("role", [Role.CONSULTANT, Role.LEAD])
def test_consultants_and_leads_get_403(client, session, logged_in, template, role):
    logged_in(role)
    assert client.get("/admin/templates").status_code == 403
    assert client.get(_path(template)).status_code == 403
    token = csrf_token(client, "/dashboard")
    data = {"csrf_token": token, "name": "Kopie", "copy-name": "Kopie"}
    for suffix in ("", "/default", "/copy"):
        assert client.post(_path(template, suffix), data=data).status_code == 403
    assert client.post("/admin/templates/standard", data=data).status_code == 403
    assert _updates(session) == []


def test_unknown_template_is_404(client, admin, template):
    assert client.get("/admin/templates/99999").status_code == 404


# -- the pages ---------------------------------------------------------------------------------


def test_list_shows_the_templates_and_the_default(client, session, admin, template):
    response = client.get("/admin/templates")
    assert response.status_code == 200
    assert_accessible(response)
    rows = table(response, "Phasenvorlagen, die Standardvorlage zuerst").rows
    assert rows[1][:2] == ["DiFair Prozessbegleitung (Standard)", "ja"]
    assert "Auftragsklärung (10 %)" in rows[1][2]
    assert rows[1][3] == "12"
    assert "Phasenvorlagen" in page_text(client.get("/admin/"))


def test_without_any_template_the_shipped_one_can_be_installed(client, session, admin):
    response = client.get("/admin/templates")
    assert "Mitgelieferte Standardvorlage anlegen" in page_text(response)
    assert_accessible(response)
    response = client.post(
        "/admin/templates/standard", data={"csrf_token": csrf_token(client, "/admin/templates")}
    )
    assert response.status_code == 302
    [template] = session.scalars(select(PhaseTemplate)).all()
    assert template.is_default and len(template.phases) == 5


def test_installing_the_shipped_template_twice_at_once_is_answered(
    client, session, admin, monkeypatch
):
    install = views.install_shipped_template

    def racing(db_session, *, actor, now):
        # Another request (a second admin, a double click) inserts the same template
        # between this one's look for a default and its insert.
        template = install(db_session, actor=actor, now=now)
        db_session.add(PhaseTemplate(name=template.name, is_default=True, created_at=now))
        db_session.flush()
        return template

    monkeypatch.setattr(views, "install_shipped_template", racing)
    response = client.post(
        "/admin/templates/standard", data={"csrf_token": csrf_token(client, "/admin/templates")}
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/admin/templates")
    assert (
        "Gleichzeitig wurde schon eine Vorlage angelegt – von jemand anderem oder durch einen "
        "doppelten Klick." in page_text(client.get(response.headers["Location"]))
    )
    assert session.scalars(select(PhaseTemplate)).all() == []
    assert _updates(session) == []


def test_edit_page_shows_phases_and_milestones(client, admin, template):
    response = client.get(_path(template))
    assert response.status_code == 200
    page = assert_accessible(response)
    assert len(page.controls) > 50
    html = response.get_data(as_text=True)
    assert 'value="Kooperationsvereinbarung unterzeichnet"' in html
    assert 'name="phases-0-milestones-1-is_gate" type="checkbox" value="y" checked' in html or (
        'checked id="phases-0-milestones-1-is_gate"' in html
    )
    assert "Neue Vorlage (Kopie)" in page_text(response)
    assert 'value="DiFair Prozessbegleitung (Standard) (Kopie)"' in html
    assert _title(response).startswith("Phasenvorlage")


# -- saving ------------------------------------------------------------------------------------


def test_saving_changes_names_shares_milestones_and_order(client, session, admin, template):
    data = form_data(client, template)
    data["name"] = "Geänderte Vorlage"
    data["phases-0-share"] = "5"
    data["phases-4-share"] = "20"
    data["phases-1-name"] = "Analyse"
    data["phases-0-milestones-2-remove"] = "y"  # Steuerungsgruppe benannt
    data["phases-4-order"] = "0"  # Evaluation first
    data["phases-4-milestones-0-position"] = "start"
    data["phases-4-milestones-1-order"] = "0"
    response = client.post(_path(template), data=data)
    assert response.status_code == 302, page_text(response)
    session.expire_all()
    stored = session.get(PhaseTemplate, template.id)
    assert stored.name == "Geänderte Vorlage"
    specs = specs_of(stored)
    assert [(s.name, s.share_percent) for s in specs] == [
        ("Evaluation & Verstetigung", 20),
        ("Auftragsklärung", 5),
        ("Analyse", 25),
        ("Zielentwicklung & Maßnahmenplanung", 15),
        ("Umsetzung & Begleitung", 35),
    ]
    assert [m.title for m in specs[0].milestones] == [
        "Abschlussbericht und Verstetigungsplan",
        "Abschlussevaluation",
    ]
    assert specs[0].milestones[1].position is MilestonePosition.START
    assert [m.title for m in specs[1].milestones] == [
        "Erstgespräch",
        "Kooperationsvereinbarung unterzeichnet",
    ]
    assert specs[1].milestones[1].is_gate
    [event] = _updates(session)
    assert event.action == "phase_template.updated"
    assert event.object_id == template.id
    follow = client.get(response.headers["Location"])
    assert "Die Vorlage „Geänderte Vorlage“ wurde gespeichert." in page_text(follow)


def test_saving_unchanged_form_says_so_and_writes_nothing(client, session, admin, template):
    response = client.post(_path(template), data=form_data(client, template))
    assert response.status_code == 302
    assert "Sie haben nichts geändert." in page_text(client.get(response.headers["Location"]))
    assert _updates(session) == []


def test_add_phase_and_milestone_rows_then_save(client, session, admin, template):
    data = form_data(client, template, action="add_phase")
    response = client.post(_path(template), data=data)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'name="phases-5-name"' in html
    assert _stored(session, template) == data["version"]  # nothing saved

    data = form_data(client, template, action="add_milestone-2")
    response = client.post(_path(template), data=data)
    assert response.status_code == 200
    assert 'name="phases-2-milestones-2-title"' in response.get_data(as_text=True)
    assert_accessible(response)

    data = form_data(client, template)
    data.update(
        {
            "phases-4-share": "10",
            "phases-5-name": "Nachsorge",
            "phases-5-share": "5",
            "phases-5-milestones-0-title": "Nachgespräch",
            "phases-5-milestones-0-position": "middle",
        }
    )
    response = client.post(_path(template), data=data)
    assert response.status_code == 302, page_text(response)
    session.expire_all()
    stored = session.get(PhaseTemplate, template.id)
    assert [p.name for p in stored.phases][-1] == "Nachsorge"
    assert stored.phases[-1].milestones[0].title == "Nachgespräch"


def test_adding_beyond_the_limits_is_refused(client, session, admin, template):
    data = form_data(client, template, action="add_phase")
    for index in range(5, 20):
        data[f"phases-{index}-name"] = f"P{index}"
        data[f"phases-{index}-share"] = "1"
    response = client.post(_path(template), data=data)
    assert response.status_code == 422
    assert "höchstens 20 Phasen" in page_text(response)
    assert _title(response).startswith("Fehler:")

    data = form_data(client, template, action="add_milestone-0")
    for number in range(3, 20):
        data[f"phases-0-milestones-{number}-title"] = f"M{number}"
        data[f"phases-0-milestones-{number}-position"] = "end"
    response = client.post(_path(template), data=data)
    assert response.status_code == 422
    assert "höchstens 20 Meilensteine" in page_text(response)

    data = form_data(client, template, action="add_milestone-7")
    assert client.post(_path(template), data=data).status_code == 422


def _too_many_phases(data: dict[str, str]) -> None:
    for index in range(5, 21):
        data[f"phases-{index}-name"] = f"P{index}"
        data[f"phases-{index}-share"] = "1"


def _too_many_milestones(data: dict[str, str]) -> None:
    for number in range(3, 21):
        data[f"phases-0-milestones-{number}-title"] = f"M{number}"
        data[f"phases-0-milestones-{number}-position"] = "end"


def _remove_all(data: dict[str, str]) -> None:
    for index in range(5):
        data[f"phases-{index}-remove"] = "y"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"phases-0-share": "abc"}, "Anteil als ganze Zahl von 1 bis 100"),
        ({"phases-0-share": "0"}, "Anteil als ganze Zahl von 1 bis 100"),
        ({"phases-0-share": "101"}, "Anteil als ganze Zahl von 1 bis 100"),
        ({"phases-0-share": "-5"}, "Anteil als ganze Zahl von 1 bis 100"),
        ({"phases-0-share": ""}, "Anteil als ganze Zahl von 1 bis 100"),
        ({"phases-0-share": "5"}, "Die Anteile ergeben zusammen 95 %, sie müssen 100 % ergeben."),
        ({"phases-0-share": "15"}, "Die Anteile ergeben zusammen 105 %, sie müssen 100 % ergeben."),
        ({"phases-0-name": "   "}, "Bitte geben Sie einen Namen ein."),
        ({"phases-0-name": "x" * 201}, "höchstens 200 Zeichen"),
        ({"name": ""}, "Bitte geben Sie einen Namen für die Vorlage ein."),
        ({"name": "x" * 201}, "höchstens 200 Zeichen"),
        ({"phases-1-milestones-0-title": ""}, "Bitte geben Sie einen Titel ein."),
        ({"phases-1-milestones-0-position": "irgendwann"}, "Anfang, Mitte oder Ende"),
        ({"phases-1-milestones-0-position": None}, "Anfang, Mitte oder Ende"),
        ({"phases-1-order": "x"}, "Reihenfolge als ganze Zahl"),
        ({"phases-1-milestones-0-order": "1000"}, "Reihenfolge als ganze Zahl"),
        (_too_many_phases, "höchstens 20 Phasen"),
        (_too_many_milestones, "höchstens 20 Meilensteine"),
        (_remove_all, "mindestens eine Phase"),
    ],
)
def test_bad_input_is_answered_at_the_field_and_nothing_is_saved(
    client, session, admin, template, change, message
):
    data = form_data(client, template)
    data["name"] = "Neuer Name"  # would be saved if the rest were accepted
    if callable(change):
        change(data)
    else:
        for key, value in change.items():
            if value is None:
                data.pop(key)
            else:
                data[key] = value
    response = client.post(_path(template), data=data)
    assert response.status_code == 422
    assert message in page_text(response)
    assert _title(response).startswith("Fehler: Phasenvorlage")
    page = assert_accessible(response)
    assert page.error_summaries == 1
    assert _stored(session, template) == data["version"]
    assert _updates(session) == []
    # The values typed are kept (of too many rows, the first 20).
    for key, value in data.items():
        if key.endswith(("-name", "-title")) and value and len(value) < 100 and "-20-" not in key:
            assert f'value="{value}"' in response.get_data(as_text=True).replace("&amp;", "&")


def test_a_removed_row_is_not_checked(client, session, admin, template):
    data = form_data(client, template)
    data["phases-1-milestones-0-title"] = ""
    data["phases-1-milestones-0-remove"] = "y"
    response = client.post(_path(template), data=data)
    assert response.status_code == 302
    session.expire_all()
    assert [m.title for m in session.get(PhaseTemplate, template.id).phases[1].milestones] == [
        "Perspektiven von Migrant*innenselbstorganisationen eingeholt",
        "Analysebericht Zugangsbarrieren",
    ]


def test_a_name_of_another_template_is_refused_at_the_field(client, session, admin, template):
    client.post(
        _path(template, "/copy"),
        data={"csrf_token": csrf_token(client, _path(template)), "copy-name": "Zweite"},
    )
    data = form_data(client, template)
    data["name"] = "Zweite"
    response = client.post(_path(template), data=data)
    assert response.status_code == 422
    assert "Es gibt schon eine Vorlage mit dem Namen „Zweite“." in page_text(response)
    assert 'aria-invalid="true"' in response.get_data(as_text=True)


def test_a_stale_form_is_shown_again_with_the_input_kept(client, session, admin, template):
    first = form_data(client, template)
    second = dict(first)
    first["phases-1-name"] = "Analyse"
    assert client.post(_path(template), data=first).status_code == 302
    version_after_first = _stored(session, template)
    second["phases-2-name"] = "Ziele"
    response = client.post(_path(template), data=second)
    assert response.status_code == 409
    text = page_text(response)
    assert (
        "Diese Vorlage wurde gerade geändert – von jemand anderem oder durch einen doppelten "
        "Klick. Ihre Änderung wurde nicht gespeichert" in text
    )
    assert "Jemand anderes" not in text
    html = response.get_data(as_text=True)
    assert 'value="Ziele"' in html  # what was typed is kept
    assert _title(response).startswith("Fehler:")
    assert assert_accessible(response).error_summaries == 1
    assert _stored(session, template) == version_after_first
    assert len(_updates(session)) == 1
    # The form now carries the current version: sending it again saves what was typed.
    assert f'value="{version_after_first}"' in html
    second["version"] = version_after_first
    response = client.post(_path(template), data=second)
    assert response.status_code == 302, page_text(response)
    session.expire_all()
    stored = session.get(PhaseTemplate, template.id)
    # ... replacing the other change (the admin was told and chose to save again).
    assert [phase.name for phase in stored.phases][1:3] == [second["phases-1-name"], "Ziele"]
    assert len(_updates(session)) == 2


def test_a_double_click_on_save_saves_once_without_an_error(client, session, admin, template):
    data = form_data(client, template)
    data["phases-1-name"] = "Analyse"
    response = client.post(_path(template), data=data)
    assert response.status_code == 302
    client.get(response.headers["Location"])  # shows the first confirmation
    saved = _stored(session, template)
    response = client.post(_path(template), data=data)  # the same form once more
    assert response.status_code == 302
    text = page_text(client.get(response.headers["Location"]))
    assert "wurde gespeichert" in text
    assert "gerade geändert" not in text
    assert "Sie haben nichts geändert" not in text
    assert _stored(session, template) == saved
    assert len(_updates(session)) == 1


@pytest.mark.parametrize("version", ["", "abc", "G" * 64, None])
def test_a_tampered_version_is_refused(client, session, admin, template, version):
    data = form_data(client, template)
    before = data["version"]
    data["phases-1-name"] = "Analyse"
    if version is None:
        data.pop("version")
    else:
        data["version"] = version
    response = client.post(_path(template), data=data)
    assert response.status_code == 302
    assert "Dieses Formular ist veraltet" in page_text(client.get(response.headers["Location"]))
    assert _stored(session, template) == before


@pytest.mark.parametrize("action", ["löschen", "add_milestone-x", "add_milestone-99999"])
def test_an_unknown_action_saves_nothing(client, session, admin, template, action):
    data = form_data(client, template, action=action)
    data["phases-1-name"] = "Analyse"
    response = client.post(_path(template), data=data)
    assert response.status_code in (302, 422)
    assert _stored(session, template) == data["version"]


@pytest.mark.parametrize("action", ["save", "add_phase"])
@pytest.mark.parametrize(
    "key", ["phases-²-name", "phases-0-milestones-³-title", "phases-1000-name", "phases-٣-name"]
)
def test_a_row_index_that_is_no_plain_number_is_ignored(
    client, session, admin, template, action, key
):
    data = form_data(client, template, action=action)
    data[key] = "x"
    response = client.post(_path(template), data=data)
    if action == "save":
        assert response.status_code == 302, page_text(response)
        assert "Sie haben nichts geändert." in page_text(client.get(response.headers["Location"]))
    else:
        assert response.status_code == 200
        assert 'name="phases-5-name"' in response.get_data(as_text=True)
        assert 'name="phases-6-name"' not in response.get_data(as_text=True)
    assert _stored(session, template) == data["version"]
    assert _updates(session) == []


# -- default and copy --------------------------------------------------------------------------


def test_set_default_and_copy_through_the_pages(client, session, admin, template):
    response = client.post(
        _path(template, "/copy"),
        data={"csrf_token": csrf_token(client, _path(template)), "copy-name": "Kurzfassung"},
    )
    assert response.status_code == 302
    copy = session.scalar(select(PhaseTemplate).where(PhaseTemplate.name == "Kurzfassung"))
    assert response.headers["Location"].endswith(_path(copy))
    assert specs_of(copy) == specs_of(template)
    follow = client.get(response.headers["Location"])
    assert "Die Vorlage „Kurzfassung“ wurde angelegt." in page_text(follow)
    assert "Als Standard festlegen" in page_text(follow)

    response = client.post(
        _path(copy, "/default"), data={"csrf_token": csrf_token(client, _path(copy))}
    )
    assert response.status_code == 302
    session.expire_all()
    assert session.get(PhaseTemplate, copy.id).is_default
    assert not session.get(PhaseTemplate, template.id).is_default
    listing = client.get(response.headers["Location"])
    assert "Neue Prozessbegleitungen werden jetzt mit der Vorlage „Kurzfassung“ geplant." in (
        page_text(listing)
    )
    assert table(listing, "Phasenvorlagen, die Standardvorlage zuerst").rows[1][:2] == [
        "Kurzfassung",
        "ja",
    ]


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "Bitte geben Sie einen Namen für die neue Vorlage ein."),
        ("x" * 201, "höchstens 200 Zeichen"),
        ("DiFair Prozessbegleitung (Standard)", "Es gibt schon eine Vorlage"),
    ],
)
def test_copy_with_a_bad_name_is_422(client, session, admin, template, name, message):
    response = client.post(
        _path(template, "/copy"),
        data={"csrf_token": csrf_token(client, _path(template)), "copy-name": name},
    )
    assert response.status_code == 422
    assert message in page_text(response)
    assert _title(response).startswith("Fehler: Phasenvorlage")
    page = assert_accessible(response)
    assert page.error_summaries == 1
    assert session.scalars(select(PhaseTemplate)).all() == [template]


def _statements(client, session, count_queries, path: str) -> int:
    session.expunge_all()  # so a missing eager load shows up as extra statements
    with count_queries() as counter:
        response = client.get(path)
    assert response.status_code == 200
    return counter.count


def test_list_and_edit_pages_run_a_fixed_number_of_queries(
    app, client, session, admin, template, count_queries
):
    small = _statements(client, session, count_queries, "/admin/templates")
    small_edit = _statements(client, session, count_queries, _path(template))
    with app.test_request_context():
        for number in range(4):
            copy_template(session, template, name=f"Kopie {number}", actor=admin, now=NOW)
        update_template(
            session,
            template,
            name=template.name,
            phases=[PhaseSpec("Eine", 100, (MilestoneSpec("M", MilestonePosition.END),) * 8)],
            expected_version=template_version(template),
            actor=admin,
            now=NOW,
        )
    session.flush()
    assert _statements(client, session, count_queries, "/admin/templates") == small
    assert _statements(client, session, count_queries, _path(template)) == small_edit
