"""The rescheduling and extension pages: anchors from the query string, preview without
saving, saving only what the preview showed (409 with the new preview otherwise), refusals at
the field (422) and for stale or tampered forms, permissions, earlier extension reasons."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import select

from caseflow import clock
from caseflow.audit.models import AuditEvent
from caseflow.engagements.models import Engagement, EngagementStatus, Milestone, MilestoneStatus
from caseflow.staff.models import Role
from tests import factories
from tests.conftest import csrf_token, login
from tests.pages.helpers import body_rows, page_text, table
from tests.pages.test_accessibility_structure import assert_accessible

S = EngagementStatus
TODAY = date(2025, 3, 10)
SELFCHECK = "Selbstcheck durchgeführt"
FINAL = "Abschlussbericht und Verstetigungsplan"


@pytest.fixture(autouse=True)
def _frozen_today():
    with clock.frozen(TODAY):
        yield


@pytest.fixture
def member(logged_in):
    return logged_in(Role.CONSULTANT, name="Kim Berater")


@pytest.fixture
def engagement(session, member) -> Engagement:
    return factories.make_engagement(session, lead=member, status=S.AKTIV)


def _milestone(engagement: Engagement, title: str) -> Milestone:
    (found,) = [m for m in factories.milestones_of(engagement) if m.title == title]
    return found


def _url(engagement: Engagement, query: str) -> str:
    return f"/engagements/{engagement.id}/reschedule?{query}"


def _version(client, path: str) -> str:
    page = client.get(path).get_data(as_text=True)
    match = re.search(r'name="version" type="hidden" value="(\d*)"', page)
    assert match, page
    return match.group(1)


def _post(client, path: str, **values: str):
    data = {"csrf_token": csrf_token(client, path)}
    if "version" not in values:
        data["version"] = _version(client, path)
    data.update(values)
    return client.post(path, data=data)


def _digest(response) -> str:
    """The digest of the plan the preview on ``response`` shows (its hidden field)."""
    match = re.search(
        r'name="plan_digest" type="hidden" value="([0-9a-f]+)"', response.get_data(as_text=True)
    )
    assert match, page_text(response)
    return match.group(1)


def _save(client, path: str, **values: str):
    """As a user does it: "Vorschau", then "Verschieben" on the preview."""
    preview = _post(client, path, preview="Vorschau", **values)
    assert preview.status_code == 200, page_text(preview)
    return _post(client, path, save="Verschieben", plan_digest=_digest(preview), **values)


def _buttons(response) -> list[str]:
    return re.findall(
        r'<input[^>]*type="submit"[^>]*value="([^"]*)"', response.get_data(as_text=True)
    )


def _events(session, engagement: Engagement, action: str) -> list[AuditEvent]:
    return list(
        session.scalars(
            select(AuditEvent).where(
                AuditEvent.object_type == "engagement",
                AuditEvent.object_id == engagement.id,
                AuditEvent.action == action,
            )
        )
    )


def _due(session, milestone: Milestone) -> date:
    session.refresh(milestone)
    return milestone.due_date


# --- reschedule: showing the form ------------------------------------------------------------


def test_the_form_for_a_milestone(client, engagement):
    selfcheck = _milestone(engagement, SELFCHECK)
    response = client.get(_url(engagement, f"milestone={selfcheck.id}"))
    assert response.status_code == 200
    assert_accessible(response)
    text = page_text(response)
    assert "Termine verschieben" in text
    assert f"Meilenstein „{SELFCHECK}“" in text
    assert "Neues Datum" in text
    assert "Alle späteren offenen Meilensteine und Wiedervorlagen mitverschieben" in text
    assert "Ein früheres Datum zieht die Termine vor." in text
    html = response.get_data(as_text=True)
    assert 'value="2025-03-23"' in html
    assert re.search(r'<input[^>]* checked [^>]*name="shift_later"', html)
    # Saving comes only with a preview.
    assert _buttons(response) == ["Vorschau"]
    assert 'name="plan_digest"' not in html


def test_the_form_for_a_phase_and_for_the_start(client, session, member, engagement):
    response = client.get(_url(engagement, f"phase={engagement.phases[1].id}"))
    assert response.status_code == 200
    assert "Ende der Phase „Bestandsaufnahme & Analyse“" in page_text(response)
    planned = factories.make_engagement(session, lead=member)
    response = client.get(_url(planned, "start=1"))
    assert response.status_code == 200
    assert "Beginn der Prozessbegleitung" in page_text(response)
    assert_accessible(response)


@pytest.mark.parametrize("query", ["milestone=abc", "phase=-1", "milestone=99999999", "start=0"])
def test_unknown_anchors_are_404(client, engagement, query):
    assert client.get(_url(engagement, query)).status_code == 404


def test_without_an_anchor_the_page_offers_what_can_be_moved(client, session, member, engagement):
    response = client.get(_url(engagement, ""))
    assert response.status_code == 200
    text = page_text(response)
    open_milestone = next(
        m for m in factories.milestones_of(engagement) if m.status is MilestoneStatus.OFFEN
    )
    assert open_milestone.title in text
    assert "Ende der Phase „Auftragsklärung“" in text
    # The last phase ends on the planned end: that is an extension, not a shift.
    assert f"Ende der Phase „{engagement.phases[-1].name}“" not in text
    assert "verlängern" in text
    # Only a planned engagement can still move its start.
    assert ("Beginn der Prozessbegleitung" in text) is (
        engagement.status is EngagementStatus.GEPLANT
    )
    assert_accessible(response)


def test_a_milestone_or_phase_of_another_engagement_is_404(client, session, member, engagement):
    other = factories.make_engagement(session, lead=member)
    foreign = factories.milestones_of(other)[2]
    assert client.get(_url(engagement, f"milestone={foreign.id}")).status_code == 404
    assert client.get(_url(engagement, f"phase={other.phases[0].id}")).status_code == 404
    data = {
        "csrf_token": csrf_token(client, "/engagements"),
        "version": str(engagement.version),
        "new_date": "2025-03-01",
        "save": "Verschieben",
    }
    response = client.post(_url(engagement, f"milestone={foreign.id}"), data=data)
    assert response.status_code == 404
    assert _due(session, foreign) == foreign.baseline_due_date
    assert _events(session, engagement, "engagement.rescheduled") == []


def test_other_consultants_get_404(client, session, logged_in):
    """Off the team, the engagement is not found (tests/test_idor.py)."""
    logged_in(Role.CONSULTANT)
    lead = factories.make_staff_member(session)
    engagement = factories.make_engagement(session, lead=lead, status=S.AKTIV)
    selfcheck = _milestone(engagement, SELFCHECK)
    path = _url(engagement, f"milestone={selfcheck.id}")
    assert client.get(path).status_code == 404
    assert client.get(f"/engagements/{engagement.id}/extend").status_code == 404
    data = {
        "csrf_token": csrf_token(client, "/engagements"),
        "version": str(engagement.version),
        "new_date": "2025-03-20",
        "save": "Verschieben",
    }
    assert client.post(path, data=data).status_code == 404
    assert _due(session, selfcheck) == date(2025, 3, 23)


def test_closed_engagements_and_done_milestones_are_refused(client, session, member):
    closed = factories.make_engagement(session, lead=member, status=S.ABGESCHLOSSEN)
    response = client.get(_url(closed, f"milestone={_milestone(closed, SELFCHECK).id}"))
    assert response.status_code == 302
    assert "ist abgeschlossen" in page_text(client.get(response.location))
    active = factories.make_engagement(session, lead=member, status=S.AKTIV)
    done = factories.complete_milestone(session, _milestone(active, SELFCHECK), on=TODAY)
    response = client.get(_url(active, f"milestone={done.id}"))
    assert response.status_code == 302
    assert "ist erledigt und wird nicht verschoben" in page_text(client.get(response.location))
    response = client.get(_url(active, "start=1"))
    assert response.status_code == 302


# --- reschedule: preview and save ------------------------------------------------------------


def test_the_preview_shows_old_and_new_dates_and_saves_nothing(client, session, engagement):
    factories.complete_milestone(session, _milestone(engagement, FINAL), on=TODAY)
    selfcheck = _milestone(engagement, SELFCHECK)
    path = _url(engagement, f"milestone={selfcheck.id}")
    response = _post(client, path, new_date="2025-04-06", shift_later="y", preview="Vorschau")
    assert response.status_code == 200
    assert_accessible(response)
    assert "um 14 Tage später verschieben" in page_text(response)
    assert "Noch ist nichts gespeichert." in page_text(response)
    rows = body_rows(table(response, "Bisherige und neue Termine"))
    assert [
        "Bestandsaufnahme & Analyse",
        "Phase",
        "06.02.2025 – 07.05.2025",
        "06.02.2025 – 21.05.2025",
    ] in rows
    assert [SELFCHECK, "Meilenstein", "23.03.2025", "06.04.2025"] in rows
    assert ["Abschlussevaluation", "Meilenstein", "04.12.2025", "18.12.2025"] in rows
    assert not any(row[0] == FINAL for row in rows)
    assert _buttons(response) == ["Vorschau", "Verschieben"]
    assert _digest(response)
    assert _due(session, selfcheck) == date(2025, 3, 23)
    assert _events(session, engagement, "engagement.rescheduled") == []


def test_saving_moves_and_the_history_shows_it(client, session, engagement):
    factories.complete_milestone(session, _milestone(engagement, FINAL), on=TODAY)
    selfcheck = _milestone(engagement, SELFCHECK)
    path = _url(engagement, f"milestone={selfcheck.id}")
    response = _save(client, path, new_date="2025-04-06", shift_later="y")
    assert response.status_code == 302
    assert response.location.endswith(f"/engagements/{engagement.id}#phases-title")
    page = page_text(client.get(response.location))
    assert "Termine wurden verschoben (um 14 Tage später)" in page
    assert "Termine verschoben" in page
    assert _due(session, selfcheck) == date(2025, 4, 6)
    assert _due(session, _milestone(engagement, "Zielworkshop")) == date(2025, 6, 18)
    assert len(_events(session, engagement, "engagement.rescheduled")) == 1


def test_saving_without_the_later_items(client, session, engagement):
    selfcheck = _milestone(engagement, SELFCHECK)
    path = _url(engagement, f"milestone={selfcheck.id}")
    response = _save(client, path, new_date="2025-03-15")
    assert response.status_code == 302
    assert _due(session, selfcheck) == date(2025, 3, 15)
    assert _due(session, _milestone(engagement, "Zielworkshop")) == date(2025, 6, 4)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "Bitte geben Sie das neue Datum an."),
        ("   ", "Bitte geben Sie das neue Datum an."),
        ("31.02.2025", "Bitte geben Sie ein gültiges Datum an"),
        ("2025-02-30", "Bitte geben Sie ein gültiges Datum an"),
        ("9999-12-31", "Bitte geben Sie ein Datum in den Jahren 1900 bis 2999 an."),
        ("2025-03-23", "Das neue Datum ist das bisherige. Es gibt nichts zu verschieben."),
        ("2999-12-31", "läge nach dem geplanten Ende 31.12.2025"),
        ("2024-12-31", "„Selbstcheck durchgeführt“ (Meilenstein) läge vor dem Beginn 01.01.2025"),
        (
            "2025-03-01",
            "„Selbstcheck durchgeführt“ (Meilenstein) läge in der Vergangenheit (01.03.2025)",
        ),
        (
            "2025-03-24",
            "„Abschlussbericht und Verstetigungsplan“ (Meilenstein) läge nach dem geplanten "
            "Ende 31.12.2025",
        ),
    ],
)
def test_bad_dates_are_a_422_at_the_field(client, session, engagement, value, message):
    selfcheck = _milestone(engagement, SELFCHECK)
    path = _url(engagement, f"milestone={selfcheck.id}")
    for button in ("preview", "save"):
        response = _post(client, path, new_date=value, shift_later="y", **{button: "x"})
        assert response.status_code == 422
        assert message in page_text(response)
        html = response.get_data(as_text=True)
        assert 'id="new_date-error"' in html
        assert f'value="{value}"' in html
        assert _buttons(response) == ["Vorschau"]
        assert_accessible(response)
    assert _due(session, selfcheck) == date(2025, 3, 23)
    assert _events(session, engagement, "engagement.rescheduled") == []


def test_passing_the_planned_end_offers_the_extension(client, session, engagement):
    selfcheck = _milestone(engagement, SELFCHECK)
    path = _url(engagement, f"milestone={selfcheck.id}")
    response = _post(client, path, new_date="2025-03-30", shift_later="y", preview="Vorschau")
    assert response.status_code == 422
    text = page_text(response)
    assert "läge nach dem geplanten Ende 31.12.2025" in text
    assert (
        "Verlängern Sie zuerst die Prozessbegleitung oder verschieben Sie ohne die späteren "
        "Termine." in text
    )
    extend_link = f'href="/engagements/{engagement.id}/extend"'
    assert extend_link in response.get_data(as_text=True)
    assert_accessible(response)
    # Without the later dates it fits; nothing to extend then.
    response = _post(client, path, new_date="2025-03-30", preview="Vorschau")
    assert response.status_code == 200
    assert extend_link not in response.get_data(as_text=True)


def test_a_follow_up_added_after_the_preview_shows_the_new_preview(
    client, session, member, engagement
):
    factories.complete_milestone(session, _milestone(engagement, FINAL), on=TODAY)
    selfcheck = _milestone(engagement, SELFCHECK)
    path = _url(engagement, f"milestone={selfcheck.id}")
    values = {"new_date": "2025-04-06", "shift_later": "y"}
    preview = _post(client, path, preview="Vorschau", **values)
    shown = _digest(preview)
    # Meanwhile a colleague adds a follow-up (follow-ups do not change the version).
    added = factories.make_follow_up(
        session, engagement, assignee=member, due_on=date(2025, 6, 1), note="Rückruf Amtsleitung"
    )
    response = _post(client, path, save="Verschieben", plan_digest=shown, **values)
    assert response.status_code == 409
    assert_accessible(response)
    text = page_text(response)
    assert (
        "Seit der Vorschau hat sich etwas geändert. Bitte prüfen Sie die neue Vorschau und "
        "speichern Sie dann." in text
    )
    rows = body_rows(table(response, "Bisherige und neue Termine"))
    assert any(
        "Rückruf Amtsleitung" in row[0] and row[1:] == ["Wiedervorlage", "01.06.2025", "15.06.2025"]
        for row in rows
    ), rows
    assert _digest(response) != shown
    session.refresh(added)
    assert clock.local(added.due_at).date() == date(2025, 6, 1)
    assert _due(session, selfcheck) == date(2025, 3, 23)
    assert _events(session, engagement, "engagement.rescheduled") == []
    # Saving the new preview moves it too.
    response = _post(client, path, save="Verschieben", plan_digest=_digest(response), **values)
    assert response.status_code == 302
    session.refresh(added)
    assert clock.local(added.due_at).date() == date(2025, 6, 15)
    assert _due(session, selfcheck) == date(2025, 4, 6)


@pytest.mark.parametrize(
    ("digest", "message"),
    [
        ("", "Bitte prüfen Sie die Vorschau und speichern Sie dann."),
        ("0" * 64, "Seit der Vorschau hat sich etwas geändert."),
        ("x" * 5000, "Seit der Vorschau hat sich etwas geändert."),
    ],
)
def test_a_save_without_the_preview_shows_it_first(client, session, engagement, digest, message):
    selfcheck = _milestone(engagement, SELFCHECK)
    path = _url(engagement, f"milestone={selfcheck.id}")
    response = _post(client, path, new_date="2025-03-20", save="Verschieben", plan_digest=digest)
    assert response.status_code == 409
    assert message in page_text(response)
    rows = body_rows(table(response, "Bisherige und neue Termine"))
    assert [SELFCHECK, "Meilenstein", "23.03.2025", "20.03.2025"] in rows
    assert _buttons(response) == ["Vorschau", "Verschieben"]
    assert _due(session, selfcheck) == date(2025, 3, 23)
    assert _events(session, engagement, "engagement.rescheduled") == []


@pytest.mark.parametrize("version", ["", "abc", "1" * 40])
def test_a_tampered_version_is_refused(client, session, engagement, version):
    selfcheck = _milestone(engagement, SELFCHECK)
    path = _url(engagement, f"milestone={selfcheck.id}")
    response = _post(client, path, new_date="2025-03-01", save="x", version=version)
    assert response.status_code == 302
    assert "Dieses Formular ist veraltet" in page_text(client.get(response.location))
    assert _due(session, selfcheck) == date(2025, 3, 23)


def test_a_stale_version_is_refused(client, session, engagement):
    selfcheck = _milestone(engagement, SELFCHECK)
    path = _url(engagement, f"milestone={selfcheck.id}")
    shown = _version(client, path)
    assert _save(client, path, new_date="2025-03-15").status_code == 302
    response = _post(client, path, new_date="2025-03-20", save="x", version=shown)
    assert response.status_code == 302
    assert "gerade geändert" in page_text(client.get(response.location))
    assert _due(session, selfcheck) == date(2025, 3, 15)
    assert len(_events(session, engagement, "engagement.rescheduled")) == 1


# --- extend ----------------------------------------------------------------------------------


def _extend_url(engagement: Engagement) -> str:
    return f"/engagements/{engagement.id}/extend"


def test_the_extension_form(client, engagement):
    response = client.get(_extend_url(engagement))
    assert response.status_code == 200
    assert_accessible(response)
    text = page_text(response)
    assert "Prozessbegleitung verlängern" in text
    assert "Spätestmögliches Ende 30.06.2026" in text


def test_extending_saves_and_redirects(client, session, engagement):
    response = _post(
        client, _extend_url(engagement), new_end="2026-03-31", reason="Personalwechsel"
    )
    assert response.status_code == 302
    page = page_text(client.get(response.location))
    assert "Die Prozessbegleitung wurde bis zum 31.03.2026 verlängert." in page
    assert "ursprünglich 31.12.2025" in page
    session.refresh(engagement)
    assert engagement.planned_end_date == date(2026, 3, 31)
    assert engagement.extension_reason == "10.03.2025: bis 31.03.2026 – Personalwechsel"
    assert len(_events(session, engagement, "engagement.extended")) == 1


def test_a_second_extension_shows_and_keeps_the_first_reason(client, session, engagement, member):
    path = _extend_url(engagement)
    assert "Bisherige Verlängerungen" not in page_text(client.get(path))
    assert _post(client, path, new_end="2026-03-31", reason="Personalwechsel").status_code == 302
    with clock.frozen(date(2025, 9, 1)):
        login(client, member.email)  # half a year later: the first session has ended
        response = client.get(path)
        assert_accessible(response)
        assert "Bisherige Verlängerungen 10.03.2025: bis 31.03.2026 – Personalwechsel" in (
            page_text(response)
        )
        response = _post(client, path, new_end="2026-06-30", reason="Fortbildung im Sommer")
    assert response.status_code == 302
    session.refresh(engagement)
    assert engagement.extension_reason == (
        "10.03.2025: bis 31.03.2026 – Personalwechsel\n"
        "01.09.2025: bis 30.06.2026 – Fortbildung im Sommer"
    )


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"new_end": "2025-11-30", "reason": "x"}, "new_end", "nur verlängern, nicht verkürzen"),
        ({"new_end": "2026-12-31", "reason": "x"}, "new_end", "und dem 30.06.2026 liegen"),
        ({"new_end": "morgen", "reason": "x"}, "new_end", "ein gültiges Datum an"),
        ({"new_end": "", "reason": "x"}, "new_end", "Bitte geben Sie das neue geplante Ende an."),
        (
            {"new_end": "2026-03-31", "reason": "  "},
            "reason",
            "Bitte begründen Sie die Verlängerung.",
        ),
        ({"new_end": "2026-03-31", "reason": "x" * 2001}, "reason", "höchstens 2.000 Zeichen"),
    ],
)
def test_bad_extensions_are_a_422(client, session, engagement, values, field, message):
    response = _post(client, _extend_url(engagement), **values)
    assert response.status_code == 422
    assert message in page_text(response)
    assert f'id="{field}-error"' in response.get_data(as_text=True)
    assert_accessible(response)
    session.refresh(engagement)
    assert engagement.planned_end_date == date(2025, 12, 31)
    assert _events(session, engagement, "engagement.extended") == []


def test_a_stale_extension_is_refused(client, session, engagement):
    response = _post(client, _extend_url(engagement), new_end="2026-03-31", reason="x", version="0")
    assert response.status_code == 302
    assert "gerade geändert" in page_text(client.get(response.location))
    session.refresh(engagement)
    assert engagement.planned_end_date == date(2025, 12, 31)


def test_a_closed_engagement_is_not_extended(client, session, member):
    closed = factories.make_engagement(session, lead=member, status=S.ABGEBROCHEN)
    response = client.get(_extend_url(closed))
    assert response.status_code == 302
    assert "ist abgebrochen" in page_text(client.get(response.location))
    data = {
        "csrf_token": csrf_token(client, "/engagements"),
        "version": str(closed.version),
        "new_end": "2026-03-31",
        "reason": "x",
    }
    response = client.post(_extend_url(closed), data=data)
    assert response.status_code == 422
    assert "ist abgebrochen" in page_text(response)
