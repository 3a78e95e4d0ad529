"""Application rounds: the service's rules (name, days, overlap, applications kept inside) and
the pages for leads and admins."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from caseflow import clock
from caseflow.audit.models import AuditEvent
from caseflow.intake.models import ApplicationRound
from caseflow.intake.services.rounds import RoundError, save_round
from caseflow.staff.models import Role
from tests import factories
from tests.conftest import csrf_token
from tests.pages.helpers import body_rows, page_text, table

NOW = datetime(2025, 10, 15, 8, 0, tzinfo=UTC)


@pytest.fixture
def lead(session):
    return factories.make_staff_member(session, name="Lea Leitung", role=Role.LEAD)


def _save(session, lead, round_=None, *, name="Frühjahr 2026", first=None, last=None):
    return save_round(
        session,
        round_,
        name=name,
        first_day=first or date(2026, 1, 1),
        last_day=last or date(2026, 2, 28),
        actor=lead,
        now=NOW,
    )


def _events(session, round_id: int) -> list[AuditEvent]:
    return list(
        session.scalars(
            select(AuditEvent)
            .where(AuditEvent.object_type == "application_round", AuditEvent.object_id == round_id)
            .order_by(AuditEvent.id)
        )
    )


def test_a_round_runs_from_local_midnight_to_local_midnight_after_its_last_day(session, lead):
    round_ = _save(session, lead, name="  Frühjahr   2026 ")
    assert round_.name == "Frühjahr 2026"
    # Winter: Berlin is UTC+1.
    assert round_.opens_at == datetime(2025, 12, 31, 23, 0, tzinfo=UTC)
    assert round_.closes_at == datetime(2026, 2, 28, 23, 0, tzinfo=UTC)
    assert (round_.first_day, round_.last_day) == (date(2026, 1, 1), date(2026, 2, 28))
    assert round_.is_open(datetime(2026, 2, 28, 22, 59, tzinfo=UTC))
    assert not round_.is_open(datetime(2026, 2, 28, 23, 0, tzinfo=UTC))
    [event] = _events(session, round_.id)
    assert event.action == "round.created"
    assert event.actor_label == "Lea Leitung"
    assert event.changes["name"] == [None, "Frühjahr 2026"]


def test_a_one_day_round_and_a_summer_round(session, lead):
    one_day = _save(session, lead, name="Ein Tag", first=date(2026, 6, 1), last=date(2026, 6, 1))
    # Summer: UTC+2.
    assert one_day.opens_at == datetime(2026, 5, 31, 22, 0, tzinfo=UTC)
    assert one_day.closes_at == datetime(2026, 6, 1, 22, 0, tzinfo=UTC)


def test_editing_records_only_what_changed(session, lead):
    round_ = _save(session, lead)
    _save(session, lead, round_, name="Frühjahr 2026", last=date(2026, 3, 15))
    assert round_.last_day == date(2026, 3, 15)
    created, updated = _events(session, round_.id)
    assert updated.action == "round.updated"
    assert set(updated.changes) == {"closes_at"}
    _save(session, lead, round_, name="Frühjahr 2026", last=date(2026, 3, 15))
    assert len(_events(session, round_.id)) == 2


@pytest.mark.parametrize(
    ("name", "first", "last", "field", "message"),
    [
        ("", None, None, "name", "Bitte geben Sie der Runde einen Namen."),
        ("x" * 201, None, None, "name", "höchstens 200 Zeichen"),
        ("HERBST 2025", None, None, "name", "Eine Runde mit dem Namen „Herbst 2025“ gibt es"),
        (
            "Neu",
            date(2026, 1, 10),
            date(2026, 1, 9),
            "last_day",
            "Der letzte Tag darf nicht vor dem ersten Tag liegen.",
        ),
        (
            "Neu",
            date(2025, 10, 31),
            date(2025, 11, 30),
            "first_day",
            "Die Runde überschneidet sich mit der Runde „Herbst 2025“ (01.09.2025 bis "
            "31.10.2025). Runden dürfen sich nicht überschneiden.",
        ),
        (
            "Neu",
            date(2025, 8, 1),
            date(2025, 12, 31),
            "first_day",
            "überschneidet sich mit der Runde „Herbst 2025“",
        ),
    ],
)
def test_round_rules(session, lead, name, first, last, field, message):
    autumn = _save(
        session, lead, name="Herbst 2025", first=date(2025, 9, 1), last=date(2025, 10, 31)
    )
    count = len(list(session.scalars(select(ApplicationRound))))
    with pytest.raises(RoundError) as raised:
        _save(session, lead, name=name, first=first, last=last)
    assert message in str(raised.value)
    assert raised.value.field == field
    assert len(list(session.scalars(select(ApplicationRound)))) == count
    assert len(_events(session, autumn.id)) == 1


YEARS_MESSAGE = "Bitte geben Sie ein Datum in den Jahren 1900 bis 2999 an."


@pytest.mark.parametrize(
    ("first", "last", "field"),
    [
        (date(1, 1, 1), date(2026, 1, 31), "first_day"),
        (date(2026, 1, 1), date(9999, 12, 31), "last_day"),
        (date(1, 1, 1), date(9999, 12, 31), "first_day"),
        (date(1899, 12, 31), date(2026, 1, 31), "first_day"),
        (date(2026, 1, 1), date(3000, 1, 1), "last_day"),
    ],
)
def test_days_outside_the_years_1900_to_2999_are_refused(session, lead, first, last, field):
    # Midnight in UTC of the calendar's first or last day would overflow.
    with pytest.raises(RoundError) as raised:
        _save(session, lead, first=first, last=last)
    assert str(raised.value) == YEARS_MESSAGE
    assert raised.value.field == field
    assert list(session.scalars(select(ApplicationRound))) == []
    assert session.scalars(select(AuditEvent)).first() is None


def test_the_first_and_last_plausible_years_are_fine(session, lead):
    round_ = _save(session, lead, first=date(1900, 1, 1), last=date(2999, 12, 31))
    assert (round_.first_day, round_.last_day) == (date(1900, 1, 1), date(2999, 12, 31))


def test_adjacent_rounds_do_not_overlap_and_a_round_may_keep_its_own_days(session, lead):
    autumn = _save(
        session, lead, name="Herbst 2025", first=date(2025, 9, 1), last=date(2025, 10, 31)
    )
    _save(session, lead, name="November", first=date(2025, 11, 1), last=date(2025, 11, 30))
    _save(
        session,
        lead,
        autumn,
        name="Herbst 2025 (lang)",
        first=date(2025, 9, 1),
        last=date(2025, 10, 31),
    )
    assert autumn.name == "Herbst 2025 (lang)"
    with pytest.raises(RoundError, match="„November“"):
        _save(session, lead, autumn, name="Herbst", first=date(2025, 9, 1), last=date(2025, 11, 1))


def test_a_round_keeps_covering_its_applications(session, lead):
    round_ = _save(session, lead, name="Herbst", first=date(2025, 9, 1), last=date(2025, 10, 31))
    factories.make_application(
        session, round=round_, submitted_at=datetime(2025, 10, 20, 9, 0, tzinfo=UTC)
    )
    with pytest.raises(RoundError, match="vom 20.10.2025 bis 20.10.2025") as raised:
        _save(session, lead, round_, name="Herbst", first=date(2025, 9, 1), last=date(2025, 10, 19))
    assert raised.value.field == "last_day"
    _save(session, lead, round_, name="Herbst", first=date(2025, 10, 20), last=date(2025, 10, 20))
    assert round_.last_day == date(2025, 10, 20)


# -- pages -----------------------------------------------------------------------------------


def test_round_pages_are_for_leads_and_admins(client, session, logged_in):
    round_ = factories.make_round(session)
    paths = [
        "/applications/rounds",
        "/applications/rounds/new",
        f"/applications/rounds/{round_.id}/edit",
    ]
    assert client.get(paths[0]).status_code == 302  # anonymous: to the login page
    logged_in(Role.CONSULTANT)
    for path in paths:
        assert client.get(path).status_code == 403
    assert client.post(paths[1], data={"name": "x"}).status_code in (400, 403)
    assert "Bewerbungsrunden verwalten" not in page_text(client.get("/applications"))


@pytest.mark.parametrize("role", [Role.LEAD, Role.ADMIN])
def test_leads_and_admins_list_create_and_edit_rounds(client, session, logged_in, role):
    with clock.frozen(date(2025, 10, 15)):
        logged_in(role)
        autumn = factories.make_round(
            session, name="Herbst 2025", opens_on=date(2025, 9, 1), closes_on=date(2025, 11, 1)
        )
        factories.make_application(session, round=autumn)
        factories.make_application(session, round=autumn)
        assert "Bewerbungsrunden verwalten" in page_text(client.get("/applications"))

        response = client.post(
            "/applications/rounds/new",
            data={
                "csrf_token": csrf_token(client, "/applications/rounds/new"),
                "name": "Frühjahr 2026",
                "first_day": "2026-01-01",
                "last_day": "2026-02-28",
            },
        )
        assert response.status_code == 302
        listing = client.get(response.location)
        assert "Die Bewerbungsrunde „Frühjahr 2026“ ist gespeichert." in page_text(listing)
        rows = body_rows(table(listing, "Bewerbungsrunden"))
        # (the factory's round closes at midnight UTC, 01:00 in Berlin, on 01.11.)
        assert [row[:5] for row in rows] == [
            ["Frühjahr 2026", "01.01.2026", "28.02.2026", "geplant", "0"],
            [
                "Herbst 2025",
                "01.09.2025",
                "01.11.2025",
                "läuft",
                "2 Bewerbungen dieser Runde anzeigen",
            ],
        ]
        assert f'href="/applications?round={autumn.id}"' in listing.get_data(as_text=True)
        spring = session.scalars(
            select(ApplicationRound).where(ApplicationRound.name == "Frühjahr 2026")
        ).one()
        edit_path = f"/applications/rounds/{spring.id}/edit"
        form = client.get(edit_path).get_data(as_text=True)
        assert 'value="Frühjahr 2026"' in form and 'value="2026-02-28"' in form
        response = client.post(
            edit_path,
            data={
                "csrf_token": csrf_token(client, edit_path),
                "name": "Frühjahr 2026",
                "first_day": "2026-01-01",
                "last_day": "2026-03-15",
            },
        )
        assert response.status_code == 302
        session.refresh(spring)
        assert spring.last_day == date(2026, 3, 15)


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"name": ""}, "name", "Bitte geben Sie der Runde einen Namen."),
        ({"name": "x" * 201}, "name", "Der Name darf höchstens 200 Zeichen lang sein."),
        ({"name": "herbst 2025"}, "name", "Eine Runde mit dem Namen „Herbst 2025“ gibt es"),
        ({"first_day": "2026-02-30"}, "first_day", "Kein gültiges Datum."),
        ({"first_day": "0001-01-01"}, "first_day", YEARS_MESSAGE),
        ({"last_day": "9999-12-31"}, "last_day", YEARS_MESSAGE),
        ({"first_day": "1899-12-31"}, "first_day", YEARS_MESSAGE),
        ({"first_day": "0001-01-01", "last_day": "9999-12-31"}, "last_day", YEARS_MESSAGE),
        ({"first_day": ""}, "first_day", "Bitte geben Sie den ersten Tag an."),
        ({"last_day": "2025-12-31"}, "last_day", "nicht vor dem ersten Tag liegen"),
        (
            {"first_day": "2025-10-01", "last_day": "2025-12-01"},
            "first_day",
            "überschneidet sich mit der Runde „Herbst 2025“",
        ),
    ],
)
def test_bad_round_input_gets_messages_next_to_the_field(
    client, session, logged_in, values, field, message
):
    logged_in(Role.LEAD)
    factories.make_round(
        session, name="Herbst 2025", opens_on=date(2025, 9, 1), closes_on=date(2025, 11, 1)
    )
    data = {
        "csrf_token": csrf_token(client, "/applications/rounds/new"),
        "name": "Frühjahr 2026",
        "first_day": "2026-01-01",
        "last_day": "2026-02-28",
        **values,
    }
    response = client.post("/applications/rounds/new", data=data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in page_text(response)
    assert f'id="{field}-error"' in html
    assert len(list(session.scalars(select(ApplicationRound)))) == 1


def test_unknown_round_is_a_404(client, logged_in):
    logged_in(Role.LEAD)
    assert client.get("/applications/rounds/999999/edit").status_code == 404
