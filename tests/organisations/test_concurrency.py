"""Two leads change the same organisation at the same moment (PostgreSQL, where the second
transaction waits on the first one's row lock): a change made on a state someone else has
just changed is refused, and an organisation never ends up with two primary contacts."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from flask import Flask
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from caseflow.audit.models import AuditEvent
from caseflow.extensions import db
from caseflow.organisations.choices import District, Sector
from caseflow.organisations.models import ContactPerson, Organisation
from caseflow.organisations.services import (
    ContactData,
    OrganisationData,
    StaleForm,
    create_contact,
    fingerprint,
    update_contact,
    update_organisation,
)
from caseflow.staff.models import Role, StaffMember
from tests import factories

NOW = datetime(2025, 3, 10, 9, 0, tzinfo=UTC)
STALE = "Jemand anderes hat diese Angaben gerade geändert."


@dataclass(frozen=True)
class Committed:
    organisation: int
    lead: int
    contact: int | None


def _committed(app: Flask, *, with_contact: bool) -> Iterator[Committed]:
    """A committed organisation (outside the test's rolled-back transaction), a lead and,
    when asked, a primary contact; removed again afterwards."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("concurrent row locks are tested on PostgreSQL")
    with Session(db.engine) as setup:
        last_event = setup.scalar(select(func.max(AuditEvent.id))) or 0
        lead = factories.make_staff_member(setup, name="Kim Zugleich", role=Role.LEAD)
        organisation = factories.make_organisation(setup, name="Jugendamt Zugleich")
        contact = (
            factories.make_contact(setup, organisation, name="Anna Erst", is_primary=True)
            if with_contact
            else None
        )
        ids = Committed(organisation.id, lead.id, contact.id if contact else None)
        setup.commit()
    try:
        yield ids
    finally:
        with Session(db.engine) as cleanup:
            cleanup.execute(delete(AuditEvent).where(AuditEvent.id > last_event))
            cleanup.execute(
                delete(ContactPerson).where(ContactPerson.organisation_id == ids.organisation)
            )
            cleanup.execute(delete(Organisation).where(Organisation.id == ids.organisation))
            cleanup.execute(delete(StaffMember).where(StaffMember.id == ids.lead))
            cleanup.commit()


@pytest.fixture
def committed(app: Flask, session: Session) -> Iterator[Committed]:
    yield from _committed(app, with_contact=True)


@pytest.fixture
def committed_without_contacts(app: Flask, session: Session) -> Iterator[Committed]:
    yield from _committed(app, with_contact=False)


def _race(app: Flask, first: Session, second_change: Callable[[], object]) -> str:
    """Run ``second_change`` in ``second``'s thread while ``first`` (which has changed rows
    but not committed) holds its locks; it must wait until ``first`` commits. Returns
    "saved" or the German message of the refusal."""
    outcome: dict[str, str] = {}

    def change_as_well() -> None:
        with app.app_context():
            try:
                second_change()
                outcome["result"] = "saved"
            except StaleForm as error:
                outcome["result"] = str(error)

    other = threading.Thread(target=change_as_well)
    other.start()
    other.join(timeout=1)
    assert other.is_alive(), "the second change should wait for the first transaction"
    first.commit()
    other.join(timeout=30)
    assert not other.is_alive()
    return outcome["result"]


def _data(staff_size: int) -> OrganisationData:
    return OrganisationData(
        name="Jugendamt Zugleich",
        sector=Sector.BUERGERDIENST,
        subtype="jugendamt",
        district=District.MITTE,
        staff_size=staff_size,
    )


def test_two_edits_of_one_organisation_on_the_same_state_never_both_succeed(app, committed):
    first, second = Session(db.engine), Session(db.engine)
    try:
        mine = first.get(Organisation, committed.organisation)
        theirs = second.get(Organisation, committed.organisation)
        shown = fingerprint(theirs)  # both forms were shown on this state
        actor = second.get(StaffMember, committed.lead)
        update_organisation(
            first,
            mine,
            data=_data(10),
            actor=first.get(StaffMember, committed.lead),
            now=NOW,
            expected_fingerprint=shown,
        )

        def edit_as_well() -> None:
            try:
                update_organisation(
                    second, theirs, data=_data(20), actor=actor, now=NOW, expected_fingerprint=shown
                )
                second.commit()
            finally:
                second.rollback()

        assert _race(app, first, edit_as_well).startswith(STALE)
    finally:
        first.close()
        second.close()

    with Session(db.engine) as check:
        assert check.get(Organisation, committed.organisation).staff_size == 10
        events = check.scalars(
            select(AuditEvent.changes).where(AuditEvent.action == "organisation.updated")
        ).all()
        assert events == [{"staff_size": [None, 10]}]


def test_two_edits_of_one_contact_on_the_same_state_never_both_succeed(app, committed):
    first, second = Session(db.engine), Session(db.engine)
    try:
        mine = first.get(ContactPerson, committed.contact)
        theirs = second.get(ContactPerson, committed.contact)
        shown = fingerprint(theirs)
        actor = second.get(StaffMember, committed.lead)
        assert theirs.organisation  # loaded before the other thread uses the session
        update_contact(
            first,
            mine,
            data=ContactData(name="Anna Erst", phone="030 1", is_primary=True),
            actor=first.get(StaffMember, committed.lead),
            now=NOW,
            expected_fingerprint=shown,
        )

        def edit_as_well() -> None:
            try:
                update_contact(
                    second,
                    theirs,
                    data=ContactData(name="Anna Zweit", is_primary=True),
                    actor=actor,
                    now=NOW,
                    expected_fingerprint=shown,
                )
                second.commit()
            finally:
                second.rollback()

        assert _race(app, first, edit_as_well).startswith(STALE)
    finally:
        first.close()
        second.close()

    with Session(db.engine) as check:
        contact = check.get(ContactPerson, committed.contact)
        assert (contact.name, contact.phone) == ("Anna Erst", "030 1")
        events = check.scalars(
            select(AuditEvent.id).where(AuditEvent.action == "organisation.contact_updated")
        ).all()
        assert len(events) == 1


def _primaries(organisation_id: int) -> list[str]:
    with Session(db.engine) as check:
        return sorted(
            check.scalars(
                select(ContactPerson.name).where(
                    ContactPerson.organisation_id == organisation_id,
                    ContactPerson.is_primary.is_(True),
                )
            )
        )


def _add(session: Session, organisation_id: int, lead_id: int, name: str, *, primary: bool):
    """A ``create_contact`` call in ``session``, its objects loaded now (before any thread
    uses them)."""
    organisation = session.get(Organisation, organisation_id)
    actor = session.get(StaffMember, lead_id)

    def add() -> None:
        try:
            create_contact(
                session,
                organisation,
                data=ContactData(name=name, is_primary=primary),
                actor=actor,
                now=NOW,
            )
            session.commit()
        finally:
            session.rollback()

    return add


def test_two_new_primary_contacts_at_once_leave_exactly_one_primary(app, committed):
    first, second = Session(db.engine), Session(db.engine)
    try:
        create_contact(
            first,
            first.get(Organisation, committed.organisation),
            data=ContactData(name="Bea Erst", is_primary=True),
            actor=first.get(StaffMember, committed.lead),
            now=NOW,
        )
        add = _add(second, committed.organisation, committed.lead, "Cem Zweit", primary=True)
        assert _race(app, first, add) == "saved"
    finally:
        first.close()
        second.close()
    assert _primaries(committed.organisation) == ["Cem Zweit"]


def test_two_first_contacts_at_once_make_only_one_of_them_primary(app, committed_without_contacts):
    ids = committed_without_contacts
    first, second = Session(db.engine), Session(db.engine)
    try:
        # Neither asks to be primary: the first contact of an organisation becomes it.
        create_contact(
            first,
            first.get(Organisation, ids.organisation),
            data=ContactData(name="Bea Erst"),
            actor=first.get(StaffMember, ids.lead),
            now=NOW,
        )
        add = _add(second, ids.organisation, ids.lead, "Cem Zweit", primary=False)
        assert _race(app, first, add) == "saved"
    finally:
        first.close()
        second.close()
    assert _primaries(ids.organisation) == ["Bea Erst"]
