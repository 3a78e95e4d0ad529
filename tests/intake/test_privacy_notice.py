"""The privacy notice is versioned (/datenschutz, /datenschutz/<version>) and every
application keeps the version its form showed, with the moment of consent (issue 7 point 4)."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import select

from caseflow import clock
from caseflow.intake import notices
from caseflow.intake.models import Application
from caseflow.intake.notices import PrivacyNotice
from tests import factories
from tests.conftest import csrf_token
from tests.pages.helpers import page_text


def test_the_page_shows_the_version_that_applies_on_the_day(client) -> None:
    with clock.frozen(date(2025, 10, 15)):
        page = page_text(client.get("/datenschutz"))
        assert "Fassung 2025-01, gültig ab 01.01.2025" in page
        assert "2026-12" not in page
        assert client.get("/datenschutz/2026-12").status_code == 404  # not published yet
    with clock.frozen(date(2026, 12, 8)):
        page = page_text(client.get("/datenschutz"))
        assert "Fassung 2026-12, gültig ab 07.12.2026" in page
        assert "drei Jahre nach dem Ende des Förderzeitraums" in page
        old = client.get("/datenschutz/2025-01")
        assert old.status_code == 200
        old_text = page_text(old)
        assert "Dies ist eine frühere Fassung." in old_text
        assert "drei Jahre nach dem Ende des Förderzeitraums" not in old_text


@pytest.mark.parametrize("version", ["1999-01", "<script>", "2025-01%00", "..%2f..%2fbase"])
def test_unknown_versions_are_not_found(client, version) -> None:
    assert client.get(f"/datenschutz/{version}").status_code == 404


@pytest.fixture
def newer_notice(monkeypatch):
    """A version that applies from 20.01.2025, a few days after the form was opened."""
    newer = PrivacyNotice("2025-02", date(2025, 1, 20), "intake/privacy/2025-01.html")
    monkeypatch.setattr(notices, "NOTICES", (notices.NOTICES[0], newer))
    return newer


@pytest.fixture
def open_round(session):
    return factories.make_round(
        session, name="Runde 2025", opens_on=date(2024, 12, 1), closes_on=date(2025, 3, 31)
    )


def _submit(client, **overrides) -> Application:
    data = factories.application_form(**overrides)
    data["csrf_token"] = csrf_token(client, "/apply")
    response = client.post("/apply", data=data)
    assert response.status_code == 302, page_text(response)
    return data


def _stored(session, name: str) -> Application:
    return session.scalar(select(Application).where(Application.organisation_name == name))


def test_the_form_carries_and_links_the_version_it_shows(client, open_round) -> None:
    with clock.frozen(date(2025, 1, 15)):
        page = client.get("/apply").get_data(as_text=True)
    assert re.search(r'name="privacy_notice_version" type="hidden" value="2025-01"', page)
    assert 'href="/datenschutz/2025-01"' in page


@pytest.mark.parametrize(
    ("sent", "stored"),
    [("2025-01", "2025-01"), (None, "2025-02"), ("2099-01", "2025-02"), ("", "2025-02")],
    ids=["shown-before-the-change", "missing", "unknown", "empty"],
)
def test_the_application_keeps_the_version_the_applicant_saw(
    client, session, open_round, newer_notice, sent, stored
) -> None:
    name = f"Jugendamt Versionstest {stored}{sent}"
    overrides = {"organisation_name": name}
    if sent is not None:
        overrides["privacy_notice_version"] = sent
    with clock.frozen(date(2025, 1, 21)) as now:
        _submit(client, **overrides)
    application = _stored(session, name)
    assert application.privacy_notice_version == stored
    assert application.consent_at == now


def test_the_application_page_links_the_version(client, session, logged_in) -> None:
    application = factories.make_application(session, privacy_notice_version="2025-01")
    logged_in("lead")
    page = client.get(f"/applications/{application.id}").get_data(as_text=True)
    assert 'href="/datenschutz/2025-01"' in page
    assert "Datenschutzhinweise in der Fassung 2025-01" in page
