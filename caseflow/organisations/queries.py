"""Read-only queries behind the organisation pages."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from caseflow.organisations.choices import District, Sector
from caseflow.organisations.models import ContactPerson, Organisation
from caseflow.staff.identity import name_key

# Longer search terms are cut to this: no organisation name is longer (String(200)).
SEARCH_MAX_LENGTH = 200


@dataclass(frozen=True)
class OrganisationRow:
    """One organisation of the list, with the number of its contact persons."""

    organisation: Organisation
    contact_count: int


@dataclass(frozen=True)
class OrganisationFilters:
    """What the list is narrowed to: a part of the name, a sector, a district (None: all)."""

    search: str | None = None
    sector: Sector | None = None
    district: District | None = None

    @property
    def is_active(self) -> bool:
        return bool(self.search or self.sector or self.district)

    def args(self) -> dict[str, str]:
        """The query-string arguments that show this filter again."""
        args = {}
        if self.search:
            args["q"] = self.search
        if self.sector:
            args["sector"] = self.sector.value
        if self.district:
            args["district"] = self.district.value
        return args


def name_matches(name: str, search: str) -> bool:
    """Whether ``search`` is part of ``name``, ignoring case, spacing and accents (so
    "BÜRGERAMT", "bürgeramt" and "Burgeramt" all find "Bürgeramt Spandau", "strasse" finds
    "Müllerstraße")."""
    return name_key(search) in name_key(name)


def list_organisations(
    session: Session, filters: OrganisationFilters | None = None
) -> list[OrganisationRow]:
    """The organisations ``filters`` select, by name, with their numbers of contact persons;
    one statement. Sector and district are filtered in SQL; the name search in Python, as
    SQLite's ``lower()`` knows no umlauts and neither database ignores accents."""
    filters = filters or OrganisationFilters()
    contacts = (
        select(func.count(ContactPerson.id))
        .where(ContactPerson.organisation_id == Organisation.id)
        .correlate(Organisation)
        .scalar_subquery()
    )
    statement = select(Organisation, contacts).order_by(Organisation.name, Organisation.id)
    if filters.sector is not None:
        statement = statement.where(Organisation.sector == filters.sector)
    if filters.district is not None:
        statement = statement.where(Organisation.district == filters.district)
    return [
        OrganisationRow(organisation=organisation, contact_count=count)
        for organisation, count in session.execute(statement)
        if not filters.search or name_matches(organisation.name, filters.search)
    ]


def organisation_detail(session: Session, organisation_id: int) -> Organisation | None:
    """The organisation with its contact persons loaded, or None when there is none."""
    return session.scalar(
        select(Organisation)
        .where(Organisation.id == organisation_id)
        .options(selectinload(Organisation.contacts))
    )


def organisation_contact(
    session: Session, organisation_id: int, contact_id: int
) -> ContactPerson | None:
    """The contact person ``contact_id`` if it belongs to organisation ``organisation_id``."""
    return session.scalar(
        select(ContactPerson).where(
            ContactPerson.id == contact_id, ContactPerson.organisation_id == organisation_id
        )
    )
