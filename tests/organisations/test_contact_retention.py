"""Retention of contact persons (issue 7 item 6): the contacts of organisations without an
open engagement or application are anonymised from CONTACT_RETENTION_YEARS (3) after
PROGRAMME_END (31.07.2026) on, that is from 31.07.2029; a running engagement keeps them; each
run of the retention job leaves one audit event (count 0 included); a second run changes
nothing, also when both run at the same time (PostgreSQL)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from caseflow import clock
from caseflow.audit.models import AuditEvent
from caseflow.engagements.models import Assignment, Engagement, EngagementStatus, PhaseTemplate
from caseflow.extensions import db
from caseflow.followups.sweeps import SWEEPS, retention
from caseflow.followups.sweeps.anonymisation import (
    CONTACTS_ACTION,
    anonymise_released_contacts,
    contact_due_on,
)
from caseflow.intake.models import ApplicationStatus
from caseflow.organisations.models import ContactPerson, Organisation
from caseflow.organisations.retention import PLACEHOLDER, anonymise_contact
from caseflow.staff.models import StaffMember
from tests import factories

BERLIN = ZoneInfo("Europe/Berlin")
DUE = date(2029, 7, 31)  # 31.07.2026 + 3 years
NAME = "Zyxwvut Aufbewahrung"


def at(day: date, hour: int = 12, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=BERLIN)


def run_job(session: Session, moment: datetime) -> int:
    """The retention job as the scheduler and ``caseflow jobs run`` run it, at a frozen
    clock."""
    with clock.frozen(moment):
        return retention(session, clock.now())


def events(session: Session) -> list[AuditEvent]:
    return list(
        session.scalars(
            select(AuditEvent).where(AuditEvent.action == CONTACTS_ACTION).order_by(AuditEvent.id)
        )
    )


def organisation_with(
    session: Session, *statuses: EngagementStatus, name: str | None = None
) -> tuple[Organisation, ContactPerson]:
    """An organisation with one engagement per status and one contact with every field."""
    organisation = factories.make_organisation(session, name=name)
    lead = factories.make_staff_member(session)
    for status in statuses:
        factories.make_engagement(
            session,
            lead=lead,
            organisation=organisation,
            status=status,
            actual_end=date(2025, 12, 31),
        )
    contact = factories.make_contact(
        session,
        organisation,
        name=NAME,
        role="Amtsleitung",
        email="zyxwvut@amt.example.org",
        phone="030 999",
        notes="spricht Arabisch",
        is_primary=True,
    )
    return organisation, contact


def test_the_due_day_is_the_programme_end_plus_the_years():
    assert contact_due_on(date(2026, 7, 31), 3) == DUE
    assert contact_due_on(date(2028, 2, 29), 1) == date(2029, 2, 28)


def test_nothing_the_day_before_the_due_day_everything_on_it(session):
    organisation, contact = organisation_with(
        session, EngagementStatus.ABGESCHLOSSEN, EngagementStatus.ABGEBROCHEN
    )
    assert run_job(session, at(DUE - timedelta(days=1), 23, 59)) == 0
    session.refresh(contact)
    assert contact.name == NAME and contact.anonymised_at is None

    on_the_day = at(DUE, 0, 5)
    assert run_job(session, on_the_day) == 1
    session.refresh(contact)
    assert contact.anonymised_at == on_the_day
    assert contact.name == PLACEHOLDER
    assert (contact.role, contact.email, contact.phone, contact.notes) == (None,) * 4
    # What the funder's reporting counts stays.
    assert contact.is_primary and contact.organisation_id == organisation.id
    session.refresh(organisation)
    assert organisation.name.startswith("Jugendamt Test")
    assert len(organisation.contacts) == 1


@pytest.mark.parametrize(
    "running", [EngagementStatus.GEPLANT, EngagementStatus.AKTIV, EngagementStatus.PAUSIERT]
)
def test_an_engagement_still_running_keeps_the_contacts(session, running):
    _organisation, kept = organisation_with(session, EngagementStatus.ABGESCHLOSSEN, running)
    _other, released = organisation_with(session, EngagementStatus.ABGESCHLOSSEN)
    assert run_job(session, at(DUE + timedelta(days=400))) == 1
    session.refresh(kept)
    session.refresh(released)
    assert kept.name == NAME and kept.anonymised_at is None
    assert released.name == PLACEHOLDER


def test_an_open_application_keeps_the_contacts_a_closed_one_does_not(session):
    by_name, kept_by_name = organisation_with(
        session, EngagementStatus.ABGESCHLOSSEN, name="Jugendamt Spandau"
    )
    factories.make_application(session, organisation_name="JUGENDAMT SPANDAU")
    waiting, kept_waiting = organisation_with(session, EngagementStatus.ABGESCHLOSSEN)
    factories.make_application(session, status=ApplicationStatus.WARTELISTE, organisation=waiting)
    declined, released = organisation_with(
        session, EngagementStatus.ABGESCHLOSSEN, name="Sozialamt Pankow"
    )
    factories.make_application(
        session, status=ApplicationStatus.ABGELEHNT, organisation_name="Sozialamt Pankow"
    )
    run_job(session, at(DUE))  # also anonymises the declined application
    assert events(session)[-1].changes["contacts"] == [released.id]
    for contact in (kept_by_name, kept_waiting, released):
        session.refresh(contact)
    assert kept_by_name.anonymised_at is None and kept_waiting.anonymised_at is None
    assert released.anonymised_at is not None
    assert by_name.id != declined.id


def test_an_organisation_that_never_had_an_engagement_is_released_too(session):
    _organisation, contact = organisation_with(session)
    assert run_job(session, at(DUE)) == 1
    session.refresh(contact)
    assert contact.name == PLACEHOLDER


def test_each_run_is_logged_with_count_zero_and_without_names(session):
    _organisation, contact = organisation_with(session, EngagementStatus.ABGESCHLOSSEN)
    early = at(date(2026, 1, 15), 3, 30)
    assert run_job(session, early) == 0
    [event] = events(session)
    assert event.actor_id is None and event.actor_label == "System"
    assert event.occurred_at == early
    assert event.object_type == "organisation" and event.object_id is None
    assert event.changes == {
        "count": 0,
        "contacts": [],
        "organisations": [],
        "applications": [],
        "due_on": "2029-07-31",
        "programme_end": "2026-07-31",
        "retention_years": 3,
    }
    run_job(session, at(DUE, 3, 30))
    last = events(session)[-1]
    assert last.changes["count"] == 1
    assert last.changes["contacts"] == [contact.id]
    assert last.changes["organisations"] == [contact.organisation_id]
    assert NAME not in str(last.changes) and "zyxwvut" not in str(last.changes)


def test_a_second_run_changes_nothing(session):
    _first_org, first = organisation_with(session, EngagementStatus.ABGESCHLOSSEN)
    _second_org, second = organisation_with(session, EngagementStatus.ABGEBROCHEN)
    moment = at(DUE, 3, 30)
    assert run_job(session, moment) == 2
    assert run_job(session, moment + timedelta(days=1)) == 0
    for contact in (first, second):
        session.refresh(contact)
        assert contact.anonymised_at == moment
        assert contact.name == PLACEHOLDER
    assert [event.changes["count"] for event in events(session)] == [2, 0]


def test_an_erased_contact_keeps_its_first_anonymisation(session):
    _organisation, contact = organisation_with(session, EngagementStatus.ABGESCHLOSSEN)
    erased_at = at(date(2027, 3, 1))
    assert anonymise_contact(contact, now=erased_at)
    session.flush()
    run = anonymise_released_contacts(session, at(DUE), programme_end=date(2026, 7, 31), years=3)
    assert len(run) == 0
    session.refresh(contact)
    assert contact.anonymised_at == erased_at


def test_the_configured_years_and_programme_end_count(app, session, monkeypatch):
    _organisation, contact = organisation_with(session, EngagementStatus.ABGESCHLOSSEN)
    monkeypatch.setitem(app.config, "CONTACT_RETENTION_YEARS", 1)
    assert run_job(session, at(date(2027, 7, 30))) == 0
    monkeypatch.setitem(app.config, "PROGRAMME_END", date(2026, 6, 30))
    assert run_job(session, at(date(2027, 7, 30))) == 1
    session.refresh(contact)
    assert contact.anonymised_at is not None
    assert [event.changes["due_on"] for event in events(session)] == ["2027-07-31", "2027-06-30"]


def test_the_accepted_application_goes_with_the_contacts(session):
    """Acceptance copies the applicant into a contact person: the application holds the
    same person's data and is anonymised with the contacts (and only then)."""
    lead = factories.make_staff_member(session)
    closed = factories.make_engagement(session, lead=lead, status=EngagementStatus.ABGESCHLOSSEN)
    released = factories.make_application(
        session,
        status=ApplicationStatus.ANGENOMMEN,
        engagement=closed,
        contact_name=NAME,
        contact_email="zyxwvut@amt.example.org",
    )
    running = factories.make_engagement(session, lead=lead, status=EngagementStatus.AKTIV)
    kept = factories.make_application(
        session, status=ApplicationStatus.ANGENOMMEN, engagement=running, contact_name=NAME
    )
    assert run_job(session, at(DUE - timedelta(days=1))) == 0
    session.refresh(released)
    assert released.anonymised_at is None
    assert run_job(session, at(DUE)) == 1
    for application in (released, kept):
        session.refresh(application)
    assert released.contact_name == "[anonymisiert]" and released.anonymised_at == at(DUE)
    assert released.contact_email != "zyxwvut@amt.example.org"
    assert released.status is ApplicationStatus.ANGENOMMEN
    assert released.engagement_id == closed.id and released.reference
    assert kept.contact_name == NAME and kept.anonymised_at is None
    assert events(session)[-1].changes["applications"] == [released.reference]
    assert run_job(session, at(DUE + timedelta(days=1))) == 0


