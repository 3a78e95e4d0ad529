"""``/admin/audit`` and ``/admin/audit.csv``: the audit log viewer for admins — filters by
who, object, action and period (Berlin days), paging, bad filter values ignored with a note,
the CSV export (BOM, ``;``, formula guard, itself audited) and a fixed number of queries."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from caseflow import clock
from caseflow.audit import queries as audit_queries
from caseflow.audit import services as audit_services
from caseflow.audit.models import AuditEvent
from caseflow.audit.queries import EventFilter, count_events, recorded_actions
from caseflow.staff.models import Role, StaffMember
from tests import factories
from tests.pages.helpers import page_text, tables
from tests.pages.test_accessibility_structure import assert_accessible

NOW = datetime(2025, 11, 20, 9, 0, tzinfo=UTC)
CAPTION = "Protokollierte Änderungen"
# Each test event carries ``{"marker": "<name>#"}`` in its changes; the "#" ends the name
# where the page runs the next changed field on.
MARKER = re.compile(r"marker: ([^#]+)#")
# The page's own queries (filter choices, count, rows, links) and the layout's (login,
# session, bell, settings, scheduler warning).
MAX_PAGE_QUERIES = 14
CSV_HEADER = "Zeitpunkt;Wer;Aktion;Objekt;Objekt-ID;Änderungen;IP-Adresse"


@pytest.fixture(autouse=True)
def _frozen() -> Iterator[None]:
    with clock.frozen(NOW):
        yield


@pytest.fixture
def admin(logged_in) -> StaffMember:
    return logged_in(Role.ADMIN, name="Ada Admin")


def event(
    session: Session,
    marker: str,
    *,
    actor: StaffMember | None = None,
    actor_label: str | None = None,
    action: str = "engagement.planned",
    object_type: str = "engagement",
    object_id: int | None = 1,
    at: datetime = datetime(2025, 6, 1, 10, 0, tzinfo=UTC),
    ip_address: str | None = None,
    changes: dict[str, Any] | None = None,
    flush: bool = True,
) -> AuditEvent:
    """An audit event recognisable on the page and in the CSV by ``marker`` (``flush=False``
    for many at once: flush after the last)."""
    row = AuditEvent(
        occurred_at=at,
        actor_id=actor.id if actor is not None else None,
        actor_label=actor_label or (actor.name if actor is not None else "System"),
        action=action,
        object_type=object_type,
        object_id=object_id,
        changes={"marker": f"{marker}#", **(changes or {})},
        ip_address=ip_address,
    )
    session.add(row)
    if flush:
        session.flush()
    return row


def shown(response) -> list[str]:
    """The markers of the events listed on the page, in the order shown."""
    assert response.status_code == 200, response.get_data(as_text=True)
    found = [table for table in tables(response) if CAPTION in table.caption]
    if not found:
        return []
    markers = []
    for row in found[0].rows[1:]:
        match = MARKER.search(row[4])
        if match:
            markers.append(match.group(1))
    return markers


def notes_of(response) -> str:
    return page_text(response)


def csv_rows(response) -> list[list[str]]:
    data = response.get_data()
    assert data.startswith("\ufeff".encode())
    text = data.decode("utf-8").removeprefix("\ufeff")
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))


def exported_markers(response) -> list[str]:
    markers = []
    for row in csv_rows(response)[1:]:
        match = MARKER.search(row[5])
        if match:
            markers.append(match.group(1))
    return markers


# -- access ----------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.CONSULTANT, Role.LEAD])
def test_consultants_and_leads_get_403(client, logged_in, role):
    logged_in(role)
    assert client.get("/admin/audit").status_code == 403
    assert client.get("/admin/audit.csv").status_code == 403


def test_anonymous_visitors_are_sent_to_the_login(client):
    for path in ("/admin/audit", "/admin/audit.csv"):
        response = client.get(path)
        assert response.status_code == 302
        assert "/login" in response.headers["Location"]


def test_a_refused_export_records_nothing(client, session, logged_in):
    logged_in(Role.LEAD)
    client.get("/admin/audit.csv")
    assert session.scalar(select(AuditEvent).where(AuditEvent.action == "audit.exported")) is None


# -- the page --------------------------------------------------------------------------------


def test_the_page_shows_time_who_action_object_changes_and_ip(client, session, admin):
    engagement = factories.make_engagement(session, lead=admin)
    event(
        session,
        "e1",
        actor=admin,
        action="engagement.status_changed",
        object_id=engagement.id,
        at=datetime(2025, 7, 1, 22, 30, tzinfo=UTC),
        ip_address="203.0.113.7",
        changes={"status": ["geplant", "aktiv"]},
    )
    event(session, "e2", object_type="staff_member", object_id=admin.id, action="unknown.key")
    response = client.get("/admin/audit")
    assert shown(response)[:2] == ["e1", "e2"]
    assert_accessible(response)
    rows = {row[4]: row for table in tables(response) for row in table.rows[1:]}
    first = next(row for key, row in rows.items() if "marker: e1#" in key)
    # 22:30 UTC in July is 00:30 the next day in Berlin (summer time).
    assert first[0] == "02.07.2025, 00:30"
    assert first[1] == "Ada Admin"
    assert first[2] == "Status der Prozessbegleitung geändert"
    assert first[3] == f"Prozessbegleitung {engagement.id}"
    assert "status: geplant → aktiv" in first[4]
    assert "marker: e1#" in first[4]
    assert first[5] == "203.0.113.7"
    second = next(row for key, row in rows.items() if "marker: e2#" in key)
    assert second[1] == "System"
    assert second[2] == "unknown.key"  # an action without a label shows its key
    assert second[3] == f"Mitarbeiter*in {admin.id}"
    assert second[5] == "–"  # no address kept
    body = response.get_data(as_text=True)
    assert f'href="/engagements/{engagement.id}"' in body


def test_objects_are_linked_only_where_their_page_exists(client, session, admin):
    organisation = factories.make_organisation(session)
    event(session, "org", object_type="organisation", object_id=organisation.id)
    event(session, "gone", object_type="application", object_id=987654)
    event(session, "staff", object_type="staff_member", object_id=admin.id)
    body = client.get("/admin/audit").get_data(as_text=True)
    assert f'href="/organisations/{organisation.id}"' in body
    assert "/applications/987654" not in body
    assert f"/staff/{admin.id}" not in body
    assert "Bewerbung 987654" in page_text(client.get("/admin/audit"))


def test_who_filter_narrows_to_one_person_or_the_system(client, session, admin, make_staff):
    other = make_staff(Role.CONSULTANT, name="Ben Beratung")
    event(session, "mine", actor=admin)
    event(session, "other", actor=other)
    event(session, "system")
    # A deleted staff member's events keep the name but lose the id: not the system's.
    event(session, "deleted", actor_label="Gelöschte Person")
    assert set(shown(client.get(f"/admin/audit?actor={other.id}"))) == {"other"}
    assert set(shown(client.get("/admin/audit?actor=system"))) == {"system"}
    assert set(shown(client.get("/admin/audit"))) == {"mine", "other", "system", "deleted"}
    # The select offers who appears in the log, and the system.
    body = client.get("/admin/audit").get_data(as_text=True)
    assert f'<option value="{other.id}">Ben Beratung</option>' in body
    assert '<option value="system">' in body


def test_object_filter_narrows_by_type_and_id(client, session, admin):
    event(session, "e1", object_type="engagement", object_id=1)
    event(session, "e2", object_type="engagement", object_id=2)
    event(session, "a1", object_type="application", object_id=1)
    assert set(shown(client.get("/admin/audit?object_type=engagement"))) == {"e1", "e2"}
    assert set(shown(client.get("/admin/audit?object_type=engagement&object_id=2"))) == {"e2"}
    assert set(shown(client.get("/admin/audit?object_type=application&object_id=1"))) == {"a1"}
    assert shown(client.get("/admin/audit?object_type=application&object_id=2")) == []


def test_action_filter_narrows_and_offers_german_labels(client, session, admin):
    event(session, "planned", action="engagement.planned")
    event(session, "accepted", action="application.accepted", object_type="application")
    event(session, "new", action="settings.brand_new")  # recorded, but without a label yet
    assert set(shown(client.get("/admin/audit?action=application.accepted"))) == {"accepted"}
    assert set(shown(client.get("/admin/audit?action=settings.brand_new"))) == {"new"}
    body = client.get("/admin/audit").get_data(as_text=True)
    assert '<option value="application.accepted">Bewerbung angenommen</option>' in body
    assert '<option value="settings.brand_new">settings.brand_new</option>' in body


@pytest.mark.parametrize(
    ("day", "inside", "outside"),
    [
        # Winter: the Berlin day runs from 23:00 UTC the day before.
        (
            "2025-01-10",
            ["2025-01-09T23:00:00", "2025-01-10T22:59:59"],
            ["2025-01-09T22:59:59", "2025-01-10T23:00:00"],
        ),
        # Summer time starts on 30 March 2025: a day of 23 hours.
        (
            "2025-03-30",
            ["2025-03-29T23:00:00", "2025-03-30T21:59:59"],
            ["2025-03-29T22:59:59", "2025-03-30T22:00:00"],
        ),
        # Summer time ends on 26 October 2025: a day of 25 hours.
        (
            "2025-10-26",
            ["2025-10-25T22:00:00", "2025-10-26T22:59:59"],
            ["2025-10-25T21:59:59", "2025-10-26T23:00:00"],
        ),
    ],
)
def test_period_covers_whole_berlin_days(client, session, admin, day, inside, outside):
    for moment in inside + outside:
        event(session, moment, at=datetime.fromisoformat(moment).replace(tzinfo=UTC))
    response = client.get(f"/admin/audit?from={day}&to={day}")
    assert set(shown(response)) == set(inside)
    # Each end on its own.
    after = set(shown(client.get(f"/admin/audit?from={day}")))
    assert after == {inside[0], inside[1], outside[1]}
    before = set(shown(client.get(f"/admin/audit?to={day}")))
    assert before == {inside[0], inside[1], outside[0]}


def test_filters_combine(client, session, admin, make_staff):
    other = make_staff(Role.LEAD)
    at = datetime(2025, 5, 5, 12, 0, tzinfo=UTC)
    event(session, "hit", actor=other, action="engagement.extended", object_id=7, at=at)
    event(session, "wrong-day", actor=other, action="engagement.extended", object_id=7)
    event(session, "wrong-actor", actor=admin, action="engagement.extended", object_id=7, at=at)
    event(session, "wrong-id", actor=other, action="engagement.extended", object_id=8, at=at)
    response = client.get(
        f"/admin/audit?actor={other.id}&action=engagement.extended&object_type=engagement"
        "&object_id=7&from=2025-05-05&to=2025-05-05"
    )
    assert shown(response) == ["hit"]
    assert "(gefiltert)" in page_text(response)
    # The export link carries the same filters.
    body = response.get_data(as_text=True)
    assert f"/admin/audit.csv?actor={other.id}&amp;object_type=engagement&amp;object_id=7" in body


@pytest.mark.parametrize(
    ("query", "note"),
    [
        ("action=engagement.nope", "Die Aktion „engagement.nope“ gibt es nicht"),
        ("action=%3Cscript%3E", "Die Aktion „<script>“ gibt es nicht"),
        ("actor=999999", "Wer: „999999“ ist keine der angebotenen Personen"),
        ("actor=abc", "Wer: „abc“ ist keine der angebotenen Personen"),
        ("object_type=spaceship", "Die Objektart „spaceship“ gibt es nicht"),
        ("object_type=spaceship&object_id=1", "Die Objektart „spaceship“ gibt es nicht"),
        ("object_id=x1", "Objekt-ID: „x1“ ist keine gültige Nummer"),
        ("object_id=99999999999", "Objekt-ID: „99999999999“ ist keine gültige Nummer"),
        ("object_id=1", "Eine Objekt-ID gilt nur zusammen mit einer Objektart"),
        ("from=2025-13-01", "Von: „2025-13-01“ ist kein gültiges Datum"),
        ("to=31.02.2025", "Bis: „31.02.2025“ ist kein gültiges Datum"),
        ("from=0001-01-01", "liegt außerhalb des möglichen Zeitraums"),
        ("from=2025-06-02&to=2025-06-01", "„Von“ (02.06.2025) liegt nach „Bis“ (01.06.2025)"),
        ("page=0", "„0“ ist keine gültige Seitenzahl"),
        ("page=abc", "„abc“ ist keine gültige Seitenzahl"),
        ("page=99", "Seite 99 gibt es nicht"),
    ],
)
def test_bad_filter_values_are_ignored_with_a_note(client, session, admin, query, note):
    event(session, "one", object_id=1, at=datetime(2025, 6, 1, 10, 0, tzinfo=UTC))
    event(session, "two", object_type="application", object_id=2)
    response = client.get(f"/admin/audit?{query}")
    assert response.status_code == 200
    assert note in page_text(response)
    # The bad value narrows nothing: every event is listed.
    assert {"one", "two"} <= set(shown(response))
    assert "<script>" not in response.get_data(as_text=True)


def test_a_bad_object_id_leaves_the_object_type_working(client, session, admin):
    event(session, "one", object_id=1)
    event(session, "two", object_type="application", object_id=1)
    response = client.get("/admin/audit?object_type=application&object_id=1.5")
    assert shown(response) == ["two"]
    assert "Objekt-ID: „1.5“ ist keine gültige Nummer" in page_text(response)


def test_a_bad_value_leaves_the_good_filters_working(client, session, admin):
    event(session, "one", action="engagement.planned")
    event(session, "two", action="engagement.extended")
    response = client.get("/admin/audit?action=engagement.extended&from=kaputt")
    assert shown(response) == ["two"]
    assert "ist kein gültiges Datum" in page_text(response)


def test_paging_newest_first_with_counts_and_links(client, session, admin):
    start = datetime(2025, 1, 1, 8, 0, tzinfo=UTC)
    for number in range(205):
        event(session, f"n{number:03d}", at=start + timedelta(hours=number), action="demo.loaded")
    first = client.get("/admin/audit?action=demo.loaded")
    markers = shown(first)
    assert len(markers) == 100
    assert markers[0] == "n204" and markers[-1] == "n105"
    text = page_text(first)
    assert "205 Einträge" in text
    assert "Einträge 1–100 von 205" in text
    body = first.get_data(as_text=True)
    assert "action=demo.loaded&amp;page=2" in body
    assert "action=demo.loaded&amp;page=3" in body
    second = shown(client.get("/admin/audit?action=demo.loaded&page=2"))
    assert second[0] == "n104" and second[-1] == "n005"
    third = client.get("/admin/audit?action=demo.loaded&page=3")
    assert shown(third) == ["n004", "n003", "n002", "n001", "n000"]
    assert "Einträge 201–205 von 205" in page_text(third)
    assert "Seite 3 von 3" in page_text(third)
    beyond = client.get("/admin/audit?action=demo.loaded&page=4")
    assert shown(beyond) == markers
    assert "Seite 4 gibt es nicht" in page_text(beyond)


def test_events_at_the_same_moment_keep_a_stable_order_across_pages(client, session, admin):
    at = datetime(2025, 2, 2, 2, 0, tzinfo=UTC)
    for number in range(150):
        event(session, f"s{number:03d}", at=at, action="demo.loaded")
    seen = shown(client.get("/admin/audit?action=demo.loaded")) + shown(
        client.get("/admin/audit?action=demo.loaded&page=2")
    )
    assert seen == [f"s{number:03d}" for number in reversed(range(150))]


def test_an_empty_log_and_a_filter_without_hits_say_so(client, session, admin):
    response = client.get("/admin/audit?action=demo.loaded")
    assert shown(response) == []
    assert "Kein Eintrag passt zu diesem Filter." in page_text(response)


# -- the export ------------------------------------------------------------------------------


def test_csv_has_bom_semicolons_headers_and_the_rows(client, session, admin):
    organisation = factories.make_organisation(session)
    event(
        session,
        "csv1",
        actor=admin,
        action="organisation.updated",
        object_type="organisation",
        object_id=organisation.id,
        at=datetime(2025, 3, 30, 1, 30, 5, tzinfo=UTC),
        ip_address="198.51.100.4",
        changes={"name": ["Alt", "Neu"]},
    )
    event(session, "csv2", object_type="demo", object_id=None, action="demo.loaded")
    response = client.get("/admin/audit.csv?object_type=organisation")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.get_data().startswith(b"\xef\xbb\xbf" + CSV_HEADER.encode() + b"\r\n")
    rows = csv_rows(response)
    assert rows[0] == CSV_HEADER.split(";")
    assert rows[1:] == [
        [
            "30.03.2025 03:30:05",  # summer time began at 01:00 UTC that day
            "Ada Admin",
            "Organisation geändert",
            "Organisation",
            str(organisation.id),
            "marker: csv1#; name: Alt → Neu",
            "198.51.100.4",
        ]
    ]
    system = csv_rows(client.get("/admin/audit.csv?object_type=demo"))[1]
    assert system[1:5] == ["System", "Demodaten geladen", "Demodaten", ""]
    assert system[6] == ""


def test_csv_headers_make_a_dated_download_that_is_not_stored(client, session, admin):
    response = client.get("/admin/audit.csv")
    disposition = response.headers["Content-Disposition"]
    # 09:00 UTC on 20 November is 10:00 in Berlin.
    assert disposition == 'attachment; filename="protokoll-2025-11-20-1000.csv"'
    assert response.headers["Cache-Control"] == "no-store"


def test_csv_neutralises_formulas(client, session, admin):
    event(session, "f1", actor_label='=HYPERLINK("http://evil")', object_type="formula")
    event(session, "f2", actor_label="+41 Plus", object_type="formula")
    event(session, "f3", actor_label="@SUM(A1)", object_type="formula", changes={"a": 1})
    event(session, "f4", actor_label="-2", object_type="formula")
    event(
        session,
        "f5",
        action="=cmd|' /C calc'!A0",
        object_type="formula",
    )
    rows = csv_rows(client.get("/admin/audit.csv?object_type=formula"))
    by_marker = {MARKER.search(row[5]).group(1): row for row in rows[1:]}
    assert by_marker["f1"][1] == '\'=HYPERLINK("http://evil")'
    assert by_marker["f2"][1] == "'+41 Plus"
    assert by_marker["f3"][1] == "'@SUM(A1)"
    assert by_marker["f4"][1] == "'-2"
    assert by_marker["f5"][1] == "System"
    assert by_marker["f5"][2] == "'=cmd|' /C calc'!A0"
    # A changes text starting with a formula character is defused too.
    event(session, "g", object_type="formula2", changes={"=x": "y"})
    row = csv_rows(client.get("/admin/audit.csv?object_type=formula2"))[1]
    assert row[5] == "'=x: y; marker: g#"


def test_csv_applies_the_filters(client, session, admin, make_staff):
    other = make_staff(Role.CONSULTANT)
    event(session, "theirs", actor=other, at=datetime(2025, 1, 10, 12, 0, tzinfo=UTC))
    event(session, "late", actor=other, at=datetime(2025, 1, 11, 12, 0, tzinfo=UTC))
    event(session, "mine", actor=admin, at=datetime(2025, 1, 10, 12, 0, tzinfo=UTC))
    event(session, "system", at=datetime(2025, 1, 10, 12, 0, tzinfo=UTC))
    response = client.get(f"/admin/audit.csv?actor={other.id}&from=2025-01-10&to=2025-01-10")
    assert exported_markers(response) == ["theirs"]
    assert exported_markers(client.get("/admin/audit.csv?actor=system")) == ["system"]


def test_csv_lists_every_matching_event_newest_first(client, session, admin):
    start = datetime(2025, 1, 1, tzinfo=UTC)
    for number in range(1205):  # more than one page and more than one fetch batch
        at = start + timedelta(minutes=number)
        event(session, f"b{number:04d}", at=at, action="demo.loaded", flush=False)
    session.flush()
    markers = exported_markers(client.get("/admin/audit.csv?action=demo.loaded"))
    assert markers == [f"b{number:04d}" for number in reversed(range(1205))]


def test_the_export_is_audited_with_its_filter(client, session, admin):
    event(session, "x1", action="engagement.planned", object_id=3)
    event(session, "x2", action="engagement.planned", object_id=4)
    response = client.get(
        "/admin/audit.csv?action=engagement.planned&object_type=engagement&from=2025-01-01"
    )
    assert exported_markers(response) == ["x2", "x1"]
    exported = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "audit.exported")
    ).all()
    assert len(exported) == 1
    record = exported[0]
    assert record.actor_id == admin.id
    assert record.actor_label == "Ada Admin"
    assert record.object_type == "audit_log"
    assert record.object_id is None
    assert record.occurred_at == NOW
    assert record.changes == {
        "filter": {
            "action": "engagement.planned",
            "object_type": "engagement",
            "from": "2025-01-01",
        },
        "rows": 2,
    }
    # The export is not in the file it wrote, but it is in the next one and on the page.
    assert all(row[2] != "audit.exported" for row in csv_rows(response))
    everything = csv_rows(client.get("/admin/audit.csv"))
    assert [row[3] for row in everything[1:]].count("Protokoll") == 1
    page = client.get("/admin/audit?action=audit.exported")
    assert "2 Einträge" in page_text(page)
    assert "filter: action=engagement.planned, from=2025-01-01" in page_text(page)


def test_an_export_with_a_bad_filter_is_refused_and_not_recorded(client, session, admin):
    event(session, "one")
    response = client.get("/admin/audit.csv?action=nope&from=2025-02-30")
    assert response.status_code == 400
    text = page_text(response)
    assert "Die Aktion „nope“ gibt es nicht" in text
    assert "Von: „2025-02-30“ ist kein gültiges Datum" in text
    assert session.scalar(select(AuditEvent).where(AuditEvent.action == "audit.exported")) is None


# -- queries ---------------------------------------------------------------------------------


def _many(session: Session, count: int, actors: list[StaffMember]) -> None:
    """``count`` events of several actors, actions and object types (linkable or not)."""
    organisation = factories.make_organisation(session)
    kinds = [
        ("engagement.planned", "engagement", 1),
        ("application.accepted", "application", 2),
        ("organisation.updated", "organisation", organisation.id),
        ("staff.login", "staff_member", actors[0].id),
        ("phase_template.updated", "phase_template", 5),
    ]
    start = datetime(2025, 4, 1, tzinfo=UTC)
    for number in range(count):
        action, object_type, object_id = kinds[number % len(kinds)]
        event(
            session,
            f"q{number}",
            actor=actors[number % len(actors)] if number % 3 else None,
            action=action,
            object_type=object_type,
            object_id=object_id + number,
            at=start + timedelta(minutes=number),
            ip_address="192.0.2.1" if number % 2 else None,
            flush=False,
        )
    session.flush()


@pytest.mark.parametrize(
    "path",
    [
        "/admin/audit",
        "/admin/audit?from=2025-01-01&to=2025-12-31&page=2",
        "/admin/audit?object_type=engagement&object_id=6",
        "/admin/audit?actor=system&action=nope",
    ],
)
def test_the_page_runs_a_fixed_number_of_queries(
    client, session, admin, make_staff, count_queries, path
):
    actors = [admin, make_staff(Role.CONSULTANT), make_staff(Role.LEAD)]
    _many(session, 210, actors)

    def measure() -> int:
        session.expunge_all()
        with count_queries() as counter:
            response = client.get(path)
        assert response.status_code == 200
        return counter.count

    small = measure()
    more_actors = actors + [make_staff(Role.CONSULTANT) for _ in range(10)]
    _many(session, 1500, more_actors)
    large = measure()
    print(f"{path}: {small} queries, then {large} with many more events")
    assert small == large
    assert large <= MAX_PAGE_QUERIES


def test_the_export_runs_a_fixed_number_of_queries(
    client, session, admin, make_staff, count_queries
):
    actors = [admin, make_staff(Role.CONSULTANT)]
    _many(session, 20, actors)

    def measure() -> tuple[int, int]:
        session.expunge_all()
        with count_queries() as counter:
            rows = len(csv_rows(client.get("/admin/audit.csv")))
        return counter.count, rows

    small, small_rows = measure()
    _many(session, 2500, actors)
    large, large_rows = measure()
    assert large_rows > small_rows + 2500
    assert small == large


def test_recorded_actions_lists_each_action_once(session):
    for action in ("b.second", "a.first", "b.second", "c.third", "a.first"):
        factories.make_audit_event(session, object_type="x", object_id=1, action=action)
    actions = recorded_actions(session)
    assert [a for a in actions if a in {"a.first", "b.second", "c.third"}] == [
        "a.first",
        "b.second",
        "c.third",
    ]
    assert len(actions) == len(set(actions))


def test_the_system_label_is_the_one_the_services_write():
    assert audit_queries.SYSTEM_LABEL == audit_services.SYSTEM_LABEL


def test_count_events_stops_at_an_id(session):
    first = factories.make_audit_event(session, object_type="x", object_id=1, action="a.b")
    factories.make_audit_event(session, object_type="x", object_id=1, action="a.b")
    only = EventFilter(action="a.b")
    assert count_events(session, only) == 2
    assert count_events(session, only, up_to_id=first.id) == 1
