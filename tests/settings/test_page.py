"""/admin/settings: admins only; grouped fields with the value in effect and its source; bad
input gives a German error summary and saves nothing; a change takes effect on other pages;
the settings cost at most one statement per request."""

from __future__ import annotations

import html as html_module
import re
from datetime import date

import pytest
from sqlalchemy import select

from caseflow import clock
from caseflow.audit.models import AuditEvent
from caseflow.settings.models import AppSetting
from caseflow.settings.services import EXTENSION_KEY, Override, Source
from caseflow.staff.models import Role
from tests import factories
from tests.conftest import CSRF_PATTERN
from tests.pages.helpers import page_text

PATH = "/admin/settings"


def _form(client) -> dict[str, object]:
    """The form as shown: every text field's value and the checked role boxes."""
    html = client.get(PATH).get_data(as_text=True)
    data: dict[str, object] = {"csrf_token": CSRF_PATTERN.search(html).group(1)}
    main = html[html.index('<form method="post" action="/admin/settings"') :]
    main = main[: main.index("</form>")]
    for tag in re.findall(r"<input [^>]+>", main):
        name = re.search(r'name="([^"]+)"', tag).group(1)
        value = re.search(r'value="([^"]*)"', tag)
        if 'type="checkbox"' in tag:
            if "checked" in tag:
                data.setdefault(name, []).append(value.group(1))  # type: ignore[union-attr]
        elif name != "csrf_token":
            data[name] = html_module.unescape(value.group(1)) if value else ""
    return data


def _rows(session) -> dict[str, object]:
    return dict(session.execute(select(AppSetting.key, AppSetting.value)).all())


def test_admins_see_the_settings_grouped_with_their_source(client, logged_in):
    logged_in(Role.ADMIN)
    response = client.get(PATH)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    for legend in (
        "Förderzeitraum",
        "Laufzeit",
        "Erinnerungen",
        "Kapazität",
        "Aufbewahrung",
        "Anmeldung & Ratenbegrenzung",
        "E-Mail",
    ):
        assert f"<legend>{legend}</legend>" in html
    text = page_text(response)
    assert "Wirksam: 31.07.2026 (Standard)." in text
    assert "Wirksam: 14, 3 (Standard)." in text
    assert "Alle Einstellungen haben ihren Standardwert." in text
    assert 'id="capacity_limit"' in html and 'value="4"' in html


@pytest.mark.parametrize("role", [Role.LEAD, Role.CONSULTANT])
def test_other_roles_get_403(client, logged_in, role):
    logged_in(role)
    assert client.get(PATH).status_code == 403
    assert client.post(PATH, data={}).status_code in (400, 403)