def test_the_job_runs_a_fixed_number_of_statements(session, count_queries):
    def statements(moment: datetime) -> int:
        with count_queries() as counter:
            run_job(session, moment)
        return counter.count

    organisation_with(session, EngagementStatus.ABGESCHLOSSEN)
    few = statements(at(DUE))
    for _ in range(4):
        organisation_with(session, EngagementStatus.ABGESCHLOSSEN)
    many = statements(at(DUE + timedelta(days=1)))
    assert few == many
    # Before the due day the contact rule writes its audit event and touches nothing else;
    # from then on: the contacts, the applications (reviews, rows, audit addresses).
    assert statements(at(date(2026, 1, 1))) == few - 4


def test_caseflow_jobs_run_anonymises_the_contacts(app, session):
    _organisation, contact = organisation_with(session, EngagementStatus.ABGESCHLOSSEN)
    session.commit()  # to the test's savepoint, like real data
    label = str(next(sweep.label for sweep in SWEEPS if sweep.key == "retention"))
    runner = app.test_cli_runner()
    result = runner.invoke(args=["jobs", "run", "--now", "2029-07-31T08:00:00+02:00"])
    assert result.exit_code == 0, result.output
    assert f"{label}: 1 neu" in result.output.splitlines()
    session.refresh(contact)
    assert contact.name == PLACEHOLDER
    assert NAME not in result.output


