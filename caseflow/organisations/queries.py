"""Read-only queries behind the organisation pages."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from caseflow.organisations.models import ContactPerson, Organisation


@dataclass(frozen=True)
class OrganisationRow:
    """One organisation of the list, with the number of its contact persons."""

    organisation: Organisation
    contact_count: int


def list_organisations(session: Session) -> list[OrganisationRow]:
    """Every organisation by name, with its number of contact persons; one statement."""
    contacts = (
        select(func.count(ContactPerson.id))
        .where(ContactPerson.organisation_id == Organisation.id)
        .correlate(Organisation)
        .scalar_subquery()
    )
    statement = select(Organisation, contacts).order_by(Organisation.name, Organisation.id)
    return [
        OrganisationRow(organisation=organisation, contact_count=count)
        for organisation, count in session.execute(statement)
    ]


def organisation_detail(session: Session, organisation_id: int) -> Organisation | None:
    """The organisation with its contact persons loaded, or None when there is none."""
    return session.scalar(
        select(Organisation)
        .where(Organisation.id == organisation_id)
        .options(selectinload(Organisation.contacts))
    )