def test_bad_input_shows_a_summary_and_saves_nothing(client, session, logged_in):
    logged_in(Role.ADMIN)
    data = _form(client)
    data |= {
        "capacity_limit": "6",
        "programme_end": "2024-01-01",
        "login_rate_limit_ip": "ganz viele",
        "mail_default_sender": "keine adresse",
    }
    response = client.post(PATH, data=data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Bitte prüfen Sie Ihre Angaben" in html
    assert (
        '<a href="#programme_end">Ende des Förderzeitraums: '
        "Das Ende des Förderzeitraums muss nach seinem Beginn" in html
    )
    assert 'href="#login_rate_limit_ip"' in html
    assert 'href="#mail_default_sender"' in html
    assert 'aria-invalid="true"' in html
    assert 'value="ganz viele"' in html  # what was typed stays to be corrected
    assert _rows(session) == {}
    assert (
        session.scalars(select(AuditEvent).where(AuditEvent.action == "setting.changed")).all()
        == []
    )


def test_a_good_post_saves_what_changed_and_says_so(client, session, logged_in):
    admin = logged_in(Role.ADMIN)
    data = _form(client) | {"capacity_limit": "2", "milestone_reminder_days": "21, 7, 1"}
    data["two_factor_roles"] = ["admin"]
    response = client.post(PATH, data=data)
    assert response.status_code == 302
    assert _rows(session) == {
        "CAPACITY_LIMIT": 2,
        "MILESTONE_REMINDER_DAYS": [21, 7, 1],
        "TWO_FACTOR_ROLES": ["admin"],
    }
    page = client.get(PATH)
    text = page_text(page)
    assert "Einstellungen gespeichert." in text
    assert "Kapazitätsgrenze (Prozessbegleitungen je Person): 4 → 2" in text
    assert "Wirksam: 2 (gespeichert)." in text
    events = session.scalars(select(AuditEvent).where(AuditEvent.action == "setting.changed")).all()
    assert {key for event in events for key in event.changes} == {
        "CAPACITY_LIMIT",
        "MILESTONE_REMINDER_DAYS",
        "TWO_FACTOR_ROLES",
    }
    assert {event.actor_id for event in events} == {admin.id}


def test_the_same_post_twice_keeps_one_row_and_one_event(client, session, logged_in):
    logged_in(Role.ADMIN)
    data = _form(client) | {"retention_months": "12"}
    assert client.post(PATH, data=data).status_code == 302
    assert client.post(PATH, data=data).status_code == 302
    assert _rows(session) == {"RETENTION_MONTHS": 12}
    events = session.scalars(select(AuditEvent).where(AuditEvent.action == "setting.changed")).all()
    assert len(events) == 1
    assert "Es wurde nichts geändert." in page_text(client.get(PATH))


def test_reset_to_the_default(client, session, logged_in):
    logged_in(Role.ADMIN)
    client.post(PATH, data=_form(client) | {"capacity_limit": "9"})
    html = client.get(PATH).get_data(as_text=True)
    token = CSRF_PATTERN.search(html).group(1)
    assert "Auf Standard zurücksetzen" in html
    response = client.post(f"{PATH}/reset", data={"csrf_token": token, "key": "CAPACITY_LIMIT"})
    assert response.status_code == 302
    assert _rows(session) == {}
    assert "Auf den Standard zurückgesetzt." in page_text(client.get(PATH))
    response = client.post(f"{PATH}/reset", data={"csrf_token": token, "key": "NOPE"})
    assert response.status_code == 302


def test_a_setting_fixed_by_the_environment_is_read_only(app, client, logged_in, monkeypatch):
    locked = dict(app.extensions[EXTENSION_KEY])
    locked["CAPACITY_LIMIT"] = Override(Source.ENVIRONMENT, "CAPACITY_LIMIT")
    monkeypatch.setitem(app.extensions, EXTENSION_KEY, locked)
    monkeypatch.setitem(app.config, "CAPACITY_LIMIT", 7)
    logged_in(Role.ADMIN)
    response = client.get(PATH)
    html = response.get_data(as_text=True)
    assert 'name="capacity_limit"' not in html
    assert "Wirksam: 7 (Umgebungsvariable CAPACITY_LIMIT)." in page_text(response)
    # A field sent anyway is not even read.
    assert client.post(PATH, data=_form(client) | {"capacity_limit": "1"}).status_code == 302


def _over_limit(client) -> bool:
    return "über Grenze" in page_text(client.get("/capacity"))


def test_a_changed_capacity_limit_marks_capacity(client, session, logged_in):
    logged_in(Role.ADMIN)
    lead = factories.make_staff_member(session, name="Lena Last")
    for month in (1, 2):
        factories.make_engagement(
            session, lead=lead, start=date(2025, month, 1), end=date(2025, 12, 31)
        )
    with clock.frozen(date(2025, 3, 10)):
        assert not _over_limit(client)
        client.post(PATH, data=_form(client) | {"capacity_limit": "1"})
        assert _over_limit(client)


def test_a_changed_programme_end_shows_on_every_page(client, logged_in):
    logged_in(Role.ADMIN)
    client.post(PATH, data=_form(client) | {"programme_end": "2027-12-31"})
    # The footer of every page.
    assert "01.04.2024 – 31.12.2027" in client.get("/engagements").get_data(as_text=True)
    assert "Förderzeitraum 01.04.2024 – 31.12.2027" in page_text(client.get("/timeline"))


def test_settings_are_read_once_per_request(client, session, logged_in, count_queries):
    logged_in(Role.ADMIN)
    client.post(PATH, data=_form(client) | {"capacity_limit": "3"})
    with count_queries() as counter:
        assert client.get("/capacity").status_code == 200
    reads = [s for s in counter.statements if "app_setting" in s]
    assert len(reads) == 1, reads