# -- two runs at once (PostgreSQL) -------------------------------------------------------------


@pytest.fixture
def committed_contacts(app: Flask, session: Session) -> Iterator[list[int]]:
    """Committed: two organisations with a closed engagement and a contact each; removed
    afterwards."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("concurrent runs are tested on PostgreSQL")
    with Session(db.engine) as setup:
        last_event = setup.scalar(select(func.max(AuditEvent.id))) or 0
        last_template = setup.scalar(select(func.max(PhaseTemplate.id))) or 0
        made = [organisation_with(setup, EngagementStatus.ABGESCHLOSSEN) for _ in range(2)]
        contact_ids = [contact.id for _organisation, contact in made]
        organisation_ids = [organisation.id for organisation, _contact in made]
        staff_ids = list(
            setup.scalars(
                select(Assignment.staff_member_id)
                .join(Engagement, Engagement.id == Assignment.engagement_id)
                .where(Engagement.organisation_id.in_(organisation_ids))
            )
        )
        setup.commit()
    try:
        yield contact_ids
    finally:
        with Session(db.engine) as cleanup:
            cleanup.execute(delete(AuditEvent).where(AuditEvent.id > last_event))
            for engagement in cleanup.scalars(
                select(Engagement).where(Engagement.organisation_id.in_(organisation_ids))
            ):
                cleanup.delete(engagement)
            cleanup.flush()
            cleanup.execute(delete(Organisation).where(Organisation.id.in_(organisation_ids)))
            cleanup.execute(delete(StaffMember).where(StaffMember.id.in_(staff_ids)))
            for template in cleanup.scalars(
                select(PhaseTemplate).where(PhaseTemplate.id > last_template)
            ):
                cleanup.delete(template)
            cleanup.commit()


def test_two_runs_at_once_anonymise_once(app: Flask, committed_contacts):
    moment = at(DUE, 3, 30)
    first, second = Session(db.engine), Session(db.engine)
    outcome: dict[str, object] = {}
    try:
        assert retention(first, moment) == 2  # updated, not yet committed

        def run_as_well() -> None:
            with app.app_context():
                try:
                    outcome["count"] = retention(second, moment + timedelta(minutes=1))
                    second.commit()
                except Exception as error:  # pragma: no cover - reported below
                    outcome["error"] = error

        thread = threading.Thread(target=run_as_well)
        thread.start()
        thread.join(timeout=1)
        assert thread.is_alive(), "the second run should wait for the first's row locks"
        first.commit()
        thread.join(timeout=10)
        assert not thread.is_alive()
        assert outcome == {"count": 0}
    finally:
        first.close()
        second.close()
    with Session(db.engine) as check:
        stamps = check.scalars(
            select(ContactPerson.anonymised_at).where(ContactPerson.id.in_(committed_contacts))
        ).all()
        assert stamps == [moment.astimezone(stamps[0].tzinfo)] * 2
        counts = check.scalars(
            select(AuditEvent.changes["count"].as_integer()).where(
                AuditEvent.action == CONTACTS_ACTION,
                AuditEvent.occurred_at >= moment,
            )
        ).all()
    assert sorted(counts) == [0, 2]
