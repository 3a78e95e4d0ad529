"""Importing the contact list into the staff directory: create, update, never blank, audit."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from caseflow import clock
from caseflow.audit.models import AuditEvent
from caseflow.staff.importing import ImportReport, import_staff_file
from caseflow.staff.models import Role, StaffMember
from tests.staff.helpers import (
    DIFAIR_CONTACTS,
    FILES,
    SHIPPED_CSV,
    SHIPPED_VCF,
    member_named,
    staff_count,
    write,
)

SHIPPED = pytest.mark.parametrize("path", [SHIPPED_CSV, SHIPPED_VCF], ids=["csv", "vcf"])


def run(session: Session, path: Path) -> ImportReport:
    return import_staff_file(session, path, now=clock.now())


def audit_events(session: Session, action: str) -> list[AuditEvent]:
    return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


@SHIPPED
def test_shipped_contact_list_imports_all_eight_people(session: Session, path: Path) -> None:
    report = run(session, path)

    assert report.created == list(DIFAIR_CONTACTS)
    assert (report.updated, report.skipped) == ([], [])
    assert staff_count(session) == 8
    for name, (phone, measures, organisation, email) in DIFAIR_CONTACTS.items():
        member = member_named(session, name)
        assert (member.phone, member.measure_numbers) == (phone, measures)
        assert (member.organisation, member.email) == (organisation, email)
        assert member.job_title is None
        # nobody gets a login from the contact list
        assert (member.role, member.password_hash, member.is_active) == (
            Role.CONSULTANT,
            None,
            True,
        )


@SHIPPED
def test_importing_twice_changes_nothing(session: Session, path: Path) -> None:
    run(session, path)
    session.expire_all()
    events_before = len(list(session.scalars(select(AuditEvent))))

    report = run(session, path)

    assert (len(report.created), len(report.updated), len(report.skipped)) == (0, 0, 8)
    assert report.skipped == list(DIFAIR_CONTACTS)
    assert staff_count(session) == 8
    assert len(list(session.scalars(select(AuditEvent)))) == events_before
    assert report.summary().splitlines()[0] == "0 angelegt, 0 aktualisiert, 8 unverändert"


def test_the_shipped_csv_and_vcard_describe_the_same_people(session: Session) -> None:
    run(session, SHIPPED_CSV)

    report = run(session, SHIPPED_VCF)

    assert report.skipped == list(DIFAIR_CONTACTS)


def test_importing_twice_in_one_session_changes_nothing(session: Session) -> None:
    """Without expiring in between (measures kept in memory must compare equal)."""
    run(session, FILES / "team_comma.csv")

    report = run(session, FILES / "team_comma.csv")

    assert (report.created, report.updated) == ([], [])


def test_each_created_person_has_an_audit_event(session: Session) -> None:
    report = run(session, SHIPPED_CSV)

    events = audit_events(session, "staff.imported")
    assert len(events) == len(report.created) == 8
    cemile = member_named(session, "Cemile Karaman")
    (event,) = [event for event in events if event.object_id == cemile.id]
    assert event.object_type == "staff_member"
    assert (event.actor_id, event.actor_label) == (None, "System")
    assert event.changes["email"] == [None, "cemile.karaman@migrationsrat.de"]
    assert event.changes["phone"] == [None, "0152 26154353"]
    assert event.changes["measures"] == [[], [1]]


def test_changed_phone_title_organisation_and_measures_update(
    session: Session, tmp_path: Path
) -> None:
    run(session, SHIPPED_CSV)
    changed = write(
        tmp_path,
        "update.csv",
        "name,phone,organisation,measures,job_title\n"
        "Jana Nau,0176 849 612 99,BQN Berlin,3,\n"
        'Teo Lünstroth,0176 849 612 93,BQN Berlin,"1,3",Projektleitung\n'
        "Belul Bokrezion,0176 849 612 67,BQN e.V.,2,\n"
        "Elisa Bongiovanni,0176 849 612 86,BQN Berlin,2,\n",
    )

    report = run(session, changed)

    assert report.updated == ["Jana Nau", "Teo Lünstroth", "Belul Bokrezion"]
    assert report.skipped == ["Elisa Bongiovanni"]
    assert report.created == []
    assert staff_count(session) == 8
    session.expire_all()
    assert member_named(session, "Jana Nau").phone == "0176 849 612 99"
    teo = member_named(session, "Teo Lünstroth")
    assert (teo.measure_numbers, teo.job_title) == ([1, 3], "Projektleitung")
    assert member_named(session, "Belul Bokrezion").organisation == "BQN e.V."
    events = {event.object_id: event for event in audit_events(session, "staff.import_updated")}
    assert events[teo.id].changes == {
        "job_title": [None, "Projektleitung"],
        "measures": [[], [1, 3]],
    }
    assert len(events) == 3


def test_measures_are_replaced_by_the_files_set(session: Session, tmp_path: Path) -> None:
    run(session, write(tmp_path, "a.csv", 'name,measures\nJana Nau,"1,2"\n'))

    report = run(session, write(tmp_path, "b.csv", 'name,measures\nJana Nau,"2,3"\n'))

    assert report.updated == ["Jana Nau"]
    session.expire_all()
    assert member_named(session, "Jana Nau").measure_numbers == [2, 3]


def test_fields_the_file_leaves_empty_are_kept(session: Session, tmp_path: Path) -> None:
    run(session, SHIPPED_CSV)
    jana = member_named(session, "Jana Nau")
    jana.email = "jana.nau@example.org"  # given later, by hand
    jana.job_title = "Prozessbegleiterin"
    session.flush()

    again = run(session, SHIPPED_CSV)
    names_only = run(session, write(tmp_path, "names.csv", "Name\nJana Nau\nSelen Eriçok\n"))

    assert again.skipped == list(DIFAIR_CONTACTS)
    assert names_only.skipped == ["Jana Nau", "Selen Eriçok"]
    session.expire_all()
    jana = member_named(session, "Jana Nau")
    assert (jana.email, jana.job_title) == ("jana.nau@example.org", "Prozessbegleiterin")
    assert (jana.phone, jana.measure_numbers) == ("0176 849 612 85", [3])


def test_role_password_and_active_flag_are_never_touched(
    session: Session, make_staff: Callable[..., StaffMember]
) -> None:
    jana = make_staff(Role.LEAD, name="Jana Nau", email="jana.nau@example.org", is_active=False)
    password_hash = jana.password_hash

    report = run(session, SHIPPED_CSV)

    assert report.updated == ["Jana Nau"]  # found by name, phone and measure added
    assert staff_count(session) == 8
    session.expire_all()
    jana = member_named(session, "Jana Nau")
    assert (jana.role, jana.password_hash, jana.is_active) == (Role.LEAD, password_hash, False)
    assert (jana.email, jana.phone) == ("jana.nau@example.org", "0176 849 612 85")


def test_a_person_is_found_by_email_in_any_case_and_renamed(
    session: Session, make_staff: Callable[..., StaffMember]
) -> None:
    anna = make_staff(name="A. Beispiel", email="anna.beispiel@example.org")

    report = run(session, FILES / "team_comma.csv")  # "Anna.Beispiel@Example.org"

    assert report.updated == ["Anna Beispiel"]
    assert report.created == ["Bernd Muster", "Çiğdem Öztürk, Dr."]
    session.expire_all()
    assert member_named(session, "Anna Beispiel").id == anna.id


def test_a_person_known_by_name_gets_the_email_from_the_file(
    session: Session, tmp_path: Path
) -> None:
    run(session, SHIPPED_CSV)
    jana_id = member_named(session, "Jana Nau").id

    report = run(
        session, write(tmp_path, "emails.csv", "name,email\nJana Nau,Jana.Nau@Example.org\n")
    )

    assert report.updated == ["Jana Nau"]
    assert staff_count(session) == 8
    session.expire_all()
    jana = member_named(session, "Jana Nau")
    assert (jana.id, jana.email) == (jana_id, "jana.nau@example.org")
    # from now on she is found by that email, even under a new name
    again = run(
        session, write(tmp_path, "again.csv", "name,email\nJana Nau-Ortiz,jana.nau@example.org\n")
    )
    assert again.updated == ["Jana Nau-Ortiz"]
    assert staff_count(session) == 8


def test_names_match_regardless_of_case_and_whitespace(session: Session, tmp_path: Path) -> None:
    run(session, SHIPPED_CSV)

    report = run(
        session, write(tmp_path, "loose.csv", "name;Telefon\n  jana   NAU ;0176 849 612 85\n")
    )

    assert report.skipped == ["Jana Nau"]  # the directory keeps its spelling
    assert staff_count(session) == 8


def test_names_match_without_accents(session: Session, tmp_path: Path) -> None:
    """The DiFair page spells her "Selen Ericok" and "Selen Eriçok": one person."""
    run(session, SHIPPED_CSV)

    report = run(session, write(tmp_path, "plain.csv", "name;Telefon\nSelen Ericok;030 1234\n"))

    assert report.updated == ["Selen Eriçok"]
    assert staff_count(session) == 8


def test_summary_lists_the_names_per_group(session: Session, tmp_path: Path) -> None:
    run(session, write(tmp_path, "a.csv", "name,phone\nJana Nau,1\nTeo Lünstroth,2\n"))

    report = run(
        session,
        write(tmp_path, "b.csv", "name,phone\nJana Nau,1\nTeo Lünstroth,3\nSelen Eriçok,4\n"),
    )

    assert report.summary() == (
        "1 angelegt, 1 aktualisiert, 1 unverändert\n"
        "Angelegt: Selen Eriçok\n"
        "Aktualisiert: Teo Lünstroth\n"
        "Unverändert: Jana Nau"
    )


@pytest.mark.parametrize(
    "name", ["team_comma.csv", "team_semicolon_bom.csv", "team_v3.vcf", "team_v4.vcf"]
)
def test_every_sample_file_imports_its_three_people(session: Session, name: str) -> None:
    report = run(session, FILES / name)

    assert len(report.created) == 3
    assert staff_count(session) == 3
    anna = session.scalars(
        select(StaffMember).where(StaffMember.email == "anna.beispiel@example.org")
    ).one()
    assert anna.measure_numbers == [2, 3]
